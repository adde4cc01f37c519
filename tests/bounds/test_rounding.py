"""gamma_k: a Python int count takes Python floats, an array numpy; the same bits either way."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from milpinv.rounding import gamma


@given(st.integers(min_value=0, max_value=2**40))
def test_an_int_count_gives_the_bits_of_the_array_path(k):
    assert np.float64(gamma(k)).tobytes() == np.asarray(gamma(np.array([k])))[0].tobytes()
