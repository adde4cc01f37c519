"""Branching rules as objects: each named rule picks what its name says, names are checked like
every option, and a rule object of one's own drives the search."""

import numpy as np
import pytest

from milpinv import ReluNetwork, Status, invert
from milpinv.engine.bab import Setup
from milpinv.engine.branching import DEFAULT, RULE_NAMES, Candidates, ScoreRule, rule
from milpinv.errors import InputError
from tests.engine.tiny import BRANCHING_L1, HIGHS


def candidates(**kw) -> Candidates:
    """Three candidates: layer 0, 1, 1; the second has the largest excess, the third the largest
    excess as the next layer sees it; intervals [-1, 3], [-4, 1], [-1, 1]."""
    base = {
        "excess": np.array([0.5, 0.4, 0.3]),
        "a": np.array([0.2, -0.1, 0.4]),
        "d": np.array([0.5, 0.9, 0.3]),
        "layer": np.array([0, 1, 1]),
        "reach": np.array([1.0, 1.0, 2.0]),
        "bounds": lambda: (np.array([-1.0, -4.0, -1.0]), np.array([3.0, 1.0, 1.0])),
    }
    return Candidates(**{**base, **kw})


@pytest.mark.parametrize(
    "name, choice",
    [
        ("deep/out/lean", (2, 1)),  # layer 1; 0.3 * 2 > 0.4 * 1; a > 0: active first
        ("deep/viol/lean", (1, 0)),  # layer 1; 0.4 > 0.3; a < 0: inactive first
        ("all/viol/lean", (0, 1)),  # every layer: 0.5 is the largest excess
        ("shallow/viol/large", (0, 1)),  # layer 0 only; its longer side is the active one
        ("shallow/viol/small", (0, 0)),
        ("deep/frac/lean", (2, 1)),  # min(d, 1 - d): 0.1 vs 0.3
        ("deep/width/lean", (1, 0)),  # v min(-lo, hi): 0.4 * 1 > 0.3 * 1
        ("all/tri/lean", (1, 0)),  # (-lo) hi / (hi - lo): 0.75, 0.8, 0.5
    ],
)
def test_a_named_rule_picks_what_its_name_says(name, choice):
    assert rule(name).choose(candidates()) == choice


def test_ties_go_to_the_first_candidate_and_the_default_reads_no_bounds():
    def refuse():
        raise AssertionError("the default rule asked for the node's intervals")

    tie = candidates(excess=np.array([0.5, 0.5, 0.5]), reach=np.ones(3), bounds=refuse)
    assert DEFAULT.choose(tie) == (1, 0)


def test_names_are_checked_and_objects_pass():
    assert len(RULE_NAMES) == 72 and DEFAULT.name in RULE_NAMES
    assert rule(DEFAULT) is DEFAULT and rule("all/area/small") == ScoreRule("all", "area", "small")
    for bad in ("deep/out", "deep/out/lean/x", "wide/out/lean", "deep/excess/lean", "deep/out/up"):
        with pytest.raises(InputError, match="branching: unknown rule"):
            rule(bad)
    with pytest.raises(InputError, match="branching: expected a rule name"):
        rule(3)  # type: ignore[arg-type]


def test_invert_checks_the_branching_option_before_it_solves():
    net = ReluNetwork.random([2, 3, 2], seed=0)
    with pytest.raises(InputError, match="branching: unknown rule"):
        invert(net, net.forward(np.zeros(2)), method="milp", branching="deepest")
    with pytest.raises(InputError, match="unknown option"):
        invert(net, net.forward(np.zeros(2)), method="gd", branching=DEFAULT.name)


class FirstCandidate:
    """A rule of one's own: the first candidate, inactive first; it counts its calls."""

    name = "first"

    def __init__(self) -> None:
        self.calls = 0

    def choose(self, candidates: Candidates) -> tuple[int, int]:
        self.calls += 1
        return 0, 0


def test_a_rule_object_of_ones_own_drives_the_search():
    mine = FirstCandidate()
    found = BRANCHING_L1.search(Setup(HIGHS, mine))
    default = BRANCHING_L1.search()
    assert found.status == default.status == Status.OPTIMAL and mine.calls > 0
    assert found.objective == pytest.approx(default.objective, rel=1e-9)


def test_invert_takes_a_rule_by_name_and_gives_the_default_verdict():
    net = ReluNetwork.random([3, 6, 6, 3], seed=2, bias_scale=0.3, output_activation="linear")
    x = net.forward(np.array([0.3, -0.4, 0.1])) + np.array([0.2, -0.3, 0.25])
    runs = [
        invert(net, x, box=1.0, method="milp", norm="l1", solver="bab", heuristic=False, branching=name)
        for name in (DEFAULT.name, "all/area/small")
    ]
    assert [r.status for r in runs] == [Status.OPTIMAL] * 2
    assert runs[0].objective == pytest.approx(runs[1].objective, rel=1e-7)
