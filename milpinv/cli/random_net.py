"""milpinv random-net: write a random network (the paper's N(0, 1/n_in) model)."""

from __future__ import annotations

import argparse

from ..network import ReluNetwork
from .args import nonneg_float, parse_dims, seed_int


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dims", type=parse_dims, required=True, help="widths, latent first: 10,30,30,60")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--bias-scale", type=nonneg_float, default=0.0, help="std of N(0, s^2) biases (default 0)")
    p.add_argument("--output", choices=["relu", "linear"], default="relu", help="output activation")
    p.add_argument("--out", required=True, help="output .npz")
    p.set_defaults(func=run)


def run(args) -> int:
    net = ReluNetwork.random(args.dims, seed=args.seed, bias_scale=args.bias_scale, output_activation=args.output)
    net.save(args.out)
    print(f"wrote {args.out}: {net}")
    return 0
