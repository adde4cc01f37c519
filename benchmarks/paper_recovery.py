"""Random-network experiments of Lei, Jalal, Dhillon, Dimakis, "Inverting Deep Generative Models,
One Layer at a Time" (NeurIPS 2019, arXiv 1906.07437), run with milpinv.

1. expansion: exact recovery of a planted z* by layer-wise LP (``method="layerwise"``) and by
   gradient descent (``method="gd"``, milpinv's defaults) as the expansion ratio r grows. Random
   N(0, 1/n_in) weights, no biases, z* ~ N(0, I) truncated to [-3, 3]^k. Layouts: ``grow`` (every
   layer widens by r: widths k, rk, r^2 k, ...; the paper's setting) and ``flat`` (widths k, rk,
   rk, ...: only the first layer expands). Outcomes: ``recovered`` (||z - z*|| / ||z*|| <=
   RECOVERY_TOL), ``other_preimage`` (a verified z with G(z) = x far from z*: a proof that x does
   not determine z*, so no method can recover it), ``not_found`` (no verified z).
2. noise: x = G(z*) + e with e ~ N(0, sigma^2 I) (``gaussian``) or e ~ U(-sigma, sigma)
   (``uniform``, the default of the authors' public code), one z* and one noise direction per trial
   scaled by sigma; ||z - z*|| for layer-wise linf and l1 LPs and for gd.

Run ``python benchmarks/paper_recovery.py [--quick] [--out-dir DIR]``: writes
DIR/paper_recovery_expansion.csv, DIR/paper_recovery_noise.csv and DIR/paper_recovery.png, and
prints the summary tables (markdown).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy: small matrices; BLAS threads thrash a shared machine

import argparse  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import milpinv  # noqa: E402
from milpinv.files import atomic_write  # noqa: E402
from milpinv.status import OPTIMAL  # noqa: E402

RECOVERY_TOL = 1e-3  # relative; recovered layer-wise runs land <= 3e-6 (mostly ~1e-15), converged gd ~1e-6
LAYOUTS = ("grow", "flat")
NOISE_KINDS = ("gaussian", "uniform")
NOISE_METHODS = (("layerwise", "linf"), ("layerwise", "l1"), ("gd", "l1"))  # gd minimises l2 either way
OUT_NAMES = {
    "expansion": "paper_recovery_expansion.csv",
    "noise": "paper_recovery_noise.csv",
    "plot": "paper_recovery.png",
}


@dataclass(frozen=True)
class Series:
    """One family of networks: layout, number of layers, latent size."""

    layout: str
    depth: int
    latent: int

    @classmethod
    def parse(cls, spec: str) -> Series:
        """``LAYOUT:DEPTH:LATENT``, e.g. ``grow:2:20``."""
        try:
            layout, depth, latent = spec.split(":")
            series = cls(layout, int(depth), int(latent))
        except ValueError:
            raise argparse.ArgumentTypeError(f"series {spec!r}: expected LAYOUT:DEPTH:LATENT, e.g. grow:2:20") from None
        if layout not in LAYOUTS or series.depth < 1 or series.latent < 1:
            raise argparse.ArgumentTypeError(f"series {spec!r}: layout one of {LAYOUTS}, depth and latent >= 1")
        return series

    @property
    def label(self) -> str:
        return f"{self.layout} depth {self.depth} k={self.latent}"

    def dims(self, ratio: float) -> list[int]:
        """Widths from latent to output."""
        k = self.latent
        if self.layout == "grow":
            return [k] + [max(1, round(k * ratio ** (i + 1))) for i in range(self.depth)]
        return [k] + [max(1, round(k * ratio))] * self.depth


@dataclass(frozen=True)
class Config:
    series: tuple[Series, ...]
    ratios: tuple[float, ...]
    trials: int
    noise_dims: tuple[int, ...]
    sigmas: tuple[float, ...]
    noise_trials: int
    noise_kinds: tuple[str, ...] = NOISE_KINDS
    max_width: int = 2000  # expansion points with a wider layer are skipped (gd time)
    seed: int = 0


FULL = Config(
    series=(Series("grow", 2, 20), Series("grow", 3, 20), Series("grow", 2, 60), Series("flat", 2, 20)),
    ratios=(1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0, 6.0),
    trials=20,
    noise_dims=(20, 60, 180),
    sigmas=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    noise_trials=10,
)
QUICK = Config(
    series=(Series("grow", 2, 10), Series("flat", 2, 10)),
    ratios=(1.5, 2.0, 3.0, 4.0),
    trials=4,
    noise_dims=(10, 30, 90),
    sigmas=(1e-3, 1e-2, 1e-1),
    noise_trials=3,
)


def _seeds(*entropy: int) -> tuple[int, int]:
    """Independent (network seed, plant seed) from the run seed and a point's coordinates."""
    a, b = np.random.SeedSequence([int(e) for e in entropy]).generate_state(2)
    return int(a), int(b)


def _rel_error(z, z_star: np.ndarray) -> float:
    return float("nan") if z is None else float(np.linalg.norm(z - z_star) / np.linalg.norm(z_star))


def _outcome(result: milpinv.InversionResult, rel: float) -> str:
    if result.z is not None and rel <= RECOVERY_TOL:
        return "recovered"
    return "other_preimage" if result.status == OPTIMAL else "not_found"


# ------------------------------------------------------------------------------ experiment 1
def expansion_points(cfg: Config) -> list[tuple[Series, float, int]]:
    """(series, ratio, trial) of every instance whose widths fit ``cfg.max_width``."""
    return [
        (s, r, t) for s in cfg.series for r in cfg.ratios for t in range(cfg.trials) if max(s.dims(r)) <= cfg.max_width
    ]


def run_expansion_point(series: Series, ratio: float, trial: int, seed: int) -> list[dict]:
    """One planted instance, inverted exactly by layer-wise LP and by gd: one row per method."""
    net_seed, plant_seed = _seeds(
        seed, 1, LAYOUTS.index(series.layout), series.depth, series.latent, round(ratio * 1000), trial
    )
    dims = series.dims(ratio)
    inst = milpinv.plant_instance(milpinv.ReluNetwork.random(dims, seed=net_seed), seed=plant_seed)
    rows = []
    for method, options in (("layerwise", {}), ("gd", {"seed": plant_seed})):
        res = milpinv.invert(inst, method=method, **options)
        rel = _rel_error(res.z, inst.planted_z)
        rows.append(
            {
                "series": series.label,
                "layout": series.layout,
                "depth": series.depth,
                "latent": series.latent,
                "ratio": ratio,
                "dims": "-".join(map(str, dims)),
                "trial": trial,
                "method": method,
                "status": res.status,
                "outcome": _outcome(res, rel),
                "rel_error": rel,
                "residual_linf": res.residual_linf,
                "time_s": res.time_s,
            }
        )
    return rows


# ------------------------------------------------------------------------------ experiment 2
def noisy_instance(network: milpinv.ReluNetwork, seed: int, sigma: float, kind: str) -> milpinv.Instance:
    """A planted z* and x = G(z*) + e; for a given seed, e is one direction scaled by sigma."""
    if kind == "gaussian":
        return milpinv.plant_instance(network, seed=seed, noise=sigma)
    clean = milpinv.plant_instance(network, seed=seed)
    e = sigma * np.random.default_rng([seed, 0x756E]).uniform(-1.0, 1.0, size=network.output_dim)
    meta = {
        **clean.meta,
        "known_answer": "unknown",
        "noise": sigma,
        "noise_kind": kind,
        "noise_l1": float(np.abs(e).sum()),
        "noise_linf": float(np.abs(e).max()),
    }
    return milpinv.Instance(network, clean.target + e, clean.lower, clean.upper, meta)


def run_noise_point(dims: tuple[int, ...], kind: str, sigma: float, trial: int, seed: int) -> list[dict]:
    """One network and z* per trial (the same for every sigma and kind); one row per method."""
    net_seed, plant_seed = _seeds(seed, 2, trial)
    inst = noisy_instance(milpinv.ReluNetwork.random(dims, seed=net_seed), plant_seed, sigma, kind)
    z_star = inst.planted_z
    rows = []
    for method, norm in NOISE_METHODS:
        options = {"seed": plant_seed} if method == "gd" else {}
        res = milpinv.invert(inst, method=method, norm=norm, **options)
        err = float("nan") if res.z is None else float(np.linalg.norm(res.z - z_star))
        rows.append(
            {
                "dims": "-".join(map(str, dims)),
                "noise": kind,
                "sigma": sigma,
                "trial": trial,
                "method": method if method == "gd" else f"{method}-{norm}",
                "status": res.status,
                "error": err,
                "rel_error": err / float(np.linalg.norm(z_star)),
                "residual_l1": res.residual_l1,
                "residual_linf": res.residual_linf,
                "noise_l1": inst.meta["noise_l1"],
                "noise_linf": inst.meta["noise_linf"],
                "bound": res.bound,
                "time_s": res.time_s,
            }
        )
    return rows


# ---------------------------------------------------------------------------------- running
def run(cfg: Config, out_dir: str | Path, progress: bool = True) -> dict[str, Path]:
    """Both experiments; writes the two CSVs and the PNG into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    points = expansion_points(cfg)
    noise_points = [(kind, s, t) for kind in cfg.noise_kinds for t in range(cfg.noise_trials) for s in cfg.sigmas]
    expansion, noise = [], []
    with tqdm(total=len(points) + len(noise_points), desc="paper_recovery", disable=not progress) as bar:
        for series, ratio, trial in points:
            expansion += run_expansion_point(series, ratio, trial, cfg.seed)
            bar.update()
        for kind, sigma, trial in noise_points:
            noise += run_noise_point(cfg.noise_dims, kind, sigma, trial, cfg.seed)
            bar.update()
    paths = {key: out / name for key, name in OUT_NAMES.items()}
    write_csv(expansion, paths["expansion"])
    write_csv(noise, paths["noise"])
    plot(expansion, noise, paths["plot"])
    return paths


def write_csv(rows: list[dict], path: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["empty"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()})
    atomic_write(path, buf.getvalue())


def recovery_table(rows: list[dict]) -> dict[tuple[str, float, str], dict[str, int]]:
    """(series, ratio, method) -> counts of each outcome; method ``any`` counts the instances
    proven ambiguous (some method found a verified pre-image other than z*)."""
    table: dict = defaultdict(lambda: defaultdict(int))
    ambiguous = set()
    for r in rows:
        point = (r["series"], float(r["ratio"]))
        table[point + (r["method"],)][r["outcome"]] += 1
        if r["outcome"] == "other_preimage":
            ambiguous.add(point + (int(r["trial"]),))
    for series, ratio, _ in ambiguous:
        table[(series, ratio, "any")]["ambiguous"] += 1
    return table


def noise_table(rows: list[dict]) -> dict[tuple[str, float, str], tuple[float, float, float]]:
    """(noise kind, sigma, method) -> (25th percentile, median, 75th percentile) of ||z - z*||."""
    groups: dict = defaultdict(list)
    for r in rows:
        groups[(r["noise"], float(r["sigma"]), r["method"])].append(float(r["error"]))
    return {key: tuple(np.nanpercentile(v, [25, 50, 75])) for key, v in groups.items()}


def markdown(expansion: list[dict], noise: list[dict]) -> str:
    """The two summary tables, as markdown."""
    rec = recovery_table(expansion)
    series = list(dict.fromkeys(r["series"] for r in expansion))
    ratios = sorted({float(r["ratio"]) for r in expansion})
    trials = max((sum(c.values()) for (_, _, m), c in rec.items() if m != "any"), default=0)
    lines = [
        f"Exact recovery: instances recovered (layer-wise / gd) of {trials}; `(aN)`: N instances "
        "proven ambiguous (a method returned a verified pre-image other than z*)",
        "",
        "| series | " + " | ".join(f"r={r:g}" for r in ratios) + " |",
        "|---|" + "---|" * len(ratios),
    ]
    for s in series:
        cells = []
        for r in ratios:
            lw, gd = rec.get((s, r, "layerwise")), rec.get((s, r, "gd"))
            if lw is None:
                cells.append("-")
                continue
            amb = rec.get((s, r, "any"), {}).get("ambiguous", 0)
            cells.append(f"{lw.get('recovered', 0)} / {gd.get('recovered', 0)}" + (f" (a{amb})" if amb else ""))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    tab = noise_table(noise)
    methods = list(dict.fromkeys(r["method"] for r in noise))
    lines += [
        "",
        "Noisy observations: median ||z - z*|| (median / sigma)",
        "",
        "| noise | sigma | " + " | ".join(methods) + " |",
        "|---|---|" + "---|" * len(methods),
    ]
    for kind, sigma in sorted({k[:2] for k in tab}):
        lines.append(
            f"| {kind} | {sigma:g} | "
            + " | ".join(f"{tab[(kind, sigma, m)][1]:.3g} ({tab[(kind, sigma, m)][1] / sigma:.3g})" for m in methods)
            + " |"
        )
    return "\n".join(lines)


def plot(expansion: list[dict], noise: list[dict], path: Path) -> None:
    """Two panels: recovery rate vs expansion ratio; ||z - z*|| vs noise level (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
    rec = recovery_table(expansion)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(dict.fromkeys(r["series"] for r in expansion)):
        for method, style in (("layerwise", "-"), ("gd", "--")):
            pts = sorted(((r, c) for (ss, r, m), c in rec.items() if ss == s and m == method), key=lambda p: p[0])
            ax1.plot(
                [r for r, _ in pts],
                [c.get("recovered", 0) / sum(c.values()) for _, c in pts],
                style,
                marker="o" if method == "layerwise" else "s",
                ms=4,
                color=colors[i % len(colors)],
                label=f"{method}: {s}",
            )
    ratios = sorted({float(r["ratio"]) for r in expansion})
    ax1.set_xscale("log")
    ax1.set_xticks(ratios, [f"{r:g}" for r in ratios])
    ax1.minorticks_off()
    ax1.axvline(2.0, color="grey", lw=0.8, ls=":")
    ax1.set_xlabel("expansion ratio r (grow: every layer x r; flat: first layer x r)")
    ax1.set_ylabel(f"fraction recovered (||z-z*||/||z*|| <= {RECOVERY_TOL:g})")
    trials = len({r["trial"] for r in expansion})
    ax1.set_title(f"(a) exact recovery, {trials} planted z* per point")
    ax1.set_ylim(-0.03, 1.03)
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 0.07))
    tab = noise_table(noise)
    sigmas = sorted({k[1] for k in tab})
    for i, method in enumerate(dict.fromkeys(r["method"] for r in noise)):
        for kind, style in zip(dict.fromkeys(r["noise"] for r in noise), ("-", "--", ":")):
            lo, med, hi = (np.array([tab[(kind, s, method)][j] for s in sigmas]) for j in range(3))
            ax2.errorbar(
                sigmas,
                med,
                yerr=[med - lo, hi - med],
                ls=style,
                marker="o",
                ms=4,
                capsize=3,
                color=colors[i % len(colors)],
                label=f"{method}, {kind}",
            )
    dims = noise[0]["dims"] if noise else "?"
    ref = np.array(sigmas)
    ax2.plot(ref, ref * np.sqrt(int(dims.split("-")[0])), "k:", lw=0.8, label="sigma * sqrt(k)")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("noise sigma (gaussian: N(0, sigma^2); uniform: U(-sigma, sigma))")
    ax2.set_ylabel("||z - z*||  (median, 25-75%)")
    ax2.set_title(f"(b) noisy inversion, widths {dims}, {len({r['trial'] for r in noise})} trials per point")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write(path, buf.getvalue())


# -------------------------------------------------------------------------------------- CLI
def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r}: must be > 0")
        return value

    return parse


def parse_args(argv: list[str] | None) -> tuple[Config, argparse.Namespace]:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small grid (a minute or so)")
    p.add_argument("--out-dir", default="benchmarks/results", help="folder for the CSVs and the PNG")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--series",
        nargs="+",
        type=Series.parse,
        metavar="LAYOUT:DEPTH:LATENT",
        help="network families, e.g. grow:2:20 flat:2:20",
    )
    p.add_argument("--ratios", nargs="+", type=_positive(float), help="expansion ratios")
    p.add_argument("--trials", type=_positive(int), help="planted instances per expansion point")
    p.add_argument("--noise-dims", nargs="+", type=_positive(int), help="widths of the noise experiment's network")
    p.add_argument("--sigmas", nargs="+", type=_positive(float), help="noise levels")
    p.add_argument("--noise-trials", type=_positive(int))
    p.add_argument("--noise-kinds", nargs="+", choices=NOISE_KINDS)
    p.add_argument("--max-width", type=_positive(int), help="skip expansion points with a wider layer")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--replot", action="store_true", help="redraw the PNG from the CSVs in --out-dir; run nothing")
    args = p.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    overrides = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in vars(args).items()
        if k in Config.__dataclass_fields__ and v is not None
    }
    if "noise_dims" in overrides and len(overrides["noise_dims"]) < 2:
        p.error("--noise-dims: need at least two widths (latent and output)")
    return replace(cfg, **overrides), args


def main(argv: list[str] | None = None) -> int:
    cfg, args = parse_args(argv)
    if args.replot:
        paths = {key: Path(args.out_dir) / name for key, name in OUT_NAMES.items()}
        for key in ("expansion", "noise"):
            if not paths[key].is_file():
                print(f"error: --replot needs {paths[key]}", file=sys.stderr)
                return 2
    else:
        paths = run(cfg, args.out_dir, progress=not args.no_progress)
    expansion = list(csv.DictReader(paths["expansion"].open()))
    noise = list(csv.DictReader(paths["noise"].open()))
    if args.replot:
        plot(expansion, noise, paths["plot"])
    print(markdown(expansion, noise))
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
