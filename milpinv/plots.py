"""PNG plots of benchmark results (matplotlib, Agg backend)."""
from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from .files import atomic_write

PANELS = (("ratio", "clause/variable ratio"), ("density", "subset-sum density"))


def _param(row: dict, key: str):
    params = row["params"] if isinstance(row["params"], dict) else json.loads(row["params"] or "{}")
    return params.get(key)


def _median_curve(rows: list[dict], key: str) -> dict[str, tuple[list, list]]:
    """Per method: x values and the median time of all runs (unsolved runs count at their time)."""
    groups: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        x = _param(r, key)
        if x is not None and r.get("time_s") not in (None, ""):
            groups[r["method"]][float(x)].append(float(r["time_s"]))
    return {m: (sorted(g), [float(np.median(g[x])) for x in sorted(g)]) for m, g in groups.items()}


def plot_results(rows: list[dict], path: str | Path, title: str = "") -> list[str]:
    """Write up to three panels: time vs ratio/density, time vs n (log), success rate per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(k, label) for k, label in PANELS if any(_param(r, k) is not None for r in rows)]
    if any(_param(r, "n") is not None for r in rows):
        panels.append(("n", "n (problem size)"))
    panels.append(("success", "success rate"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels):
        if key == "success":
            methods = sorted({r["method"] for r in rows})
            rates = [np.mean([r["verdict"] == "ok" for r in rows if r["method"] == m]) for m in methods]
            wrong = [sum(r["verdict"] == "WRONG" for r in rows if r["method"] == m) for m in methods]
            bars = ax.bar(methods, rates, color="tab:blue")
            for bar, w in zip(bars, wrong):
                if w:
                    ax.annotate(f"{w} WRONG", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                ha="center", va="bottom", color="red")
            ax.set_ylim(0, 1.05)
            ax.set_ylabel("fraction answered correctly")
        else:
            for method, (xs, ys) in sorted(_median_curve(rows, key).items()):
                ax.plot(xs, ys, marker="o", label=method)
            ax.set_yscale("log")
            ax.set_ylabel("median time (s)")
            ax.legend()
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
