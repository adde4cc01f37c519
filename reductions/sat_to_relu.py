r"""3-SAT (any CNF) -> inversion of a two-layer ReLU network with integer weights.

Construction, for a CNF over variables 1..n with clauses C_1..C_m, latent z in [-1, 1]^n:

    hidden (2n):   p_i = relu(z_i),   q_i = relu(-z_i)                      (W1 = [I; -I], b1 = 0; weights sparse CSR)
    outputs:       u_i = relu(p_i + q_i)                      target 1      (i = 1..n)
                   c_j = relu(1 - sum_{l in C_j} val(l))      target 0      (j = 1..m)
    with val(v) = p_v for a positive literal v and val(-v) = q_v for a negative one.

Why a pre-image exists iff the formula is satisfiable:

* u_i = relu(|z_i|) = |z_i| = 1 forces z_i in {-1, +1}: then (p_i, q_i) is (1, 0) or (0, 1), so
  val(l) is 1 when literal l is true under the assignment x_v = [z_v > 0], and 0 otherwise.
* c_j = relu(1 - s_j) = 0 iff s_j >= 1, where s_j is the number of true literal occurrences in
  C_j: exactly "C_j is satisfied".

So a satisfying assignment x gives the pre-image z_v = +1 if x_v else -1 (forward map), and any
pre-image z gives the satisfying assignment x_v = [z_v > 0] (backward map). Every pre-image is
a vertex of the box and integral, which lets CP-SAT decide the instance exactly on the lattice.
This is the two-layer NP-hardness argument of Lei et al. (2019) in an explicit form: the first
layer and the u-outputs encode "z is Boolean", the c-outputs encode the clauses.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Reduction
from .problems import CNF
from .relu_common import check_size, latent, relu_instance


class SatToRelu(Reduction):
    source = "3sat"
    target = "relu"

    def reduce(self, problem: CNF):
        n, m = problem.num_vars, problem.num_clauses
        check_size(self, n, 4 * n + sum(len(c) for c in problem.clauses))
        eye = sp.identity(n, format="csr")
        W1 = sp.vstack([eye, -eye], format="csr")
        lits = [(j, lit) for j, clause in enumerate(problem.clauses) for lit in clause]
        rows = np.concatenate([np.arange(n), np.arange(n), [n + j for j, _ in lits]]).astype(np.int64)
        literal_cols = [abs(lit) - 1 + (0 if lit > 0 else n) for _, lit in lits]
        cols = np.concatenate([np.arange(n), n + np.arange(n), literal_cols]).astype(np.int64)
        vals = np.concatenate([np.ones(2 * n), -np.ones(len(lits))])  # -(val(l)), a repeated literal twice
        W2 = sp.csr_matrix((vals, (rows, cols)), shape=(n + m, 2 * n))  # duplicates add up
        b2 = np.concatenate([np.zeros(n), np.ones(m)])
        target = np.concatenate([np.ones(n), np.zeros(m)])
        return relu_instance(
            self, problem, [(W1, np.zeros(2 * n)), (W2, b2)], target, np.full(n, -1.0), np.full(n, 1.0)
        )

    def forward(self, problem: CNF, solution) -> np.ndarray:
        return np.where(np.asarray(solution, dtype=bool), 1.0, -1.0).reshape(problem.num_vars)

    def backward(self, problem: CNF, solution) -> list[bool]:
        z = latent(problem.num_vars, solution)
        return [bool(v > 0) for v in z]
