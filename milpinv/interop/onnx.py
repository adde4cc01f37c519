"""ONNX: read a chain of affine maps and activations into float64 layers, and write one out.

Supported graphs are single chains from the one input ((batch, n), (n,) or (batch, C, H, W)) to
the one output::

    z -> affine -> Relu | LeakyRelu -> ... -> affine [-> Relu | LeakyRelu | Tanh | Sigmoid] -> x

where an affine step is any run of Gemm, MatMul, Add (a constant), Conv and ConvTranspose (2-d,
group=1, dilations=1, explicit pads; unrolled into sparse maps by :mod:`milpinv.interop.conv`) and
BatchNormalization (inference mode), with Reshape (constant shape; ``allowzero=1`` where it has
no 0), Flatten, Identity, Dropout (inference mode) and Constant between them. The shape arithmetic
torch's exporter emits around Reshape / Unflatten (Shape, Gather, Mod, Div, Concat, Unsqueeze, ...)
is folded to constants by onnxsim first (a symbolic batch fixed to 1; a batch the export traced
with, e.g. 2, stays, and Reshape shapes keep it first). This reads both of torch.onnx.export's
exporters: the default (dynamo: batch traced, BatchNorm folded, Reshape ``allowzero=1``) and
``dynamo=False`` (TorchScript). Any other op, a branch or a skip connection is refused with a line
naming the node and op. onnx and onnxsim are optional: ``pip install 'milpinv[onnx]'``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..activation import Activation
from ..errors import InputError, MilpinvError
from ..files import atomic_write, check_readable
from ..validation import MAX_ENTRIES, as_float_array
from . import conv
from .chain import AffineChain, Layers

ACTIVATION_OPS = {"Relu": "relu", "LeakyRelu": "leaky_relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}
ONNX_OPS = (
    ("Gemm", "MatMul", "Add", "Conv", "ConvTranspose", "BatchNormalization")
    + tuple(ACTIVATION_OPS)
    + ("Reshape", "Flatten", "Identity", "Dropout", "Constant")
)
SHAPE_OPS = ("Shape", "Gather", "Mod", "Div", "Concat", "Unsqueeze", "Squeeze", "Slice", "Cast", "ConstantOfShape")
INPUT_RANKS = {1: "(n,)", 2: "(batch, n)", 4: "(batch, C, H, W)"}


def _import_onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise MilpinvError("reading or writing ONNX models needs onnx: pip install 'milpinv[onnx]'") from None
    return onnx, numpy_helper


def _load_onnx(model) -> tuple[object, str]:
    """(checked ModelProto, name for messages) from a path or an in-memory ``onnx.ModelProto``."""
    onnx, _ = _import_onnx()
    if isinstance(model, onnx.ModelProto):
        source = model.graph.name or "<onnx model>"
    elif isinstance(model, (str, Path)):
        source = str(check_readable(model, "an ONNX model"))
    else:
        raise InputError(f"model: expected a path or an onnx.ModelProto, got {type(model).__name__}")
    try:
        if not isinstance(model, onnx.ModelProto):
            model = onnx.load(source)
        onnx.checker.check_model(model)
    except Exception as exc:  # protobuf DecodeError, ValidationError, missing external data, ...
        raise InputError(f"{source}: not a readable ONNX model ({_first_line(exc)})") from None
    return model, source


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200] if text else ''}"


FLOAT_TYPES = {1: "float", 10: "float16", 11: "double", 16: "bfloat16"}  # onnx.TensorProto element types


class OnnxGraph:
    """Walks an ONNX graph that must be a single chain from its one input to its one output."""

    def __init__(self, model, source: str) -> None:
        _, self.numpy_helper = _import_onnx()
        self.source = source
        graph = model.graph
        self.consts: dict[str, np.ndarray] = {}
        for init in graph.initializer:
            self.consts[init.name] = self.tensor(init, f"initializer '{init.name}'")
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise InputError(f"{source}: expected one input and one output, got {len(inputs)} and {len(graph.output)}")
        self.input, self.output = inputs[0], graph.output[0].name
        self.nodes = list(graph.node)

    def tensor(self, proto, what: str) -> np.ndarray:
        """A TensorProto as a float64 array, its declared size checked before it is materialised."""
        size = int(np.prod([int(d) for d in proto.dims], dtype=object))
        if size > MAX_ENTRIES:
            raise InputError(f"{self.source}: {what} declares {size} entries, more than {MAX_ENTRIES}")
        try:
            arr = self.numpy_helper.to_array(proto)
        except Exception as exc:  # truncated raw data, external data missing, unknown element type
            raise InputError(f"{self.source}: {what} is unreadable ({_first_line(exc)})") from None
        return as_float_array(arr, f"{self.source}: {what}")

    def input_shape(self) -> tuple[int, tuple[int, ...] | None]:
        """(rank, per-sample shape if numeric) of the graph input; it must be a float tensor."""
        name, kind = self.input.name, self.input.type
        if not kind.HasField("tensor_type") or not kind.tensor_type.HasField("shape"):
            raise InputError(f"{self.source}: input '{name}' is not a tensor of known rank")
        elem = kind.tensor_type.elem_type
        if elem not in FLOAT_TYPES:
            raise InputError(
                f"{self.source}: input '{name}' has element type {elem}; expected a float tensor "
                f"({', '.join(FLOAT_TYPES.values())})"
            )
        dims = list(kind.tensor_type.shape.dim)
        if len(dims) not in INPUT_RANKS:
            raise InputError(
                f"{self.source}: input '{name}' has rank {len(dims)}, expected {' or '.join(INPUT_RANKS.values())}"
            )
        sample = dims if len(dims) == 1 else dims[1:]
        if not all(d.HasField("dim_value") and d.dim_value > 0 for d in sample):
            return len(dims), None
        return len(dims), tuple(int(d.dim_value) for d in sample)

    def batch(self) -> int:
        """The input's batch size if it is a fixed number (an export traced with a batch of 2 has
        it in its Reshape shapes), else 1 (onnxsim folds a symbolic batch as 1)."""
        dims = self.input.type.tensor_type.shape.dim
        return int(dims[0].dim_value) if len(dims) > 1 and dims[0].dim_value > 0 else 1


def read_onnx(model) -> Layers:
    """Read an ONNX chain (a file path or an ``onnx.ModelProto``; see the module docstring) as
    float64 layers."""
    model, source = _load_onnx(model)
    model = fold_shapes(model, source)
    g = OnnxGraph(model, source)
    rank, shape = g.input_shape()
    # layout of the running tensor: "row" = (batch, ...) or (n,), "col" = (n, batch)
    state = {"name": g.input.name, "layout": "row", "rank": rank, "batch": g.batch()}
    chain = AffineChain(shape)
    for index, node in enumerate(g.nodes):
        name = node.name or (node.output[0] if node.output else "")
        where = f"{g.source}: node {index} '{name}' ({node.op_type})"
        if node.op_type not in ONNX_OPS:
            raise InputError(f"{where}: unsupported op {node.op_type}; milpinv reads {', '.join(ONNX_OPS)}")
        if node.op_type == "Constant":
            _onnx_constant(g, node, where)
            continue
        if node.op_type == "Identity" and node.input[0] in g.consts:  # torch's exporter aliases equal tensors
            g.consts[node.output[0]] = g.consts[node.input[0]]
            continue
        if not node.input or state["name"] not in node.input:
            raise InputError(
                f"{where}: not on the chain (does not consume '{state['name']}'); "
                "branches and skip connections are not supported"
            )
        _onnx_step(g, node, where, state, chain)
        state["name"] = node.output[0]
    if state["name"] != g.output:
        raise InputError(f"{g.source}: graph output '{g.output}' is not the end of the chain '{state['name']}'")
    if state["layout"] != "row":
        raise InputError(f"{g.source}: output is laid out as (n, batch); expected (batch, n)")
    return chain.layers(g.source)


def import_onnxsim():
    """onnxsim, imported with torch held back where torch is not loaded yet: onnxsim's package
    imports torch (seconds) only for an optional bridge that milpinv never uses; an onnxsim that
    fails to import without torch is imported again with it."""
    if "torch" in sys.modules:
        return importlib.import_module("onnxsim")
    sys.modules["torch"] = None  # `import torch` raises ImportError meanwhile
    try:
        return importlib.import_module("onnxsim")
    except ImportError:
        for name in [name for name in sys.modules if name.startswith("onnxsim.")]:
            del sys.modules[name]  # imported without torch: import them again with it
    finally:
        del sys.modules["torch"]
    return importlib.import_module("onnxsim")


def fold_shapes(model, source: str):
    """The model with the shape arithmetic torch's exporter emits around Reshape / Unflatten
    (Shape, Gather, Mod, Div, Concat, Unsqueeze ...) folded to constants by onnxsim, the batch
    fixed to 1; a model without such ops is returned as it is."""
    if not any(node.op_type in SHAPE_OPS for node in model.graph.node):
        return model
    try:
        onnxsim = import_onnxsim()
    except ImportError:
        raise MilpinvError(
            f"{source}: folding its shape arithmetic needs onnxsim: pip install 'milpinv[onnx]'"
        ) from None
    consts = {init.name for init in model.graph.initializer}
    shapes = {}
    for inp in (i for i in model.graph.input if i.name not in consts):
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in inp.type.tensor_type.shape.dim]
        shapes[inp.name] = [dims[0] if dims[0] > 0 else 1, *dims[1:]] if len(dims) > 1 else dims
        if min(shapes[inp.name], default=1) < 1:
            raise InputError(f"{source}: input '{inp.name}' has an unknown size besides the batch; cannot fold shapes")
    try:
        folded, _ = onnxsim.simplify(
            model, perform_optimization=False, skip_fuse_bn=True, overwrite_input_shapes=shapes
        )
    except Exception as exc:  # onnxsim's own errors: one line
        raise InputError(f"{source}: onnxsim could not fold its shape arithmetic ({_first_line(exc)})") from None
    return folded


def _onnx_constant(g: OnnxGraph, node, where: str) -> None:
    import onnx

    attrs = {a.name: a for a in node.attribute}
    if "value" not in attrs or attrs["value"].type != onnx.AttributeProto.TENSOR:
        raise InputError(f"{where}: only Constant nodes with a tensor 'value' are supported")
    g.consts[node.output[0]] = g.tensor(onnx.helper.get_attribute_value(attrs["value"]), where)


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _const(g: OnnxGraph, name: str, where: str) -> np.ndarray:
    if name not in g.consts:
        raise InputError(f"{where}: operand '{name}' is neither the chain tensor nor an initializer or Constant")
    return g.consts[name]


def _onnx_step(g: OnnxGraph, node, where: str, state: dict, chain: AffineChain) -> None:
    op = node.op_type
    attrs = _attrs(node)
    if op in ("Identity", "Dropout"):
        if op == "Dropout" and len(node.input) > 2 and node.input[2] and np.any(_const(g, node.input[2], where)):
            raise InputError(f"{where}: Dropout in training mode")
    elif op in ACTIVATION_OPS:
        slope = f":{float(attrs.get('alpha', 0.01))!r}" if op == "LeakyRelu" else ""
        chain.activate(Activation.parse(ACTIVATION_OPS[op] + slope), where)
    elif op in ("Flatten", "Reshape"):
        _onnx_reshape(g, node, attrs, where, state, chain)
    elif op in ("Conv", "ConvTranspose"):
        _onnx_conv(g, node, attrs, where, state, chain)
    elif op == "BatchNormalization":
        _onnx_batch_norm(g, node, attrs, where, state, chain)
    elif op == "Add":
        _onnx_add(g, node, where, state, chain)
    elif op == "MatMul":
        _onnx_matmul(g, node, where, state, chain)
    else:
        _onnx_gemm(g, node, attrs, where, state, chain)


def _batched_shape(state: dict, chain: AffineChain, where: str) -> tuple[int, ...]:
    """The per-sample shape of a (batch, ...) tensor; refused for (n,) and (n, batch) layouts."""
    if state["layout"] != "row" or state["rank"] == 1 or chain.shape is None:
        raise InputError(f"{where}: needs a (batch, ...) input of known shape")
    return chain.shape


def _onnx_reshape(g, node, attrs, where, state, chain) -> None:
    shape = _batched_shape(state, chain, where)
    if node.op_type == "Flatten":
        if attrs.get("axis", 1) != 1:
            raise InputError(f"{where}: only Flatten(axis=1) is supported")
        new: tuple[int, ...] = (int(np.prod(shape, dtype=np.int64)),)
    else:
        target = [int(d) for d in _const(g, node.input[1], where).ravel()]
        if attrs.get("allowzero", 0) and 0 in target:  # allowzero=1: a 0 is an empty dimension, not a copy
            raise InputError(f"{where}: Reshape with allowzero=1 to an empty dimension (target shape {target})")
        full = (state["batch"], *shape)
        target = [full[k] if d == 0 and k < len(full) else d for k, d in enumerate(target)]
        if not target or target[0] not in (full[0], -1) or (target[0] == -1 and -1 in target[1:]):
            raise InputError(f"{where}: reshapes across the batch dimension (target shape {target})")
        new = conv.reshaped(shape, tuple(target[1:]), where)
    chain.reshape(new)
    state["rank"] = 1 + len(new)


def _onnx_conv(g, node, attrs, where, state, chain) -> None:
    shape = _batched_shape(state, chain, where)
    kernel = _const(g, node.input[1], where)
    if kernel.ndim != 4:
        raise InputError(f"{where}: a {kernel.ndim - 2}-d convolution; milpinv reads 2-d ones (weight (O, I, kH, kW))")
    for attr, ok in (("group", 1), ("dilations", [1, 1]), ("output_shape", None)):
        if attrs.get(attr, ok) != ok:
            raise InputError(f"{where}: {attr}={attrs[attr]} is not supported; milpinv reads {attr}={ok} only")
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID"):
        raise InputError(f"{where}: auto_pad={attrs['auto_pad'].decode()} is not supported; export explicit pads")
    pads, stride = tuple(attrs.get("pads", [0, 0, 0, 0])), tuple(attrs.get("strides", [1, 1]))
    if node.op_type == "Conv":
        w, out = conv.conv2d(kernel, shape, stride=stride, pads=pads, where=where)
    else:
        op = tuple(attrs.get("output_padding", [0, 0]))
        w, out = conv.conv_transpose2d(kernel, shape, stride=stride, pads=pads, output_padding=op, where=where)
    has_bias = len(node.input) > 2 and node.input[2]
    bias = _const(g, node.input[2], where) if has_bias else np.zeros(out[0])
    chain.affine(w, np.repeat(bias, out[1] * out[2]), where, out)
    state["rank"] = 4


def _onnx_batch_norm(g, node, attrs, where, state, chain) -> None:
    if attrs.get("training_mode", 0) or len(node.output) > 1:
        raise InputError(f"{where}: BatchNormalization in training mode")
    gamma, beta, mean, var = (_const(g, name, where) for name in node.input[1:5])
    stats = conv.BatchNormStats(gamma, beta, mean, var, float(attrs.get("epsilon", 1e-5)))
    w, b = conv.batch_norm(stats, _batched_shape(state, chain, where), where)
    chain.affine(w, b, where, chain.shape)


def _other_operand(g: OnnxGraph, node, where: str, cur: str) -> tuple[int, np.ndarray]:
    """(position of the chain tensor among the first two inputs, the constant operand)."""
    if list(node.input[:2]).count(cur) != 1 or len(node.input) < 2:
        raise InputError(f"{where}: expected the chain tensor once and a constant as operands")
    pos = list(node.input[:2]).index(cur)
    return pos, _const(g, node.input[1 - pos], where)


def _per_feature(c: np.ndarray, shape: tuple[int, ...] | None, state: dict, where: str) -> np.ndarray:
    """A constant added to a (batch, ...) [row], (n,) or (n, batch) [col] tensor, as a bias with one
    entry per element of a sample (broadcast as numpy does, never along the batch)."""
    if shape is None:
        raise InputError(f"{where}: adds a constant before the input width is known")
    target: tuple[int, ...] = (shape[0], 1)
    if state["layout"] == "row":
        target = tuple(shape) if state["rank"] == 1 else (1, *shape)
    try:
        ok = np.broadcast_shapes(c.shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"{where}: constant of shape {c.shape} is not a per-feature bias for shape {shape}")
    return np.broadcast_to(c, target).reshape(-1).copy()


def _onnx_add(g, node, where, state, chain) -> None:
    _, c = _other_operand(g, node, where, state["name"])
    chain.bias(_per_feature(c, chain.shape, state, where), where)


def _onnx_matmul(g, node, where, state, chain) -> None:
    if state["rank"] > 2:
        raise InputError(f"{where}: MatMul of a rank-{state['rank']} tensor acts per row; Flatten it first")
    pos, m = _other_operand(g, node, where, state["name"])
    if m.ndim != 2:
        raise InputError(f"{where}: weight of shape {m.shape}; only 2-d weights are supported")
    rowlike = state["layout"] == "row"
    if pos == 0 and rowlike:  # h @ M: features in columns of M
        chain.affine(m.T, np.zeros(m.shape[1]), where)
    elif pos == 1 and (state["layout"] == "col" or state["rank"] == 1):  # M @ h
        chain.affine(m, np.zeros(m.shape[0]), where)
    else:
        raise InputError(f"{where}: multiplies along the batch dimension; not a per-sample affine map")


def _onnx_gemm(g, node, attrs, where, state, chain) -> None:
    if state["rank"] != 2:
        raise InputError(f"{where}: Gemm needs a 2-d (batch, n) input")
    pos, m = _other_operand(g, node, where, state["name"])
    if m.ndim != 2:
        raise InputError(f"{where}: weight of shape {m.shape}; Gemm needs a 2-d matrix")
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    trans_a, trans_b = bool(attrs.get("transA", 0)), bool(attrs.get("transB", 0))
    m = m.T if (trans_b if pos == 0 else trans_a) else m  # op(B) or op(A), the constant operand
    h_transposed = trans_a if pos == 0 else trans_b
    h_is_rows = (state["layout"] == "row") != h_transposed  # op(h) is (batch, n)
    if pos == 0 and h_is_rows:  # Y = alpha h M + beta C: rows out
        w, layout = alpha * m.T, "row"
    elif pos == 1 and not h_is_rows:  # Y = alpha M h^T + beta C: columns out
        w, layout = alpha * m, "col"
    else:
        raise InputError(f"{where}: multiplies along the batch dimension; not a per-sample affine map")
    chain.affine(w, np.zeros(w.shape[0]), where)
    state["layout"] = layout
    if len(node.input) > 2 and node.input[2]:
        c = beta * _const(g, node.input[2], where)
        chain.bias(_per_feature(c, (w.shape[0],), state, where), where)


ONNX_MAX_BYTES = 2**31 - 2**24  # protobuf's 2 GB message limit, less room for the graph itself


ACTIVATION_NODES = {kind: op for op, kind in ACTIVATION_OPS.items()}
# every Gemm attribute written, defaults included: some readers (OMLT) index them without defaults
GEMM_ATTRIBUTES: dict[str, Any] = {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 1}


def write_onnx(weights, biases, activations, path: str | Path, dtype: str = "float64", opset: int = 17) -> None:
    """Write layers as an ONNX graph ``z -> Gemm -> Relu -> ... -> x`` (input (batch, n_0)); a
    sparse layer is written dense; ``activations``: one name per layer (:mod:`milpinv.activation`).

    ``dtype="float64"`` keeps the weights exact; ``"float32"`` for runtimes without double kernels.
    """
    onnx, numpy_helper = _import_onnx()
    from onnx import TensorProto, helper

    if dtype not in ("float64", "float32"):
        raise InputError(f"dtype: expected float64 or float32, got {dtype!r}")
    weights = [w.toarray() if hasattr(w, "toarray") else np.asarray(w) for w in weights]
    arrays = tuple(weights) + tuple(biases)
    size = sum(a.size for a in arrays) * np.dtype(dtype).itemsize
    if size > ONNX_MAX_BYTES:
        raise InputError(f"network: {size} bytes of weights exceed the 2 GB limit of an ONNX (protobuf) file")
    if dtype == "float32" and max(float(np.max(np.abs(a))) for a in arrays) > np.finfo(np.float32).max:
        raise InputError("network: weights beyond the float32 range; export with dtype='float64'")
    elem = TensorProto.DOUBLE if dtype == "float64" else TensorProto.FLOAT
    inits, nodes, h = [], [], "z"
    depth = len(weights)
    for k, (w, b) in enumerate(zip(weights, biases)):
        inits += [numpy_helper.from_array(w.astype(dtype), f"W{k}"), numpy_helper.from_array(b.astype(dtype), f"b{k}")]
        last = k == depth - 1
        kind, _, slope = str(activations[k]).partition(":")
        out = "x" if last and kind == "linear" else f"a{k}"
        nodes.append(helper.make_node("Gemm", [h, f"W{k}", f"b{k}"], [out], name=f"gemm{k}", **GEMM_ATTRIBUTES))
        h = out
        if kind != "linear":
            h = "x" if last else f"h{k}"
            node = helper.make_node(ACTIVATION_NODES[kind], [out], [h], name=f"{kind}{k}")
            if kind == "leaky_relu":
                node.attribute.append(helper.make_attribute("alpha", float(slope)))
            nodes.append(node)
    graph = helper.make_graph(
        nodes,
        "milpinv_relu_network",
        [helper.make_tensor_value_info("z", elem, ["batch", weights[0].shape[1]])],
        [helper.make_tensor_value_info("x", elem, ["batch", weights[-1].shape[0]])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="milpinv", opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 9)  # readable by onnxruntime releases of the last years
    onnx.checker.check_model(model)
    atomic_write(path, model.SerializeToString())
