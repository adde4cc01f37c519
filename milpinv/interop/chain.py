"""The chain of affine maps and ReLUs that every reader builds, one layer at a time.

Consecutive affine maps with no ReLU between them are multiplied out
(``W2 (W1 h + b1) + b2 = (W2 W1) h + (W2 b1 + b2)``, in float64); a chain ending in an affine map
has a linear output, one ending in a ReLU a relu output.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..validation import MAX_ENTRIES, as_float_array

Layers = tuple[list[np.ndarray], list[np.ndarray], str]  # weights, biases, output activation


class AffineChain:
    """Accumulates layers: a pending affine map since the last ReLU, and the finished layers."""

    def __init__(self, input_width: int | None = None) -> None:
        self.input_width = input_width
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.pending: tuple[np.ndarray, np.ndarray] | None = None  # (W, b) not yet followed by a ReLU
        self.last_relu = False

    @property
    def width(self) -> int | None:
        """Width of the current tensor, when known."""
        if self.pending is not None:
            return self.pending[0].shape[0]
        return self.weights[-1].shape[0] if self.weights else self.input_width

    def affine(self, w: np.ndarray, b: np.ndarray, where: str) -> None:
        """Compose ``h -> w h + b`` after the current tensor."""
        w = as_float_array(w, f"{where} weight", ndim=2)
        b = as_float_array(b, f"{where} bias", ndim=1)
        if b.shape[0] != w.shape[0]:
            raise InputError(f"{where}: bias of length {b.shape[0]} for {w.shape[0]} outputs")
        width = self.width
        if width is not None and w.shape[1] != width:
            raise InputError(f"{where}: expects {w.shape[1]} inputs but the previous layer gives {width}")
        if self.pending is not None:
            w0, b0 = self.pending
            if w.shape[0] * w0.shape[1] > MAX_ENTRIES:
                raise InputError(f"{where}: multiplying out consecutive affine maps exceeds {MAX_ENTRIES} weights")
            w, b = w @ w0, w @ b0 + b
        self.pending = (w, b)
        self.last_relu = False

    def bias(self, b: np.ndarray, where: str) -> None:
        """Add a per-feature constant ``b`` (shape (width,)) to the current tensor."""
        if self.pending is not None:
            self.pending = (self.pending[0], self.pending[1] + b)
            return
        n = b.shape[0]
        if n * n > MAX_ENTRIES:
            raise InputError(
                f"{where}: a bias straight after a ReLU needs a {n} x {n} identity layer, "
                f"more than {MAX_ENTRIES} weights"
            )
        self.affine(np.eye(n), b, where)

    def relu(self, where: str) -> None:
        """End the pending affine map with a ReLU (a second ReLU in a row changes nothing)."""
        if self.pending is None:
            if self.last_relu:
                return
            raise InputError(f"{where}: ReLU applied to the network input; expected a Linear/Gemm/MatMul first")
        self.weights.append(self.pending[0])
        self.biases.append(self.pending[1])
        self.pending = None
        self.last_relu = True

    def layers(self, source: str) -> Layers:
        """The finished layers: (weights, biases, output activation), "linear" if the chain ends
        in an affine map."""
        weights, biases = list(self.weights), list(self.biases)
        if self.pending is not None:
            weights.append(self.pending[0])
            biases.append(self.pending[1])
        if not weights:
            raise InputError(f"{source}: no Linear/Gemm/MatMul layer found")
        return weights, biases, "relu" if self.pending is None else "linear"
