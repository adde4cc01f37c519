"""PNG plots of benchmark results (matplotlib, Agg backend)."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..files import atomic_write
from .runner import CRASH

PANELS = (("ratio", "clause/variable ratio"), ("density", "subset-sum density"))


def _param(row: dict, key: str):
    params = row["params"] if isinstance(row["params"], dict) else json.loads(row["params"] or "{}")
    return params.get(key)


def median_curve(rows: list[dict], key: str) -> dict[str, tuple[list, list, list]]:
    """Per method: x values, the median time of the runs at each x, and whether every run there
    was answered. Unsolved runs (time limit, failure) count at their time, so a median is a lower
    bound when some runs hit the limit; WRONG answers are left out of every curve."""
    groups: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        x = _param(r, key)
        if x is not None and r.get("time_s") not in (None, "") and r["verdict"] not in ("WRONG", CRASH):
            groups[r["method"]][float(x)].append((float(r["time_s"]), r["verdict"] == "ok"))
    return {
        m: (
            sorted(g),
            [float(np.median([t for t, _ in g[x]])) for x in sorted(g)],
            [all(ok for _, ok in g[x]) for x in sorted(g)],
        )
        for m, g in groups.items()
    }


def growth_slice(rows: list[dict]) -> tuple[list[dict], str]:
    """The rows for a time-against-n curve: when the suite also sweeps a ratio or density, only
    those at the value of it with the most distinct n (the threshold 4.26 in the sat suite)."""
    rows = [r for r in rows if _param(r, "n") is not None]
    for key, label in PANELS:
        values = {_param(r, key) for r in rows} - {None}
        if values:
            best = max(sorted(values), key=lambda v: len({_param(r, "n") for r in rows if _param(r, key) == v}))
            return [r for r in rows if _param(r, key) == best], f"n (at {label.split()[-1]} {best:g})"
    return rows, "n (problem size)"


def plot_results(rows: list[dict], path: str | Path, title: str = "") -> list[str]:
    """Write up to three panels: time vs ratio/density, time vs n (log), success rate per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(k, label) for k, label in PANELS if any(_param(r, k) is not None for r in rows)]
    growth_rows, growth_label = growth_slice(rows)
    if growth_rows:
        panels.append(("n", growth_label))
    panels.append(("success", "success rate"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        mine = growth_rows if key == "n" else rows
        if key == "success":
            methods = sorted({r["method"] for r in rows})
            rates = [float(np.mean([r["verdict"] == "ok" for r in rows if r["method"] == m])) for m in methods]
            wrong = [sum(r["verdict"] == "WRONG" for r in rows if r["method"] == m) for m in methods]
            bars = ax.bar(range(len(methods)), rates, color="tab:blue")
            ax.set_xticks(range(len(methods)), methods, rotation=20 if len(methods) > 3 else 0, fontsize="small")
            for bar, w in zip(bars, wrong):
                if w:
                    ax.annotate(
                        f"{w} WRONG",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center",
                        va="bottom",
                        color="red",
                    )
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("fraction answered correctly")
        else:
            for method, (xs, ys, solved) in sorted(median_curve(mine, key).items()):
                (line,) = ax.plot(xs, ys, label=method)
                ax.scatter(
                    xs,
                    ys,
                    edgecolors=line.get_color(),
                    zorder=3,
                    facecolors=[line.get_color() if ok else "white" for ok in solved],
                )
            ax.set_yscale("log")
            ax.set_ylabel("median time (s); open: some runs unsolved")
            ax.legend(fontsize="small")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return [k for k, _ in panels]
