"""The big-M constants a node's LP is loaded with: a fixed binary keeps an earlier node's only while
the node's own interval lies within them (the LP stays a relaxation of the node), and the
verdicts that relies on agree with brute force over the activation regions."""

import highspy
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv.engine import bab
from milpinv.engine.bab import BranchAndBound, Setup, constants_to_load
from milpinv.formulations.bigm import kink_constants
from milpinv.tolerance import tolerance
from tests.engine.tiny import HIGHS, assert_true_answer, random_case
from tests.helpers import brute_force


def test_a_fixed_binary_keeps_looser_constants_and_a_free_one_gets_the_nodes():
    loaded = (np.full(4, -4.0), np.full(4, 4.0))
    node = (np.array([-4.0, -1.0, -5.0, -2.0]), np.array([4.0, 1.0, 3.0, 4.5]))
    # 0: the same; 1: tighter (the loaded ones still hold); 2: lo below; 3: hi above
    assert constants_to_load(*loaded, *node, np.ones(4, bool)).tolist() == [2, 3]
    assert constants_to_load(*loaded, *node, np.zeros(4, bool)).tolist() == [1, 2, 3]


class Watched(BranchAndBound):
    """The search, checking after every load that each binary's LP constants contain the node's,
    and that the data the certificates read is the LP HiGHS holds (matrix and bounds)."""

    def _load(self, node):
        super()._load(node)
        lo, hi = self.neurons.interval(node.bounds)
        c_lo, c_hi = kink_constants(lo, hi, self.neurons.slope)
        assert np.all(self.coef[0] <= c_lo) and np.all(self.coef[1] >= c_hi)
        data = self.lp_data  # what the certificates read is what HiGHS holds
        assert np.array_equal(-data.A.data[self.lo_pos], self.coef[0])
        assert np.array_equal(-data.A.data[self.hi_pos], self.coef[1])
        held = self.lp.h.getLp()
        m = held.a_matrix_
        assert str(m.format_).endswith("kColwise")
        A = sp.csc_matrix((m.value_, m.index_, m.start_), shape=(held.num_row_, held.num_col_))
        assert abs(A - data.A).max() == 0
        for mine, theirs in ((data.col_lower, held.col_lower_), (data.col_upper, held.col_upper_)):
            assert np.array_equal(np.clip(mine, -highspy.kHighsInf, highspy.kHighsInf), theirs)
        for mine, theirs in ((data.row_lower, held.row_lower_), (data.row_upper, held.row_upper_)):
            assert np.array_equal(np.clip(mine, -highspy.kHighsInf, highspy.kHighsInf), theirs)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["exact", "l1", "linf"]))
def test_kept_constants_never_change_a_verdict(seed, norm):
    case = random_case(seed, norm, dims=(2, 4, 3, 2), noise=0.3 if norm != "exact" else 0.05)
    x = np.asarray(case.x)
    if norm == "exact" and seed % 2:  # half the exact cases realizable: x = G(z) for some z
        x = case.net.forward(np.random.default_rng(seed).uniform(-1, 1, 2))
        case.x = list(x)
    lower, upper = case.box
    truth = brute_force(case.net, x, norm, lower, upper, band=tolerance(x) / 2 if norm == "exact" else 0.0)
    r = Watched(case.formulation(), case.judge, Setup(HIGHS)).run(bab.Deadline(None))
    assert_true_answer(r, truth, norm)
