"""ONNX out, layer by layer: :class:`Graph` (the nodes and initializers being written) and the
functions that append one layer's nodes, each ``function(graph, name, layer, input shape)``.
Which function writes which layer is the table ``RULES`` in :mod:`tatamikomi.export.onnx`."""

from __future__ import annotations

import numpy as np

from .. import i18n
from . import _common
from ._common import refuse


def _onnx():
    return _common.require("onnx", "onnx")


class Graph:
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


def op(name_of_op: str, **attributes):
    """A layer written as one node ``name_of_op``; an attribute's value is a constant or a
    function of the layer (``alpha=lambda layer: float(layer.negative_slope)``)."""

    def write(graph, name, layer, shape):
        values = {k: v(layer) if callable(v) else v for k, v in attributes.items()}
        graph.add(name_of_op, name, **values)

    return write


def _onnx_pads(pads) -> list[int]:
    """tatamikomi's (top, bottom, left, right) as ONNX's [top, left, bottom, right]."""
    top, bottom, left, right = pads
    return [int(top), int(left), int(bottom), int(right)]


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def conv(graph, name, layer, shape):
    from ..functional.geometry import window2d

    FN, _, FH, FW = layer.W.shape
    window = window2d(shape[1:], (FH, FW), layer.stride, layer.pad, layer.dilation)
    pads = _onnx_pads(window.pads)
    if layer.padding_mode != "zeros" and any(pads):
        if layer.padding_mode == "circular" and graph.opset < 19:
            raise refuse(
                name,
                i18n.Said("errors.refuse_padding_mode_circular"),
                i18n.Said("errors.refuse_onnx_opset_use", graph_opset=graph.opset),
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


def linear(graph, name, layer, shape):
    if len(shape) > 1:  # the book's Affine flattens (N, C, H, W) by itself; ONNX's Gemm does not
        graph.add("Flatten", f"{name}.flatten", axis=1)
    inputs = [graph.weight(f"{name}.W", layer.W)]  # (in, out), as Gemm's B without transB
    if layer.b is not None:
        inputs.append(graph.weight(f"{name}.b", layer.b))
    graph.add("Gemm", name, inputs)


def pool(graph, name, layer, shape):
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
            i18n.Said(
                "errors.refuse_average_pooling_ceil", pads=pads, kernel=list(window.kernel)
            ),
            "ONNX",
        )
    graph.add("AveragePool", name, pads=pads, count_include_pad=int(include), **attributes)


def _pads_fit(pads, kernel) -> bool:
    top, left, bottom, right = pads
    return max(top, bottom) < kernel[0] and max(left, right) < kernel[1]


def batchnorm(graph, name, layer, shape):
    if not layer.track_running_stats:
        raise refuse(name, i18n.Said("errors.refuse_batch_normalisation_without"), "ONNX")
    gamma, beta = layer.scale_and_shift()
    inputs = [
        graph.weight(f"{name}.gamma", gamma),
        graph.weight(f"{name}.beta", beta),
        graph.weight(f"{name}.running_mean", layer.running_mean),
        graph.weight(f"{name}.running_var", layer.running_var),
    ]
    # ONNX's momentum is the share kept, as in the book
    graph.add("BatchNormalization", name, inputs, epsilon=layer.eps, momentum=layer.momentum)


def dropout(graph, name, layer, shape):
    ratio = graph.weight(f"{name}.ratio", np.array(layer.dropout_ratio))
    graph.add("Dropout", name, [ratio])  # inverted dropout: the identity at inference
