"""A node searched after a backtrack starts from its parent's stored basis (PERFORMANCE.md 29): the
LP it then solves answers as a cold solve of the same LP does, and the basis never leaves its
process."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv.deadline import Deadline
from milpinv.engine.bab import BranchAndBound, Setup
from milpinv.solvers import get_solver
from milpinv.solvers.matrix import MatrixModel
from milpinv.solvers.outcome import Outcome, SolverOptions
from milpinv.status import Status
from milpinv.tolerance import tolerance
from tests.engine.test_lp_protocol import FreshLP, Recorder
from tests.engine.tiny import BRANCHING_EXACT, BRANCHING_L1, HIGHS, assert_true_answer, random_case
from tests.helpers import brute_force


class Checked:
    """HiGHS's incremental LP, shadowed by a copy solved from scratch after every stored basis it is
    handed: the pairs of answers are kept for the test."""

    def __init__(self, model: MatrixModel, options: SolverOptions) -> None:
        self.lp = get_solver("highs").incremental(model, options)
        self.cold = FreshLP(model, options)
        self.warm = False
        self.pairs: list[tuple[Outcome, Outcome]] = []

    def set_col_bounds(self, cols, lower, upper) -> None:
        self.lp.set_col_bounds(cols, lower, upper)
        self.cold.set_col_bounds(cols, lower, upper)

    def set_row_bounds(self, rows, lower, upper) -> None:
        self.lp.set_row_bounds(rows, lower, upper)
        self.cold.set_row_bounds(rows, lower, upper)

    def set_coefficients(self, rows, cols, values) -> None:
        self.lp.set_coefficients(rows, cols, values)
        self.cold.set_coefficients(rows, cols, values)

    def add_rows(self, rows, lower, upper) -> None:
        self.lp.add_rows(rows, lower, upper)
        self.cold.add_rows(rows, lower, upper)

    def reset(self) -> None:
        self.lp.reset()

    def basis(self):
        return self.lp.basis()

    def set_basis(self, basis) -> None:
        self.lp.set_basis(basis)
        self.warm = True

    def solve(self, time_limit: float | None = None) -> Outcome:
        out = self.lp.solve(time_limit)
        if self.warm:
            self.pairs.append((out, self.cold.solve(time_limit)))
        self.warm = False
        return out


def same_answer(warm: Outcome, cold: Outcome) -> None:
    assert warm.status == cold.status
    if warm.status == Status.OPTIMAL:
        assert warm.objective == pytest.approx(cold.objective, rel=1e-7, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    norm=st.sampled_from(["exact", "l1", "linf"]),
    dims=st.sampled_from([(2, 4, 4, 2), (2, 5, 5, 3), (3, 6, 4, 3)]),
)
def test_a_stored_basis_gives_the_lp_value_of_a_cold_solve(seed, norm, dims):
    """Every LP started from a stored basis (nodes after a backtrack) has the status and optimal
    value of the same LP solved from scratch, and the search's answer is brute force's."""
    case = random_case(seed, norm, dims, 0.1 if norm == "exact" else 0.3)
    lps = Recorder(Checked)
    found = case.search(Setup(lps))
    for warm, cold in lps.lp.pairs:
        same_answer(warm, cold)
    x = np.asarray(case.x)
    truth = brute_force(case.net, x, norm, *case.box, band=tolerance(x) / 2 if norm == "exact" else 0.0)
    assert_true_answer(found, truth, norm)


@pytest.mark.parametrize("case", [BRANCHING_L1, BRANCHING_EXACT])
def test_nodes_after_a_backtrack_start_from_a_stored_basis(case):
    lps = Recorder(Checked)
    case.search(Setup(lps))
    assert lps.lp.pairs  # these trees backtrack: the warm start was used and checked


def test_a_stored_basis_does_not_travel_with_its_node():
    """Nodes handed to worker processes pickle without their basis (it is the LP's of this process)."""
    bb = BranchAndBound(BRANCHING_L1.formulation(), BRANCHING_L1.judge, Setup(HIGHS))
    front = bb.explore(bb.begin(Deadline(None)), node_limit=1)  # the root, branched
    later = front.open[0]  # searched after its sibling's subtree
    assert later.warm is not None and front.open[-1].warm is None
    copy = pickle.loads(pickle.dumps(later))
    assert copy.warm is None and np.array_equal(copy.fixed, later.fixed)
