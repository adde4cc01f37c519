"""The chain of affine maps and activations that every reader builds, one layer at a time.

Consecutive affine maps with no activation between them are multiplied out
(``W2 (W1 h + b1) + b2 = (W2 W1) h + (W2 b1 + b2)``, in float64; a product of sparse maps stays
sparse). The chain knows the per-sample shape of its running tensor (``(n,)`` or ``(C, H, W)``,
flattened row-major), so reshapes are index no-ops. Hidden layers end in relu or leaky_relu, the
last one may end in tanh or sigmoid; a chain ending in an affine map has a linear output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..activation import Activation
from ..errors import InputError
from ..validation import MAX_ENTRIES, as_float_array
from .conv import Shape

Layers = tuple[list, list[np.ndarray], list[str]]  # weights (dense or CSR), biases, activations
DENSE_SHARE = 0.5  # a composed sparse map with more nonzeros than this share is stored dense


def _compose(w, w0):
    """``w @ w0``: sparse when both are sparse and the product stays sparse, dense otherwise."""
    if sp.issparse(w) and sp.issparse(w0):
        product = sp.csr_matrix(w @ w0)
        return product.toarray() if product.nnz > DENSE_SHARE * product.shape[0] * product.shape[1] else product
    return np.asarray(w @ w0)


class AffineChain:
    """Accumulates layers: a pending affine map since the last activation, and the finished layers."""

    def __init__(self, input_shape: Shape | None = None) -> None:
        self.shape = input_shape
        self.weights: list = []
        self.biases: list[np.ndarray] = []
        self.activations: list[Activation] = []
        self.pending: tuple[Any, np.ndarray] | None = None  # (W, b) not yet followed by an activation

    @property
    def width(self) -> int | None:
        """Number of entries of the current tensor, when known."""
        return None if self.shape is None else int(np.prod(self.shape, dtype=np.int64))

    def reshape(self, shape: Shape) -> None:
        """View the current tensor with another shape of the same size (row-major: no-op on indices)."""
        self.shape = shape

    def affine(self, w, b: np.ndarray, where: str, out_shape: Shape | None = None) -> None:
        """Compose ``h -> w h + b`` (w dense or CSR) after the current tensor."""
        self._check_open(where)
        w = sp.csr_matrix(w, dtype=np.float64) if sp.issparse(w) else as_float_array(w, f"{where} weight", ndim=2)
        if sp.issparse(w) and not np.all(np.isfinite(w.data)):
            raise InputError(f"{where} weight: contains NaN or inf")
        b = as_float_array(b, f"{where} bias", ndim=1)
        if b.shape[0] != w.shape[0]:
            raise InputError(f"{where}: bias of length {b.shape[0]} for {w.shape[0]} outputs")
        width = self.width
        if width is not None and w.shape[1] != width:
            raise InputError(f"{where}: expects {w.shape[1]} inputs but the previous layer gives {width}")
        if self.pending is not None:
            w0, b0 = self.pending
            dense = not (sp.issparse(w) and sp.issparse(w0))
            if dense and w.shape[0] * w0.shape[1] > MAX_ENTRIES:
                raise InputError(f"{where}: multiplying out consecutive affine maps exceeds {MAX_ENTRIES} weights")
            w, b = _compose(w, w0), w @ b0 + b
        self.pending = (w, b)
        self.shape = out_shape or (w.shape[0],)

    def bias(self, b: np.ndarray, where: str) -> None:
        """Add a constant ``b`` (one entry per element of the current tensor)."""
        if self.pending is not None:
            self.pending = (self.pending[0], self.pending[1] + b)
            return
        self.affine(sp.identity(b.shape[0], format="csr"), b, where, self.shape)

    def activate(self, act: Activation, where: str) -> None:
        """End the pending affine map with ``act`` (relu, leaky_relu, tanh, sigmoid)."""
        self._check_open(where)
        if self.pending is None:
            if not self.activations:
                raise InputError(f"{where}: {act} applied to the network input; expected an affine layer first")
            self.activations[-1] = _twice(self.activations[-1], act, where)
            return
        self.weights.append(self.pending[0])
        self.biases.append(self.pending[1])
        self.activations.append(act)
        self.pending = None

    def _check_open(self, where: str) -> None:
        if self.activations and self.activations[-1].smooth:
            raise InputError(f"{where}: follows a {self.activations[-1]} output; tanh and sigmoid end the network")

    def layers(self, source: str) -> Layers:
        """The finished layers: (weights, biases, activations), the last "linear" if the chain ends
        in an affine map."""
        weights, biases, acts = list(self.weights), list(self.biases), [str(a) for a in self.activations]
        if self.pending is not None:
            weights.append(self.pending[0])
            biases.append(self.pending[1])
            acts.append("linear")
        if not weights:
            raise InputError(f"{source}: no affine layer (Linear/Gemm/MatMul/Conv) found")
        return weights, biases, acts


def _twice(first: Activation, second: Activation, where: str) -> Activation:
    """One activation for two in a row: relu absorbs a leaky_relu, two leaky_relus multiply slopes."""
    if second.smooth or first.smooth:
        raise InputError(f"{where}: {second} straight after {first}; milpinv reads one activation per layer")
    if first.is_relu or second.is_relu:
        return Activation("relu")
    return Activation("leaky_relu", first.slope * second.slope)


def forward(layers: Layers, z: np.ndarray) -> np.ndarray:
    """The layers' output for a batch ``z`` of shape (batch, n_0), in float64."""
    h = z
    for w, b, act in zip(*layers):
        h = Activation.parse(act)(np.asarray((w @ h.T).T) + b)
    return h
