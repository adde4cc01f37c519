"""The peeling presolve of the MILP: while the last layer's pre-image over h >= 0 is one point
(its active rows have full column rank, as in expanding layers), replace the target by that
point and drop the layer. The reduced target is a floating-point solve, and the tolerance band
around it is not the band around the observation (a measurement A stretches or shrinks it): a
point is accepted only on the full network's outputs, and a proof of infeasibility is only ever
taken from the full model (:mod:`milpinv.milp`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..methods.lp import BoxedLayer, LayerSolve, solve_layer_exact
from ..network import ReluNetwork
from ..problem import Box, Problem
from ..status import Status

PEEL_TOL = 1e-9  # relative: peeled values below it are zeros


@dataclass
class Peeled:
    network: ReluNetwork
    target: np.ndarray
    layers: int  # how many layers were removed


def peel(problem: Problem) -> Peeled:
    """The exact presolve of the module docstring (the exact norm only)."""
    network, peeled, y = problem.network, 0, np.asarray(problem.target, float)
    if not problem.norm.exact or not all(a.exact_arithmetic for a in network.activations):
        return Peeled(network, y, 0)
    while network.depth > 1:
        k = network.depth - 1
        W, b = network.weights[k], network.biases[k]
        band = PEEL_TOL * max(1.0, float(np.max(np.abs(y), initial=0.0)))
        layer = BoxedLayer(W, b, network.activation(k), Box(np.zeros(W.shape[1]), np.full(W.shape[1], np.inf)))
        sol = solve_layer_exact(layer, y, LayerSolve(tol=band, band=band if peeled else 0.0))
        if sol.status != Status.OPTIMAL or sol.how != "lstsq" or sol.h is None:
            break
        y = np.where(sol.h > band, sol.h, 0.0)
        network = ReluNetwork(network.weights[:k], network.biases[:k], activations=network.activations[:k])
        peeled += 1
    return Peeled(network, y, peeled)
