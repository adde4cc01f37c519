"""Method ``milp``: the exact MILP pipeline (heuristic, peel, rescale, bounds and build, solve,
certify), driven by :mod:`.pipeline`; see its docstring for the stages."""

from .pipeline import ENGINE_NAMES, invert_milp

__all__ = ["ENGINE_NAMES", "invert_milp"]
