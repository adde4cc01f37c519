"""PyTorch and ONNX interop: from_torch, from_onnx, to_onnx and ``milpinv invert model.onnx``.

torch, onnx and onnxruntime are optional: each test skips cleanly without the one it needs.
"""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def onnx():
    return pytest.importorskip("onnx")


@pytest.fixture
def ort():
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def torch_mlp(dims, relu_output: bool, seed: int):
    """nn.Sequential(Linear, ReLU, ..., Linear[, ReLU]) in float64 with nonzero biases."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(seed)
    layers = []
    for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(dims) - 2 or relu_output:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).double().eval()


def torch_forward(module, z: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return module(torch.tensor(z, dtype=torch.float64)).numpy()


def ort_forward(path, z: np.ndarray) -> np.ndarray:
    import onnxruntime

    sess = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    dtype = np.float64 if inp.type == "tensor(double)" else np.float32
    return sess.run(None, {inp.name: z.astype(dtype)})[0].astype(np.float64)


def close(a, b, rel=1e-12):
    """Agreement up to float64 summation-order rounding."""
    return np.max(np.abs(a - b)) <= rel * max(1.0, float(np.max(np.abs(b))))


# ---------------------------------------------------------------------- torch
@given(st.lists(st.integers(1, 9), min_size=2, max_size=5), st.booleans(), st.integers(0, 10_000))
def test_from_torch_forward_agrees_with_torch_in_float64(dims, relu_output, seed):
    module = torch_mlp(dims, relu_output, seed)
    net = ReluNetwork.from_torch(module)
    assert net.dims == tuple(dims)
    assert net.output_activation == ("relu" if relu_output else "linear")
    z = np.random.default_rng(seed).normal(size=(16, dims[0]))
    assert close(net.forward(z), torch_forward(module, z))


def test_float32_module_weights_are_copied_exactly(torch):
    module = torch_mlp([4, 8, 6], True, 0).float()
    net = ReluNetwork.from_torch(module)
    for w, layer in zip(net.weights, [module[0], module[2]]):
        assert np.array_equal(w, layer.weight.detach().numpy().astype(np.float64))
    z = np.random.default_rng(1).normal(size=(5, 4))
    assert close(net.forward(z), torch_forward(module.double(), z))


def test_nested_sequential_and_no_op_layers(torch):
    nn = torch.nn
    torch.manual_seed(3)
    l1, l2, l3 = nn.Linear(3, 7), nn.Linear(7, 5), nn.Linear(5, 2, bias=False)
    plain = nn.Sequential(l1, nn.ReLU(), l2, nn.ReLU(), l3).double().eval()
    fancy = (
        nn.Sequential(
            nn.Flatten(),
            nn.Sequential(l1, nn.Dropout(0.5), nn.ReLU(inplace=True)),
            nn.Identity(),
            nn.Sequential(nn.Sequential(l2, nn.ReLU(), nn.ReLU()), nn.Dropout(0.1)),
            l3,
        )
        .double()
        .eval()
    )
    a, b = ReluNetwork.from_torch(plain), ReluNetwork.from_torch(fancy)
    assert a.dims == b.dims == (3, 7, 5, 2)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))
    z = np.random.default_rng(0).normal(size=(10, 3))
    assert close(b.forward(z), torch_forward(fancy, z))
    single = ReluNetwork.from_torch(nn.Linear(3, 4).double())
    assert single.dims == (3, 4) and single.output_activation == "linear"


def test_consecutive_linears_are_multiplied_out(torch):
    nn = torch.nn
    torch.manual_seed(5)
    module = nn.Sequential(nn.Linear(3, 6), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 5), nn.Linear(5, 2)).double()
    net = ReluNetwork.from_torch(module)
    assert net.dims == (3, 4, 2) and net.output_activation == "linear"
    z = np.random.default_rng(2).normal(size=(20, 3))
    assert close(net.forward(z), torch_forward(module, z))


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda nn: nn.Conv1d(1, 1, 3), "Conv1d"),
        (lambda nn: nn.Softplus(), "Softplus"),
        (lambda nn: nn.ModuleDict({"a": nn.ReLU()}), "ModuleDict"),
    ],
)
def test_unsupported_torch_layer_is_named(torch, make, name):
    nn = torch.nn
    module = nn.Sequential(nn.Linear(3, 6), nn.Sequential(nn.ReLU(), make(nn)), nn.Linear(6, 2))
    with pytest.raises(InputError, match=rf"layer 2 \('1\.1', {name}\).*unsupported layer"):
        ReluNetwork.from_torch(module)


def test_custom_module_is_named_not_looked_into(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return x + self.lin(x)  # a skip connection: not a chain

    from collections import OrderedDict

    module = nn.Sequential(nn.Linear(2, 3), nn.Sequential(OrderedDict(block=Block())))
    with pytest.raises(InputError, match=r"layer 1 \('1\.block', Block\).*unsupported"):
        ReluNetwork.from_torch(module)


@pytest.mark.parametrize(
    "build, fragment",
    [
        (
            lambda nn: nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(4, 2)),
            "expects 4 inputs but the previous layer gives 5",
        ),
        (lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), "relu applied to the network input"),
        (lambda nn: nn.Sequential(nn.Linear(3, 5), nn.Dropout(0.3)), "Dropout in training mode"),
        (lambda nn: nn.Sequential(nn.Flatten(0), nn.Linear(3, 5)), "only Flatten"),
        (lambda nn: nn.Sequential(nn.ReLU(), nn.Identity()), "relu applied to the network input"),
        (lambda nn: nn.Sequential(nn.Identity()), "no affine layer"),
        (lambda nn: nn.ReLU(), "relu applied to the network input"),
        (lambda nn: "a string", "expected a torch.nn.Module"),
    ],
)
def test_bad_torch_modules(torch, build, fragment):
    module = build(torch.nn)
    with pytest.raises(InputError, match=fragment):
        ReluNetwork.from_torch(module)


def test_non_finite_torch_weights_are_rejected(torch):
    module = torch_mlp([2, 3, 2], False, 0)
    with torch.no_grad():
        module[2].weight[1, 0] = float("nan")
    with pytest.raises(InputError, match="NaN or inf"):
        ReluNetwork.from_torch(module)


# ----------------------------------------------------------------------- onnx
def make_model(nodes, inits: dict, n_in, n_out, in_shape=None, elem=None, opset=17):
    """An onnx ModelProto from nodes and float64 initializers (input 'z', output 'x')."""
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.DOUBLE if elem is None else elem
    dtype = np.float64 if elem == TensorProto.DOUBLE else np.float32
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("z", elem, in_shape or ["batch", n_in])],
        [helper.make_tensor_value_info("x", elem, ["batch", n_out or "n_out"])],
        initializer=[numpy_helper.from_array(np.asarray(v, dtype=dtype), k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return model


def save(model, path):
    import onnx

    onnx.save(model, str(path))
    return path


def gemm_model(rng, dims, relu_output, trans_b):
    """Gemm (+ Relu) layers with random alpha/beta and transB either way."""
    from onnx import helper

    nodes, inits, h = [], {}, "z"
    for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        w, c = rng.normal(size=(b, a)), rng.normal(size=b)
        inits[f"W{k}"], inits[f"c{k}"] = (w if trans_b else w.T), c
        alpha, beta = float(rng.uniform(0.5, 2)), float(rng.uniform(0.5, 2))
        last = k == len(dims) - 2
        out = "x" if last and not relu_output else f"a{k}"
        nodes.append(
            helper.make_node("Gemm", [h, f"W{k}", f"c{k}"], [out], transB=int(trans_b), alpha=alpha, beta=beta)
        )
        h = out
        if not last or relu_output:
            h = "x" if last else f"h{k}"
            nodes.append(helper.make_node("Relu", [out], [h]))
    return make_model(nodes, inits, dims[0], dims[-1])


def matmul_add_model(rng, dims, relu_output, bias_first=False):
    """MatMul + Add (+ Relu) layers, the pattern of Linear on N-d inputs."""
    from onnx import helper

    nodes, inits, h = [], {}, "z"
    for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        inits[f"M{k}"], inits[f"c{k}"] = rng.normal(size=(a, b)), rng.normal(size=(1, b) if k % 2 else b)
        last = k == len(dims) - 2
        out = "x" if last and not relu_output else f"a{k}"
        nodes.append(helper.make_node("MatMul", [h, f"M{k}"], [f"m{k}"]))
        add_in = [f"c{k}", f"m{k}"] if bias_first else [f"m{k}", f"c{k}"]
        nodes.append(helper.make_node("Add", add_in, [out]))
        h = out
        if not last or relu_output:
            h = "x" if last else f"h{k}"
            nodes.append(helper.make_node("Relu", [out], [h]))
    return make_model(nodes, inits, dims[0], dims[-1])


@given(
    st.lists(st.integers(1, 8), min_size=2, max_size=4),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["gemm", "matmul"]),
    st.integers(0, 10_000),
)
def test_from_onnx_forward_agrees_with_onnxruntime(dims, relu_output, flag, kind, seed):
    pytest.importorskip("onnxruntime")
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(seed)
    model = (
        gemm_model(rng, dims, relu_output, flag) if kind == "gemm" else matmul_add_model(rng, dims, relu_output, flag)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = save(model, Path(tmp) / "m.onnx")
        net = ReluNetwork.from_onnx(path)
        z = rng.normal(size=(12, dims[0]))
        assert net.dims == tuple(dims)
        assert net.output_activation == ("relu" if relu_output else "linear")
        assert close(net.forward(z), ort_forward(path, z), rel=1e-10)
    assert ReluNetwork.from_onnx(model).dims == tuple(dims)  # an in-memory ModelProto works too


def test_gemm_with_the_chain_as_second_operand(ort, tmp_path):
    """Y = W h^T (transB) then Y^T back: a (n, batch) layout in the middle of the chain."""
    from onnx import helper

    rng = np.random.default_rng(4)
    W0, c0, W1, c1 = rng.normal(size=(5, 3)), rng.normal(size=(5, 1)), rng.normal(size=(5, 2)), rng.normal(size=2)
    nodes = [
        helper.make_node("Gemm", ["W0", "z", "c0"], ["a"], transB=1),  # (5, batch)
        helper.make_node("Relu", ["a"], ["h"]),
        helper.make_node("Gemm", ["h", "W1", "c1"], ["x"], transA=1),
    ]  # h^T W1: (batch, 2)
    path = save(make_model(nodes, {"W0": W0, "c0": c0, "W1": W1, "c1": c1}, 3, 2), tmp_path / "t.onnx")
    z = rng.normal(size=(7, 3))
    assert close(ReluNetwork.from_onnx(path).forward(z), ort_forward(path, z))


@given(st.lists(st.integers(1, 9), min_size=2, max_size=5), st.booleans(), st.integers(0, 10_000))
def test_to_onnx_round_trip_checked_with_onnxruntime(dims, relu_output, seed):
    pytest.importorskip("onnxruntime")
    import tempfile
    from pathlib import Path

    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.7, output_activation="relu" if relu_output else "linear")
    z = np.random.default_rng(seed).normal(size=(9, dims[0]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.onnx"
        net.to_onnx(path)
        assert close(ort_forward(path, z), net.forward(z))
        back = ReluNetwork.from_onnx(path)
        assert back.output_activation == net.output_activation
        assert all(np.array_equal(a, b) for a, b in zip(back.weights + back.biases, net.weights + net.biases))
        net.to_onnx(path, dtype="float32")
        assert np.allclose(ort_forward(path, z), net.forward(z), rtol=1e-4, atol=1e-4)


def test_torch_onnx_export_reads_back(torch, ort, tmp_path):
    """A model exported by torch.onnx (TorchScript exporter; float32) reads into the same network."""
    module = torch_mlp([4, 10, 10, 6], False, 7).float()
    path = tmp_path / "torch.onnx"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (torch.zeros(1, 4),),
            str(path),
            input_names=["z"],
            output_names=["x"],
            dynamic_axes={"z": {0: "batch"}, "x": {0: "batch"}},
            dynamo=False,
        )
    net, ref = ReluNetwork.from_onnx(path), ReluNetwork.from_torch(module)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases, ref.weights + ref.biases))
    z = np.random.default_rng(0).normal(size=(5, 4))
    assert np.allclose(net.forward(z), ort_forward(path, z), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "op, inputs, attrs",
    [
        ("Sub", ["a", "c0"], {}),
        ("Mul", ["a", "c0"], {}),
        ("Softmax", ["a"], {}),
    ],
)
def test_unsupported_onnx_op_is_named(onnx, tmp_path, op, inputs, attrs):
    from onnx import helper

    nodes = [
        helper.make_node("Gemm", ["z", "W0", "c0"], ["a"], transB=1, name="dense"),
        helper.make_node(op, inputs, ["x"], name="the_bad_one", **attrs),
    ]
    model = make_model(nodes, {"W0": np.ones((4, 3)), "c0": np.zeros(4)}, 3, 4)
    with pytest.raises(InputError, match=rf"node 1 'the_bad_one' \({op}\): unsupported op {op}"):
        ReluNetwork.from_onnx(save(model, tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("skip", "neither the chain tensor nor an initializer"),
        ("branch", "not on the chain"),
        ("batch_matmul", "multiplies along the batch dimension"),
        ("int_input", "expected a float tensor"),
        ("rank3", "has rank 3"),
        ("bias_shape", "is not a per-feature bias"),
        ("width", "expects 5 inputs but the previous layer gives 4"),
    ],
)
def test_onnx_graphs_outside_the_model_class(onnx, tmp_path, case, fragment):
    from onnx import TensorProto, helper

    gemm = helper.make_node("Gemm", ["z", "W0", "c0"], ["a"], transB=1)
    inits = {"W0": np.ones((4, 3)), "c0": np.zeros(4)}
    kw = {}
    if case == "skip":
        nodes = [gemm, helper.make_node("Relu", ["a"], ["h"]), helper.make_node("Add", ["h", "a"], ["x"])]
    elif case == "branch":
        nodes = [gemm, helper.make_node("Relu", ["a"], ["h"]), helper.make_node("Relu", ["a"], ["x"])]
    elif case == "batch_matmul":
        nodes = [helper.make_node("MatMul", ["M", "z"], ["x"])]
        inits = {"M": np.ones((2, 2))}
    elif case == "int_input":
        nodes, inits = [helper.make_node("Relu", ["z"], ["x"])], {}
        kw = {"elem": TensorProto.INT64}
    elif case == "rank3":
        nodes, kw = [gemm, helper.make_node("Relu", ["a"], ["x"])], {"in_shape": [1, 1, 3]}
    elif case == "bias_shape":
        nodes = [gemm, helper.make_node("Add", ["a", "B"], ["x"])]
        inits["B"] = np.ones((2, 4))
    else:
        nodes = [
            gemm,
            helper.make_node("Relu", ["a"], ["h"]),
            helper.make_node("Gemm", ["h", "W1", "c1"], ["x"], transB=1),
        ]
        inits.update(W1=np.ones((2, 5)), c1=np.zeros(2))
    model = make_model(nodes, inits, 3, None, **kw)
    with pytest.raises(InputError, match=fragment):
        ReluNetwork.from_onnx(model)


def test_bad_onnx_files_give_one_line_errors(onnx, tmp_path):
    good = tmp_path / "good.onnx"
    ReluNetwork.random([3, 5], seed=0).to_onnx(good)
    data = good.read_bytes()
    (tmp_path / "truncated.onnx").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "noise.onnx").write_bytes(np.random.default_rng(0).bytes(300))
    np.savez(tmp_path / "net.npz", W0=np.ones((2, 2)))
    (tmp_path / "net.npz").rename(tmp_path / "npz.onnx")
    (tmp_path / "dir.onnx").mkdir()
    for name, fragment in [
        ("truncated", "not a readable ONNX model"),
        ("empty", "empty file"),
        ("noise", "not a readable ONNX model"),
        ("npz", "not a readable ONNX model"),
        ("dir", "is a directory"),
        ("missing", "no such file"),
    ]:
        with pytest.raises(InputError, match=fragment) as err:
            ReluNetwork.from_onnx(tmp_path / f"{name}.onnx")
        assert "\n" not in str(err.value)


# ------------------------------------------------------------------------ CLI
def test_cli_inverts_an_onnx_model_and_recovers_the_planted_z(ort, cli, tmp_path):
    net = ReluNetwork.random([4, 12, 24], seed=11, bias_scale=0.3)
    net.to_onnx(tmp_path / "g.onnx")
    z_star = np.random.default_rng(11).uniform(-1.5, 1.5, size=4)
    x = ort_forward(tmp_path / "g.onnx", z_star[None, :])  # a (1, n) batch, as a runtime returns it
    np.save(tmp_path / "x.npy", x)
    code, out, err = cli(
        "invert",
        tmp_path / "g.onnx",
        "--target",
        tmp_path / "x.npy",
        "--box",
        "2",
        "--method",
        "milp",
        "--json",
        "--out",
        tmp_path / "z.npy",
    )
    assert code == 0, err
    res = json.loads(out)
    assert res["status"] == "optimal" and res["method"] == "milp"
    z = np.load(tmp_path / "z.npy")
    assert np.allclose(z, res["z"]) and np.all(np.abs(z) <= 2)
    assert np.max(np.abs(net.forward(z) - x[0])) <= 1e-6 * max(1.0, np.abs(x).max())
    assert np.allclose(z, z_star, atol=1e-6)  # an expanding random net: the pre-image is one point
    np.savetxt(tmp_path / "x.csv", x, delimiter=",")
    code, out, _ = cli("invert", tmp_path / "g.onnx", "--target", tmp_path / "x.csv", "--box", "2")
    assert code == 0 and "status=optimal" in out


def test_cli_float32_runtime_target_with_linf(torch, ort, cli, tmp_path):
    """A float32 model's output is (up to rounding) in the range: linf finds a residual at float32 level."""
    module = torch_mlp([3, 8, 16], True, 2).float()
    net = ReluNetwork.from_torch(module)
    net.to_onnx(tmp_path / "f.onnx", dtype="float32")
    z_star = np.array([0.5, -0.3, 0.8])
    np.save(tmp_path / "x.npy", ort_forward(tmp_path / "f.onnx", z_star[None, :]).astype(np.float32))
    code, out, err = cli(
        "invert", tmp_path / "f.onnx", "--target", tmp_path / "x.npy", "--norm", "linf", "--method", "milp", "--json"
    )
    assert code == 0, err
    res = json.loads(out)
    assert res["status"] in ("optimal", "feasible") and res["objective"] <= 1e-5


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("no_target", "--target: required with an .onnx model"),
        ("target_with_npz", "is an instance file, which carries its own target and box"),
        ("wrong_length", "target: expected shape (6,)"),
        ("nan_target", "target: contains NaN"),
        ("bad_model", "not a readable ONNX model"),
        ("negative", "is negative but the output layer is relu"),
        ("text_target", "not a readable array for target"),
    ],
)
def test_cli_onnx_input_errors(onnx, cli, tmp_path, case, fragment):
    net = ReluNetwork.random([2, 6], seed=0)
    net.to_onnx(tmp_path / "g.onnx")
    np.save(
        tmp_path / "x.npy",
        {"wrong_length": np.ones(5), "nan_target": np.full(6, np.nan), "negative": -np.ones(6)}.get(case, np.ones(6)),
    )
    model, extra = tmp_path / "g.onnx", ["--target", tmp_path / "x.npy"]
    if case == "no_target":
        extra = []
    elif case == "target_with_npz":
        from milpinv import plant_instance

        plant_instance(net, seed=0).save(tmp_path / "i.npz")
        model = tmp_path / "i.npz"
    elif case == "bad_model":
        (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage")
        model = tmp_path / "bad.onnx"
    elif case == "text_target":
        (tmp_path / "x.txt").write_text("1 2 three\n")
        extra = ["--target", tmp_path / "x.txt"]
    code, out, err = cli("invert", model, *extra)
    assert code == 2 and out == ""
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


# -------------------------------------------------------------------- example
def test_digits_example_runs_end_to_end(torch, capsys, tmp_path):
    """examples/digits_decoder.py, shrunk: train, convert, invert exactly, project, draw."""
    pytest.importorskip("sklearn")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "digits_decoder.py"
    spec = importlib.util.spec_from_file_location("digits_decoder", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(
        ["--epochs", "10", "--hidden", "8", "--count", "2", "--time-limit", "3", "--out", str(tmp_path / "d.png")]
    )
    out = capsys.readouterr().out
    assert out.count("exact optimal") == 2 and "onnxruntime residual" in out
    assert (tmp_path / "d.png").stat().st_size > 1000
