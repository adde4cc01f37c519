"""The gradient-descent baseline: Adam on ||G(z) - x||^2, projected onto the latent box, with
random restarts run as one batch. It is what users would otherwise do; it certifies nothing: a
verified zero residual is a pre-image, anything else is a local minimum or a slow run."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from ..deadline import Deadline
from ..network import affine
from ..norm import Norm
from ..result import InversionResult
from ..status import Status
from ..tolerance import Acceptance, tolerance
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


def _adam(network, Z, x, tol, steps, lr, lower, upper, deadline: Deadline) -> tuple[np.ndarray, str, int]:
    """Projected Adam on every row of Z until one row fits x within tol, the steps or the deadline."""
    m, v = np.zeros_like(Z), np.zeros_like(Z)
    beta1, beta2, eps = 0.9, 0.999, 1e-12
    step = 0
    for step in range(1, steps + 1):
        loss, g = loss_and_grad(network, Z, x)
        if np.sqrt(loss.min()) <= tol:
            return Z, "converged", step
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        Z = np.clip(Z - lr * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps), lower, upper)
        if step % 50 == 0 and deadline.expired():
            return Z, "time_limit", step
    return Z, "steps", step


def descend(
    network,
    x: np.ndarray,
    lower,
    upper,
    restarts: int,
    steps: int,
    seed: int | None,
    tol: float,
    lr: float,
    deadline: Deadline,
) -> tuple[np.ndarray, np.ndarray, str, int]:
    """A batch of ``restarts`` projected descents from N(0, I) starts (seeded): the final points,
    their squared residuals, why they stopped and the steps taken."""
    rng = make_rng(seed, 0x6764)  # own stream, not plant's
    Z = np.clip(rng.normal(size=(restarts, network.input_dim)), lower, upper)
    # Small matrix products in a loop: BLAS threads only add overhead, and on a loaded machine
    # they spin (benchmarks/gd_blas_threads.py: 10-20x slower on a 60-360-2160 net under load).
    with threadpool_limits(limits=1, user_api="blas"):
        Z, stop, step = _adam(network, Z, x, tol, steps, lr, lower, upper, deadline)
        loss, _ = loss_and_grad(network, Z, x)
    return Z, loss, stop, step


def invert_gd(
    network,
    target,
    *,
    norm: Norm | str,
    lower,
    upper,
    accept: Acceptance | None = None,
    time_limit=None,
    seed: int | None = 0,
    steps: int = 3000,
    lr: float = 0.05,
    restarts: int = 8,
) -> InversionResult:
    """Method ``gd``: Adam with projection and restarts; returns the best z found (with the exact
    norm ``optimal`` when ``accept`` takes it as a pre-image). Options are checked by
    :func:`milpinv.options.check_options`."""
    norm = Norm.parse(norm)
    x = np.asarray(target, dtype=np.float64)
    accept = accept or Acceptance(tolerance(x))
    tol = max(accept.tol, 1e-12 * max(1.0, float(np.max(np.abs(x), initial=0.0))))  # stop rule: descent is float
    Z, loss, stop, step = descend(network, x, lower, upper, restarts, steps, seed, tol, lr, Deadline(time_limit))
    best = Z[int(np.argmin(loss))]
    info = {"iterations": step, "restarts": restarts, "stopped": stop, "seed": seed, "lr": lr}
    if not norm.exact:
        return InversionResult(Status.FEASIBLE, best, "gd", norm, solver=info)
    best, resid, ok = accept.check(network, x, best, lower, upper)
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
