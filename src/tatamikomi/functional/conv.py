"""2-D convolution (cross-correlation, as in the lecture and in PyTorch), forward and backward.

For every image n, filter f and output position (y, x)::

    out[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] * xp[n, g*Cg + c, y*sh + i*dh, x*sw + j*dw]

where ``xp`` is the padded input, g = f // (FN // groups) the filter's group and Cg = C // groups
its input channels. With the windows unrolled (see :mod:`.im2col`) this is one matrix product
per image and group: ``W (FN, C*FH*FW) @ col (C*FH*FW, OH*OW)``.

Shapes: x (N, C, H, W), W (FN, C/groups, FH, FW), b (FN,) -> out (N, FN, OH, OW), with
``OH = (H + pad_top + pad_bottom - dilation*(FH-1) - 1) // stride + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import (as_float, check_ndim, float_dtype, image_batch, is_integer, positive_pair,
                       refuse_integer_gradient)
from .geometry import Window2d, window2d
from .im2col import fold, unfold
from .padding import check_padding_mode, pad2d, pad2d_backward


@dataclass
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass."""

    col: np.ndarray           # (N, groups, Cg*FH*FW, OH*OW), the unrolled windows
    weight: np.ndarray        # (groups, FN/groups, Cg*FH*FW)
    weight_shape: tuple
    weight_dtype: np.dtype
    has_bias: bool
    window: Window2d
    padding_mode: str
    x_shape: tuple
    x_dtype: np.dtype
    integer_input: bool


def _check_conv_args(x, weight, bias, groups):
    x = image_batch(x, "input")
    weight = as_float(weight, "weight")
    check_ndim(weight, 4, "weight", "(FN, C/groups, FH, FW)")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    channels, filters = x.shape[1], weight.shape[0]
    if channels % groups or filters % groups:
        raise ValueError(
            f"groups={groups} must divide both the input channels ({channels}) and the number of "
            f"filters ({filters})."
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"input has {channels} channels (shape {tuple(x.shape)}), but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {weight.shape[1] * groups}. "
            f"The weight must be (FN, C/groups, FH, FW) = ({filters}, {channels // groups}, "
            f"{weight.shape[2]}, {weight.shape[3]})."
        )
    if bias is not None:
        bias = as_float(bias, "bias")
        if bias.shape not in ((filters,), (filters, 1, 1), (1, filters, 1, 1)):
            raise ValueError(
                f"bias must have one value per filter, shape ({filters},); got {tuple(bias.shape)}"
            )
        bias = bias.reshape(filters)
    return x, weight, bias


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros"):
    """Convolve and keep what the backward pass needs. Returns ``(out, cache)``.

    ``padding`` is an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``stride`` and ``dilation``
    are ints or pairs. Integer input is computed in float32. Mixed float dtypes follow NumPy
    promotion (float32 with float64 gives float64).
    """
    integer_input = is_integer(x)
    x, weight, bias = _check_conv_args(x, weight, bias, groups)
    padding_mode = check_padding_mode(padding_mode)
    dtype = float_dtype(x, weight, bias)
    n, channels = x.shape[:2]
    filters, group_channels, fh, fw = weight.shape
    window = window2d(x.shape[2:], (fh, fw), positive_pair(stride, "stride"), padding, dilation)
    source = x.astype(dtype, copy=False)
    padded = source if window.is_unpadded else pad2d(source, window.pads, padding_mode)
    oh, ow = window.out_hw
    col = unfold(padded, window).reshape(n, groups, group_channels * fh * fw, oh * ow)
    weight_matrix = weight.astype(dtype, copy=False).reshape(groups, filters // groups, -1)
    out = np.matmul(weight_matrix, col).reshape(n, filters, oh, ow)
    if bias is not None:
        out += bias.astype(dtype, copy=False).reshape(1, filters, 1, 1)
    cache = ConvCache(col, weight_matrix, weight.shape, weight.dtype, bias is not None, window,
                      padding_mode, x.shape, x.dtype, integer_input)
    return out, cache


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution, PyTorch's ``conv2d`` semantics: (N, C, H, W) -> (N, FN, OH, OW).

    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]])
    >>> w = np.array([[1, 0, 2], [0, 2, 0], [1, 1, -1]])
    >>> conv2d(x[None, None], w[None, None])[0, 0]          # the lecture's example
    array([[12., 14.],
           [14., 10.]], dtype=float32)
    """
    return conv2d_forward(x, weight, bias, stride, padding, dilation, groups, padding_mode)[0]


def conv2d_backward(dout, cache: ConvCache, need_input_grad: bool = True):
    """Gradients of a convolution. Returns ``(dx, dW, db)``.

    ``dW = sum_n dout[n] @ col[n].T`` (per group), ``db = dout.sum(axis=(0, 2, 3))``, and ``dx`` is
    ``W.T @ dout[n]`` folded back onto the input (col2im) and un-padded. ``dx`` is None when
    ``need_input_grad`` is False (a first layer needs no input gradient); ``db`` is None
    without bias. ``dx`` has the input's dtype, ``dW``/``db`` the weight's.
    """
    if cache.integer_input and need_input_grad:
        refuse_integer_gradient("convolution")
    n, groups, _, positions = cache.col.shape
    filters = cache.weight_shape[0]
    oh, ow = cache.window.out_hw
    dout = as_float(dout, "dout")
    if dout.shape != (n, filters, oh, ow):
        raise ValueError(
            f"dout must have the forward output's shape {(n, filters, oh, ow)}; got {tuple(dout.shape)}"
        )
    grouped = np.ascontiguousarray(dout, dtype=cache.col.dtype).reshape(n, groups, -1, positions)
    db = None
    if cache.has_bias:
        db = grouped.reshape(n, filters, positions).sum(axis=2).sum(axis=0)
        db = db.astype(cache.weight_dtype, copy=False)
    dw = np.matmul(grouped, cache.col.transpose(0, 1, 3, 2)).sum(axis=0)
    dw = dw.reshape(cache.weight_shape).astype(cache.weight_dtype, copy=False)
    if not need_input_grad:
        return None, dw, db
    dcol = np.matmul(cache.weight.transpose(0, 2, 1), grouped)
    fh, fw = cache.window.kernel
    dcol = dcol.reshape(n, cache.x_shape[1], fh, fw, oh, ow)
    dx = pad2d_backward(fold(dcol, cache.window), cache.window.pads, cache.window.input_hw,
                        cache.padding_mode)
    return dx.astype(cache.x_dtype, copy=False), dw, db
