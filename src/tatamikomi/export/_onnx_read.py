"""ONNX in, node by node: :class:`Reader` (the graph's constant tensors) and the functions that
read one node as a layer's spec entry and arrays, each ``function(node, reader, pending)`` giving
(spec entry, arrays) or None (a Pad node, kept in ``pending`` for the Conv or pooling after it).
Which function reads which operator is the table ``RULES`` in :mod:`tatamikomi.export.onnx`."""

from __future__ import annotations

import numpy as np

from . import _common
from .. import i18n


def _onnx():
    return _common.require("onnx", "onnx")


class Reader:
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
            raise i18n.error(
                ValueError, "errors.onnx_read_onnx_node_input",
                node=node.name or node.op_type, name=name,
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
            raise refuse_node(
                node,
                i18n.Said(
                    "errors.refuse_attribute", key=key, decode_value=_decode(value)
                ),
            )
        if allowed[key] is not None and _decode(value) not in allowed[key]:
            raise refuse_node(node, f"{key}={_decode(value)!r}")


def refuse_node(node, what: str) -> ValueError:
    return i18n.error(
        ValueError, "errors.onnx_refuse_node", name=node.name or "(unnamed)", op=node.op_type,
        what=what,
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
    raise refuse_node(node, i18n.Said("errors.refuse_asymmetric_pads", list_pads=list(pads)))


def _float32_value(value) -> float:
    """An ONNX float attribute (stored as float32) as the shortest decimal it rounds from, so
    that eps=1e-6 comes back as 1e-6, not 9.99999997e-07."""
    return float(str(np.float32(value)))


def conv(node, reader, pending):
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
        raise refuse_node(node, i18n.Said("errors.refuse_d_convolution", w_ndim_2=W.ndim - 2))
    kernel = tuple(W.shape[2:])
    stride = tuple(a.get("strides", (1, 1)))
    dilation = tuple(a.get("dilations", (1, 1)))
    auto_pad = _decode(a.get("auto_pad", "NOTSET"))
    padding_mode = "zeros"
    if pending.get("pad"):
        padding_mode, pads = pending.pop("pad")
        if padding_mode == "-inf" or any(a.get("pads", ())) or auto_pad != "NOTSET":
            raise refuse_node(node, i18n.Said("errors.refuse_pad_node_before"))
    elif auto_pad == "SAME_UPPER":
        pads = None
    else:
        pads = a.get("pads", (0, 0, 0, 0))
    if pads is None:
        padding = "same"
        if stride != (1, 1):
            raise refuse_node(
                node,
                i18n.Said(
                    "errors.refuse_auto_pad_same", list_stride=list(stride)
                ),
            )
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


def pad(node, reader, pending):
    a = _attributes(node)
    mode = _decode(a.get("mode", "constant"))
    pads = reader.get(node, 1)
    value = reader.get(node, 2)
    if mode not in _IMPORT_PAD_MODES:
        raise refuse_node(node, i18n.Said("errors.refuse_pad_mode", mode=mode))
    if len(node.input) > 3:
        raise refuse_node(node, "axes")
    if value is not None and np.any(value != 0):
        if mode != "constant" or not np.all(np.isneginf(value)):
            raise refuse_node(node, i18n.Said("errors.refuse_constant_value_inf", value=value))
        mode = "-inf"
    pads = [int(p) for p in pads]
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
        raise refuse_node(node, i18n.Said("errors.refuse_pads_only_h", pads=pads))
    pending["pad"] = (_IMPORT_PAD_MODES[mode], [pads[2], pads[3], pads[6], pads[7]])
    return None


def gemm(node, reader, pending):
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
            raise refuse_node(
                node,
                i18n.Said(
                    "errors.refuse_ceil_mode_asymmetric", list_pads=list(pads)
                ),
            )
        window = window2d(input_hw, kernel, stride, (top, left), dilation, True)
        onnx_out = [
            -(-(size + 2 * p - d * (k - 1) - 1) // s) + 1
            for size, p, k, s, d in zip(input_hw, (top, left), kernel, stride, dilation)
        ]
        if list(window.out_hw) != onnx_out:
            raise refuse_node(
                node,
                i18n.Said(
                    "errors.refuse_ceil_mode_where", onnx_out=onnx_out, out_hw=list(window.out_hw)
                ),
            )
        return _common.pair_value((top, left)), True
    if (top, left) == (bottom, right):
        return _common.pair_value((top, left)), False
    extra = (bottom - top, right - left)
    if min(extra) >= 0 and input_hw is not None:
        window = window2d(input_hw, kernel, stride, (top, left), dilation, True)
        if tuple(window.extra) == extra:
            return _common.pair_value((top, left)), True
    raise refuse_node(node, i18n.Said("errors.refuse_asymmetric_pads", list_pads=list(pads)))


def pool(node, reader, pending):
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
        raise refuse_node(node, i18n.Said("errors.refuse_indices_output"))
    kernel = tuple(a["kernel_shape"])
    if len(kernel) != 2:
        raise refuse_node(node, i18n.Said("errors.refuse_d_pooling", len_kernel=len(kernel)))
    stride = tuple(a.get("strides", (1, 1)))
    dilation = tuple(a.get("dilations", (1, 1)))
    if not max_pool and dilation != (1, 1):
        raise refuse_node(
            node,
            i18n.Said(
                "errors.refuse_dilations_average_pooling", list_dilation=list(dilation)
            ),
        )
    pads = list(a.get("pads", (0, 0, 0, 0)))
    include = bool(a.get("count_include_pad", 0))
    input_hw = pending["input_hw"]
    if pending.get("pad"):  # -inf before a MaxPool; 0 before an average that counts it
        mode, before = pending.pop("pad")
        if mode != ("-inf" if max_pool else "zeros") or include:
            raise refuse_node(
                node,
                i18n.Said("errors.refuse_pad_node_before2"),
            )
        top, left, bottom, right = before
        if pads[:2] != [0, 0]:
            raise refuse_node(
                node,
                i18n.Said(
                    "errors.refuse_pad_before_pads", before=before, pads=pads
                ),
            )
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


def batchnorm(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"epsilon": None, "momentum": None, "training_mode": {0}})
    if len(node.output) > 1:
        raise refuse_node(node, i18n.Said("errors.refuse_training_outputs"))
    gamma, beta, mean, var = (reader.get(node, i) for i in range(1, 5))
    entry = {
        "type": "BatchNormalization",
        "momentum": _float32_value(a.get("momentum", 0.9)),
        "eps": _float32_value(a.get("epsilon", 1e-5)),
        "unbiased_running_var": True,
        "affine": True,
    }
    return entry, {"gamma": gamma, "beta": beta, "running_mean": mean, "running_var": var}


def dropout(node, reader, pending):
    attributes = _attributes(node)  # ratio and is_test: attributes before opset 12
    _check_attributes(node, attributes, {"seed": None, "ratio": None, "is_test": None})
    if len(node.input) > 2 and node.input[2]:
        training = reader.get(node, 2)
        if bool(training):
            raise refuse_node(node, "training_mode=True")
    ratio = np.asarray(reader.get(node, 1, np.array(attributes.get("ratio", 0.5))))
    p = _float32_value(ratio) if ratio.dtype == np.float32 else float(ratio)
    return {"type": "Dropout", "p": p}, {}


def flatten(node, reader, pending):
    a = _attributes(node)
    _check_attributes(node, a, {"axis": {1}})
    return {"type": "Flatten"}, {}


def op(kind: str, **attributes):
    """A node read as a layer of spec type ``kind`` with no arrays; ``attributes`` maps each
    float attribute the node may have to (spec key, ONNX's default):
    ``op("LeakyReLU", alpha=("negative_slope", 0.01))``. Any other attribute is refused."""

    def read(node, reader, pending):
        a = _attributes(node)
        _check_attributes(node, a, dict.fromkeys(attributes))
        entry = {"type": kind}
        for name, (key, default) in attributes.items():
            entry[key] = _float32_value(a.get(name, default))
        return entry, {}

    return read


def tensor_hw(proto, input_shape):
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
