"""VNN-LIB properties decided on networks that are not all relu (issue 21): leaky_relu hidden
layers, relu / leaky_relu / linear / tanh / sigmoid outputs. Each region's truth comes from a
witness (a latent whose forward pass meets every bound, from the planted latent or a dense grid)
and from brute force over the activation pieces (one LP per pattern, tests/helpers.py)."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import brute_force
from hypothesis import given
from hypothesis import strategies as st

from milpinv import InputError, Instance, Measurement, ReluNetwork
from milpinv.bounds.interval import activation_range, interval_bounds
from milpinv.interop.vnnlib import parse_vnnlib, read_vnnlib, vnnlib_text, write_vnnlib
from milpinv.queries import decide, instance_outputs

BOX = (-np.ones(1), np.ones(1))


def one(w: float, b: float) -> tuple[list, list]:
    return [np.array([[w]])], [np.array([b])]


def prop(lower, upper, y_lo, y_hi):
    return parse_vnnlib(vnnlib_text(lower, upper, [(np.atleast_1d(y_lo), np.atleast_1d(y_hi))]))


def assert_sat(net, p):
    d = decide(net, p)
    assert d.verdict == "sat", d.summary()
    assert p.holds(d.x, net.forward(d.x))
    return d


# ------------------------------------------------------------------ the false unsat answers
def test_a_leaky_hidden_layer_stays_leaky():
    """G(z) = leaky_0.5(z), linear output: x = -0.25 has the pre-image z = -0.5 (restricting the
    outputs rebuilt the hidden layer as a relu, whose outputs are never negative)."""
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], activations=["leaky_relu:0.5", "linear"])
    inst = Instance(net, np.array([-0.25]), *BOX)
    d = assert_sat(net, prop(*BOX, *instance_outputs(inst)))
    assert d.x[0] == pytest.approx(-0.5) and d.regions[0]["runs"][0]["norm"] == "exact"


@pytest.mark.parametrize(
    ("act", "bias", "y"),
    [("sigmoid", -4.0, 0.017986), ("tanh", -3.0, -0.99505), ("leaky_relu:0.5", -3.0, -1.5)],
)
def test_an_output_range_goes_through_the_output_activation(act, bias, y):
    """act(z + bias) on [-1, 1] reaches y at z = 0; the range was read off the pre-activation
    bounds, which miss y ("interval misses its range")."""
    net = ReluNetwork(*one(1.0, bias), act)
    assert abs(net.forward(np.zeros(1))[0] - y) < 1e-5
    assert_sat(net, prop(*BOX, y - 1e-5, y + 1e-5))  # the depth question
    inst = Instance(net, net.forward(np.zeros(1)), *BOX)
    assert_sat(net, prop(*BOX, *instance_outputs(inst)))  # the exact-norm inversion


@pytest.mark.parametrize(("act", "y_lo", "y_hi"), [("tanh", 1.0, 2.0), ("sigmoid", -1.0, 0.0), ("tanh", -5.0, -1.0)])
def test_an_interval_beyond_the_activations_open_range_is_unsat(act, y_lo, y_hi):
    net = ReluNetwork(*one(30.0, 0.0), act)  # tanh(30) is 1.0 in float64, never over the reals
    d = decide(net, prop(*BOX, y_lo, y_hi))
    assert d.verdict == "unsat" and "range" in d.regions[0]["reason"]


def test_an_unreachable_corner_of_a_smooth_output_is_unsat_by_the_depth_question():
    """tanh(z1 + z2) and tanh(z1 - z2) both near tanh(1.9): z1 >= 1.9 is outside [-1, 1]^2, though
    each interval alone lies in its output's range."""
    W0 = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    W1 = np.array([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, 1.0]])
    net = ReluNetwork([W0, W1], [np.zeros(4), np.zeros(2)], activations=["leaky_relu:0.3", "tanh"])
    box = (-np.ones(2), np.ones(2))
    d = decide(net, prop(*box, np.tanh([1.9, 1.9]), np.tanh([2.0, 2.0])))
    assert d.verdict == "unsat" and "certified depth bound" in d.regions[0]["reason"]
    assert_sat(net, prop(*box, np.tanh([0.5, -0.5]), np.tanh([1.0, 0.5])))


def test_sparse_weights_are_decided_alike():
    """The depth question stacks and scales the output rows of a CSR matrix as of a dense one."""
    W0 = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    W1 = np.array([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, 1.0]])
    box = (-np.ones(2), np.ones(2))
    for weights in ([W0, W1], [sp.csr_matrix(W0), sp.csr_matrix(W1)]):
        net = ReluNetwork(weights, [np.zeros(4), np.zeros(2)], activations=["leaky_relu:0.3", "sigmoid"])
        y = net.activation(1)
        assert decide(net, prop(*box, y(np.array([1.9, 1.9])), y(np.array([2.0, 2.0])))).verdict == "unsat"
        assert_sat(net, prop(*box, [y(np.array(0.5)), -np.inf], [np.inf, y(np.array(0.1))]))


def test_activation_range_is_rounded_outward_where_sigmoid_underflows():
    sigmoid = ReluNetwork(*one(1.0, 0.0), "sigmoid").activation(0)
    lo, hi = activation_range(sigmoid, np.array([-720.0]), np.array([-719.0]))
    assert lo[0] <= 0.0 < 5.2e-313 <= hi[0]  # sigmoid(-719) = 5.19e-313; float64 sigmoid gives 0


def test_the_cli_decides_a_leaky_network_through_onnx(cli, tmp_path):
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], activations=["leaky_relu:0.5", "linear"])
    net.to_onnx(tmp_path / "n.onnx")
    write_vnnlib(tmp_path / "p.vnnlib", *BOX, [instance_outputs(Instance(net, np.array([-0.25]), *BOX))])
    code, out, err = cli(
        "invert", tmp_path / "n.onnx", "--vnnlib", tmp_path / "p.vnnlib", "--result-file", tmp_path / "r"
    )
    assert code == 0 and out.splitlines()[0] == "sat", (out, err)
    x = float((tmp_path / "r").read_text().splitlines()[1].split()[1].rstrip(")"))
    assert read_vnnlib(tmp_path / "p.vnnlib").holds(np.array([x]), net.forward(np.array([x])))


# ------------------------------------------------------------------ random networks and regions
HIDDEN = st.sampled_from(["relu", "leaky_relu:0.1", "leaky_relu:0.5"])
OUTPUT = st.sampled_from(["relu", "linear", "leaky_relu:0.3", "tanh", "sigmoid"])
GRID = 41


@st.composite
def networks(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n0 = draw(st.integers(1, 2))
    hidden = draw(st.lists(st.integers(2, 3), min_size=1, max_size=2))
    dims = [n0, *hidden, draw(st.integers(1, 3))]
    acts = [draw(HIDDEN) for _ in hidden] + [draw(OUTPUT)]
    weights = [rng.normal(0.0, 1.5 / np.sqrt(a), size=(b, a)) for a, b in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0.0, 0.5, size=b) for b in dims[1:]]
    lower = -rng.uniform(0.5, 2.0, n0) if draw(st.booleans()) else -np.ones(n0)
    upper = lower + rng.uniform(0.5, 3.0, n0)
    return ReluNetwork(weights, biases, activations=acts), lower, upper, rng


@st.composite
def queries(draw):
    """A network, its box and a region: intervals around G(z0) of a sampled z0 (sat), or moved
    off it, or random; some sides open, some outputs free."""
    net, lower, upper, rng = draw(networks())
    y0 = net.forward(rng.uniform(lower, upper))
    m = net.output_dim
    kind = draw(st.sampled_from(["around", "moved", "random"]))
    scale = np.maximum(np.abs(y0), 0.1)
    widths = np.array([draw(st.sampled_from([0.0, 1e-7, 1e-3, 0.05, 0.3, 1.0])) for _ in range(m)]) * scale
    centre = {"around": y0, "moved": y0 + rng.choice([-1, 1], m) * rng.uniform(0.05, 0.5, m) * scale}.get(
        kind, rng.uniform(-1.0, 1.0, m) + (net.output_activation == "sigmoid") * 0.5
    )
    y_lo, y_hi = centre - widths * rng.uniform(0.2, 1.0, m), centre + widths * rng.uniform(0.2, 1.0, m)
    sides = [draw(st.sampled_from(["both", "both", "lower", "upper", "free"])) for _ in range(m)]
    y_lo = np.where(np.isin(sides, ["upper", "free"]), -np.inf, y_lo)
    y_hi = np.where(np.isin(sides, ["lower", "free"]), np.inf, y_hi)
    return net, lower, upper, y0, y_lo, y_hi


def grid(lower, upper) -> np.ndarray:
    axes = [np.linspace(lo, hi, GRID) for lo, hi in zip(lower, upper)]
    return np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, lower.size)


def witnessed(net, lower, upper, y_lo, y_hi) -> bool:
    """Some grid latent's forward pass meets every bound."""
    y = net.forward(grid(lower, upper))
    return bool(np.any(np.all((y_lo <= y) & (y <= y_hi), axis=1)))


def pieces_meet(net, lower, upper, y_lo, y_hi, side: int) -> bool:
    """Brute force: some activation piece meets the intervals moved in (side -1) or out (+1) by
    1e-3 of their half-widths plus 1e-4 of their scale (open sides closed at the outputs' sound
    range on the box); moved in past their centre: False."""
    keep = np.isfinite(y_lo) | np.isfinite(y_hi)
    sub = Measurement.mask(keep).compose(net)
    out_lo, out_hi = activation_range(sub.activation(sub.depth - 1), *interval_bounds(sub, lower, upper)[-1])
    lo, hi = np.maximum(y_lo[keep], out_lo), np.minimum(y_hi[keep], out_hi)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    band = half + side * (1e-3 * half + 1e-4 * np.maximum(1.0, np.abs(centre)))
    if np.any(band < 0):
        return False
    return brute_force(sub, centre, "exact", lower, upper, band=band) is not None


@given(queries())
def test_decide_agrees_with_witnesses_and_brute_force(query):
    net, lower, upper, y0, y_lo, y_hi = query
    p = prop(lower, upper, y_lo, y_hi)
    d = decide(net, p)
    if d.verdict == "sat":
        assert np.all((lower <= d.x) & (d.x <= upper)) and p.holds(d.x, net.forward(d.x))
    if not np.any(np.isfinite(y_lo) | np.isfinite(y_hi)):
        assert d.verdict == "sat"
        return
    if witnessed(net, lower, upper, y_lo, y_hi):
        assert d.verdict != "unsat", d.summary()  # a latent meets every bound
    if pieces_meet(net, lower, upper, y_lo, y_hi, -1):
        assert d.verdict == "sat", d.summary()  # a pre-image with room to spare: found
    elif not pieces_meet(net, lower, upper, y_lo, y_hi, +1):
        assert d.verdict == "unsat", d.summary()  # none near the intervals: proven


@pytest.mark.parametrize("time_limit", ["5", -1.0, float("nan")])
def test_a_bad_time_limit_is_one_input_error(time_limit):
    """decide started its clock from the value unchecked: a text time limit was a TypeError."""
    net = ReluNetwork(*one(2.0, 0.5))
    with pytest.raises(InputError, match="^time_limit: expected a finite number > 0"):
        decide(net, prop(*BOX, 0.0, 1.0), time_limit=time_limit)
