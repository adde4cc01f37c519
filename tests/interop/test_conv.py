"""Convolutional generators: Conv2d / ConvTranspose2d / BatchNorm / reshapes from torch and ONNX,
checked against torch (float64) and onnxruntime; the refusals; one exact inversion.

onnxruntime has no double ConvTranspose kernel: ONNX exports of conv models are float32 and agree
up to float32 rounding; to_onnx writes dense float64 Gemms.
"""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork, invert

torch = pytest.importorskip("torch")
nn = torch.nn


def torch_out(module, z: np.ndarray, shape) -> np.ndarray:
    with torch.no_grad():
        x = module.double()(torch.from_numpy(z.reshape(len(z), *shape)))
    return x.numpy().reshape(len(z), -1)


def close(a, b, rel):
    return a.shape == b.shape and np.max(np.abs(a - b)) <= rel * max(1.0, float(np.max(np.abs(b))))


def random_bn(channels: int, rng, dim: int = 2):
    bn = (nn.BatchNorm2d if dim == 2 else nn.BatchNorm1d)(channels)
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rng.normal(size=channels)))
        bn.running_var.copy_(torch.from_numpy(rng.uniform(0.3, 3.0, size=channels)))
        bn.weight.copy_(torch.from_numpy(rng.normal(size=channels)))
        bn.bias.copy_(torch.from_numpy(rng.normal(size=channels)))
    return bn


@st.composite
def conv_stacks(draw):
    """(module in eval mode, latent shape (C, H, W)): 1-3 conv / transposed conv layers with random
    stride, padding, output padding and kernel, optional BN, ReLU / LeakyReLU between, and a
    Tanh, Sigmoid or no output activation."""
    seed = draw(st.integers(0, 10_000))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    layers, channels = [], shape[0]
    n = draw(st.integers(1, 3))
    for k in range(n):
        out, kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
        pad = draw(st.integers(0, kernel - 1))
        if draw(st.booleans()):
            op = draw(st.integers(0, stride - 1))
            layers.append(
                nn.ConvTranspose2d(channels, out, kernel, stride, pad, output_padding=op, bias=draw(st.booleans()))
            )
        else:
            layers.append(nn.Conv2d(channels, out, kernel, stride, pad, bias=draw(st.booleans())))
        if draw(st.booleans()):
            layers.append(random_bn(out, rng))
        if k < n - 1:
            layers.append(nn.LeakyReLU(draw(st.sampled_from([0.01, 0.2]))) if draw(st.booleans()) else nn.ReLU())
        channels = out
    layers += [draw(st.sampled_from([nn.Tanh, nn.Sigmoid, nn.Identity]))()]
    module = nn.Sequential(*layers).double().eval()
    try:
        with torch.no_grad():
            module(torch.zeros(1, *shape, dtype=torch.float64))
    except RuntimeError:  # a kernel larger than its padded input
        assume(False)
    return module, shape


@given(conv_stacks())
def test_conv_stacks_agree_with_torch_in_float64(case):
    module, shape = case
    net = ReluNetwork.from_torch(module, shape)
    z = np.random.default_rng(0).normal(size=(8, int(np.prod(shape))))
    assert close(net.forward(z), torch_out(module, z, shape), 1e-12)


def export(module, shape, path) -> None:
    """torch.onnx.export (TorchScript exporter), float32, dynamic batch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.float(),
            (torch.zeros(1, *shape),),
            str(path),
            input_names=["z"],
            output_names=["x"],
            dynamic_axes={"z": {0: "batch"}, "x": {0: "batch"}},
            dynamo=False,
        )


def ort_out(path, z: np.ndarray, shape) -> np.ndarray:
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    dtype = np.float64 if inp.type == "tensor(double)" else np.float32
    return sess.run(None, {inp.name: z.reshape(len(z), *shape).astype(dtype)})[0].reshape(len(z), -1).astype(float)


@settings(max_examples=10)
@given(conv_stacks())
def test_onnx_exports_of_conv_stacks_agree_with_onnxruntime(case):
    pytest.importorskip("onnxsim")
    import tempfile
    from pathlib import Path

    module, shape = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        export(module, shape, path)
        net = ReluNetwork.from_onnx(path)
        z = np.random.default_rng(1).normal(size=(6, int(np.prod(shape))))
        assert close(net.forward(z), ort_out(path, z, shape), 1e-5)


class ViewGenerator(nn.Module):
    """Linear, then ``view`` (torch's exporter emits Shape / Gather / Concat / Reshape for it)."""

    def __init__(self):
        super().__init__()
        self.fc, self.up = nn.Linear(3, 12), nn.ConvTranspose2d(3, 2, 3, 2, 1, output_padding=1)

    def forward(self, z):
        return torch.sigmoid(self.up(torch.relu(self.fc(z)).view(-1, 3, 2, 2)).reshape(z.shape[0], -1))


def unflatten_generator():
    rng = np.random.default_rng(2)
    return nn.Sequential(
        nn.Linear(3, 12),
        random_bn(12, rng, dim=1),
        nn.ReLU(),
        nn.Unflatten(1, (3, 2, 2)),
        nn.ConvTranspose2d(3, 2, 4, 2, 1),
        random_bn(2, rng),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2, 2, 3, 1, 1),
        nn.Flatten(),
        nn.Linear(32, 5),
        nn.Tanh(),
    ).eval()


@pytest.mark.parametrize("make", [unflatten_generator, ViewGenerator])
def test_torch_exports_with_unflatten_view_and_flatten(make, tmp_path):
    """The exporter's shape arithmetic (Shape, Gather, Mod, Div, Concat, Unsqueeze) is folded by onnxsim."""
    pytest.importorskip("onnxsim")
    torch.manual_seed(0)
    module = make().eval()
    export(module, (3,), tmp_path / "g.onnx")
    net = ReluNetwork.from_onnx(tmp_path / "g.onnx")
    z = np.random.default_rng(3).normal(size=(7, 3))
    assert close(net.forward(z), ort_out(tmp_path / "g.onnx", z, (3,)), 1e-5)
    if make is unflatten_generator:
        assert close(ReluNetwork.from_torch(module).forward(z), torch_out(module, z, (3,)), 1e-12)


def test_missing_onnxsim_is_one_line(tmp_path, monkeypatch):
    import sys

    export(unflatten_generator(), (3,), tmp_path / "g.onnx")
    monkeypatch.setitem(sys.modules, "onnxsim", None)
    from milpinv.errors import MilpinvError

    with pytest.raises(MilpinvError, match=r"needs onnxsim: pip install 'milpinv\[onnx\]'") as err:
        ReluNetwork.from_onnx(tmp_path / "g.onnx")
    assert "\n" not in str(err.value)


class Generator(nn.Module):
    """The DCGAN tutorial's generator, shrunk: latent (N, nz, 1, 1) -> 1 x 16 x 16."""

    def __init__(self, nz=4, ngf=4):
        super().__init__()
        self.ngpu = 1
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.main(x)


class Children(nn.Module):
    """No Sequential: the children in order."""

    def __init__(self):
        super().__init__()
        self.up, self.act, self.conv = nn.ConvTranspose2d(2, 3, 3, 2), nn.LeakyReLU(0.1), nn.Conv2d(3, 1, 2)

    def forward(self, x):
        return self.conv(self.act(self.up(x)))


class Skip(Children):
    def forward(self, x):
        h = self.act(self.up(x))
        return self.conv(h + 1.0)


@pytest.mark.parametrize("shape", [(4,), (4, 1, 1), None])
def test_dcgan_generator_module(shape, tmp_path):
    torch.manual_seed(1)
    g = Generator()
    for m in g.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
    g.eval()
    net = ReluNetwork.from_torch(g, shape)
    assert net.dims == (4, 256, 512, 256) and net.output_activation == "tanh"
    assert net.sparse
    z = np.random.default_rng(0).normal(size=(5, 4))
    assert close(net.forward(z), torch_out(g, z, (4, 1, 1)), 1e-12)
    net.to_onnx(tmp_path / "g.onnx")  # sparse layers written as dense Gemms
    assert close(ort_out(tmp_path / "g.onnx", z, (4,)), net.forward(z), 1e-12)
    back = ReluNetwork.from_onnx(tmp_path / "g.onnx")
    assert close(back.forward(z), net.forward(z), 1e-12)


def test_generator_children_in_order_and_a_forward_that_differs():
    torch.manual_seed(2)
    module = Children().eval()
    net = ReluNetwork.from_torch(module, (2, 3, 3))
    z = np.random.default_rng(0).normal(size=(4, 18))
    assert close(net.forward(z), torch_out(module, z, (2, 3, 3)), 1e-12)
    with pytest.raises(InputError, match="module Skip: its forward is not its layers in order") as err:
        ReluNetwork.from_torch(Skip().eval(), (2, 3, 3))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "layer, fragment",
    [
        (lambda: nn.Conv2d(2, 2, 3, groups=2), r"layer 0 \('0', Conv2d\): groups=2 is not supported"),
        (lambda: nn.ConvTranspose2d(2, 2, 3, dilation=2), r"layer 0 \('0', ConvTranspose2d\): dilation=\(2, 2\)"),
        (lambda: nn.Conv2d(2, 2, 3, padding_mode="circular"), "padding_mode='circular' is not supported"),
        (lambda: nn.Conv2d(2, 2, 3, padding="same"), "padding='same' is not supported"),
        (lambda: nn.MaxPool2d(2), r"layer 0 \('0', MaxPool2d\): unsupported layer; milpinv reads Linear, Conv2d"),
        (lambda: nn.Conv2d(3, 2, 3), "expects 3 input channels but the previous layer gives 2"),
    ],
)
def test_torch_refusals_are_one_line(layer, fragment):
    module = nn.Sequential(layer(), nn.ReLU(), nn.Flatten(), nn.Linear(2, 1))
    with pytest.raises(InputError, match=fragment) as err:
        ReluNetwork.from_torch(module, (2, 5, 5))
    assert "\n" not in str(err.value)


def test_batchnorm_in_training_mode_is_refused():
    module = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    with pytest.raises(InputError, match="BatchNorm in training mode"):
        ReluNetwork.from_torch(module)


@pytest.mark.parametrize("attr, value", [("group", 2), ("dilations", [2, 2])])
def test_onnx_conv_refusals_are_one_line(tmp_path, attr, value):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    kernel = np.ones((2, 2 // (value if attr == "group" else 1), 3, 3))
    node = helper.make_node("Conv", ["z", "K"], ["x"], name="c0", **{attr: value})
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("z", TensorProto.DOUBLE, ["batch", 2, 6, 6])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", "c", "h", "w"])],
        initializer=[numpy_helper.from_array(kernel, "K")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(InputError, match=rf"node 0 'c0' \(Conv\): {attr}=.* is not supported") as err:
        ReluNetwork.from_onnx(tmp_path / "m.onnx")
    assert "\n" not in str(err.value)


def test_small_conv_generator_is_inverted_exactly():
    """Latent 2 -> ConvTranspose2d to 3 x 2 x 2 -> BN -> ReLU -> ConvTranspose2d to 1 x 4 x 4 -> ReLU
    -> Conv2d 3x3 pad 1 -> Sigmoid: the MILP finds a pre-image of G(z*) and the forward pass checks it."""
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    module = nn.Sequential(
        nn.ConvTranspose2d(2, 3, 2),
        random_bn(3, rng),
        nn.ReLU(),
        nn.ConvTranspose2d(3, 1, 2, stride=2),
        nn.ReLU(),
        nn.Conv2d(1, 2, 3, padding=1),
        nn.Sigmoid(),
    ).eval()
    net = ReluNetwork.from_torch(module, (2,))
    assert net.dims == (2, 12, 16, 32) and net.sparse
    z_star = np.array([0.7, -0.4])
    x = net.forward(z_star)
    res = invert(net, x, method="milp", box=2.0, time_limit=60)
    assert res.status == "optimal"
    assert np.max(np.abs(net.forward(res.z) - x)) <= 1e-6 * max(1.0, np.abs(x).max())
    assert close(torch_out(module, res.z[None, :], (2, 1, 1))[0][None], x[None], 1e-6)
