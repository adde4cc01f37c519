"""One inversion question, as every method and stage sees it: the network whose outputs are
observed, the target, the norm, the latent box, the acceptance rule and one clock.

:func:`milpinv.invert` builds the :class:`Problem` once; a stage that needs another question (a
peeled network, a rescaled one, the pre-activations of a smooth output) derives it with
:meth:`Problem.derive`, which keeps the clock and records where it came from.

>>> import numpy as np
>>> from milpinv.network import ReluNetwork
>>> from milpinv.tolerance import Acceptance
>>> net = ReluNetwork.random([2, 3], seed=0)
>>> p = Problem(net, np.zeros(3), Norm.L1, Box.around(2, 3.0), Acceptance(1e-6))
>>> p.box.lower, p.deadline.remaining() is None
(array([-3., -3.]), True)
>>> q = p.derive(target=np.ones(3))
>>> q.origin is p, q.deadline is p.deadline
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .deadline import Deadline
from .norm import Norm
from .tolerance import Acceptance, tolerance


@dataclass(frozen=True)
class Box:
    """The latent box [lower, upper] (float64 arrays of the latent dimension)."""

    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def around(cls, dim: int, radius: float) -> Box:
        """[-radius, radius]^dim."""
        return cls(np.full(dim, -float(radius)), np.full(dim, float(radius)))

    @property
    def dim(self) -> int:
        return int(self.lower.shape[0])

    def clip(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z, self.lower, self.upper)

    def __iter__(self):
        """``lower, upper = box``."""
        return iter((self.lower, self.upper))


@dataclass(frozen=True)
class Problem:
    """One question: find z in ``box`` with ``network(z)`` accepted against ``target`` (the exact
    norm), or minimising the ``norm`` of the residual; ``deadline``: the clock every stage shares;
    ``origin``: the question this one was derived from (its points are judged there)."""

    network: Any  # ReluNetwork, or a measurement after a smooth output (milpinv.measurement)
    target: np.ndarray
    norm: Norm
    box: Box
    accept: Acceptance
    deadline: Deadline = field(default_factory=lambda: Deadline(None))
    origin: Problem | None = None

    @classmethod
    def of(cls, network: Any, target: np.ndarray, norm: Norm, box: Box) -> Problem:
        """The question with the default acceptance of ``target`` (:func:`milpinv.tolerance.tolerance`)
        and no time limit."""
        x = np.asarray(target, dtype=np.float64)
        return cls(network, x, norm, box, Acceptance(tolerance(x)))

    @property
    def lower(self) -> np.ndarray:
        return self.box.lower

    @property
    def upper(self) -> np.ndarray:
        return self.box.upper

    def derive(self, **changes: Any) -> Problem:
        """The same question with ``changes`` (network, target, norm, ...), derived from this one."""
        return replace(self, origin=self, **changes)

    def restate(self, **changes: Any) -> Problem:
        """Another question on the same clock, judged on its own outputs (not derived from this one)."""
        return replace(self, **changes)

    def with_deadline(self, deadline: Deadline) -> Problem:
        """The same question under a stage's clock (a :meth:`Deadline.share` of this one's)."""
        return replace(self, deadline=deadline)
