r"""CNF-SAT -> subset-sum: the classic digit construction (Sipser, Theorem 7.56), in base B.

For variables 1..n and clauses C_1..C_m, numbers have n + m digits in base B (variable digits
first, most significant). For every variable v two numbers, t_v ("v true") and f_v ("v false"):
digit v is 1, and clause digit j holds the number of occurrences of literal v (for t_v) or -v
(for f_v) in C_j. For every clause j, |C_j| - 1 slack numbers with only digit j set to 1.
The target has digit 1 at every variable and |C_j| at every clause digit.

No column can carry: a variable column sums to at most 2, a clause column to at most
|C_j| + (|C_j| - 1), so with B = max(3, 2 max_j |C_j|) every subset sum is read digit by digit.

* Variable digits: exactly one of t_v, f_v is chosen, i.e. an assignment x_v = [t_v chosen].
* Clause digit j: (number of true literal occurrences in C_j) + (slacks chosen) = |C_j|, and
  at most |C_j| - 1 slacks exist, so the clause has a true literal; conversely a satisfied
  clause with s true occurrences is completed by |C_j| - s slacks.

Forward map: assignment -> {t_v or f_v} plus the needed slacks. Backward map: chosen numbers
-> x_v = [t_v chosen]. The numbers have n + m digits: they grow exponentially, which is the
point of the construction (and why subset-sum is only weakly NP-hard).
"""

from __future__ import annotations

import math

from milpinv.errors import InputError

from .base import Reduction
from .problems import CNF, SubsetSum

MAX_DECIMAL_DIGITS = 4000  # Python refuses int <-> str conversions above 4300 digits by default


def _base(problem: CNF) -> int:
    return max(3, 2 * max((len(c) for c in problem.clauses), default=1))


def _layout(problem: CNF) -> tuple[int, list[int]]:
    """The base and the place value of every digit (variables 1..n, then clauses 1..m)."""
    B = _base(problem)
    digits = problem.num_vars + problem.num_clauses
    if digits * math.log10(B) > MAX_DECIMAL_DIGITS:
        raise InputError(
            f"3sat->subset-sum: {digits} base-{B} digits make numbers of about "
            f"{int(digits * math.log10(B))} decimal digits, beyond the limit of {MAX_DECIMAL_DIGITS}"
        )
    return B, [B ** (digits - 1 - d) for d in range(digits)]


class SatToSubsetSum(Reduction):
    source = "3sat"
    target = "subset-sum"

    def reduce(self, problem: CNF) -> SubsetSum:
        n = problem.num_vars
        _, place = _layout(problem)
        t = [place[v] for v in range(n)]
        f = [place[v] for v in range(n)]
        slacks = []
        target = sum(place[:n])
        for j, clause in enumerate(problem.clauses):
            for lit in clause:
                (t if lit > 0 else f)[abs(lit) - 1] += place[n + j]
            slacks += [place[n + j]] * (len(clause) - 1)
            target += len(clause) * place[n + j]
        return SubsetSum(tuple(t + f + slacks), target, {"reduction": self.name})

    def forward(self, problem: CNF, solution) -> list[bool]:
        x = [bool(v) for v in solution]
        chosen = x + [not v for v in x]
        for clause in problem.clauses:
            true = sum(1 for lit in clause if x[abs(lit) - 1] == (lit > 0))
            k = len(clause) - 1
            need = len(clause) - true
            chosen += [i < need for i in range(k)]
        return chosen

    def backward(self, problem: CNF, solution) -> list[bool]:
        return [bool(c) for c in list(solution)[: problem.num_vars]]
