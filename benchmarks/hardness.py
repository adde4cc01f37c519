"""The hardness study behind benchmarks/HARDNESS.md.

Generates larger suites on demand (``milpinv make-suite``, into --work, default a /tmp folder), runs
them through the bench API one run at a time (``--jobs 1``: parallel runs distort times), adds the
independent reference solvers on the same source problems (CDCL SAT solvers from python-sat for
3-SAT, dynamic programming / CP-SAT for subset-sum), writes one CSV per study and the figures to
benchmarks/results/hardness_*, plus hardness_summary.json with the fitted growth rates.

    python benchmarks/hardness.py                    # every study (about half an hour here)
    python benchmarks/hardness.py run sat-growth     # one study
    python benchmarks/hardness.py plot               # figures and summary from the CSVs only
    python benchmarks/hardness.py --quick            # tiny sizes, results in the work folder

A run that hits the time limit is counted as such (status time_limit), never as solved: medians
over groups containing such runs are lower bounds and are drawn as open markers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from milpinv.experiments.runner import make_tasks, read_csv, run_bench, write_csv
from milpinv.experiments.suites import make_suite
from milpinv.files import write_json
from milpinv.instance import Instance

RESULTS = Path(__file__).resolve().parent / "results"  # --quick writes to WORK/results instead
MILP = "milp:threads=1"
RAW_MILP = "milp:threads=1:heuristic=false:peeling=false"
LABELS = {MILP: "milp", RAW_MILP: "milp (no gd heuristic, no peeling)"}


@dataclass(frozen=True)
class Study:
    suite: str
    params: dict
    methods: tuple[str, ...]
    time_limit: float
    reference: str | None = None  # "cdcl" or "subset-sum"
    doc: str = ""


def _expanding_dims(ns) -> list[list[int]]:
    return [[n, 3 * n, 9 * n] for n in ns]


STUDIES = {
    "expanding": Study(
        "expanding",
        {"seeds": (0, 1, 2), "dims_list": _expanding_dims((5, 10, 20, 40, 80, 120))},
        ("layerwise", "gd", MILP, RAW_MILP),
        60.0,
        doc="random expanding nets [n, 3n, 9n]: time against n",
    ),
    "sat-growth": Study(
        "sat",
        {"ns": tuple(range(10, 130, 10)), "ratios": (4.26,), "seeds": tuple(range(5)), "growth_ns": ()},
        (MILP,),
        60.0,
        "cdcl",
        doc="random 3-SAT at ratio 4.26 reduced to inversion: time against n",
    ),
    "sat-ratio": Study(
        "sat",
        {
            "ns": (50, 80),
            "ratios": tuple(np.round(np.arange(2.0, 7.01, 0.5), 2)) + (4.26,),
            "seeds": tuple(range(5)),
            "growth_ns": (),
        },
        (MILP,),
        60.0,
        "cdcl",
        doc="random 3-SAT with n = 50 and 80 reduced to inversion: time against the clause/variable ratio",
    ),
    "subset-sum-density": Study(
        "subset-sum",
        {"ns": (16,), "densities": (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0), "seeds": tuple(range(4))},
        (MILP,),
        60.0,
        "subset-sum",
        doc="random subset-sum with n = 16 reduced to inversion: time against density",
    ),
    "subset-sum-growth": Study(
        "subset-sum",
        {"ns": tuple(range(8, 24, 2)), "densities": (1.0,), "seeds": tuple(range(4))},
        (MILP,),
        60.0,
        "subset-sum",
        doc="random subset-sum at density 1 reduced to inversion: time against n",
    ),
}
QUICK = {  # a smoke test of the whole pipeline in seconds: python benchmarks/hardness.py --quick
    "expanding": {"seeds": (0,), "dims_list": _expanding_dims((3, 5))},
    "sat-growth": {"ns": (5, 8), "ratios": (4.26,), "seeds": (0, 1), "growth_ns": ()},
    "sat-ratio": {"ns": (6,), "ratios": (2.0, 4.26, 7.0), "seeds": (0, 1), "growth_ns": ()},
    "subset-sum-density": {"ns": (6,), "densities": (0.5, 1.0, 2.0), "seeds": (0, 1)},
    "subset-sum-growth": {"ns": (4, 6), "densities": (1.0,), "seeds": (0, 1)},
}


# ---------------------------------------------------------------- running


def run_study(name: str, work: Path, quick: bool = False) -> list[dict]:
    """Generate the suite, bench it with --jobs 1, add the reference solver's rows; write the CSV."""
    study = STUDIES[name]
    params = QUICK[name] if quick else study.params
    folder = work / name
    manifest = make_suite(study.suite, folder, progress=True, **params)
    methods = ",".join(study.methods)
    commands = [
        manifest["command"],
        f"milpinv bench {folder.as_posix()} --methods {methods} --time-limit {study.time_limit:g} "
        f"--jobs 1 --out {name}.csv",
    ]
    print("\n".join(commands), flush=True)
    rows = run_bench(make_tasks(folder, study.methods, study.time_limit), jobs=1)
    if study.reference:
        rows += reference_rows(folder, manifest, study.reference, study.time_limit)
    write_csv(rows, RESULTS / f"hardness_{name}.csv")
    _record_commands(name, study.doc, commands)
    return rows


def reference_rows(folder: Path, manifest: dict, kind: str, time_limit: float) -> list[dict]:
    """Time the independent solvers on the source problem of every reduced instance."""
    from reductions.problems import problem_from_dict

    rows = []
    for entry in manifest["instances"]:
        problem = problem_from_dict(Instance.load(folder / entry["file"]).meta["source"])
        solvers = ("cadical153", "glucose4") if kind == "cdcl" else ("dp-or-cpsat",)
        for solver in solvers:
            answer, seconds = _time_reference(problem, kind, solver, time_limit)
            status = "time_limit" if answer == "unknown" else ("optimal" if answer else "infeasible")
            agrees = answer == "unknown" or (entry["known_answer"] == ("feasible" if answer else "infeasible"))
            rows.append(
                {
                    "instance": entry["file"],
                    "method": f"ref:{solver}",
                    "norm": "exact",
                    "status": status,
                    "verdict": ("ok" if answer != "unknown" else "unsolved") if agrees else "WRONG",
                    "time_s": seconds,
                    "known_answer": entry["known_answer"],
                    "params": json.dumps(entry["params"], sort_keys=True),
                }
            )
    return rows


def _time_reference(problem, kind: str, solver: str, time_limit: float):
    """(True/False/"unknown", seconds) for one solve, clause loading included."""
    from milpinv.errors import SolverError
    from reductions.oracles import solve_subsetsum

    if kind == "cdcl":
        return _time_cdcl(problem, solver)
    t0 = time.perf_counter()
    try:
        chosen = solve_subsetsum(problem, time_limit=time_limit)
    except SolverError:
        return "unknown", time.perf_counter() - t0
    return chosen is not None, time.perf_counter() - t0


def _time_cdcl(cnf, solver: str, repeats: int = 3) -> tuple[bool, float]:
    """The best of a few solves (times are milliseconds, so noise dominates one run); a warm-up
    solve first keeps the library's one-time start-up out of the first formula's time."""
    from pysat.solvers import Solver

    with Solver(name=solver, bootstrap_with=[[1, 2], [-1]]) as s:
        s.solve()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        with Solver(name=solver, bootstrap_with=[list(c) for c in cnf.clauses]) as s:
            sat = s.solve()
            model = s.get_model()
        best = min(best, time.perf_counter() - t0)
    if sat and not cnf.satisfied_by(_assignment(model, cnf.num_vars)):
        raise AssertionError(f"{solver} returned a model that does not satisfy the formula")
    return sat, best


def _assignment(model, n: int) -> list[bool]:
    values = {abs(l): l > 0 for l in model}
    return [values.get(v, False) for v in range(1, n + 1)]


def _record_commands(name: str, doc: str, commands: list[str]) -> None:
    """The equivalent command lines of a study and what it ran on (code version, solvers)."""
    path = RESULTS / "hardness_commands.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    recorded[name] = {"what": doc, "commands": commands, "environment": _environment()}
    write_json(path, dict(sorted(recorded.items())))


def _environment() -> dict:
    import platform
    import subprocess
    from importlib.metadata import version

    try:
        rev = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return {
        "git": rev or "unknown",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        **{pkg: version(pkg) for pkg in ("highspy", "python-sat", "ortools", "numpy")},
    }


# ---------------------------------------------------------------- analysis


def _p(row: dict, key: str):
    return json.loads(row["params"]).get(key)


def groups(rows: list[dict], method: str, key: str) -> dict[float, list[dict]]:
    """Rows of one method by the value of one parameter (WRONG answers left out: counted apart)."""
    out: dict[float, list[dict]] = {}
    for r in rows:
        if r["method"] == method and r["verdict"] != "WRONG":
            out.setdefault(float(_p(r, key)), []).append(r)
    return dict(sorted(out.items()))


def curve(rows: list[dict], method: str, key: str) -> list[dict]:
    """Per x: median time, whether that median is a real solve time, and the time-limit count."""
    points = []
    for x, rs in groups(rows, method, key).items():
        times = sorted(float(r["time_s"]) for r in rs)
        unsolved = sum(r["verdict"] != "ok" for r in rs)
        points.append(
            {
                "x": x,
                "median_s": float(np.median(times)),
                "runs": len(rs),
                "unsolved": unsolved,
                "median_is_solved": unsolved < len(rs) / 2,
                "max_s": times[-1],
            }
        )
    return points


def fit(points: list[dict], log_x: bool, min_x: float = 0.0) -> dict | None:
    """Least squares of log10(median time) on x (or log10 x) over points whose median is a solve
    time; returns the slope, intercept and the x range used."""
    used = [p for p in points if p["median_is_solved"] and p["x"] >= min_x]
    if len(used) < 3:
        return None
    x = np.array([p["x"] for p in used])
    y = np.log10([p["median_s"] for p in used])
    slope, intercept = np.polyfit(np.log10(x) if log_x else x, y, 1)
    return {
        "slope": float(slope),
        "intercept": float(intercept),
        "x_from": float(x[0]),
        "x_to": float(x[-1]),
        "points": len(used),
    }


def wrong_count(rows: list[dict]) -> int:
    return sum(r["verdict"] == "WRONG" for r in rows)


# ---------------------------------------------------------------- figures


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _values(rows: list[dict], key: str) -> str:
    """The values a parameter takes in rows, e.g. the fixed n of a ratio sweep."""
    return ", ".join(f"{v:g}" for v in sorted({float(_p(r, key)) for r in rows}))


def _draw(ax, rows, method, key, label=None, color=None, scatter=True):
    """Per-run points (open: not solved in the limit) and the median curve."""
    pts = curve(rows, method, key)
    if not pts:
        return None
    label = label or LABELS.get(method, method)
    (line,) = ax.plot([p["x"] for p in pts], [p["median_s"] for p in pts], label=label, color=color, lw=1.8)
    ax.scatter(
        [p["x"] for p in pts],
        [p["median_s"] for p in pts],
        zorder=3,
        edgecolors=line.get_color(),
        facecolors=[line.get_color() if p["median_is_solved"] else "white" for p in pts],
        s=36,
    )
    if scatter:
        rs = [r for g in groups(rows, method, key).values() for r in g]
        ax.scatter(
            [float(_p(r, key)) for r in rs],
            [float(r["time_s"]) for r in rs],
            s=9,
            alpha=0.45,
            color=line.get_color(),
            marker=".",
        )
    wrong = [r for r in rows if r["method"] == method and r["verdict"] == "WRONG"]
    if wrong:  # never averaged in, always shown
        ax.scatter(
            [float(_p(r, key)) for r in wrong],
            [float(r["time_s"]) for r in wrong],
            s=70,
            marker="X",
            color="red",
            zorder=4,
            label=f"WRONG answer ({len(wrong)}, {LABELS.get(method, method)})",
        )
    return pts


def _save(fig, name: str) -> Path:
    path = RESULTS / f"hardness_{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    _plt().close(fig)
    return path


def _limit_line(ax, seconds: float) -> None:
    ax.axhline(seconds, color="grey", ls=":", lw=1)
    ax.annotate("time limit", (ax.get_xlim()[0], seconds), color="grey", fontsize=8, va="bottom")


def figure_expanding(rows, summary) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for method in STUDIES["expanding"].methods:
        pts = _draw(ax, rows, method, "n")
        f = fit(pts or [], log_x=True, min_x=20)
        summary.setdefault("expanding", {})[LABELS.get(method, method)] = {"points": pts, "loglog_fit_n>=20": f}
        if f:
            ax.lines[-1].set_label(f"{LABELS.get(method, method)}: time ~ n^{f['slope']:.1f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _limit_line(ax, STUDIES["expanding"].time_limit)
    ax.set_xlabel("latent size n (network [n, 3n, 9n])")
    ax.set_ylabel("time (s): median line, runs as dots")
    ax.set_title("Random expanding networks (3 seeds per n)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    _save(fig, "expanding")


def figure_sat(growth, ratio, summary) -> None:
    plt = _plt()
    limit = STUDIES["sat-growth"].time_limit
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4))
    unsat = [r for r in growth if r["known_answer"] == "infeasible"]
    sat = [r for r in growth if r["known_answer"] == "feasible"]
    pts = curve(growth, MILP, "n")
    pts_u = _draw(a1, unsat, MILP, "n", label="MILP on unsatisfiable formulas (proof)", color="tab:red")
    pts_s = _draw(a1, sat, MILP, "n", label="MILP on satisfiable formulas", color="tab:blue")
    f = fit(pts_u or [], log_x=False, min_x=30)
    ref = _draw(a1, growth, "ref:cadical153", "n", label="CDCL (CaDiCaL), all formulas", color="tab:green")
    summary["sat-growth"] = {
        "milp": pts,
        "milp_unsat": pts_u,
        "milp_sat": pts_s,
        "milp_fit_all_log10time_vs_n_(n>=30)": fit(pts, log_x=False, min_x=30),
        "milp_fit_unsat_log10time_vs_n_(n>=30)": f,
        "cadical": ref,
        "glucose": curve(growth, "ref:glucose4", "n"),
        "wrong": wrong_count(growth),
    }
    if f:
        xs = np.array([f["x_from"], f["x_to"]])
        a1.plot(
            xs,
            10 ** (f["intercept"] + f["slope"] * xs),
            "k--",
            lw=1,
            label=f"fit (unsat): time x2 every {np.log10(2) / f['slope']:.0f} variables",
        )
    a1.set_yscale("log")
    _limit_line(a1, limit)
    a1.set_xlabel("variables n (m = round(4.26 n) clauses)")
    a1.set_ylabel("time (s): median line, runs as dots")
    a1.set_title("3-SAT at the threshold ratio 4.26 (5 formulas per n, split by answer)")
    a1.legend(fontsize=8)
    a1.grid(alpha=0.3, which="both")
    a3 = a2.twinx()
    summary["sat-ratio"] = {"wrong": wrong_count(ratio)}
    for n, color in zip(sorted({_p(r, "n") for r in ratio}), ("tab:cyan", "tab:blue", "tab:purple")):
        mine = [r for r in ratio if _p(r, "n") == n]
        pts_r = _draw(a2, mine, MILP, "ratio", label=f"MILP, n = {n}", color=color)
        ref_r = curve(mine, "ref:cadical153", "ratio")
        sat_frac = [
            (x, float(np.mean([r["known_answer"] == "feasible" for r in g])))
            for x, g in groups(mine, MILP, "ratio").items()
        ]
        a3.plot(*zip(*sat_frac), color=color, ls="--", lw=0.8, alpha=0.7)
        summary["sat-ratio"][f"n={n}"] = {
            "milp": pts_r,
            "cadical": ref_r,
            "sat_fraction": sat_frac,
            "milp_peak": max(pts_r, key=lambda p: p["median_s"]),
        }
    _draw(
        a2,
        [r for r in ratio if _p(r, "n") == n],
        "ref:cadical153",
        "ratio",
        label=f"CDCL (CaDiCaL), n = {n}",
        color="tab:green",
    )
    a3.set_ylim(-0.02, 1.02)
    a3.set_ylabel("fraction satisfiable (dashed)", color="grey")
    a2.axvline(4.26, color="grey", ls=":", lw=1)
    a2.set_yscale("log")
    a2.set_xlabel("clause/variable ratio m/n")
    a2.set_ylabel("time (s)")
    a2.set_title("3-SAT across the ratio (5 formulas per point)")
    a2.legend(fontsize=8, loc="lower left")
    a2.grid(alpha=0.3, which="both")
    _save(fig, "sat")


def figure_milp_vs_cdcl(growth, ratio, summary) -> None:
    """Per formula: MILP time / CDCL time, against n (threshold) and against the ratio."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    out = {}
    largest = [r for r in ratio if _p(r, "n") == max(_p(q, "n") for q in ratio)]
    for ax, rows, key, label in (
        (axes[0], growth, "n", "variables n (ratio 4.26)"),
        (axes[1], largest, "ratio", f"clause/variable ratio (n = {_values(largest, 'n')})"),
    ):
        by = {(r["instance"], r["method"]): r for r in rows}
        for solver, color in (("cadical153", "tab:green"), ("glucose4", "tab:purple")):
            xs, ratios, solved = [], [], []
            for (inst, method), r in by.items():
                ref = by.get((inst, f"ref:{solver}"))
                if method == MILP and ref is not None:
                    xs.append(float(_p(r, key)))
                    ratios.append(float(r["time_s"]) / max(float(ref["time_s"]), 1e-6))
                    solved.append(r["verdict"] == "ok")
            ax.scatter(xs, ratios, s=14, color=color, alpha=0.6, label=f"MILP time / {solver} time")
            med = {x: float(np.median([q for xx, q in zip(xs, ratios) if xx == x])) for x in sorted(set(xs))}
            ax.plot(list(med), list(med.values()), color=color, lw=1.5)
            cut = [(x, q) for x, q, ok in zip(xs, ratios, solved) if not ok]
            if cut:
                ax.scatter(
                    *zip(*cut),
                    marker="x",
                    color="red",
                    s=30,
                    label="MILP hit the time limit: a lower bound" if solver == "cadical153" else None,
                )
            out[f"{key}:{solver}"] = {"median_ratio_by_x": med, "overall_median": float(np.median(ratios))}
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("MILP time / CDCL time (same formula)")
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=7)
    fig.suptitle("The honest reference: a CDCL SAT solver on the same formulas")
    summary["milp_vs_cdcl"] = out
    _save(fig, "milp_vs_cdcl")


def figure_subset_sum(density, growth, summary) -> None:
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4))
    pts_d = _draw(a1, density, MILP, "density", label="MILP (HiGHS) on the reduced instance")
    ref_d = _draw(a1, density, "ref:dp-or-cpsat", "density", label="DP / CP-SAT on the subset-sum", color="tab:green")
    a1.axvline(1.0, color="grey", ls=":", lw=1)
    a1.set_yscale("log")
    _limit_line(a1, STUDIES["subset-sum-density"].time_limit)
    a1.set_xlabel(f"density n / log2(max weight) (n = {_values(density, 'n')})")
    a1.set_ylabel("time (s): median line, runs as dots")
    a1.set_title("Subset-sum across density (4 instances each)")
    a1.legend(fontsize=8)
    a1.grid(alpha=0.3, which="both")
    pts_n = _draw(a2, growth, MILP, "n", label="MILP (HiGHS) on the reduced instance")
    ref_n = _draw(a2, growth, "ref:dp-or-cpsat", "n", label="DP / CP-SAT on the subset-sum", color="tab:green")
    f = fit(pts_n or [], log_x=False, min_x=10)
    if f:
        xs = np.array([f["x_from"], f["x_to"]])
        a2.plot(
            xs,
            10 ** (f["intercept"] + f["slope"] * xs),
            "k--",
            lw=1,
            label=f"fit: time x2 every {np.log10(2) / f['slope']:.1f} items",
        )
    a2.set_yscale("log")
    _limit_line(a2, STUDIES["subset-sum-growth"].time_limit)
    a2.set_xlabel("items n (density 1: weights up to 2^n)")
    a2.set_ylabel("time (s)")
    a2.set_title("Subset-sum at density 1 (4 instances per n)")
    a2.legend(fontsize=8)
    a2.grid(alpha=0.3, which="both")
    summary["subset-sum-density"] = {"milp": pts_d, "reference": ref_d, "wrong": wrong_count(density)}
    summary["subset-sum-growth"] = {
        "milp": pts_n,
        "milp_fit_log10time_vs_n_(n>=10)": f,
        "reference": ref_n,
        "wrong": wrong_count(growth),
    }
    _save(fig, "subset_sum")


def plot_all() -> dict:
    """Every figure from the CSVs in RESULTS; returns and writes the summary."""
    rows = {
        name: read_csv(RESULTS / f"hardness_{name}.csv")
        for name in STUDIES
        if (RESULTS / f"hardness_{name}.csv").exists()
    }
    summary: dict = {
        "time_limit_s": {n: s.time_limit for n, s in STUDIES.items()},
        "status_counts": {n: _status_counts(r) for n, r in rows.items()},
    }
    if "expanding" in rows:
        figure_expanding(rows["expanding"], summary)
    if {"sat-growth", "sat-ratio"} <= set(rows):
        figure_sat(rows["sat-growth"], rows["sat-ratio"], summary)
        figure_milp_vs_cdcl(rows["sat-growth"], rows["sat-ratio"], summary)
    if {"subset-sum-density", "subset-sum-growth"} <= set(rows):
        figure_subset_sum(rows["subset-sum-density"], rows["subset-sum-growth"], summary)
    write_json(RESULTS / "hardness_summary.json", summary)
    return summary


def _status_counts(rows: list[dict]) -> dict:
    out: dict = {}
    for r in rows:
        key = LABELS.get(r["method"], r["method"])
        out.setdefault(key, {})
        out[key][r["status"]] = out[key].get(r["status"], 0) + 1
        if r["verdict"] == "WRONG":
            out[key]["WRONG"] = out[key].get("WRONG", 0) + 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", default="all", choices=("all", "run", "plot"))
    parser.add_argument("studies", nargs="*", help=f"studies to run (default all): {', '.join(STUDIES)}")
    parser.add_argument("--work", default=None, help="folder for the generated suites (default: a /tmp folder)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the pipeline in seconds")
    args = parser.parse_args(argv)
    unknown = [s for s in args.studies if s not in STUDIES]
    if unknown:
        parser.error(f"unknown study {unknown[0]!r}; choose from {', '.join(STUDIES)}")
    global RESULTS
    work = Path(args.work or tempfile.mkdtemp(prefix="milpinv-hardness-"))
    if args.quick:
        RESULTS = work / "results"
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.action in ("all", "run"):
        for name in args.studies or list(STUDIES):
            t0 = time.perf_counter()
            run_study(name, work, args.quick)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
    if args.action in ("all", "plot"):
        summary = plot_all()
        print(json.dumps(summary["status_counts"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
