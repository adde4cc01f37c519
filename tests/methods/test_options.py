"""The Python API's input rules: every bad option, seed or time limit is milpinv's InputError with
one line naming it, raised before any stage runs (never a TypeError, a broadcast error or silence)."""

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork, invert, plant_instance
from milpinv.options import RECORDS, GdOptions, LpOptions, MilpOptions, options_for
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


RECORD_BAD = [
    (LpOptions, "lp_solver", "nosuch"),
    (GdOptions, "seed", -1),
    (GdOptions, "steps", 0),
    (GdOptions, "lr", 0.0),
    (GdOptions, "restarts", 10**9),
    (MilpOptions, "solver", "nosuch"),
    (MilpOptions, "bounds", "exactly"),
    (MilpOptions, "obbt_passes", -1),
    (MilpOptions, "threads", 0),
    (MilpOptions, "mip_gap", float("inf")),
    (MilpOptions, "warm_start", [[0.0]]),
    (MilpOptions, "heuristic", "yes"),
    (MilpOptions, "peeling", 2),
    (MilpOptions, "verbose", None),
    (MilpOptions, "branching", "nosuch"),
    (MilpOptions, "node_limit", 0),
    (MilpOptions, "scheduler", " "),
]


def test_every_field_of_every_record_has_a_bad_value_here():
    checked = {(record, key) for record, key, _ in RECORD_BAD}
    assert checked == {(record, f.name) for record in RECORDS.values() for f in fields(record)}


NAMED = {"lp_solver": "solver"}  # the backend lookup's own message (solvers.get_solver)


@pytest.mark.parametrize("record, key, value", RECORD_BAD)
def test_a_record_refuses_a_bad_field_with_one_line_naming_it(record, key, value):
    with pytest.raises(InputError) as err:
        record(**{key: value})
    assert str(err.value).startswith(NAMED.get(key, key)) and "\n" not in str(err.value)


def test_the_defaults_are_the_documented_ones():
    assert LpOptions().lp_solver == "highs"
    assert GdOptions() == GdOptions(seed=0, steps=3000, lr=0.05, restarts=8)
    milp = MilpOptions()
    assert (milp.solver, milp.bounds, milp.obbt_passes, milp.threads, milp.node_limit) == (
        "auto",
        "interval",
        1,
        None,
        None,
    )
    assert milp.heuristic and milp.peeling and not milp.verbose and milp.warm_start is None


def test_options_for_refuses_unknown_keys_and_checks_the_warm_start_length():
    with pytest.raises(InputError, match=r"^method layerwise: unknown option\(s\) restarts, seed$"):
        options_for("layerwise", {"seed": 1, "restarts": 2})
    with pytest.raises(InputError, match=r"warm_start: expected shape \(3,\)"):
        options_for("milp", {"warm_start": [0.0, 0.0]}, input_dim=3)
    assert options_for("auto", {"warm_start": [0.0, 0.0]}).warm_start == [0.0, 0.0]  # dimension unknown
    assert options_for("lp", {}) == LpOptions()


def test_node_limit_and_scheduler_are_the_branch_and_bounds():
    with pytest.raises(InputError, match="node_limit: budgets milpinv's branch and bound"):
        MilpOptions(solver="highs", node_limit=5)
    with pytest.raises(InputError, match="scheduler: spreads milpinv's branch and bound"):
        MilpOptions(solver="highs", scheduler="tcp://host:8786")
    assert MilpOptions(solver="bab", node_limit=5).node_limit == 5
    assert MilpOptions(scheduler="tcp://host:8786").scheduler == "tcp://host:8786"
