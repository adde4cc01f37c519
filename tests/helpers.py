"""Shared oracles of the tests: brute force over activation patterns."""

import itertools

import numpy as np

from milpinv import ReluNetwork
from milpinv.formulations.pieces import piece_model
from milpinv.solvers import solve


def brute_force(net: ReluNetwork, x, norm, lower, upper, band=0.0) -> float | None:
    """min ||G(z) - x|| over the box by one LP per activation pattern (closed pieces cover the box);
    exact norm: 0.0 if some piece meets the pre-image of x's ``band`` (0, a number, or one per
    output), else None."""
    widths = [net.dims[k + 1] for k in range(net.depth)]
    free = [k for k in range(net.depth) if net.activation(k).kinked and not (norm == "exact" and k == net.depth - 1)]
    best = None
    for bits in itertools.product([False, True], repeat=sum(widths[k] for k in free)):
        pattern, i = [], 0
        for k, w in enumerate(widths):
            if k in free:
                pattern.append(np.array(bits[i : i + w]))
                i += w
            else:  # no kink, or the exact norm's output (its pattern is the observation's)
                pattern.append(np.ones(w, bool))
        out = solve(piece_model(net, pattern, x, norm, lower, upper, band=band), "highs")
        if out.status == "optimal":
            value = 0.0 if norm == "exact" else out.objective
            best = value if best is None else min(best, value)
    return best


def one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    """The CLI's bad-input rule: exit 2, one line on stderr naming ``fragment``, no traceback."""
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in out + err
