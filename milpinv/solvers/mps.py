"""MPS files written and read by HiGHS (``writeModel`` / ``readModel``; ``.gz`` compressed), with
the model's own variable and row names, and MIPLIB's solution files: ``=obj= VALUE`` on the first
line, then one ``NAME VALUE`` line per nonzero variable.

>>> sol_text(["z_0", "d0_1", "h0_0"], [0.5, 1.0, 0.0], 0.0)
'=obj= 0.0\\nz_0 0.5\\nd0_1 1.0\\n'
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import InputError, SolverError
from ..files import atomic_write, check_readable
from .highs import new_highs, pass_model
from .matrix import MatrixModel


def write_mps(model: MatrixModel, path: str | Path) -> None:
    """``model`` as an MPS file (gzip-compressed when ``path`` ends in ``.gz``), atomically."""
    import highspy

    h = new_highs()
    pass_model(h, model)
    for j, name in enumerate(model.var_names()):
        h.passColName(j, name)
    for i, name in enumerate(model.row_names()):
        h.passRowName(i, name)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "model.mps"
        if h.writeModel(str(plain)) != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS could not write {path}")
        data = plain.read_bytes()
    atomic_write(path, gzip.compress(data, mtime=0) if str(path).endswith(".gz") else data)


def read_mps(path: str | Path) -> tuple[MatrixModel, list[str]]:
    """(the model HiGHS reads from an MPS file, its column names)."""
    import highspy

    p = check_readable(path, "an MPS file")
    h = new_highs()
    if h.readModel(str(p)) == highspy.HighsStatus.kError:
        raise InputError(f"{p}: HiGHS cannot read it as an MPS file")
    lp = h.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    A = sp.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)), shape=shape).tocsr()
    integral = np.array([int(t) != 0 for t in lp.integrality_] or [False] * lp.num_col_)
    model = MatrixModel(
        np.asarray(lp.col_cost_, float),
        A,
        np.asarray(lp.row_lower_, float),
        np.asarray(lp.row_upper_, float),
        np.asarray(lp.col_lower_, float),
        np.asarray(lp.col_upper_, float),
        integral,
        float(lp.offset_),
    )
    return model, list(lp.col_names_)


def violation(model: MatrixModel, v: np.ndarray) -> float:
    """The largest violation of a row, a variable bound or an integrality by the point ``v``, each
    relative to the size of the terms it adds up (an absolute one below 1)."""
    Av = model.A @ v
    scale = np.maximum(1.0, abs(model.A) @ np.abs(v))
    rows = np.maximum(model.row_lower - Av, Av - model.row_upper) / scale
    cols = np.maximum(model.col_lower - v, v - model.col_upper) / np.maximum(1.0, np.abs(v))
    ints = np.abs(v - np.round(v))[model.integrality]
    return float(max(rows.max(initial=0.0), cols.max(initial=0.0), ints.max(initial=0.0), 0.0))


def sol_text(names: Sequence[str], values: Sequence[float], objective: float) -> str:
    """A MIPLIB ``.sol`` file: the objective, then the nonzero values by name."""
    lines = [f"=obj= {float(objective)!r}"]
    lines += [f"{name} {float(v)!r}" for name, v in zip(names, values) if v != 0.0]
    return "\n".join(lines) + "\n"


def read_sol(path: str | Path) -> tuple[float, dict[str, float]]:
    """(objective, values by name) of a MIPLIB ``.sol`` file; a variable not listed is 0."""
    p = check_readable(path, "a .sol file")
    objective, values = None, {}
    for k, line in enumerate(p.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if parts[0] == "=obj=" and len(parts) == 2 and objective is None:
                objective = float(parts[1])
            elif len(parts) == 2 and parts[0] not in values:
                values[parts[0]] = float(parts[1])
            else:
                raise ValueError
        except ValueError:
            raise InputError(f"{p}:{k}: expected '=obj= VALUE' first, then 'NAME VALUE' once per name") from None
    if objective is None:
        raise InputError(f"{p}: no '=obj= VALUE' line")
    return objective, values
