"""A generator inside your own optimisation model: :func:`embed` adds the exact big-M block of a
network to a Pyomo model, as OMLT's ``OmltBlock`` and gurobi-ml's ``add_predictor_constr`` do, so
that you write the objective and the other constraints.

>>> import numpy as np
>>> import pyomo.environ as pyo
>>> import milpinv
>>> net = milpinv.ReluNetwork.random([2, 8, 3], seed=0)
>>> m = pyo.ConcreteModel()
>>> g = milpinv.embed(m, net, box=1.0)                  # m.generator: z in [-1, 1]^2, x = G(z)
>>> m.top = pyo.Objective(expr=g.x[0], sense=pyo.maximize)
>>> m.other = pyo.Constraint(expr=g.x[1] <= 0.5)
>>> _ = pyo.SolverFactory("appsi_highs").solve(m)
>>> z = np.array([g.z[i].value for i in g.z])
>>> x = net.forward(z)
>>> bool(abs(x[0] - pyo.value(m.top)) < 1e-6 and x[1] <= 0.5 + 1e-6)
True
"""

from __future__ import annotations

from typing import Any

import scipy.sparse as sp

from .errors import InputError
from .formulations.bigm import build_graph
from .instance import make_box
from .measurement import Measurement
from .milp.build import ModelSpec, sound_bounds
from .network import ReluNetwork
from .problem import Box
from .solvers.pyomo import add_to_block


def embed(parent: Any, network: ReluNetwork, box=None, *, name: str = "generator", bounds: str = "interval") -> Any:
    """Add the graph {(z, x) : z in the box, x = G(z)} of ``network`` to the Pyomo model or block
    ``parent`` as a block called ``name``, and return that block.

    The block's ``z[i]`` (the latent, bounded by ``box``: a radius R for [-R, R]^n, a pair
    (lower, upper), or None for milpinv's default [-3, 3]^n) and ``x[j]`` (the outputs) are its
    inputs and outputs; every relu between them is exact: the big-M rows of
    :mod:`milpinv.formulations.bigm` with constants from sound bounds (``bounds="interval"``, or
    ``"lp"`` for tighter ones by OBBT), and neurons those bounds prove stable get no binary. The
    block adds no objective. Outputs may be relu, leaky_relu or linear (a tanh or sigmoid output is
    not piecewise linear: embed the network without it)."""
    import pyomo.environ as pyo

    last = network.output_activation
    if last.smooth:
        raise InputError(
            f"embed: a {last} output is not piecewise linear; embed the network up to its pre-activations "
            f"(output_activation='linear') and write {last} into your model"
        )
    lower, upper = make_box(network, box)
    graph = network if last.identity else Measurement.matrix(sp.identity(network.output_dim)).compose(network)
    layer_bounds, _, _, _ = sound_bounds(graph, Box(lower, upper), ModelSpec(bounds=bounds))
    model = build_graph(graph, Box(lower, upper), layer_bounds).model
    block = pyo.Block(concrete=True)
    parent.add_component(name, block)
    add_to_block(block, model)
    block.z = pyo.Reference([block.v[j] for j in range(model.blocks["z"].start, model.blocks["z"].stop)])
    block.x = pyo.Reference([block.v[j] for j in range(model.blocks["x"].start, model.blocks["x"].stop)])
    return block
