"""benchmarks/paper_recovery.py (the Lei et al. 2019 random-network experiments) on a tiny grid."""

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("paper_recovery", ROOT / "benchmarks" / "paper_recovery.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def tiny(bench, tmp_path_factory):
    """Expansion 6 at every layer (grow) and a non-expanding second layer (flat); one noise level."""
    cfg = bench.Config(
        series=(bench.Series("grow", 2, 6), bench.Series("flat", 2, 6)),
        ratios=(6.0,),
        trials=3,
        noise_dims=(20, 60, 180),
        sigmas=(1e-3,),
        noise_trials=1,
        seed=5,
    )
    paths = bench.run(cfg, tmp_path_factory.mktemp("paper"), progress=False)
    expansion = list(csv.DictReader(paths["expansion"].open()))
    noise = list(csv.DictReader(paths["noise"].open()))
    return cfg, paths, expansion, noise


def test_layerwise_recovers_the_planted_z_when_every_layer_expands(tiny):
    _, _, expansion, _ = tiny
    rows = [r for r in expansion if r["layout"] == "grow" and r["method"] == "layerwise"]
    assert len(rows) == 3
    for r in rows:
        assert r["status"] == "optimal" and r["outcome"] == "recovered"
        assert float(r["rel_error"]) < 1e-9  # an LP/least-squares solve, not an iterative approximation


def test_every_claimed_preimage_is_verified(tiny):
    _, _, expansion, _ = tiny
    claimed = [r for r in expansion if r["status"] == "optimal"]
    assert claimed
    for r in claimed:
        assert float(r["residual_linf"]) <= 1e-5
        assert (r["outcome"] == "recovered") == (float(r["rel_error"]) <= 1e-3)


def test_noisy_error_scales_with_the_noise(tiny, bench):
    cfg, _, _, noise = tiny
    sigma, k = cfg.sigmas[0], cfg.noise_dims[0]
    assert {r["method"] for r in noise} == {"layerwise-linf", "layerwise-l1", "gd"}
    for r in noise:
        assert float(r["error"]) <= 20 * sigma * np.sqrt(k), r
        norm = "l1" if r["method"] == "layerwise-l1" else "linf"
        if r["method"].startswith("layerwise"):  # as good as the planted z, up to a small factor
            assert float(r[f"residual_{norm}"]) <= 1.5 * float(r[f"noise_{norm}"]), r


def test_outputs_are_written(tiny, bench):
    cfg, paths, expansion, noise = tiny
    assert len(expansion) == 2 * len(cfg.series) * len(cfg.ratios) * cfg.trials
    assert len(noise) == 3 * len(cfg.noise_kinds) * len(cfg.sigmas) * cfg.noise_trials
    png = paths["plot"].read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    table = bench.markdown(expansion, noise)
    assert "| grow depth 2 k=6 | 3 / " in table and "| 0.001 |" in table


def test_bad_series_is_one_clear_error(bench, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--series", "wide:2:20", "--out-dir", "unused"])
    assert exc.value.code == 2
    assert "layout one of" in capsys.readouterr().err
