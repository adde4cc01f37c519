"""examples/dcgan_digits.py, shrunk: train a DCGAN-style generator, read it, invert, project,
inpaint, sense; every number the table reports is re-derived here from a float64 forward pass.

The generator is shrunk to C = 2 (32 hidden units), where every MILP of the example finishes in
about a second, and the time limits are generous: no assertion depends on a clock deciding which
path runs (gradient descent's status is not asserted, only its re-checked residuals)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from milpinv.tolerance import tolerance

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dcgan_digits.py"


@pytest.fixture(scope="module")
def example():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("dcgan_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("dcgan") / "d.png"
    argv = ["--epochs", "3", "--channels", "2", "--count", "1", "--time-limit", "300", "--gd-time", "1"]
    argv += ["--node-limit", "100"]  # the pixel l1 searches: a budget of nodes, not the clock
    return example.main(argv + ["--sweep", "", "--out", str(out)]), out


def observed_residual(net, row: dict) -> np.ndarray:
    """G(z) - target on what the row's task observed (the visible half for inpainting)."""
    out = net.forward(np.array(row["z"]))
    if row["task"].startswith("inpaint"):
        out = out[:32]  # --mask bottom: the top four rows are seen
    return out - np.array(row["target"])


def test_generator_reads_as_torch_computes(example, run):
    import torch

    result, _ = run
    net, generator = result["network"], result["generator"]
    assert net.dims == (6, 32, 64) and net.output_activation == "tanh"
    z = np.random.default_rng(5).uniform(-1, 1, size=(8, 6))
    with torch.no_grad():
        ref = generator.double()(torch.tensor(z).reshape(8, 6, 1, 1)).reshape(8, 64).numpy()
    generator.float()
    assert max(np.abs(net.forward(z[i]) - ref[i]).max() for i in range(8)) < 1e-12
    assert result["forward_gap"] < 1e-12


def test_every_z_is_rechecked(run):
    result, _ = run
    net, rows = result["network"], result["rows"]
    checked = 0
    for row in rows:
        if row.get("z") is None:
            continue
        assert row["recheck"] is not None and row["recheck"] < 1e-9, row  # the example's own re-check
        z = np.array(row["z"])
        assert np.all(np.abs(z) <= 1.0 + 1e-12), row  # in the latent box
        if row["task"].split()[0] in ("invert", "project", "inpaint"):
            diff = observed_residual(net, row)
            expect = np.abs(diff).sum() if "(l1)" in row["task"] else np.abs(diff).max()  # exact: linf
            assert abs(row["residual"] - expect) <= 1e-12 * max(1.0, expect), row
            checked += 1
    assert checked >= 6


def test_planted_target_is_inverted_exactly(run):
    result, _ = run
    net, rows = result["network"], result["rows"]
    (milp,) = [r for r in rows if r["task"] == "invert G(z*)" and r["method"] == "milp"]
    x = np.array(milp["target"])
    assert milp["status"] == "optimal" and milp["verified"]
    assert np.abs(net.forward(np.array(milp["z"])) - x).max() <= tolerance(x)
    assert milp["bound"] == 0.0  # exact norm: the optimum 0 is proven by the verified pre-image
    (pre,) = [r for r in rows if r["task"].startswith("cs-pre")]
    assert pre["status"] == "optimal" and pre["verified"] and pre["recheck"] < 1e-9


def test_statuses_say_what_was_proven(run):
    result, out = run
    rows = result["rows"]
    by = {(r["task"], r["method"]): r for r in rows}
    for method in ("milp", "layerwise"):  # a dense A after Tanh: refused in one line naming tanh
        assert by[("cs m=32 (l1)", method)]["status"] == "refused" and "tanh" in by[("cs m=32 (l1)", method)]["note"]
    assert by[("cs m=32 (l1)", "gd")]["z"] is not None
    for task in ("project (l1)", "inpaint (l1)"):  # Tanh output under l1: a certified bound in pixels
        milp = by[(task, "milp")]
        assert milp["status"] in ("optimal", "feasible") and milp["bound"] is not None
        assert milp["bound"] <= milp["objective"] + 1e-9 and milp["objective"] == pytest.approx(milp["residual"])
        assert by[(task, "layerwise")]["status"] == "refused"
    # 32 hidden units under 64 pixels: layer-wise applies and its answer is a verified pre-image
    assert by[("invert G(z*)", "layerwise")]["status"] == "optimal" and by[("invert G(z*)", "layerwise")]["verified"]
    planted = by[("inpaint G(z*) (exact)", "milp")]  # the visible half matched exactly, re-checked above
    assert planted["status"] == "optimal" and planted["verified"]
    table = json.loads(out.with_suffix(".json").read_text())
    assert len(table) == len(rows) and out.with_suffix(".csv").read_text().count("\n") == len(rows) + 1
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.stat().st_size > 1000
