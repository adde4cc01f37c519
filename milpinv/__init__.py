"""milpinv: exact inversion of deep ReLU generative models.

>>> import milpinv
>>> net = milpinv.ReluNetwork.random([10, 30, 60], seed=0)
>>> inst = milpinv.plant_instance(net, seed=1)
>>> print(milpinv.invert(inst, method="layerwise").status)
optimal
"""

from .errors import InputError, MilpinvError, SolverError
from .instance import Instance, plant_instance
from .invert import invert
from .measurement import Measurement
from .network import ReluNetwork
from .result import InversionResult
from .status import Status
from .version import __version__

__all__ = [
    "ReluNetwork",
    "Instance",
    "InversionResult",
    "Measurement",
    "Status",
    "invert",
    "plant_instance",
    "MilpinvError",
    "InputError",
    "SolverError",
    "__version__",
]
