"""2-D convolution (cross-correlation, as in the lecture and in PyTorch), forward and backward.

For every image n, filter f and output position (y, x)::

    out[n, f, y, x] = b[f] + sum_{c, i, j} W[f, c, i, j] * xp[n, g*Cg + c, y*sh + i*dh, x*sw + j*dw]

where ``xp`` is the padded input, g = f // (FN // groups) the filter's group and Cg = C // groups
its input channels. With the windows unrolled (see :mod:`.im2col`) this is one matrix product
per image and group: ``W (FN, C*FH*FW) @ col (C*FH*FW, OH*OW)``.

Shapes: x (N, C, H, W), W (FN, C/groups, FH, FW), b (FN,) -> out (N, FN, OH, OW), with
``OH = (H + pad_top + pad_bottom - dilation*(FH-1) - 1) // stride + 1``.

The unrolled windows of a large batch are never kept whole: a few images at a time (about
8 MB of windows) are unrolled into a reused buffer and multiplied at once; backward unrolls them
again from the saved (padded) input. This costs one copy and saves writing and re-reading a
matrix FH*FW times the size of the input (150 MB for a 64x64x32x32 batch and 3x3 filters).
Small ones (up to 16 MB, a first layer's) are kept from forward to backward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _parallel
from .._checks import (
    as_float,
    check_ndim,
    float_dtype,
    image_batch,
    is_integer,
    positive_pair,
    refuse_integer_gradient,
)
from .geometry import Window2d, window2d
from .im2col import fold, unfold
from .padding import check_padding_mode, pad2d, pad2d_backward


@dataclass
class ConvCache:
    """What :func:`conv2d_backward` needs from the forward pass: the (padded) input and the
    geometry. Its ``images`` buffer is reused by a later forward pass given this cache as
    ``reuse`` (layers pass their previous cache), which saves fresh memory's page faults."""

    images: np.ndarray  # the input as the layout reads it (see _choose_layout)
    owned: bool  # images is our copy (reusable), not the caller's input
    layout: str  # "view", "compact" or "wide"
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


# How the windows are laid out in memory:
# - "view": a 1x1 filter, stride 1, no padding sees every pixel once: col is the input itself.
# - "wide": stride 1, and rows not much wider than the output. Each padded image is flattened
#   per channel (with a few zeros after it), so that filter tap (i, j) sees, at all output
#   positions, one contiguous run
#   ``flat[c, i*dh*Wp + j*dw : ... + OH*Wp]``. Rows are computed Wp wide instead of OW wide: the
#   extra Wp - OW columns wrap around into the next row; their outputs are dropped and zeros in
#   dout keep them out of every gradient. Copies and sums then move long contiguous runs.
# - "compact": any stride. col is (N, C, FH, FW, OH, OW), built by strided slice copies.
def _choose_layout(window: Window2d) -> str:
    if window.kernel == (1, 1) and window.stride == (1, 1) and window.is_unpadded:
        return "view"
    # "wide" computes Wp/OW times the outputs; worth it while the extra is small.
    if window.stride == (1, 1) and window.padded_hw[1] <= WIDE_MAX_EXTRA * window.out_hw[1]:
        return "wide"
    return "compact"


WIDE_MAX_EXTRA = 1.1


def _wide_offsets(window: Window2d) -> list[int]:
    (kh, kw), (dh, dw), wp = window.kernel, window.dilation, window.padded_hw[1]
    return [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]


def _wide_length(window: Window2d) -> int:
    """Length of one flattened padded image plus the zeros the last taps read past its end."""
    hp, wp = window.padded_hw
    return hp * wp + (window.kernel[1] - 1) * window.dilation[1]


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
):
    """Convolve and keep what the backward pass needs. Returns ``(out, cache)``.

    ``padding`` is an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``stride`` and ``dilation``
    are ints or pairs. Integer input is computed in float32. Mixed float dtypes follow NumPy
    promotion (float32 with float64 gives float64). ``reuse``: the cache of an earlier call that
    is no longer needed, whose memory this call may fill (layers pass their previous cache).
    The cache refers to x when x needs no padding: change x only after the backward pass.
    """
    integer_input = is_integer(x)
    x, weight, bias = _check_conv_args(x, weight, bias, groups)
    padding_mode = check_padding_mode(padding_mode)
    dtype = float_dtype(x, weight, bias)
    n, channels = x.shape[:2]
    filters, group_channels, fh, fw = weight.shape
    window = window2d(x.shape[2:], (fh, fw), positive_pair(stride, "stride"), padding, dilation)
    (oh, ow), (hp, wp) = window.out_hw, window.padded_hw
    layout = _choose_layout(window)
    source = x.astype(dtype, copy=False)
    weight_matrix = weight.astype(dtype, copy=False).reshape(groups, filters // groups, -1)
    bias_column = (
        None
        if bias is None
        else bias.astype(dtype, copy=False).reshape(groups, filters // groups, 1)
    )

    # The pixels as the layout reads them: "wide" always copies (its flat rows need trailing
    # zeros), "compact" only to pad, "view" never.
    owned = layout == "wide" or (layout == "compact" and not window.is_unpadded)
    previous = reuse.images if reuse is not None and reuse.owned else None
    if layout == "wide":
        images = _scratch(previous, (n, channels, _wide_length(window)), dtype)
        image_view = images[..., : hp * wp].reshape(n, channels, hp, wp)
    elif owned:
        images = image_view = _scratch(previous, (n, channels, hp, wp), dtype)
    else:
        images, image_view = source, None
    out = np.empty((n, groups, filters // groups, oh * ow), dtype=dtype)
    unroll = _Unroller(images, layout, window, groups)
    # Small unrolled windows (a first layer's: few channels) are kept for the backward pass,
    # which then need not unroll them again.
    keep = None
    if layout != "view" and unroll.size * np.dtype(dtype).itemsize <= KEEP_COL_BYTES:
        previous_col = reuse.col if reuse is not None else None
        keep = _scratch(previous_col, unroll.shape(n), dtype)

    def work(batch: slice) -> None:
        for part in _parallel.chunks(batch, unroll.images_per_chunk):
            if image_view is not None:
                pad2d(source[part], window.pads, padding_mode, out=image_view[part])
                if layout == "wide":
                    images[part, :, hp * wp :] = 0
            col = unroll(part, out=None if keep is None else keep[part])
            target = out[part]
            if layout == "wide":  # the product is Wp wide: drop the wrap-around columns
                shape = target.shape[:3] + (oh, wp)
                product = _parallel.scratch("product", shape, dtype)
                np.matmul(weight_matrix, col, out=product.reshape(shape[:3] + (oh * wp,)))
                target = target.reshape(shape[:3] + (oh, ow))
                if bias_column is None:
                    target[...] = product[..., :ow]
                else:
                    np.add(product[..., :ow], bias_column[..., None], out=target)
                continue
            np.matmul(weight_matrix, col, out=target)
            if bias_column is not None:
                target += bias_column

    _parallel.over_batch(work, n, unroll.size + out.size, blas=True)
    cache = ConvCache(
        images,
        owned,
        layout,
        weight_matrix,
        weight.shape,
        weight.dtype,
        bias is not None,
        window,
        padding_mode,
        x.shape,
        x.dtype,
        integer_input,
        keep,
    )
    return out.reshape(n, filters, oh, ow), cache


def _scratch(array, shape, dtype) -> np.ndarray:
    """``array`` when it has this shape and dtype (memory from an earlier call), else a new one."""
    if array is not None and array.shape == shape and array.dtype == dtype:
        return array
    return np.empty(shape, dtype=dtype)


# The windows of about this many bytes are unrolled and multiplied before the next ones. Less
# would keep them in a core's L2 cache (1-2 MB), but then small layers run as many small
# NumPy calls whose fixed cost dominates: measured over SimpleConvNet's, DeepConvNet's and a
# VGG layer, 8 MB was fastest (DeepConvNet's convolutions 30 % faster than with 1 MB).
CHUNK_BYTES = 8 << 20

#: unrolled windows up to this size are kept from forward to backward
KEEP_COL_BYTES = 16 << 20


class _Unroller:
    """Unrolls the windows of some images: ``self(part) -> (images, groups, Cg*FH*FW, P)``.

    P is OH*OW, or OH*Wp in the "wide" layout. The result is a fresh buffer, or a view of the
    input in the "view" layout.
    """

    def __init__(self, images, layout, window: Window2d, groups: int):
        self.images, self.layout, self.window, self.groups = images, layout, window, groups
        (self.oh, self.ow), (fh, fw) = window.out_hw, window.kernel
        self.channels = images.shape[1]
        self.taps = fh * fw
        hp, wp = window.padded_hw
        self.positions = self.oh * (wp if layout == "wide" else self.ow)
        self.offsets = _wide_offsets(window) if layout == "wide" else None
        per_image = self.channels * self.taps * self.positions * images.itemsize
        self.images_per_chunk = max(1, CHUNK_BYTES // per_image)
        self.size = images.shape[0] * self.channels * self.taps * self.positions

    def shape(self, count: int) -> tuple:
        return (count, self.groups, self.channels // self.groups * self.taps, self.positions)

    def __call__(self, part: slice, out=None) -> np.ndarray:
        images = self.images[part]
        count = images.shape[0]
        if self.layout == "view":
            return images.reshape(self.shape(count))
        shape = (count, self.channels, self.taps, self.positions)
        col = _parallel.scratch("col", shape, images.dtype) if out is None else out.reshape(shape)
        if self.layout == "wide":
            for k, offset in enumerate(self.offsets):
                col[:, :, k] = images[:, :, offset : offset + self.positions]
        else:
            unfold(images, self.window, out=col)
        return col.reshape(self.shape(count))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        """The adjoint: sum unrolled gradients onto the padded images, (images, C, Hp, Wp)."""
        count = dcol.shape[0]
        if self.layout == "view":
            return dcol.reshape((count,) + self.images.shape[1:])
        if self.layout == "wide":
            hp, wp = self.window.padded_hw
            target = _parallel.scratch("fold", (count,) + self.images.shape[1:], dcol.dtype)
            target[...] = 0
            taps = dcol.reshape(count, self.channels, self.taps, self.positions)
            for k, offset in enumerate(self.offsets):
                target[:, :, offset : offset + self.positions] += taps[:, :, k]
            return target[..., : hp * wp].reshape(count, self.channels, hp, wp)
        fh, fw = self.window.kernel
        return fold(dcol.reshape(count, self.channels, fh, fw, self.oh, self.ow), self.window)


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
    window, layout = cache.window, cache.layout
    n = cache.x_shape[0]
    filters, groups = cache.weight_shape[0], cache.weight.shape[0]
    (oh, ow), wp = window.out_hw, window.padded_hw[1]
    dout = as_float(dout, "dout")
    if dout.shape != (n, filters, oh, ow):
        raise ValueError(
            f"dout must have the forward output's shape {(n, filters, oh, ow)}; "
            f"got {tuple(dout.shape)}"
        )
    dtype = cache.images.dtype
    grouped = np.ascontiguousarray(dout, dtype=dtype).reshape(n, groups, -1, oh * ow)
    db_per_image = np.empty((n, filters), dtype=dtype) if cache.has_bias else None
    unroll = _Unroller(cache.images, layout, window, groups)
    # dW transposed per image, (groups, Cg*FH*FW, FN/groups): col @ dout.T runs faster in BLAS
    # than dout @ col.T (VGG layer: 118 against 95-106 GFLOP/s on one core)
    dwt_per_image = np.empty((n,) + cache.weight.transpose(0, 2, 1).shape, dtype=dtype)
    weight_t = cache.weight.transpose(0, 2, 1)
    by_convolution = need_input_grad and _input_gradient_by_convolution(cache)
    fold_here = need_input_grad and not by_convolution
    dx = np.empty(cache.x_shape, dtype=dtype) if fold_here else None

    def work(batch: slice) -> None:
        for part in _parallel.chunks(batch, unroll.images_per_chunk):
            grads = grouped[part]
            if db_per_image is not None:
                db_per_image[part] = grads.sum(axis=3).reshape(-1, filters)
            if layout == "wide":  # dout on the wide grid: zeros in the wrap-around columns
                wide = _parallel.scratch("dout", grads.shape[:3] + (oh, wp), dtype)
                wide[..., :ow] = grads.reshape(grads.shape[:3] + (oh, ow))
                wide[..., ow:] = 0
                grads = wide.reshape(grads.shape[:3] + (unroll.positions,))
            kept = cache.col is not None
            col = cache.col[part] if kept else unroll(part)
            np.matmul(col, grads.transpose(0, 1, 3, 2), out=dwt_per_image[part])
            if not fold_here:
                continue
            if layout == "view":
                dcol = np.matmul(weight_t, grads)
            else:  # into the unrolling's memory, unless that is the kept copy
                dcol = _parallel.scratch("col", col.shape, dtype) if kept else col
                np.matmul(weight_t, grads, out=dcol)
            folded = unroll.fold(dcol)
            pad2d_backward(folded, window.pads, window.input_hw, cache.padding_mode, out=dx[part])

    _parallel.over_batch(work, n, 2 * unroll.size, blas=True)
    dw = dwt_per_image.sum(axis=0).transpose(0, 2, 1).reshape(cache.weight_shape)
    dw = dw.astype(cache.weight_dtype, copy=False)
    db = None if db_per_image is None else db_per_image.sum(axis=0).astype(cache.weight_dtype)
    if by_convolution:
        dx = _input_gradient(grouped.reshape(n, filters, oh, ow), cache)
    if dx is not None:
        dx = dx.astype(cache.x_dtype, copy=False)
    return dx, dw, db


def _input_gradient_by_convolution(cache: ConvCache) -> bool:
    """Whether dx is better computed as a convolution of dout (see :func:`_input_gradient`)
    than by folding the unrolled gradient back (col2im).

    The fold adds FH*FW shifted copies into the input, row by row; for a layer with many input
    channels and small images those are many short rows, and it took a third of DeepConvNet's
    backward pass. The convolution needs stride 1, zero padding of at most the window's reach,
    and pays off from about 8 input channels (with one, its matrix product has a single row)."""
    window = cache.window
    reach_h = window.dilation[0] * (window.kernel[0] - 1)
    reach_w = window.dilation[1] * (window.kernel[1] - 1)
    top, bottom, left, right = window.pads
    return (
        window.stride == (1, 1)
        and cache.padding_mode == "zeros"
        and not any(window.extra)
        and window.kernel != (1, 1)
        and top == bottom <= reach_h
        and left == right <= reach_w
        and cache.weight.shape[2] // (window.kernel[0] * window.kernel[1]) >= 8
    )


def _input_gradient(dout, cache: ConvCache) -> np.ndarray:
    """dx of a stride-1 convolution, as the forward convolution of dout with the filters turned
    by 180 degrees and their input and output channels swapped (per group), padded by the
    window's reach minus the forward padding:

        dx[n, c, y, x] = sum_{f, i, j} dout[n, f, y + p - i*d, x + q - j*d] * W[f, c, i, j]

    (terms outside dout are zero). The result equals the fold's up to float rounding."""
    window = cache.window
    groups = cache.weight.shape[0]
    filters, group_channels, fh, fw = cache.weight_shape
    turned = (
        cache.weight.reshape(groups, filters // groups, group_channels, fh, fw)
        .transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
        .reshape(groups * group_channels, filters // groups, fh, fw)
    )
    (dh, dw), (top, _, left, _) = window.dilation, window.pads
    padding = (dh * (fh - 1) - top, dw * (fw - 1) - left)
    dx, _ = conv2d_forward(dout, turned, None, 1, padding, window.dilation, groups)
    return dx
