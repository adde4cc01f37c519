"""The fast paths of the exact MILP: the numpy hand-over to HiGHS transfers the model exactly,
and the gradient-descent + piece-walk heuristic claims only verified pre-images."""
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import ReluNetwork, plant_instance
from milpinv.backends.highs import new_highs, pass_model
from milpinv.bounds import interval_bounds
from milpinv.milp import _heuristic
from milpinv.model import ModelBuilder
from milpinv.result import OPTIMAL, tolerance


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_pass_model_transfers_the_model_exactly(n, m, seed):
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    base = rng.normal(size=n)
    v = mb.add_vars("v", n, np.where(rng.random(n) < 0.3, -np.inf, base),
                    np.where(rng.random(n) < 0.3, np.inf, base + rng.random(n)), cost=rng.normal(size=n))
    d = mb.add_vars("d", 2, 0.0, 1.0, integer=True)
    A = sp.random(m, n, density=0.5, random_state=rng.integers(2**31), format="csr")
    rbase = rng.normal(size=m)
    mb.add_rows("r", [(v, A), (d, rng.normal(size=(m, 2)))], np.where(rng.random(m) < 0.5, -np.inf, rbase),
                np.where(rng.random(m) < 0.3, np.inf, rbase + rng.random(m)))
    model = mb.build()
    h = new_highs()
    pass_model(h, model)
    lp = h.getLp()
    inf = lambda a: np.nan_to_num(a, posinf=1e300, neginf=-1e300)  # noqa: E731
    np.testing.assert_array_equal(np.asarray(lp.col_cost_), model.c)
    for got, want in ((lp.col_lower_, model.col_lower), (lp.col_upper_, model.col_upper),
                      (lp.row_lower_, model.row_lower), (lp.row_upper_, model.row_upper)):
        np.testing.assert_array_equal(inf(np.asarray(got)), inf(want))
    a = lp.a_matrix_
    got = sp.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)), shape=model.A.shape)
    assert (got != model.A).nnz == 0
    assert [int(t) for t in lp.integrality_] == [int(f) for f in model.integrality]


def test_heuristic_claims_only_verified_preimages():
    solved = 0
    for seed in range(4):
        net = ReluNetwork.random([6, 12, 12, 6], seed=seed)
        inst = plant_instance(net, seed=seed)
        r = _heuristic(net, inst.target, "exact", inst.lower, inst.upper, 1.0)
        if r.status == OPTIMAL:
            assert np.max(np.abs(net.forward(r.z) - inst.target)) <= tolerance(inst.target)
            solved += 1
        far = inst.target + 1e3                      # above every output the box can reach:
        assert np.all(interval_bounds(net, inst.lower, inst.upper)[-1][1] < far)
        assert _heuristic(net, far, "exact", inst.lower, inst.upper, 0.2).status != OPTIMAL
    assert solved >= 2, "the heuristic should invert some small planted instances"
