"""What "closest" means: the question a target asks, as a type.

* ``exact``: G(z) = x within the acceptance band (:mod:`milpinv.tolerance`): the model observes x
  through rows (:func:`~milpinv.formulations.blocks.observation_rows`); a residual is measured in
  linf, the band's norm;
* ``l1`` / ``linf``: min ||G(z) - x||: the model carries an error epigraph
  (:func:`~milpinv.formulations.blocks.error_epigraph`), one error per output summed (l1) or one
  error for all of them (linf); a node of the search is pruned by the same total of its per-output
  lower bounds.

Text is parsed once, where it enters (:meth:`Norm.parse`); a norm compares equal to its text and
prints as it, so results, JSON and the command line read as before.

>>> Norm.parse("l1") is Norm.L1, f"{Norm.LINF}", Norm.EXACT == "exact"
(True, 'linf', True)
>>> Norm.L1.residual(np.array([1.0, -2.0])), Norm.EXACT.residual(np.array([1.0, -2.0]))
(3.0, 2.0)
>>> Norm.parse("l2")
Traceback (most recent call last):
...
milpinv.errors.InputError: norm: expected one of ('exact', 'l1', 'linf'), got 'l2'
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from .errors import InputError


class Norm(str, Enum):
    """A question's norm; compares equal to its text (``Norm.L1 == "l1"``)."""

    EXACT = "exact"
    L1 = "l1"
    LINF = "linf"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str | Norm, name: str = "norm") -> Norm:
        """The norm named ``text`` (a norm passes through); anything else is an :class:`InputError`."""
        try:
            return cls(text)
        except (ValueError, TypeError):
            raise InputError(f"{name}: expected one of {NORMS}, got {text!r}") from None

    @property
    def exact(self) -> bool:
        """The exact question: observation rows and the acceptance band, no objective."""
        return self is Norm.EXACT

    @property
    def box(self) -> bool:
        """Its ball around x is a box (the exact norm's band, linf's ball): a VNN-LIB query holds it."""
        return self is not Norm.L1

    @property
    def per_output(self) -> bool:
        """One error per output, summed (l1); otherwise one error bounds them all (linf)."""
        return self is Norm.L1

    def outputs_counted(self, outputs: int) -> int:
        """How many per-output errors add up in one value of the norm (``outputs`` in l1, else 1)."""
        return max(1, outputs) if self.per_output else 1

    def total(self, errors: np.ndarray) -> float:
        """The norm of non-negative per-output errors: their sum (l1) or their max (linf, exact):
        a residual, or a search node's lower bound from its per-output bounds."""
        return float(errors.sum()) if self.per_output else float(errors.max(initial=0.0))

    def residual(self, r: np.ndarray) -> float:
        """||r|| (the exact norm measures in linf)."""
        return self.total(np.abs(r))


NORMS = tuple(n.value for n in Norm)  # the text of each norm, as the command line and files spell it
