#!/usr/bin/env python
"""Build time of the MILP of a DCGAN-like sparse convolutional generator (issue 15: about 10,000
hidden units and conv-sized sparsity build in under 1 s).

    .venv/bin/python benchmarks/conv_build.py [--repeats 5] [--ngf 24]

The generator (torch, eval mode, random BatchNorm running statistics) is latent (nz, 1, 1) ->
ConvTranspose2d(nz, 4 ngf, 4, 1, 0) -> BN -> ReLU -> ConvTranspose2d(4 ngf, 2 ngf, 4, 2, 1) -> BN ->
ReLU -> ConvTranspose2d(2 ngf, ngf, 4, 2, 1) -> BN -> ReLU -> ConvTranspose2d(ngf, 1, 4, 2, 1) -> Tanh
(a 32 x 32 image); with ngf = 24 it has 10,752 hidden units. Timed apart, median of --repeats:
``from_torch`` (unrolling), the bounds stage and the build of the big-M matrix model
(:func:`milpinv.milp.build.build_model`, exact norm, a planted target); no solve.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import milpinv
from milpinv.milp.build import build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem

RESULTS = Path(__file__).resolve().parent / "results"


def generator(nz: int, ngf: int, seed: int):
    """The DCGAN-tutorial-shaped generator above, float64, eval mode, random BN statistics."""
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    widths = [nz, 4 * ngf, 2 * ngf, ngf]
    layers: list[nn.Module] = []
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers += [nn.ConvTranspose2d(a, b, 4, 1 if k == 0 else 2, 0 if k == 0 else 1, bias=False), nn.BatchNorm2d(b)]
        layers.append(nn.ReLU())
    layers += [nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh()]
    module = nn.Sequential(*layers).double()
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    return module.eval()


def median_time(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nz", type=int, default=16)
    parser.add_argument("--ngf", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    module = generator(args.nz, args.ngf, seed=0)
    t_read, net = median_time(lambda: milpinv.ReluNetwork.from_torch(module, (args.nz, 1, 1)), args.repeats)
    inst = milpinv.plant_instance(net, seed=1)
    lower, upper = inst.lower, inst.upper

    def build():
        return build_model(Problem.of(net, inst.target, Norm.EXACT, Box(lower, upper)))

    t_total, (form, info) = median_time(build, args.repeats)
    builds = [build()[1] for _ in range(args.repeats)]
    result = {
        "network": repr(net),
        "hidden_units": int(sum(net.dims[1:-1])),
        "weights_nnz": net.nnz,
        "sparse_layers": [type(w).__name__ for w in net.weights],
        "model_rows": int(form.model.num_rows),
        "model_vars": int(form.model.num_vars),
        "model_nnz": int(form.model.A.nnz),
        "from_torch_s": t_read,
        "bounds_s": statistics.median(b["bound_time_s"] for b in builds),
        "build_s": statistics.median(b["build_time_s"] for b in builds),
        "bounds_plus_build_s": t_total,
        "repeats": args.repeats,
        "milpinv": milpinv.__version__,
    }
    for key, value in result.items():
        print(f"{key:>20}: {value:.3f}" if isinstance(value, float) else f"{key:>20}: {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "conv_build.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
