r"""The activations a layer may apply, elementwise, after its affine map.

=============== ================================ ======================================
name            map                              where
=============== ================================ ======================================
``relu``        max(a, 0)                        any layer
``leaky_relu``  max(a, s a), 0 < s < 1           any layer (``leaky_relu:0.2`` in files)
``linear``      a                                the output layer
``tanh``        tanh(a), onto (-1, 1)            the output layer
``sigmoid``     1 / (1 + e^-a), onto (0, 1)      the output layer
=============== ================================ ======================================

``relu`` and ``leaky_relu`` are piecewise linear with one kink at 0: the formulations model them
exactly (a binary per unstable neuron). ``tanh`` and ``sigmoid`` are strictly increasing: the
exact norm inverts them elementwise (an observation interval on the pre-activation), and l1 /
linf bound each output's error by lines below it on its pre-activation's interval
(:mod:`milpinv.formulations.pixel_error`, searched by :mod:`milpinv.milp.boxes`).

>>> Activation.parse("leaky_relu:0.25")(np.array([-2.0, 3.0])).tolist()
[-0.5, 3.0]
>>> Activation.parse("tanh").preimage(np.array([0.0]), np.array([1.5]))
(array([0.]), array([inf]))

An activation compares equal to its text, as files spell it (``Activation.parse("relu") == "relu"``);
code asks it what it is (``kinked``, ``smooth``, ``identity``, ``is_relu``, ``exact_arithmetic``,
``one_to_one``), never its kind's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

KINKED = ("relu", "leaky_relu")  # piecewise linear, one kink at 0
SMOOTH = ("tanh", "sigmoid")  # strictly increasing, bounded range
KINDS = KINKED + ("linear",) + SMOOTH
RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


@dataclass(frozen=True, eq=False)
class Activation:
    """One activation: ``kind`` and, for ``leaky_relu``, its negative ``slope``; equal to another
    of the same kind and slope, and to its text."""

    kind: str
    slope: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"activation: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "leaky_relu" and not 0.0 < self.slope < 1.0:
            raise InputError(f"activation leaky_relu: the negative slope must lie in (0, 1), got {self.slope}")

    @classmethod
    def parse(cls, text: str | Activation) -> Activation:
        """``relu``, ``linear``, ``tanh``, ``sigmoid`` or ``leaky_relu:SLOPE``."""
        if isinstance(text, Activation):
            return text
        kind, _, slope = str(text).partition(":")
        if kind == "leaky_relu":
            try:
                return cls(kind, float(slope))
            except ValueError:
                raise InputError(f"activation: expected leaky_relu:SLOPE, got {text!r}") from None
        return cls(kind)

    def __str__(self) -> str:
        return f"leaky_relu:{self.slope:g}" if self.kind == "leaky_relu" else self.kind

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        if isinstance(other, Activation):
            return (self.kind, self.slope) == (other.kind, other.slope)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    @property
    def identity(self) -> bool:
        """The linear output: a = act(a)."""
        return self.kind == "linear"

    @property
    def is_relu(self) -> bool:
        """max(a, 0): a kink with a flat side, so its output is never negative and not one to one."""
        return self.kind == "relu"

    @property
    def exact_arithmetic(self) -> bool:
        """relu or linear: computed in float64 without rounding, integers to integers (interval
        bounds, one-layer LPs, peeling, exact pre-images and the lattice rely on it)."""
        return self.kind in ("relu", "linear")

    @property
    def one_to_one(self) -> bool:
        """Strictly increasing (every activation but relu): :meth:`inverse` exists."""
        return not self.is_relu

    @property
    def kinked(self) -> bool:
        """Piecewise linear with a kink at 0 (relu, leaky_relu)."""
        return self.kind in KINKED

    @property
    def smooth(self) -> bool:
        """tanh or sigmoid: strictly increasing, not piecewise linear."""
        return self.kind in SMOOTH

    @property
    def low_slope(self) -> float:
        """The slope below 0 of a kinked activation (0 for relu), 1 for linear."""
        return {"relu": 0.0, "leaky_relu": self.slope}.get(self.kind, 1.0)

    def __call__(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        if self.kind == "linear":
            return a
        if self.kinked:
            return np.maximum(a, self.low_slope * a)
        return np.tanh(a) if self.kind == "tanh" else _expit(a)

    def derivative(self, a: np.ndarray) -> np.ndarray:
        """The derivative at a (the right one at a kink)."""
        if self.kind == "linear":
            return np.ones_like(a)
        if self.kinked:
            return np.where(a > 0, 1.0, self.low_slope)
        y = self(a)
        return 1.0 - y * y if self.kind == "tanh" else y * (1.0 - y)

    @property
    def hull(self) -> tuple[float, float]:
        """The closure of the activation's range: relu [0, inf), tanh [-1, 1], sigmoid [0, 1]."""
        return RANGE.get(self.kind, (0.0 if self.kind == "relu" else -np.inf, np.inf))

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """The pre-activation of y for a strictly increasing activation, y clipped into the open range
        first (tanh, sigmoid: a target on or beyond an end maps to the largest finite value)."""
        y = np.asarray(y, dtype=np.float64)
        if self.kind in RANGE:
            lo_end, hi_end = RANGE[self.kind]
            y = np.clip(y, np.nextafter(lo_end, hi_end), np.nextafter(hi_end, lo_end))
            return np.arctanh(y) if self.kind == "tanh" else _logit(y)
        if self.kind == "leaky_relu":
            return np.where(y >= 0, y, y / self.slope)
        if self.kind == "linear":
            return y
        raise InputError(f"activation {self}: not one to one")

    def preimage(self, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interval of pre-activations a with act(a) in [low, high] (an increasing map; for relu
        an output <= 0 allows any a <= 0). Empty where low > high comes back."""
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if self.kind == "linear":
            return low, high
        if self.kind == "relu":  # an output above high < 0 is impossible: the interval comes back empty
            return np.where(high < 0, np.inf, np.where(low > 0, low, -np.inf)), np.where(high >= 0, high, -np.inf)
        if self.kind == "leaky_relu":
            inv = lambda y: np.where(y >= 0, y, y / self.slope)  # noqa: E731
            return inv(low), inv(high)
        lo_end, hi_end = RANGE[self.kind]
        inverse = np.arctanh if self.kind == "tanh" else _logit
        with np.errstate(divide="ignore", invalid="ignore"):
            a_lo = np.where(low <= lo_end, -np.inf, inverse(np.clip(low, lo_end, hi_end)))
            a_hi = np.where(high >= hi_end, np.inf, inverse(np.clip(high, lo_end, hi_end)))
        return np.where(low >= hi_end, np.inf, a_lo), np.where(high <= lo_end, -np.inf, a_hi)


RELU = Activation("relu")
LINEAR = Activation("linear")


def _expit(a: np.ndarray) -> np.ndarray:
    from scipy.special import expit  # imported on use: scipy.special costs start-up time

    return expit(a)


def _logit(y: np.ndarray) -> np.ndarray:
    from scipy.special import logit

    return logit(y)
