"""milpinv make-instance: plant a latent z in a box and store x = G(z) (+ noise)."""

from __future__ import annotations

from ..instance import DEFAULT_BOX, plant_instance
from ..network import ReluNetwork
from .args import nonneg_float, positive_float


def register(sub) -> None:
    p = sub.add_parser("make-instance", help="plant z in a box and write an instance (.npz)")
    p.add_argument("network", help="network .npz")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", type=nonneg_float, default=0.0, help="std of Gaussian noise added to x")
    p.add_argument("--box", type=positive_float, default=DEFAULT_BOX, help="latent box radius R: [-R, R]^n")
    p.add_argument("--out", required=True, help="output .npz")
    p.set_defaults(func=run)


def run(args) -> int:
    inst = plant_instance(ReluNetwork.load(args.network), seed=args.seed, box=args.box, noise=args.noise)
    inst.save(args.out)
    print(f"wrote {args.out}: {inst.network}, box [-{args.box:g}, {args.box:g}], noise {args.noise:g}")
    return 0
