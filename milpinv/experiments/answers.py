"""Who vouches for a known answer: an independent witness of each instance's recorded answer.

A witness function takes an instance and returns a :class:`Witness`: the answer an independent
source gives (``feasible`` with a latent z, ``infeasible``, or ``unknown``) and the source's name.
Planted instances (meta ``generator`` ``plant_instance``) are vouched for by their planted z; other
generators register theirs with :func:`register_witness` (the ``reductions`` package registers its
oracles, python-sat and DP / CP-SAT, when its suites load). The witness is then checked here, by
the acceptance rule (a float64 forward pass, or exact integer arithmetic on a proven lattice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..acceptance import acceptance
from ..errors import InputError
from ..instance import Instance
from ..norm import Norm
from ..tolerance import residual_norm
from .suites import suites


@dataclass(frozen=True)
class Witness:
    answer: str  # feasible, infeasible or unknown
    z: np.ndarray | None
    source: str


WitnessFn = Callable[[Instance], Witness]
WITNESSES: dict[str, WitnessFn] = {}


def register_witness(generator: str) -> Callable[[WitnessFn], WitnessFn]:
    """Register the witness of instances whose meta names ``generator``."""

    def register(fn: WitnessFn) -> WitnessFn:
        WITNESSES[generator] = fn
        return fn

    return register


@register_witness("plant_instance")
def planted_witness(inst: Instance) -> Witness:
    z = inst.planted_z
    if z is None:
        raise InputError("instance: generator plant_instance but no planted_z in its meta")
    return Witness("feasible", z, "planted z")


def witness(inst: Instance) -> Witness:
    """The independent witness of ``inst`` (the suite plug-ins are loaded first, so that the
    packages that add suites can register theirs)."""
    generator = str(inst.meta.get("generator", ""))
    if generator not in WITNESSES:
        suites()
    if generator not in WITNESSES:
        raise InputError(f"instance: no independent witness for generator {generator!r}")
    return WITNESSES[generator](inst)


def check_answer(inst: Instance, norm: Norm, known: str, objective_upper: float | None) -> Witness:
    """The witness of ``inst``, checked against its recorded answer: a feasible answer needs an
    accepted z (exact norm), an infeasible one the source's proof; an l1 / linf bound on the
    optimum (``objective_upper``) needs a z whose residual meets it."""
    w = witness(inst)
    if norm.exact and known != w.answer:
        raise InputError(f"known answer {known!r} but {w.source} says {w.answer!r}")
    if w.z is None:
        if known == "feasible" or not norm.exact:
            raise InputError(f"known answer {known!r} ({norm}) but {w.source} gives no z")
        return w
    if norm.exact:
        z, miss, ok = acceptance(inst.network, inst.target, norm, inst.lower, inst.upper).check(
            inst.network, inst.target, w.z, inst.lower, inst.upper
        )
        if not ok:
            raise InputError(f"{w.source}: G(z) misses the target by {miss:.3g}")
        return Witness(w.answer, z, w.source)
    if (
        objective_upper is not None
        and residual_norm(inst.network, inst.target, w.z, norm) > objective_upper * (1 + 1e-9) + 1e-12
    ):
        raise InputError(f"{w.source}: its {norm} residual exceeds the recorded bound {objective_upper:.6g}")
    return w
