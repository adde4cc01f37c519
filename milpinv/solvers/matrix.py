"""Solver-neutral LP/MILP models in matrix form.

A :class:`MatrixModel` is ``min c^T v + offset`` subject to
``row_lower <= A v <= row_upper``, ``col_lower <= v <= col_upper`` and ``v_j`` integer
where ``integrality[j]``. Named blocks map variable and row groups to index ranges, so
a formulation can read its solution back (``model.value(x, "z")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass
class MatrixModel:
    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    offset: float = 0.0
    blocks: dict[str, slice] = field(default_factory=dict)
    row_blocks: dict[str, slice] = field(default_factory=dict)
    name: str = "model"

    @property
    def num_vars(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def num_integer(self) -> int:
        return int(np.count_nonzero(self.integrality))

    @property
    def nnz(self) -> int:
        return int(self.A.nnz)

    def relaxed(self) -> MatrixModel:
        """The LP relaxation: the same model with no integer variable."""
        return replace(self, integrality=np.zeros(self.num_vars, dtype=bool))

    def value(self, x: np.ndarray, block: str) -> np.ndarray:
        """The entries of solution ``x`` that belong to variable block ``block``."""
        return np.asarray(x)[self.blocks[block]]

    def var_names(self) -> list[str]:
        """One name per column, ``block[i]``, for LP/MPS export."""
        names = [""] * self.num_vars
        for block, sl in self.blocks.items():
            for i, j in enumerate(range(sl.start, sl.stop)):
                names[j] = f"{block}_{i}"
        return [n or f"v_{j}" for j, n in enumerate(names)]

    def row_names(self) -> list[str]:
        names = [""] * self.num_rows
        for block, sl in self.row_blocks.items():
            for i, j in enumerate(range(sl.start, sl.stop)):
                names[j] = f"{block}_{i}"
        return [n or f"r_{j}" for j, n in enumerate(names)]

    def stats(self) -> dict[str, int]:
        return {"vars": self.num_vars, "rows": self.num_rows, "binaries": self.num_integer, "nnz": self.nnz}


class ModelBuilder:
    """Assemble a :class:`MatrixModel` from blocks of variables and rows (COO triplets)."""

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self._c: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._blocks: dict[str, slice] = {}
        self._row_blocks: dict[str, slice] = {}
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._rlo: list[np.ndarray] = []
        self._rhi: list[np.ndarray] = []
        self.num_vars = 0
        self.num_rows = 0
        self.offset = 0.0

    def add_vars(self, name: str, n: int, lower, upper, integer: bool = False, cost=0.0) -> slice:
        """Add ``n`` variables with bounds (scalars or arrays); returns their column slice."""
        if name in self._blocks:
            raise ValueError(f"variable block {name!r} already exists")
        sl = slice(self.num_vars, self.num_vars + n)
        self._c.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self._lo.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self._blocks[name] = sl
        self.num_vars += n
        return sl

    def add_rows(self, name: str, terms: Sequence[tuple[slice, object]], lower, upper) -> slice:
        """Add rows ``lower <= sum_k M_k v[slice_k] <= upper``; each M_k dense or sparse."""
        m = None
        for cols, mat in terms:
            coo = sp.coo_matrix(mat)
            if m is None:
                m = coo.shape[0]
            if coo.shape != (m, cols.stop - cols.start):
                raise ValueError(f"rows {name!r}: block of shape {coo.shape} does not fit {m} rows x {cols}")
            keep = coo.data != 0
            self._rows.append(coo.row[keep] + self.num_rows)
            self._cols.append(coo.col[keep] + cols.start)
            self._vals.append(coo.data[keep].astype(float))
        if m is None:
            raise ValueError(f"rows {name!r}: no terms")
        if name in self._row_blocks:
            name = f"{name}#{self.num_rows}"
        sl = slice(self.num_rows, self.num_rows + m)
        self._rlo.append(np.broadcast_to(np.asarray(lower, dtype=float), (m,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(upper, dtype=float), (m,)).copy())
        self._row_blocks[name] = sl
        self.num_rows += m
        return sl

    def lower_of(self, cols: slice) -> np.ndarray:
        """The lower bounds of the variables ``cols`` added so far."""
        return np.concatenate(self._lo)[cols]

    def upper_of(self, cols: slice) -> np.ndarray:
        """The upper bounds of the variables ``cols`` added so far."""
        return np.concatenate(self._hi)[cols]

    def build(self) -> MatrixModel:
        def cat(parts: list[np.ndarray], dtype=float) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        A = sp.csr_matrix(
            (cat(self._vals), (cat(self._rows, np.int64), cat(self._cols, np.int64))),
            shape=(self.num_rows, self.num_vars),
        )
        A.sum_duplicates()
        return MatrixModel(
            c=cat(self._c),
            A=A,
            row_lower=cat(self._rlo),
            row_upper=cat(self._rhi),
            col_lower=cat(self._lo),
            col_upper=cat(self._hi),
            integrality=cat(self._int, bool),
            offset=self.offset,
            blocks=dict(self._blocks),
            row_blocks=dict(self._row_blocks),
            name=self.name,
        )
