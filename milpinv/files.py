"""File helpers: atomic writes (a temporary file in the same folder, then a rename) and
.npz reading that turns every failure into a one-line InputError."""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import InputError
from .validation import MAX_ENTRIES


def _read_umask() -> int:
    """The process umask (read once, at import: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; an output file gets the usual mode
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_suffix(path: str | Path, suffix: str, what: str) -> None:
    """Refuse to write ``what`` under a name that says otherwise (``r.txt`` holding an archive)."""
    if Path(path).suffix.lower() != suffix:
        raise InputError(f"{path}: {what} is written to a {suffix} file; name it so")


def write_npz(path: str | Path, arrays: dict) -> None:
    check_suffix(path, ".npz", "an .npz archive")
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())


def write_npy(path: str | Path, array) -> None:
    check_suffix(path, ".npy", "a .npy array")
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


def check_npy_header(fh, available: int, what: str) -> None:
    """Read an .npy header from ``fh`` and refuse, before numpy allocates it, an array that
    declares more than MAX_ENTRIES entries or more bytes than the ``available`` ones."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    if version not in readers:
        raise InputError(f"{what}: unsupported .npy format version {version[0]}.{version[1]}")
    try:
        with warnings.catch_warnings():  # headers "created on Python 2" warn and then parse
            warnings.simplefilter("ignore")
            shape, _, dtype = readers[version](fh)
    except Exception as exc:  # numpy parses the header with ast/tokenize: any of their errors
        raise InputError(f"{what}: unreadable .npy header ({type(exc).__name__})") from None
    count = 1
    for d in shape:
        count *= int(d)
    if count > MAX_ENTRIES:
        raise InputError(f"{what}: declares shape {shape} ({count} entries), beyond the limit of {MAX_ENTRIES}")
    if count * dtype.itemsize > available:
        raise InputError(
            f"{what}: truncated: shape {shape} needs {count * dtype.itemsize} bytes, the file holds {available}"
        )


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def _magic(p: Path) -> bytes:
    with open(p, "rb") as fh:
        return fh.read(6)


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load every array of an .npz file (a zip archive of .npy arrays)."""
    p = check_readable(path, "an .npz archive")
    magic = _magic(p)
    if magic.startswith(NPY_MAGIC):
        raise InputError(f"{p}: holds a single array (.npy format), expected an .npz archive of W0, b0, ...")
    if not magic.startswith(ZIP_MAGIC):
        raise InputError(f"{p}: not an .npz archive (a zip file of .npy arrays, as numpy.savez writes)")
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".npy"):
                    with zf.open(info) as fh:
                        check_npy_header(fh, info.file_size, f"{p}: '{info.filename[:-4]}'")
        with np.load(p, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except InputError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        AttributeError,
        TypeError,
    ) as exc:  # corrupt, encrypted or unsupported-compression members
        raise InputError(f"{p}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None


def read_npy(path: str | Path, name: str = "array") -> np.ndarray:
    """Load a .npy (or a text file of numbers: .txt, .csv) as an array."""
    p = check_readable(path, f"a .npy file for {name}")
    magic = _magic(p)
    if magic.startswith(ZIP_MAGIC):
        raise InputError(f"{p}: is an .npz archive; {name} is read from one array (.npy, .txt or .csv)")
    try:
        with warnings.catch_warnings():  # e.g. "loadtxt: input contained no data": the caller checks shapes
            warnings.simplefilter("ignore")
            if p.suffix in (".txt", ".csv") and not magic.startswith(NPY_MAGIC):
                return np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None, ndmin=1)
            if not magic.startswith(NPY_MAGIC):
                raise InputError(f"{p}: not a .npy file (numpy.save format); name text files .txt or .csv")
            with open(p, "rb") as fh:
                check_npy_header(fh, p.stat().st_size, f"{p}")
                fh.seek(0)
                return np.load(fh, allow_pickle=False)
    except InputError:
        raise
    except (ValueError, OSError, EOFError, TypeError) as exc:
        raise InputError(f"{p}: not a readable array for {name} ({type(exc).__name__}: {exc})") from None
