"""The gradient-descent baseline: Adam on ||G(z) - x||^2, projected onto the latent box, with
random restarts run as one batch. It is what users would otherwise do; it certifies nothing: a
verified zero residual is a pre-image, anything else is a local minimum or a slow run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..network import affine
from ..options import GdOptions
from ..problem import Problem
from ..result import InversionResult
from ..status import Status
from ..validation import make_rng


def loss_and_grad(network, Z: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ||G(z) - x||^2 and its gradient for a batch Z of shape (R, n0)."""
    h, slopes = Z, []
    for W, b, act in zip(network.weights, network.biases, network.activations):
        a = affine(W, b, h)
        slopes.append(act.derivative(a))
        h = act(a)
    r = h - x
    g = 2.0 * r
    for k in reversed(range(network.depth)):
        g = np.asarray((network.weights[k].T @ (g * slopes[k]).T).T)
    return np.sum(r * r, axis=1), g


@dataclass(frozen=True)
class Descent:
    """A batch of projected descents: ``restarts`` starts (seeded), at most ``steps`` Adam steps
    of rate ``lr`` each, stopped once a row fits within ``tol``."""

    restarts: int
    steps: int
    seed: int | None
    tol: float = 0.0
    lr: float = 0.05


def _adam(problem: Problem, Z: np.ndarray, run: Descent) -> tuple[np.ndarray, str, int]:
    """Projected Adam on every row of Z until one row fits the target within ``run.tol``, the steps
    or the problem's clock."""
    network, x, (lower, upper), deadline = problem.network, problem.target, problem.box, problem.deadline
    m, v = np.zeros_like(Z), np.zeros_like(Z)
    beta1, beta2, eps = 0.9, 0.999, 1e-12
    step = 0
    for step in range(1, run.steps + 1):
        loss, g = loss_and_grad(network, Z, x)
        if np.sqrt(loss.min()) <= run.tol:
            return Z, "converged", step
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        Z = np.clip(Z - run.lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps), lower, upper)
        if step % 50 == 0 and deadline.expired():
            return Z, "time_limit", step
    return Z, "steps", step


def descend(problem: Problem, run: Descent) -> tuple[np.ndarray, np.ndarray, str, int]:
    """A batch of ``run.restarts`` projected descents from N(0, I) starts (seeded): the final
    points, their squared residuals, why they stopped and the steps taken."""
    rng = make_rng(run.seed, 0x6764)  # own stream, not plant's
    Z = problem.box.clip(rng.normal(size=(run.restarts, problem.network.input_dim)))
    # Small matrix products in a loop: BLAS threads only add overhead, and on a loaded machine
    # they spin (benchmarks/gd_blas_threads.py: 10-20x slower on a 60-360-2160 net under load).
    with threadpool_limits(limits=1, user_api="blas"):
        Z, stop, step = _adam(problem, Z, run)
        loss, _ = loss_and_grad(problem.network, Z, problem.target)
    return Z, loss, stop, step


def invert_gd(problem: Problem, options: GdOptions) -> InversionResult:
    """Method ``gd``: Adam with projection and restarts, on the problem's clock; returns the best z
    found (with the exact norm ``optimal`` when the problem's acceptance takes it as a pre-image)."""
    norm, x, accept, o = problem.norm, problem.target, problem.accept, options
    tol = max(accept.tol, 1e-12 * max(1.0, float(np.max(np.abs(x), initial=0.0))))  # stop rule: descent is float
    Z, loss, stop, step = descend(problem, Descent(o.restarts, o.steps, o.seed, tol, o.lr))
    best = Z[int(np.argmin(loss))]
    info = {"iterations": step, "restarts": o.restarts, "stopped": stop, "seed": o.seed, "lr": o.lr}
    if not norm.exact:
        return InversionResult(Status.FEASIBLE, best, "gd", norm, solver=info)
    best, resid, ok = accept.check(problem.network, x, best, *problem.box)
    if ok:
        return InversionResult(Status.OPTIMAL, best, "gd", norm, objective=0.0, solver=info)
    status = Status.TIME_LIMIT if stop == "time_limit" else Status.FAILED
    return InversionResult(
        status,
        best,
        "gd",
        norm,
        solver=info,
        message=f"gradient descent stopped at residual {resid:.3g} (no certificate)",
    )
