"""Pooling layers: the lecture's :class:`Pooling` (max or average), its named forms, PyTorch's
:class:`MaxPool2d` and :class:`AvgPool2d`, and :class:`GlobalAveragePooling`."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import i18n
from .._checks import pair
from ..functional.geometry import Window2d
from .base import Layer, _int_or_list, _need_ndim


class Pooling(Layer):
    """The lecture's Pooling layer: max (default) or average over pool_h x pool_w windows.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1``. No
    parameters; channels are unchanged; the stride defaults to the window size. Max pooling pads
    with -inf (padding never wins); ``dilation`` applies to max pooling, ``count_include_pad``
    to average pooling.
    """

    _backward_state = ("_cache", "_inference_input")

    def __init__(
        self,
        pool_h,
        pool_w=None,
        stride=None,
        pad=0,
        mode="max",
        *,
        dilation=1,
        ceil_mode=False,
        count_include_pad=True,
    ):
        super().__init__()
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg'; got {mode!r}")
        if mode == "avg" and pair(dilation, "dilation") != (1, 1):
            raise ValueError("average pooling has no dilation; use mode='max' or dilation=1")
        self.pool = pair(pool_h if pool_w is None else (pool_h, pool_w), "pool size")
        self.stride = self.pool if stride is None else pair(stride, "stride")
        self.pad = pair(pad, "pad")
        self.mode, self.dilation, self.ceil_mode = mode, dilation, ceil_mode
        self.count_include_pad = count_include_pad
        self._cache = None
        self._inference_input = None  # max pooling in eval mode: its input, for a backward pass

    kind = "pool"
    book_name = "Pool"
    #: max pooling may run before a ReLU in place of after it (see models.sequential)
    commutes_with_relu = True

    def _max_options(self) -> tuple:
        """Max pooling's arguments after the input: kernel, stride, padding, dilation, ceil."""
        return self.pool, self.stride, self.pad, self.dilation, self.ceil_mode

    def forward(self, x):
        self._inference_input = None
        if self.mode == "max" and not self.training:
            # inference: the maxima alone; the winners only if a backward pass asks for them
            self._cache, self._inference_input = None, x
            return F.max_pool2d(x, *self._max_options())
        if self.mode == "max":
            out, self._cache = F.max_pool2d_forward(x, *self._max_options())
        else:
            out, self._cache = F.avg_pool2d_forward(
                x, self.pool, self.stride, self.pad, self.ceil_mode, self.count_include_pad
            )
        return out

    def backward(self, dout):
        if self._cache is None and self._inference_input is not None:
            _, self._cache = F.max_pool2d_forward(self._inference_input, *self._max_options())
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if self.mode == "max":
            return F.max_pool2d_backward(dout, self._cache)
        return F.avg_pool2d_backward(dout, self._cache)

    def to_spec(self) -> dict:
        entry = {
            "type": "MaxPool2d" if self.mode == "max" else "AvgPool2d",
            "kernel_size": _int_or_list(self.pool),
            "stride": _int_or_list(self.stride),
            "padding": _int_or_list(self.pad),
            "ceil_mode": bool(self.ceil_mode),
        }
        if self.mode == "max":
            entry["dilation"] = _int_or_list(self.dilation)
        else:
            entry["count_include_pad"] = bool(self.count_include_pad)
        return entry

    def window(self, input_hw) -> Window2d:
        """Where the pooling window goes over an (H, W) input."""
        dilation = self.dilation if self.mode == "max" else 1
        return F.pool_window(input_hw, self.pool, self.stride, self.pad, dilation, self.ceil_mode)

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        return (int(input_shape[0]), *self.window(input_shape[1:]).out_hw)

    def cell_explanation_unsupported(self) -> i18n.Said | None:
        if tuple(np.broadcast_to(self.dilation, 2)) != (1, 1) or self.ceil_mode:
            return i18n.Said("errors.explain_pool_dilated")
        if self.mode == "avg" and not self.count_include_pad:
            return i18n.Said("errors.explain_pool_count_pad")
        return None

    def describe(self) -> str:
        entry = self.to_spec()
        text = f"{type(self).__name__} {entry['kernel_size']}"
        if entry["stride"] != entry["kernel_size"]:
            text += f" stride={entry['stride']}"
        return text + (f" padding={entry['padding']}" if entry["padding"] else "")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pool={self.pool}, stride={self.stride}, pad={self.pad}, "
            f"mode={self.mode!r})"
        )


class MaxPooling(Pooling):
    """Max pooling (the lecture's usual choice): each window's largest value.

    Shape: (N, C, H, W) -> (N, C, OH, OW),
    ``OH = (H + 2*pad - dilation*(pool_h-1) - 1) // stride + 1`` (rounded up with ceil_mode).
    """

    def __init__(self, pool_h, pool_w=None, stride=None, pad=0, *, dilation=1, ceil_mode=False):
        super().__init__(pool_h, pool_w, stride, pad, "max", dilation=dilation, ceil_mode=ceil_mode)


class AveragePooling(Pooling):
    """Average pooling: each window's mean.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1`` (rounded
    up with ceil_mode).
    """

    def __init__(
        self, pool_h, pool_w=None, stride=None, pad=0, *, ceil_mode=False, count_include_pad=True
    ):
        super().__init__(
            pool_h,
            pool_w,
            stride,
            pad,
            "avg",
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )


class MaxPool2d(MaxPooling):
    """PyTorch's name and arguments for :class:`MaxPooling`.

    Shape: (N, C, H, W) -> (N, C, OH, OW),
    ``OH = (H + 2*padding - dilation*(kernel_size-1) - 1) // stride + 1``; stride defaults to
    kernel_size.
    """

    spec_type = "MaxPool2d"
    spec_options = frozenset({"kernel_size", "stride", "padding", "ceil_mode", "dilation"})
    spec_required = frozenset({"kernel_size"})

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, None, stride, padding, dilation=dilation, ceil_mode=ceil_mode)


class AvgPool2d(AveragePooling):
    """PyTorch's name and arguments for :class:`AveragePooling`.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*padding - kernel_size) // stride + 1``;
    stride defaults to kernel_size.
    """

    spec_type = "AvgPool2d"
    spec_options = frozenset({"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"})
    spec_required = frozenset({"kernel_size"})

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__(
            kernel_size,
            None,
            stride,
            padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )


class GlobalAveragePooling(Layer):
    """Average over all of H and W.

    Shape: (N, C, H, W) -> (N, C, 1, 1).
    """

    spec_type = "GlobalAvgPool2d"
    kind = "global_pool"
    book_name = "Pool"

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        return (int(input_shape[0]), 1, 1)

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = self._input(x)
        out, self._x_shape = F.global_avg_pool2d_forward(x)
        return out

    def backward(self, dout):
        self._require_forward(self._x_shape)
        return F.global_avg_pool2d_backward(dout, self._x_shape)
