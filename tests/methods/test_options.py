"""The Python API's input rules: every bad option, seed or time limit is milpinv's InputError with
one line naming it, raised before any stage runs (never a TypeError, a broadcast error or silence)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork, invert, plant_instance
from milpinv.validation import check_seed


@pytest.fixture(scope="module")
def inst():
    return plant_instance(ReluNetwork.random([3, 6, 8], seed=0), seed=1)


BAD = [
    ("milp", {"time_limit": "5"}, "time_limit"),
    ("milp", {"time_limit": float("nan")}, "time_limit"),
    ("milp", {"warm_start": np.zeros(4)}, "warm_start"),
    ("auto", {"warm_start": [[0.0, 0.0, 0.0]]}, "warm_start"),
    ("gd", {"restarts": "a"}, "restarts"),
    ("gd", {"steps": 0}, "steps"),
    ("gd", {"lr": -1.0}, "lr"),
    ("gd", {"seed": -1}, "seed"),
    ("gd", {"seed": 1.5}, "seed"),
    ("milp", {"mip_gap": -1}, "mip_gap"),
    ("milp", {"threads": 0}, "threads"),
    ("milp", {"threads": 10_000}, "threads: expected an integer in 1..256"),  # audit: 87 s of a 5 s limit
    ("milp", {"threads": 100_000}, "threads"),  # audit: never ended
    ("milp", {"obbt_passes": 10**9}, "obbt_passes: expected an integer in 0..100"),
    ("gd", {"steps": 10**12}, "steps"),
    ("gd", {"restarts": 10**9}, "restarts"),
    ("gd", {"seed": 2**64}, "seed"),
    ("milp", {"obbt_passes": -1}, "obbt_passes"),
    ("milp", {"bounds": "exactly"}, "bounds"),
    ("milp", {"heuristic": "no"}, "heuristic"),
    ("milp", {"solver": "nosuch"}, "solver"),
    ("milp", {"solver": "pyomo:nosuch"}, "nosuch"),
    ("layerwise", {"lp_solver": "nosuch"}, "solver"),
]


@pytest.mark.parametrize("method, options, field", BAD)
def test_a_bad_option_is_one_input_error_naming_it(inst, method, options, field):
    with pytest.raises(InputError) as err:
        invert(inst, method=method, **options)
    assert field in str(err.value) and "\n" not in str(err.value)


def test_an_unavailable_pyomo_solver_is_refused_before_the_heuristic_answers(inst):
    """With the exact norm the heuristic answers first: a bad solver name was accepted silently."""
    with pytest.raises(InputError, match="nosuch"):
        invert(inst, method="milp", solver="pyomo:nosuch")


def test_good_options_still_run(inst):
    r = invert(inst, method="milp", threads=1, mip_gap=0, obbt_passes=0, bounds="lp", warm_start=[0.0] * 3)
    assert r.status == "optimal"
    assert invert(inst, method="gd", seed=np.int64(3), restarts=2, steps=50).z is not None


@given(st.integers(-(10**6), -1))
def test_negative_seeds_are_input_errors_everywhere(seed):
    net = ReluNetwork.random([2, 3], seed=0)
    for make in (
        lambda: ReluNetwork.random([2, 3], seed=seed),
        lambda: plant_instance(net, seed=seed),
        lambda: invert(plant_instance(net, seed=0), method="gd", seed=seed),
    ):
        with pytest.raises(InputError, match="seed"):
            make()


@given(st.one_of(st.none(), st.integers(0, 2**63 - 1)))
def test_non_negative_seeds_pass_unchanged(seed):
    assert check_seed(seed) == seed
