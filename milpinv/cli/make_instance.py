"""milpinv make-instance: plant a latent z in a box and store x = G(z), or y = A G(z) through a
measurement (inpainting, compressed sensing, super-resolution), + noise."""

from __future__ import annotations

import argparse

from ..instance import DEFAULT_BOX, plant_instance
from ..network import ReluNetwork
from .args import nonneg_float, positive_float, seed_int
from .measure import add_measurement_args, measurement_from_args


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("network", help="network .npz")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--noise", type=nonneg_float, default=0.0, help="std of Gaussian noise added to x")
    p.add_argument("--box", type=positive_float, default=DEFAULT_BOX, help="latent box radius R: [-R, R]^n")
    add_measurement_args(p, random=True)
    p.add_argument("--out", required=True, help="output .npz")
    p.set_defaults(func=run)


def run(args) -> int:
    net = ReluNetwork.load(args.network)
    measurement = measurement_from_args(args, net.output_dim, seed=args.seed)
    inst = plant_instance(net, seed=args.seed, box=args.box, noise=args.noise, measurement=measurement)
    inst.save(args.out)
    seen = "" if measurement is None else f", observing {measurement.kind} ({measurement.output_dim} values)"
    print(f"wrote {args.out}: {inst.network}, box [-{args.box:g}, {args.box:g}], noise {args.noise:g}{seen}")
    return 0
