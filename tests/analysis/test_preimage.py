"""Pre-image analysis: the paper's non-convex example, pieces against brute force, convexity
verdicts checked by forward passes, the CLI."""

import itertools
import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Instance, ReluNetwork, plant_instance
from milpinv.analysis.preimage import Piece, PreimageOptions, analyse_preimage, midpoint_test, nonconvexity_witness
from milpinv.cli.main import main
from milpinv.deadline import Deadline
from milpinv.formulations.blocks import OutputSpec
from milpinv.formulations.pieces import piece_model
from milpinv.milp.build import ModelSpec, build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.solvers import Solver, get_solver, solve
from milpinv.solvers.outcome import Outcome
from milpinv.status import Status
from milpinv.tolerance import tolerance

ABS = ReluNetwork([np.array([[1.0], [-1.0]]), np.array([[1.0, 1.0]])], [np.zeros(2), np.zeros(1)])  # |z|
W_DIAMOND = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])


def diamond(offset: float) -> ReluNetwork:
    """relu(|z1| + |z2| + offset)."""
    return ReluNetwork([W_DIAMOND, np.ones((1, 4))], [np.zeros(4), np.array([offset])])


def box(n, r=2.0):
    return Box.around(n, r)


def test_paper_example_two_points():
    """relu(relu(z) + relu(-z)) = |z| = 1: pre-image {-1, 1}, not convex, two components."""
    rep = analyse_preimage(ABS, np.array([1.0]), box(1))
    assert rep.status == "nonempty" and not rep.single_point
    assert rep.lower[0] == pytest.approx(-1.0, abs=1e-7) and rep.upper[0] == pytest.approx(1.0, abs=1e-7)
    assert sorted(rep.patterns) == ["01", "10"]
    assert rep.components == 2 and rep.graph.number_of_edges() == 0
    assert rep.convex == "no"
    w = rep.witness
    assert sorted([w["z1"][0], w["z2"][0]]) == pytest.approx([-1.0, 1.0])
    assert ABS.forward(0.5 * (np.array(w["z1"]) + np.array(w["z2"])))[0] == pytest.approx(0.0)


def test_diamond_boundary_is_a_cycle_of_four_segments():
    rep = analyse_preimage(diamond(0.0), np.array([1.0]), box(2))
    assert len(rep.pieces) == 4 and rep.components == 1
    assert nx.is_isomorphic(rep.graph, nx.cycle_graph(4))
    assert rep.convex == "no"
    assert len(rep.patterns) > 4  # degenerate patterns (a neuron at 0) are found, then absorbed


def test_midpoint_milp_decides_both_ways():
    net = diamond(0.0)
    form, _ = build_model(Problem.of(net, np.array([1.0]), Norm.EXACT, box(2)), ModelSpec(bounds="lp"))
    verdict, w = midpoint_test(net, np.array([1.0]), form, box(2))
    assert verdict == "no"
    mid = 0.5 * (np.array(w["z1"]) + np.array(w["z2"]))
    assert max(w["residuals"]) <= 1e-6 and abs(net.forward(mid)[0] - 1.0) > 1e-3
    # relu(|z1| + |z2| - 1) = 0: the filled diamond, convex
    filled = analyse_preimage(diamond(-1.0), np.array([0.0]), box(2), PreimageOptions(pieces=False))
    assert filled.convex == "yes"
    assert filled.lower == pytest.approx([-1, -1], abs=1e-7) and filled.upper == pytest.approx([1, 1], abs=1e-7)


@pytest.mark.parametrize("dims", [[3, 15, 60], [4, 16, 32, 64]])
def test_expanding_planted_instance_is_a_single_point(dims):
    """Expansion >= 4 with random weights: unique with high probability (the paper); at 3-9-27
    seed 3 the pre-image is a segment of width 0.07, which the analysis reports."""
    inst = plant_instance(ReluNetwork.random(dims, seed=3), seed=4)
    rep = analyse_preimage(inst.network, inst.target, Box(inst.lower, inst.upper))
    assert rep.single_point and rep.convex == "yes" and rep.components == 1
    z = inst.planted_z
    assert np.all(rep.lower <= z + 1e-7) and np.all(z <= rep.upper + 1e-7)
    assert np.abs(rep.pieces[0].points[0] - z).max() < 1e-6


class LyingMilps(Solver):
    """HiGHS for LPs; every MILP answered by ``lie`` (a floating-point engine gone wrong)."""

    name = "liar"

    def __init__(self, lie) -> None:
        self.lie, self.highs = lie, get_solver("highs")
        self.supported = self.highs.supported

    def _solve(self, model, options, warm_start):
        if model.integrality is not None and model.integrality.any():
            return self.lie(model)
        return self.highs.solve(model, options, warm_start)


@pytest.mark.parametrize(
    "lie",
    [
        lambda model: Outcome(Status.INFEASIBLE),
        lambda model: Outcome(Status.OPTIMAL, bound=0.1 if model.c.sum() > 0 else -0.1),
    ],
    ids=["says-empty", "ranges-too-tight"],
)
def test_a_lying_milp_engine_never_makes_a_wrong_claim(lie):
    """Audit reproducer (10-30-30-60: HiGHS's MILP said "empty" with a planted pre-image): the
    emptiness verdict and every range side come from the certified MILP, whatever the engine says."""
    rep = analyse_preimage(ABS, np.array([1.0]), box(1), PreimageOptions(solver=LyingMilps(lie), convexity=False))
    assert rep.status == "nonempty"
    assert rep.lower[0] <= -1.0 and rep.upper[0] >= 1.0  # the pre-image {-1, 1} lies inside
    assert rep.lower[0] >= -1.0 - 1e-5 and rep.upper[0] <= 1.0 + 1e-5  # ... and the edges were proven


def test_midpoint_milp_measures_zero_target_relu_outputs():
    """Audit reproducer: relu(1 - relu(z1) - relu(z2)) = 0 is an L-shaped set (relu(z1) + relu(z2)
    >= 1); the midpoint MILP left the output unmeasured (x = 0: no h in the l1 model) and said convex."""
    net = ReluNetwork([np.eye(2), np.array([[-1.0, -1.0]])], [np.zeros(2), np.array([1.0])])
    rep = analyse_preimage(net, np.array([0.0]), box(2), PreimageOptions(pieces=False))
    assert rep.convex == "no", rep.convex_reason
    u, v = np.array(rep.witness["z1"]), np.array(rep.witness["z2"])
    assert max(net.forward(u)[0], net.forward(v)[0]) <= 1e-6 and net.forward(0.5 * (u + v))[0] > 1e-3


def test_empty_only_for_exact_equality_is_said_so():
    """Audit reproducer: G(z) = (z, z), x = (0.5, 0.5 + 8e-7): no exact pre-image (bound
    tightening proves it), yet z = 0.5000004 meets x within the tolerance, so `invert` says
    optimal: the report must not say `empty`."""
    net = ReluNetwork([np.array([[1.0], [1.0]])], [np.zeros(2)], activations=("linear",))
    rep = analyse_preimage(net, np.array([0.5, 0.5 + 8e-7]), box(1))
    assert rep.status == "nonempty" and "within the tolerance" in rep.message, rep.message


def test_empty_preimage():
    # |z| = 3 has no solution in [-2, 2]
    rep = analyse_preimage(ABS, np.array([3.0]), box(1))
    assert rep.status == "empty" and not rep.pieces


def brute_patterns(net: ReluNetwork, x, lower, upper) -> set[str]:
    """Labels of every hidden pattern whose piece meets the pre-image, one LP each."""
    widths = net.dims[1:-1]
    found = set()
    for bits in itertools.product([False, True], repeat=sum(widths)):
        pattern, i = [], 0
        for w in widths:
            pattern.append(np.array(bits[i : i + w]))
            i += w
        pattern.append(x > 0)
        if solve(piece_model(net, pattern, OutputSpec(x, "exact"), Box(lower, upper)), "highs").status == "optimal":
            found.add("/".join("".join("1" if b else "0" for b in m) for m in pattern[:-1]))
    return found


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([[2, 3, 2], [2, 3, 3, 2], [3, 4, 3], [1, 3, 3, 1]]))
def test_pieces_match_brute_force_and_verdicts_hold(seed, dims):
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    rng = np.random.default_rng(seed)
    lower, upper = box(dims[0], 1.5)
    z0 = rng.uniform(-1.5, 1.5, dims[0])
    x = net.forward(z0)
    rep = analyse_preimage(net, x, Box(lower, upper))
    assert set(rep.patterns) == brute_patterns(net, x, lower, upper)
    assert np.all(rep.lower <= z0 + 1e-7) and np.all(z0 <= rep.upper + 1e-7)
    tol = tolerance(x)
    points = [p for piece in rep.pieces for p in piece.points]
    for p in points:
        assert np.abs(net.forward(p) - x).max() <= tol
        assert np.all(p >= rep.lower - 1e-7) and np.all(p <= rep.upper + 1e-7)
    if rep.convex == "yes":  # every midpoint of pre-image points is a pre-image
        for u, v in itertools.combinations(points, 2):
            assert np.abs(net.forward(0.5 * (u + v)) - x).max() <= 1e3 * tol
    if rep.convex == "no" and rep.witness and "z1" in rep.witness:
        w = rep.witness
        assert np.abs(net.forward(0.5 * (np.array(w["z1"]) + np.array(w["z2"]))) - x).max() > 1e3 * tol
    if rep.single_point:
        assert rep.convex == "yes" and len(rep.pieces) == 1


def test_unstable_limit_is_reported():
    inst = plant_instance(ReluNetwork.random([6, 8, 8, 8], seed=0), seed=1)
    rep = analyse_preimage(
        inst.network, inst.target, Box(inst.lower, inst.upper), PreimageOptions(max_unstable=2, convexity=False)
    )
    assert not rep.pieces and "unstable" in rep.message


def test_cli_text_json_and_graph(tmp_path, capsys):
    path = tmp_path / "abs.npz"
    Instance(ABS, np.array([1.0]), *box(1)).save(path)
    graph = tmp_path / "g.graphml"
    assert main(["preimage", str(path), "--graph", str(graph)]) == 0
    out = capsys.readouterr().out
    assert "connected components: 2" in out and "convex: no" in out
    g = nx.read_graphml(graph)
    assert g.number_of_nodes() == 2 and g.number_of_edges() == 0
    assert main(["preimage", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["components"] == 2 and doc["convex"] == "no" and doc["single_point"] is False
    bad = tmp_path / "empty.npz"
    bad.write_bytes(b"")
    assert main(["preimage", str(bad)]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_undecided_is_not_empty(tmp_path, capsys, monkeypatch):
    """The certified MILP stopped before a verdict: `unknown` and exit 1, never `empty`."""
    from milpinv.analysis import preimage
    from milpinv.result import InversionResult

    stopped = InversionResult(Status.TIME_LIMIT, None, "milp", "exact", message="time limit in the branch and bound")
    monkeypatch.setattr(preimage, "invert_milp", lambda *args, **kwargs: stopped)
    path = tmp_path / "abs.npz"
    Instance(ABS, np.array([1.0]), *box(1)).save(path)
    code = main(["preimage", str(path), "--bounds", "interval"])
    out = capsys.readouterr().out
    assert code == 1 and "unknown: the certified MILP: time limit" in out and "empty" not in out


def test_one_layer_linear_output_off_the_image():
    """Audit reproducer (an IndexError): a one-layer linear-output network has no layer in the l1
    model, and the midpoint MILP read its last one; the target is off the image by 4e-7."""
    net = ReluNetwork(
        [np.array([[-0.132, 0.64], [0.105, -0.536], [0.362, 1.304]])],
        [np.array([0.947, -0.704, -1.265])],
        activations=("linear",),
    )
    x = net.forward(np.array([0.632, -0.995])) + np.array([4e-7, -3e-7, 2e-7])
    for pieces in (False, True):
        rep = analyse_preimage(net, x, box(2), PreimageOptions(pieces=pieces))
        assert rep.status == "nonempty" and rep.convex in ("yes", "unknown")


def test_exact_empty_but_within_the_tolerance_found_by_the_search():
    """Audit reproducer (a TypeError): bound tightening proves the exact pre-image empty, the
    heuristic finds nothing and the branch and bound a z within the tolerance, whose residual the
    report printed before any forward pass had measured it."""
    net = ReluNetwork.random([2, 5, 5, 3], seed=52, bias_scale=0.5, output_activation="linear")
    x = np.array([0.3773210550152722, 0.16400403195400987, -0.23161019019835205])
    rep = analyse_preimage(net, x, box(2))
    assert rep.status == "nonempty" and "within the tolerance" in rep.message, rep.message
    z = np.array([float(v) for v in rep.message.split("z = [")[1].split("]")[0].split(",")])
    assert np.abs(net.forward(z) - x).max() <= tolerance(x)


RELU_1D = ReluNetwork([np.array([[1.0]])], [np.zeros(1)])  # relu(z) = 1: the pre-image is the point 1


def stalled_proofs(monkeypatch):
    """The certified MILP stops at its limit on every cut box (every proof of a range side); it
    still answers on the whole box (emptiness)."""
    from milpinv.analysis import preimage
    from milpinv.result import InversionResult

    real = preimage.invert_milp

    def milp(problem, options):
        if np.all(problem.lower == -2.0) and np.all(problem.upper == 2.0):
            return real(problem, options)
        return InversionResult(Status.TIME_LIMIT, None, "milp", "exact", message="time limit")

    monkeypatch.setattr(preimage, "invert_milp", milp)


def test_unproven_sides_are_marked_and_decide_nothing(monkeypatch, tmp_path, capsys):
    """Audit: with `--time-limit 2 --no-pieces` every coordinate was printed as the whole box and
    "single point: no", a verdict from sides nobody proved. A slow engine (its MILPs stop without a
    bound) and stalled proofs: every side is the box's, marked, and single point is unknown."""
    stalled_proofs(monkeypatch)
    slow = LyingMilps(lambda model: Outcome(Status.TIME_LIMIT))
    rep = analyse_preimage(
        RELU_1D, np.array([1.0]), box(1), PreimageOptions(pieces=False, convexity=False, solver=slow)
    )
    assert list(rep.lower) == [-2.0] and list(rep.upper) == [2.0]
    assert rep.single_point is None and "not proven" in rep.single_point_reason
    assert not rep.finished
    from milpinv.cli.preimage import describe, verdict

    text = describe(rep, Instance(RELU_1D, np.array([1.0]), *box(1)))
    assert "[-2?,  2?]" in text and "? not proven" in text, text
    assert "single point: unknown" in text and "single point: no" not in text
    assert verdict(rep) == Status.TIME_LIMIT


def test_proven_but_loose_sides_decide_no_single_point():
    """The range MILPs stopped with valid but loose bounds (+-1.5): the proven sides bound S, yet
    S = {(0.75, 0.25)} is not shown to be more than a point."""
    net = ReluNetwork(  # (relu(z1 + z2), relu(z1 - z2)) through relu(+-z1), relu(+-z2)
        [np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.array([[1.0, -1, 1, -1], [1, -1, -1, 1]])],
        [np.zeros(4), np.zeros(2)],
    )
    x = np.array([1.0, 0.5])
    loose = LyingMilps(lambda model: Outcome(Status.TIME_LIMIT, bound=-1.5))
    rep = analyse_preimage(net, x, box(2), PreimageOptions(pieces=False, convexity=False, solver=loose))
    assert np.all(rep.lower <= [0.75, 0.25]) and np.all(rep.upper >= [0.75, 0.25]) and rep.upper[0] - rep.lower[0] > 1
    assert rep.single_point is None and "not solved to optimality" in rep.single_point_reason
    finished = analyse_preimage(net, x, box(2), PreimageOptions(pieces=False, convexity=False))
    assert finished.single_point is True and finished.finished


def test_the_time_limit_is_shared_among_the_stages():
    """Each stage gets the time left in proportion to its weight among the stages still to run; what
    a stage leaves (here: all of it) goes to the next, the last one gets all that is left."""
    from milpinv.analysis.preimage import TIME_LIMIT, Schedule

    schedule = Schedule(Deadline(60.0), ["bounds", "emptiness", "ranges", "proofs"])  # weights 1, 2, 2, 4
    shares = []
    for name in ("bounds", "emptiness", "ranges", "proofs"):
        with schedule.stage(name) as stage:
            shares.append(stage.clock.time_limit)
    assert shares == pytest.approx([60 / 9, 60 * 2 / 8, 60 * 2 / 6, 60.0], rel=1e-2)
    assert Schedule(Deadline(None), ["bounds"]).stage("bounds").clock.time_limit is None
    assert TIME_LIMIT == 60.0


def test_cli_default_time_limit_and_progress(tmp_path, capsys):
    """`preimage` printed nothing for 40 minutes on README's instance: now a default time limit (in
    --help) and a progress bar per stage on stderr."""
    path = tmp_path / "abs.npz"
    Instance(ABS, np.array([1.0]), *box(1)).save(path)
    assert main(["preimage", "--help"]) == 0
    assert "default 60" in capsys.readouterr().out
    from milpinv.cli.main import COMMANDS, build_parser

    argv = ["preimage", str(path)]
    assert build_parser(argv, "milpinv", "", COMMANDS).parse_args(argv).time_limit == 60.0
    assert main(["preimage", str(path)]) == 0
    err = capsys.readouterr().err
    assert all(f"preimage: {stage}" in err for stage in ("bounds", "emptiness", "ranges", "proofs", "pieces"))
    assert main(["preimage", str(path), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_no_single_point_speaks_of_the_residual_the_ranges_are_proven_at():
    """Review: a one-to-one network whose second output has gain 1e-3 has a single pre-image, but
    points within the ranges' residual 1e-9 spread z1 over ~1e-5: 'single point: no' was stated as if
    of the exact equality set; the verdict now says which set it speaks of."""
    net = ReluNetwork([np.eye(2), np.diag([1.0, 1e-3])], [np.zeros(2), np.zeros(2)], output_activation="linear")
    x = net.forward(np.array([0.5, 0.5]))
    rep = analyse_preimage(net, x, box(2, 3.0), PreimageOptions(pieces=False, convexity=False))
    assert rep.single_point is False, rep.single_point_reason
    assert "within a residual of 1e-09 (relative)" in rep.single_point_reason, rep.single_point_reason


class CountingNet:
    """A network that counts its forward passes."""

    def __init__(self, net):
        self.net, self.passes = net, 0

    def forward(self, z):
        self.passes += 1
        return self.net.forward(z)


def test_the_witness_search_stops_with_the_clock():
    """Regression (soundness campaign, preimage regime): after the pieces stage ran out of time the
    witness search went through every pair of points of every piece found (quadratic: 64 pieces of
    a 3-4-4-1 net took 90 s past a 20 s limit). It stops when the analysis's clock does, and still
    finds a witness while there is time."""
    net = diamond(0.0)
    points = [np.array(p, float) for p in ([1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0])]
    pieces = [Piece([np.array([True])], [p]) for p in points]
    counting = CountingNet(net)
    assert nonconvexity_witness(counting, np.array([1.0]), pieces, Deadline(0.0)) is None
    assert counting.passes == 0
    assert nonconvexity_witness(net, np.array([1.0]), pieces, Deadline(None)) is not None


def test_midpoint_milp_measures_a_stable_relu_output_both_ways():
    """Regression (soundness campaign, preimage regime, preimage:10000098 at seed 10): a relu output
    stable (active) on the box with x > 0 has no h in the l1 model and was measured upward only,
    so a midpoint below x went unseen and the MILP said convex. G(z) = relu(|z| + 1) = 2 on
    [-2, 2]: S = {-1, 1}, G(0) = 1."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [1.0]])
    x = np.array([2.0])
    form, _ = build_model(Problem.of(net, x, Norm.EXACT, box(1)))
    verdict, w = midpoint_test(net, x, form, box(1))
    assert verdict == "no", w
    assert abs(net.forward(0.5 * (np.array(w["z1"]) + np.array(w["z2"])))[0] - 2.0) > 0.5
