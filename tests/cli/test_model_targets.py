"""``milpinv invert MODEL --target FILE [--box R]``: a network .npz takes a target as an .onnx model
does, and a target of any shape holding the model's number of outputs is read row-major, as the model
flattens its output (a runtime's (1, 1, H, W) array included); anything else is one line, exit 2."""

import json

import numpy as np
import pytest
from helpers import one_line_error

from milpinv import Measurement, ReluNetwork, plant_instance

SHAPES = [(64,), (1, 64), (64, 1), (1, 1, 8, 8), (4, 4, 4)]


@pytest.fixture
def planted(tmp_path):
    """An expanding network file (its pre-images are single points) and a planted z* in [-1, 1]^4."""
    net = ReluNetwork.random([4, 24, 64], seed=5, bias_scale=0.3)
    net.save(tmp_path / "net.npz")
    z_star = np.random.default_rng(5).uniform(-1, 1, 4)
    return net, z_star, net.forward(z_star)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_network_file_takes_a_target_of_any_shape(cli, tmp_path, planted, shape):
    net, z_star, x = planted
    np.save(tmp_path / "x.npy", x.reshape(shape))
    code, out, err = cli("invert", tmp_path / "net.npz", "--target", tmp_path / "x.npy", "--box", "1", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["status"] == "optimal" and np.allclose(res["z"], z_star, atol=1e-6)
    assert np.all(np.abs(res["z"]) <= 1)  # --box 1


def test_a_target_is_read_as_the_model_flattens_its_output(cli, tmp_path, planted):
    """Row-major: the (8, 8) image transposed is another target, and is not G(z*)."""
    net, _, x = planted
    np.save(tmp_path / "x.npy", x.reshape(8, 8).T.copy())
    code, out, err = cli("invert", tmp_path / "net.npz", "--target", tmp_path / "x.npy", "--box", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "infeasible"  # (a transposed image is not in the range here)


def test_a_measured_target_of_m_values_is_y(cli, tmp_path, planted):
    net, z_star, x = planted
    mask = np.arange(64) % 2
    np.save(tmp_path / "mask.npy", mask)
    np.save(tmp_path / "y.npy", Measurement.mask(mask).apply(x)[None, :])  # (1, 32)
    args = ["invert", tmp_path / "net.npz", "--target", tmp_path / "y.npy", "--mask", tmp_path / "mask.npy"]
    code, out, err = cli(*args, "--method", "milp", "--json")
    assert code == 0, err
    res = json.loads(out)
    assert res["status"] == "optimal" and res["measurement"]["kind"] == "mask"


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("batch_of_two", "target: an array of shape (2, 64) (128 values); the model has 64 outputs"),
        ("wrong_length", "target: expected shape (64,)"),
        ("instance_with_target", "is an instance file, which carries its own target and box"),
        ("instance_with_box", "--box: only with --target"),
        ("network_without_target", "missing 'target'"),
    ],
)
def test_what_cannot_be_read_is_one_line(cli, tmp_path, planted, case, fragment):
    net, z_star, x = planted
    target = {"batch_of_two": np.stack([x, x]), "wrong_length": x[:60]}.get(case, x)
    np.save(tmp_path / "x.npy", target)
    plant_instance(net, seed=0).save(tmp_path / "inst.npz")
    model = tmp_path / ("inst.npz" if case.startswith("instance") else "net.npz")
    extra = {"instance_with_box": ["--box", "2"], "network_without_target": []}.get(
        case, ["--target", tmp_path / "x.npy"]
    )
    one_line_error(*cli("invert", model, *extra), fragment)


def test_a_budgeted_auto_search_is_announced_once_and_not_with_verbose(cli, tmp_path):
    """auto under l1 / linf without --time-limit may search 1000 nodes for minutes: the CLI says so
    at the start (an outside user saw 85 s of silence); --verbose prints the progress instead, and a
    time limit or the exact norm have no budget to announce."""
    net = ReluNetwork.random([3, 8, 12], seed=3)
    inst = plant_instance(net, seed=1, noise=0.1)
    inst.save(tmp_path / "i.npz")
    code, _, err = cli("invert", tmp_path / "i.npz", "--norm", "l1")
    assert code == 0 and err.count("note: --norm l1 without --time-limit") == 1, err
    for extra in (["--norm", "l1", "--time-limit", "30"], ["--norm", "exact"], ["--norm", "l1", "--verbose"]):
        code, _, err = cli("invert", tmp_path / "i.npz", *extra)
        assert "searches up to" not in err, (extra, err)
