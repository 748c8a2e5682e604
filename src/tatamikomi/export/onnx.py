"""ONNX out and in: :func:`to_onnx` writes a tatamikomi model as an ONNX graph, :func:`from_onnx`
reads a graph of the supported operators back into a tatamikomi model.

The graph takes ``input`` (N, C, H, W) with a dynamic batch axis ``N`` and gives ``output``
(N, classes), the scores (or, with ``softmax=True``, the probabilities). Its numbers are float32
unless ``dtype="float64"`` is asked for: onnxruntime's CPU provider has no float64 convolution,
so a float64 model (the book's weights) is cast to float32 by default. The model's name, its
input shape, classes and preprocessing travel as metadata (``metadata_props``, JSON values).

Each layer maps by its spec type (``layer.spec_type``) through ``RULES``, one row per layer type:
how the layer is written (:mod:`._onnx_write`), the ONNX operators that read back as it, and how
they are read (:mod:`._onnx_read`). Anything else is refused by name.
"""

from __future__ import annotations

import json
import os
from typing import Callable, NamedTuple

import numpy as np

from .. import i18n
from .._files import atomic_write
from . import _common
from . import _onnx_read as read
from . import _onnx_write as write
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


class Rule(NamedTuple):
    """How one layer type travels through ONNX."""

    #: function(graph, name, layer, input shape) that appends the layer's nodes
    write: Callable
    #: the ONNX operators read back as this layer type
    ops: tuple[str, ...]
    #: function(node, reader, pending) giving (spec entry, arrays) for a node of one of ``ops``
    read: Callable


def _plain(kind: str, onnx_op: str, **attributes) -> Rule:
    """The rule of a layer that is one ONNX node without weights; ``attributes`` maps each ONNX
    attribute to (the layer's attribute, which is also its spec key; ONNX's default)."""
    values = {
        name: (lambda layer, key=key: float(getattr(layer, key)))
        for name, (key, _) in attributes.items()
    }
    return Rule(write.op(onnx_op, **values), (onnx_op,), read.op(kind, **attributes))


#: spec type -> Rule: the one table of what maps to ONNX and back
RULES = {
    "Conv2d": Rule(write.conv, ("Conv",), read.conv),
    "Linear": Rule(write.linear, ("Gemm",), read.gemm),
    "MaxPool2d": Rule(write.pool, ("MaxPool",), read.pool),
    "AvgPool2d": Rule(write.pool, ("AveragePool",), read.pool),
    "GlobalAvgPool2d": _plain("GlobalAvgPool2d", "GlobalAveragePool"),
    "BatchNormalization": Rule(write.batchnorm, ("BatchNormalization",), read.batchnorm),
    "Dropout": Rule(write.dropout, ("Dropout",), read.dropout),
    "ReLU": _plain("ReLU", "Relu"),
    "LeakyReLU": _plain("LeakyReLU", "LeakyRelu", alpha=("negative_slope", 0.01)),
    "Sigmoid": _plain("Sigmoid", "Sigmoid"),
    "Tanh": _plain("Tanh", "Tanh"),
    "Flatten": Rule(write.op("Flatten", axis=1), ("Flatten",), read.flatten),
}

#: ONNX op type -> function(node, reader, pending) giving (spec entry, arrays), or None for a
#: Pad node, which is kept for the Conv or pooling after it
_READERS = {op: rule.read for rule in RULES.values() for op in rule.ops}
_READERS["Pad"] = read.pad


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
    graph = write.Graph(dtype, opset)
    shapes = _common.input_shapes(model)
    for (name, layer), shape in zip(model.layers.items(), shapes):
        kind = _common.spec_type(layer)
        rule = RULES.get(kind)
        if rule is None:
            raise refuse(name, i18n.Said("errors.refuse_layer_type", kind=kind), "ONNX")
        rule.write(graph, name, layer, shape)
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


def from_onnx(path, *, input_shape=None, classes=None, preprocess=None):
    """A tatamikomi :class:`~tatamikomi.models.Sequential` from an ONNX file (or ``ModelProto``)
    whose graph is a chain of the supported operators ({operators}, Pad before Conv or
    pooling, Identity, and a final Softmax, which is left out: the model gives scores).

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
            raise i18n.error(ValueError, "errors.onnx_onnx_file", path=path, error=error) from None
    else:
        proto = path
    where = os.fspath(path) if isinstance(path, (str, os.PathLike)) else "the ONNX graph"
    graph = proto.graph
    _common.check_layer_count(len(graph.node), where)
    reader = read.Reader(graph)
    inputs = [i for i in graph.input if i.name not in reader.values]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise i18n.error(
            ValueError, "errors.onnx_tatamikomi_imports_graphs", len_inputs=len(inputs),
            len_graph_output=len(graph.output),
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

    shapes = read.tensor_hw(proto, info["input_shape"])
    entries, arrays, pending = [], [], {}
    current = inputs[0].name
    nodes = [n for n in graph.node if n.op_type != "Constant"]
    written = {current, *reader.values}  # every tensor is written once: no cycle, no overwrite
    for index, node in enumerate(nodes):
        if not node.input or node.input[0] != current:
            raise read.refuse_node(node, i18n.Said("errors.refuse_branch_graph_chain"))
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
        importer = _READERS.get(node.op_type)
        if importer is None:
            raise read.refuse_node(node, i18n.Said("errors.refuse_operator"))
        if pending.get("pad") and node.op_type not in ("Conv", "MaxPool", "AveragePool"):
            raise read.refuse_node(node, i18n.Said("errors.refuse_pad_node_that"))
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
        raise i18n.error(ValueError, "errors.onnx_onnx_graph_ends")
    if current != graph.output[0].name:
        raise i18n.error(ValueError, "errors.onnx_onnx_graph_s")
    if not entries:
        raise i18n.error(ValueError, "errors.onnx_onnx_graph_layer")
    return _common.build_sequential(entries, arrays, info, dtype, where=where)


if from_onnx.__doc__:  # the operators of RULES, written once (absent under python -OO)
    from_onnx.__doc__ = from_onnx.__doc__.replace(
        "{operators}", ", ".join(op for rule in RULES.values() for op in rule.ops)
    )


__all__ = [
    "to_onnx", "to_onnx_model", "from_onnx", "export_dtype", "DEFAULT_OPSET", "DEFAULT_DTYPE",
    "DTYPES",
]  # fmt: skip
