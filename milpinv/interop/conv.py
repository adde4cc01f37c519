r"""Convolutions and per-channel scalings as sparse affine maps on flattened (C, H, W) tensors.

A per-sample tensor of shape (C, H, W) is flattened in row-major (NCHW, torch's ``flatten``)
order: entry ``(c, h, w)`` sits at index ``c H W + h W + w``. With that index,

* ``Conv2d`` (weight (C_out, C_in, k_h, k_w), stride s, zero padding p_top / p_left ...)::

      y[o, i, j] = sum_{c, u, v} K[o, c, u, v] x[c, i s_h - p_top + u, j s_w - p_left + v]

  (taps outside the input read zero), H_out = floor((H + p_top + p_bottom - k_h) / s_h) + 1;
* ``ConvTranspose2d`` (weight (C_in, C_out, k_h, k_w)), the adjoint scatter (built as the
  transpose of the Conv2d matrix with the same kernel, stride and pads)::

      y[o, i s_h - p_top + u, j s_w - p_left + v] += K[c, o, u, v] x[c, i, j]

  (targets outside the output are dropped), H_out = (H - 1) s_h - p_top - p_bottom + k_h + op_h
  with the output padding op_h < s_h;
* a per-channel scaling ``y[c, ...] = scale[c] x[c, ...] + shift[c]`` (BatchNorm in eval mode:
  scale = gamma / sqrt(var + eps), shift = beta - mean scale) is a diagonal map.

Each map is built at once from broadcast index arrays (no loop over pixels) as a CSR matrix of
shape (C_out H_out W_out, C H W); groups = 1 and dilation = 1 only.

>>> import numpy as np
>>> m, shape = conv_transpose2d(np.ones((1, 1, 2, 2)), (1, 1, 1), stride=(2, 2))
>>> shape, m.toarray().ravel().tolist()
((1, 2, 2), [1.0, 1.0, 1.0, 1.0])
>>> m, shape = conv2d(np.ones((1, 1, 2, 2)), (1, 3, 3), stride=(1, 1), pads=(0, 0, 0, 0))
>>> shape, (m @ np.arange(9.0)).tolist()
((1, 2, 2), [8.0, 12.0, 20.0, 24.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ..validation import MAX_ENTRIES

Shape = tuple[int, ...]


def _to_csr(kernel, rows, cols, keep, shape: tuple[int, int], where: str) -> sp.csr_matrix:
    """The CSR matrix of the kept (row, col, kernel value) triples, all broadcast over the axes of
    :func:`_grid`; each (row, col) occurs once."""
    full = np.broadcast_shapes(rows.shape, cols.shape, keep.shape)
    values = np.broadcast_to(kernel[:, :, :, :, None, None], full)
    rows, cols = np.broadcast_to(rows, full), np.broadcast_to(cols, full)
    keep = np.broadcast_to(keep, full) & (values != 0)
    count = int(np.count_nonzero(keep))
    if count > MAX_ENTRIES:
        raise InputError(f"{where}: the unrolled map has {count} weights, more than {MAX_ENTRIES}")
    return sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=shape)


def _grid(kernel: np.ndarray, out_hw: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Broadcast index arrays of axes (c_out, c_in, u, v, i, j): the output channel and pixel,
    the input channel and pixel, and the kernel offsets."""
    c_out, c_in, k_h, k_w = kernel.shape
    o = np.arange(c_out).reshape(-1, 1, 1, 1, 1, 1)
    c = np.arange(c_in).reshape(1, -1, 1, 1, 1, 1)
    u = np.arange(k_h).reshape(1, 1, -1, 1, 1, 1)
    v = np.arange(k_w).reshape(1, 1, 1, -1, 1, 1)
    i = np.arange(out_hw[0]).reshape(1, 1, 1, 1, -1, 1)
    j = np.arange(out_hw[1]).reshape(1, 1, 1, 1, 1, -1)
    return o, c, u, v, i, j


def _check_in(kernel: np.ndarray, channels: int, in_shape: Shape, where: str) -> None:
    if len(in_shape) != 3:
        raise InputError(f"{where}: expects a (C, H, W) tensor, got shape {in_shape}")
    if in_shape[0] != channels:
        raise InputError(f"{where}: expects {channels} input channels but the previous layer gives {in_shape[0]}")


def conv2d(
    kernel: np.ndarray,
    in_shape: Shape,
    *,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int],
    where: str = "Conv",
) -> tuple[sp.csr_matrix, Shape]:
    """The matrix of a Conv2d (kernel (C_out, C_in, k_h, k_w); pads (top, left, bottom, right))
    on a (C_in, H, W) input, and the output shape."""
    c_out, c_in, k_h, k_w = kernel.shape
    _check_in(kernel, c_in, in_shape, where)
    _, h, w = in_shape
    out_h = (h + pads[0] + pads[2] - k_h) // stride[0] + 1
    out_w = (w + pads[1] + pads[3] - k_w) // stride[1] + 1
    if out_h < 1 or out_w < 1:
        raise InputError(f"{where}: a {k_h}x{k_w} kernel does not fit the padded {h}x{w} input")
    o, c, u, v, i, j = _grid(kernel, (out_h, out_w))
    src_h, src_w = i * stride[0] - pads[0] + u, j * stride[1] - pads[1] + v
    keep = (src_h >= 0) & (src_h < h) & (src_w >= 0) & (src_w < w)
    rows = (o * out_h + i) * out_w + j
    cols = (c * h + src_h) * w + src_w
    matrix = _to_csr(kernel, rows, cols, keep, (c_out * out_h * out_w, c_in * h * w), where)
    return matrix, (c_out, out_h, out_w)


def conv_transpose2d(
    kernel: np.ndarray,
    in_shape: Shape,
    *,
    stride: tuple[int, int],
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    output_padding: tuple[int, int] = (0, 0),
    where: str = "ConvTranspose",
) -> tuple[sp.csr_matrix, Shape]:
    """The matrix of a ConvTranspose2d (kernel (C_in, C_out, k_h, k_w); pads (top, left, bottom,
    right)) on a (C_in, H, W) input, and the output shape."""
    c_in, c_out, k_h, k_w = kernel.shape
    _check_in(kernel, c_in, in_shape, where)
    _, h, w = in_shape
    out_h = (h - 1) * stride[0] - pads[0] - pads[2] + k_h + output_padding[0]
    out_w = (w - 1) * stride[1] - pads[1] - pads[3] + k_w + output_padding[1]
    if out_h < 1 or out_w < 1:
        raise InputError(f"{where}: the padding leaves an empty {out_h}x{out_w} output")
    # the adjoint of the Conv2d with the same kernel, stride and pads from (C_out, out_h, out_w)
    # back to (C_in, H, W) (its output is H x W since output_padding < stride)
    adjoint, _ = conv2d(kernel, (c_out, out_h, out_w), stride=stride, pads=pads, where=where)
    return adjoint.T.tocsr(), (c_out, out_h, out_w)


def channel_scaling(scale: np.ndarray, shift: np.ndarray, shape: Shape, where: str) -> tuple[sp.csr_matrix, np.ndarray]:
    """The diagonal map ``y[c, ...] = scale[c] x[c, ...] + shift[c]`` on a tensor of ``shape``
    (channels first), as (CSR matrix, bias)."""
    if not shape or shape[0] != scale.shape[0]:
        raise InputError(f"{where}: normalises {scale.shape[0]} channels but the previous layer gives shape {shape}")
    per = int(np.prod(shape[1:], dtype=np.int64))
    return sp.diags(np.repeat(scale, per), format="csr"), np.repeat(shift, per)


@dataclass(frozen=True)
class BatchNormStats:
    """A BatchNorm layer in eval mode: per channel ``gamma``, ``beta``, the running ``mean`` and
    ``var``, and ``eps``."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float


def batch_norm(stats: BatchNormStats, shape: Shape, where: str) -> tuple[sp.csr_matrix, np.ndarray]:
    """BatchNorm in eval mode, ``gamma (x - mean) / sqrt(var + eps) + beta`` per channel."""
    if np.any(stats.var + stats.eps <= 0):
        raise InputError(f"{where}: running variance + eps is not positive")
    scale = stats.gamma / np.sqrt(stats.var + stats.eps)
    return channel_scaling(scale, stats.beta - stats.mean * scale, shape, where)


def reshaped(shape: Shape, new: Shape, where: str) -> Shape:
    """``new`` (at most one -1 resolved) after checking it keeps the number of entries of ``shape``."""
    size = int(np.prod(shape, dtype=np.int64))
    if list(new).count(-1) == 1:
        rest = int(np.prod([d for d in new if d != -1], dtype=np.int64))
        new = tuple(size // rest if d == -1 and rest else d for d in new)
    if int(np.prod(new, dtype=np.int64)) != size or min(new, default=1) < 1:
        raise InputError(f"{where}: cannot reshape a tensor of shape {shape} to {new}")
    return tuple(int(d) for d in new)
