"""Dense ReLU networks G(z) = act(W_L ... relu(W_1 z + b_1) ... + b_L) in float64."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import InputError
from .files import read_npz, write_npz
from .validation import as_float_array

OUTPUT_ACTIVATIONS = ("relu", "linear")


class ReluNetwork:
    """A fully connected ReLU network.

    ``weights[k]`` has shape ``(n_{k+1}, n_k)`` and ``biases[k]`` shape ``(n_{k+1},)``.
    Hidden layers always apply relu; the output layer applies ``output_activation``
    ("relu", the paper's model, or "linear").
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray] | None = None,
        output_activation: str = "relu",
    ) -> None:
        if len(weights) == 0:
            raise InputError("weights: a network needs at least one layer")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise InputError(f"output_activation: expected one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}")
        ws = [as_float_array(w, f"W{k}", ndim=2) for k, w in enumerate(weights)]
        if biases is None:
            biases = [np.zeros(w.shape[0]) for w in ws]
        if len(biases) != len(ws):
            raise InputError(f"biases: expected {len(ws)} bias vectors, got {len(biases)}")
        bs = [as_float_array(b, f"b{k}", ndim=1) for k, b in enumerate(biases)]
        for k, (w, b) in enumerate(zip(ws, bs)):
            if 0 in w.shape:
                raise InputError(f"W{k}: empty layer of shape {w.shape}")
            if b.shape[0] != w.shape[0]:
                raise InputError(f"b{k}: expected shape ({w.shape[0]},) to match W{k} {w.shape}, got {b.shape}")
            if k > 0 and w.shape[1] != ws[k - 1].shape[0]:
                raise InputError(
                    f"W{k}: has {w.shape[1]} columns but layer {k - 1} outputs {ws[k - 1].shape[0]} values"
                )
            w.flags.writeable = False
            b.flags.writeable = False
        self.weights: tuple[np.ndarray, ...] = tuple(ws)
        self.biases: tuple[np.ndarray, ...] = tuple(bs)
        self.output_activation = output_activation

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
    def relu_output(self) -> bool:
        return self.output_activation == "relu"

    @property
    def nnz(self) -> int:
        """Number of nonzero weights."""
        return int(sum(np.count_nonzero(w) for w in self.weights))

    def is_integral(self) -> bool:
        """True when every weight and bias is an integer (exact CP-SAT models apply)."""
        return all(np.all(a == np.round(a)) for a in self.weights + self.biases)

    def applies_relu(self, k: int) -> bool:
        """Whether layer ``k`` (0-based) is followed by a relu."""
        return k < self.depth - 1 or self.relu_output

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
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            a = h @ w.T + b
            out.append(a)
            h = np.maximum(a, 0.0) if self.applies_relu(k) else a
        return out

    def forward(self, z) -> np.ndarray:
        """G(z) in float64; ``z`` of shape (n_0,) or (batch, n_0)."""
        pre = self.pre_activations(z)[-1]
        return np.maximum(pre, 0.0) if self.relu_output else pre

    def activation_pattern(self, z) -> list[np.ndarray]:
        """Boolean masks (pre-activation > 0) for each relu layer."""
        return [a > 0 for k, a in enumerate(self.pre_activations(z)) if self.applies_relu(k)]

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
        rng = np.random.default_rng(seed)
        weights = [rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in)) for n_in, n_out in zip(dims[:-1], dims[1:])]
        biases = [rng.normal(0.0, bias_scale, size=n_out) if bias_scale > 0 else np.zeros(n_out) for n_out in dims[1:]]
        return cls(weights, biases, output_activation)

    # --------------------------------------------------------------------- io
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The .npz layout: W0, b0, ..., plus output_activation."""
        arrays: dict[str, np.ndarray] = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            arrays[f"W{k}"] = np.asarray(w)
            arrays[f"b{k}"] = np.asarray(b)
        arrays["output_activation"] = np.array(self.output_activation)
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> ReluNetwork:
        """Inverse of :meth:`to_arrays`; raises InputError naming a missing or bad field."""
        keys = set(arrays.keys())
        n_layers = 0
        while f"W{n_layers}" in keys:
            n_layers += 1
        if n_layers == 0:
            raise InputError("W0: missing; a network file holds W0, b0, W1, b1, ...")
        extra = sorted(k for k in keys if k[:1] in "Wb" and k[1:].isdigit() and int(k[1:]) >= n_layers)
        if extra:
            raise InputError(f"{extra[0]}: layer index beyond the last contiguous layer W{n_layers - 1}")
        for k in range(n_layers):
            if f"b{k}" not in keys:
                raise InputError(f"b{k}: missing bias for layer {k}")
        act = str(arrays["output_activation"]) if "output_activation" in keys else "relu"
        return cls([arrays[f"W{k}"] for k in range(n_layers)], [arrays[f"b{k}"] for k in range(n_layers)], act)

    def save(self, path: str | Path) -> None:
        """Write a network file (.npz), atomically."""
        write_npz(path, self.to_arrays())

    @classmethod
    def load(cls, path: str | Path) -> ReluNetwork:
        """Read the network part of a network or instance file."""
        return cls.from_arrays(read_npz(path))

    # ---------------------------------------------------------------- interop
    @classmethod
    def from_torch(cls, module) -> ReluNetwork:
        """From a ``torch.nn.Sequential`` of Linear and ReLU layers (see :mod:`milpinv.interop.torch`)."""
        from .interop.torch import read_torch

        return cls(*read_torch(module))

    @classmethod
    def from_onnx(cls, model) -> ReluNetwork:
        """From an ONNX chain of Gemm / MatMul + Add / Relu: a file path or an ``onnx.ModelProto``
        (see :mod:`milpinv.interop.onnx`)."""
        from .interop.onnx import read_onnx

        return cls(*read_onnx(model))

    def to_onnx(self, path: str | Path, dtype: str = "float64") -> None:
        """Write this network as an ONNX graph of Gemm and Relu nodes, atomically."""
        from .interop.onnx import write_onnx

        write_onnx(self.weights, self.biases, self.relu_output, path, dtype=dtype)

    def __repr__(self) -> str:
        dims = "-".join(str(d) for d in self.dims)
        return f"ReluNetwork({dims}, output={self.output_activation})"
