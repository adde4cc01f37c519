"""The paper's polynomial half: single-layer LPs (exact and noisy), layer-wise inversion,
gradient descent, and the invert CLI."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import milpinv
from milpinv import ReluNetwork, invert, plant_instance
from milpinv.tolerance import tolerance


@given(st.integers(1, 4), st.integers(0, 10**6))
def test_layerwise_answers_are_verified_and_unique_when_it_says_so(depth, seed):
    dims = [5] + [5 * 4 ** (k + 1) for k in range(depth)]
    net = ReluNetwork.random(dims, seed=seed)
    inst = plant_instance(net, seed=seed + 1)
    r = invert(inst, method="layerwise")
    assert r.status in ("optimal", "failed"), r.summary()
    if r.status == "optimal":
        assert r.residual_linf <= tolerance(inst.target)
        if all(layer["unique"] for layer in r.solver["layers"]):
            np.testing.assert_allclose(r.z, inst.planted_z, atol=1e-6)
            assert r.message == ""
        else:
            assert "may be one of many pre-images" in r.message
    else:
        assert r.z is None and "layer" in r.message


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_layerwise_recovers_planted_z_on_expanding_nets(depth):
    """The paper's regime (expansion 4 per layer, random Gaussian weights): exact recovery w.h.p."""
    recovered = 0
    for seed in range(10):
        net = ReluNetwork.random([6] + [6 * 4 ** (k + 1) for k in range(depth)], seed=seed)
        inst = plant_instance(net, seed=seed + 100)
        r = invert(inst, method="layerwise")
        recovered += r.status == "optimal" and np.allclose(r.z, inst.planted_z, atol=1e-6)
    assert recovered >= 8


def test_single_layer_exact_lp_and_uniqueness():
    net = ReluNetwork.random([6, 30], seed=1, bias_scale=0.5)
    inst = plant_instance(net, seed=2)
    r = invert(inst, method="lp")
    assert r.status == "optimal" and r.solver["preimage"] == {"unique": True, "dimension": 0}
    np.testing.assert_allclose(r.z, inst.planted_z, atol=1e-7)


def test_single_layer_detects_non_uniqueness():
    """Only 3 of 6 rows active at a point of a 4-D latent: the pre-image has dimension 1 or more."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 4))
    z = rng.normal(size=4)
    b = -W @ z
    b[:3] += 1.0  # rows 0-2 active (value 1), rows 3-5 inactive with margin
    b[3:] -= 1.0
    net = ReluNetwork([W], [b])
    r = invert(net, net.forward(z), method="lp", box=10.0)
    assert r.status == "optimal" and r.solver["preimage"]["unique"] is False
    assert r.solver["preimage"]["dimension"] == 1
    assert r.residual_linf <= 1e-9


def test_single_layer_infeasible_is_proven():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    net = ReluNetwork([W], [np.zeros(3)])
    r = invert(net, np.array([1.0, 1.0, 5.0]), method="lp")  # z1 + z2 = 2, not 5
    assert r.status == "infeasible" and r.z is None
    r = invert(net, np.array([1.0, 1.0, 2.0]), method="lp", box=0.5)  # outside the box
    assert r.status == "infeasible"


@pytest.mark.parametrize("norm", ["linf", "l1"])
@pytest.mark.parametrize("seed", range(4))
def test_noisy_single_layer_bound_is_certified(norm, seed):
    net = ReluNetwork.random([5, 40], seed=seed)
    inst = plant_instance(net, seed=seed, noise=0.05)
    r = invert(inst, method="lp", norm=norm)
    assert r.status in ("optimal", "feasible")
    planted = inst.meta[f"noise_{norm}"]
    assert r.bound <= planted + 1e-9  # a certified lower bound never exceeds the noise norm
    assert r.objective <= planted + 1e-9  # and the returned z does at least as well as the planted z
    assert r.bound <= r.objective + 1e-9


@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_noisy_layerwise_error_is_small(norm):
    net = ReluNetwork.random([5, 30, 120], seed=3)
    inst = plant_instance(net, seed=4, noise=0.01)
    r = invert(inst, method="layerwise", norm=norm)
    assert r.status == "feasible" and r.objective <= 2 * inst.meta[f"noise_{norm}"]
    assert np.linalg.norm(r.z - inst.planted_z) < 0.1


def test_layerwise_says_when_it_fails():
    net = ReluNetwork.random([10, 20, 20, 20], seed=0)  # not expanding: intermediate LPs are not unique
    inst = plant_instance(net, seed=1)
    r = invert(inst, method="layerwise")
    assert r.status in ("failed", "optimal")
    if r.status == "optimal":
        assert r.residual_linf <= tolerance(inst.target)
    else:
        assert r.z is None and "layer" in r.message


def test_gd_baseline_runs_and_is_seeded():
    net = ReluNetwork.random([4, 16, 32], seed=0)
    inst = plant_instance(net, seed=1)
    a, b = invert(inst, method="gd", seed=5), invert(inst, method="gd", seed=5)
    assert a.status in ("optimal", "failed") and np.array_equal(a.z, b.z)
    assert a.solver["iterations"] >= 1
    if a.status == "optimal":
        assert a.residual_linf <= tolerance(inst.target)


def test_auto_uses_layerwise_then_milp():
    easy = plant_instance(ReluNetwork.random([5, 20, 60], seed=0), seed=1)
    assert invert(easy).method == "auto:layerwise"
    hard = plant_instance(ReluNetwork.random([6, 12, 12, 6], seed=0), seed=1)
    r = invert(hard)
    assert r.status == "optimal" and r.residual_linf <= tolerance(hard.target)


def test_every_z_is_rechecked():
    """A method whose z does not reproduce the target is downgraded, never reported optimal."""
    from milpinv.acceptance import check_result
    from milpinv.result import InversionResult

    net = ReluNetwork.random([3, 9], seed=0)
    inst = plant_instance(net, seed=0)
    lie = InversionResult("optimal", inst.planted_z + 0.1, "fake")
    out = check_result(lie, net, inst.target, inst.lower, inst.upper)
    assert out.status == "failed" and "exceeds tolerance" in out.message and out.residual_linf > 0


def test_invert_rejects_bad_input():
    net = ReluNetwork.random([3, 6], seed=0)
    with pytest.raises(milpinv.InputError, match="target"):
        invert(net, np.ones(5))
    with pytest.raises(milpinv.InputError, match="negative"):
        invert(net, -np.ones(6))
    with pytest.raises(milpinv.InputError, match="target"):
        invert(net, np.full(6, np.nan))
    with pytest.raises(milpinv.InputError, match="method"):
        invert(net, np.ones(6), method="magic")
    with pytest.raises(milpinv.InputError, match="time_limit"):
        invert(net, np.ones(6), time_limit=-1)
    with pytest.raises(milpinv.InputError, match="single layer"):
        invert(ReluNetwork.random([3, 6, 9], seed=0), np.ones(9), method="lp")


# ------------------------------------------------------------------------------------ CLI
def test_cli_end_to_end(cli, tmp_path):
    assert cli("random-net", "--dims", "8,24,72", "--seed", "0", "--out", tmp_path / "n.npz")[0] == 0
    assert cli("make-instance", tmp_path / "n.npz", "--seed", "1", "--out", tmp_path / "i.npz")[0] == 0
    code, out, _ = cli("invert", tmp_path / "i.npz", "--method", "layerwise", "--json", "--out", tmp_path / "z.npy")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "optimal"
    assert {"status", "z", "residual_l1", "residual_linf", "objective", "method", "time_s"} <= set(doc)
    planted = milpinv.Instance.load(tmp_path / "i.npz").planted_z
    np.testing.assert_allclose(np.load(tmp_path / "z.npy"), planted, atol=1e-6)
    code, out, _ = cli("invert", tmp_path / "i.npz", "--method", "gd", "--norm", "l1")
    assert code == 0 and "status=" in out


def test_cli_noisy_and_infeasible(cli, tmp_path):
    cli("random-net", "--dims", "4,12", "--seed", "0", "--out", tmp_path / "n.npz")
    cli("make-instance", tmp_path / "n.npz", "--seed", "1", "--noise", "0.1", "--out", tmp_path / "i.npz")
    code, out, _ = cli("invert", tmp_path / "i.npz", "--method", "lp", "--norm", "linf", "--json")
    assert code == 0 and json.loads(out)["objective"] <= milpinv.Instance.load(tmp_path / "i.npz").meta["noise_linf"]
    code, _, err = cli("invert", tmp_path / "i.npz", "--method", "lp")
    assert code == 2 and "negative" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["random-net", "--dims", "3", "--out", "x.npz"], "two positive widths"),
        (["invert", "missing.npz"], "missing.npz"),
        (["invert", "x.npz", "--time-limit", "-2"], "positive"),
        (["make-instance", "missing.npz", "--out", "y.npz"], "missing.npz"),
    ],
)
def test_cli_errors_are_one_line(cli, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.npz").write_bytes(b"")
    try:
        code, out, err = cli(*args)
    except SystemExit as exc:  # argparse type errors exit with status 2
        code, err = exc.code, ""
    assert code == 2
    assert "Traceback" not in err


def test_layerwise_says_when_its_answer_is_one_of_many():
    net = ReluNetwork.random([6, 4], seed=3)  # fewer outputs than latents: a line of pre-images at least
    inst = plant_instance(net, seed=4)
    r = invert(inst, method="layerwise")
    assert r.status == "optimal" and r.residual_linf <= tolerance(inst.target)
    assert r.solver["layers"][0]["unique"] is False and "one of many" in r.message


def _layerwise_near_zero_case(seed: int, fraction: float) -> None:
    net = ReluNetwork.random([3, 10, 12], seed=seed, bias_scale=0.5)
    inst = plant_instance(net, seed=seed)
    x = inst.target.copy()
    x[inst.target == 0] = -fraction * tolerance(inst.target)
    clean = invert(net, inst.target, method="layerwise", box=3.0)
    near = invert(net, x, method="layerwise", box=3.0)
    assert near.status == clean.status, (near.message, clean.message)


@given(st.integers(0, 10**6), st.floats(0.01, 1.0))
def test_layerwise_reads_a_near_zero_negative_target_as_zero(seed, fraction):
    """Audit: a relu output of -3e-7 (within the tolerance of 0) made the output layer's exact LP
    infeasible, and the band LP that followed picked a hidden point the layer below could not reach
    (layer-wise `failed`). The exact target clipped onto the activation's range is tried first:
    layer-wise then answers as on the target with those entries at 0."""
    _layerwise_near_zero_case(seed, fraction)


@pytest.mark.parametrize("seed", [41, 52, 57])
def test_layerwise_near_zero_negative_target_seeds_that_failed(seed):
    _layerwise_near_zero_case(seed, 0.3)


def test_layerwise_names_why_a_layer_lp_gave_no_point():
    """Audit: README's 8-16-16-16 instance said "layer 1: LP solver status failed". HiGHS had
    said infeasible (the point computed for layer 2 is 0.37 from layer 1's image), with a ray
    whose certificate did not check while the inputs had no upper bound: the message says what
    happened (an unchecked certificate is named as such)."""
    net = ReluNetwork.random([8, 16, 16, 16], seed=0)
    r = invert(plant_instance(net, seed=1, box=3.0), method="layerwise")
    assert r.status == "failed"
    assert "layer 1: no input reaches the point computed for layer 2" in r.message, r.message
    assert "status failed" not in r.message


@pytest.mark.parametrize("seed", [0, 1])  # seed 2: the output layer alone reaches the target
def test_layerwise_proves_an_out_of_range_target_on_an_expanding_net(seed):
    """Audit: the output layer's LP over hidden inputs in [0, inf) came back infeasible with a
    Farkas ray whose reduced costs, rounded a hair below 0 on unbounded columns, did not check:
    layer-wise said `failed` on every out-of-range target of a 4-40-80 net. Its inputs are now
    bounded by interval arithmetic from the box (every reachable hidden value lies inside), and the
    certificate checks; the MILP agrees."""
    net = ReluNetwork.random([4, 40, 80], seed=seed)
    x = plant_instance(net, seed=1).target
    x = x * (1 + 0.01 * np.random.default_rng(seed).standard_normal(x.size))
    r = invert(net, x, method="layerwise", box=3.0)
    assert r.status == "infeasible", r.message
    assert invert(net, x, method="milp", box=3.0).status == "infeasible"
