"""OMLT reads what to_onnx writes (it indexes Gemm's alpha / beta / transA / transB, defaults
included: it failed with KeyError 'alpha'): the same weights, and for a relu network its big-M
model, inputs fixed, computes G(z). OMLT is in the bench extra; its tests skip without it."""

import numpy as np
import pytest

from milpinv import ReluNetwork

onnx = pytest.importorskip("onnx")


def test_gemm_nodes_carry_every_attribute(tmp_path):
    ReluNetwork.random([3, 4, 2], seed=0).to_onnx(tmp_path / "n.onnx")
    gemms = [node for node in onnx.load(str(tmp_path / "n.onnx")).graph.node if node.op_type == "Gemm"]
    assert len(gemms) == 2
    for node in gemms:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs == {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 1}


def omlt_network(net: ReluNetwork, path, box: float = 2.0):
    pytest.importorskip("omlt")
    from omlt.io import load_onnx_neural_network

    net.to_onnx(path)
    bounds = dict.fromkeys(range(net.input_dim), (-box, box))
    return load_onnx_neural_network(onnx.load(str(path)), input_bounds=bounds)


@pytest.mark.parametrize("output", ["relu", "linear", "tanh", "sigmoid"])
def test_omlt_reads_the_layers_exactly(tmp_path, output):
    net = ReluNetwork.random([3, 7, 6, 5], seed=4, bias_scale=0.5, output_activation=output)
    layers = list(omlt_network(net, tmp_path / "n.onnx").layers)[1:]  # after OMLT's InputLayer
    assert [layer.activation for layer in layers] == ["relu", "relu", output]
    for layer, w, b in zip(layers, net.weights, net.biases):
        assert np.array_equal(layer.weights, w.T) and np.array_equal(layer.biases, b)


def test_omlt_big_m_model_computes_the_forward_pass(tmp_path):
    pyo = pytest.importorskip("pyomo.environ")
    pytest.importorskip("omlt")
    from omlt import OmltBlock
    from omlt.neuralnet import ReluBigMFormulation

    net = ReluNetwork.random([3, 8, 5], seed=0, bias_scale=0.5)
    model = pyo.ConcreteModel()
    model.nn = OmltBlock()
    model.nn.build_formulation(ReluBigMFormulation(omlt_network(net, tmp_path / "n.onnx")))
    z = np.array([0.3, -0.5, 0.9])
    for i, v in enumerate(z):
        model.nn.inputs[i].fix(float(v))
    model.obj = pyo.Objective(expr=0)
    solver = pyo.SolverFactory("appsi_highs")
    if not solver.available(exception_flag=False):
        pytest.skip("appsi_highs is not available")
    solver.solve(model)
    out = np.array([pyo.value(model.nn.outputs[i]) for i in range(net.output_dim)])
    assert np.allclose(out, net.forward(z), atol=1e-7)
