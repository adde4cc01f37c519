"""The gap rule (:func:`milpinv.tolerance.relative_gap`), written once for every engine."""

from hypothesis import given
from hypothesis import strategies as st

from milpinv.tolerance import relative_gap

values = st.floats(-1e6, 1e6, allow_nan=False)
floors = st.floats(1e-12, 1e-3)


@given(values, values, floors)
def test_gap_is_zero_exactly_within_the_floor(objective, bound, floor):
    gap = relative_gap(objective, bound, floor)
    assert gap is not None and gap >= 0
    assert (gap == 0) == (abs(objective - bound) <= floor)


@given(values, values, floors)
def test_gap_is_relative_to_the_objective_above_the_floor(objective, bound, floor):
    gap = relative_gap(objective, bound, floor)
    assert gap * max(abs(objective), floor) <= abs(objective - bound) * (1 + 1e-12)


def test_no_gap_without_both_values():
    assert relative_gap(None, 1.0) is None and relative_gap(1.0, None) is None
