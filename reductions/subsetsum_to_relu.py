r"""Subset-sum -> inversion of a two-layer ReLU network with integer weights.

For weights a_1..a_n >= 0 and target T, latent z in [0, 1]^n:

    hidden (2n):   p_i = relu(2 z_i - 1),   q_i = relu(1 - 2 z_i)       (W1 = [2I; -2I], b1 = [-1; 1])
    outputs:       u_i = relu(p_i + q_i)                         target 1      (i = 1..n)
                   s   = relu(sum_i a_i (p_i - q_i) + sum_i a_i) target 2T

Why a pre-image exists iff some subset sums to T:

* u_i = |2 z_i - 1| = 1 forces z_i in {0, 1}; then p_i - q_i = 2 z_i - 1.
* The last pre-activation is then sum_i a_i (2 z_i - 1) + sum_i a_i = 2 sum_i a_i z_i >= 0, so
  the relu is the identity there and s = 2T iff the chosen items {i : z_i = 1} sum to T.

Forward map: chosen items -> z_i = 1 if chosen else 0. Backward map: z -> chosen = [z_i > 1/2].
All weights are integers; the instance is refused when its numbers exceed exact float64 range
(2^52), which the 3-SAT -> subset-sum chain reaches quickly: it is for small demonstrations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Reduction
from .problems import SubsetSum
from .relu_common import check_exact, check_size, latent, relu_instance


class SubsetSumToRelu(Reduction):
    source = "subset-sum"
    target = "relu"

    def reduce(self, problem: SubsetSum):
        n = problem.n
        check_size(self, n, 6 * n)
        check_exact(self, max(sum(problem.weights), 2 * problem.target))
        a = np.array([float(w) for w in problem.weights])
        eye = sp.identity(n, format="csr")
        W1 = sp.vstack([2 * eye, -2 * eye], format="csr")
        b1 = np.concatenate([-np.ones(n), np.ones(n)])
        W2 = sp.vstack([sp.hstack([eye, eye]), sp.csr_matrix(np.concatenate([a, -a])[None, :])], format="csr")
        b2 = np.concatenate([np.zeros(n), [float(sum(problem.weights))]])
        target = np.concatenate([np.ones(n), [2.0 * problem.target]])
        return relu_instance(self, problem, [(W1, b1), (W2, b2)], target, np.zeros(n), np.ones(n))

    def forward(self, problem: SubsetSum, solution) -> np.ndarray:
        return np.asarray(solution, dtype=bool).astype(np.float64).reshape(problem.n)

    def backward(self, problem: SubsetSum, solution) -> list[bool]:
        z = latent(problem.n, solution)
        return [bool(v > 0.5) for v in z]
