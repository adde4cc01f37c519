"""Invert a DCGAN-style generator exactly: ConvTranspose2d + BatchNorm + ReLU + Tanh on 8x8 digits.

1. Train, on scikit-learn's bundled 8x8 digits (``load_digits``, no download) scaled to [-1, 1],
   the generator of the DCGAN tutorial shrunk to 8x8: a latent (nz, 1, 1) -> ConvTranspose2d(nz,
   C, 4, 1, 0) -> BatchNorm2d -> ReLU -> ConvTranspose2d(C, 1, 4, 2, 1) -> Tanh (16 C hidden
   units). It is trained as the *decoder of an autoencoder* (encoder: Conv2d + ReLU + Linear +
   Tanh, so codes lie in the latent box [-1, 1]^nz), not adversarially: on a CPU in a minute that
   is far more reliable than a GAN, and inversion does not care how G was trained. BatchNorm is
   then put in eval mode (its running statistics, folded into the affine map by milpinv).
2. Read it with ``ReluNetwork.from_torch(generator, input_shape=(nz, 1, 1))`` (convolutions
   unrolled to sparse maps) and check the float64 forward pass against torch in float64.
3. For held-out digits (one per class), tabulate status, error, certified bound and time of:
   * ``invert``: x = G(z*) with z* the encoder's code (``--z-star random``: uniform in the box);
     the exact MILP, layer-wise (the paper's algorithm: each layer must determine its input, which
     16 C > 64 hidden units under 64 pixels do not, so it fails and says where) and gradient descent;
   * ``project``: the real digit projected onto G's range in l1 (MILP and gd), in pixels: through
     the Tanh output the MILP bounds each pixel's error by lines below it on its pre-activation's
     interval, so its certified bound is a bound on the pixel distance (pixels clipped into
     [-1 + margin, 1 - margin] first);
   * ``inpaint``: the bottom half hidden (a mask measurement): G(z*) exactly (is the hidden half
     recovered? ``image_err`` is over all 64 pixels), the real digit in l1 on the visible half;
   * ``cs``: compressed sensing, y = A x with m < 64 Gaussian rows. A dense A after a Tanh is not
     piecewise linear: the exact methods refuse it (recorded in the table), gradient descent (CSGM,
     Bora et al. 2017) runs; ``cs-pre`` then observes A a(z*) of G's pre-Tanh variant (the same
     network with a linear output), which the MILP inverts exactly.
   * ``C=...``: smaller generators (``--sweep``, C = 2, 4, 8) on the first digit: layer-wise
     applies where 16 C <= 64, and the MILP's certified pixel gap of the l1 projection after
     ``--time-limit`` shows where the exact method stops scaling.
   Every returned z is re-checked here: the residual a result reports is recomputed from a
   float64 forward pass (column ``recheck``: the largest difference).
4. Save a PNG grid (original | target G(z*) | exact inversion | l1 projection | inpainting input |
   inpainting | CS) and the table as JSON and CSV next to it.
5. ``--study N`` (instead of 3 and 4): N held-out digits of any class (the first N of a random
   order, kept out of training), each projected in pixel l1 by gradient descent and by the MILP
   (``--time-limit`` each): GD's distance, the MILP's incumbent and certified lower bound, their
   gap, the time, and the best of 100,000 uniform codes (a bound may never exceed it); written to
   ``dcgan_digits_study.{json,csv,png}`` (the plot: the three distances per digit).

Run: ``python examples/dcgan_digits.py`` (``pip install -e '.[torch,examples]'``; a few CPU
minutes: every solve has ``--time-limit`` seconds); ``--count 10`` for all classes.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

import milpinv
from milpinv import Measurement, ReluNetwork
from milpinv.errors import InputError

SAMPLES = 100_000  # --study: uniform codes whose best distance checks each certified bound
FIELDS = (
    "digit",
    "task",
    "method",
    "status",
    "residual",
    "image_err",
    "objective",
    "bound",
    "gap",
    "time_s",
    "recheck",
    "note",
)


# ----------------------------------------------------------------------------- training
def make_models(nz: int, channels: int):
    """(encoder, generator): the generator is a DCGAN-tutorial-style module with a ``main`` Sequential."""
    from torch import nn

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, channels, 4, 1, 0, bias=False),  # (nz, 1, 1) -> (C, 4, 4)
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.ConvTranspose2d(channels, 1, 4, 2, 1),  # (C, 4, 4) -> (1, 8, 8)
                nn.Tanh(),
            )

        def forward(self, z):
            return self.main(z)

    encoder = nn.Sequential(
        nn.Conv2d(1, 16, 4, 2, 1),  # (1, 8, 8) -> (16, 4, 4)
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 16, nz),
        nn.Tanh(),  # codes in the latent box [-1, 1]^nz
        nn.Unflatten(1, (nz, 1, 1)),
    )
    return encoder, Generator()


def train(images: np.ndarray, nz: int, channels: int, epochs: int, seed: int):
    """Autoencoder training, Adam on mean squared error in minibatches; (encoder, generator, mse)
    with both in eval mode (BatchNorm on its running statistics)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    encoder, generator = make_models(nz, channels)
    opt = torch.optim.Adam(list(encoder.parameters()) + list(generator.parameters()), lr=5e-3)
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 8, 8)
    for _ in range(epochs):
        for batch in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            loss = ((generator(encoder(x[batch])) - x[batch]) ** 2).mean()
            loss.backward()
            opt.step()
    encoder.eval(), generator.eval()
    with torch.no_grad():
        mse = float(((generator(encoder(x)) - x) ** 2).mean())
    return encoder, generator, mse


def forward_gap(net: ReluNetwork, generator, nz: int, samples: int = 16, seed: int = 0) -> float:
    """Largest |G(z) milpinv - G(z) torch|, both in float64, on random latents in the box."""
    import copy

    import torch

    z = np.random.default_rng(seed).uniform(-1, 1, size=(samples, nz))
    with torch.no_grad():
        ref = copy.deepcopy(generator).double()(torch.tensor(z).reshape(samples, nz, 1, 1)).reshape(samples, -1)
    return float(max(np.abs(net.forward(z[i]) - ref[i].numpy()).max() for i in range(samples)))


# ----------------------------------------------------------------------------- the tasks
def pre_tanh(net: ReluNetwork) -> ReluNetwork:
    """G's pre-Tanh variant: the same layers with a linear output (the output pre-activations)."""
    return ReluNetwork(net.weights, net.biases, activations=net.activations[:-1] + ("linear",))


def solve(net, target, method: str, norm: str, args, measurement=None, **options) -> tuple:
    """One invert call; (result, refusal): an input the method refuses comes back as its one line."""
    limit = args.time_limit if method != "gd" else min(args.time_limit, args.gd_time)
    if method == "milp" and norm != "exact" and args.node_limit:  # a count: the same on any machine
        options["node_limit"] = args.node_limit
    try:
        result = milpinv.invert(
            net, target, method=method, norm=norm, box=1.0, time_limit=limit, measurement=measurement, **options
        )
    except InputError as exc:
        return None, str(exc)
    return result, ""


def recheck(net: ReluNetwork, result, target: np.ndarray, measurement) -> float | None:
    """|reported residual - residual of a float64 forward pass| (l1 and linf, the larger); None without z."""
    if result is None or result.z is None or result.residual_l1 is None:
        return None
    out = net.forward(result.z)
    diff = (measurement.apply(out) if measurement is not None else out) - target
    return max(abs(np.abs(diff).sum() - result.residual_l1), abs(np.abs(diff).max() - result.residual_linf))


def row(digit: int, task: str, method: str, net, result, refusal: str, target, measurement, reference) -> dict:
    """A table row: ``residual`` in the result's norm on what was observed (float64 forward pass),
    ``image_err`` = mean |G(z) - reference| over the 64 pixels, ``objective`` / ``bound`` / ``gap``
    as the solver certified them (in pixels)."""
    if result is None:
        return {"digit": digit, "task": task, "method": method, "status": "refused", "note": refusal}
    image = net.forward(result.z) if result.z is not None else None
    objective, bound, gap, note = certified(result)
    return {
        "digit": digit,
        "task": task,
        "method": method,
        "status": result.status.value,
        "residual": result.residual(),
        "image_err": None if image is None else float(np.abs(image - reference).mean()),
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "time_s": result.time_s,
        "recheck": recheck(net, result, target, measurement),
        "verified": result.verified,
        "binaries": result.solver.get("binaries"),  # the MILP's unstable hidden units (after bounds)
        "note": note,
        "z": None if result.z is None else result.z.tolist(),
        "target": np.asarray(target).tolist(),  # what the method observed (y for a measurement)
    }


def certified(result) -> tuple:
    """(objective, bound, gap, note): the solver's own numbers (in pixels), and why it stopped."""
    if result.method == "gd" and result.norm != "exact":
        return None, None, None, "no certificate"
    note = result.message.split(";")[0] if result.status.value in ("failed", "time_limit") else ""
    return result.objective, result.bound, result.gap, note


def draw(pics: dict, key: str, net: ReluNetwork, result) -> None:
    """G(z) for the figure, labelled with the status and the residual (l1, or linf for exact)."""
    pics[key] = net.forward(result.z)
    norm = "linf" if result.norm == "exact" else result.norm
    pics[key + ":label"] = f"{result.method} {result.status.value}\n{norm} {_num(result.residual(), '.2g')}"


def run_digit(net: ReluNetwork, digit: int, image: np.ndarray, z_star: np.ndarray, args, rng) -> tuple:
    """All tasks for one held-out digit; (rows, pictures for the figure)."""
    rows, pics = [], {"original": image}
    x = net.forward(z_star)
    pics["target"] = x
    for method in ("milp", "layerwise", "gd"):
        res, why = solve(net, x, method, "exact", args)
        rows.append(row(digit, "invert G(z*)", method, net, res, why, x, None, x))
        if method == "milp" and res is not None and res.z is not None:
            draw(pics, "exact", net, res)
    squashed = np.clip(image, -1 + args.margin, 1 - args.margin)
    for method in ("milp", "layerwise", "gd"):
        res, why = solve(net, squashed, method, "l1", args)
        rows.append(row(digit, "project (l1)", method, net, res, why, squashed, None, image))
        if method == "milp" and res is not None and res.z is not None:
            draw(pics, "project", net, res)
    rows += inpaint(net, digit, image, squashed, z_star, args, pics)
    rows += sense(net, digit, image, z_star, args, rng, pics)
    return rows, pics


def inpaint(net: ReluNetwork, digit: int, image, squashed, z_star, args, pics: dict) -> list[dict]:
    """The bottom half hidden (``--mask random``: a random half): exactly for G(z*), in l1 on the
    visible pixels of the real digit."""
    if args.mask == "bottom":
        visible = np.arange(64) < 32
    else:
        visible = np.zeros(64, bool)
        visible[np.random.default_rng(digit).choice(64, 32, replace=False)] = True
    mask = Measurement.mask(visible)
    pics["masked"], pics["masked:label"] = np.where(visible, image, np.nan), "red: hidden"
    rows = []
    x = net.forward(z_star)  # planted: is the hidden half of G(z*) recovered from the visible half?
    for method in ("milp", "layerwise"):
        res, why = solve(net, mask.apply(x), method, "exact", args, measurement=mask)
        rows.append(row(digit, "inpaint G(z*) (exact)", method, net, res, why, mask.apply(x), mask, x))
    for method in ("milp", "layerwise", "gd"):
        y = mask.apply(squashed)
        res, why = solve(net, y, method, "l1", args, measurement=mask)
        rows.append(row(digit, "inpaint (l1)", method, net, res, why, y, mask, image))
        if method == "milp" and res is not None and res.z is not None:
            draw(pics, "inpaint", net, res)
    return rows


def sense(net: ReluNetwork, digit: int, image, z_star, args, rng, pics: dict) -> list[dict]:
    """Compressed sensing with m Gaussian rows: y = A x of the real digit (exact methods refuse a
    dense A after Tanh; gd = CSGM), and y = A a(z*) of G's pre-Tanh variant by the MILP."""
    a = Measurement.matrix(rng.normal(size=(args.measurements, 64)) / np.sqrt(args.measurements))
    y = a.apply(image)
    rows = []
    for method in ("milp", "layerwise", "gd"):
        res, why = solve(net, y, method, "l1", args, measurement=a)
        rows.append(row(digit, f"cs m={args.measurements} (l1)", method, net, res, why, y, a, image))
        if method == "gd" and res is not None and res.z is not None:
            draw(pics, "cs", net, res)
    linear = pre_tanh(net)
    a_pre = linear.forward(z_star)
    y_pre = a.apply(a_pre)
    res, why = solve(linear, y_pre, "milp", "exact", args, measurement=a)
    entry = row(digit, f"cs-pre m={args.measurements} (exact)", "milp", linear, res, why, y_pre, a, a_pre)
    if res is not None and res.z is not None:  # the image error of the Tanh generator at the found z
        entry["image_err"] = float(np.abs(net.forward(res.z) - net.forward(z_star)).mean())
    rows.append(entry)
    return rows


def sweep(images: np.ndarray, train_idx, digit: int, image: np.ndarray, args) -> list[dict]:
    """Smaller generators, C in ``--sweep`` (16 C hidden units), on the first digit: layer-wise
    inversion of G(z*) (it applies once 16 C <= 64: the output layer can determine the hidden
    layer) and the MILP's l1 projection (where the certified bound stops closing)."""
    import torch

    rows = []
    for c in [int(v) for v in args.sweep.split(",") if v.strip()]:
        enc, gen, _ = train(images[train_idx], args.nz, c, args.epochs, args.seed)
        small = ReluNetwork.from_torch(gen, input_shape=(args.nz, 1, 1))
        with torch.no_grad():
            z_star = enc(torch.tensor(image, dtype=torch.float32).reshape(1, 1, 8, 8)).double().numpy().ravel()
        x = small.forward(np.clip(z_star, -1, 1))
        task = f"C={c} ({16 * c} hidden): "
        res, why = solve(small, x, "layerwise", "exact", args)
        rows.append(row(digit, task + "invert", "layerwise", small, res, why, x, None, x))
        squashed = np.clip(image, -1 + args.margin, 1 - args.margin)
        res, why = solve(small, squashed, "milp", "l1", args)
        rows.append(row(digit, task + "project", "milp", small, res, why, squashed, None, image))
    return rows


# ----------------------------------------------------------------------------- output
def study(net: ReluNetwork, images: np.ndarray, labels: np.ndarray, held_out: np.ndarray, args) -> list[dict]:
    """``--study N``: the pixel l1 distance of N held-out real digits to G's range: gradient
    descent's (an upper bound, no certificate), the MILP's incumbent and certified lower bound,
    their relative gap and the time; ``within_10pct``: bound >= 0.9 incumbent."""
    rows = []
    for i in held_out:
        x = np.clip(images[i], -1 + args.margin, 1 - args.margin)
        gd, _ = solve(net, x, "gd", "l1", args)
        milp, _ = solve(net, x, "milp", "l1", args)
        assert gd is not None and milp is not None
        bound = milp.bound if milp.bound is not None else 0.0
        sampled = sampled_distance(net, x, SAMPLES)
        rows.append(
            {
                "index": int(i),
                "digit": int(labels[i]),
                "gd_l1": gd.residual_l1,
                "gd_time_s": gd.time_s,
                "status": milp.status.value,
                "incumbent_l1": milp.residual_l1,
                "bound_l1": bound,
                "gap": (milp.residual_l1 - bound) / milp.residual_l1,
                "within_10pct": bool(bound >= 0.9 * milp.residual_l1),
                "sampled_l1": sampled,  # the best of SAMPLES uniform codes: the bound may not exceed it
                "bound_below_sampled": bool(bound <= sampled),
                "time_s": milp.time_s,
                "boxes": milp.solver.get("boxes"),
                "nodes": milp.solver.get("nodes"),
            }
        )
        r = rows[-1]
        print(
            f"digit {r['digit']} (#{r['index']}): gd {r['gd_l1']:.3f}  milp {r['status']} {r['incumbent_l1']:.3f} "
            f"bound {r['bound_l1']:.3f} gap {r['gap']:.1%} {r['time_s']:.0f}s; best of {SAMPLES} codes {sampled:.3f}"
        )
    return rows


def sampled_distance(net: ReluNetwork, x: np.ndarray, samples: int, seed: int = 0) -> float:
    """The smallest l1 distance to x of G(z) over ``samples`` uniform codes in the box [-1, 1]^nz."""
    rng = np.random.default_rng(seed)
    best = np.inf
    for chunk in np.array_split(np.arange(samples), max(1, samples // 5000)):
        Z = rng.uniform(-1.0, 1.0, size=(chunk.size, net.input_dim))
        best = min(best, float(np.abs(net.forward(Z) - x).sum(axis=1).min()))
    return best


def save_study(rows: list[dict], path: Path) -> None:
    """The study's table (JSON, CSV) and its plot: per digit GD's distance, the MILP's incumbent and
    its certified bound (the true distance lies between bound and incumbent)."""
    path.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    with path.with_suffix(".csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    k = np.arange(len(rows))
    order = np.argsort([r["gd_l1"] for r in rows])
    for key, style, label in (
        ("gd_l1", "o", "gradient descent (no certificate)"),
        ("incumbent_l1", "x", "milpinv incumbent"),
        ("bound_l1", "^", "milpinv certified lower bound"),
    ):
        ax.plot(k, [rows[j][key] for j in order], style, label=label)
    ax.set_xlabel("held-out digit (sorted by GD distance)")
    ax.set_ylabel("l1 distance to G's range (pixels)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def save_figure(digits: list[int], pictures: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [
        ("original", "original"),
        ("target", "target G(z*)"),
        ("exact", "exact inversion"),
        ("project", "l1 projection"),
        ("masked", "inpainting input"),
        ("inpaint", "inpainting"),
        ("cs", "CS (gd)"),
    ]
    cmap = plt.get_cmap("gray_r").with_extremes(bad="#e8a0a0")  # hidden pixels in red
    fig, axes = plt.subplots(len(pictures), len(cols), figsize=(8.4, 1.6 * len(pictures) + 0.3), squeeze=False)
    for i, pics in enumerate(pictures):
        for j, (key, title) in enumerate(cols):
            ax = axes[i][j]
            img = pics.get(key)
            if img is not None:
                ax.imshow(np.ma.masked_invalid(img.reshape(8, 8)), cmap=cmap, vmin=-1, vmax=1)
            ax.set_xlabel(pics.get(key + ":label", ""), fontsize=6)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=8)
            if j == 0:
                ax.set_ylabel(f"digit {digits[i]}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_table(rows: list[dict], path: Path) -> None:
    """The table as JSON (with every z) and CSV (without)."""
    path.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    with open(path.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows({k: "" if r.get(k) is None else r[k] for k in FIELDS} for r in rows)


def print_table(rows: list[dict]) -> None:
    head = (
        "digit",
        "task",
        "method",
        "status",
        "residual",
        "img err",
        "objective",
        "bound",
        "gap",
        "time s",
        "recheck",
    )
    print("{:>5} {:<26} {:<9} {:<10} {:>9} {:>8} {:>9} {:>9} {:>8} {:>7} {:>8}".format(*head))
    for r in rows:
        print(
            f"{r['digit']:>5} {r['task']:<26} {r['method']:<9} {r['status']:<10} {_num(r.get('residual')):>9} "
            f"{_num(r.get('image_err')):>8} {_num(r.get('objective')):>9} {_num(r.get('bound')):>9} "
            f"{_num(r.get('gap')):>8} {_num(r.get('time_s'), '.2f'):>7} {_num(r.get('recheck'), '.0e'):>8}"
        )
    notes = {(r["task"], r["method"]): r["note"] for r in rows if r.get("note")}
    for (task, method), note in notes.items():
        print(f"  {task} / {method}: {note}")


def _num(v, fmt: str = ".3g") -> str:
    return "-" if v is None else format(v, fmt)


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> dict:
    """Run the example; returns the converted network, the torch generator and the table rows."""
    from sklearn.datasets import load_digits

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nz", type=int, default=6, help="latent size")
    ap.add_argument("--channels", type=int, default=12, help="C: hidden units = 16 C")
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--count", type=int, default=4, help="held-out digits (distinct classes, at most 10)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per MILP / layer-wise solve")
    ap.add_argument("--gd-time", type=float, default=10.0, help="seconds per gradient descent")
    ap.add_argument("--measurements", type=int, default=32, help="m < 64 Gaussian rows for compressed sensing")
    ap.add_argument("--mask", choices=("bottom", "random"), default="bottom", help="the hidden half for inpainting")
    ap.add_argument("--margin", type=float, default=0.02, help="pixels clipped into [-1+margin, 1-margin]")
    ap.add_argument("--z-star", choices=("encoder", "random"), default="encoder", help="planted codes for G(z*)")
    ap.add_argument(
        "--sweep",
        default="2,4,8",
        help="channel counts C of smaller generators whose l1 projection of the first digit shows where the "
        "MILP stops scaling ('' to skip)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--node-limit", type=int, default=0, help="l1 MILPs: stop after N nodes too (0: the clock only)")
    ap.add_argument("--study", type=int, default=0, help="N: only the pixel-distance study of N held-out digits")
    ap.add_argument("--out", default=str(Path(__file__).with_name("dcgan_digits.png")))
    args = ap.parse_args(argv)

    digits = load_digits()
    images = digits.data / 8.0 - 1.0  # [0, 16] -> [-1, 1]
    rng = np.random.default_rng(args.seed)
    classes = rng.choice(10, size=min(args.count, 10), replace=False)  # held out: one digit of each class
    order = rng.permutation(len(images))
    test = np.array([next(i for i in order if digits.target[i] == c) for c in classes])
    if args.study:  # held out: the first N of a random order, any class
        test = order[: args.study]
    train_idx = np.setdiff1d(order, test)

    t0 = time.perf_counter()
    encoder, generator, mse = train(images[train_idx], args.nz, args.channels, args.epochs, args.seed)
    print(
        f"trained the generator (decoder of an autoencoder) on {len(train_idx)} digits "
        f"in {time.perf_counter() - t0:.1f}s, mse {mse:.4f}"
    )

    import torch

    net = ReluNetwork.from_torch(generator, input_shape=(args.nz, 1, 1))
    gap = forward_gap(net, generator, args.nz)
    print(f"read as {net}; float64 forward vs torch (float64): max |diff| {gap:.1e}")
    with torch.no_grad():
        codes = (
            encoder(torch.tensor(images[test], dtype=torch.float32).reshape(-1, 1, 8, 8))
            .double()
            .reshape(len(test), -1)
            .numpy()
        )

    if args.study:
        rows = study(net, images, digits.target, test, args)
        out = Path(args.out).with_name(Path(args.out).stem + "_study.png")
        save_study(rows, out)
        print(f"wrote {out}, {out.with_suffix('.json')}, {out.with_suffix('.csv')}")
        return {"network": net, "generator": generator, "rows": rows, "forward_gap": gap}
    if args.z_star == "random":
        codes = rng.uniform(-1, 1, size=codes.shape)
    rows, pictures = [], []
    for i, code in zip(test, codes):
        digit_rows, pics = run_digit(net, int(digits.target[i]), images[i], np.clip(code, -1, 1), args, rng)
        rows += digit_rows
        pictures.append(pics)
    rows += sweep(images, train_idx, int(digits.target[test[0]]), images[test[0]], args)
    rows = [{**r, "forward_gap": gap} for r in rows]
    print_table(rows)
    out = Path(args.out)
    write_table(rows, out)
    print(f"wrote {out.with_suffix('.json')}, {out.with_suffix('.csv')}")
    try:
        save_figure([int(digits.target[i]) for i in test], pictures, out)
        print(f"wrote {out}")
    except ImportError:
        print("no figure: matplotlib is not installed (pip install -e '.[examples]')")
    return {"network": net, "generator": generator, "rows": rows, "forward_gap": gap}


if __name__ == "__main__":
    main()
