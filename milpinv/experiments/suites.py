"""Reproducible benchmark suites (``milpinv make-suite NAME --out DIR [--param KEY=V1,V2 ...]``).

Each suite is written as instance files plus a ``manifest.json`` (see :mod:`.runner`) holding the
generator, its parameters (every one, defaults included), every seed, the known answers and the
command that regenerates it. The planted suites are here; other packages add suites through the
``milpinv.suites`` entry point group (the ``reductions`` package adds ``sat`` and ``subset-sum``,
whose answers come from python-sat / dynamic programming / CP-SAT).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from itertools import chain
from pathlib import Path

from ..errors import InputError
from ..files import write_json
from ..instance import Instance, plant_instance
from ..network import ReluNetwork

Entry = tuple[str, Instance, dict]  # file name, instance, manifest entry (known_answer, params, ...)
Generator = Callable[..., Iterator[Entry]]
PLUGIN_GROUP = "milpinv.suites"

# every layer at least triples: well above the factor 2 that the layer-wise LP needs (about half
# of a random layer's outputs are active, and the active rows must determine the layer's input)
EXPANDING = ([4, 12, 36], [6, 18, 54], [8, 24, 72], [12, 36, 108], [4, 12, 36, 108], [6, 18, 54, 162])
NON_EXPANDING = ([4, 8, 8, 8], [6, 12, 12, 6], [8, 16, 16, 16], [10, 20, 20, 20, 20], [12, 24, 24, 12])
INTEGER_PARAMS = ("seeds", "ns", "growth_ns")


def _dims_name(dims) -> str:
    return "-".join(str(d) for d in dims)


def _planted(dims_list, seeds, noise: float = 0.0) -> Iterator[Entry]:
    for dims in dims_list:
        for seed in seeds:
            net = ReluNetwork.random(list(dims), seed=seed)
            inst = plant_instance(net, seed=seed + 1000, noise=noise)
            params = {
                "dims": _dims_name(dims),
                "n": dims[0],
                "depth": len(dims) - 1,
                "width": max(dims[1:]),
                "expansion": min(b / a for a, b in zip(dims, dims[1:])),
                "seed": seed,
            }
            yield f"net_{_dims_name(dims)}_s{seed}.npz", inst, {"known_answer": "feasible", "params": params}


def expanding(seeds=(0, 1, 2), dims_list=EXPANDING) -> Iterator[Entry]:
    """Random expanding networks (every layer at least triples): the paper's easy regime."""
    return _planted(dims_list, seeds)


def nonexpanding(seeds=(0, 1, 2), dims_list=NON_EXPANDING) -> Iterator[Entry]:
    """Random networks that do not expand layer by layer: layer-wise LP fails, the MILP does not."""
    return _planted(dims_list, seeds)


def noisy(seeds=(0, 1), noises=(0.01, 0.1), dims_list=([20, 80], [8, 24, 72], [6, 12, 12, 12])) -> Iterator[Entry]:
    """Noisy observations: the optimum of l1/linf cannot exceed the planted noise norm."""
    for noise in noises:
        for name, inst, entry in _planted(dims_list, seeds, noise=noise):
            for norm in ("linf", "l1"):
                params = dict(entry["params"], noise=noise)
                yield (
                    f"{name[:-4]}_n{noise:g}_{norm}.npz",
                    inst,
                    {
                        "norm": norm,
                        "known_answer": "unknown",
                        "objective_upper": inst.meta[f"noise_{norm}"],
                        "params": params,
                    },
                )


PLANTED: dict[str, Generator] = {"expanding": expanding, "nonexpanding": nonexpanding, "noisy": noisy}


def suites() -> dict[str, Generator]:
    """Every suite: the planted ones and those the installed packages add (entry points)."""
    found = dict(PLANTED)
    for ep in entry_points(group=PLUGIN_GROUP):
        found.setdefault(ep.name, ep.load())
    return found


def suite_defaults(name: str) -> dict[str, list]:
    """The generator's parameters and their default values (as lists)."""
    sig = inspect.signature(suites()[name])
    return {k: _listed(p.default) for k, p in sig.parameters.items()}


def _listed(value) -> list:
    return [list(v) if isinstance(v, (tuple, list)) else v for v in value]


def parse_param(text: str) -> tuple[str, list]:
    """``"ns=10,20"`` -> ("ns", [10, 20]); ``"dims_list=4-12-36,6-18"`` -> lists of widths;
    ``"growth_ns="`` -> an empty list."""
    key, sep, values = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--param: expected KEY=V1,V2,..., got {text!r}")
    try:
        items = [_value(v.strip()) for v in values.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--param {key}: expected numbers or dims like 4-12-36, got {values!r}") from None
    return key.strip(), items


def _value(text: str):
    if re.fullmatch(r"\d+(-\d+)+", text):
        return [int(t) for t in text.split("-")]
    number = float(text)
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _format(value) -> str:
    return _dims_name(value) if isinstance(value, list) else str(value)


def suite_command(name: str, out: str | Path, params: dict, flag: str = "--out") -> str:
    """The ``milpinv make-suite`` command line that writes this suite (``flag``: to ``--out``, or
    as a ``--pack``)."""
    extra = "".join(f" --param {k}={','.join(_format(v) for v in vals)}" for k, vals in params.items())
    return f"milpinv make-suite {name} {flag} {Path(out).as_posix()}{extra}"


def make_suite(name: str, out: str | Path, progress: bool = False, **params) -> dict:
    """Write suite ``name`` to ``out`` (instance files + manifest.json); returns the manifest.
    ``params`` (sequences) override the generator's defaults, e.g. smaller suites for tests."""
    generators = suites()
    if name not in generators:
        raise InputError(f"suite: unknown {name!r}; choose from {', '.join(generators)}")
    gen = generators[name]
    defaults = suite_defaults(name)
    params = checked_params(name, params)
    given = {k: v for k, v in params.items() if v != defaults[k]}
    head = {
        "suite": name,
        "command": suite_command(name, out, given),
        "generator": f"{gen.__module__}.{gen.__name__}",
        "doc": " ".join((gen.__doc__ or "").split()),
        "params": {**defaults, **given},
    }
    return write_suite(out, gen(**params), head, progress=progress, desc=name)


def checked_params(name: str, params: dict) -> dict:
    """Parameter overrides of suite ``name``, checked and normalised (lists of the right types)."""
    defaults = suite_defaults(name)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise InputError(f"suite {name}: unknown parameter {unknown[0]!r}; known: {', '.join(defaults)}")
    return {k: _normalised(name, k, _listed(v)) for k, v in params.items()}


def write_suite(
    out: str | Path, entries: Iterable[Entry], head: dict, progress: bool = False, desc: str = "suite"
) -> dict:
    """Save every entry's instance in ``out`` and write the manifest (``head`` + count + instances);
    files an earlier manifest there listed, and this one does not, are removed."""
    from tqdm import tqdm

    out = Path(out)
    rows, names = [], set()
    entries = iter(entries)
    first = next(entries, None)  # bad parameters fail here, before a progress bar is drawn
    for fname, inst, entry in tqdm(chain([first] if first else [], entries), desc=desc, disable=not progress):
        if fname in names:
            raise InputError(f"suite {head.get('suite', desc)}: parameters repeat an instance ({fname})")
        names.add(fname)
        inst.save(out / fname)
        rows.append({"file": fname, "norm": entry.pop("norm", "exact"), **entry})
    if not rows:
        raise InputError(f"suite {head.get('suite', desc)}: these parameters give no instances")
    _remove_stale(out, names | {r["source"] for r in rows if isinstance(r.get("source"), str)})
    manifest = {**head, "count": len(rows), "instances": rows}
    write_json(out / "manifest.json", manifest)
    return manifest


def _normalised(name: str, key: str, values: list) -> list:
    """Integers for seeds and sizes, lists of widths for dims, finite floats otherwise."""
    if key == "dims_list":
        ok = all(isinstance(d, list) and len(d) >= 2 and all(isinstance(w, int) and w > 0 for w in d) for d in values)
        what = "lists of at least two positive widths (4-12-36)"
    elif key in INTEGER_PARAMS:
        ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
        what = "non-negative integers"
    else:
        ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")
            for v in values
        )
        what = "finite numbers"
    if not ok:
        raise InputError(f"suite {name}: parameter {key} takes {what}, got {values}")
    return values if key == "dims_list" or key in INTEGER_PARAMS else [float(v) for v in values]


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Delete the files an earlier manifest in ``out`` listed (instances, and the source problems
    beside them) and this one does not."""
    old = out / "manifest.json"
    try:
        entries = json.loads(old.read_text())["instances"]
        listed = [(e["file"], ".npz") for e in entries] + [(e["source"], None) for e in entries if "source" in e]
    except (OSError, ValueError, KeyError, TypeError):
        return
    for f, suffix in listed:
        path = out / f if isinstance(f, str) else old
        stale = f not in keep and path.parent == out and path != old and suffix in (None, path.suffix)
        if stale and path.is_file():
            path.unlink()


def known_answer_counts(manifest: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in manifest["instances"]:
        counts[e["known_answer"]] = counts.get(e["known_answer"], 0) + 1
    return counts
