"""Small validators shared by every entry point; each raises InputError naming the field."""

from __future__ import annotations

import numpy as np

from .errors import InputError

MAX_ENTRIES = 50_000_000  # refuse arrays that would not fit a model built in memory
MAX_MAGNITUDE = 1e20  # weights and biases beyond this reach no solver (HiGHS takes 1e20 as infinite)
MAX_THREADS = 256  # solver threads (and worker processes): 10,000 HiGHS threads ran 87 s of a 5 s limit
MAX_SEED = 2**63 - 1


def as_float_array(value, name: str, ndim: int | None = None) -> np.ndarray:
    """Convert to a float64 array, checking dtype, rank and finiteness."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == object or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{name}: expected numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError(f"{name}: complex values are not supported")
    if arr.size > MAX_ENTRIES:
        raise InputError(f"{name}: {arr.size} entries exceeds the limit of {MAX_ENTRIES}")
    arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{name}: contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
    return arr


def as_int_array(value, name: str, ndim: int | None = None) -> np.ndarray:
    """Convert to an int64 array of an integer dtype (floats, even integral ones, are refused: an
    index or a size stored as 2.5 or 1e300 is a corrupt file, never something to truncate)."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise InputError(f"{name}: cannot be read as an array ({exc})") from None
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"{name}: expected integers, got dtype {arr.dtype}{_example(arr)}")
    if arr.size > MAX_ENTRIES:
        raise InputError(f"{name}: {arr.size} entries exceeds the limit of {MAX_ENTRIES}")
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise InputError(f"{name}: values up to {int(arr.max())} exceed the limit of 2^63 - 1")
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    return arr.astype(np.int64)


def _example(arr: np.ndarray) -> str:
    """ " (e.g. 2.5)": a value of a real array that is not an integer, else its first value."""
    if not arr.size or not np.issubdtype(arr.dtype, np.floating):
        return ""
    flat = arr.reshape(-1)
    odd = flat[flat != np.round(flat)]
    return f" (e.g. {float(odd[0] if odd.size else flat[0]):g})"


def csr_parts(data, indices, indptr, shape, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """The four arrays of a CSR matrix, checked before scipy reads them (scipy trusts them: an
    index out of range is read out of bounds): float data, integer indices within the columns,
    an index pointer from 0 to nnz that never decreases, a shape of two sizes within the limit."""
    dims = as_int_array(shape, f"{name}.shape").reshape(-1)
    if dims.size != 2 or dims.min() < 0 or dims.max() > MAX_ENTRIES:
        raise InputError(f"{name}.shape: expected two sizes in 0..{MAX_ENTRIES} (rows, columns), got {dims.tolist()}")
    rows, cols = int(dims[0]), int(dims[1])
    values = as_float_array(data, f"{name}.data", ndim=1)
    idx = as_int_array(indices, f"{name}.indices", ndim=1)
    ptr = as_int_array(indptr, f"{name}.indptr", ndim=1)
    if idx.size != values.size:
        raise InputError(f"{name}.indices: {idx.size} entries, but {name}.data has {values.size}")
    if ptr.size != rows + 1:
        raise InputError(f"{name}.indptr: expected {rows + 1} entries (rows + 1), got {ptr.size}")
    if ptr[0] != 0 or ptr[-1] != values.size:
        raise InputError(f"{name}.indptr: must run from 0 to {values.size} (nnz), got {ptr[0]} .. {ptr[-1]}")
    falls = np.diff(ptr) < 0
    if falls.any():
        i = int(np.argmax(falls))
        raise InputError(f"{name}.indptr: decreases at entry {i + 1} ({ptr[i]} then {ptr[i + 1]})")
    outside = (idx < 0) | (idx >= cols)
    if outside.any():
        i = int(np.argmax(outside))
        raise InputError(f"{name}.indices[{i}] = {idx[i]}: outside the {cols} columns")
    return values, idx, ptr, (rows, cols)


def check_magnitude(values: np.ndarray, name: str) -> None:
    """Refuse values beyond :data:`MAX_MAGNITUDE` (the 62-bit integers of the reductions pass)."""
    top = float(np.max(np.abs(values), initial=0.0))
    if top > MAX_MAGNITUDE:
        raise InputError(f"{name}: values up to {top:.3g} exceed the limit of {MAX_MAGNITUDE:g}; rescale the network")


def check_length(arr: np.ndarray, n: int, name: str) -> None:
    """Require a 1-d array of length ``n``."""
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"{name}: expected shape ({n},), got {arr.shape}")


def check_seed(seed, name: str = "seed") -> int | None:
    """None or a non-negative integer: the seeds numpy's generators take."""
    return None if seed is None else check_int(seed, name, minimum=0, maximum=MAX_SEED)


def make_rng(seed, *stream: int, name: str = "seed") -> np.random.Generator:
    """numpy's generator for a checked ``seed`` (None: fresh entropy); ``stream`` picks an
    independent stream of the same seed."""
    seed = check_seed(seed, name)
    return np.random.default_rng(None if seed is None else [seed, *stream] if stream else seed)


def check_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer >= ``minimum`` (and <= ``maximum``)."""
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not integer or value < minimum or (maximum is not None and value > maximum):
        within = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise InputError(f"{name}: expected an integer {within}, got {value!r}")
    return int(value)


def check_number(value, name: str, positive: bool = False) -> float:
    """A finite real number, > 0 (``positive``) or >= 0."""
    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if not real or not np.isfinite(value) or value < 0 or (positive and value == 0):
        raise InputError(f"{name}: expected a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def check_flag(value, name: str) -> bool:
    """True or False (or 1 / 0)."""
    if not isinstance(value, (bool, np.bool_, int, np.integer)) or value not in (0, 1):
        raise InputError(f"{name}: expected True or False, got {value!r}")
    return bool(value)
