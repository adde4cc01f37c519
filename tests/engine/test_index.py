"""The formulation's index of its binaries (formulations.bigm.NeuronIndex), which the engine reads
instead of row names: every entry points at the binary and the rows of the neuron it names."""

import numpy as np
import pytest
import scipy.sparse as sp

from milpinv import ReluNetwork
from milpinv.formulations.bigm import kink_constants
from milpinv.formulations.blocks import stability
from tests.engine.tiny import Case, clipped_ramp


def cases() -> list[Case]:
    leaky = ReluNetwork.random([2, 4, 3], seed=1, bias_scale=0.5)
    leaky = ReluNetwork(leaky.weights, leaky.biases, activations=["leaky_relu:0.25", "leaky_relu:0.5"])
    deep = ReluNetwork.random([3, 5, 5, 4], seed=3, bias_scale=0.5)
    x = deep.forward(np.zeros(3)) + np.array([0.5, 0.2, 0.3, 0.1])
    return [
        Case(clipped_ramp(), [0.5], "exact"),
        Case(deep, list(x), "exact", -1.0, 1.0),
        Case(deep, list(x), "l1", -1.0, 1.0),  # relu output: binaries where x_i > 0 and unstable
        Case(leaky, [0.3, -0.2, 0.1], "linf", -1.0, 1.0),  # leaky output: every unstable output neuron
    ]


@pytest.mark.parametrize("case", cases(), ids=["ramp", "deep exact", "deep l1", "leaky linf"])
def test_every_entry_of_the_index_points_at_its_neuron(case):
    form = case.formulation()
    nb, m = form.neurons, form.model
    A = sp.csr_matrix(m.A)
    assert np.array_equal(np.sort(nb.d), np.flatnonzero(m.integrality)), "every binary, once"
    assert [k for k, _ in nb.groups] == sorted({int(k) for k in nb.layer})
    lo, hi = nb.interval(form.bounds)
    assert np.all(lo < 0) and np.all(hi > 0), "unstable neurons only"
    for k, sl in nb.groups:
        assert np.all(nb.layer[sl] == k)
        if k < case.net.depth - 1:  # hidden layers: every unstable neuron has its binary
            assert np.array_equal(nb.unit[sl], np.flatnonzero(stability(form.bounds, k)[2]))
        assert np.array_equal(nb.bias[sl], case.net.biases[k][nb.unit[sl]])
        assert np.all(nb.slope[sl] == case.net.activation(k).low_slope)
    c_lo, c_hi = kink_constants(lo, hi, nb.slope)
    for i in range(nb.count):
        assert A[nb.ge_row[i], nb.h[i]] == 1.0 and A[nb.ge_row[i], nb.d[i]] == 0.0  # h - W h' >= b
        assert A[nb.lo_row[i], nb.h[i]] == 1.0 and A[nb.lo_row[i], nb.d[i]] == -c_lo[i]
        assert A[nb.hi_row[i], nb.h[i]] == 1.0 and A[nb.hi_row[i], nb.d[i]] == -c_hi[i]


def test_the_index_of_a_forward_pass_matches_its_pattern():
    """At a point of the graph (Formulation.complete), each binary is the phase of its neuron."""
    case = cases()[1]
    form = case.formulation()
    nb = form.neurons
    z = np.array([0.3, -0.7, 0.2])
    v = form.complete(z, np.asarray(case.x))
    pre = case.net.pre_activations(z)
    for i in range(nb.count):
        assert v[nb.d[i]] == float(pre[nb.layer[i]][nb.unit[i]] > 0)
        assert v[nb.h[i]] == pytest.approx(max(pre[nb.layer[i]][nb.unit[i]], 0.0))
