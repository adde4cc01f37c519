"""The result object every inversion method returns (see :mod:`milpinv.status` for what its
status claims, :mod:`milpinv.acceptance` and :mod:`milpinv.milp.certify` for how a claim is
checked)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .norm import Norm
from .status import Status


@dataclass
class InversionResult:
    """Outcome of one inversion; ``z`` is always re-checked by a float64 forward pass."""

    status: Status
    z: np.ndarray | None
    method: str
    norm: Norm = Norm.EXACT
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    residual_l1: float | None = None
    residual_linf: float | None = None
    time_s: float = 0.0
    message: str = ""
    solver: dict[str, Any] = field(default_factory=dict)
    verified: bool = False  # z passed the float64 re-check (exact: a pre-image within tolerance)
    measurement: dict[str, Any] | None = None  # what was observed (None: every output); residuals are A G(z) - y

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.norm = Norm.parse(self.norm)

    @property
    def ok(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    def residual(self, norm: Norm | None = None) -> float | None:
        """The residual in ``norm`` (default: the result's own norm; exact uses linf)."""
        return self.residual_l1 if (norm or self.norm).per_output else self.residual_linf

    def note(self, text: str) -> None:
        """Prepend ``text`` to the message (the newest reason first)."""
        self.message = f"{text}; {self.message}" if self.message else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "z": None if self.z is None else [float(v) for v in self.z],
            "residual_l1": self.residual_l1,
            "residual_linf": self.residual_linf,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "method": self.method,
            "norm": self.norm.value,
            "time_s": self.time_s,
            "message": self.message,
            "verified": self.verified,
            "measurement": self.measurement,
            "solver": jsonable(self.solver),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def summary(self) -> str:
        parts = [f"status={self.status}", f"method={self.method}", f"norm={self.norm}"]
        if self.measurement is not None:
            m = self.measurement
            parts.append(f"measurement={m['kind']}({m['observed']} of {m['outputs']})")
        if self.residual_linf is not None:
            parts.append(f"residual_linf={self.residual_linf:.3g}")
        if self.objective is not None:
            parts.append(f"objective={self.objective:.6g}")
        if self.bound is not None:
            parts.append(f"bound={self.bound:.6g}")
        if self.gap is not None:
            parts.append(f"gap={self.gap:.3g}")
        parts.append(f"time={self.time_s:.3f}s")
        if self.message:
            parts.append(f"({self.message})")
        return " ".join(parts)


def jsonable(value: Any) -> Any:
    """``value`` with numpy arrays, scalars and enums turned into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Status, Norm)):
        return value.value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
