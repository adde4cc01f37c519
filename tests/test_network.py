"""ReluNetwork: forward pass, patterns, random model, file round trips, validation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork


def test_forward_matches_manual_composition():
    rng = np.random.default_rng(0)
    W0, b0, W1, b1 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(4, 5)), rng.normal(size=4)
    net = ReluNetwork([W0, W1], [b0, b1])
    z = rng.normal(size=3)
    expect = np.maximum(W1 @ np.maximum(W0 @ z + b0, 0) + b1, 0)
    assert np.allclose(net.forward(z), expect)
    lin = ReluNetwork([W0, W1], [b0, b1], output_activation="linear")
    assert np.allclose(lin.forward(z), W1 @ np.maximum(W0 @ z + b0, 0) + b1)


@given(st.integers(1, 4), st.integers(0, 10_000), st.integers(1, 6))
def test_batched_forward_equals_rowwise(depth, seed, batch):
    dims = [3] + [4 + k for k in range(depth)]
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    Z = np.random.default_rng(seed).normal(size=(batch, 3))
    out = net.forward(Z)
    assert out.shape == (batch, dims[-1])
    for i in range(batch):
        assert np.allclose(out[i], net.forward(Z[i]), rtol=1e-12, atol=1e-12)
    pats = net.activation_pattern(Z[0])
    assert [p.shape[0] for p in pats] == dims[1:]
    assert np.array_equal(pats[-1], net.pre_activations(Z[0])[-1] > 0)


def test_random_model_statistics_and_seed():
    net = ReluNetwork.random([200, 400], seed=3)
    w = net.weights[0]
    assert net.dims == (200, 400)
    assert abs(w.var() * 200 - 1.0) < 0.05  # N(0, 1/n_in)
    assert np.all(net.biases[0] == 0)
    assert np.array_equal(ReluNetwork.random([200, 400], seed=3).weights[0], w)
    assert not np.array_equal(ReluNetwork.random([200, 400], seed=4).weights[0], w)


def test_save_load_round_trip(tmp_path):
    net = ReluNetwork.random([4, 8, 6], seed=1, bias_scale=0.3, output_activation="linear")
    net.save(tmp_path / "n.npz")
    back = ReluNetwork.load(tmp_path / "n.npz")
    assert back.dims == net.dims and back.output_activation == "linear"
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "weights,biases,needle",
    [
        ([np.ones((3, 2)), np.ones((4, 5))], None, "W1"),
        ([np.ones((3, 2))], [np.ones(4)], "b0"),
        ([np.array([[1.0, np.nan]])], None, "NaN"),
        ([np.array([[1.0, np.inf]])], None, "W0"),
        ([], None, "at least one layer"),
        ([np.ones(3)], None, "2-d"),
        ([np.array([["a", "b"]])], None, "dtype"),
    ],
)
def test_bad_networks_name_the_field(weights, biases, needle):
    with pytest.raises(InputError, match=needle):
        ReluNetwork(weights, biases)


def test_bad_forward_input():
    net = ReluNetwork.random([3, 5], seed=0)
    with pytest.raises(InputError, match="z: expected shape"):
        net.forward(np.zeros(4))
    with pytest.raises(InputError, match="NaN"):
        net.forward(np.array([0.0, np.nan, 1.0]))


def test_is_integral():
    assert ReluNetwork([np.array([[1.0, -2.0]])], [np.array([3.0])]).is_integral()
    assert not ReluNetwork.random([2, 3], seed=0).is_integral()
