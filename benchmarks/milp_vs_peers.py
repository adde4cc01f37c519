#!/usr/bin/env python
"""milpinv's exact MILP engine against its peers (Gurobi, SCIP, OMLT + HiGHS, Marabou), in one run.

Four kinds of instance, on random networks ``milpinv.ReluNetwork.random(dims, seed=s)`` (weights
N(0, 1/n_in), no bias, relu output), latent box [-3, 3]^n:

    planted       exact norm: x = G(z*) for a planted z* (``plant_instance``); known answer: feasible
    unrealizable  exact norm: a planted x whose *positive* entries are each scaled by
                  1 + 0.01 N(0, 1) (kept positive; zero entries stay zero), on networks with more
                  outputs than latents, re-planted until more than n outputs are positive; known
                  answer: infeasible (the outputs with that sign pattern form a set of dimension
                  <= n < #positive, so a random perturbation leaves it almost surely); a proof is
                  needed. (A relative 0.05 made every instance easy: interval bounds alone refute it.)
    noisy_l1      min ||G(z) - x||_1   for x = G(z*) + N(0, 0.02^2 I); a certified optimum is needed
    noisy_linf    min ||G(z) - x||_inf for the same kind of target

Methods (every solve in its own fresh process, single-threaded, the same wall-clock cap, the same
box and instances; model build + solve are timed inside that process; imports and one untimed
warm-up solve of a tiny instance (library loading, licence check, Pyomo's first model) are not):

    milpinv          milpinv.invert(inst, method="milp", norm=NORM, threads=1, time_limit=CAP)
    milpinv-lp       the same with bounds="lp" (optimisation-based bound tightening)
    milpinv-noheur   the same with heuristic=False (no gradient-descent / piece-walk heuristic)
    milpinv-highs    the same with solver="highs": HiGHS's MILP on milpinv's model (its proofs are
                     re-proven by milpinv's certified branch and bound before they are claimed)
    gurobi           gurobipy: a = W h + b as continuous variables with interval bounds, ReLU as
                     addGenConstrMax(h, [a], constant=0.0) (as gurobi-ml builds it), output = x as
                     equalities (exact) or an epigraph objective (l1: sum t_i, linf: t)
    scip             PySCIPOpt: big-M with interval bounds, one binary per neuron that interval
                     arithmetic cannot fix (what a SCIP user writes), same outputs / objectives
    omlt             OMLT FullSpace ReluBigMFormulation (its own interval bounds, a binary per
                     neuron) through Pyomo, solved by appsi_highs
    marabou          maraboupy on net.to_onnx(path) (float64 weights), input box bounds and
                     output bounds x +- MARABOU_TOL * max(1, |x|_inf); exact kinds only (Marabou has
                     no objective)

milpinv variants are the table ``MILPINV_VARIANTS`` (name -> keyword options of ``invert``); add
one there, or on the command line with ``--milpinv-option NAME:key=value[,key=value]``.
Every MILP solver gets the same stopping rule as milpinv's default: relative gap 1e-9, absolute
gap 1e-12 (only matters for l1 / linf); feasibility tolerances are each solver's default.

How answers are checked (by the parent, never trusted):

* every returned z is run forward in float64 (``net.forward(z)``, z clipped to the box);
* exact kinds: a claimed pre-image counts only if max|G(z) - x| <= 1e-6 * max(1, |x|_inf);
  ``infeasible`` on a planted instance is WRONG; on an unrealizable instance it is the expected
  proof (a verified pre-image there would refute the known answer and is printed loudly);
* noisy kinds: a claimed optimum counts only if its objective matches the forward residual of
  its z (within the per-row tolerance above, summed over rows for l1) and is not above the
  planted z*'s residual (an upper bound on the optimum); ``infeasible`` is WRONG; the proven
  optima of all methods on an instance must agree within that tolerance, and a claimed optimum
  (or bound) above another method's verified residual is WRONG;
* a WRONG or UNVERIFIED answer is printed and counted, and enters the time statistics as an
  unsolved run (at the cap), never as a solve.

A run killed at the hard cap (cap + 5 s after the worker said it is ready: some solvers overrun
their own limits) counts as ``time_limit`` at the cap. Statistics count every unsolved run at the
cap, so medians and geometric means at the cap are lower bounds on the true time.

Environment (benchmark only: none of the peers is a milpinv dependency; /work/base is a frozen
checkout of milpinv, any checkout works):

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e /work/base          # milpinv (highspy, pyomo, ortools, ...)
    .venv-bench/bin/pip install gurobipy pyscipopt omlt onnx maraboupy
    # seen: gurobipy 13.0.3 (pip size-limited licence: 2,000 variables / constraints),
    #       PySCIPOpt 6.3.0, omlt 1.2.2, pyomo 6.10.1, highspy 1.16.0, onnx 1.23.2, maraboupy 2.0.0

Run (from outside the checkout, so that ``import milpinv`` is the copy on PYTHONPATH):

    cd /tmp && PYTHONPATH=/work/base /work/main/.venv-bench/bin/python \\
        /work/main/benchmarks/milp_vs_peers.py                 # default suite: 130 solves, ~26 min
    ... milp_vs_peers.py --quick --out-dir /tmp/peers          # ~2-minute smoke run
    ... milp_vs_peers.py --kinds planted,noisy_l1 --seeds 3 --methods milpinv,gurobi --cap 30
    ... milp_vs_peers.py --nets unrealizable=10-30-30-60,12-36-72 --seeds 0,1,2

Output (``--out-dir``, default benchmarks/results): ``milp_vs_peers.csv`` (one row per instance x
method), ``milp_vs_peers_summary.json`` and ``milp_vs_peers.md`` (the tables, also printed).
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
KINDS = ("planted", "unrealizable", "noisy_l1", "noisy_linf")
NORM_OF = {"planted": "exact", "unrealizable": "exact", "noisy_l1": "l1", "noisy_linf": "linf"}
PROOF_KINDS = ("unrealizable", "noisy_l1", "noisy_linf")
# The fixed default suite: network widths per kind (latent first), seeds 0..4 of each.
# Sizes chosen so that the peers need roughly 1-60 s (see benchmarks/RESULTS.md); every Gurobi
# model stays under the pip licence's 2,000 variables and 2,000 constraints.
# Expanding networks (8-16-32, 10-30-30-60, 12-36-72) were tried and dropped: every solver
# proved them in < 0.5 s. The noisy kinds share their networks and targets (same seeds).
DEFAULT_NETS: dict[str, list[str]] = {
    "planted": ["12-24-24-12"],
    "unrealizable": ["12-24-24-24"],
    "noisy_l1": ["10-20-20-10"],
    "noisy_linf": ["10-20-20-10"],
}
QUICK_NETS: dict[str, list[str]] = {
    "planted": ["6-12-12"],
    "unrealizable": ["6-12-24"],
    "noisy_l1": ["4-8-12"],
    "noisy_linf": ["4-8-12"],
}
DEFAULT_SEEDS = 5
NOISE_SIGMA = 0.02          # noisy kinds: x = G(z*) + N(0, sigma^2 I)
PERTURB = 0.01              # unrealizable: positive x_i -> x_i * (1 + PERTURB * N(0, 1)), kept > 0
BOX = 3.0
REL_TOL = 1e-6              # residual tolerance: REL_TOL * max(1, |x|_inf) per row
MIP_GAP, MIP_ABS_GAP = 1e-9, 1e-12   # milpinv's defaults, given to every MILP solver
MARABOU_TOL = 1e-5          # Marabou's output box half-width (relative); it answers "unsat" on
                            # planted instances at 5e-6 and below (seen on 6-12-24)
KILL_GRACE = 5.0            # seconds past the cap before the worker process is killed
READY_TIMEOUT = 300.0       # seconds for a worker's imports and warm-up
THREAD_ENV = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"), "1")

MILPINV_VARIANTS: dict[str, dict[str, Any]] = {
    "milpinv": {},
    "milpinv-lp": {"bounds": "lp"},
    "milpinv-noheur": {"heuristic": False},
    "milpinv-highs": {"solver": "highs"},
}
PEERS = ("gurobi", "scip", "omlt", "marabou")
EXACT_ONLY = {"marabou"}
DEFAULT_METHODS = ("milpinv", "milpinv-lp", "milpinv-noheur", "gurobi", "scip", "omlt", "marabou")
REFERENCE = "milpinv"
STATUSES = ("optimal", "infeasible", "time_limit", "failed")


# ------------------------------------------------------------------------------------ instances
@dataclass(frozen=True)
class Case:
    """One instance of the suite: kind, network widths ("10-30-30-60") and seed."""

    kind: str
    net: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.net}/s{self.seed}"

    @property
    def norm(self) -> str:
        return NORM_OF[self.kind]

    @property
    def dims(self) -> list[int]:
        return [int(d) for d in self.net.split("-")]


def make_instance(case: Case):
    """The deterministic milpinv.Instance of ``case`` (same in the parent and every worker)."""
    import milpinv

    net = milpinv.ReluNetwork.random(case.dims, seed=case.seed)
    noise = NOISE_SIGMA if case.kind.startswith("noisy") else 0.0
    inst = milpinv.plant_instance(net, seed=10_000 + case.seed, box=BOX, noise=noise)
    if case.kind != "unrealizable":
        return inst
    # Infeasibility is generic only if more outputs are positive than there are latents (the
    # zero entries are not perturbed): re-plant (deterministically) until that holds.
    for retry in range(1, 50):
        if np.count_nonzero(inst.target > 0) > net.input_dim:
            break
        inst = milpinv.plant_instance(net, seed=10_000 + case.seed + 1_000 * retry, box=BOX)
    else:
        raise ValueError(f"{case.name}: no planted target with more than {net.input_dim} positive outputs")
    rng = np.random.default_rng(20_000 + case.seed)
    x = inst.target.copy()
    pos = x > 0
    x[pos] *= np.maximum(1.0 + PERTURB * rng.normal(size=int(pos.sum())), 0.5)
    meta = dict(inst.meta, known_answer="infeasible", generator="milp_vs_peers.unrealizable",
                perturbation=PERTURB)
    return milpinv.Instance(net, x, inst.lower, inst.upper, meta)


def tolerance(x: np.ndarray) -> float:
    """Per-row residual tolerance: REL_TOL * max(1, |x|_inf) (milpinv's own acceptance rule)."""
    return REL_TOL * max(1.0, float(np.max(np.abs(x))) if x.size else 0.0)


def residual(net, x: np.ndarray, z: np.ndarray, lower: np.ndarray, upper: np.ndarray, norm: str) -> float:
    """||G(z) - x|| by a float64 forward pass (linf for the exact norm), z clipped to the box."""
    r = net.forward(np.clip(np.asarray(z, dtype=np.float64), lower, upper)) - x
    return float(np.abs(r).sum()) if norm == "l1" else float(np.abs(r).max())


def interval_bounds(net, lower: np.ndarray, upper: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pre-activation bounds of every layer by interval arithmetic, pushed outward by 1e-9."""
    out, lo, hi = [], np.asarray(lower, float), np.asarray(upper, float)
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
        a_lo, a_hi = Wp @ lo + Wm @ hi + b, Wp @ hi + Wm @ lo + b
        a_lo, a_hi = a_lo - 1e-9 * (1 + np.abs(a_lo)), a_hi + 1e-9 * (1 + np.abs(a_hi))
        out.append((a_lo, a_hi))
        lo, hi = (np.maximum(a_lo, 0.0), np.maximum(a_hi, 0.0)) if net.applies_relu(k) else (a_lo, a_hi)
    return out


# ------------------------------------------------------------------------------ the solvers
# Each solver: fn(inst, norm, cap, options) -> dict(status, objective, bound, z, info...), run
# inside the worker between the two clock readings.

def solve_milpinv(inst, norm: str, cap: float, options: dict) -> dict:
    import milpinv

    r = milpinv.invert(inst, method="milp", norm=norm, threads=1, time_limit=cap, mip_gap=MIP_GAP, **options)
    status = r.status if r.status in STATUSES else "failed"
    s = r.solver or {}
    return {"status": status, "raw_status": r.status, "objective": r.objective, "bound": r.bound,
            "z": None if r.z is None else np.asarray(r.z, float).tolist(), "message": r.message,
            "binaries": s.get("binaries"), "nodes": s.get("nodes"),
            "solved_by": s.get("solved_by", "milp")}


def solve_gurobi(inst, norm: str, cap: float, options: dict) -> dict:
    import gurobipy as gp
    from gurobipy import GRB

    t0 = time.perf_counter()
    net, x = inst.network, inst.target
    m = gp.Model(env=_gurobi_env())
    m.Params.Threads, m.Params.MIPGap, m.Params.MIPGapAbs = 1, MIP_GAP, MIP_ABS_GAP
    z = m.addMVar(net.input_dim, lb=inst.lower, ub=inst.upper, name="z")
    h = z
    bounds = interval_bounds(net, inst.lower, inst.upper)
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        lo, hi = bounds[k]
        a = m.addMVar(W.shape[0], lb=lo, ub=hi, name=f"a{k}")
        m.addConstr(a == W @ h + b)
        if not net.applies_relu(k):
            h = a
            continue
        h = m.addMVar(W.shape[0], lb=np.maximum(lo, 0.0), ub=np.maximum(hi, 0.0), name=f"h{k}")
        for i in range(W.shape[0]):
            m.addGenConstrMax(h[i].item(), [a[i].item()], constant=0.0)
    if norm == "exact":
        m.addConstr(h == x)
    else:
        t = m.addMVar(len(x) if norm == "l1" else 1, lb=0.0, name="t")
        tt = t if norm == "l1" else t[0] * np.ones(len(x))
        m.addConstr(h - x <= tt)
        m.addConstr(x - h <= tt)
        m.setObjective(t.sum(), GRB.MINIMIZE)
    m.update()
    size = {"n_vars": m.NumVars, "n_cons": m.NumConstrs + m.NumGenConstrs, "binaries": None}
    m.Params.TimeLimit = max(cap - (time.perf_counter() - t0), 0.01)
    try:
        m.optimize()
    except gp.GurobiError as e:   # e.g. "Model too large for size-limited license"
        return {"status": "failed", "message": f"GurobiError {e.errno}: {e}", **size}
    status = {GRB.OPTIMAL: "optimal", GRB.INFEASIBLE: "infeasible", GRB.INF_OR_UNBD: "infeasible",
              GRB.TIME_LIMIT: "time_limit"}.get(m.Status, "failed")
    has = m.SolCount > 0
    obj = (0.0 if norm == "exact" else m.ObjVal) if has else None
    bound = None if norm == "exact" or status == "infeasible" else m.ObjBound
    return {"status": status, "raw_status": int(m.Status), "objective": obj, "bound": bound,
            "z": z.X.tolist() if has else None, "nodes": int(m.NodeCount), **size}


_GUROBI_ENV = None


def _gurobi_env():
    """One silent Gurobi environment per process (licence check done in the warm-up)."""
    global _GUROBI_ENV
    if _GUROBI_ENV is None:
        import gurobipy as gp
        _GUROBI_ENV = gp.Env(params={"OutputFlag": 0})
    return _GUROBI_ENV


def solve_scip(inst, norm: str, cap: float, options: dict) -> dict:
    from pyscipopt import Model, quicksum

    t0 = time.perf_counter()
    net, x = inst.network, inst.target
    m = Model()
    m.hideOutput()
    m.setParam("parallel/maxnthreads", 1)
    m.setParam("limits/gap", MIP_GAP)
    m.setParam("limits/absgap", MIP_ABS_GAP)
    z = [m.addVar(lb=float(inst.lower[j]), ub=float(inst.upper[j]), name=f"z{j}") for j in range(net.input_dim)]
    h: list = list(z)                # a Variable, or None for a neuron fixed at 0
    nbin = 0
    bounds = interval_bounds(net, inst.lower, inst.upper)
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        lo, hi = bounds[k]
        relu = net.applies_relu(k)
        nxt: list = []
        for i in range(W.shape[0]):
            e = quicksum(float(W[i, j]) * v for j, v in enumerate(h) if v is not None and W[i, j] != 0) + float(b[i])
            if relu and hi[i] <= 0:                       # always inactive
                nxt.append(None)
                continue
            if not relu or lo[i] >= 0:                    # linear, or always active
                v = m.addVar(lb=float(lo[i]) if not relu else 0.0, ub=float(hi[i]), name=f"h{k}_{i}")
                m.addCons(v == e)
            else:                                         # unstable: big-M with a binary
                v = m.addVar(lb=0.0, ub=float(hi[i]), name=f"h{k}_{i}")
                d = m.addVar(vtype="B", name=f"d{k}_{i}")
                nbin += 1
                m.addCons(v >= e)
                m.addCons(v <= e - float(lo[i]) * (1 - d))
                m.addCons(v <= float(hi[i]) * d)
            nxt.append(v)
        h = nxt
    out = [0.0 if v is None else v for v in h]
    if norm == "exact":
        for i, v in enumerate(out):
            if isinstance(v, float):          # a provably dead output: x_i must be 0
                _fixed_zero_row(m, x[i])
            else:
                m.addCons(v == float(x[i]))
    else:
        t = [m.addVar(lb=0.0, name=f"t{i}") for i in range(len(x) if norm == "l1" else 1)]
        for i, v in enumerate(out):
            ti = t[i] if norm == "l1" else t[0]
            m.addCons(v - float(x[i]) <= ti)
            m.addCons(float(x[i]) - v <= ti)
        m.setObjective(quicksum(t), "minimize")
    size = {"n_vars": m.getNVars(), "n_cons": m.getNConss(), "binaries": nbin}
    m.setParam("limits/time", max(cap - (time.perf_counter() - t0), 0.01))
    m.optimize()
    st = m.getStatus()
    status = {"optimal": "optimal", "infeasible": "infeasible", "inforunbd": "infeasible",
              "timelimit": "time_limit"}.get(st, "failed")
    has = m.getNSols() > 0
    zval = [m.getVal(v) for v in z] if has else None
    obj = (0.0 if norm == "exact" else m.getObjVal()) if has else None
    bound = None if norm == "exact" or status == "infeasible" else m.getDualbound()
    return {"status": status, "raw_status": st, "objective": obj, "bound": bound, "z": zval,
            "nodes": m.getNNodes(), **size}


def _fixed_zero_row(m, xi: float) -> None:
    """An output neuron that is provably 0: the target must be 0 there (else: infeasible)."""
    if abs(xi) > 0:
        v = m.addVar(lb=0.0, ub=0.0, name="dead_out")
        m.addCons(v == float(xi))


def solve_omlt(inst, norm: str, cap: float, options: dict) -> dict:
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC

    t0 = time.perf_counter()
    m = omlt_model(inst, norm)
    variables = list(m.component_data_objects(pyo.Var, active=True))
    size = {"n_vars": len(variables), "binaries": sum(v.is_binary() for v in variables),
            "n_cons": sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))}
    left = max(cap - (time.perf_counter() - t0), 0.01)
    res = pyo.SolverFactory("appsi_highs").solve(
        m, timelimit=left, load_solutions=False,
        options={"threads": 1, "mip_rel_gap": MIP_GAP, "mip_abs_gap": MIP_ABS_GAP})
    tc = res.solver.termination_condition
    status = {TC.optimal: "optimal", TC.infeasible: "infeasible", TC.infeasibleOrUnbounded: "infeasible",
              TC.maxTimeLimit: "time_limit"}.get(tc, "failed")
    z, obj = None, None
    if len(res.solution) > 0:
        m.solutions.load_from(res)
        z = [pyo.value(m.nn.inputs[i]) for i in range(inst.network.input_dim)]
        obj = 0.0 if norm == "exact" else pyo.value(m.obj)
    bound = None
    if norm != "exact" and status != "infeasible":
        bound = getattr(res.problem, "lower_bound", None)
        bound = float(bound) if bound is not None and math.isfinite(float(bound)) else None
    return {"status": status, "raw_status": str(tc), "objective": obj, "bound": bound, "z": z, **size}


def omlt_model(inst, norm: str):
    """OMLT's full-space big-M model of G, with x fixed (exact) or an l1 / linf epigraph."""
    import pyomo.environ as pyo
    from omlt import OmltBlock
    from omlt.neuralnet import NetworkDefinition, ReluBigMFormulation
    from omlt.neuralnet.layer import DenseLayer, InputLayer

    net = inst.network
    nd = NetworkDefinition(scaled_input_bounds={i: (float(inst.lower[i]), float(inst.upper[i]))
                                                for i in range(net.input_dim)})
    prev = InputLayer([net.input_dim])
    nd.add_layer(prev)
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        layer = DenseLayer(prev.output_size, [W.shape[0]], activation="relu" if net.applies_relu(k) else "linear",
                           weights=np.array(W.T), biases=np.array(b))   # OMLT's weights are (in, out)
        nd.add_layer(layer)
        nd.add_edge(prev, layer)
        prev = layer
    m = pyo.ConcreteModel()
    m.nn = OmltBlock()
    m.nn.build_formulation(ReluBigMFormulation(nd))
    x = [float(v) for v in inst.target]
    rows = range(len(x))
    if norm == "exact":
        m.observe = pyo.Constraint(rows, rule=lambda mm, i: mm.nn.outputs[i] == x[i])
        m.obj = pyo.Objective(expr=0.0)
        return m
    m.t = pyo.Var(rows if norm == "l1" else [0], domain=pyo.NonNegativeReals)
    ti = (lambda mm, i: mm.t[i]) if norm == "l1" else (lambda mm, i: mm.t[0])
    m.up = pyo.Constraint(rows, rule=lambda mm, i: mm.nn.outputs[i] - x[i] <= ti(mm, i))
    m.dn = pyo.Constraint(rows, rule=lambda mm, i: x[i] - mm.nn.outputs[i] <= ti(mm, i))
    m.obj = pyo.Objective(expr=sum(m.t.values()), sense=pyo.minimize)
    return m


def solve_marabou(inst, norm: str, cap: float, options: dict) -> dict:
    from maraboupy import Marabou

    t0 = time.perf_counter()
    x = inst.target
    with tempfile.TemporaryDirectory(prefix="milp_vs_peers_") as tmp:
        inst.network.to_onnx(Path(tmp) / "net.onnx")
        mn = Marabou.read_onnx(str(Path(tmp) / "net.onnx"))
    zin, out = mn.inputVars[0].ravel(), mn.outputVars[0].ravel()
    for j, v in enumerate(zin):
        mn.setLowerBound(int(v), float(inst.lower[j]))
        mn.setUpperBound(int(v), float(inst.upper[j]))
    tol = MARABOU_TOL * max(1.0, float(np.max(np.abs(x))))
    for i, v in enumerate(out):
        mn.setLowerBound(int(v), float(x[i]) - tol)
        mn.setUpperBound(int(v), float(x[i]) + tol)
    left = max(int(cap - (time.perf_counter() - t0)), 1)
    opts = Marabou.createOptions(verbosity=0, timeoutInSeconds=left, numWorkers=1)
    code, vals, stats = mn.solve(options=opts, verbose=False)
    status = {"sat": "optimal", "unsat": "infeasible", "TIMEOUT": "time_limit"}.get(code, "failed")
    z = [float(vals[int(v)]) for v in zin] if code == "sat" else None
    return {"status": status, "raw_status": code, "objective": 0.0 if z else None, "bound": None, "z": z,
            "n_vars": int(mn.numVars), "n_cons": len(mn.equList), "binaries": None}


def solver_for(method: str, options: dict[str, dict]) -> tuple[Callable, dict]:
    """(solve function, its options) of a method name."""
    if method in options:
        return solve_milpinv, options[method]
    return {"gurobi": solve_gurobi, "scip": solve_scip, "omlt": solve_omlt, "marabou": solve_marabou}[method], {}


def warm_up(method: str, fn: Callable, opts: dict) -> None:
    """One untimed solve of a tiny instance: library loading, licence checks, lazy imports."""
    kind = "planted"
    inst = make_instance(Case(kind, "3-6-6", 0))
    with contextlib.suppress(Exception):   # the real run reports failures
        fn(inst, NORM_OF[kind], 5.0, opts)


# ---------------------------------------------------------------------------------- worker side
def worker_main() -> int:
    """Read one job (JSON on stdin), solve it, write the result JSON; signal readiness first."""
    job = json.loads(sys.stdin.read())
    case = Case(job["kind"], job["net"], job["seed"])
    fn, opts = solver_for(job["method"], job["milpinv_variants"])
    inst = make_instance(case)
    warm_up(job["method"], fn, opts)
    Path(job["ready"]).write_text("ready")
    t0 = time.perf_counter()
    try:
        out = fn(inst, case.norm, job["cap"], opts)
    except Exception as e:    # a crash is a "failed" run with its message, not a benchmark abort
        out = {"status": "failed", "message": f"{type(e).__name__}: {e}"}
    out["time_s"] = time.perf_counter() - t0
    tmp = Path(job["out"] + ".tmp")
    tmp.write_text(json.dumps(out, default=float))
    tmp.replace(job["out"])
    return 0


# ---------------------------------------------------------------------------------- parent side
def run_in_process(case: Case, method: str, cap: float, variants: dict, workdir: Path) -> dict:
    """Run one solve in a fresh process; kill it at cap + KILL_GRACE after it is ready."""
    tag = f"{case.kind}_{case.net}_{case.seed}_{method}"
    ready, out, log = workdir / f"{tag}.ready", workdir / f"{tag}.json", workdir / f"{tag}.log"
    for p in (ready, out):
        p.unlink(missing_ok=True)
    job = {"kind": case.kind, "net": case.net, "seed": case.seed, "method": method, "cap": cap,
           "milpinv_variants": variants, "ready": str(ready), "out": str(out)}
    env = {**os.environ, **THREAD_ENV}
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker"], stdin=subprocess.PIPE,
                                stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True, text=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
        killed = _wait(proc, ready, cap)
    if out.exists():
        return json.loads(out.read_text())
    if killed:
        return {"status": "time_limit", "time_s": cap, "message": f"killed at the hard cap ({killed})"}
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    return {"status": "failed", "time_s": cap, "message": f"worker exited {proc.returncode}: " + " | ".join(tail)}


def _wait(proc: subprocess.Popen, ready: Path, cap: float) -> str:
    """Wait for the worker; return why it was killed ("" if it ended by itself)."""
    start = time.monotonic()
    while not ready.exists():
        if proc.poll() is not None:
            return ""
        if time.monotonic() - start > READY_TIMEOUT:
            _kill(proc)
            return "no ready signal"
        time.sleep(0.01)
    try:
        proc.wait(timeout=cap + KILL_GRACE)
        return ""
    except subprocess.TimeoutExpired:
        _kill(proc)
        return f"cap {cap:g} s + {KILL_GRACE:g} s"


def _kill(proc: subprocess.Popen) -> None:
    """Kill the worker's own process group (it was started in a new session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# -------------------------------------------------------------------------------- checking
def check_run(case: Case, inst, out: dict) -> dict:
    """The row of one run: the solver's claim plus the parent's verdict.

    verdict: solved (a checked proof), unsolved (time limit / failed), WRONG (contradicts the
    known answer or another method's verified point), UNVERIFIED (a claimed solution whose z
    does not pass the forward-pass check)."""
    net, x, norm = inst.network, inst.target, case.norm
    row = {"instance": case.name, "kind": case.kind, "net": case.net, "seed": case.seed,
           "status": out.get("status", "failed"), "time_s": out.get("time_s"),
           "objective": out.get("objective"), "bound": out.get("bound"),
           **{k: out.get(k) for k in ("raw_status", "nodes", "binaries", "n_vars", "n_cons", "solved_by",
                                      "message")}}
    z = out.get("z")
    row["residual"] = None if z is None else residual(net, x, np.asarray(z, float), inst.lower, inst.upper, norm)
    tol = tolerance(x) * (len(x) if norm == "l1" else 1)
    row["verdict"], row["note"] = _verdict(case, inst, row, tol)
    return row


def _verdict(case: Case, inst, row: dict, tol: float) -> tuple[str, str]:
    status, res = row["status"], row["residual"]
    known = inst.meta.get("known_answer")
    if status == "infeasible":
        if case.kind == "unrealizable":
            return "solved", ""
        return "WRONG", f"claims infeasible, known answer {known or 'feasible (noisy: always)'}"
    if status != "optimal":
        return "unsolved", ""
    if res is None:
        return "UNVERIFIED", "claims optimal without a z"
    if case.norm == "exact":
        if res > tol:
            return "UNVERIFIED", f"claimed pre-image has residual {res:.3g} > {tol:.3g}"
        if case.kind == "unrealizable":
            return "solved", "VERIFIED PRE-IMAGE: the known answer 'infeasible' is refuted"
        return "solved", ""
    obj, planted = row["objective"], _planted_residual(inst, case.norm)
    if obj is None or abs(obj - res) > tol + 1e-6 * abs(res):
        return "UNVERIFIED", f"objective {obj} but forward residual {res:.9g}"
    if res > planted + tol:
        return "WRONG", f"claimed optimum {res:.9g} above the planted z*'s residual {planted:.9g}"
    return "solved", ""


def _planted_residual(inst, norm: str) -> float:
    return residual(inst.network, inst.target, inst.planted_z, inst.lower, inst.upper, norm)


def cross_check(rows: list[dict], inst, norm: str) -> None:
    """Noisy kinds: no claimed optimum or bound above the best point anyone found (every z's
    forward residual, and the planted z*'s, is an upper bound on the optimum); so the proven
    optima of all methods agree within the tolerance. Marks offenders WRONG."""
    if norm == "exact":
        return
    tol = tolerance(inst.target) * (len(inst.target) if norm == "l1" else 1)
    points = [(r["residual"], r["method"]) for r in rows if r["residual"] is not None]
    best, who = min(points + [(_planted_residual(inst, norm), "the planted z*")])
    for r in rows:
        claims = [("optimum", r["residual"])] if r["verdict"] == "solved" else []
        if r["bound"] is not None and r["verdict"] != "UNVERIFIED":
            claims.append(("bound", r["bound"]))
        for what, val in claims:
            if val > best + tol + 1e-6 * abs(best):
                r["verdict"] = "WRONG"
                r["note"] = f"proven {what} {val:.9g} above {who}'s verified residual {best:.9g}"


def agreement(rows: list[dict]) -> dict[str, float]:
    """Noisy instances: the spread (max - min) of the proven optima of all methods."""
    spread: dict[str, list[float]] = {}
    for r in rows:
        if r["kind"].startswith("noisy") and r["verdict"] == "solved":
            spread.setdefault(r["instance"], []).append(r["residual"])
    return {i: max(v) - min(v) for i, v in spread.items() if len(v) > 1}


def alarm_lines(rows: list[dict]) -> list[str]:
    """Every WRONG or UNVERIFIED answer, and any refuted known answer, one line each."""
    return [f"{r['verdict']}: {r['instance']} {r['method']} (status {r['status']}): {r['note']}"
            for r in rows if r["verdict"] in ("WRONG", "UNVERIFIED") or "REFUTED" in (r["note"] or "")]


# -------------------------------------------------------------------------------- statistics
def censored_time(row: dict, cap: float) -> float:
    """A run's time for the statistics: its own if solved, else the cap."""
    return float(row["time_s"]) if row["verdict"] == "solved" else max(cap, float(row["time_s"] or cap))


def geomean(values: list[float]) -> float:
    return float(math.exp(statistics.fmean(math.log(max(v, 1e-6)) for v in values)))


def group_kinds(kinds: list[str]) -> dict[str, list[str]]:
    """The columns of the tables: each kind, the proof kinds pooled, and all."""
    groups = {k: [k] for k in kinds}
    proof = [k for k in kinds if k in PROOF_KINDS]
    if len(proof) > 1:
        groups["proof kinds"] = proof
    if len(kinds) > 1:
        groups["overall"] = list(kinds)
    return groups


def summarize(rows: list[dict], methods: list[str], kinds: list[str], cap: float, ref: str) -> dict:
    """Per group of kinds and method: counts, median and geomean time; ratios ref / method."""
    out: dict[str, dict] = {}
    for group, members in group_kinds(kinds).items():
        sel = [r for r in rows if r["kind"] in members]
        g: dict[str, Any] = {"methods": {}, "ratios": {}}
        for m in methods:
            mine = [r for r in sel if r["method"] == m]
            if not mine:
                continue
            times = [censored_time(r, cap) for r in mine]
            g["methods"][m] = {"runs": len(mine), "solved": sum(r["verdict"] == "solved" for r in mine),
                               "wrong": sum(r["verdict"] == "WRONG" for r in mine),
                               "unverified": sum(r["verdict"] == "UNVERIFIED" for r in mine),
                               "median_s": statistics.median(times), "geomean_s": geomean(times)}
        by_inst = {(r["instance"], r["method"]): r for r in sel}
        for m in methods:
            if m == ref:
                continue
            pairs = [(by_inst[(i, ref)], by_inst[(i, m)]) for (i, mm) in by_inst if mm == m and (i, ref) in by_inst]
            if not pairs:
                continue
            logs = [math.log(censored_time(a, cap) / censored_time(b, cap)) for a, b in pairs]
            g["ratios"][m] = {"pairs": len(pairs), "geomean_ratio": math.exp(statistics.fmean(logs)),
                              "censored_pairs": sum(a["verdict"] != "solved" or b["verdict"] != "solved"
                                                    for a, b in pairs)}
        out[group] = g
    return out


def markdown(summary: dict, methods: list[str], cap: float, ref: str, alarms: list[str]) -> str:
    groups = list(summary)
    head = "| method | " + " | ".join(groups) + " |\n|---|" + "---|" * len(groups)
    lines = [f"Solved (proven and checked) / runs; `W` = WRONG, `U` = UNVERIFIED answers "
             f"(cap {cap:g} s per solve):", "", head]
    for m in methods:
        cells = []
        for g in groups:
            s = summary[g]["methods"].get(m)
            if s is None:
                cells.append("n/a")
                continue
            extra = (f" W{s['wrong']}" if s["wrong"] else "") + (f" U{s['unverified']}" if s["unverified"] else "")
            cells.append(f"{s['solved']}/{s['runs']}{extra}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    for key, title in (("median_s", "Median"), ("geomean_s", "Geometric mean")):
        lines += ["", f"{title} time in s, build + solve (every unsolved run counted at the cap {cap:g} s):",
                  "", head]
        for m in methods:
            cells = [("n/a" if summary[g]["methods"].get(m) is None else f"{summary[g]['methods'][m][key]:.3g}")
                     for g in groups]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", f"Pooled geometric mean of the per-instance time ratios {ref} / method (< 1: {ref} faster; "
              "times censored at the cap as above; `(c N)` = N pairs where either run was unsolved):", "",
              head]
    for m in methods:
        if m == ref:
            continue
        cells = []
        for g in groups:
            r = summary[g]["ratios"].get(m)
            cells.append("n/a" if r is None else f"{r['geomean_ratio']:.3g}" +
                         (f" (c {r['censored_pairs']})" if r["censored_pairs"] else ""))
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    if alarms:
        lines += ["", "**WRONG / UNVERIFIED answers and disagreements:**", ""] + [f"* {a}" for a in alarms]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ main
CSV_FIELDS = ["instance", "kind", "net", "seed", "method", "status", "verdict", "time_s", "objective", "bound",
              "residual", "raw_status", "nodes", "binaries", "n_vars", "n_cons", "solved_by", "note", "message"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cap", type=float, default=60.0, help="seconds per solve (build + solve), default 60")
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                    help=f"comma-separated, default {','.join(DEFAULT_METHODS)}")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    ap.add_argument("--seeds", default=str(DEFAULT_SEEDS),
                    help="N (seeds 0..N-1, default 5) or a list: 0,3,7 (seed 3 alone: 3,)")
    ap.add_argument("--nets", action="append", default=[], metavar="KIND=W-W-W[,W-W-W]",
                    help="networks of a kind (repeatable), e.g. planted=12-24-24-12,10-20-20-20-20")
    ap.add_argument("--milpinv-option", action="append", default=[], metavar="NAME:key=value[,key=value]",
                    help="a milpinv variant with invert() options, e.g. milpinv-obbt2:bounds=lp,obbt_passes=2")
    ap.add_argument("--reference", default=REFERENCE, help="numerator of the time ratios (default milpinv)")
    ap.add_argument("--jobs", type=int, default=1, help="solves at once (default 1: runs are timed)")
    ap.add_argument("--out-dir", default=str(RESULTS), help="where the CSV, JSON and markdown go")
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny networks, seeds 0,1, cap 10 s")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def parse_value(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def build_config(args: argparse.Namespace) -> dict:
    """Validate the flags; return methods, kinds, seeds, nets, variants, cap."""
    variants = {k: dict(v) for k, v in MILPINV_VARIANTS.items()}
    for spec in args.milpinv_option:
        name, _, kv = spec.partition(":")
        if not name or "=" not in kv:
            raise SystemExit(f"error: --milpinv-option: expected NAME:key=value, got {spec!r}")
        variants[name] = {k: parse_value(v) for k, v in (p.split("=", 1) for p in kv.split(","))}
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    extra = [n for n in variants if n not in MILPINV_VARIANTS and n not in methods]
    methods += extra
    bad = [m for m in methods if m not in variants and m not in PEERS]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if bad or not methods:
        raise SystemExit(f"error: --methods: unknown {bad or 'empty list'}; choose from "
                         f"{','.join(list(variants) + list(PEERS))}")
    if not kinds or any(k not in KINDS for k in kinds):
        raise SystemExit(f"error: --kinds: choose from {','.join(KINDS)}")
    seeds = (list(range(int(args.seeds))) if args.seeds.isdigit() else
             [int(s) for s in args.seeds.split(",") if s.strip()])
    nets = {k: list(v) for k, v in (QUICK_NETS if args.quick else DEFAULT_NETS).items()}
    for spec in args.nets:
        kind, _, widths = spec.partition("=")
        if kind not in KINDS or not widths:
            raise SystemExit(f"error: --nets: expected KIND=W-W-W[,W-W-W], got {spec!r}")
        nets[kind] = [w.strip() for w in widths.split(",") if w.strip()]
        if any(len(w.split("-")) < 2 or not all(d.isdigit() and int(d) > 0 for d in w.split("-")) for w in nets[kind]):
            raise SystemExit(f"error: --nets: bad widths in {spec!r}")
    cap = args.cap
    if args.quick:
        cap, seeds = min(cap, 10.0), [0, 1] if args.seeds == str(DEFAULT_SEEDS) else seeds
    if not seeds:
        raise SystemExit(f"error: --seeds {args.seeds}: no seeds (a count N >= 1, or a list such as 0,)")
    if not cap > 0 or args.jobs < 1:
        raise SystemExit("error: --cap must be > 0 and --jobs >= 1")
    ref = args.reference if args.reference in methods else methods[0]
    return {"methods": methods, "kinds": kinds, "seeds": seeds, "nets": nets, "variants": variants,
            "cap": cap, "reference": ref}


def check_peers(methods: list[str]) -> list[str]:
    """Drop peers that are not installed here (and say so)."""
    modules = {"gurobi": "gurobipy", "scip": "pyscipopt", "omlt": "omlt", "marabou": "maraboupy"}
    keep = []
    for m in methods:
        mod = modules.get(m)
        if mod is not None and _version(mod.replace("pyscipopt", "PySCIPOpt")) == "not installed":
            print(f"note: {m} skipped: {mod} is not installed in {sys.prefix}", file=sys.stderr)
            continue
        keep.append(m)
    return keep


def applies(method: str, case: Case) -> bool:
    return not (method in EXACT_ONLY and case.norm != "exact")


def run_suite(cfg: dict, workdir: Path) -> tuple[list[dict], list[str]]:
    """Every case x method, interleaved per instance; returns the checked rows and the alarms."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    cases = [Case(k, n, s) for k in cfg["kinds"] for n in cfg["nets"][k] for s in cfg["seeds"]]
    jobs = [(c, m) for c in cases for m in cfg["methods"] if applies(m, c)]
    instances = {c: make_instance(c) for c in cases}
    results: dict[tuple[Case, str], dict] = {}
    with tqdm(total=len(jobs), desc="milp-vs-peers", unit="solve") as bar, \
            ThreadPoolExecutor(max_workers=cfg["jobs"]) as pool:
        def one(job: tuple[Case, str]) -> None:
            c, m = job
            out = run_in_process(c, m, cfg["cap"], cfg["variants"], workdir)
            results[job] = out
            bar.set_postfix_str(f"{c.name} {m}: {out.get('status')} {out.get('time_s', 0):.1f}s")
            bar.update()
        list(pool.map(one, jobs))
    rows: list[dict] = []
    for c in cases:
        mine = []
        for m in cfg["methods"]:
            if (c, m) in results:
                row = check_run(c, instances[c], results[(c, m)])
                row["method"] = m
                mine.append(row)
        cross_check(mine, instances[c], c.norm)
        rows += mine
    return rows, alarm_lines(rows)


def header(meta: dict) -> str:
    """Where the tables come from: command, suite, code and versions."""
    v = meta["versions"]
    nets = "; ".join(f"{k}: {', '.join(n)}" for k, n in meta["nets"].items() if k in meta["kinds"])
    return (f"# milp_vs_peers ({meta['started']})\n\n"
            f"Command: `{meta['command']}`; wall time {meta.get('wall_s', '?')} s.\n"
            f"Suite: seeds {meta['seeds']}; {nets}; box [-{meta['box']:g}, {meta['box']:g}]^n; "
            f"noise sigma {meta['noise_sigma']:g}; unrealizable perturbation {meta['perturbation']:g} (relative).\n"
            f"milpinv {v['milpinv']} from {meta['milpinv_path']} (commit {meta['milpinv_commit'][:10]}); "
            + ", ".join(f"{k} {v[k]}" for k in v if k != "milpinv") + ".\n\n")


def write_outputs(rows: list[dict], summary: dict, meta: dict, table: str, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "milp_vs_peers.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    (out_dir / "milp_vs_peers_summary.json").write_text(json.dumps({"meta": meta, "groups": summary}, indent=1))
    (out_dir / "milp_vs_peers.md").write_text(table)


def suite_sizes(cfg: dict) -> dict[str, dict]:
    """Shape of every network of the suite (latents, outputs, hidden + output neurons)."""
    return {n: {"latents": d[0], "outputs": d[-1], "neurons": sum(d[1:])}
            for nets in cfg["nets"].values() for n in nets for d in [[int(v) for v in n.split("-")]]}


def metadata(cfg: dict, argv: list[str] | None) -> dict:
    import milpinv

    versions = {p: _version(p) for p in ("milpinv", "highspy", "gurobipy", "PySCIPOpt", "omlt", "pyomo", "onnx",
                                         "maraboupy", "numpy", "scipy")}
    return {"command": " ".join([Path(sys.argv[0]).name] + (sys.argv[1:] if argv is None else argv)),
            "cap_s": cfg["cap"], "kill_grace_s": KILL_GRACE, "methods": cfg["methods"], "kinds": cfg["kinds"],
            "seeds": cfg["seeds"], "nets": cfg["nets"], "milpinv_variants": cfg["variants"],
            "reference": cfg["reference"], "noise_sigma": NOISE_SIGMA, "perturbation": PERTURB, "box": BOX,
            "rel_tol": REL_TOL, "mip_gap": MIP_GAP, "mip_abs_gap": MIP_ABS_GAP, "marabou_tol": MARABOU_TOL,
            "milpinv_path": str(Path(milpinv.__file__).resolve().parent), "milpinv_commit": _git_commit(milpinv),
            "versions": versions, "python": sys.version.split()[0], "sizes": suite_sizes(cfg),
            "started": time.strftime("%Y-%m-%d %H:%M:%S")}


def _git_commit(module) -> str:
    try:
        return subprocess.run(["git", "-C", str(Path(module.__file__).resolve().parent), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main()
    cfg = build_config(args)
    cfg["methods"] = check_peers(cfg["methods"])
    cfg["jobs"] = args.jobs
    if cfg["reference"] not in cfg["methods"]:
        cfg["reference"] = cfg["methods"][0]
    meta = metadata(cfg, argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="milp_vs_peers_") as tmp:
        rows, alarms = run_suite(cfg, Path(tmp))
    meta["wall_s"] = round(time.perf_counter() - t0, 1)
    summary = summarize(rows, cfg["methods"], cfg["kinds"], cfg["cap"], cfg["reference"])
    meta["alarms"] = alarms
    meta["noisy_optimum_spread"] = agreement(rows)
    table = markdown(summary, cfg["methods"], cfg["cap"], cfg["reference"], alarms)
    write_outputs(rows, summary, meta, header(meta) + table, Path(args.out_dir))
    print(table)
    for a in alarms:
        print("!!", a, file=sys.stderr)
    print(f"{len(rows)} runs in {meta['wall_s']} s; files in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
