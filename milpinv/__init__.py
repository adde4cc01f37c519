"""milpinv: exact inversion of deep ReLU generative models.

>>> import milpinv
>>> net = milpinv.ReluNetwork.random([10, 30, 60], seed=0)
>>> inst = milpinv.plant_instance(net, seed=1)
>>> milpinv.invert(inst, method="layerwise").status
'optimal'
"""
from .errors import InputError, MilpinvError, SolverError
from .instance import Instance, plant_instance
from .invert import invert
from .network import ReluNetwork
from .result import InversionResult

__version__ = "0.1.0"
__all__ = ["ReluNetwork", "Instance", "InversionResult", "invert", "plant_instance",
           "MilpinvError", "InputError", "SolverError", "__version__"]
