"""Method auto: the layer-wise z is one more candidate incumbent of the MILP, never a replacement for
its heuristic, so auto's verdicts are milp's (README: "as milp")."""

import numpy as np
import pytest

from milpinv import Measurement, ReluNetwork, invert, plant_instance
from milpinv.tolerance import objective_slack, tolerance


@pytest.fixture(scope="module")
def deep_instance():
    """The audit's 10-30-30-60 instance: layer-wise fails, its z made auto time out at objective 1.4."""
    return plant_instance(ReluNetwork.random([10, 30, 30, 60], seed=0), seed=1)


@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("mask", [False, True])
def test_auto_is_as_good_as_milp(deep_instance, norm, mask):
    measurement = Measurement.mask(np.arange(60) % 2) if mask else None
    kwargs = {"norm": norm, "time_limit": 20, "measurement": measurement}
    milp = invert(deep_instance, method="milp", **kwargs)
    auto = invert(deep_instance, method="auto", **kwargs)
    assert milp.status == auto.status == "optimal", (milp.summary(), auto.summary())
    slack = objective_slack(norm, tolerance(deep_instance.target), deep_instance.target.size)
    assert auto.objective <= milp.objective + slack
    assert auto.solver["layerwise"]["status"] != "optimal"  # the MILP was needed


def test_an_optimum_reports_gap_zero(deep_instance):
    """Objective 3.8e-15 and bound -1.1e-12 (within the tolerance) reported gap 0.0113."""
    r = invert(deep_instance, method="milp", norm="l1", time_limit=20)
    slack = objective_slack("l1", tolerance(deep_instance.target), deep_instance.target.size)
    assert r.status == "optimal" and abs(r.objective - r.bound) <= slack
    assert r.gap == 0.0


@pytest.mark.parametrize("acts", [["leaky_relu:0.5", "linear"], ["relu", "tanh"], ["relu", "leaky_relu:0.2"]])
@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_auto_goes_to_the_milp_where_layerwise_does_not_read_the_network(acts, norm):
    """l1 / linf layer-wise reads relu and linear layers only: auto raised its refusal (InputError)."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 0.5]]], [[0.0, 0.0], [0.1]], activations=acts)
    x = net.forward(np.array([-0.4]))
    r = invert(net, x, method="auto", norm=norm, box=1.0)
    assert r.method == "auto:milp" and r.status in ("optimal", "feasible") and r.residual_linf <= tolerance(x)
