"""The branch and bound alone on networks whose answers are known by hand, under every branching
rule: the same verdict and the same certified bound whichever neuron a rule splits first."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Status
from milpinv.engine.bab import Setup
from milpinv.engine.branching import DEFAULT, RULE_NAMES, rule
from tests.engine.tiny import BRANCHING_EXACT, HIGHS, Case, clipped_ramp, random_case, v_shape, xor
from tests.helpers import brute_force

# (case, status, optimum: l1 / linf value, or the exact norm's pre-images (None: any point))
KNOWN = {
    "ramp inside": (Case(clipped_ramp(), [0.5], "exact"), Status.OPTIMAL, [[0.5]]),
    "ramp above": (Case(clipped_ramp(), [1.5], "exact"), Status.INFEASIBLE, None),
    "ramp above l1": (Case(clipped_ramp(), [1.5], "l1"), Status.OPTIMAL, 0.5),
    "ramp below linf": (Case(clipped_ramp(), [-0.25], "linf"), Status.OPTIMAL, 0.25),
    "v two points": (Case(v_shape(), [1.0], "exact"), Status.OPTIMAL, [[-1.0], [1.0]]),
    "v below l1": (Case(v_shape(), [-0.5], "l1"), Status.OPTIMAL, 0.5),
    "v beyond the box l1": (Case(v_shape(), [3.0], "l1"), Status.OPTIMAL, 1.0),
    "xor two corners": (Case(xor(), [1.0], "exact", 0.0, 1.0), Status.OPTIMAL, [[1.0, 0.0], [0.0, 1.0]]),
    "xor out of reach": (Case(xor(), [1.0], "exact", [0.0, 0.2], [1.0, 0.8]), Status.INFEASIBLE, None),
    "xor out of reach linf": (Case(xor(), [1.0], "linf", [0.0, 0.2], [1.0, 0.8]), Status.OPTIMAL, 0.2),
}
RULES = [DEFAULT.name, "deep/viol/lean", "all/width/small", "shallow/frac/large", "deep/tri/lean", "all/vout/large"]


def check(case: Case, status: Status, answer, found) -> None:
    assert found.status == status and found.uncertified == 0, (found.status, found.message)
    if case.norm == "exact" and status == Status.OPTIMAL:
        assert min(np.abs(found.z - np.array(p)).max() for p in answer) <= 1e-6, found.z
        assert np.abs(case.net.forward(found.z) - case.x).max() <= 1e-6
    elif case.norm != "exact":
        assert found.objective == pytest.approx(answer, abs=1e-9)
        assert answer - 1e-9 <= found.bound <= answer + 1e-12  # certified: never above the optimum


@pytest.mark.parametrize("name", list(KNOWN))
@pytest.mark.parametrize("branching", RULES)
def test_every_rule_reaches_the_answer_known_by_hand(name, branching):
    case, status, answer = KNOWN[name]
    check(case, status, answer, case.search(Setup(HIGHS, rule(branching))))


def test_every_rule_of_the_library_proves_an_infeasibility_that_takes_branching():
    """All 72 named rules on an instance whose proof needs more than the root."""
    for name in RULE_NAMES:
        found = BRANCHING_EXACT.search(Setup(HIGHS, rule(name)))
        assert found.status == Status.INFEASIBLE and found.uncertified == 0 and found.nodes > 1, name


def test_the_pre_image_of_the_v_is_either_point_and_only_those():
    """|z| = 1 has two pre-images; a box that cuts one off leaves the other."""
    for low, high, point in ((-2.0, 0.0, -1.0), (0.0, 2.0, 1.0)):
        found = Case(v_shape(), [1.0], "exact", low, high).search()
        assert found.status == Status.OPTIMAL and found.z[0] == pytest.approx(point, abs=1e-6)
    assert Case(v_shape(), [1.0], "exact", -0.5, 0.5).search().status == Status.INFEASIBLE


@settings(max_examples=10)  # a brute force per example
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["l1", "linf"]), branching=st.sampled_from(RULE_NAMES))
def test_any_rule_proves_the_brute_force_optimum(seed, norm, branching):
    """Random 2-3-3-2 networks: the optimum over every activation region, by any rule."""
    case = random_case(seed, norm)
    truth = brute_force(case.net, np.array(case.x), norm, *case.box)
    check(case, Status.OPTIMAL, truth, case.search(Setup(HIGHS, rule(branching))))
