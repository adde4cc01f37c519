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
