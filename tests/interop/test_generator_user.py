"""The generator user's first hour (issue 21): a DCGAN-style generator of one's own, built in torch,
exported by torch.onnx.export's default (dynamo) exporter or the TorchScript one, read by
from_onnx as torch computes it, and inverted from the command line with --norm l1 / linf and
nothing but the target.

The dynamo exporter needs onnxscript (in the torch and test extras); it folds BatchNorm into the
convolution before it in float32, so its models agree with torch's float64 forward to float32
rounding, the TorchScript exporter's to float64 rounding.
"""

import contextlib
import io
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from test_conv import ViewGenerator, close, conv_stacks, ort_out, random_bn, torch_out, unflatten_generator

from milpinv import InputError, ReluNetwork

torch = pytest.importorskip("torch")
pytest.importorskip("onnxsim")
nn = torch.nn
EXPORTERS = {"dynamo": True, "torchscript": False}


def export(module, shape, path, dynamo: bool) -> None:
    """torch.onnx.export(module, (z,), path) as a user writes it: the exporter's defaults."""
    if dynamo:
        pytest.importorskip("onnxscript")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress
        warnings.simplefilter("ignore")
        torch.onnx.export(module.float().eval(), (torch.zeros(*shape),), str(path), dynamo=dynamo)


def first_hour_generator(seed: int = 0, channels: tuple[int, int] = (2, 2)):
    """Linear -> ReLU -> ConvTranspose2d -> BatchNorm (random running statistics) -> ReLU ->
    ConvTranspose2d -> Tanh: latent 4 -> 8 x 8 image."""
    torch.manual_seed(seed)
    c1, c2 = channels
    return nn.Sequential(
        nn.Linear(4, 4 * c1),
        nn.ReLU(),
        nn.Unflatten(1, (c1, 2, 2)),
        nn.ConvTranspose2d(c1, c2, 4, 2, 1),
        random_bn(c2, np.random.default_rng(seed)),
        nn.ReLU(),
        nn.ConvTranspose2d(c2, 1, 4, 2, 1),
        nn.Tanh(),
    ).eval()


def dcgan_generator():
    """The DCGAN tutorial's shape: latent (N, 4, 1, 1) -> ConvTranspose2d / BatchNorm2d / ReLU -> Tanh."""
    torch.manual_seed(1)
    bn = random_bn(6, np.random.default_rng(1))
    return nn.Sequential(nn.ConvTranspose2d(4, 6, 4, 1, 0), bn, nn.ReLU(), nn.ConvTranspose2d(6, 1, 4, 2, 1), nn.Tanh())


def mlp_generator():
    """Linear -> BatchNorm1d -> LeakyReLU -> Linear -> Sigmoid."""
    torch.manual_seed(2)
    bn = random_bn(10, np.random.default_rng(2), dim=1)
    return nn.Sequential(nn.Linear(3, 10), bn, nn.LeakyReLU(0.1), nn.Linear(10, 12), nn.Sigmoid())


def flatten_generator():
    """ConvTranspose2d -> ReLU -> Flatten -> Linear (linear output)."""
    torch.manual_seed(3)
    return nn.Sequential(nn.ConvTranspose2d(3, 2, 3, 1, 0), nn.ReLU(), nn.Flatten(), nn.Linear(18, 7))


def ort_each(path, z: np.ndarray, shape) -> np.ndarray:
    """onnxruntime's outputs one latent at a time (the dynamo exporter fixes the batch it traced)."""
    return np.concatenate([ort_out(path, row[None, :], shape) for row in z])


GENERATORS = {  # name: (module factory, latent shape without the batch)
    "first_hour": (first_hour_generator, (4,)),
    "dcgan": (dcgan_generator, (4, 1, 1)),
    "mlp_bn1d_leaky_sigmoid": (mlp_generator, (3,)),
    "flatten_linear": (flatten_generator, (3, 1, 1)),
    "unflatten_bn_conv": (unflatten_generator, (3,)),
    "view": (ViewGenerator, (3,)),
}


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", GENERATORS)
def test_both_exporters_read_as_torch_and_onnxruntime_compute(name, exporter, tmp_path):
    """The dynamo exporter's Reshape(allowzero=1) and folded BatchNorm used to be refused."""
    make, shape = GENERATORS[name]
    module = make().eval()
    export(module, (1, *shape), tmp_path / "g.onnx", EXPORTERS[exporter])
    net = ReluNetwork.from_onnx(tmp_path / "g.onnx")
    z = np.random.default_rng(4).normal(size=(6, int(np.prod(shape))))
    assert close(net.forward(z), torch_out(module, z, shape), 1e-12 if exporter == "torchscript" else 1e-6)
    assert close(net.forward(z), ort_each(tmp_path / "g.onnx", z, shape), 1e-5)


@settings(max_examples=4, deadline=None)
@given(conv_stacks())
def test_dynamo_exports_of_conv_stacks_agree_with_onnxruntime(case):
    import tempfile
    from pathlib import Path

    module, shape = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        export(module, (1, *shape), path, dynamo=True)
        net = ReluNetwork.from_onnx(path)
        z = np.random.default_rng(1).normal(size=(6, int(np.prod(shape))))
        assert close(net.forward(z), ort_each(path, z, shape), 1e-5)


def test_a_static_batch_of_two_is_the_batch(tmp_path):
    """Traced with z of shape (2, 4), the Reshape shape is [2, 4, 2, 2]: the batch, not a mix of samples."""
    module = first_hour_generator()
    export(module, (2, 4), tmp_path / "g.onnx", dynamo=True)
    net = ReluNetwork.from_onnx(tmp_path / "g.onnx")
    z = np.random.default_rng(5).normal(size=(3, 4))
    assert close(net.forward(z), torch_out(module, z, (4,)), 1e-6)


@pytest.mark.parametrize("shape, ok", [([1, 2, 3], True), ([-1, 6], True), ([1, 0, 6], False)])
def test_reshape_allowzero(tmp_path, shape, ok):
    """allowzero=1 reads a 0 as an empty dimension, allowzero=0 as a copy: the same where no 0 appears."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Gemm", ["z", "W", "b"], ["a"], transB=1),
        helper.make_node("Relu", ["a"], ["h"]),
        helper.make_node("Reshape", ["h", "s"], ["r"], allowzero=1),
        helper.make_node("Flatten", ["r"], ["x"]),
    ]
    inits = [
        numpy_helper.from_array(np.arange(12.0).reshape(6, 2) - 5, "W"),
        numpy_helper.from_array(np.zeros(6), "b"),
        numpy_helper.from_array(np.array(shape, dtype=np.int64), "s"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("z", TensorProto.DOUBLE, [1, 2])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 6])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    if ok:
        net = ReluNetwork.from_onnx(model)
        assert net.dims == (2, 6) and np.array_equal(net.weights[0], np.arange(12.0).reshape(6, 2) - 5)
    else:
        with pytest.raises(InputError, match=r"allowzero=1 to an empty dimension \(target shape \[1, 0, 6\]\)"):
            ReluNetwork.from_onnx(model)
    assert onnx.checker.check_model(model) is None


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_the_first_hour_from_the_command_line(cli, tmp_path, norm):
    """The issue's "done when": the user's generator, exported by torch's default exporter, a real
    target off its range (G(z*) + noise, clipped into (-1, 1), as onnxruntime returns it: (1, 1, 8,
    8) float32), inverted with `milpinv invert g.onnx --target x.npy --norm NORM` and no other flag."""
    ort = pytest.importorskip("onnxruntime")
    module = first_hour_generator()
    export(module, (1, 4), tmp_path / "g.onnx", dynamo=True)
    sess = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    z_star = np.random.default_rng(0).uniform(-1, 1, size=(1, 4)).astype(np.float32)
    x = sess.run(None, {name: z_star})[0]
    x = np.clip(x + np.random.default_rng(1).normal(0, 0.1, x.shape), -0.99, 0.99).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert x.shape == (1, 1, 8, 8)
    code, out, err = cli("invert", tmp_path / "g.onnx", "--target", tmp_path / "x.npy", "--norm", norm, "--json")
    assert code == 0, err
    assert "searches up to 1000 nodes (--verbose shows its progress" in err  # not silent for minutes
    res = json.loads(out)
    assert res["status"] in ("optimal", "feasible") and res["method"] == "auto:milp", res
    z = np.array(res["z"])
    assert np.all(np.abs(z) <= 3.0)  # the default box
    # an independent engine agrees with the reported residual (onnxruntime computes in float32)
    g_z = sess.run(None, {name: z[None, :].astype(np.float32)})[0]
    assert abs(float(np.max(np.abs(g_z - x))) - res["residual_linf"]) <= 1e-5
    # measured in pixels: the certified bound is below z*'s pixel error, and no worse than it is
    # the answer
    net = ReluNetwork.from_onnx(tmp_path / "g.onnx")
    error = np.abs(net.forward(z_star[0].astype(float)) - x.reshape(-1).astype(float))
    planted = float(error.sum() if norm == "l1" else error.max())
    assert res["bound"] is not None and res["bound"] <= planted
    assert res["objective"] <= planted * (1 + 1e-9)
