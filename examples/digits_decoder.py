"""Invert a trained generator exactly: a ReLU decoder learned on scikit-learn's 8x8 digits.

1. Train a small autoencoder with PyTorch (encoder 64-HIDDEN-LATENT, decoder LATENT-HIDDEN-64
   with a relu output) on ``sklearn.datasets.load_digits`` (bundled, no download), CPU seconds.
2. Convert the decoder with ``ReluNetwork.from_torch`` (a float64 copy of the weights) and
   export it with ``to_onnx``; onnxruntime, an independent engine, re-checks every answer.
3. For held-out digits, plant z* (the encoder's code), observe x = G(z*) and invert x with the
   exact MILP (``method="milp"``, no gradient-descent shortcut): a pre-image z verified by a
   float64 forward pass, or a proof that none exists in the latent box.
4. Project the original digit (not in the decoder's range) onto it in l1 with the MILP: the
   closest image the decoder can draw, optimal up to the solver's bound, next to what gradient
   descent finds.
5. Save a PNG: original digit | target G(z*) | exact inversion G(z) | l1 projection.

Run: ``python examples/digits_decoder.py`` (``pip install -e '.[torch,onnx,examples]'``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import milpinv
from milpinv import ReluNetwork


def train_autoencoder(images: np.ndarray, latent: int, hidden: int, epochs: int, seed: int):
    """Full-batch Adam on mean squared error; returns (encoder, decoder, final loss), eval mode."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead
    n = images.shape[1]
    encoder = nn.Sequential(nn.Linear(n, hidden), nn.ReLU(), nn.Linear(hidden, latent))
    decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, n), nn.ReLU())
    opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-2)
    x = torch.tensor(images, dtype=torch.float32)
    for _ in range(epochs):
        opt.zero_grad()
        loss = ((decoder(encoder(x)) - x) ** 2).mean()
        loss.backward()
        opt.step()
    return encoder.eval(), decoder.eval(), float(loss.detach())


def onnx_checker(net: ReluNetwork, folder: Path):
    """G(z) by onnxruntime on the exported float64 model, or None without onnx/onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    path = folder / "decoder.onnx"
    net.to_onnx(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda z: session.run(None, {"z": np.asarray(z, dtype=np.float64)[None, :]})[0][0]


def invert_digit(net: ReluNetwork, image: np.ndarray, z_star: np.ndarray, radius: float, time_limit: float) -> dict:
    """Exact inversion of G(z*) and the l1 projection of the image (MILP, and gradient descent)."""
    x = net.forward(z_star)
    exact = milpinv.invert(net, x, method="milp", box=radius, time_limit=time_limit, heuristic=False)
    proj = milpinv.invert(net, image, method="milp", norm="l1", box=radius, time_limit=time_limit)
    gd = milpinv.invert(net, image, method="gd", norm="l1", box=radius, time_limit=min(time_limit, 5.0), seed=0)
    return {"target": x, "exact": exact, "proj": proj, "gd": gd}


def save_figure(rows: list[dict], net: ReluNetwork, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = ["original digit", "target G(z*)", "exact inversion G(z)", "l1 projection (MILP)"]
    fig, axes = plt.subplots(len(rows), 4, figsize=(6.4, 1.75 * len(rows)), squeeze=False)
    for i, row in enumerate(rows):
        exact, proj = row["exact"], row["proj"]
        images = [row["image"], row["target"], _draw(net, exact.z), _draw(net, proj.z)]
        labels = [
            "",
            "",
            f"{exact.status}, residual {_num(exact.residual_linf, '.0e')}",
            f"{proj.status} {_num(proj.objective, '.2f')} (gd {_num(row['gd'].objective, '.2f')})",
        ]
        for j, ax in enumerate(axes[i]):
            ax.imshow(images[j].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(labels[j], fontsize=7)
            if i == 0:
                ax.set_title(titles[j], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _draw(net: ReluNetwork, z) -> np.ndarray:
    return net.forward(z) if z is not None else np.zeros(net.output_dim)


def _num(v, fmt: str = ".3g") -> str:
    return "-" if v is None else format(v, fmt)


def main(argv: list[str] | None = None) -> None:
    from sklearn.datasets import load_digits

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latent", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=600)
    ap.add_argument("--count", type=int, default=4, help="held-out digits to invert (distinct classes, at most 10)")
    ap.add_argument("--time-limit", type=float, default=20.0, help="seconds per MILP")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).with_name("digits_decoder.png")))
    args = ap.parse_args(argv)

    digits = load_digits()
    images = digits.data / 16.0
    rng = np.random.default_rng(args.seed)
    classes = rng.choice(10, size=min(args.count, 10), replace=False)  # held out: one digit of each class
    order = rng.permutation(len(images))
    test = np.array([next(i for i in order if digits.target[i] == c) for c in classes])
    train = np.setdiff1d(order, test)

    t0 = time.perf_counter()
    encoder, decoder, loss = train_autoencoder(images[train], args.latent, args.hidden, args.epochs, args.seed)
    print(
        f"trained autoencoder 64-{args.hidden}-{args.latent}-{args.hidden}-64 on {len(train)} digits "
        f"in {time.perf_counter() - t0:.1f}s, train mse {loss:.4f}"
    )

    import torch

    net = ReluNetwork.from_torch(decoder)
    with torch.no_grad():
        codes = encoder(torch.tensor(images, dtype=torch.float32)).double().numpy()
    radius = float(np.ceil(np.abs(codes[train]).max()))
    print(f"decoder as {net}; latent box [-{radius:g}, {radius:g}]^{args.latent}")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runtime = onnx_checker(net, Path(tmp))
        for i in test:
            row = {
                "image": images[i],
                **invert_digit(net, images[i], np.clip(codes[i], -radius, radius), radius, args.time_limit),
            }
            exact, proj = row["exact"], row["proj"]
            dz = "-" if exact.z is None else f"{np.abs(exact.z - codes[i]).max():.1e}"
            ort = (
                ""
                if runtime is None or exact.z is None
                else f", onnxruntime residual {np.abs(runtime(exact.z) - row['target']).max():.1e}"
            )
            print(
                f"digit {digits.target[i]} (#{i}): exact {exact.status} residual {_num(exact.residual_linf, '.1e')} "
                f"|z - z*| {dz}{ort} ({exact.time_s:.2f}s) | l1 projection {proj.status} {_num(proj.objective)} "
                f"bound {_num(proj.bound)} ({proj.time_s:.1f}s), gradient descent {_num(row['gd'].objective)}"
            )
            rows.append(row)
    save_figure(rows, net, Path(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
