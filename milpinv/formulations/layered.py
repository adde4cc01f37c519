r"""The LP of one linear piece in layered form, where moving to another piece changes column bounds
only, not the model (the piece walks of the l1 / linf heuristic).

:func:`~milpinv.formulations.pieces.piece_model` writes a piece in z alone (every pre-activation
an affine map of z): a flip of one neuron changes the maps of every later layer, so each piece is
a new model. Here every layer keeps its own variables. A kinked neuron's pre-activation is split
into its two sides, a = p - g with p, g >= 0, and its output is act(a) = p - s g (s the slope
below 0: relu 0, leaky_relu s); a layer without a kink keeps a free a:

    p_k - g_k - W_k u_{k-1} = b_k     (kinked; a_k - W_k u_{k-1} = b_k otherwise)
    u_{-1} = z,   u_k = p_k - s g_k   (kinked; u_k = a_k otherwise)
    active neuron:   g_{k,i} = 0  (a = p >= 0, act(a) = a)
    inactive neuron: p_{k,i} = 0  (a = -g <= 0, act(a) = s a)
    lower <= z <= upper,   l1 / linf error epigraph of u_{L-1} against x (:mod:`.blocks`).

The side of a neuron is the bounds of two columns ([0, inf) or [0, 0]): a change of pattern is a
change of column bounds (:meth:`LayeredPiece.changes`), after which a dual simplex starts from the
last basis. The z part of a point of this LP is a point of the piece and the objective is its
error, so its optimum is the optimum of ``piece_model`` (up to the LP solver's tolerances; an
optimum that is not unique may be another point of the same value).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..network import ReluNetwork
from ..problem import Box
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Linear, OutputSpec, Terms, error_epigraph


@dataclass(frozen=True)
class PatternChange:
    """What moves the LP from one piece to another: new bounds of the columns ``cols``."""

    cols: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class LayeredPiece:
    """The model of the module docstring and where each kinked neuron lives in it: for every layer
    its p and g columns (None where the activation has no kink)."""

    model: MatrixModel
    z: slice
    sides: list[tuple[slice, slice] | None]

    def changes(self, old: list[np.ndarray], new: list[np.ndarray]) -> PatternChange:
        """The column bounds that move the LP from pattern ``old`` to ``new`` (the p and g of the
        neurons whose side differs)."""
        cols, lower, upper = [np.zeros(0, int)], [np.zeros(0)], [np.zeros(0)]
        for k, side in enumerate(self.sides):
            if side is None:
                continue
            idx = np.flatnonzero(old[k] != new[k])
            p, g = side
            for start, bounds in ((p.start, _bounds(new[k][idx])), (g.start, _bounds(~new[k][idx]))):
                cols.append(start + idx)
                lower.append(bounds[0])
                upper.append(bounds[1])
        return PatternChange(np.concatenate(cols), np.concatenate(lower), np.concatenate(upper))

    def point(self, x: np.ndarray) -> np.ndarray:
        """The z of a solution ``x`` of the model."""
        return np.asarray(x)[self.z]


def layered_piece(network: ReluNetwork, pattern: list[np.ndarray], spec: OutputSpec, box: Box) -> LayeredPiece:
    """The LP of the module docstring on the piece of ``pattern`` (one mask per layer, pre-activation
    > 0) for the l1 / linf question ``spec``, z in ``box``."""
    mb = ModelBuilder("layered_piece")
    u: Terms = [(mb.add_vars("z", network.input_dim, box.lower, box.upper), sp.identity(network.input_dim))]
    sides: list[tuple[slice, slice] | None] = []
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        act, n = network.activation(k), b.shape[0]
        W = sp.csr_matrix(W)
        inputs = [(cols, -(W @ mat)) for cols, mat in u]
        eye = sp.identity(n, format="csr")
        if act.kinked:
            p = mb.add_vars(f"p{k}", n, *_bounds(pattern[k]))
            g = mb.add_vars(f"g{k}", n, *_bounds(~pattern[k]))
            mb.add_rows(f"layer{k}", [(p, eye), (g, -eye), *inputs], b, b)
            u, side = [(p, eye), (g, -act.low_slope * eye)], (p, g)
        else:
            a = mb.add_vars(f"a{k}", n, -np.inf, np.inf)
            mb.add_rows(f"layer{k}", [(a, eye), *inputs], b, b)
            u, side = [(a, eye)], None
        sides.append(side)
    error_epigraph(mb, Linear(u, np.zeros(network.output_dim)), spec)
    return LayeredPiece(mb.build(), slice(0, network.input_dim), sides)


def _bounds(free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[0, inf) where ``free``, else [0, 0]."""
    return np.zeros(free.shape[0]), np.where(free, np.inf, 0.0)
