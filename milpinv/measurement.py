r"""Measurement operators applied after the generator: observe y = A G(z), not G(z) itself.

============ ============================================= =========================================
kind         A (m x n, n = G's outputs)                    use
============ ============================================= =========================================
``identity`` I (the default: every output observed)        plain inversion
``mask``     the rows of I where the mask is 1               inpainting (a subset of pixels seen)
``matrix``   any dense m x n matrix                         compressed sensing (m < n random rows)
``avgpool``  k x k non-overlapping means of (C, H, W)       super-resolution (y of shape C, H/k, W/k)
============ ============================================= =========================================

The questions are the usual ones in the measurement space: find z in the box with A G(z) = y
(the exact norm, within :mod:`milpinv.tolerance` of y), or minimise ||A G(z) - y|| in l1 / linf.

A∘G is itself a network (:meth:`Measurement.compose`), so every method runs on it unchanged:

* a mask selects rows of G's output layer, whatever its activation (tanh and sigmoid included:
  the exact norm's observation stays one interval per observed entry);
* a matrix or a pooling after a relu / leaky_relu output turns that output into a hidden layer
  followed by the linear layer A; after a linear output a = W_L h + b_L, A a is written
  A relu(a) - A relu(-a), which is exact (no product A W_L is rounded);
* a matrix or a pooling after a tanh / sigmoid output is not piecewise linear: only gradient
  descent takes it (:class:`SmoothMeasured`); milp, lp and layerwise refuse it.

The average pool's entries are 1/k^2 in float64 (rounded where k is not a power of two): the
measurement is that matrix, and every residual is computed with it.

>>> net = ReluNetwork([np.eye(4)], output_activation="linear")     # G(z) = z, a 1 x 2 x 2 image
>>> pool = Measurement.avgpool((1, 2, 2), 2)
>>> pool.apply(net.forward(np.array([1.0, 2.0, 3.0, 6.0]))).tolist()
[3.0]
>>> composed = pool.compose(net)
>>> composed.dims, composed.forward(np.array([1.0, 2.0, 3.0, 6.0])).tolist()
((4, 8, 1), [3.0])
>>> Measurement.mask([1, 0, 1, 0]).describe()
{'kind': 'mask', 'observed': 2, 'outputs': 4}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .activation import LINEAR, RELU, Activation
from .errors import InputError
from .network import Matrix, ReluNetwork, affine, as_matrix
from .validation import MAX_ENTRIES, as_float_array, as_int_array, check_int

KINDS = ("identity", "mask", "matrix", "avgpool")


@dataclass(frozen=True, eq=False)
class Measurement:
    """A linear operator A (``operator``, m x n) applied to G's n outputs; see the module docstring.

    ``observed``: the boolean vector of observed outputs (kind ``mask``); ``image``: (C, H, W) and
    ``pool``: k (kind ``avgpool``)."""

    kind: str
    operator: Matrix
    observed: np.ndarray | None = None
    image: tuple[int, int, int] | None = None
    pool: int | None = None

    # ----------------------------------------------------------- construction
    @classmethod
    def identity(cls, n: int) -> Measurement:
        """Every output observed."""
        return cls("identity", sp.identity(n, format="csr"))

    @classmethod
    def mask(cls, mask) -> Measurement:
        """Observe the outputs where ``mask`` (a 0/1 or boolean vector over G's outputs) is 1."""
        try:
            raw = np.asarray(mask)
        except (ValueError, TypeError):
            raise InputError("mask: cannot be read as a 0/1 vector over the outputs") from None
        arr = as_float_array(raw.astype(np.float64) if raw.dtype == bool else raw, "mask")
        if arr.ndim != 1:
            raise InputError(f"mask: expected a 0/1 vector over the outputs, got shape {arr.shape}")
        bad = (arr != 0) & (arr != 1)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise InputError(f"mask[{i}] = {arr[i]:.6g}: expected 0 (hidden) or 1 (observed)")
        rows = np.flatnonzero(arr)
        if rows.size == 0:
            raise InputError("mask: observes no output (every entry is 0)")
        select = sp.csr_matrix((np.ones(rows.size), (np.arange(rows.size), rows)), shape=(rows.size, arr.size))
        return cls("mask", select, observed=arr.astype(bool))

    @classmethod
    def matrix(cls, matrix) -> Measurement:
        """y = A G(z) for a dense (or sparse) m x n matrix A."""
        a = as_matrix(matrix, "measurement matrix")
        return cls("matrix", a)

    @classmethod
    def avgpool(cls, image: Sequence[int], k: int) -> Measurement:
        """Means over k x k non-overlapping blocks of G's outputs read as a (C, H, W) image (C-order)."""
        try:
            values = list(image)
        except TypeError:
            values = []
        if len(values) != 3:
            raise InputError(f"avgpool: image shape must be (C, H, W), got {image!r}")
        c, h, w = (check_int(v, "avgpool: image shape (C, H, W)") for v in values)
        k = check_int(k, "avgpool: pool size")
        if c * h * w > MAX_ENTRIES:
            raise InputError(f"avgpool: image shape {(c, h, w)} has more than {MAX_ENTRIES} values")
        if h % k or w % k:
            raise InputError(f"avgpool: pool size {k} does not divide the image's height {h} and width {w}")
        ch, cw = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        block = (ch // k) * (w // k) + cw // k  # each pixel's output index within a channel
        cols = np.arange(c * h * w)
        rows = (np.arange(c)[:, None, None] * (h // k) * (w // k) + block[None]).ravel()
        matrix = sp.csr_matrix(
            (np.full(cols.size, 1.0 / (k * k)), (rows, cols)), shape=(c * (h // k) * (w // k), cols.size)
        )
        return cls("avgpool", matrix, image=(c, h, w), pool=k)

    # ------------------------------------------------------------------ shape
    @property
    def input_dim(self) -> int:
        """n: how many outputs of G the operator reads."""
        return int(self.operator.shape[1])

    @property
    def output_dim(self) -> int:
        """m: how many values are observed."""
        return int(self.operator.shape[0])

    def describe(self) -> dict[str, Any]:
        """What was observed, for results: kind, observed values and G's outputs (and the pooling)."""
        info: dict[str, Any] = {"kind": self.kind, "observed": self.output_dim, "outputs": self.input_dim}
        if self.kind == "avgpool":
            info.update(image=list(self.image or ()), pool=self.pool)
        return info

    def check(self, network: ReluNetwork) -> None:
        """The operator must read exactly G's outputs."""
        if self.input_dim != network.output_dim:
            what = {"mask": "entries", "matrix": "columns"}.get(self.kind, f"values (image {self.image})")
            raise InputError(
                f"measurement {self.kind}: has {self.input_dim} {what} but the network outputs {network.output_dim}"
            )

    # ------------------------------------------------------------- the maps
    def apply(self, x: np.ndarray) -> np.ndarray:
        """A x for x of shape (n,) or (batch, n)."""
        x = np.asarray(x, dtype=np.float64)
        return affine(self.operator, np.zeros(self.output_dim), x)

    def exact(self, network: ReluNetwork) -> bool:
        """Whether A∘G is piecewise linear (exact methods apply): anything but a matrix or pooling after
        a tanh / sigmoid output."""
        return self.kind in ("identity", "mask") or not network.output_activation.smooth

    def compose(self, network: ReluNetwork) -> ReluNetwork:
        """A∘G as a network (see the module docstring); refuses what is not piecewise linear."""
        self.check(network)
        last = network.depth - 1
        act = network.activation(last)
        if self.kind == "identity":
            return network
        if self.kind == "mask":
            rows = np.flatnonzero(np.asarray(self.observed))
            weights = list(network.weights[:last]) + [network.weights[last][rows]]
            biases = list(network.biases[:last]) + [network.biases[last][rows]]
            return ReluNetwork(weights, biases, activations=network.activations)
        if act.smooth:
            raise InputError(
                f"measurement {self.kind} after a {act} output: A {act}(.) is not piecewise linear, so milp, lp and "
                "layerwise cannot model it exactly; use method gd (or a mask, which they take)"
            )
        weights, biases, acts = _append_linear(network, self.operator)
        return ReluNetwork(weights, biases, activations=acts)

    def measured(self, network: ReluNetwork) -> ReluNetwork | SmoothMeasured:
        """A∘G for any method: :meth:`compose`, or :class:`SmoothMeasured` for gradient descent alone."""
        self.check(network)
        return self.compose(network) if self.exact(network) else SmoothMeasured(network, self.operator)

    # --------------------------------------------------------------------- io
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The instance-file keys (see :mod:`milpinv.instance`); nothing for the identity."""
        if self.kind == "identity":
            return {}
        arrays = {"measurement": np.array(self.kind)}
        if self.kind == "mask":
            arrays["measurement_mask"] = np.asarray(self.observed, dtype=bool)
        elif self.kind == "matrix":
            m = self.operator
            arrays["measurement_matrix"] = m.toarray() if sp.issparse(m) else np.asarray(m)
        else:
            arrays["measurement_image"] = np.asarray(self.image, dtype=np.int64)
            arrays["measurement_pool"] = np.array(self.pool, dtype=np.int64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> Measurement | None:
        """Inverse of :meth:`to_arrays` (None: no ``measurement`` key, every output observed)."""
        if "measurement" not in arrays:
            return None
        kind = str(arrays["measurement"])
        needs = {"mask": ["measurement_mask"], "matrix": ["measurement_matrix"]}.get(
            kind, ["measurement_image", "measurement_pool"]
        )
        if kind not in KINDS[1:]:
            raise InputError(f"measurement: expected one of {', '.join(KINDS[1:])}, got {kind!r}")
        missing = [key for key in needs if key not in arrays]
        if missing:
            raise InputError(f"{missing[0]}: missing for measurement {kind}")
        if kind == "mask":
            return cls.mask(arrays["measurement_mask"])
        if kind == "matrix":
            return cls.matrix(arrays["measurement_matrix"])
        image = as_int_array(arrays["measurement_image"], "measurement_image", ndim=1)
        pool = as_int_array(arrays["measurement_pool"], "measurement_pool")
        if image.shape != (3,) or pool.size != 1:
            raise InputError("measurement_image / measurement_pool: expected (C, H, W) and one pool size")
        return cls.avgpool(image.tolist(), int(pool.reshape(-1)[0]))


def _append_linear(network: ReluNetwork, a: Matrix) -> tuple[list, list, list[Activation]]:
    """Layers of A∘G for a kinked or linear output: the output becomes a hidden layer (a linear one
    as the relu pair relu(v) - relu(-v)), then the linear layer A."""
    last = network.depth - 1
    weights, biases = list(network.weights), list(network.biases)
    acts = list(network.activations)
    if acts[last].identity:
        w = network.weights[last]
        weights[last] = sp.vstack([w, -w], format="csr") if sp.issparse(w) else np.vstack([w, -w])
        biases[last] = np.concatenate([network.biases[last], -network.biases[last]])
        acts[last] = RELU
        a = sp.hstack([a, -a], format="csr") if sp.issparse(a) else np.hstack([a, -a])
    return weights + [a], biases + [np.zeros(a.shape[0])], acts + [LINEAR]


class SmoothMeasured:
    """A G(z) after a tanh / sigmoid output: not a :class:`ReluNetwork` (a smooth hidden layer), but
    the duck-typed forward pass, layers and gradient that gradient descent and the re-check read."""

    def __init__(self, network: ReluNetwork, a: Matrix) -> None:
        self.network = network
        self.weights = tuple(network.weights) + (a,)
        self.biases = tuple(network.biases) + (np.zeros(a.shape[0]),)
        self.activations = tuple(network.activations) + (LINEAR,)

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        return self.network.input_dim

    @property
    def output_dim(self) -> int:
        return int(self.weights[-1].shape[0])

    @property
    def output_activation(self) -> Activation:
        return LINEAR

    def activation(self, k: int) -> Activation:
        return self.activations[k]

    def is_integral(self) -> bool:
        return False

    def forward(self, z) -> np.ndarray:
        """A G(z) in float64."""
        g = self.network.forward(z)
        return affine(self.weights[-1], self.biases[-1], g)
