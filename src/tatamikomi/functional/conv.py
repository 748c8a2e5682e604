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

from .. import _parallel
from .._checks import (as_float, check_ndim, float_dtype, image_batch, is_integer, positive_pair,
                       refuse_integer_gradient)
from .geometry import Window2d, window2d
from .im2col import fold, unfold
from .padding import check_padding_mode, pad2d, pad2d_backward


@dataclass
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass.

    Its large arrays double as scratch space: backward writes the windows' gradient over
    ``col``, so one forward pass serves one backward pass (as in PyTorch), and a later forward
    pass given this cache as ``reuse`` writes into the same memory.
    """

    col: np.ndarray           # (N, groups, Cg*FH*FW, OH*OW), the unrolled windows
    padded: np.ndarray | None  # scratch of the padded input's shape, or None without padding
    col_owned: bool           # False when col is a view of the caller's input (1x1 filters)
    weight: np.ndarray        # (groups, FN/groups, Cg*FH*FW)
    weight_shape: tuple
    weight_dtype: np.dtype
    has_bias: bool
    window: Window2d
    padding_mode: str
    x_shape: tuple
    x_dtype: np.dtype
    integer_input: bool
    consumed: bool = False    # col holds the windows' gradient: backward has run


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
                   padding_mode="zeros", *, reuse: ConvCache | None = None):
    """Convolve and keep what the backward pass needs. Returns ``(out, cache)``.

    ``padding`` is an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``stride`` and ``dilation``
    are ints or pairs. Integer input is computed in float32. Mixed float dtypes follow NumPy
    promotion (float32 with float64 gives float64). ``reuse``: the cache of an earlier call that
    is no longer needed, whose memory this call may fill (layers pass their previous cache).
    """
    integer_input = is_integer(x)
    x, weight, bias = _check_conv_args(x, weight, bias, groups)
    padding_mode = check_padding_mode(padding_mode)
    dtype = float_dtype(x, weight, bias)
    n, channels = x.shape[:2]
    filters, group_channels, fh, fw = weight.shape
    window = window2d(x.shape[2:], (fh, fw), positive_pair(stride, "stride"), padding, dilation)
    oh, ow = window.out_hw
    source = x.astype(dtype, copy=False)
    weight_matrix = weight.astype(dtype, copy=False).reshape(groups, filters // groups, -1)
    bias_column = None if bias is None else bias.astype(dtype, copy=False).reshape(
        groups, filters // groups, 1)

    padded = None
    if not window.is_unpadded:
        if padding_mode == "zeros":   # filled slice by slice below
            padded = _scratch(reuse.padded if reuse else None, (n, channels) + window.padded_hw,
                              dtype)
        else:
            padded = pad2d(source, window.pads, padding_mode)
    unfolded = source if padded is None else padded
    if (fh, fw) == (1, 1) and window.stride == (1, 1) and unfolded.shape[2:] == (oh, ow):
        windows, col_owned = unfold(unfolded, window), False   # a view: 1x1 filters see pixels
    else:
        scratch = reuse.col if reuse is not None and reuse.col_owned else None
        windows, col_owned = _scratch(scratch, (n, channels, fh, fw, oh, ow), dtype), True
    col = windows.reshape(n, groups, group_channels * fh * fw, oh * ow)
    out = np.empty((n, groups, filters // groups, oh * ow), dtype=dtype)

    def work(batch: slice) -> None:
        # A few images at a time, so that their windows are still in cache for the product.
        for part in _parallel.chunks(batch, _images_per_chunk(col)):
            if padded is not None and padding_mode == "zeros":
                pad2d(source[part], window.pads, out=padded[part])
            if col_owned:
                unfold(unfolded[part], window, out=windows[part])
            np.matmul(weight_matrix, col[part], out=out[part])
            if bias_column is not None:
                out[part] += bias_column

    _parallel.over_batch(work, n, col.size + out.size, blas=True)
    cache = ConvCache(col, padded, col_owned, weight_matrix, weight.shape, weight.dtype,
                      bias is not None, window, padding_mode, x.shape, x.dtype, integer_input)
    return out.reshape(n, filters, oh, ow), cache


# The windows of about this many bytes are unrolled and multiplied before the next ones.
CHUNK_BYTES = 2 << 20


def _images_per_chunk(col: np.ndarray) -> int:
    return max(1, CHUNK_BYTES // max(1, col[0].nbytes))


def _scratch(array, shape, dtype) -> np.ndarray:
    """``array`` when it has this shape and dtype (memory from an earlier call), else a new one."""
    if array is not None and array.shape == shape and array.dtype == dtype:
        return array
    return np.empty(shape, dtype=dtype)


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
    without bias. ``dx`` has the input's dtype, ``dW``/``db`` the weight's. Computing dx uses
    the cache's memory, so each forward pass allows one such backward pass.
    """
    if cache.integer_input and need_input_grad:
        refuse_integer_gradient("convolution")
    if cache.consumed:
        raise RuntimeError(
            "this convolution's forward pass has already been used by a backward pass (its saved "
            "windows hold the gradient now); run forward again before another backward."
        )
    n, groups, kernel_size, positions = cache.col.shape
    filters = cache.weight_shape[0]
    window = cache.window
    (oh, ow), (fh, fw) = window.out_hw, window.kernel
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
    dw_per_image = np.empty((n, groups, filters // groups, kernel_size), dtype=cache.col.dtype)
    weight_t = cache.weight.transpose(0, 2, 1)
    channels = cache.x_shape[1]
    top, _, left, _ = window.pads
    height, width = window.input_hw
    crop_here = cache.padded is not None and cache.padding_mode == "zeros"
    dx = None
    if need_input_grad:
        dx = np.empty(cache.x_shape, dtype=cache.col.dtype)
        cache.consumed = True
        folded = dx if cache.padded is None else cache.padded

    def work(batch: slice) -> None:
        for part in _parallel.chunks(batch, _images_per_chunk(cache.col)):
            grads = grouped[part]
            np.matmul(grads, cache.col[part].transpose(0, 1, 3, 2), out=dw_per_image[part])
            if not need_input_grad:
                continue
            # The windows are not needed any more: their memory receives their gradient.
            dcol = np.matmul(weight_t, grads, out=cache.col[part] if cache.col_owned else None)
            fold(dcol.reshape(-1, channels, fh, fw, oh, ow), window, out=folded[part])
            if crop_here:
                dx[part] = folded[part, :, top:top + height, left:left + width]

    _parallel.over_batch(work, n, 2 * cache.col.size, blas=True)
    dw = dw_per_image.sum(axis=0).reshape(cache.weight_shape).astype(cache.weight_dtype, copy=False)
    if need_input_grad and cache.padded is not None and not crop_here:
        dx = pad2d_backward(folded, window.pads, window.input_hw, cache.padding_mode)
    if dx is not None:
        dx = dx.astype(cache.x_dtype, copy=False)
    return dx, dw, db
