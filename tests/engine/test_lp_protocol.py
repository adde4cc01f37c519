"""The engine drives any incremental LP (milpinv.solvers.incremental): test doubles that solve from
scratch, stop, fail, raise or lie; every pruning the engine makes still checks in exact arithmetic."""

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Status
from milpinv.bounds.safe import SafeLP
from milpinv.engine.bab import Setup
from milpinv.errors import SolverError
from milpinv.solvers import get_solver
from milpinv.solvers.incremental import IncrementalLP
from milpinv.solvers.matrix import MatrixModel
from milpinv.solvers.outcome import Outcome, SolverOptions
from tests.engine.test_hand_built import KNOWN, check
from tests.engine.tiny import BRANCHING_EXACT, BRANCHING_L1, Case, assert_true_answer, clipped_ramp, random_case, xor
from tests.helpers import brute_force


class FreshLP:
    """An IncrementalLP that keeps its own copy of the LP, applies every change to it and solves it
    from scratch each time with milpinv's HiGHS backend (no basis kept); it records what it returned."""

    def __init__(self, model: MatrixModel, options: SolverOptions) -> None:
        self.model, self.A = model.relaxed(), model.A.tolil()
        self.options = replace(options, presolve=False)
        self.solved: list[tuple[MatrixModel, Outcome]] = []

    def set_col_bounds(self, cols, lower, upper) -> None:
        self.model.col_lower[cols], self.model.col_upper[cols] = lower, upper

    def set_row_bounds(self, rows, lower, upper) -> None:
        self.model.row_lower[rows], self.model.row_upper[rows] = lower, upper

    def set_coefficients(self, rows, cols, values) -> None:
        for i, j, v in zip(rows, cols, values):
            self.A[i, j] = v

    def add_rows(self, rows, lower, upper) -> None:
        self.A = sp.vstack([self.A, rows]).tolil()
        m = self.model
        self.model = replace(m, row_lower=np.append(m.row_lower, lower), row_upper=np.append(m.row_upper, upper))

    def reset(self) -> None:
        pass

    def basis(self) -> None:  # no basis kept: every solve starts from scratch
        return None

    def set_basis(self, basis) -> None:
        pass

    def solve(self, time_limit: float | None = None) -> Outcome:
        snapshot = replace(self.model, A=self.A.tocsr(), **{k: getattr(self.model, k).copy() for k in BOUNDS})
        out = get_solver("highs").solve(snapshot, replace(self.options, time_limit=time_limit))
        self.solved.append((snapshot, out))
        return out


BOUNDS = ("row_lower", "row_upper", "col_lower", "col_upper")


class Recorder:
    """A factory that hands out one LP of ``kind`` (made with ``extra`` arguments) and keeps it for
    the test to read."""

    def __init__(self, kind, *extra) -> None:
        self.kind, self.extra, self.lp = kind, extra, None

    def __call__(self, model: MatrixModel, options: SolverOptions) -> IncrementalLP:
        self.lp = self.kind(model, options, *self.extra)
        return self.lp


class Scripted(FreshLP):
    """Answers every solve with ``answer`` (an Outcome, or an exception to raise)."""

    def __init__(self, model: MatrixModel, options: SolverOptions, answer: Outcome | Exception) -> None:
        super().__init__(model, options)
        self.answer, self.resets = answer, 0

    def reset(self) -> None:
        self.resets += 1

    def solve(self, time_limit: float | None = None) -> Outcome:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def exact_bound(model: MatrixModel, y: np.ndarray, c: np.ndarray) -> Fraction:
    """Weak duality in rational arithmetic: a lower bound on min c v over the LP for multipliers y
    (-inf as None when a reduced cost meets an infinite bound)."""
    A = sp.csc_matrix(model.A)
    total = Fraction(0)
    ys = [Fraction(float(v)) for v in y]
    for i, yi in enumerate(ys):
        side = model.row_lower[i] if yi > 0 else model.row_upper[i]
        if yi != 0:
            assert np.isfinite(side), "a multiplier on an infinite side proves nothing"
            total += yi * Fraction(float(side))
    for j in range(model.num_vars):
        col = slice(A.indptr[j], A.indptr[j + 1])
        r = Fraction(float(c[j])) - sum(
            (Fraction(float(a)) * ys[i] for i, a in zip(A.indices[col], A.data[col])), Fraction(0)
        )
        if r != 0:
            total += r * Fraction(float(model.col_lower[j] if r > 0 else model.col_upper[j]))
    return total


def usable(y: np.ndarray, model: MatrixModel) -> np.ndarray:
    """y with every multiplier on an infinite side set to 0 (as the engine's safe bound does)."""
    return np.where(((y > 0) & ~np.isfinite(model.row_lower)) | ((y < 0) & ~np.isfinite(model.row_upper)), 0.0, y)


@pytest.mark.parametrize("name", list(KNOWN))
def test_an_lp_solved_from_scratch_drives_the_engine_to_the_same_answers(name):
    case, status, answer = KNOWN[name]
    check(case, status, answer, case.search(Setup(FreshLP)))


@pytest.mark.parametrize(
    "case",
    [BRANCHING_EXACT, BRANCHING_L1, Case(clipped_ramp(), [1.5], "l1"), random_case(7, "l1")],
)
def test_every_certificate_the_engine_read_holds_in_rational_arithmetic(case):
    """Every Farkas ray of an infeasible node LP proves it infeasible, and every optimal node LP's
    duals bound it from below, in exact arithmetic over the LP the solver was given."""
    lps = Recorder(FreshLP)
    found = case.search(Setup(lps))
    assert found.uncertified == 0 and found.status in (Status.OPTIMAL, Status.INFEASIBLE)
    for model, out in lps.lp.solved:
        if out.status == Status.INFEASIBLE:
            zero = np.zeros(model.num_vars)
            assert max(exact_bound(model, usable(s * out.ray, model), zero) for s in (1, -1)) > 0
        elif out.status == Status.OPTIMAL:
            value = exact_bound(model, usable(out.duals, model), model.c)
            assert value <= Fraction(out.objective) + Fraction(1, 10**6)  # weak duality, for the record
            safe = SafeLP.of(model).bound(out.duals)
            assert not np.isfinite(safe) or Fraction(safe) <= value  # the engine's float bound is safe


def test_an_lp_that_stops_neither_prunes_nor_proves():
    case = Case(clipped_ramp(), [1.5], "l1")
    found = case.search(Setup(Recorder(Scripted, Outcome(Status.TIME_LIMIT, raw_status="time limit"))))
    assert found.status == Status.TIME_LIMIT and found.lps == 1 and found.uncertified == 0
    assert found.bound is None or found.bound <= 0.5


@pytest.mark.parametrize("answer", [Outcome(Status.FAILED), SolverError("the LP broke")])
@pytest.mark.parametrize("norm", ["exact", "l1"])
def test_an_lp_without_answers_leaves_every_leaf_unproven(answer, norm):
    """No usable LP answer: the search branches blind down to the leaves and proves nothing."""
    lps = Recorder(Scripted, answer)
    found = Case(xor(), [1.0], norm, [0.0, 0.2] if norm == "l1" else 0.0, [1.0, 0.8] if norm == "l1" else 1.0).search(
        Setup(lps)
    )
    assert found.uncertified > 0 and found.bound is None
    assert found.status in (Status.FAILED, Status.FEASIBLE) and "no proof" in found.message
    assert lps.lp.resets == (found.lps if isinstance(answer, Exception) else 0)


class Lying(FreshLP):
    """Right points, wrong certificates: duals and rays perturbed at random."""

    def __init__(self, model: MatrixModel, options: SolverOptions, seed: int) -> None:
        super().__init__(model, options)
        self.rng = np.random.default_rng(seed)

    def solve(self, time_limit: float | None = None) -> Outcome:
        out = super().solve(time_limit)
        noise = self.rng.normal(0, 0.3, self.A.shape[0])
        if out.duals is not None:
            out.duals = out.duals + noise * (self.rng.random(noise.size) < 0.5)
        if out.ray is not None:
            out.ray = out.ray * self.rng.choice([-1.0, 1.0]) + noise
        return out


@settings(max_examples=10)  # a brute force per example
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["l1", "linf"]))
def test_an_lp_with_wrong_duals_never_makes_the_engine_claim_more(seed, norm):
    """A lying LP may cost proofs, never soundness: the bound stays at or below the optimum."""
    case = random_case(seed, norm)
    found = case.search(Setup(Recorder(Lying, seed)))
    truth = brute_force(case.net, np.array(case.x), norm, *case.box)
    assert found.bound is None or found.bound <= truth + 1e-12
    assert found.objective is None or found.objective >= truth - 1e-9


class Sloppy(FreshLP):
    """Right bounds, points off by 1e-7 (relative) until the LP is reset: a warm start that ends on
    a point meeting the network only within the LP's tolerances (PERFORMANCE.md 33)."""

    def __init__(self, model: MatrixModel, options: SolverOptions) -> None:
        super().__init__(model, options)
        self.clean = False

    def reset(self) -> None:
        self.clean = True

    def solve(self, time_limit: float | None = None) -> Outcome:
        out = super().solve(time_limit)
        if out.x is not None and not self.clean:
            out.x = out.x * (1 - 1e-7)  # towards 0: the latent stays in its box [-1, 1]^n
        self.clean = False
        return out


@settings(max_examples=10)  # a brute force per example
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["l1", "linf"]))
def test_a_leaf_whose_point_misses_its_bound_is_solved_again_from_no_basis(seed, norm):
    """Every LP point a little off the network: the leaves are solved again cold, and the search
    still proves brute force's optimum (not ``feasible`` with a tolerance-wide interval)."""
    case = random_case(seed, norm)
    found = case.search(Setup(Recorder(Sloppy)))
    assert_true_answer(found, brute_force(case.net, np.array(case.x), norm, *case.box), norm)
