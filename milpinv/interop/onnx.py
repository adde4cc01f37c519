"""ONNX: read a chain of Gemm / MatMul (+ Add) / Relu into float64 layers, and write one out.

Supported graphs are single chains from the one input to the one output::

    x -> Gemm | MatMul (+ Add) -> Relu -> ... -> Gemm | MatMul (+ Add) [-> Relu] -> y

Identity, Flatten (of a (batch, n) tensor), Dropout (inference mode) and Constant are read too;
any other op, a branch or a skip connection is refused with a line naming the node and op.
onnx is optional: ``pip install 'milpinv[onnx]'``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError, MilpinvError
from ..files import atomic_write, check_readable
from ..validation import MAX_ENTRIES, as_float_array
from .chain import AffineChain, Layers

ONNX_OPS = ("Gemm", "MatMul", "Add", "Relu", "Identity", "Flatten", "Dropout", "Constant")


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

    def input_width(self) -> tuple[int, int | None]:
        """(rank, last dimension if numeric) of the graph input; it must be a float tensor."""
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
        if len(dims) not in (1, 2):
            raise InputError(f"{self.source}: input '{name}' has rank {len(dims)}, expected (batch, n) or (n,)")
        last = dims[-1]
        return len(dims), (int(last.dim_value) if last.HasField("dim_value") else None)


def read_onnx(model) -> Layers:
    """Read an ONNX chain of Gemm / MatMul / Add / Relu (a file path or an ``onnx.ModelProto``)
    as float64 layers."""
    model, source = _load_onnx(model)
    g = OnnxGraph(model, source)
    rank, width = g.input_width()
    # layout of the running tensor: "row" = (batch, n) or (n,), "col" = (n, batch)
    state = {"name": g.input.name, "layout": "row", "rank": rank}
    chain = AffineChain(width)
    for index, node in enumerate(g.nodes):
        name = node.name or (node.output[0] if node.output else "")
        where = f"{g.source}: node {index} '{name}' ({node.op_type})"
        if node.op_type not in ONNX_OPS:
            raise InputError(f"{where}: unsupported op {node.op_type}; milpinv reads {', '.join(ONNX_OPS)}")
        if node.op_type == "Constant":
            _onnx_constant(g, node, where)
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
        return
    if op == "Flatten":
        if state["layout"] != "row" or state["rank"] != 2 or attrs.get("axis", 1) != 1:
            raise InputError(f"{where}: only Flatten(axis=1) of a (batch, n) tensor is supported")
        return
    if op == "Relu":
        chain.relu(where)
        return
    if op == "Add":
        _onnx_add(g, node, where, state, chain)
    elif op == "MatMul":
        _onnx_matmul(g, node, where, state, chain)
    else:
        _onnx_gemm(g, node, attrs, where, state, chain)


def _other_operand(g: OnnxGraph, node, where: str, cur: str) -> tuple[int, np.ndarray]:
    """(position of the chain tensor among the first two inputs, the constant operand)."""
    if list(node.input[:2]).count(cur) != 1 or len(node.input) < 2:
        raise InputError(f"{where}: expected the chain tensor once and a constant as operands")
    pos = list(node.input[:2]).index(cur)
    return pos, _const(g, node.input[1 - pos], where)


def _per_feature(c: np.ndarray, n: int | None, layout: str, where: str) -> np.ndarray:
    """A constant added to a (batch, n) [row] or (n, batch) [col] tensor, as a length-n bias."""
    if n is None:
        raise InputError(f"{where}: adds a constant before the input width is known")
    ok = {(), (1,), (n,), (1, n)} if layout == "row" else {(), (1,), (n, 1), (1, 1)}
    if c.shape not in ok:
        raise InputError(f"{where}: constant of shape {c.shape} is not a per-feature bias for width {n}")
    return np.broadcast_to(c.reshape(-1), (n,)).copy() if c.size == 1 else c.reshape(-1)


def _onnx_add(g, node, where, state, chain) -> None:
    _, c = _other_operand(g, node, where, state["name"])
    chain.bias(_per_feature(c, chain.width, state["layout"], where), where)


def _onnx_matmul(g, node, where, state, chain) -> None:
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
        chain.bias(_per_feature(c, w.shape[0], layout, where), where)


ONNX_MAX_BYTES = 2**31 - 2**24  # protobuf's 2 GB message limit, less room for the graph itself


ACTIVATION_NODES = {"relu": "Relu", "leaky_relu": "LeakyRelu", "tanh": "Tanh", "sigmoid": "Sigmoid"}


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
        nodes.append(helper.make_node("Gemm", [h, f"W{k}", f"b{k}"], [out], name=f"gemm{k}", transB=1))
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
