"""PyTorch: an ``nn.Sequential`` of Linear and ReLU layers, as float64 arrays.

Identity, Flatten and Dropout (in eval mode) are no-ops; any other layer is refused with a line
naming it and its position. torch is optional: ``pip install 'milpinv[torch]'``.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, MilpinvError
from .chain import AffineChain, Layers


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


def read_torch(module, input_shape=None) -> Layers:
    """Convert ``torch.nn.Sequential`` of Linear / ReLU layers (or one ``nn.Linear``) to float64."""
    try:
        import torch.nn as nn
    except ImportError:
        raise MilpinvError("from_torch needs PyTorch: pip install 'milpinv[torch]'") from None
    layers: list[tuple[str, object]]
    if isinstance(module, nn.Linear):
        layers = [("0", module)]
    elif isinstance(module, nn.Sequential):
        layers = _torch_layers(module)
    else:
        raise InputError(f"module: expected torch.nn.Sequential of Linear and ReLU layers, got {type(module).__name__}")
    chain = AffineChain()
    for index, (name, layer) in enumerate(layers):
        where = f"layer {index} ('{name}', {type(layer).__name__})"
        if isinstance(layer, nn.Linear):
            w = _torch_array(layer.weight)
            b = _torch_array(layer.bias) if layer.bias is not None else np.zeros(w.shape[0])
            chain.affine(w, b, where)
        elif isinstance(layer, nn.ReLU):
            chain.relu(where)
        elif isinstance(layer, nn.Dropout):
            if layer.training and layer.p > 0:
                raise InputError(f"{where}: Dropout in training mode; call module.eval() first")
        elif isinstance(layer, nn.Flatten):
            if (layer.start_dim, layer.end_dim) != (1, -1):
                raise InputError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
        elif not isinstance(layer, nn.Identity):
            raise InputError(
                f"{where}: unsupported layer; milpinv reads Linear and ReLU "
                "(plus Identity, Flatten, Dropout in eval mode)"
            )
    return chain.layers("module")
