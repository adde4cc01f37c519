"""A generator inside your own model: the latent whose image is brightest at one pixel while the
pixel beside it stays dark, proven optimal over the latent box.

``milpinv.embed`` adds the exact big-M block of a ReLU generator (z in the box, x = G(z)) to a
Pyomo model; the objective and the side constraint are the user's own Pyomo expressions, and any
MILP solver Pyomo drives solves it (here HiGHS through ``appsi_highs``). The answer is re-checked
by a float64 forward pass and compared with the best of many random latents, which can only be
worse.

Run: ``python examples/embed_pixel.py`` (about 5 s of CPU, most of it HiGHS; milpinv's own dependencies).
"""

from __future__ import annotations

import argparse

import numpy as np
import pyomo.environ as pyo

import milpinv

SIDE = 6  # the generator draws 6 x 6 images


def brightest_pixel(net: milpinv.ReluNetwork, bright: int, dark: int, level: float, box: float) -> dict:
    """max x[bright] subject to x[dark] <= level over z in [-box, box]^n, x = G(z)."""
    m = pyo.ConcreteModel()
    g = milpinv.embed(m, net, box=box)  # m.generator: z, x and the exact relu rows between them
    m.dark = pyo.Constraint(expr=g.x[dark] <= level)
    m.bright = pyo.Objective(expr=g.x[bright], sense=pyo.maximize)
    result = pyo.SolverFactory("appsi_highs").solve(m)
    z = np.array([g.z[i].value for i in g.z])
    x = net.forward(z)  # the float64 re-check: the model's x is G(z)
    return {
        "status": str(result.solver.termination_condition),
        "z": z,
        "objective": pyo.value(m.bright),
        "bright": float(x[bright]),
        "dark": float(x[dark]),
        "binaries": sum(1 for v in g.v.values() if v.is_integer()),
        "neurons": sum(net.dims[1:-1]) + net.output_dim,
    }


def sampled_best(net: milpinv.ReluNetwork, bright: int, dark: int, level: float, box: float, n: int, seed: int):
    """The best x[bright] among n uniform random latents that keep x[dark] <= level."""
    z = np.random.default_rng(seed).uniform(-box, box, size=(n, net.input_dim))
    x = net.forward(z)
    ok = x[:, dark] <= level
    return float(x[ok, bright].max()) if ok.any() else None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args(argv)
    net = milpinv.ReluNetwork.random([4, 16, 16, SIDE * SIDE], seed=args.seed, bias_scale=0.3)
    bright, dark, level, box = 2 * SIDE + 2, 2 * SIDE + 3, 0.1, 2.0  # pixel (2, 2) bright, (2, 3) dark
    found = brightest_pixel(net, bright, dark, level, box)
    found["sampled"] = sampled_best(net, bright, dark, level, box, args.samples, args.seed)
    print(f"MILP ({found['status']}, {found['binaries']} binaries for {found['neurons']} relus):")
    print(f"  z = {np.array2string(found['z'], precision=4)}")
    print(f"  pixel (2, 2) = {found['bright']:.6f} (model {found['objective']:.6f}), (2, 3) = {found['dark']:.6f}")
    print(f"best of {args.samples} random latents with pixel (2, 3) <= {level}: {found['sampled']}")
    return found


if __name__ == "__main__":
    main()
