"""PyTorch: an ``nn.Sequential`` (nested ones flattened) or a DCGAN-style generator, as float64 layers.

Read: Linear, Conv2d and ConvTranspose2d (zero padding, groups=1, dilation=1; unrolled into sparse
maps by :mod:`milpinv.interop.conv`), BatchNorm1d / BatchNorm2d in eval mode (folded into the
affine map), ReLU, LeakyReLU, Tanh and Sigmoid (the last two only at the output), Flatten and
Unflatten (index no-ops), and Identity and Dropout (eval mode) as no-ops. Any other layer is refused
with a line naming it and its position.

A generator module that is not a Sequential is read through its ``main`` or ``net`` Sequential
(as in the DCGAN tutorial's ``Generator``), else through its children in order; its own forward is
then run on random float64 latents and must agree with what was read, so a forward that does more
than its children in order is refused rather than misread. ``input_shape`` is the latent's shape
without the batch, e.g. ``(nz,)`` or ``(nz, 1, 1)`` (a flat latent of a network that starts with a
convolution is ``(nz, 1, 1)``). torch is optional: ``pip install 'milpinv[torch]'``.
"""

from __future__ import annotations

import copy

import numpy as np

from ..activation import Activation
from ..errors import InputError, MilpinvError
from . import conv
from .chain import AffineChain, Layers, forward

TORCH_LAYERS = (
    "Linear, Conv2d, ConvTranspose2d, BatchNorm1d/2d, ReLU, LeakyReLU, Tanh, Sigmoid, Flatten, "
    "Unflatten (plus Identity, Dropout in eval mode)"
)
CHECK_SAMPLES = 4  # random latents on which a generator module's forward is compared
CHECK_TOLERANCE = 1e-9  # relative, float64


def _torch_layers(module, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted name, layer) of a Sequential, nested Sequentials flattened in order."""
    import torch.nn as nn

    out: list[tuple[str, object]] = []
    for name, child in module.named_children():
        full = f"{prefix}{name}"
        out.extend(_torch_layers(child, full + ".") if isinstance(child, nn.Sequential) else [(full, child)])
    return out


def _torch_array(tensor) -> np.ndarray:
    import torch

    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy().copy()


def _layers_of(module) -> tuple[list[tuple[str, object]], bool]:
    """The layers to read and whether the module's own forward must be checked against them."""
    import torch.nn as nn

    if isinstance(module, nn.Sequential):
        return _torch_layers(module), False
    if not isinstance(module, nn.Module):
        raise InputError(f"module: expected a torch.nn.Module, got {type(module).__name__}")
    if not list(module.children()):
        return [("0", module)], False
    for attr in ("main", "net"):
        if isinstance(getattr(module, attr, None), nn.Sequential):
            return _torch_layers(getattr(module, attr), f"{attr}."), True
    return _torch_layers(module), True


def read_torch(module, input_shape=None) -> Layers:
    """Convert a torch Sequential or generator module (see the module docstring) to float64 layers."""
    try:
        import torch.nn as nn  # noqa: F401
    except ImportError:
        raise MilpinvError("from_torch needs PyTorch: pip install 'milpinv[torch]'") from None
    layers, check = _layers_of(module)
    shape = _latent_shape(layers, input_shape)
    chain = AffineChain(shape)
    for index, (name, layer) in enumerate(layers):
        _read_layer(chain, layer, f"layer {index} ('{name}', {type(layer).__name__})")
    result = chain.layers("module")
    if check:
        _check_forward(module, shape, result)
    return result


def _latent_shape(layers, input_shape) -> tuple[int, ...] | None:
    import torch.nn as nn

    first = next((layer for _, layer in layers if not isinstance(layer, (nn.Identity, nn.Dropout, nn.Flatten))), None)
    if input_shape is not None:
        shape = tuple(int(d) for d in np.atleast_1d(input_shape))
        if not shape or min(shape) < 1:
            raise InputError(f"input_shape: expected positive sizes such as (nz,) or (nz, 1, 1), got {input_shape}")
        conv_first = isinstance(first, (nn.Conv2d, nn.ConvTranspose2d))
        return (shape[0], 1, 1) if conv_first and len(shape) == 1 else shape  # a flat latent meets a conv
    if isinstance(first, nn.Linear):
        return (first.in_features,)
    if isinstance(first, nn.ConvTranspose2d):
        return (first.in_channels, 1, 1)
    if isinstance(first, nn.Conv2d):
        raise InputError("input_shape: needed for a network that starts with Conv2d, e.g. (C, H, W)")
    return None


def _read_layer(chain: AffineChain, layer, where: str) -> None:
    import torch.nn as nn

    if isinstance(layer, nn.Linear):
        w = _torch_array(layer.weight)
        chain.affine(w, _torch_array(layer.bias) if layer.bias is not None else np.zeros(w.shape[0]), where)
    elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        _read_conv(chain, layer, where)
    elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        _read_batch_norm(chain, layer, where)
    elif isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)):
        chain.activate(_activation(layer), where)
    elif isinstance(layer, (nn.Flatten, nn.Unflatten)):
        chain.reshape(_reshaped(chain, layer, where))
    elif isinstance(layer, nn.Dropout):
        if layer.training and layer.p > 0:
            raise InputError(f"{where}: Dropout in training mode; call module.eval() first")
    elif not isinstance(layer, nn.Identity):
        raise InputError(f"{where}: unsupported layer; milpinv reads {TORCH_LAYERS}")


def _activation(layer) -> Activation:
    import torch.nn as nn

    if isinstance(layer, nn.LeakyReLU):
        return Activation.parse(f"leaky_relu:{layer.negative_slope!r}")
    return Activation.parse({nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}[type(layer)])


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _read_conv(chain: AffineChain, layer, where: str) -> None:
    import torch.nn as nn

    for attr, ok in (("groups", 1), ("dilation", (1, 1)), ("padding_mode", "zeros")):
        value = getattr(layer, attr)
        if (_pair(value) if attr == "dilation" else value) != ok:
            raise InputError(f"{where}: {attr}={value!r} is not supported; milpinv reads {attr}={ok!r} only")
    if isinstance(layer.padding, str):
        raise InputError(f"{where}: padding={layer.padding!r} is not supported; give the padding as numbers")
    shape = chain.shape
    if shape is None:
        raise InputError(f"{where}: the input shape is unknown; pass input_shape")
    kernel = _torch_array(layer.weight)
    (ph, pw), stride = _pair(layer.padding), _pair(layer.stride)
    if isinstance(layer, nn.ConvTranspose2d):
        op = _pair(layer.output_padding)
        w, out = conv.conv_transpose2d(
            kernel, shape, stride=stride, pads=(ph, pw, ph, pw), output_padding=op, where=where
        )
    else:
        w, out = conv.conv2d(kernel, shape, stride=stride, pads=(ph, pw, ph, pw), where=where)
    bias = _torch_array(layer.bias) if layer.bias is not None else np.zeros(out[0])
    chain.affine(w, np.repeat(bias, out[1] * out[2]), where, out)


def _read_batch_norm(chain: AffineChain, layer, where: str) -> None:
    if layer.training or layer.running_mean is None:
        raise InputError(f"{where}: BatchNorm in training mode or without running statistics; call module.eval()")
    n = layer.num_features
    gamma = _torch_array(layer.weight) if layer.affine else np.ones(n)
    beta = _torch_array(layer.bias) if layer.affine else np.zeros(n)
    mean, var = _torch_array(layer.running_mean), _torch_array(layer.running_var)
    if chain.shape is None:
        raise InputError(f"{where}: the input shape is unknown; pass input_shape")
    w, b = conv.batch_norm(conv.BatchNormStats(gamma, beta, mean, var, float(layer.eps)), chain.shape, where)
    chain.affine(w, b, where, chain.shape)


def _reshaped(chain: AffineChain, layer, where: str) -> tuple[int, ...]:
    """The shape after a Flatten / Unflatten, computed by torch on a batch of two meta tensors."""
    import torch

    if chain.shape is None:
        raise InputError(f"{where}: the input shape is unknown; pass input_shape")
    try:
        out = tuple(layer(torch.empty((2, *chain.shape), device="meta")).shape)
    except RuntimeError as exc:
        raise InputError(f"{where}: cannot apply to a tensor of shape {chain.shape} ({_first_line(exc)})") from None
    if out[:1] != (2,):
        raise InputError(
            f"{where}: only Flatten/Unflatten that keep the batch dimension (start_dim >= 1) are supported"
        )
    return out[1:]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _check_forward(module, shape, layers: Layers) -> None:
    """The module's own forward, in float64 on random latents, must equal the layers read."""
    import torch

    name = type(module).__name__
    if shape is None:
        raise InputError(f"module {name}: input_shape is needed to check its forward")
    z = np.random.default_rng(0).normal(size=(CHECK_SAMPLES, *shape))
    try:
        with torch.no_grad():
            ref = copy.deepcopy(module).double().eval()(torch.from_numpy(z)).numpy().reshape(CHECK_SAMPLES, -1)
    except Exception as exc:  # the module's own code: any error is reported in one line
        raise InputError(
            f"module {name}: its forward fails on a latent of shape {shape} ({_first_line(exc)})"
        ) from None
    ours = forward(layers, z.reshape(CHECK_SAMPLES, -1))
    if ref.shape != ours.shape or np.max(np.abs(ref - ours)) > CHECK_TOLERANCE * max(1.0, float(np.max(np.abs(ref)))):
        raise InputError(
            f"module {name}: its forward is not its layers in order; pass the nn.Sequential it runs "
            f"(read: {TORCH_LAYERS})"
        )
