"""One status vocabulary, from a solver's outcome to an inversion result and an exit code.

What each status claims (for ``norm="exact"``, "the target" means "within the tolerance of
:mod:`milpinv.tolerance`"; for ``l1`` / ``linf``, "the optimum" means min ||G(z) - x|| over the box):

========== =====================================================================================
optimal    proven: exact norm, a z reaching the target (re-checked by a float64 forward pass);
           l1 / linf, a z whose residual is the optimum, with a proven lower ``bound`` meeting it
feasible   a re-checked z, optimality not proven (gradient descent, an uncertified l1 / linf value)
infeasible proven: no z in the box reaches the target
time_limit stopped by the time limit (or Ctrl-C); the best re-checked z, the bound and the gap
failed     no answer; ``message`` says why (a solver error, a residual the re-check refused, ...)
========== =====================================================================================

A solver backend reports the same statuses about *its model*: ``optimal`` (solved to its
tolerances), ``infeasible`` (its model has no point), ``time_limit`` (stopped, maybe with an
incumbent) and ``failed`` (an error, or an unbounded model, which milpinv's models never are).
The methods turn a model's status into a claim about the instance only through
:mod:`milpinv.milp.certify`.

>>> Status("optimal") is Status.OPTIMAL, f"{Status.INFEASIBLE}", Status.FAILED == "failed"
(True, 'infeasible', True)
>>> [exit_code(s) for s in Status]
[0, 0, 0, 3, 1]
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """A verdict; compares equal to its string value (``Status.OPTIMAL == "optimal"``)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value

    @property
    def answered(self) -> bool:
        """A verdict on the instance: a re-checked z or a proof that none exists."""
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.INFEASIBLE)

    @property
    def proven(self) -> bool:
        """A proof: an optimum reached or an empty pre-image."""
        return self in (Status.OPTIMAL, Status.INFEASIBLE)


OPTIMAL, FEASIBLE, INFEASIBLE, TIME_LIMIT, FAILED = Status

#: exit codes of the command-line tools: an answer 0, no answer 1, the time limit 3 (bad input: 2)
EXIT_CODES = {Status.OPTIMAL: 0, Status.FEASIBLE: 0, Status.INFEASIBLE: 0, Status.TIME_LIMIT: 3, Status.FAILED: 1}
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout closed it (`| head`)


def exit_code(status: Status | str) -> int:
    """The command-line exit code of a verdict."""
    return EXIT_CODES[Status(status)]
