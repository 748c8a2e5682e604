"""ONNX out and in: :func:`to_onnx` writes a tatamikomi model as an ONNX graph, :func:`from_onnx`
reads a graph of the supported operators back into a tatamikomi model.

The graph takes ``input`` (N, C, H, W) with a dynamic batch axis ``N`` and gives ``output``
(N, classes), the scores (or, with ``softmax=True``, the probabilities). Its numbers are float32
unless ``dtype="float64"`` is asked for: onnxruntime's CPU provider has no float64 convolution,
so a float64 model (the book's weights) is cast to float32 by default. The model's name, its
input shape, classes and preprocessing travel as metadata (``metadata_props``, JSON values).

Each layer maps by its spec type (``layer.spec_type``) through ``_EXPORTERS``; each
ONNX operator maps back through ``_IMPORTERS``. Anything else is refused by name.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import i18n
from .._files import atomic_write
from . import _common
from ._common import refuse

DEFAULT_OPSET = 17
#: the number type of an exported graph unless asked otherwise: what onnxruntime runs everywhere
DEFAULT_DTYPE = "float32"
#: the number types an exported graph may have
DTYPES = ("float32", "float64")
_METADATA_KEYS = ("name", "input_shape", "classes", "preprocess")
_NUMPY_TO_ONNX = {np.dtype(np.float32): 1, np.dtype(np.float64): 11, np.dtype(np.float16): 10}


def _onnx():
    return _common.require("onnx", "onnx")


# ---------------------------------------------------------------------------------------------
# Export


class _Graph:
    """The nodes and initializers being written, and the name of the current tensor."""

    def __init__(self, dtype, opset: int):
        self.onnx = _onnx()
        self.helper = self.onnx.helper
        self.dtype, self.opset = np.dtype(dtype), opset
        self.nodes, self.initializers = [], []
        self.current = "input"

    def constant(self, name: str, array) -> str:
        array = np.asarray(array)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def weight(self, name: str, array) -> str:
        return self.constant(name, np.array(array, dtype=self.dtype, order="C"))

    def add(self, op: str, name: str, inputs=(), **attributes) -> str:
        """Append a node that reads the current tensor (and ``inputs``); it becomes current."""
        output = f"{name}.out"
        self.nodes.append(
            self.helper.make_node(op, [self.current, *inputs], [output], name=name, **attributes)
        )
        self.current = output
        return output


def _onnx_pads(pads) -> list[int]:
    """tatamikomi's (top, bottom, left, right) as ONNX's [top, left, bottom, right]."""
    top, bottom, left, right = pads
    return [int(top), int(left), int(bottom), int(right)]


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _conv(graph, name, layer, shape):
    from ..functional.geometry import window2d

    FN, _, FH, FW = layer.W.shape
    window = window2d(shape[1:], (FH, FW), layer.stride, layer.pad, layer.dilation)
    pads = _onnx_pads(window.pads)
    if layer.padding_mode != "zeros" and any(pads):
        if layer.padding_mode == "circular" and graph.opset < 19:
            raise refuse(
                name,
                "padding_mode='circular' (ONNX Pad mode 'wrap') before opset 19",
                f"ONNX opset {graph.opset}; use opset 19 (to_onnx(..., opset=19), --opset 19)",
            )
        top, left, bottom, right = pads
        graph.add(
            "Pad",
            f"{name}.pad",
            [graph.constant(f"{name}.pads", np.array([0, 0, top, left, 0, 0, bottom, right]))],
            mode=_PAD_MODES[layer.padding_mode],
        )
        pads = [0, 0, 0, 0]
    inputs = [graph.weight(f"{name}.W", layer.W)]
    if layer.b is not None:
        inputs.append(graph.weight(f"{name}.b", layer.b))
    graph.add(
        "Conv",
        name,
        inputs,
        kernel_shape=[int(FH), int(FW)],
        strides=list(window.stride),
        dilations=list(window.dilation),
        pads=pads,
        group=int(layer.groups),
    )


def _linear(graph, name, layer, shape):
    if len(shape) > 1:  # the book's Affine flattens (N, C, H, W) by itself; ONNX's Gemm does not
        graph.add("Flatten", f"{name}.flatten", axis=1)
    inputs = [graph.weight(f"{name}.W", layer.W)]  # (in, out), as Gemm's B without transB
    if layer.b is not None:
        inputs.append(graph.weight(f"{name}.b", layer.b))
    graph.add("Gemm", name, inputs)


def _pool(graph, name, layer, shape):
    """MaxPool / AveragePool with the pads written out, ``ceil_mode`` included.

    PyTorch's ceil_mode (and ours) drops a last window that would start in the padding after
    the input; onnxruntime and ONNX's reference evaluator each round differently. So the rows
    and columns that ceil_mode adds (``window.extra``) are written as pads after the input,
    with ``ceil_mode=0``: every reader then gets the same windows. Max pooling pads with -inf
    and average pooling without count_include_pad counts input values only, so the extra pads
    change nothing else. Average pooling with count_include_pad divides by the window's size
    within the declared padding (not the extra): the declared padding becomes a zero Pad node
    before an AveragePool that counts only what it is given.
    """
    from ..functional.geometry import window2d

    dilation = layer.dilation if layer.mode == "max" else 1
    window = window2d(shape[1:], layer.pool, layer.stride, layer.pad, dilation, layer.ceil_mode)
    top, bottom, left, right = window.pads
    extra_h, extra_w = window.extra
    attributes = dict(kernel_shape=list(window.kernel), strides=list(window.stride), ceil_mode=0)
    if layer.mode == "max":
        pads = _onnx_pads((top, bottom + extra_h, left, right + extra_w))
        if not _pads_fit(pads, window.kernel):  # onnxruntime wants pads < kernel: pad first
            pad_top, pad_left, pad_bottom, pad_right = pads
            padding = np.array([0, 0, pad_top, pad_left, 0, 0, pad_bottom, pad_right])
            value = graph.weight(f"{name}.pad_value", np.array(-np.inf))
            graph.add("Pad", f"{name}.pad", [graph.constant(f"{name}.pads", padding), value])
            pads = [0, 0, 0, 0]
        graph.add("MaxPool", name, dilations=list(window.dilation), pads=pads, **attributes)
        return
    include = bool(layer.count_include_pad)
    if include and any(window.extra) and any(window.pads):
        padding = np.array([0, 0, top, left, 0, 0, bottom, right])
        graph.add("Pad", f"{name}.pad", [graph.constant(f"{name}.pads", padding)])
        top = bottom = left = right = 0
    if any(window.extra):
        include = False
    pads = _onnx_pads((top, bottom + extra_h, left, right + extra_w))
    if not _pads_fit(pads, window.kernel):
        raise refuse(
            name,
            f"average pooling with ceil_mode whose padding and ceil_mode's extra rows ({pads}) "
            f"reach the window size {list(window.kernel)} (onnxruntime allows pads < kernel)",
            "ONNX",
        )
    graph.add("AveragePool", name, pads=pads, count_include_pad=int(include), **attributes)


def _pads_fit(pads, kernel) -> bool:
    top, left, bottom, right = pads
    return max(top, bottom) < kernel[0] and max(left, right) < kernel[1]


def _batchnorm(graph, name, layer, shape):
    if not layer.track_running_stats:
        raise refuse(name, "batch normalisation without running statistics", "ONNX")
    gamma, beta = layer.scale_and_shift()
    inputs = [
        graph.weight(f"{name}.gamma", gamma),
        graph.weight(f"{name}.beta", beta),
        graph.weight(f"{name}.running_mean", layer.running_mean),
        graph.weight(f"{name}.running_var", layer.running_var),
    ]
    # ONNX's momentum is the share kept, as in the book
    graph.add("BatchNormalization", name, inputs, epsilon=layer.eps, momentum=layer.momentum)


def _dropout(graph, name, layer, shape):
    ratio = graph.weight(f"{name}.ratio", np.array(layer.dropout_ratio))
    graph.add("Dropout", name, [ratio])  # inverted dropout: the identity at inference


def _simple(op, **attributes):
    return lambda graph, name, layer, shape: graph.add(op, name, **attributes)


def _leaky_relu(graph, name, layer, shape):
    graph.add("LeakyRelu", name, alpha=float(layer.negative_slope))


#: spec type -> function(graph, name, layer, input shape) that appends the layer's nodes
_EXPORTERS = {
    "Conv2d": _conv,
    "Linear": _linear,
    "MaxPool2d": _pool,
    "AvgPool2d": _pool,
    "GlobalAvgPool2d": _simple("GlobalAveragePool"),
    "BatchNormalization": _batchnorm,
    "Dropout": _dropout,
    "ReLU": _simple("Relu"),
    "LeakyReLU": _leaky_relu,
    "Sigmoid": _simple("Sigmoid"),
    "Tanh": _simple("Tanh"),
    "Flatten": _simple("Flatten", axis=1),
}


def export_dtype(dtype=DEFAULT_DTYPE) -> np.dtype:
    """The number type of an exported graph: ``"float32"`` (the default) or ``"float64"``."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in DTYPES:
        raise i18n.error(ValueError, "errors.onnx_dtype", dtype=dtype, choices=", ".join(DTYPES))
    return np.dtype(name)


def to_onnx_model(model, opset: int = DEFAULT_OPSET, softmax: bool = False, *, dtype=DEFAULT_DTYPE):
    """The ONNX ``ModelProto`` of ``model`` (eval-mode behaviour); see :func:`to_onnx`."""
    onnx = _onnx()
    helper = onnx.helper
    if opset < 13:
        raise i18n.error(ValueError, "errors.opset_old", opset=opset)
    dtype = export_dtype(dtype)
    graph = _Graph(dtype, opset)
    shapes = _common.input_shapes(model)
    for (name, layer), shape in zip(model.layers.items(), shapes):
        kind = _common.spec_type(layer)
        exporter = _EXPORTERS.get(kind)
        if exporter is None:
            raise refuse(name, f"a layer of type {kind}", "ONNX")
        exporter(graph, name, layer, shape)
    if softmax:
        graph.add("Softmax", "Softmax", axis=1)
    elem = _NUMPY_TO_ONNX[dtype]
    classes = model.output_shapes()[-1]
    nodes = graph.nodes
    # the last node writes "output"
    last = nodes[-1]
    last.output[0] = "output"
    inputs = [helper.make_tensor_value_info("input", elem, ["N", *model.input_shape])]
    outputs = [helper.make_tensor_value_info("output", elem, ["N", *classes])]
    name = type(model).__name__
    onnx_graph = helper.make_graph(nodes, name, inputs, outputs, graph.initializers)
    proto = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="tatamikomi",
        producer_version=_version(),
        doc_string=f"{name} exported by tatamikomi",
    )
    proto.ir_version = min(proto.ir_version, _IR_FOR_OPSET.get(opset, proto.ir_version))
    for key, value in _common.metadata(model).items():
        if value is not None:
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, json.dumps(value)
    return proto


# the IR version each opset came with: onnxruntime refuses files newer than it knows
_IR_FOR_OPSET = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}


def _version() -> str:
    from .._version import __version__

    return __version__


def to_onnx(
    model, path, opset: int = DEFAULT_OPSET, softmax: bool = False, *, overwrite=False,
    dtype=DEFAULT_DTYPE,
):
    """Write ``model`` to ``path`` as an ONNX file (atomically; an existing file only with
    ``overwrite=True``). Returns the ``onnx.ModelProto``, which passes
    ``onnx.checker.check_model(full_check=True)``.

    ``dtype``: the graph's number type, ``"float32"`` (default: the parameters are cast, as
    onnxruntime runs float32) or ``"float64"`` (the ONNX reference evaluator runs it;
    onnxruntime's CPU provider has no float64 Conv).

    Shape: ``input`` (N, C, H, W) -> ``output`` (N, classes), N dynamic. The graph computes
    what ``model.predict(x)`` computes (eval mode: dropout is the identity, batch norm uses
    its running statistics); ``softmax=True`` appends a Softmax over the classes.
    """
    proto = to_onnx_model(model, opset, softmax, dtype=dtype)
    _onnx().checker.check_model(proto, full_check=True)
    with atomic_write(path, overwrite=overwrite, hint="Give --force to replace it.") as f:
        f.write(proto.SerializeToString())
    return proto


# ---------------------------------------------------------------------------------------------
# Import


class _Reader:
    """Constant tensors of a graph (initializers and Constant nodes) by name."""

    def __init__(self, graph):
        numpy_helper = _onnx().numpy_helper
        self.values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        for node in graph.node:
            if node.op_type == "Constant":
                self.values[node.output[0]] = numpy_helper.to_array(
                    next(a.t for a in node.attribute if a.name == "value")
                )

    def get(self, node, index, default=None):
        if len(node.input) <= index or not node.input[index]:
            return default
        name = node.input[index]
        if name not in self.values:
            raise ValueError(
                f"ONNX node {node.name or node.op_type}: input {name!r} is computed in the "
                f"graph; tatamikomi reads only constant weights"
            )
        return self.values[name]


def _attributes(node) -> dict:
    helper = _onnx().helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _decode(value):
    return value.decode() if isinstance(value, bytes) else value


def _check_attributes(node, attributes, allowed: dict):
    """Refuse attributes tatamikomi cannot honour: ``allowed`` maps names to a value they must
    have (or None: any value)."""
    for key, value in attributes.items():
        if key not in allowed:
            raise _refuse_node(node, f"attribute {key}={_decode(value)!r}")
        if allowed[key] is not None and _decode(value) not in allowed[key]:
            raise _refuse_node(node, f"{key}={_decode(value)!r}")


def _refuse_node(node, what: str) -> ValueError:
    return ValueError(
        f"ONNX node {node.name or '(unnamed)'} ({node.op_type}): {what} cannot be imported into "
        f"tatamikomi"
    )


def _symmetric_pads(node, pads, kernel, dilation, stride, allow_same: bool):
    """ONNX pads [top, left, bottom, right] as a tatamikomi padding (int, pair or 'same')."""
    from ..functional.geometry import resolve_padding

    top, left, bottom, right = (int(p) for p in pads)
    if (top, left) == (bottom, right):
        return _common.pair_value((top, left))
    if allow_same and tuple(stride) == (1, 1):
        if resolve_padding("same", tuple(kernel), tuple(dilation), (1, 1)) == (
            top,
            bottom,
            left,
            right,
        ):
            return "same"
    raise _refuse_node(node, f"asymmetric pads {list(pads)}")


def _float32_value(value) -> float:
    """An ONNX float attribute (stored as float32) as the shortest decimal it rounds from, so
    that eps=1e-6 comes back as 1e-6, not 9.99999997e-07."""
    return float(str(np.float32(value)))


def _import_conv(node, reader, pending):
    a = _attributes(node)
    _check_attributes(
        node,
        a,
        {
            "kernel_shape": None,
            "strides": None,
            "pads": None,
            "dilations": None,
            "group": None,
            "auto_pad": {"NOTSET", "VALID", "SAME_UPPER"},
        },
    )
    W = reader.get(node, 1)
    b = reader.get(node, 2)
    if W.ndim != 4:
        raise _refuse_node(node, f"a {W.ndim - 2}-D convolution")
    kernel = tuple(W.shape[2:])
    stride = tuple(a.get("strides", (1, 1)))
    dilation = tuple(a.get("dilations", (1, 1)))
    auto_pad = _decode(a.get("auto_pad", "NOTSET"))
    padding_mode = "zeros"
    if pending.get("pad"):
        padding_mode, pads = pending.pop("pad")
        if padding_mode == "-inf" or any(a.get("pads", ())) or auto_pad != "NOTSET":
            raise _refuse_node(node, "a Pad node before a padded convolution")
    elif auto_pad == "SAME_UPPER":
        pads = None
    else:
        pads = a.get("pads", (0, 0, 0, 0))
    if pads is None:
        padding = "same"
        if stride != (1, 1):
            raise _refuse_node(node, f"auto_pad=SAME_UPPER with strides {list(stride)}")
    else:
        padding = _symmetric_pads(node, pads, kernel, dilation, stride, allow_same=True)
    entry = {
        "type": "Conv2d",
        "out_channels": int(W.shape[0]),
        "kernel_size": _common.pair_value(kernel),
        "stride": _common.pair_value(stride),
        "padding": padding,
        "dilation": _common.pair_value(dilation),
        "groups": int(a.get("group", 1)),
        "bias": b is not None,
        "padding_mode": padding_mode,
    }
    arrays = {"W": W} if b is None else {"W": W, "b": b}
    return entry, arrays


_IMPORT_PAD_MODES = {
    "-inf": "-inf",
    "constant": "zeros",
    "reflect": "reflect",
    "edge": "replicate",
    "wrap": "circular",
}


def _import_pad(node, reader, pending):
    a = _attributes(node)
    mode = _decode(a.get("mode", "constant"))
    pads = reader.get(node, 1)
    value = reader.get(node, 2)
    if mode not in _IMPORT_PAD_MODES:
        raise _refuse_node(node, f"Pad mode {mode!r}")
    if len(node.input) > 3:
        raise _refuse_node(node, "axes")
    if value is not None and np.any(value != 0):
        if mode != "constant" or not np.all(np.isneginf(value)):
            raise _refuse_node(node, f"a constant value of {value} (0, or -inf before MaxPool)")
        mode = "-inf"
    pads = [int(p) for p in pads]
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise _refuse_node(node, f"pads {pads} (only H and W can be padded)")
    pending["pad"] = (_IMPORT_PAD_MODES[mode], [pads[2], pads[3], pads[6], pads[7]])
    return None


def _import_gemm(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"alpha": {1.0}, "beta": {1.0}, "transA": {0}, "transB": {0, 1}})
    W = reader.get(node, 1)
    if a.get("transB", 0):
        W = W.T
    b = reader.get(node, 2)
    entry = {"type": "Linear", "out_features": int(W.shape[1]), "bias": b is not None}
    arrays = {"W": np.ascontiguousarray(W)}
    if b is not None:
        arrays["b"] = np.broadcast_to(b, (W.shape[1],)).copy()
    pending.pop("flatten", None)  # the book's Affine flattens by itself
    return entry, arrays


def _pool_padding(node, pads, input_hw, kernel, stride, dilation, ceil_mode):
    """ONNX pool pads [top, left, bottom, right] (and ceil_mode) as tatamikomi's symmetric
    padding and ceil_mode: more after the input than before is ceil_mode's extra, if it is
    exactly what ceil_mode adds for this input."""
    from ..functional.geometry import window2d

    top, left, bottom, right = (int(p) for p in pads)
    if ceil_mode:  # ONNX's rounding: ceil((in + pads - span) / stride) + 1
        if (top, left) != (bottom, right):
            raise _refuse_node(node, f"ceil_mode with asymmetric pads {list(pads)}")
        window = window2d(input_hw, kernel, stride, (top, left), dilation, True)
        onnx_out = [
            -(-(size + 2 * p - d * (k - 1) - 1) // s) + 1
            for size, p, k, s, d in zip(input_hw, (top, left), kernel, stride, dilation)
        ]
        if list(window.out_hw) != onnx_out:
            raise _refuse_node(
                node,
                f"ceil_mode where a last window would start in the padding ({onnx_out} "
                f"windows in ONNX, {list(window.out_hw)} in PyTorch and tatamikomi)",
            )
        return _common.pair_value((top, left)), True
    if (top, left) == (bottom, right):
        return _common.pair_value((top, left)), False
    extra = (bottom - top, right - left)
    if min(extra) >= 0 and input_hw is not None:
        window = window2d(input_hw, kernel, stride, (top, left), dilation, True)
        if tuple(window.extra) == extra:
            return _common.pair_value((top, left)), True
    raise _refuse_node(node, f"asymmetric pads {list(pads)}")


def _import_pool(node, reader, pending):
    a = _attributes(node)
    max_pool = node.op_type == "MaxPool"
    allowed = {
        "kernel_shape": None,
        "strides": None,
        "pads": None,
        "ceil_mode": None,
        "auto_pad": {"NOTSET"},
    }
    if max_pool:
        allowed.update(dilations=None, storage_order={0})
    else:
        allowed.update(count_include_pad=None, dilations=None)
    _check_attributes(node, a, allowed)
    if len(node.output) > 1 and node.output[1]:
        raise _refuse_node(node, "the Indices output")
    kernel = tuple(a["kernel_shape"])
    if len(kernel) != 2:
        raise _refuse_node(node, f"{len(kernel)}-D pooling")
    stride = tuple(a.get("strides", (1, 1)))
    dilation = tuple(a.get("dilations", (1, 1)))
    if not max_pool and dilation != (1, 1):
        raise _refuse_node(node, f"dilations {list(dilation)} in average pooling")
    pads = list(a.get("pads", (0, 0, 0, 0)))
    include = bool(a.get("count_include_pad", 0))
    input_hw = pending["input_hw"]
    if pending.get("pad"):  # -inf before a MaxPool; 0 before an average that counts it
        mode, before = pending.pop("pad")
        if mode != ("-inf" if max_pool else "zeros") or include:
            raise _refuse_node(
                node,
                "a Pad node before pooling (other than -inf before MaxPool, zeros before "
                "AveragePool with count_include_pad=0)",
            )
        top, left, bottom, right = before
        if pads[:2] != [0, 0]:
            raise _refuse_node(node, f"a Pad of {before} before pads {pads}")
        pads = [top, left, bottom + pads[2], right + pads[3]]
        if input_hw is not None:
            input_hw = (input_hw[0] - top - bottom, input_hw[1] - left - right)
        include = not max_pool
    padding, ceil_mode = _pool_padding(
        node, pads, input_hw, kernel, stride, dilation, bool(a.get("ceil_mode", 0))
    )
    entry = {
        "type": "MaxPool2d" if max_pool else "AvgPool2d",
        "kernel_size": _common.pair_value(kernel),
        "stride": _common.pair_value(stride),
        "padding": padding,
        "ceil_mode": ceil_mode,
    }
    if max_pool:
        entry["dilation"] = _common.pair_value(dilation)
    else:
        entry["count_include_pad"] = include
    return entry, {}


def _import_batchnorm(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"epsilon": None, "momentum": None, "training_mode": {0}})
    if len(node.output) > 1:
        raise _refuse_node(node, "the training outputs")
    gamma, beta, mean, var = (reader.get(node, i) for i in range(1, 5))
    entry = {
        "type": "BatchNormalization",
        "momentum": _float32_value(a.get("momentum", 0.9)),
        "eps": _float32_value(a.get("epsilon", 1e-5)),
        "unbiased_running_var": True,
        "affine": True,
    }
    return entry, {"gamma": gamma, "beta": beta, "running_mean": mean, "running_var": var}


def _import_dropout(node, reader, pending):
    attributes = _attributes(node)  # ratio and is_test: attributes before opset 12
    _check_attributes(node, attributes, {"seed": None, "ratio": None, "is_test": None})
    if len(node.input) > 2 and node.input[2]:
        training = reader.get(node, 2)
        if bool(training):
            raise _refuse_node(node, "training_mode=True")
    ratio = np.asarray(reader.get(node, 1, np.array(attributes.get("ratio", 0.5))))
    p = _float32_value(ratio) if ratio.dtype == np.float32 else float(ratio)
    return {"type": "Dropout", "p": p}, {}


def _import_flatten(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"axis": {1}})
    return {"type": "Flatten"}, {}


def _import_leaky(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"alpha": None})
    return {"type": "LeakyReLU", "negative_slope": _float32_value(a.get("alpha", 0.01))}, {}


def _import_simple(kind):
    def read(node, reader, pending):
        _check_attributes(node, _attributes(node), {})
        return {"type": kind}, {}

    return read


#: ONNX op type -> function(node, constants, pending) giving (spec entry, arrays) or None
_IMPORTERS = {
    "Conv": _import_conv,
    "Pad": _import_pad,
    "Gemm": _import_gemm,
    "MaxPool": _import_pool,
    "AveragePool": _import_pool,
    "GlobalAveragePool": _import_simple("GlobalAvgPool2d"),
    "BatchNormalization": _import_batchnorm,
    "Dropout": _import_dropout,
    "Relu": _import_simple("ReLU"),
    "LeakyRelu": _import_leaky,
    "Sigmoid": _import_simple("Sigmoid"),
    "Tanh": _import_simple("Tanh"),
    "Flatten": _import_flatten,
}


def _tensor_hw(proto, input_shape):
    """(H, W) of every 4-D tensor of the graph, by ONNX's shape inference (None where unknown)."""
    onnx = _onnx()
    if input_shape:
        proto = type(proto).FromString(proto.SerializeToString())
        dims = proto.graph.input[0].type.tensor_type.shape.dim
        if len(dims) == len(input_shape) + 1:
            for dim, size in zip(list(dims)[1:], input_shape):
                dim.dim_value = int(size)
    try:
        inferred = onnx.shape_inference.infer_shapes(proto).graph
    except Exception:  # shapes are a help here, not a requirement
        return {}
    hw = {}
    for value in [*inferred.input, *inferred.value_info, *inferred.output]:
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        if len(dims) == 4 and all(dims[2:]):
            hw[value.name] = (dims[2], dims[3])
    return hw


def from_onnx(path, *, input_shape=None, classes=None, preprocess=None):
    """A tatamikomi :class:`~tatamikomi.models.Sequential` from an ONNX file (or ``ModelProto``)
    whose graph is a chain of the supported operators (Conv, Pad before Conv, Gemm, MaxPool,
    AveragePool, GlobalAveragePool, BatchNormalization, Dropout, Relu, LeakyRelu, Sigmoid,
    Tanh, Flatten, Identity, and a final Softmax, which is left out: the model gives scores).

    The input shape, classes and preprocessing come from the file's metadata (or the graph's
    input) unless given here. Any other operator or attribute is refused by name.
    """
    onnx = _onnx()
    if isinstance(path, (str, os.PathLike)):
        if not os.path.isfile(path):
            raise i18n.error(FileNotFoundError, "errors.onnx_missing", path=path)
        try:
            proto = onnx.load(os.fspath(path))
        except Exception as error:  # a protobuf DecodeError, or any other unreadable file
            raise ValueError(f"{path} is not an ONNX file ({error})") from None
    else:
        proto = path
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else "the ONNX graph"
    graph = proto.graph
    _common.check_layer_count(len(graph.node), where)
    reader = _Reader(graph)
    inputs = [i for i in graph.input if i.name not in reader.values]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(
            f"tatamikomi imports graphs with one input and one output; this one has "
            f"{len(inputs)} inputs and {len(graph.output)} outputs"
        )
    info = {p.key: json.loads(p.value) for p in proto.metadata_props if p.key in _METADATA_KEYS}
    elem = inputs[0].type.tensor_type.elem_type
    dtype = next((d for d, e in _NUMPY_TO_ONNX.items() if e == elem), np.dtype(np.float32))
    if not info.get("input_shape"):
        dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim][1:]
        info["input_shape"] = dims if dims and all(dims) else None
    for key, value in (
        ("input_shape", input_shape),
        ("classes", classes),
        ("preprocess", preprocess),
    ):
        if value is not None:
            info[key] = list(value) if key != "preprocess" else value

    shapes = _tensor_hw(proto, info["input_shape"])
    entries, arrays, pending = [], [], {}
    current = inputs[0].name
    nodes = [n for n in graph.node if n.op_type != "Constant"]
    written = {current, *reader.values}  # every tensor is written once: no cycle, no overwrite
    for index, node in enumerate(nodes):
        if not node.input or node.input[0] != current:
            raise _refuse_node(node, "a branch (the graph is not a chain of layers)")
        for output in filter(None, node.output):
            if output in written:
                raise i18n.error(
                    ValueError, "errors.onnx_cycle", node=node.name or "(unnamed)", op=node.op_type,
                    name=output,
                )
            written.add(output)
        current = node.output[0]
        if node.op_type == "Identity":
            continue
        if node.op_type == "Softmax" and index == len(nodes) - 1:
            continue  # the model's scores; SoftmaxWithLoss is its last layer
        importer = _IMPORTERS.get(node.op_type)
        if importer is None:
            raise _refuse_node(node, "the operator")
        if pending.get("pad") and node.op_type not in ("Conv", "MaxPool", "AveragePool"):
            raise _refuse_node(node, "a Pad node that is not followed by Conv or pooling")
        pending["input_hw"] = shapes.get(node.input[0])
        result = importer(node, reader, pending)
        if pending.pop("flatten", None) is not None:
            entries.append({"type": "Flatten"})  # not absorbed by a following Gemm
            arrays.append({})
        if result is None:
            continue
        entry, values = result
        if entry["type"] == "Flatten":
            pending["flatten"] = True
            continue
        entries.append(entry)
        arrays.append(values)
    if pending.get("flatten"):
        entries.append({"type": "Flatten"})
        arrays.append({})
    if pending.get("pad"):
        raise ValueError("the ONNX graph ends with a Pad node; tatamikomi cannot import it")
    if current != graph.output[0].name:
        raise ValueError("the ONNX graph's output is not the end of its chain of nodes")
    if not entries:
        raise ValueError("the ONNX graph has no layer tatamikomi can import")
    return _common.build_sequential(entries, arrays, info, dtype, where=where)


__all__ = [
    "to_onnx", "to_onnx_model", "from_onnx", "export_dtype", "DEFAULT_OPSET", "DEFAULT_DTYPE",
    "DTYPES",
]  # fmt: skip
