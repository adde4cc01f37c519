"""Seedable random instances: uniform random k-SAT (as SATLIB's uf/uuf files), planted k-SAT,
and random subset-sum by density n / log2(max weight) (hardest near density 1)."""

from __future__ import annotations

import numpy as np

from milpinv.errors import InputError
from milpinv.validation import make_rng

from .problems import CNF, SubsetSum

MAX_SIZE = 10_000_000  # variables, clauses or items: far beyond what a reduction can build


def _check(n: int, ratio: float, k: int) -> int:
    if n < k or k < 1:
        raise InputError(f"k-SAT needs n >= k >= 1, got n={n}, k={k}")
    if not np.isfinite(ratio) or ratio < 0:
        raise InputError(f"ratio: must be a finite number >= 0, got {ratio}")
    if max(n, ratio * n) > MAX_SIZE:
        raise InputError(f"k-SAT with n={n} and {ratio * n:.3g} clauses exceeds the limit of {MAX_SIZE}")
    return int(round(ratio * n))


def _clause(rng, n: int, k: int) -> tuple[int, ...]:
    vars_ = rng.choice(n, size=k, replace=False) + 1
    signs = rng.integers(0, 2, size=k) * 2 - 1
    return tuple(int(v * s) for v, s in zip(vars_, signs))


def random_ksat(n: int, ratio: float, k: int = 3, seed: int | None = None) -> CNF:
    """m = round(ratio * n) clauses of k distinct variables with random signs."""
    m = _check(n, ratio, k)
    rng = make_rng(seed)
    return CNF(
        n,
        tuple(_clause(rng, n, k) for _ in range(m)),
        {"generator": "random_ksat", "n": n, "ratio": ratio, "k": k, "seed": seed},
    )


def planted_ksat(n: int, ratio: float, k: int = 3, seed: int | None = None) -> tuple[CNF, list[bool]]:
    """Clauses drawn uniformly among those satisfied by a hidden random assignment."""
    m = _check(n, ratio, k)
    rng = make_rng(seed)
    hidden = [bool(v) for v in rng.integers(0, 2, size=n)]
    clauses: list[tuple[int, ...]] = []
    while len(clauses) < m:
        c = _clause(rng, n, k)
        if any(hidden[abs(l) - 1] == (l > 0) for l in c):
            clauses.append(c)
    cnf = CNF(n, tuple(clauses), {"generator": "planted_ksat", "n": n, "ratio": ratio, "k": k, "seed": seed})
    return cnf, hidden


def random_subsetsum(n: int, density: float, seed: int | None = None, planted: bool | None = None) -> SubsetSum:
    """Weights uniform in [1, 2^(n/density)]; target: the sum of a random subset (planted=True),
    a uniform value in [0, sum] (planted=False), or either at random (None)."""
    if not 1 <= n <= MAX_SIZE:
        raise InputError(f"n: must be in 1..{MAX_SIZE}, got {n}")
    if not np.isfinite(density) or density <= 0:
        raise InputError(f"density: must be a positive number, got {density}")
    bits = max(1, int(round(n / density)))
    if bits > 62:
        raise InputError(f"n / density = {bits} bits exceeds the 62-bit weights this generator makes")
    rng = make_rng(seed)
    weights = [int(w) for w in rng.integers(1, 2**bits, size=n, endpoint=True)]
    if planted is None:
        planted = bool(rng.integers(0, 2))
    if planted:
        chosen = rng.integers(0, 2, size=n).astype(bool)
        target = sum(w for w, c in zip(weights, chosen) if c)
    else:
        target = int(rng.integers(0, sum(weights), endpoint=True))
    return SubsetSum(
        tuple(weights),
        target,
        {"generator": "random_subsetsum", "n": n, "density": density, "seed": seed, "planted": planted},
    )
