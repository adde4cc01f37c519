r"""Constraint blocks shared by every model, each written once.

**Stability** of a neuron from sound bounds lo <= a <= hi on its pre-activation: always active
(lo >= 0), always inactive (hi <= 0), otherwise unstable.

**Observation rows** for output pre-activations a = W v + b observed through the output
activation as x (the exact norm; no binary is needed, the observation fixes the output pattern),
within a band (the tolerance of :mod:`milpinv.tolerance`, 0 on the lattice):
|act(a_i) - x_i| <= band, that is a_i in the pre-image of [x_i - band, x_i + band]. For a relu

    x_i - band <= a_i <= x_i + band   where x_i > band,        a_i <= x_i + band   elsewhere;

for a linear output every row is the two-sided one, for leaky_relu, tanh and sigmoid (increasing,
one to one) the interval is mapped through the inverse (a side beyond the range is open).

**Error epigraph** for an affine expression y (:class:`Linear`) against x (l1 / linf):

    l1:    e_i >= y_i - x_i,  e_i >= x_i - y_i,   minimise sum_i e_i
    linf:  t   >= y_i - x_i,  t   >= x_i - y_i,   minimise t

(the lower side may be kept on some rows only, as in the thresholded noisy LP).

>>> stability([(np.array([-1.0, 0.5, -2.0]), np.array([1.0, 2.0, -0.1]))], 0)
(array([False,  True, False]), array([False, False,  True]), array([ True, False, False]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..activation import LINEAR, Activation
from ..norm import Norm
from ..solvers.matrix import ModelBuilder

Bounds = list[tuple[np.ndarray, np.ndarray]]
Terms = list[tuple[slice, Any]]
ROUND = 4.0 * 2.0**-53  # a few unit roundoffs: the error of a right-hand side computed from two or three numbers


@dataclass(frozen=True)
class Layer:
    """One layer as a model reads it: pre-activations a = W v + b of its inputs v (W dense or
    sparse, one column per input the model keeps), outputs act(a)."""

    W: Any
    b: np.ndarray
    act: Activation = LINEAR

    def on(self, cols: slice) -> Linear:
        """The pre-activations as an expression in the model's variables ``cols``."""
        return Linear([(cols, self.W)], self.b)


@dataclass(frozen=True)
class Linear:
    """y = sum_k M_k v[cols_k] + const: an affine expression in a model's variables, one
    ``(cols, M_k)`` term per block of variables it reads."""

    terms: Terms
    const: np.ndarray

    def rows(self, idx: np.ndarray) -> Linear:
        """The expression's entries ``idx``."""
        return Linear([(cols, _rows_of(mat, idx)) for cols, mat in self.terms], self.const[idx])


@dataclass(frozen=True)
class OutputSpec:
    """What a model asks of the network's outputs: the ``target`` x under ``norm``; the exact norm
    observes x within ``band`` (per output, or one number) through the output activation, or has
    the output pre-activations in ``observed`` when that interval is given."""

    target: np.ndarray
    norm: Norm
    band: float | np.ndarray = 0.0
    observed: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", np.asarray(self.target, dtype=np.float64))
        object.__setattr__(self, "norm", Norm.parse(self.norm))

    def interval(self, act: Activation) -> tuple[np.ndarray, np.ndarray]:
        """The exact norm's interval on the output pre-activations (``observed``, or the pre-image
        of the band around x through ``act``)."""
        return self.observed or observation_interval(act, self.target, self.band)


def loosen(lower: np.ndarray, upper: np.ndarray, magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds computed in float64 from numbers of size ``magnitude``, pushed outward by their
    rounding error, so that the row never cuts off a point it holds in exact arithmetic."""
    err = ROUND * magnitude + np.finfo(float).tiny
    return lower - err, upper + err


def stability(bounds: Bounds, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (active, inactive, unstable) of layer k: lo >= 0, hi <= 0, and the rest."""
    lo, hi = bounds[k]
    inactive = hi <= 0
    active = (lo >= 0) & ~inactive
    return active, inactive, ~(active | inactive)


def observation_interval(
    act: Activation, x: np.ndarray, band: float | np.ndarray = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The interval each output pre-activation may take when act(a) is observed as x within
    ``band`` (the module docstring), rounded outward: the pre-image of [x - band, x + band]."""
    band = np.broadcast_to(np.asarray(band, dtype=np.float64), x.shape)
    if act.exact_arithmetic and not band.any():  # the pre-image of a point: exact, nothing rounds
        return act.preimage(x, x)
    return preimage_interval(act, *loosen(x - band, x + band, np.abs(x) + band))


def preimage_interval(act: Activation, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pre-activations a with act(a) in [low, high] (a side may be infinite), rounded outward:
    it holds every a of the exact pre-image (empty, low > high, where the interval misses the
    activation's range)."""
    lo, hi = act.preimage(low, high)
    finite = lambda v: np.where(np.isfinite(v), np.abs(v), 0.0)  # noqa: E731
    return loosen(lo, hi, 4.0 * (finite(lo) + finite(hi)))


def interval_rows(mb: ModelBuilder, name: str, y: Linear, lo: np.ndarray, hi: np.ndarray) -> None:
    """Rows lo <= y <= hi (a side at infinity is left out, a row with neither is not written)."""
    finite = lambda v: np.where(np.isfinite(v), np.abs(v), 0.0)  # noqa: E731
    b = y.const
    low, high = loosen(lo - b, hi - b, finite(lo) + finite(hi) + np.abs(b))
    keep = np.flatnonzero(np.isfinite(lo) | np.isfinite(hi))
    if keep.size:
        mb.add_rows(name, y.rows(keep).terms, low[keep], high[keep])


def observation_rows(mb: ModelBuilder, y: Linear, lo: np.ndarray, hi: np.ndarray) -> None:
    """The observation rows of the module docstring: the output pre-activations y in their interval."""
    interval_rows(mb, "obs", y, lo, hi)


def error_epigraph(
    mb: ModelBuilder, y: Linear, spec: OutputSpec, lower=0.0, upper=np.inf, two_sided: np.ndarray | None = None
) -> slice:
    """Error variables (``e`` per row for l1, one ``t`` for linf, cost 1) bounding |y - x| (x and
    the norm: ``spec``); ``lower`` / ``upper`` bound each row's error (for linf their max / min
    bound t); ``two_sided`` keeps the lower side on those rows only. Returns the error variables."""
    x, norm = spec.target, spec.norm
    m = x.shape[0]
    lo = np.broadcast_to(np.asarray(lower, float), (m,))
    hi = np.broadcast_to(np.asarray(upper, float), (m,))
    if norm.per_output:
        e = mb.add_vars("e", m, lo, hi, cost=1.0)
        col = sp.identity(m, format="csr")
    else:
        e = mb.add_vars("t", 1, float(lo.max(initial=0.0)), float(hi.max(initial=0.0)), cost=1.0)
        col = sp.csr_matrix(np.ones((m, 1)))
    const = y.const
    slack = loosen(x - const, x - const, np.abs(x) + np.abs(const))
    mb.add_rows("err_hi", list(y.terms) + [(e, -col)], -np.inf, slack[1])  # y - x <= e
    if two_sided is None:
        mb.add_rows("err_lo", list(y.terms) + [(e, col)], slack[0], np.inf)  # y - x >= -e
    elif two_sided.any():
        rows = np.flatnonzero(two_sided)
        mb.add_rows("err_lo", y.rows(rows).terms + [(e, col[rows])], slack[0][rows], np.inf)
    return e


def _rows_of(mat, rows: np.ndarray):
    return mat.tocsr()[rows] if sp.issparse(mat) else np.asarray(mat)[rows]


def selector(indices: Sequence[int] | np.ndarray, width: int, positions: dict[int, int] | None = None) -> sp.csr_matrix:
    """A 0/1 matrix picking ``indices`` (through ``positions`` if given) out of ``width`` columns."""
    idx = np.asarray(indices, dtype=int)
    cols = idx if positions is None else np.array([positions[int(i)] for i in idx], dtype=int)
    return sp.csr_matrix((np.ones(idx.size), (np.arange(idx.size), cols)), shape=(idx.size, width))
