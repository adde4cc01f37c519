"""Layer-by-layer inversion (Lei et al. 2019, Section 3.2): invert the last layer first, then
the one before, each by the single-layer LP of :mod:`milpinv.methods.lp`.

Every intermediate input is constrained to its interval bounds from the latent box (relu outputs
are >= 0; finite bounds also let an LP's Farkas certificate be checked, which a ray over unbounded
columns, its reduced costs rounded a hair below 0, is not); the first layer's input is constrained
to the latent box. A
leaky_relu, tanh or sigmoid layer is one to one: its pre-activation is read off by the inverse,
and the layer is a linear system. For random expanding networks each
layer's active rows have full column rank with high probability, the pre-image of every layer is
a single point, and the answer is exact. Otherwise a layer may have many pre-images and the one
the LP picks need not be reachable from below: layer-wise then *fails* and says which layer, and
never returns an unverified z.

Proofs: if the last layer's LP (with h >= 0) is infeasible, no z exists. An earlier layer's
infeasibility is reported as ``failed``: its right-hand side is a floating-point solve of the
layer above (matched within a band of INTERMEDIATE_TOL), so it proves nothing.

With norm l1/linf the noisy LP runs at every layer (status ``feasible``); the output layer's safe
LP value is a certified lower bound on the best residual (``bound``; none without a safe one).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..bounds.interval import activation_range, interval_bounds
from ..errors import InputError
from ..norm import Norm
from ..options import LpOptions
from ..polish import polish
from ..problem import Box, Problem
from ..result import InversionResult
from ..solvers import get_solver
from ..status import Status
from .lp import (
    BoxedLayer,
    LayerSolution,
    LayerSolve,
    noisy_refusal,
    solve_layer_exact,
    solve_layer_noisy,
    solve_output_layer,
)

INTERMEDIATE_TOL = 1e-8  # relative: values below it are zeros, equalities hold within it


def invert_layerwise(problem: Problem, options: LpOptions) -> InversionResult:
    """Method ``layerwise``: one LP (or least-squares solve) per layer, last layer first, on the
    problem's clock."""
    network, norm, (lower, upper) = problem.network, problem.norm, problem.box
    why = refusal(network, norm)
    if why:
        raise InputError(f"method layerwise: {why}; use method milp or gd")
    how = LayerSolve(deadline=problem.deadline, solver=get_solver(options.lp_solver))
    y = problem.target
    layers: list[dict] = []
    bound = None
    reach = interval_bounds(network, lower, upper)  # every layer's inputs: finite, so LP certificates check
    for k in reversed(range(network.depth)):
        box = problem.box if k == 0 else Box(*activation_range(network.activation(k - 1), *reach[k - 1]))
        layer = BoxedLayer.of(network, k, box)
        t0 = time.perf_counter()
        if norm.exact and k == network.depth - 1:
            sol = solve_output_layer(layer, y, problem.accept, how)
        elif norm.exact:
            band = INTERMEDIATE_TOL * max(1.0, float(np.max(np.abs(y))))
            sol = solve_layer_exact(layer, y, replace(how, tol=band, band=band))
        else:
            sol = solve_layer_noisy(layer, y, norm, how)
        layers.append(
            {
                "layer": k,
                "how": sol.how,
                "status": sol.status,
                "unique": sol.unique,
                "lp_value": sol.info.get("lp_value"),
                "time_s": time.perf_counter() - t0,
            }
        )
        if sol.status != Status.OPTIMAL or sol.h is None:
            return _stop(sol, k, network.depth, norm, layers)
        if k == network.depth - 1 and not norm.exact:
            bound = sol.value
        y = sol.h
    if norm.exact:
        return InversionResult(
            Status.OPTIMAL,
            y,
            "layerwise",
            norm,
            objective=0.0,
            solver={"layers": layers[::-1]},
            message=_uniqueness_note(layers),
        )
    z = polish(problem, y, solver=how.solver)
    return InversionResult(Status.FEASIBLE, z, "layerwise", norm, bound=bound, solver={"layers": layers[::-1]})


def refusal(network, norm: Norm) -> str:
    """Why layer-wise cannot take this network under ``norm`` ("" when it can): the l1 / linf LPs
    read relu and linear layers only (the exact norm reads every activation)."""
    return noisy_refusal(network, reversed(range(network.depth))) if not norm.exact else ""


def _uniqueness_note(layers: list[dict]) -> str:
    """Name the layers whose LP pre-image was not shown to be a single point (z is then one of many)."""
    loose = sorted(layer["layer"] for layer in layers if not layer["unique"])
    if not loose:
        return ""
    return (
        f"verified, but the LP of layer(s) {', '.join(map(str, loose))} did not prove its pre-image a single "
        "point: z may be one of many pre-images"
    )


def _stop(sol: LayerSolution, k: int, depth: int, norm: Norm, layers: list[dict]) -> InversionResult:
    info = {"layers": layers[::-1]}
    status, unchecked = sol.status, "uncertified" in sol.info
    if status == Status.TIME_LIMIT:
        return InversionResult(
            Status.TIME_LIMIT, None, "layerwise", norm, message=f"time limit in layer {k}", solver=info
        )
    if status == Status.INFEASIBLE and norm.exact and k == depth - 1:
        return InversionResult(
            Status.INFEASIBLE,
            None,
            "layerwise",
            norm,
            solver=info,
            message="the output layer's LP (inputs >= 0) is infeasible",
        )
    if status == Status.INFEASIBLE or unchecked:
        what = "the target" if k == depth - 1 else f"the point computed for layer {k + 1}"
        note = " (the LP solver's word: its certificate does not check)" if unchecked else ""
        msg = f"layer {k}: no input reaches {what}{note}; layer-wise cannot decide this instance (use method milp)"
    else:
        msg = f"layer {k}: LP solver status {status} ({sol.info.get('raw_status', 'no detail')})"
    return InversionResult(Status.FAILED, None, "layerwise", norm, message=msg, solver=info)
