"""Start-up: each command imports what it needs and no more (a fresh process per check), and the
lazily imported public API stays the API."""

import json
import subprocess
import sys

import numpy as np
import pytest

import milpinv
from milpinv.network import ReluNetwork

HEAVY = ("numpy", "scipy", "highspy")
OPTIONAL = ("torch", "onnx", "onnxsim", "onnxruntime", "pyomo", "ortools", "dask", "distributed", "matplotlib")
OPTIONAL += ("networkx", "pysat", "sklearn", "tqdm")


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_milpinv_and_help_load_no_numpy():
    assert not loaded_after("import milpinv") & set(HEAVY)
    assert not loaded_after("from milpinv.cli.main import main; assert main(['--help']) == 0") & set(HEAVY)
    assert not loaded_after("from reductions.cli import main; assert main(['--help']) == 0") & set(HEAVY)


def test_a_small_invert_loads_no_optional_package(tmp_path):
    net = ReluNetwork.random([4, 8, 8], seed=0)
    milpinv.plant_instance(net, seed=1).save(tmp_path / "inst.npz")
    code = f"from milpinv.cli.main import main; assert main(['invert', {str(tmp_path / 'inst.npz')!r}]) == 0"
    assert not loaded_after(code) & set(OPTIONAL)


def test_every_command_gets_its_arguments_and_its_summary(cli):
    from milpinv.cli.main import COMMANDS

    code, out, _ = cli("--help")
    assert code == 0 and all(name in out for name in COMMANDS)
    for name, (_, summary) in COMMANDS.items():
        code, out, _ = cli(name, "--help")
        assert code == 0 and f"usage: milpinv {name}" in out and " ".join(summary.split()[:3]) in out


@pytest.mark.parametrize("first", ["package", "module"])
def test_the_public_api_is_the_same_whichever_is_imported_first(first):
    """``milpinv.invert`` is the function even when the module ``milpinv.invert`` is imported first
    (the import system would otherwise rebind the package attribute to the module)."""
    before = "from milpinv.invert import METHOD_NAMES; from milpinv.embed import embed" if first == "module" else ""
    code = f"""{before}
import milpinv
from milpinv import invert as imported
assert milpinv.invert is imported and callable(imported) and imported.__module__ == "milpinv.invert"
assert callable(milpinv.embed) and milpinv.embed.__module__ == "milpinv.embed"
assert all(getattr(milpinv, name) is not None for name in milpinv.__all__)
assert set(milpinv.__all__) <= set(dir(milpinv))
try:
    milpinv.no_such_name
except AttributeError as exc:
    assert "no_such_name" in str(exc)
else:
    raise AssertionError("no AttributeError")
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_onnx_shape_folding_does_not_import_torch_and_reads_the_same_network(tmp_path):
    """onnxsim is imported with torch held back (it imports torch only for a bridge milpinv does not
    use); the network read is the one read where torch is loaded."""
    pytest.importorskip("onnxsim")
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    generator = nn.Sequential(
        nn.Linear(3, 12), nn.ReLU(), nn.Unflatten(1, (3, 2, 2)), nn.ConvTranspose2d(3, 2, 4, 2, 1), nn.Tanh()
    ).eval()
    path = tmp_path / "g.onnx"
    torch.onnx.export(generator, (torch.zeros(1, 3),), str(path), input_names=["z"], dynamo=False)
    in_process = ReluNetwork.from_onnx(path)  # torch is loaded here: onnxsim imported as it is
    code = (
        f"from milpinv.network import ReluNetwork\n"
        f"ReluNetwork.from_onnx({str(path)!r}).save({str(tmp_path / 'net.npz')!r})"
    )
    assert "torch" not in loaded_after(code)
    fresh = ReluNetwork.load(tmp_path / "net.npz")
    assert fresh.dims == in_process.dims and fresh.output_activation == in_process.output_activation
    z = np.random.default_rng(0).normal(size=(5, 3))
    assert np.array_equal(fresh.forward(z), in_process.forward(z))
