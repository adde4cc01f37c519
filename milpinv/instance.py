"""Inversion instances (network + target + latent box + meta) and the .npz file format.

File format (numpy .npz): ``W0, b0, ..., W{L-1}, b{L-1}`` float64 with ``W_k`` of shape
(n_{k+1}, n_k); optional ``output_activation`` ("relu" or "linear", default relu). An
instance file adds ``target`` (n_L,), ``latent_lower`` and ``latent_upper`` (n_0,) and an
optional ``meta`` JSON string (provenance, planted z, known answer). An instance that observes
y = A G(z) (:mod:`milpinv.measurement`) adds ``measurement`` (``mask``, ``matrix`` or ``avgpool``)
and its operator: ``measurement_mask`` (n_L,) bool, ``measurement_matrix`` (m, n_L), or
``measurement_image`` (C, H, W) and ``measurement_pool`` k; its ``target`` is then y, of shape
(m,). Files without ``measurement`` observe every output, as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .files import read_npz, write_npz
from .measurement import Measurement, SmoothMeasured
from .network import ReluNetwork
from .tolerance import tolerance
from .validation import as_float_array, check_length, make_rng

DEFAULT_BOX = 3.0


def check_target(network: ReluNetwork | SmoothMeasured, target, allow_negative: bool = False) -> np.ndarray:
    """Validate a target vector; an entry farther outside the output activation's range (negative
    under a relu, beyond [-1, 1] under a tanh) than the acceptance tolerance of
    :mod:`milpinv.tolerance` has no preimage (-3e-7 under a relu is met by G(z) = 0)."""
    x = as_float_array(target, "target")
    check_length(x, network.output_dim, "target")
    lo, hi = network.output_activation.hull
    tol = tolerance(x)
    outside = (x < lo - tol) | (x > hi + tol)
    if not allow_negative and np.any(outside):
        i = int(np.argmax(outside))
        where = "is negative" if x[i] < lo == 0 else f"lies outside [{lo:g}, {hi:g}]"
        raise InputError(
            f"target[{i}] = {x[i]:.6g} {where} but the output layer is {network.output_activation}: no preimage "
            "exists (use norm l1 or linf for noisy targets)"
        )
    return x


def make_box(network: ReluNetwork, box) -> tuple[np.ndarray, np.ndarray]:
    """Normalise a box spec: None (default [-3, 3]^n), a radius R, or (lower, upper)."""
    n = network.input_dim
    if box is None:
        box = DEFAULT_BOX
    if np.isscalar(box):
        if isinstance(box, (bool, np.bool_)) or not isinstance(box, (int, float, np.integer, np.floating)):
            raise InputError(f"box: expected a radius or a pair (lower, upper), got {box!r}")
        r = float(box)
        if not np.isfinite(r) or r <= 0:
            raise InputError(f"box: radius must be a finite positive number, got {box}")
        return np.full(n, -r), np.full(n, r)
    try:
        lower, upper = box
    except (TypeError, ValueError):
        raise InputError("box: expected a radius or a pair (lower, upper)") from None
    lo = as_float_array(np.broadcast_to(lower, (n,)) if np.ndim(lower) == 0 else lower, "latent_lower")
    hi = as_float_array(np.broadcast_to(upper, (n,)) if np.ndim(upper) == 0 else upper, "latent_upper")
    check_length(lo, n, "latent_lower")
    check_length(hi, n, "latent_upper")
    if np.any(lo > hi):
        i = int(np.argmax(lo > hi))
        raise InputError(f"latent_lower[{i}] = {lo[i]:.6g} exceeds latent_upper[{i}] = {hi[i]:.6g}")
    return lo.copy(), hi.copy()


@dataclass
class Instance:
    """An inversion problem: find z in [lower, upper] with A G(z) = target (or closest), A the
    ``measurement`` (None: the identity, G(z) = target)."""

    network: ReluNetwork
    target: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    meta: dict = field(default_factory=dict)
    measurement: Measurement | None = None

    def __post_init__(self) -> None:
        noisy = bool(self.meta.get("noise", 0))
        self.target = check_target(self.measured_network, self.target, allow_negative=noisy)
        self.lower, self.upper = make_box(self.network, (self.lower, self.upper))

    @property
    def measured_network(self) -> ReluNetwork | SmoothMeasured:
        """A∘G, the network whose outputs the target observes (G itself without a measurement)."""
        return self.network if self.measurement is None else self.measurement.measured(self.network)

    def exact_network(self) -> ReluNetwork:
        """A∘G as a piecewise-linear network, for the exact models (refused after a smooth output)."""
        return self.network if self.measurement is None else self.measurement.compose(self.network)

    @property
    def planted_z(self) -> np.ndarray | None:
        z = self.meta.get("planted_z")
        return None if z is None else np.asarray(z, dtype=np.float64)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = self.network.to_arrays()
        if self.measurement is not None:
            arrays.update(self.measurement.to_arrays())
        arrays.update(
            target=self.target, latent_lower=self.lower, latent_upper=self.upper, meta=np.array(json.dumps(self.meta))
        )
        return arrays

    def save(self, path: str | Path) -> None:
        write_npz(path, self.to_arrays())

    @classmethod
    def load(cls, path: str | Path) -> Instance:
        arrays = read_npz(path)
        for key in ("target", "latent_lower", "latent_upper"):
            if key not in arrays:
                raise InputError(f"{path}: missing '{key}'; this looks like a network file, not an instance")
        meta = parse_meta(arrays.get("meta"))
        try:
            net = ReluNetwork.from_arrays(arrays)
            measurement = Measurement.from_arrays(arrays)
            return cls(net, arrays["target"], arrays["latent_lower"], arrays["latent_upper"], meta, measurement)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None


def parse_meta(raw) -> dict:
    """Decode the ``meta`` JSON string of an instance file."""
    if raw is None:
        return {}
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise InputError(f"meta: not valid JSON ({exc.msg})") from None
    if not isinstance(meta, dict):
        raise InputError("meta: expected a JSON object")
    return meta


def plant_instance(
    network: ReluNetwork,
    seed: int | None = None,
    box: float = DEFAULT_BOX,
    noise: float = 0.0,
    measurement: Measurement | None = None,
) -> Instance:
    """Plant z ~ N(0, I) truncated to [-box, box]^n and observe x = G(z), or y = A G(z) under a
    ``measurement`` A (+ N(0, noise^2) on each observed value)."""
    rng = make_rng(seed)
    lower, upper = make_box(network, box)
    if measurement is not None:
        measurement.check(network)
    z = rng.normal(size=network.input_dim)
    for _ in range(1000):
        out = (z < lower) | (z > upper)
        if not out.any():
            break
        z[out] = rng.normal(size=int(out.sum()))
    z = np.clip(z, lower, upper)
    x = network.forward(z) if measurement is None else measurement.apply(network.forward(z))
    if noise < 0 or not np.isfinite(noise):
        raise InputError(f"noise: must be a finite number >= 0, got {noise}")
    meta: dict[str, Any] = {
        "generator": "plant_instance",
        "seed": seed,
        "planted_z": z.tolist(),
        "known_answer": "feasible" if noise == 0 else "unknown",
    }
    if noise > 0:
        e = rng.normal(0.0, noise, size=x.shape)
        meta.update(noise=float(noise), noise_l1=float(np.abs(e).sum()), noise_linf=float(np.abs(e).max()))
        x = x + e
    if measurement is not None:
        meta["measurement"] = measurement.describe()
    return Instance(network, x, lower, upper, meta, measurement)
