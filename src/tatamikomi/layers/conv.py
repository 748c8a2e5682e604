"""Convolution layers: the lecture's :class:`Convolution` and PyTorch's :class:`Conv2d`."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import i18n
from .._checks import DEFAULT_DTYPE, check_groups, check_ndim, positive_int, positive_pair
from ..functional.geometry import Window2d, window2d
from ..init import initial_bias, initial_weight
from .base import Layer, _Entry, _generator, _int_or_list, _need_ndim, _parameter


class Convolution(Layer):
    """The lecture's Convolution layer: filters W (FN, C/groups, FH, FW) and bias b (FN,).

    Shape: (N, C, H, W) -> (N, FN, OH, OW),
    ``OH = (H + 2*pad - dilation*(FH-1) - 1) // stride + 1``.
    ``pad`` may be an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``padding_mode`` is
    ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``. ``b`` may be None (no bias).
    With ``need_input_grad=False`` (a network's first layer) backward skips dx and returns None.
    """

    W = _Entry("params", "W")
    b = _Entry("params", "b")
    dW = _Entry("grads", "W")
    db = _Entry("grads", "b")
    _backward_state = ("_cache",)

    def __init__(
        self,
        W,
        b=None,
        stride=1,
        pad=0,
        *,
        dilation=1,
        groups=1,
        padding_mode="zeros",
        need_input_grad=True,
    ):
        super().__init__()
        self.W = _parameter(W, "W")
        check_ndim(self.W, 4, "W", "(FN, C/groups, FH, FW)")
        if 0 in self.W.shape:
            raise ValueError(
                f"W has shape {self.W.shape}: a convolution needs at least one filter, channel "
                f"and filter row/column (FN, C/groups, FH, FW all at least 1)"
            )
        check_groups(groups, self.W.shape[1] * positive_int(groups, "groups"), self.W.shape[0])
        if b is not None:
            self.b = _parameter(b, "b", self.W.dtype).reshape(-1)
            if self.b.shape != (self.W.shape[0],):
                raise ValueError(
                    f"b must have one value per filter, shape ({self.W.shape[0]},); "
                    f"got {np.shape(b)}"
                )
        self.stride, self.pad, self.dilation, self.groups = stride, pad, dilation, groups
        self.padding_mode = F.padding.check_padding_mode(padding_mode)
        self.need_input_grad = need_input_grad
        self._cache = None

    spec_type = "Conv2d"
    spec_options = frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
         "padding_mode", "init"}
    )
    spec_required = frozenset({"out_channels", "kernel_size"})
    kind = "conv"
    book_name = "Conv"

    def forward(self, x):
        out, self._cache = F.conv2d_forward(
            x,
            self.W,
            self.b,
            self.stride,
            self.pad,
            self.dilation,
            self.groups,
            self.padding_mode,
            reuse=self._cache,
            keep=self.training,
        )
        return out

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("Convolution.backward called before forward")
        dx, dW, db = F.conv2d_backward(dout, self._cache, self.need_input_grad)
        self.dW = dW
        if db is not None:
            self.db = db
        return dx

    def to_spec(self) -> dict:
        FN, _, FH, FW = self.W.shape
        return {
            "type": "Conv2d",
            "out_channels": int(FN),
            "kernel_size": _int_or_list((FH, FW)),
            "stride": _int_or_list(self.stride),
            "padding": self.pad if isinstance(self.pad, str) else _int_or_list(self.pad),
            "dilation": _int_or_list(self.dilation),
            "groups": int(self.groups),
            "bias": self.b is not None,
            "padding_mode": self.padding_mode,
        }

    @classmethod
    def _build(cls, shape, rng, dtype, out_channels, kernel_size, init="he", **options):
        _need_ndim(shape, 3, "Conv2d", "(C, H, W)")
        return Conv2d(
            shape[0], out_channels, kernel_size, **options, init=init, seed=rng, dtype=dtype
        )

    def window(self, input_hw) -> Window2d:
        """Where the filter goes over an (H, W) input (:func:`~.functional.geometry.window2d`)."""
        return window2d(tuple(input_hw), self.W.shape[2:], self.stride, self.pad, self.dilation)

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        channels = self.W.shape[1] * self.groups
        if input_shape[0] != channels:
            raise ValueError(
                f"{type(self).__name__} with filters {self.W.shape} and groups={self.groups} "
                f"takes {channels} input channels; got input {tuple(input_shape)}"
            )
        window = self.window(input_shape[1:])
        if self.padding_mode != "zeros":  # refused now, not at the first forward pass
            for axis in (0, 1):
                F.padding.check_padding_fits(
                    window.input_hw[axis], *window.pads[2 * axis : 2 * axis + 2], self.padding_mode
                )
        return (int(self.W.shape[0]), *window.out_hw)

    def cell_explanation_unsupported(self) -> i18n.Said | None:
        if tuple(np.broadcast_to(self.dilation, 2)) != (1, 1) or self.groups != 1:
            return i18n.Said("errors.explain_conv_dilated")
        if self.padding_mode != "zeros" or isinstance(self.pad, str):
            return i18n.Said("errors.explain_conv_padding")
        return None

    def describe(self) -> str:
        FN, C, FH, FW = self.W.shape
        entry = self.to_spec()
        text = f"{type(self).__name__} {FN}x{C}x{FH}x{FW}"
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            if entry[key] != default:
                text += f" {key}={entry[key]}"
        return text


class Conv2d(Convolution):
    """PyTorch's name and arguments for :class:`Convolution`, with weights initialised by ``init``
    (``"pytorch"``, ``"he"``, ``"xavier"`` or a std such as 0.01; see :mod:`tatamikomi.init`).
    ``weight`` and ``bias`` are the same arrays as ``W`` and ``b``.

    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    ``OH = (H + 2*padding - dilation*(kernel_size-1) - 1) // stride + 1``.
    """

    weight = _Entry("params", "W")
    bias = _Entry("params", "b")

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        *,
        init="pytorch",
        seed=None,
        dtype=DEFAULT_DTYPE,
        need_input_grad=True,
    ):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        groups = check_groups(groups, in_channels, out_channels)
        kh, kw = positive_pair(kernel_size, "kernel_size")
        fan_in = in_channels // groups * kh * kw
        rng = _generator(seed)
        W = initial_weight((out_channels, in_channels // groups, kh, kw), fan_in, init, rng, dtype)
        b = initial_bias(out_channels, fan_in, init, rng, dtype) if bias else None
        super().__init__(
            W,
            b,
            stride,
            padding,
            dilation=dilation,
            groups=groups,
            padding_mode=padding_mode,
            need_input_grad=need_input_grad,
        )
