"""The soundness campaign's ``preimage`` regime (benchmarks/soundness.py) runs and finds nothing
wrong on its first instances: a planted and a far target, each judged against the oracle."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "soundness.py"


@pytest.fixture(scope="module")
def campaign():
    spec = importlib.util.spec_from_file_location("soundness_campaign", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.parametrize("seed", [9_000_000, 9_000_005])  # planted (nonempty), far (empty)
def test_preimage_regime_judges_every_claim(campaign, seed):
    case = campaign.make_case("preimage", seed)
    truth, info = campaign.base_truth(case)
    outcomes = [campaign.run_path(case, p, 20.0) for p in campaign.choose_paths(case)]
    result = campaign.finish_instance(case, truth, info, outcomes)
    verdicts = [(r["status"], r["verdict"], r["reason"]) for r in result["rows"]]
    assert [v[1] for v in verdicts] == ["ok"], verdicts
    assert verdicts[0][0] == ("nonempty" if case.note == "planted" else "empty")
    assert truth.preimage.points or verdicts[0][0] == "empty"
