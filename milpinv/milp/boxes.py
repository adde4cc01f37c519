"""Pixel-space search of a tanh / sigmoid output under l1 / linf: best-first splits of the latent
box around the branch and bound.

The model of a smooth output (:mod:`milpinv.formulations.pixel_error`) under-estimates each
pixel's error by lines valid on its pre-activation's interval: a relaxation, exact only where the
error is convex, so a search of the whole box may end with its leaves' certified bound below the
incumbent. Smaller boxes give smaller intervals and tighter lines. So:

1. the box queue starts with the latent box; each box is searched by the branch and bound
   (:func:`~.solve.search_model`) on a model built on that box (sound bounds of the box, its
   output pre-activations' bounds tightened by LP, :func:`~milpinv.bounds.obbt.tighten_outputs`, and
   the lines of those intervals), from the best point so far: the latent box for at most
   :data:`LATENT_BOX_NODES` nodes (its incumbents), each half at its root only
   (:data:`BOX_NODES`: a depth-first search reports its root's bound until a subtree closes, so
   nodes spent inside a box lift nothing; PERFORMANCE.md 30);
2. a search's certified bound (a proof, a finished search's leaf bound, or a stopped search's
   bound) is the box's; a search that certifies nothing keeps its parent's;
3. the box of the smallest bound is halved along its widest coordinate (relative to the latent
   box) and its halves searched, while that bound leaves the acceptance rule's gap open
   (:func:`~milpinv.tolerance.relative_gap` with :func:`~milpinv.tolerance.objective_slack`) and
   the clock runs.

The halves cover the box, so the smallest box bound is a certified lower bound of the pixel
distance over the whole latent box: ``optimal`` once it meets the best point's residual within
the slack, ``time_limit`` with the interval [bound, objective] otherwise.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from ..options import MilpOptions
from ..problem import Box, Problem
from ..result import InversionResult
from ..status import Status
from ..tolerance import objective_slack, relative_gap, residual_norm
from .build import ModelSpec, build_model
from .solve import Engine, search_model

LATENT_BOX_NODES = 200  # branch-and-bound nodes on the whole latent box (where incumbents are found)
BOX_NODES = 1  # ... and on each half after it: its root's bound, then it is split instead


@dataclass(order=True)
class OpenBox:
    """A box of the queue and its certified bound (the queue's order)."""

    bound: float
    box: Box = field(compare=False)


def split_boxes(problem: Problem, engine: Engine, options: MilpOptions) -> InversionResult:
    """The search of the module docstring on ``problem`` (a smooth output, l1 / linf), on its
    clock, from the point ``options.warm_start``; ``options.node_limit``: the nodes of all boxes'
    searches together (then ``time_limit`` as if the clock had run out); ``options.bounds`` and
    ``obbt_passes``: each box's bounds."""
    p, deadline, node_limit = problem, problem.deadline, options.node_limit
    best_z = None if options.warm_start is None else p.box.clip(np.asarray(options.warm_start, float))
    best = np.inf if best_z is None else residual_norm(p.network, p.target, best_z, p.norm)
    slack = objective_slack(p.norm, p.accept.tol, p.target.size)
    spec = ModelSpec(bounds=options.bounds, obbt_passes=options.obbt_passes, lp_solver=engine.lp_solver, outputs=True)
    queue = [OpenBox(-np.inf, p.box)]
    searched, nodes = 0, 0
    while queue and not deadline.expired() and (node_limit is None or nodes < node_limit):
        top = heapq.heappop(queue)
        if best_z is not None and relative_gap(best, top.bound, slack) == 0.0:
            heapq.heappush(queue, top)
            break
        for half in _halves(top, p.box) if searched else [top]:  # the latent box first, then halves
            budget = BOX_NODES if searched else LATENT_BOX_NODES
            found = _search_box(p.derive(box=half.box), engine, spec, best_z, budget)
            searched, nodes = searched + 1, nodes + found.solver.get("nodes", 0)
            if found.z is not None and found.objective is not None and found.objective < best:
                best_z, best = found.z, found.objective
            bound = found.bound if found.bound is not None else -np.inf
            heapq.heappush(queue, OpenBox(max(half.bound, bound), half.box))
            if deadline.expired():
                break
    bound = min((b.bound for b in queue), default=best)
    done = best_z is not None and relative_gap(best, bound, slack) == 0.0
    status = Status.OPTIMAL if done else Status.TIME_LIMIT if best_z is not None else Status.FAILED
    details = {**engine.details, "boxes": searched, "nodes": nodes, "open_boxes": len(queue)}
    why = "" if done else f"{deadline.why() if deadline.expired() else 'node limit'} in the box search"
    finite = bound if np.isfinite(bound) else None
    return InversionResult(
        status,
        best_z,
        "milp",
        p.norm,
        objective=None if best_z is None else best,
        bound=finite,
        gap=relative_gap(best, finite, slack) if best_z is not None else None,
        solver=details,
        message=why,
    )


def _search_box(part: Problem, engine: Engine, spec: ModelSpec, best_z, nodes: int) -> InversionResult:
    """The branch and bound on a model of ``part`` (the question on one box, derived from the
    whole: its points are judged on the whole box, on the whole's clock; at most ``nodes``
    nodes), from the point ``best_z``."""
    form, info = build_model(part, spec)
    engine.details = {"engine": engine.name, **info, **form.stats()}
    return search_model(form, part, engine, best_z, node_limit=nodes)


def _halves(top: OpenBox, whole: Box) -> list[OpenBox]:
    """``top`` halved along its widest coordinate relative to the latent box ``whole``."""
    box = top.box
    span = np.where(whole.upper > whole.lower, whole.upper - whole.lower, 1.0)
    k = int(np.argmax((box.upper - box.lower) / span))
    mid = 0.5 * (box.lower[k] + box.upper[k])
    left_upper, right_lower = box.upper.copy(), box.lower.copy()
    left_upper[k], right_lower[k] = mid, mid
    return [OpenBox(top.bound, Box(box.lower, left_upper)), OpenBox(top.bound, Box(right_lower, box.upper))]
