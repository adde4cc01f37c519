"""milpinv: exact inversion of deep ReLU generative models.

>>> import milpinv
>>> net = milpinv.ReluNetwork.random([10, 30, 60], seed=0)
>>> inst = milpinv.plant_instance(net, seed=1)
>>> print(milpinv.invert(inst, method="layerwise").status)
optimal

The public names are imported on first use (PEP 562), so that ``import milpinv`` and the command
line's start-up load numpy, scipy and the solvers only when a command needs them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import InputError, MilpinvError, SolverError
from .version import __version__

if TYPE_CHECKING:
    from .embed import embed
    from .instance import Instance, plant_instance
    from .invert import invert
    from .measurement import Measurement
    from .network import ReluNetwork
    from .result import InversionResult
    from .status import Status

LAZY = {  # public name -> the module defining it
    "ReluNetwork": "network",
    "Instance": "instance",
    "plant_instance": "instance",
    "InversionResult": "result",
    "Measurement": "measurement",
    "Status": "status",
    "invert": "invert",
    "embed": "embed",
}

__all__ = [
    "ReluNetwork",
    "Instance",
    "InversionResult",
    "Measurement",
    "Status",
    "invert",
    "plant_instance",
    "embed",
    "MilpinvError",
    "InputError",
    "SolverError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name not in LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))


class _Package(ModuleType):
    """``milpinv.invert`` and ``milpinv.embed`` name functions, not their modules: importing the
    module ``milpinv.invert`` must not rebind the package's ``invert`` to it (as the import system
    does for a submodule), whichever is imported first."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and LAZY.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
