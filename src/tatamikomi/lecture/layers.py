"""The book's Convolution and Pooling layers, computed with the lecture's im2col.

Each is the book's class (ゼロから作るDeep Learning 7.4): ``forward`` unrolls the windows with
:func:`~.im2col.im2col`, multiplies once and reshapes back to (N, C, H, W), keeping what
``backward`` needs; ``backward`` returns ``dx`` and sets ``dW``/``db``. They take the lecture's
options only (an int stride and an int zero padding); a network of them can be saved, summarised
and explained like any other, since they are :class:`tatamikomi.layers.Convolution` and
:class:`tatamikomi.layers.Pooling` computed another way.
"""

from __future__ import annotations

import numpy as np

from .. import i18n, layers
from ..functional.geometry import conv_output_size
from .im2col import col2im, im2col


def _one_int(value, name: str) -> int:
    """One non-negative int (a pair of equal ints is taken as that int; 'valid' as 0)."""
    if value == "valid":
        return 0
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise i18n.error(ValueError, "errors.lecture_one_int", name=name, value=repr(value))
    return int(value)


class Convolution(layers.Convolution):
    """The lecture's Convolution layer: filters W (FN, C, FH, FW), bias b (FN,).

    Shape: (N, C, H, W) -> (N, FN, OH, OW), ``OH = (H + 2*pad - FH) // stride + 1``.
    forward: ``col = im2col(x)`` (N*OH*OW, C*FH*FW), ``col_W = W.reshape(FN, -1).T``,
    ``out = col @ col_W + b`` reshaped to (N, OH, OW, FN) and transposed to (N, FN, OH, OW).
    """

    _backward_state = ("x", "col", "col_W")

    def __init__(self, W, b=None, stride=1, pad=0, *, need_input_grad=True):
        super().__init__(W, b, _one_int(stride, "stride"), _one_int(pad, "pad"),
                         need_input_grad=need_input_grad)
        self.x = self.col = self.col_W = None

    @classmethod
    def from_layer(cls, layer: layers.Convolution) -> "Convolution":
        """The same filters and bias computed the lecture's way (refused for other options)."""
        for name, value, plain in (
            ("dilation", layer.dilation, 1),
            ("groups", layer.groups, 1),
            ("padding_mode", layer.padding_mode, "zeros"),
        ):
            if value not in (plain, (plain, plain)):
                raise i18n.error(
                    ValueError, "errors.lecture_conv_option", option=f"{name}={value!r}"
                )
        return cls(layer.W, layer.b, layer.stride, layer.pad, need_input_grad=layer.need_input_grad)

    def forward(self, x):
        x = self._input(x)
        dtype = np.result_type(x.dtype, self.W.dtype)
        x, W = x.astype(dtype, copy=False), self.W.astype(dtype, copy=False)
        b = np.zeros(len(W), dtype) if self.b is None else self.b.astype(dtype, copy=False)
        FN, C, FH, FW = W.shape
        N, C, H, Wd = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(Wd, FW, self.stride, self.pad)

        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = W.reshape(FN, -1).T
        out = col @ col_W + b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x, self.col, self.col_W = x, col, col_W
        return np.ascontiguousarray(out)

    def backward(self, dout):
        self._require_forward(self.x)
        FN, C, FH, FW = self.W.shape
        dout = np.asarray(dout).transpose(0, 2, 3, 1).reshape(-1, FN)

        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(FN, C, FH, FW).astype(self.W.dtype)
        if self.b is not None:
            self.db = np.sum(dout, axis=0).astype(self.W.dtype)
        if not self.need_input_grad:
            return None
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling(layers.Pooling):
    """The lecture's Pooling layer: the largest (or mean) value of each pool_h x pool_w window.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1``; no
    parameters, channels unchanged, the stride defaults to the window size (the lecture's rule).
    forward: ``im2col`` with one row per window and channel, then ``max`` (keeping ``argmax``
    for backward) or ``mean`` of each row, reshaped back.
    """

    _backward_state = ("x", "arg_max")
    commutes_with_relu = False  # runs where it is listed, as the book's network does

    def __init__(self, pool_h, pool_w=None, stride=None, pad=0, mode="max"):
        pool_w = pool_h if pool_w is None else pool_w
        stride = pool_h if stride is None else stride
        super().__init__(_one_int(pool_h, "pool_h"), _one_int(pool_w, "pool_w"),
                         _one_int(stride, "stride"), _one_int(pad, "pad"), mode)
        if mode == "max" and pad:
            raise i18n.error(ValueError, "errors.lecture_max_pad")
        self.x = self.arg_max = None

    @classmethod
    def from_layer(cls, layer: layers.Pooling) -> "Pooling":
        """The same pooling computed the lecture's way (refused for other options)."""
        unsupported = {
            "dilation": layer.dilation not in (1, (1, 1)),
            "ceil_mode": bool(layer.ceil_mode),
            "count_include_pad=False": layer.mode == "avg" and not layer.count_include_pad,
        }
        problems = [name for name, present in unsupported.items() if present]
        if problems:
            raise i18n.error(ValueError, "errors.lecture_pool_option", options=", ".join(problems))
        (ph, pw) = layer.pool
        return cls(ph, pw, tuple(layer.stride), tuple(layer.pad), layer.mode)

    def forward(self, x):
        x = self._input(x)
        (pool_h, pool_w), stride, pad = self.pool, self.stride[0], self.pad[0]
        N, C, H, W = x.shape
        out_h = conv_output_size(H, pool_h, stride, pad)
        out_w = conv_output_size(W, pool_w, stride, pad)

        col = im2col(x, pool_h, pool_w, stride, pad).reshape(-1, pool_h * pool_w)
        if self.mode == "max":
            self.arg_max = np.argmax(col, axis=1)
            out = np.max(col, axis=1)
        else:
            out = np.mean(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x = x
        return np.ascontiguousarray(out)

    def backward(self, dout):
        self._require_forward(self.x)
        (pool_h, pool_w), stride, pad = self.pool, self.stride[0], self.pad[0]
        pool_size = pool_h * pool_w
        dout = np.asarray(dout, dtype=self.x.dtype).transpose(0, 2, 3, 1)

        if self.mode == "max":
            dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
            dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        else:  # each window's gradient shared equally among its inputs
            dmax = np.repeat(dout.reshape(-1, 1) / pool_size, pool_size, axis=1)
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, pool_h, pool_w, stride, pad)
