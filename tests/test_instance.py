"""Instance files: planting, round trips, and every bad input giving a clear error."""

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from milpinv import InputError, Instance, ReluNetwork, plant_instance
from milpinv.files import write_npz


def test_plant_is_consistent_and_round_trips(tmp_path):
    net = ReluNetwork.random([5, 12, 20], seed=2)
    inst = plant_instance(net, seed=7, box=2.0)
    z = inst.planted_z
    assert np.all(np.abs(z) <= 2.0)
    assert np.allclose(net.forward(z), inst.target)
    inst.save(tmp_path / "i.npz")
    back = Instance.load(tmp_path / "i.npz")
    assert np.array_equal(back.target, inst.target)
    assert np.array_equal(back.lower, inst.lower) and np.array_equal(back.upper, inst.upper)
    assert back.meta["planted_z"] == inst.meta["planted_z"]
    assert back.meta["known_answer"] == "feasible"


def test_noisy_instance_keeps_negative_targets(tmp_path):
    net = ReluNetwork.random([4, 30], seed=0)
    inst = plant_instance(net, seed=0, noise=0.5)
    assert inst.meta["noise"] == 0.5 and np.any(inst.target < 0)
    inst.save(tmp_path / "n.npz")
    assert Instance.load(tmp_path / "n.npz").meta["noise_linf"] == pytest.approx(inst.meta["noise_linf"])


def _arrays(**override):
    net = ReluNetwork.random([3, 4], seed=0)
    arrays = net.to_arrays()
    arrays.update(
        target=np.abs(np.ones(4)), latent_lower=-np.ones(3), latent_upper=np.ones(3), meta=np.array(json.dumps({}))
    )
    arrays.update(override)
    return {k: v for k, v in arrays.items() if v is not None}


@pytest.mark.parametrize(
    "override,needle",
    [
        ({"target": np.array([1.0, -0.5, 0.0, 1.0])}, r"target\[1\].*negative.*no preimage"),
        ({"target": np.ones(5)}, r"target: expected shape \(4,\)"),
        ({"target": np.array([1.0, np.nan, 0, 0])}, "target: contains NaN"),
        ({"latent_lower": np.array([2.0, 0, 0])}, r"latent_lower\[0\].*exceeds latent_upper\[0\]"),
        ({"latent_upper": np.ones(2)}, "latent_upper: expected shape"),
        ({"W0": np.ones((4, 3, 1))}, "W0: expected a 2-d"),
        ({"b0": None}, "b0: missing"),
        ({"target": None}, "missing 'target'"),
        ({"meta": np.array("{not json")}, "meta: not valid JSON"),
        ({"W0": np.full((4, 3), np.inf)}, "W0: contains NaN or inf"),
    ],
)
def test_bad_instance_files(tmp_path, override, needle):
    path = tmp_path / "bad.npz"
    write_npz(path, _arrays(**override))
    with pytest.raises(InputError, match=needle):
        Instance.load(path)


def test_unreadable_files(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        Instance.load(empty)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match="not a readable .npz"):
        Instance.load(junk)
    with pytest.raises(InputError, match="no such file"):
        Instance.load(tmp_path / "missing.npz")
    good = tmp_path / "good.npz"
    write_npz(good, _arrays())
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match="not a readable"):
        Instance.load(trunc)


def test_cli_random_net_and_make_instance(tmp_path, cli):
    code, out, _ = cli("random-net", "--dims", "4,10,20", "--seed", "3", "--out", tmp_path / "n.npz")
    assert code == 0 and "4-10-20" in out
    code, _, _ = cli("make-instance", tmp_path / "n.npz", "--seed", "1", "--box", "2", "--out", tmp_path / "i.npz")
    assert code == 0
    inst = Instance.load(tmp_path / "i.npz")
    assert np.allclose(inst.network.forward(inst.planted_z), inst.target)
    assert np.all(inst.upper == 2.0)


def test_cli_bad_input_is_one_line(tmp_path, cli):
    (tmp_path / "e.npz").write_bytes(b"")
    code, out, err = cli("invert", tmp_path / "e.npz")
    assert code == 2 and err.count("\n") == 1 and "empty file" in err and "Traceback" not in err
    code, _, err = cli("make-instance", tmp_path / "missing.npz", "--out", tmp_path / "x.npz")
    assert code == 2 and "no such file" in err


def test_written_files_get_the_usual_mode(tmp_path):
    """Atomic writes go through a private temporary file; the result must not stay owner-only."""
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    plant_instance(ReluNetwork.random([2, 4], seed=0), seed=1).save(tmp_path / "i.npz")
    assert (tmp_path / "i.npz").stat().st_mode & 0o777 == 0o666 & ~mask


@settings(max_examples=10)
@given(st.integers(0, 1000), st.floats(0.01, 1.0))
def test_a_negative_relu_target_within_the_tolerance_is_met_by_zero(seed, fraction):
    """Audit: an exact-norm relu-output entry of -3e-7 was refused as "no pre-image exists", yet
    G(z) = 0 meets it within the tolerance 1e-6 max(1, |x|). Within the tolerance it is accepted
    (and inverted), beyond it refused."""
    from milpinv import invert
    from milpinv.tolerance import tolerance

    net = ReluNetwork.random([3, 10, 12], seed=seed, bias_scale=0.5)
    inst = plant_instance(net, seed=seed)
    zeros = np.flatnonzero(inst.target == 0)
    assume(zeros.size)
    x = inst.target.copy()
    x[zeros[0]] = -fraction * tolerance(inst.target)
    near = Instance(net, x, inst.lower, inst.upper)
    r = invert(near, method="milp")
    assert r.status == "optimal" and np.abs(net.forward(r.z) - x).max() <= tolerance(x)
    x[zeros[0]] = -2.0 * tolerance(inst.target)
    with pytest.raises(InputError, match="is negative"):
        Instance(net, x, inst.lower, inst.upper)


def test_the_audited_negative_target_on_the_command_line(tmp_path, cli):
    net = ReluNetwork([np.array([[1.0], [-1.0]])], [np.zeros(2)])  # (relu(z), relu(-z))
    write_npz(
        tmp_path / "i.npz",
        {**net.to_arrays(), "target": np.array([0.5, -3e-7]), "latent_lower": [-1.0], "latent_upper": [1.0]},
    )
    code, out, err = cli("invert", tmp_path / "i.npz")
    assert code == 0 and "status=optimal" in out, (out, err)
