"""2-D convolution (cross-correlation, as in the lecture and in PyTorch), forward and backward.

For every image n, filter f and output position (y, x)::

    out[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] * xp[n, g*Cg + c, y*sh + i*dh, x*sw + j*dw]

where ``xp`` is the padded input, g = f // (FN // groups) the filter's group and Cg = C // groups
its input channels. With the windows unrolled (im2col, see :mod:`.im2col`) this is one matrix
product (積和計算) per image and group: ``W (FN, Cg*FH*FW) @ col (Cg*FH*FW, OH*OW)``.

Shapes: x (N, C, H, W), W (FN, C/groups, FH, FW), b (FN,) -> out (N, FN, OH, OW), with
``OH = (H + pad_top + pad_bottom - dilation*(FH-1) - 1) // stride + 1``.

:func:`conv2d_forward` shows the steps: pad, unroll a chunk of images, one matrix product, add
the bias. How the windows are laid out in memory, how large a chunk is (the ``chunk_mb`` and
``memory_mb`` settings of :mod:`tatamikomi.config`) and how the input gradient is computed live
in the private :mod:`._conv_engine`. The lecture's own, simpler im2col convolution is in
:mod:`tatamikomi.lecture` (its ``Convolution`` layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _parallel
from .._checks import (
    as_float,
    check_groups,
    check_ndim,
    float_dtype,
    image_batch,
    is_integer,
    positive_pair,
    refuse_integer_gradient,
)
from . import _conv_engine as engine
from .geometry import Window2d, window2d
from .padding import check_padding_mode, pad2d_backward
from .. import i18n


@dataclass(kw_only=True)
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass: the (padded) input and the
    geometry. Its ``images`` buffer is reused by a later forward pass given this cache as
    ``reuse`` (layers pass their previous cache), which saves fresh memory's page faults."""

    images: np.ndarray  # the input as the layout reads it (see _conv_engine.choose_layout)
    owned: bool  # images is our copy (reusable), not the caller's input
    layout: str  # "view", "compact", "wide" or "batched" (a key of _conv_engine.LAYOUTS)
    weight: np.ndarray  # (groups, FN/groups, Cg*FH*FW)
    weight_shape: tuple
    weight_dtype: np.dtype
    has_bias: bool
    window: Window2d
    padding_mode: str
    x_shape: tuple
    x_dtype: np.dtype
    integer_input: bool
    col: np.ndarray | None = None  # the unrolled windows of the whole batch, when small


def _check_conv_args(x, weight, bias, groups):
    x = image_batch(x, "input")
    weight = as_float(weight, "weight")
    check_ndim(weight, 4, "weight", "(FN, C/groups, FH, FW)")
    channels, filters = x.shape[1], weight.shape[0]
    groups = check_groups(groups, channels, filters)
    if weight.shape[1] * groups != channels:
        raise i18n.error(
            ValueError, "errors.conv_input_channels_shape", channels=channels,
            tuple_x_shape=tuple(x.shape), tuple_weight_shape=tuple(weight.shape), groups=groups,
            weight_shape_1_groups=weight.shape[1] * groups, filters=filters,
            channels_groups=channels // groups, weight_shape_2=weight.shape[2],
            weight_shape_3=weight.shape[3],
        )
    if bias is not None:
        bias = as_float(bias, "bias")
        if bias.shape not in ((filters,), (filters, 1, 1), (1, filters, 1, 1)):
            raise i18n.error(
                ValueError, "errors.conv_bias_have_one", filters=filters,
                tuple_bias_shape=tuple(bias.shape),
            )
        bias = bias.reshape(filters)
    return x, weight, bias


def conv2d_forward(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    padding_mode="zeros",
    *,
    reuse: ConvCache | None = None,
    keep: bool = True,
):
    """Convolve and keep what the backward pass needs. Returns ``(out, cache)``.

    ``padding`` is an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``stride`` and ``dilation``
    are ints or pairs. Integer input is computed in float32. Mixed float dtypes follow NumPy
    promotion (float32 with float64 gives float64). ``reuse``: the cache of an earlier call that
    is no longer needed, whose memory this call may fill (layers pass their previous cache).
    ``keep``: a backward pass will follow (layers: in training mode), for which small unrolled
    windows are kept; the results are the same either way.
    The cache may refer to x (in the "view" and "batched" layouts, or when x needs no padding):
    change x only after the backward pass.
    """
    integer_input = is_integer(x)
    x, weight, bias = _check_conv_args(x, weight, bias, groups)
    padding_mode = check_padding_mode(padding_mode)
    dtype = float_dtype(x, weight, bias)
    n, filters, (fh, fw) = x.shape[0], weight.shape[0], weight.shape[2:]
    window = window2d(x.shape[2:], (fh, fw), positive_pair(stride, "stride"), padding, dilation)
    (oh, ow), per_group = window.out_hw, filters // groups
    # the filters of each group as one matrix (FN/groups, Cg*FH*FW), the bias as a column
    weight_matrix = weight.astype(dtype, copy=False).reshape(groups, per_group, -1)
    bias_column = (
        None if bias is None else bias.astype(dtype, copy=False).reshape(groups, per_group, 1)
    )
    unroll = engine.Unroller.for_input(x.astype(dtype, copy=False), window, groups, reuse, keep)
    out = np.empty((n, groups, per_group, oh * ow), dtype=dtype)

    def work(batch: slice) -> None:
        for part in unroll.chunks(batch):  # a few images at a time
            unroll.pad(part, padding_mode)  # パディング
            col = unroll(part)  # im2col: (images, groups, Cg*FH*FW, OH*OW or OH*Wp)
            product = unroll.product_buffer(out, part)
            np.matmul(weight_matrix, col, out=product)  # 積和計算: W @ col, per image and group
            unroll.to_output(product, bias_column, out, part)  # + b

    _parallel.over_batch(work, n, unroll.size + out.size, blas=True)
    cache = ConvCache(
        images=unroll.images,
        owned=unroll.owned,
        layout=unroll.layout,
        weight=weight_matrix,
        weight_shape=weight.shape,
        weight_dtype=weight.dtype,
        has_bias=bias is not None,
        window=window,
        padding_mode=padding_mode,
        x_shape=x.shape,
        x_dtype=x.dtype,
        integer_input=integer_input,
        col=unroll.kept,
    )
    return out.reshape(n, filters, oh, ow), cache


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """2-D convolution, PyTorch's ``conv2d`` semantics: (N, C, H, W) -> (N, FN, OH, OW).

    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]])
    >>> w = np.array([[1, 0, 2], [0, 2, 0], [1, 1, -1]])
    >>> conv2d(x[None, None], w[None, None])[0, 0]          # the lecture's example
    array([[12., 14.],
           [14., 10.]], dtype=float32)
    """
    return conv2d_forward(
        x, weight, bias, stride, padding, dilation, groups, padding_mode, keep=False
    )[0]


def conv2d_backward(dout, cache: ConvCache, need_input_grad: bool = True):
    """Gradients of a convolution. Returns ``(dx, dW, db)``.

    ``dW = sum_n dout[n] @ col[n].T`` (per group), ``db = dout.sum(axis=(0, 2, 3))``, and ``dx`` is
    ``W.T @ dout[n]`` folded back onto the input (col2im) and un-padded, or, for stride-1
    layers with many channels, the convolution of dout with the turned filters (see
    :func:`._conv_engine.input_gradient`). ``dx`` is None when ``need_input_grad`` is False (a
    first layer needs no input gradient); ``db`` is None without bias. ``dx`` has the input's
    dtype, ``dW``/``db`` the weight's.
    """
    if cache.integer_input and need_input_grad:
        refuse_integer_gradient(i18n.Said("errors.op_convolution"))
    window = cache.window
    n = cache.x_shape[0]
    filters, groups = cache.weight_shape[0], cache.weight.shape[0]
    oh, ow = window.out_hw
    dout = as_float(dout, "dout")
    if dout.shape != (n, filters, oh, ow):
        raise i18n.error(
            ValueError, "errors.conv_dout_have_forward", n_filters_oh_ow=(n, filters, oh, ow),
            tuple_dout_shape=tuple(dout.shape),
        )
    dtype = cache.images.dtype
    grouped = np.ascontiguousarray(dout, dtype=dtype).reshape(n, groups, -1, oh * ow)
    db_per_image = np.empty((n, filters), dtype=dtype) if cache.has_bias else None
    unroll = engine.unroller(cache.images, cache.layout, window, groups)
    # dW transposed per image, (groups, Cg*FH*FW, FN/groups): col @ dout.T runs faster in BLAS
    # than dout @ col.T (VGG layer: 118 against 95-106 GFLOP/s on one core)
    weight_t = cache.weight.transpose(0, 2, 1)
    # one dW per image, or per chunk in the "batched" layout (by its first image: a fixed
    # order of summation, whichever thread ran it)
    batched = unroll.layout == "batched"
    dwt_parts = np.empty((n,) + weight_t.shape, dtype=dtype)
    chunk_starts = []
    by_convolution = need_input_grad and engine.input_gradient_by_convolution(cache)
    fold_here = need_input_grad and not by_convolution
    dx = np.empty(cache.x_shape, dtype=dtype) if fold_here else None

    def work(batch: slice) -> None:
        for part in unroll.chunks(batch):
            grads = grouped[part]
            if db_per_image is not None:
                db_per_image[part] = grads.sum(axis=3).reshape(-1, filters)
            grads = unroll.to_product_grid(grads)
            kept = cache.col is not None
            if batched:
                unroll.pad(part, cache.padding_mode)
            col = cache.col[part] if kept else unroll(part)
            if batched:
                chunk_starts.append(part.start)
                np.matmul(col[0], grads[0].transpose(0, 2, 1), out=dwt_parts[part.start])
            else:
                np.matmul(col, grads.transpose(0, 1, 3, 2), out=dwt_parts[part])
            if not fold_here:
                continue
            if unroll.layout == "view":
                dcol = np.matmul(weight_t, grads)
            else:  # into the unrolling's memory, unless that is the kept copy
                dcol = _parallel.scratch("col", col.shape, dtype) if kept else col
                np.matmul(weight_t, grads, out=dcol)
            folded = unroll.fold(dcol)  # col2im
            pad2d_backward(folded, window.pads, window.input_hw, cache.padding_mode, out=dx[part])

    _parallel.over_batch(work, n, 2 * unroll.size, blas=True)
    if batched:
        dwt_parts = dwt_parts[sorted(chunk_starts)]
    dw = dwt_parts.sum(axis=0).transpose(0, 2, 1).reshape(cache.weight_shape)
    dw = dw.astype(cache.weight_dtype, copy=False)
    db = None if db_per_image is None else db_per_image.sum(axis=0).astype(cache.weight_dtype)
    if by_convolution:
        dx = engine.input_gradient(grouped.reshape(n, filters, oh, ow), cache, conv2d_forward)
    if dx is not None:
        dx = dx.astype(cache.x_dtype, copy=False)
    return dx, dw, db
