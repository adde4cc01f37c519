"""Fuzzing the file readers, parsers and the CLI commands that read files.

Every reader, on any bytes, either returns a valid object or raises :class:`InputError`; never
any other exception. Every command, on a fuzzed file, exits 0-3 (a valid file that happened to
parse) or 2 with exactly one line on stderr, never a traceback. ``HYPOTHESIS_PROFILE=thorough``
runs many more examples.
"""

import contextlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import one_line_error
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import InputError, Instance, Measurement, ReluNetwork, plant_instance
from milpinv.experiments.runner import load_manifest, make_tasks
from milpinv.files import read_npy
from reductions.dimacs import parse_dimacs, read_dimacs
from reductions.problems import CNF, SubsetSum
from reductions.subsetsum_io import parse_subsetsum, read_subsetsum

READER_SETTINGS = settings(max_examples=4 * settings().max_examples)  # readers are fast: fuzz them harder


def parses_or_input_error(fn, *args):
    """fn(*args), or None when it raises InputError; any other exception fails the test."""
    try:
        return fn(*args)
    except InputError as exc:
        assert "\n" not in str(exc), f"multi-line error: {exc!r}"
        return None


@contextlib.contextmanager
def scratch():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def valid_instance_bytes(seed: int = 0, dims=(2, 3, 4)) -> bytes:
    net = ReluNetwork.random(list(dims), seed=seed, bias_scale=0.5)
    with scratch() as d:
        plant_instance(net, seed=seed).save(d / "i.npz")
        return (d / "i.npz").read_bytes()


VALID_NPZ = valid_instance_bytes()


@st.composite
def mutated(draw, base: bytes):
    """Truncations, byte overwrites, insertions and deletions of ``base``."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "truncate":
            del data[pos:]
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos : pos + len(chunk)] = chunk
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[pos : pos + draw(st.integers(1, 32))]
    return bytes(data)


def any_bytes(base: bytes):
    return st.one_of(st.binary(max_size=600), mutated(base))


# ------------------------------------------------------------------- .npz files
def check_instance(inst: Instance) -> None:
    net = inst.network
    assert inst.target.shape == (net.output_dim,) and np.all(np.isfinite(inst.target))
    assert inst.lower.shape == inst.upper.shape == (net.input_dim,) and np.all(inst.lower <= inst.upper)
    assert all(np.all(np.isfinite(w)) for w in net.weights + net.biases)


def check_npz_bytes(data: bytes) -> None:
    with scratch() as d:
        (d / "f.npz").write_bytes(data)
        inst = parses_or_input_error(Instance.load, d / "f.npz")
        if inst is not None:
            check_instance(inst)
        parses_or_input_error(ReluNetwork.load, d / "f.npz")


@READER_SETTINGS
@given(any_bytes(VALID_NPZ))
def test_npz_readers_on_corrupted_bytes(data):
    check_npz_bytes(data)


ARRAY_DTYPES = ["<f8", "<f4", ">f8", "<i8", "|u1", "|b1", "<c16", "<U3", "|S2", "<m8[s]", "|V4"]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 1e-320, np.nan, np.inf, -np.inf, 3.0, 1e9]


@st.composite
def odd_arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(ARRAY_DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    size = int(np.prod(shape, dtype=int))
    if dtype.kind in "fc":
        values = draw(st.lists(st.sampled_from(SPECIAL), min_size=size, max_size=size))
        with np.errstate(over="ignore"):  # 1e308 as float32 is inf: fine, that is a case too
            return np.array(values, dtype=dtype).reshape(shape)
    if dtype.kind in "iub":
        return np.array(draw(st.lists(st.integers(-3, 3), min_size=size, max_size=size))).astype(dtype).reshape(shape)
    return np.zeros(shape, dtype=dtype)


@st.composite
def odd_npz(draw):
    """Archives with the right key names holding arrays of any dtype, shape and value."""
    keys = draw(
        st.lists(
            st.sampled_from(
                [
                    "W0",
                    "b0",
                    "W1",
                    "b1",
                    "W3",
                    "target",
                    "latent_lower",
                    "latent_upper",
                    "output_activation",
                    "meta",
                    "junk",
                ]
            ),
            unique=True,
            max_size=9,
        )
    )
    arrays = {k: draw(odd_arrays()) for k in keys}
    if "meta" in arrays and draw(st.booleans()):
        arrays["meta"] = np.array(draw(st.sampled_from(['{"noise": 1}', "[1]", "{", '"x"', '{"planted_z": "a"}'])))
    if "output_activation" in arrays and draw(st.booleans()):
        arrays["output_activation"] = np.array(draw(st.sampled_from(["relu", "linear", "tanh", ""])))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@READER_SETTINGS
@given(odd_npz())
def test_npz_readers_on_odd_arrays(data):
    check_npz_bytes(data)


def npy_member(shape, descr="<f8", payload=b"\0" * 64) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


@pytest.mark.parametrize(
    "shape, fragment",
    [
        ((10**12,), "beyond the limit"),
        ((10**6, 10**6), "beyond the limit"),
        ((2**40, 2**40), "beyond the limit"),
        ((1000,), "truncated"),
    ],
)
def test_absurd_declared_sizes_are_refused_before_allocation(tmp_path, shape, fragment):
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as zf:
        zf.writestr("W0.npy", npy_member(shape))
        zf.writestr("b0.npy", npy_member((2,)))
    with pytest.raises(InputError, match=fragment):
        ReluNetwork.load(tmp_path / "big.npz")
    (tmp_path / "x.npy").write_bytes(npy_member(shape))
    with pytest.raises(InputError, match=fragment):
        read_npy(tmp_path / "x.npy", "target")


@pytest.mark.parametrize(
    "command, fragment",
    [
        (["random-net", "--dims", "100000,100000,100000", "--out", "{d}/n.npz"], "more than 50,000,000 weights"),
        (["random-net", "--dims", "99999999999999999999999,2", "--out", "{d}/n.npz"], "more than 50,000,000 weights"),
    ],
)
def test_absurd_cli_sizes_name_the_limit(cli, tmp_path, command, fragment):
    code, out, err = cli(*[a.format(d=tmp_path) for a in command])
    assert code == 2 and fragment in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "name, text, args, fragment",
    [
        ("huge.cnf", "p cnf 100000000 1\n1 2 -3 0\n", [], "nonzero weights, beyond the limit"),
        (
            "long.cnf",
            "p cnf 3 6000\n" + "1 -2 3 0\n" * 6000,
            ["--to", "subset-sum"],
            "decimal digits, beyond the limit",
        ),
        ("huge.ss", "p subset-sum 2\nt 5\n1 " + "9" * 400 + "\n", [], "exceed 2^52"),
        ("giant.ss", "p subset-sum 2\nt 5\n1 " + "9" * 5000 + "\n", [], "digits, beyond the limit of 4000"),
    ],
)
def test_absurd_reduction_sizes_name_the_limit(rcli, tmp_path, name, text, args, fragment):
    (tmp_path / name).write_text(text)
    out_name = "r.ss" if "subset-sum" in args else "r.npz"  # a mismatched name is refused first
    code, out, err = rcli("reduce", tmp_path / name, "--out", tmp_path / out_name, *args)
    assert code == 2 and fragment in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["3sat", "--n", "40000000"], "exceeds the limit"),
        (["3sat", "--n", "100000", "--ratio", "1e300"], "exceeds the limit"),
        (["subset-sum", "--n", "40000000"], "must be in 1.."),
        (["subset-sum", "--n", "1000000000"], "--n: expected an integer in 1..50000000"),  # the parser's range
    ],
)
def test_absurd_generator_sizes_name_the_limit(rcli, tmp_path, args, fragment):
    code, out, err = rcli("generate", *args, "--count", "1", "--out", tmp_path)
    assert code == 2 and fragment in err.splitlines()[-1]


# ------------------------------------------------------------ target files
@READER_SETTINGS
@given(st.sampled_from([".npy", ".txt", ".csv"]), st.data())
def test_target_reader(suffix, data):
    base = {".npy": npy_member((4,), payload=np.arange(4.0).tobytes()), ".txt": b"1 2 3\n4 5 6\n", ".csv": b"1,2,3\n"}[
        suffix
    ]
    raw = data.draw(
        st.one_of(any_bytes(base), st.text(alphabet="0123456789.,-e \n\tnaifNI", max_size=80).map(str.encode))
    )
    with scratch() as d:
        (d / f"x{suffix}").write_bytes(raw)
        arr = parses_or_input_error(read_npy, d / f"x{suffix}", "target")
        if arr is not None:
            assert isinstance(arr, np.ndarray)


# ------------------------------------------------------------ DIMACS and subset-sum
def dimacs_lines():
    num = st.one_of(st.integers(-6, 6), st.integers(-(10**30), 10**30)).map(str)
    line = st.one_of(
        st.builds(lambda v, c: f"p cnf {v} {c}", st.integers(-2, 8), st.integers(-2, 8)),
        st.lists(num, max_size=6).map(" ".join),
        st.lists(num, max_size=4).map(lambda t: " ".join(t + ["0"])),
        st.sampled_from(["c comment", "%", "0", "p cnf", "p dnf 2 2", "", "   ", "p cnf 1e3 2", "-0"]),
        st.text(max_size=12),
    )
    return st.lists(line, max_size=12).map("\n".join)


@READER_SETTINGS
@given(dimacs_lines())
def test_dimacs_parser(text):
    cnf = parses_or_input_error(parse_dimacs, text)
    if cnf is not None:
        assert isinstance(cnf, CNF)
        assert all(c and all(0 < abs(l) <= cnf.num_vars for l in c) for c in cnf.clauses)


def subsetsum_lines():
    num = st.one_of(st.integers(-3, 50), st.integers(0, 10**40), st.just("9" * 5000)).map(str)
    line = st.one_of(
        st.builds(lambda n: f"p subset-sum {n}", st.integers(-1, 6)),
        st.builds(lambda t: f"t {t}", num),
        st.lists(num, max_size=6).map(" ".join),
        st.sampled_from(["c x", "p subset-sum", "t", "t 1 2", "", "p knapsack 2"]),
        st.text(max_size=12),
    )
    return st.lists(line, max_size=8).map("\n".join)


@READER_SETTINGS
@given(subsetsum_lines())
def test_subsetsum_parser(text):
    ss = parses_or_input_error(parse_subsetsum, text)
    if ss is not None:
        assert isinstance(ss, SubsetSum) and ss.target >= 0 and all(w >= 0 for w in ss.weights)


@READER_SETTINGS
@given(st.binary(max_size=300), st.sampled_from([read_dimacs, read_subsetsum]))
def test_text_readers_on_random_bytes(data, reader):
    with scratch() as d:
        (d / "f").write_bytes(data)
        parses_or_input_error(reader, d / "f")


# ------------------------------------------------------------------ manifest.json
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def manifests(draw):
    entry = st.fixed_dictionaries(
        {"file": st.one_of(st.just("a.npz"), JSON)},
        optional={
            "known_answer": st.one_of(st.sampled_from(["feasible", "infeasible", "unknown"]), JSON),
            "norm": JSON,
            "params": JSON,
            "objective_upper": JSON,
        },
    )
    doc = draw(
        st.one_of(JSON, st.fixed_dictionaries({"instances": st.lists(entry, max_size=3)}, optional={"suite": JSON}))
    )
    text = json.dumps(doc).encode()
    return draw(st.one_of(st.just(text), mutated(text), st.binary(max_size=100)))


@READER_SETTINGS
@given(manifests())
def test_manifest_reader(data):
    with scratch() as d:
        (d / "manifest.json").write_bytes(data)
        (d / "a.npz").write_bytes(VALID_NPZ)
        manifest = parses_or_input_error(load_manifest, d)
        if manifest is not None:
            assert all(isinstance(e["file"], str) for e in manifest["instances"])
            tasks = parses_or_input_error(make_tasks, d, ["milp", "gd"], 1.0)
            assert tasks is None or len(tasks) == 2 * len(manifest["instances"])


# ------------------------------------------------------------------------ ONNX
def valid_onnx_bytes() -> bytes | None:
    try:
        import onnx
    except ImportError:
        return None
    del onnx  # only its presence matters here
    with scratch() as d:
        ReluNetwork.random([2, 3, 2], seed=0, bias_scale=0.5, output_activation="linear").to_onnx(d / "m.onnx")
        return (d / "m.onnx").read_bytes()


VALID_ONNX = valid_onnx_bytes()


@READER_SETTINGS
@given(st.data())
def test_onnx_reader_on_corrupted_bytes(data):
    if VALID_ONNX is None:
        pytest.skip("onnx is not installed")
    raw = data.draw(any_bytes(VALID_ONNX))
    with scratch() as d:
        (d / "m.onnx").write_bytes(raw)
        parses_or_input_error(ReluNetwork.from_onnx, d / "m.onnx")


OPS = ["Gemm", "MatMul", "Add", "Relu", "Identity", "Flatten", "Dropout", "Sigmoid"]


@st.composite
def onnx_chains(draw):
    """Random chains of ops whose constants mostly, not always, fit the running width."""
    from onnx import TensorProto, helper, numpy_helper

    width = cur = draw(st.integers(1, 4))
    nodes, inits, h = [], [], "z"
    for k in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(OPS))
        out = f"t{k}"
        if op in ("Gemm", "MatMul", "Add"):
            m = draw(st.integers(1, 4))
            fits = [(cur, m), (m, cur)] if op != "Add" else [(cur,), (1, cur), (1,), ()]
            shape = draw(st.one_of(st.sampled_from(fits), st.lists(st.integers(1, 4), max_size=3).map(tuple)))
            cur = m if op != "Add" else cur
            inits.append(
                numpy_helper.from_array(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 7 - 0.3, f"c{k}")
            )
            ins = [h, f"c{k}"] if draw(st.integers(0, 3)) else [f"c{k}", h]
            if op == "Gemm" and draw(st.booleans()):
                ins.append(f"c{k}")  # its own weight as the bias C: fits only sometimes
            attrs = (
                {
                    "transB": draw(st.integers(0, 1)),
                    "transA": draw(st.integers(0, 1)),
                    "alpha": draw(st.sampled_from([1.0, -0.5])),
                }
                if op == "Gemm"
                else {}
            )
            nodes.append(helper.make_node(op, ins, [out], **attrs))
        else:
            nodes.append(helper.make_node(op, [h], [out]))
        h = out
    nodes[-1].output[0] = "x"
    graph = helper.make_graph(
        nodes,
        "fuzz",
        [helper.make_tensor_value_info("z", TensorProto.DOUBLE, ["batch", width])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", "n"])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    return model, width


@READER_SETTINGS
@given(st.data())
def test_onnx_reader_on_random_chains_agrees_with_onnxruntime(data):
    """Whenever from_onnx accepts a graph, onnxruntime runs it and agrees."""
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model, width = data.draw(onnx_chains())
    net = parses_or_input_error(ReluNetwork.from_onnx, model)
    if net is None:
        return
    z = np.linspace(-1.0, 1.0, 3 * width).reshape(3, width)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"z": z})[0]
    assert ref.shape == (3, net.output_dim)
    assert np.allclose(net.forward(z), ref, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------- CLI
CLI_SETTINGS = settings(max_examples=max(10, settings().max_examples // 2))  # in-process commands: slower


def run_main(main, args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def assert_clean_exit(code: int, err: str) -> None:
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.strip(), err
    else:
        assert code in (0, 1, 3), (code, err)


CLI_NPZ = [
    ["invert", "{f}", "--time-limit", "5"],
    ["invert", "{f}", "--method", "layerwise"],
    ["preimage", "{f}", "--no-pieces", "--time-limit", "5"],
    ["export", "{f}", "--out", "{d}/m.mps"],
]


@CLI_SETTINGS
@given(any_bytes(VALID_NPZ), st.sampled_from(CLI_NPZ))
def test_milpinv_commands_on_fuzzed_instance_files(data, command):
    from milpinv.cli.main import main

    with scratch() as d:
        (d / "i.npz").write_bytes(data)
        code, _, err = run_main(main, [a.format(f=d / "i.npz", d=d) for a in command])
        assert_clean_exit(code, err)


@CLI_SETTINGS
@given(st.data())
def test_milpinv_invert_onnx_on_fuzzed_model_and_target(data):
    if VALID_ONNX is None:
        pytest.skip("onnx is not installed")
    from milpinv.cli.main import main

    model = data.draw(st.one_of(st.just(VALID_ONNX), any_bytes(VALID_ONNX)))
    target = data.draw(any_bytes(npy_member((2,), payload=np.array([0.5, -0.25]).tobytes())))
    with scratch() as d:
        (d / "m.onnx").write_bytes(model)
        (d / "x.npy").write_bytes(target)
        code, _, err = run_main(main, ["invert", d / "m.onnx", "--target", d / "x.npy", "--time-limit", "5"])
        assert_clean_exit(code, err)


def structured_base(kind: str) -> dict[str, np.ndarray]:
    """A valid instance with a sparse first layer (CSR fields) observed through a ``kind`` measurement."""
    w0 = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, -3.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.5, -1.0]]))
    net = ReluNetwork([w0, np.eye(4)[[0, 1, 3, 2]] + 0.5], [np.zeros(4), np.array([0.1, 0.0, -0.2, 0.3])])
    measurement = {
        "avgpool": Measurement.avgpool((1, 2, 2), 2),
        "matrix": Measurement.matrix(np.arange(8.0).reshape(2, 4) / 7 - 0.4),
        "mask": Measurement.mask([1, 0, 1, 1]),
    }[kind]
    return plant_instance(net, seed=2, box=2.0, measurement=measurement).to_arrays()


STRUCTURED = {kind: structured_base(kind) for kind in ("avgpool", "matrix", "mask")}
CSR_FIELDS = ["W0.data", "W0.indices", "W0.indptr", "W0.shape"]
MEASUREMENT_FIELDS = {
    "avgpool": ["measurement_image", "measurement_pool"],
    "matrix": ["measurement_matrix"],
    "mask": ["measurement_mask"],
}
ODD_VALUES = [-1, 0, 1, 2, 3, 4, 5, 7, 99, 2**31, 2**62, -(2**62), 1.5, 2.0, 1e300, -1e300, np.nan, np.inf]
ODD_DTYPES = ["<f8", "<f4", "<i4", "<i2", "<u8", "|u1", "|b1", "<U4", "|S2"]


@st.composite
def corrupted_field(draw, arr: np.ndarray) -> np.ndarray:
    """One corruption of a valid array: an entry set to an odd value, another dtype, one entry
    more or fewer, or a scalar in its place."""
    how = draw(st.sampled_from(["entry", "dtype", "length", "scalar"]))
    a = np.array(arr)
    if how == "entry" and a.size:
        value = draw(st.sampled_from(ODD_VALUES))
        if a.dtype.kind in "iub":  # room for the value
            a = a.astype(np.float64 if isinstance(value, float) else np.int64)
        with np.errstate(all="ignore"):
            a.reshape(-1)[draw(st.integers(0, a.size - 1))] = value
        return a
    if how == "dtype":
        with np.errstate(all="ignore"):
            return a.astype(draw(st.sampled_from(ODD_DTYPES)))
    if how == "length" and a.ndim == 1:
        return a[:-1] if draw(st.booleans()) else np.append(a, a[:1])
    return np.array(draw(st.sampled_from(ODD_VALUES + ["a", "2,2"])))


@st.composite
def structured_files(draw) -> dict[str, np.ndarray]:
    kind = draw(st.sampled_from(sorted(STRUCTURED)))
    arrays = dict(STRUCTURED[kind])
    fields = draw(st.lists(st.sampled_from(CSR_FIELDS + MEASUREMENT_FIELDS[kind]), min_size=1, max_size=3, unique=True))
    for name in fields:
        arrays[name] = draw(corrupted_field(arrays[name]))
    return arrays


def run_child(*args) -> subprocess.CompletedProcess:
    """``milpinv ARGS`` in a child process (a crash kills the child, not the tests)."""
    command = [sys.executable, "-m", "milpinv", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


SUBPROCESS_SETTINGS = settings(max_examples=max(10, settings().max_examples // 2))
STRUCTURED_COMMANDS = [
    ["invert", "{f}", "--method", "milp", "--time-limit", "5"],
    ["invert", "{f}", "--method", "auto", "--norm", "linf", "--time-limit", "5"],
    ["preimage", "{f}", "--time-limit", "5"],
]


@SUBPROCESS_SETTINGS
@given(structured_files(), st.sampled_from(STRUCTURED_COMMANDS))
def test_corrupted_csr_and_measurement_fields_load_or_are_one_line(arrays, command):
    """Audit: strings in W0.shape / W0.data, a decreasing indptr, a CSR index out of range (a
    segfault, or messages built from out-of-bounds reads), measurement_image = [1e300, 1, 3],
    float indices and measurement_pool = 1.5 (silently truncated). Each corrupted file loads and
    runs, or is refused with one line and exit 2; a child process, so that a crash shows as one."""
    with scratch() as d:
        np.savez(d / "i.npz", **arrays)
        run = run_child(*[a.format(f=d / "i.npz") for a in command])
    assert run.returncode >= 0, f"killed by signal {-run.returncode}: {run.stderr[-500:]}"
    assert_clean_exit(run.returncode, run.stderr)


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("W0.shape", np.array(["a", "3"]), "W0.shape: expected integers"),
        ("W0.data", np.array(list("abcdefgh")), "W0.data: expected numbers"),
        ("W0.indptr", np.array([0, 3, 1, 6, 8]), "W0.indptr: decreases"),
        ("W0.indices", np.array([0, 2, 1, 0, 1, 2, 1, 10**9]), "W0.indices[7] = 1000000000: outside the 3 columns"),
        ("W0.indices", np.array([0, 2, 1, 0, 1, 2, 1, -5]), "outside the 3 columns"),
        ("W0.indices", np.array([0, 2, 1, 0, 1, 2, 1, 2.0]), "W0.indices: expected integers"),
        ("measurement_image", np.array([1e300, 1, 3]), "measurement_image: expected integers"),
        ("measurement_image", np.array([1, 2.5, 2]), "measurement_image: expected integers"),
        ("measurement_pool", np.array(1.5), "measurement_pool: expected integers"),
        ("measurement_image", np.array([2**40, 2**40, 1]), "more than 50000000 values"),
    ],
)
def test_each_audited_corruption_is_one_line(tmp_path, field, value, fragment):
    """The audit's files, one by one (before: a segfault, tracebacks, or a silent truncation)."""
    arrays = dict(STRUCTURED["avgpool"])
    arrays[field] = value
    np.savez(tmp_path / "i.npz", **arrays)
    run = run_child("invert", tmp_path / "i.npz", "--method", "milp")
    one_line_error(run.returncode, run.stdout, run.stderr, fragment)


VALID_CNF = b"c x\np cnf 3 2\n1 -2 3 0\n-1 2 0\n"
VALID_SS = b"p subset-sum 3\nt 5\n2 3 4\n"


def reduced_instance_bytes() -> bytes:
    from reductions.registry import get_reduction

    with scratch() as d:
        get_reduction("3sat", "relu").reduce(parse_dimacs(VALID_CNF.decode())).save(d / "r.npz")
        return (d / "r.npz").read_bytes()


REDUCED_NPZ = reduced_instance_bytes()


@CLI_SETTINGS
@given(st.sampled_from([(".cnf", VALID_CNF), (".ss", VALID_SS)]), st.data())
def test_reductions_commands_on_fuzzed_files(kind, data):
    from reductions.cli import main

    suffix, base = kind
    raw = data.draw(
        st.one_of(
            any_bytes(base), dimacs_lines().map(str.encode) if suffix == ".cnf" else subsetsum_lines().map(str.encode)
        )
    )
    with scratch() as d:
        (d / f"p{suffix}").write_bytes(raw)
        code, _, err = run_main(main, ["reduce", d / f"p{suffix}", "--out", d / "r.npz"])
        assert_clean_exit(code, err)
        if code == 0:
            code, _, err = run_main(main, ["solve", d / "r.npz", "--time-limit", "5"])
            assert_clean_exit(code, err)


@CLI_SETTINGS
@given(any_bytes(REDUCED_NPZ))
def test_reductions_solve_on_fuzzed_instance_files(data):
    from reductions.cli import main

    with scratch() as d:
        (d / "r.npz").write_bytes(data)
        code, _, err = run_main(main, ["solve", d / "r.npz", "--time-limit", "5"])
        assert_clean_exit(code, err)
