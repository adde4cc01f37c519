"""File helpers: atomic writes (a temporary file in the same folder, then a rename) and
.npz reading that turns every failure into a one-line InputError."""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_npz(path: str | Path, arrays: dict) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())


def write_npy(path: str | Path, array) -> None:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array))
    atomic_write(path, buf.getvalue())


def write_json(path: str | Path, payload) -> None:
    atomic_write(path, json.dumps(payload, indent=2) + "\n")


def check_readable(path: str | Path, what: str) -> Path:
    """A path that exists, is a regular file and is not empty."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, expected {what}")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file, expected {what}")
    return p


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load every array of an .npz file."""
    p = check_readable(path, "an .npz archive")
    try:
        with np.load(p, allow_pickle=False) as data:
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise InputError(f"{p}: holds a single array, expected an .npz archive of W0, b0, ...")
            return {k: data[k] for k in data.files}
    except InputError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, AttributeError) as exc:
        raise InputError(f"{p}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None


def read_npy(path: str | Path, name: str = "array") -> np.ndarray:
    """Load a .npy (or a text file of numbers) as an array."""
    p = check_readable(path, f"a .npy file for {name}")
    try:
        if p.suffix in (".txt", ".csv"):
            return np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None, ndmin=1)
        with open(p, "rb") as fh:
            return np.load(fh, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{p}: not a readable array for {name} ({type(exc).__name__}: {exc})") from None
