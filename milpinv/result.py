"""The result object every inversion method returns, and its float64 re-check."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .network import ReluNetwork

OPTIMAL = "optimal"          # proven optimal (exact norm: a verified preimage)
FEASIBLE = "feasible"        # verified z, optimality not proven (e.g. gradient descent, l1/linf)
INFEASIBLE = "infeasible"    # proven: no z in the box reaches the target
TIME_LIMIT = "time_limit"    # stopped by the time limit; best z (if any) and bound reported
FAILED = "failed"            # the method gave no verified answer (says why in ``message``)
STATUSES = (OPTIMAL, FEASIBLE, INFEASIBLE, TIME_LIMIT, FAILED)

NORMS = ("exact", "l1", "linf")
INTEGRAL_TOL = 1e-9  # residual tolerance when every pre-image is integral (see check_result)


def tolerance(target: np.ndarray, rel: float = 1e-6) -> float:
    """Residual tolerance for accepting G(z) = x: ``rel * max(1, ||x||_inf)``."""
    scale = float(np.max(np.abs(target))) if target.size else 0.0
    return rel * max(1.0, scale)


def residuals(network: ReluNetwork, target: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """(l1, linf) norms of G(z) - x from a float64 forward pass."""
    r = network.forward(np.asarray(z, dtype=np.float64)) - target
    return float(np.abs(r).sum()), float(np.abs(r).max()) if r.size else 0.0


@dataclass
class InversionResult:
    """Outcome of one inversion; ``z`` is always re-checked by :func:`residuals`."""

    status: str
    z: np.ndarray | None
    method: str
    norm: str = "exact"
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    residual_l1: float | None = None
    residual_linf: float | None = None
    time_s: float = 0.0
    message: str = ""
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)

    def residual(self, norm: str | None = None) -> float | None:
        """The residual in ``norm`` (default: the result's own norm; exact uses linf)."""
        norm = norm or self.norm
        return self.residual_l1 if norm == "l1" else self.residual_linf

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "z": None if self.z is None else [float(v) for v in self.z],
            "residual_l1": self.residual_l1,
            "residual_linf": self.residual_linf,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "method": self.method,
            "norm": self.norm,
            "time_s": self.time_s,
            "message": self.message,
            "solver": _jsonable(self.solver),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def summary(self) -> str:
        parts = [f"status={self.status}", f"method={self.method}", f"norm={self.norm}"]
        if self.residual_linf is not None:
            parts.append(f"residual_linf={self.residual_linf:.3g}")
        if self.objective is not None:
            parts.append(f"objective={self.objective:.6g}")
        if self.gap is not None:
            parts.append(f"gap={self.gap:.3g}")
        parts.append(f"time={self.time_s:.3f}s")
        if self.message:
            parts.append(f"({self.message})")
        return " ".join(parts)


def check_result(result: InversionResult, network: ReluNetwork, x: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray, integral: bool = False) -> InversionResult:
    """Re-check ``result.z`` by a float64 forward pass; downgrade any claim it does not support.

    ``integral``: every pre-image is known to be integral (reduced instances, integer weights);
    z is rounded to the lattice and must then match the target to :data:`INTEGRAL_TOL`, so
    that a relative tolerance never accepts an integer residual on large-valued targets."""
    integral = integral and result.norm == "exact"
    tol = INTEGRAL_TOL if integral else tolerance(x)
    if result.status == INFEASIBLE:
        result.z = None
        result.residual_l1 = result.residual_linf = None
        return result
    if result.z is None:
        if result.status in (OPTIMAL, FEASIBLE):
            result.status, result.message = FAILED, result.message or "method returned no z"
        return result
    z = np.asarray(result.z, dtype=np.float64).reshape(-1)
    if z.shape != (network.input_dim,) or not np.all(np.isfinite(z)):
        result.status, result.z = FAILED, None
        result.message = "method returned a malformed z"
        return result
    box_tol = 1e-7 * max(1.0, float(np.max(np.abs(np.concatenate([lower, upper])))))
    if np.any(z < lower - box_tol) or np.any(z > upper + box_tol):
        result.message = (result.message + "; " if result.message else "") + "z left the box: clipped"
    z = np.clip(z, lower, upper)
    if integral:
        z = _snap(network, x, z, lower, upper)
    result.z = z
    result.residual_l1, result.residual_linf = residuals(network, x, z)
    if result.status not in (OPTIMAL, FEASIBLE, TIME_LIMIT):
        return result
    if result.norm == "exact":
        if result.residual_linf > tol:
            if result.status != TIME_LIMIT:
                result.status = FAILED
            result.message = (f"forward pass residual {result.residual_linf:.3g} exceeds tolerance {tol:.3g}"
                              + (f"; {result.message}" if result.message else ""))
    else:
        true_obj = result.residual_l1 if result.norm == "l1" else result.residual_linf
        if result.objective is not None and true_obj > result.objective + tol * max(1, x.size if result.norm == "l1" else 1):
            result.message = (f"solver objective {result.objective:.6g} below the forward-pass residual "
                              f"{true_obj:.6g}; reporting the residual" + (f"; {result.message}" if result.message else ""))
            if result.status == OPTIMAL:
                result.status = FEASIBLE
        result.objective = true_obj
    return result


def _snap(network: ReluNetwork, x: np.ndarray, z: np.ndarray, lower, upper) -> np.ndarray:
    """The nearest lattice point when it is at least as good as z."""
    zr = np.clip(np.round(z), np.ceil(lower), np.floor(upper))
    return zr if residuals(network, x, zr)[1] <= residuals(network, x, z)[1] else z


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value
