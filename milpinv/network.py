"""Feed-forward networks G(z) = act_L(W_L ... act_1(W_1 z + b_1) ... + b_L) in float64.

Hidden layers apply ``relu`` or ``leaky_relu``; the output layer any activation of
:mod:`milpinv.activation` (``relu``, the paper's model, ``leaky_relu``, ``linear``, ``tanh``,
``sigmoid``). A weight matrix is a dense numpy array or a scipy.sparse matrix (kept as CSR: the
unrolled convolutions of :mod:`milpinv.interop` are sparse), and every algorithm takes both.

File format (numpy .npz): ``W0, b0, ..., W{L-1}, b{L-1}`` with ``W_k`` of shape (n_{k+1}, n_k);
a sparse ``W_k`` is stored as ``W{k}.data``, ``W{k}.indices``, ``W{k}.indptr`` and ``W{k}.shape``
(CSR, as scipy.sparse.csr_matrix takes them). ``output_activation``: the output layer's
activation; ``activations``: one name per layer, written only when a hidden layer applies
something other than relu.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .activation import RELU, Activation
from .errors import InputError
from .files import read_npz, write_npz
from .validation import MAX_ENTRIES, as_float_array, check_magnitude, csr_parts, make_rng

OUTPUT_ACTIVATIONS = ("relu", "linear", "leaky_relu:SLOPE", "tanh", "sigmoid")
SPARSE_KEYS = ("data", "indices", "indptr", "shape")

Matrix = Any  # np.ndarray or scipy.sparse.csr_matrix


def as_matrix(value, name: str) -> Matrix:
    """A float64 weight matrix: a dense array, or CSR when given sparse; finite, within the size limit."""
    if not sp.issparse(value):
        dense = as_float_array(value, name, ndim=2)
        check_magnitude(dense, name)
        return dense
    try:
        w = sp.csr_matrix(value, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: not a valid sparse matrix ({exc})") from None
    if w.nnz > MAX_ENTRIES:
        raise InputError(f"{name}: {w.nnz} stored entries exceed the limit of {MAX_ENTRIES}")
    csr_parts(w.data, w.indices, w.indptr, w.shape, name)  # before any scipy routine indexes with them
    w.sum_duplicates()
    check_magnitude(w.data, name)
    return w


def affine(W: Matrix, b: np.ndarray, h: np.ndarray) -> np.ndarray:
    """W h + b for h of shape (n,) or (batch, n), with W dense or sparse."""
    if h.ndim == 1:
        return W @ h + b
    return np.asarray((W @ h.T).T) + b


def same_matrix(a, b) -> bool:
    """Two weight matrices (dense or scipy.sparse, either way) with the same shape and entries."""
    if sp.issparse(a) or sp.issparse(b):
        a, b = sp.csr_matrix(a), sp.csr_matrix(b)
        return a.shape == b.shape and (a != b).nnz == 0
    return bool(np.array_equal(a, b))


class ReluNetwork:
    """A fully connected (or sparse) piecewise-linear network with an optional smooth output.

    ``weights[k]`` has shape ``(n_{k+1}, n_k)`` and ``biases[k]`` shape ``(n_{k+1},)``.
    ``activations`` names each layer's activation; without it hidden layers apply relu and the
    output layer ``output_activation``."""

    def __init__(
        self,
        weights: Sequence[Any],
        biases: Sequence[np.ndarray] | None = None,
        output_activation: str | Activation = "relu",
        activations: Sequence[str | Activation] | None = None,
    ) -> None:
        if len(weights) == 0:
            raise InputError("weights: a network needs at least one layer")
        ws = [as_matrix(w, f"W{k}") for k, w in enumerate(weights)]
        if biases is None:
            biases = [np.zeros(w.shape[0]) for w in ws]
        if len(biases) != len(ws):
            raise InputError(f"biases: expected {len(ws)} bias vectors, got {len(biases)}")
        bs = [as_float_array(b, f"b{k}", ndim=1) for k, b in enumerate(biases)]
        for k, b in enumerate(bs):
            check_magnitude(b, f"b{k}")
        _check_shapes(ws, bs)
        self.activations: tuple[Activation, ...] = _activations(len(ws), output_activation, activations)
        for a in ws + bs:
            (a.data if sp.issparse(a) else a).flags.writeable = False
        self.weights: tuple[Matrix, ...] = tuple(ws)
        self.biases: tuple[np.ndarray, ...] = tuple(bs)

    def nonzeros(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row, column and value of every nonzero entry of ``W_k`` (computed once: the weights are
        read-only)."""
        cache = self.__dict__.setdefault("_nonzeros", {})
        if k not in cache:
            coo = sp.coo_matrix(self.weights[k])
            keep = coo.data != 0
            cache[k] = (coo.row[keep], coo.col[keep], coo.data[keep])
        return cache[k]

    # ------------------------------------------------------------------ shape
    @property
    def dims(self) -> tuple[int, ...]:
        """Widths (n_0, n_1, ..., n_L): latent size first, output size last."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    @property
    def depth(self) -> int:
        """Number of affine layers L."""
        return len(self.weights)

    @property
    def input_dim(self) -> int:
        return self.dims[0]

    @property
    def output_dim(self) -> int:
        return self.dims[-1]

    @property
    def output_activation(self) -> Activation:
        """The output layer's activation."""
        return self.activations[-1]

    @property
    def relu_output(self) -> bool:
        return self.output_activation.is_relu

    @property
    def piecewise_linear(self) -> bool:
        """Every activation is relu, leaky_relu or linear (no tanh / sigmoid output)."""
        return not self.output_activation.smooth

    @property
    def nnz(self) -> int:
        """Number of nonzero weights."""
        return int(sum(w.count_nonzero() if sp.issparse(w) else np.count_nonzero(w) for w in self.weights))

    @property
    def sparse(self) -> bool:
        return any(sp.issparse(w) for w in self.weights)

    def is_integral(self) -> bool:
        """True when every weight and bias is an integer and every activation relu or linear (exact
        CP-SAT models apply)."""
        values = [w.data if sp.issparse(w) else w for w in self.weights] + list(self.biases)
        plain = all(a.exact_arithmetic for a in self.activations)
        return plain and all(np.all(v == np.round(v)) for v in values)

    def activation(self, k: int) -> Activation:
        """The activation of layer ``k`` (0-based)."""
        return self.activations[k]

    def applies_relu(self, k: int) -> bool:
        """Whether layer ``k`` (0-based) is followed by a relu."""
        return self.activations[k].is_relu

    # ---------------------------------------------------------------- forward
    def _check_input(self, z) -> np.ndarray:
        arr = as_float_array(z, "z")
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.input_dim:
            raise InputError(f"z: expected shape ({self.input_dim},) or (batch, {self.input_dim}), got {arr.shape}")
        return arr

    def pre_activations(self, z) -> list[np.ndarray]:
        """Pre-activations W_k h_{k-1} + b_k of every layer (batched if z is 2-d)."""
        h = self._check_input(z)
        out = []
        for w, b, act in zip(self.weights, self.biases, self.activations):
            a = affine(w, b, h)
            out.append(a)
            h = act(a)
        return out

    def forward(self, z) -> np.ndarray:
        """G(z) in float64; ``z`` of shape (n_0,) or (batch, n_0)."""
        return self.activations[-1](self.pre_activations(z)[-1])

    def activation_pattern(self, z) -> list[np.ndarray]:
        """Boolean masks (pre-activation > 0) for each kinked (relu, leaky_relu) layer."""
        return [a > 0 for a, act in zip(self.pre_activations(z), self.activations) if act.kinked]

    # ----------------------------------------------------------- construction
    @classmethod
    def random(
        cls,
        dims: Sequence[int],
        seed: int | None = None,
        bias_scale: float = 0.0,
        output_activation: str = "relu",
    ) -> ReluNetwork:
        """The paper's random model: i.i.d. N(0, 1/n_in) weights, biases N(0, bias_scale^2)."""
        dims = [int(d) for d in dims]
        if len(dims) < 2 or min(dims) < 1:
            raise InputError(f"dims: need at least two positive widths, got {dims}")
        if not np.isfinite(bias_scale) or bias_scale < 0:
            raise InputError(f"bias_scale: must be a finite number >= 0, got {bias_scale}")
        if sum(a * b for a, b in zip(dims[:-1], dims[1:])) > 50_000_000:
            raise InputError(f"dims: {dims} has more than 50,000,000 weights")
        rng = make_rng(seed)
        weights = [rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in)) for n_in, n_out in zip(dims[:-1], dims[1:])]
        biases = [rng.normal(0.0, bias_scale, size=n_out) if bias_scale > 0 else np.zeros(n_out) for n_out in dims[1:]]
        return cls(weights, biases, output_activation)

    def with_layers(self, weights: Sequence[Any], biases: Sequence[np.ndarray]) -> ReluNetwork:
        """A network with the same activations and other weights (of the same shapes)."""
        return ReluNetwork(weights, biases, activations=self.activations)

    # --------------------------------------------------------------------- io
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The .npz layout of the module docstring."""
        arrays: dict[str, np.ndarray] = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            if sp.issparse(w):
                arrays.update({f"W{k}.{key}": np.asarray(getattr(w, key)) for key in SPARSE_KEYS})
            else:
                arrays[f"W{k}"] = np.asarray(w)
            arrays[f"b{k}"] = np.asarray(b)
        arrays["output_activation"] = np.array(str(self.output_activation))
        if any(a != RELU for a in self.activations[:-1]):  # relu hidden layers: the older layout, unchanged
            arrays["activations"] = np.array([str(a) for a in self.activations])
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> ReluNetwork:
        """Inverse of :meth:`to_arrays`; raises InputError naming a missing or bad field."""
        keys = set(arrays.keys())
        n_layers = 0
        while f"W{n_layers}" in keys or f"W{n_layers}.data" in keys:
            n_layers += 1
        if n_layers == 0:
            raise InputError("W0: missing; a network file holds W0, b0, W1, b1, ...")
        extra = sorted(
            k for k in keys if k[:1] in "Wb" and k[1:].split(".")[0].isdigit() and int(k[1:].split(".")[0]) >= n_layers
        )
        if extra:
            raise InputError(f"{extra[0]}: layer index beyond the last contiguous layer W{n_layers - 1}")
        for k in range(n_layers):
            if f"b{k}" not in keys:
                raise InputError(f"b{k}: missing bias for layer {k}")
        weights = [_stored_matrix(arrays, k) for k in range(n_layers)]
        biases = [arrays[f"b{k}"] for k in range(n_layers)]
        if "activations" in keys:
            names = [str(a) for a in np.atleast_1d(arrays["activations"])]
            return cls(weights, biases, activations=names)
        act = str(arrays["output_activation"]) if "output_activation" in keys else "relu"
        return cls(weights, biases, act)

    def save(self, path: str | Path) -> None:
        """Write a network file (.npz), atomically."""
        write_npz(path, self.to_arrays())

    @classmethod
    def load(cls, path: str | Path) -> ReluNetwork:
        """Read the network part of a network or instance file."""
        return cls.from_arrays(read_npz(path))

    # ---------------------------------------------------------------- interop
    @classmethod
    def from_torch(cls, module, input_shape: Sequence[int] | None = None) -> ReluNetwork:
        """From a PyTorch generator (see :mod:`milpinv.interop.torch`); ``input_shape`` (without the
        batch) when the module takes a latent of more than one dimension."""
        from .interop.torch import read_torch

        weights, biases, activations = read_torch(module, input_shape)
        return cls(weights, biases, activations=activations)

    @classmethod
    def from_onnx(cls, model) -> ReluNetwork:
        """From an ONNX graph: a file path or an ``onnx.ModelProto`` (see :mod:`milpinv.interop.onnx`)."""
        from .interop.onnx import read_onnx

        weights, biases, activations = read_onnx(model)
        return cls(weights, biases, activations=activations)

    def to_onnx(self, path: str | Path, dtype: str = "float64") -> None:
        """Write this network as an ONNX graph, atomically (see :mod:`milpinv.interop.onnx`)."""
        from .interop.onnx import write_onnx

        write_onnx(self.weights, self.biases, [str(a) for a in self.activations], path, dtype=dtype)

    def __repr__(self) -> str:
        dims = "-".join(str(d) for d in self.dims)
        hidden = {str(a) for a in self.activations[:-1]}
        inner = "" if hidden <= {"relu"} else f", hidden={'/'.join(sorted(hidden))}"
        return f"ReluNetwork({dims}, output={self.output_activation}{inner})"


def _check_shapes(ws: list[Matrix], bs: list[np.ndarray]) -> None:
    for k, (w, b) in enumerate(zip(ws, bs)):
        if 0 in w.shape:
            raise InputError(f"W{k}: empty layer of shape {w.shape}")
        if b.shape[0] != w.shape[0]:
            raise InputError(f"b{k}: expected shape ({w.shape[0]},) to match W{k} {w.shape}, got {b.shape}")
        if k > 0 and w.shape[1] != ws[k - 1].shape[0]:
            raise InputError(f"W{k}: has {w.shape[1]} columns but layer {k - 1} outputs {ws[k - 1].shape[0]} values")


def _activations(
    depth: int, output: str | Activation, given: Sequence[str | Activation] | None
) -> tuple[Activation, ...]:
    if given is None:
        acts = [RELU] * (depth - 1) + [Activation.parse(output)]
    else:
        acts = [Activation.parse(a) for a in given]
        if len(acts) != depth:
            raise InputError(f"activations: expected {depth} (one per layer), got {len(acts)}")
    for k, act in enumerate(acts[:-1]):
        if not act.kinked:
            raise InputError(
                f"activations: hidden layer {k} applies {act}; hidden layers apply relu or "
                f"leaky_relu (multiply out consecutive affine maps; {act.kind} only at the output)"
            )
    return tuple(acts)


def _stored_matrix(arrays, k: int) -> Matrix:
    if f"W{k}" in arrays:
        return arrays[f"W{k}"]
    missing = [key for key in SPARSE_KEYS if f"W{k}.{key}" not in arrays]
    if missing:
        raise InputError(f"W{k}.{missing[0]}: missing part of the sparse matrix W{k}")
    parts = [arrays[f"W{k}.{key}"] for key in SPARSE_KEYS]
    data, indices, indptr, shape = csr_parts(parts[0], parts[1], parts[2], parts[3], f"W{k}")
    return sp.csr_matrix((data, indices, indptr), shape=shape)
