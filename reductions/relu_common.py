"""Shared pieces of the reductions to ReLU inversion: building the instance, reading z back."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from milpinv.errors import InputError
from milpinv.instance import Instance
from milpinv.network import ReluNetwork
from milpinv.validation import MAX_ENTRIES

from .problems import problem_to_dict

EXACT_INT = 2**52  # float64 represents every integer below this exactly


def check_size(reduction, n: int, nonzeros: int) -> None:
    """Refuse an empty latent, and, before allocating them, sparse weights with more than
    MAX_ENTRIES nonzeros."""
    if n == 0:
        raise InputError(f"{reduction.name}: the problem has no variables, and an inversion instance needs a latent")
    if nonzeros > MAX_ENTRIES:
        raise InputError(
            f"{reduction.name}: needs {nonzeros} nonzero weights, beyond the limit of {MAX_ENTRIES}; "
            "reduce a smaller instance"
        )


def check_exact(reduction, largest: int) -> None:
    """Refuse, before any float conversion, integers that float64 does not hold exactly."""
    if largest >= EXACT_INT:
        raise InputError(
            f"{reduction.name}: numbers up to {largest.bit_length()} bits exceed 2^52, beyond exact "
            "float64 arithmetic; reduce a smaller instance"
        )


def relu_instance(reduction, problem, layers, target, lower, upper) -> Instance:
    """A two-layer integer-weight instance (sparse CSR weights) whose meta records the source problem."""
    weights = [sp.csr_matrix(W, dtype=np.float64) for W, _ in layers]
    biases = [np.asarray(b, dtype=np.float64) for _, b in layers]
    largest = max(
        max(
            float(np.asarray(abs(W).sum(axis=1)).max(initial=0)) + float(np.abs(b).max(initial=0))
            for W, b in zip(weights, biases)
        ),
        float(np.max(np.abs(target), initial=0)),
    )
    if largest >= EXACT_INT:
        raise InputError(
            f"{reduction.name}: numbers up to {largest:.3g} exceed 2^52, beyond exact float64 "
            "arithmetic; reduce a smaller instance"
        )
    meta = {
        "generator": "reductions",
        "reduction": reduction.name,
        "path": reduction.path,
        "source": problem_to_dict(problem),
        "integral_preimage": True,
        "known_answer": problem.meta.get("known_answer", "unknown"),
    }
    return Instance(ReluNetwork(weights, biases, "relu"), np.asarray(target, np.float64), lower, upper, meta)


def latent(n: int, z) -> np.ndarray:
    """z as a float vector of length n (one-line error otherwise)."""
    z = np.asarray(z, dtype=np.float64).ravel()
    if z.shape[0] != n or not np.all(np.isfinite(z)):
        raise InputError(f"z: expected {n} finite values, got shape {z.shape}")
    return z
