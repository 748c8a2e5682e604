"""im2col and col2im: unrolling windows into the rows of a matrix, and summing them back.

The lecture's ``im2col`` turns a batch (N, C, H, W) into a matrix with one row per window
position and one column per (channel, filter row, filter column)::

    col.shape == (N*OH*OW, C*FH*FW)          # e.g. (10, 3, 7, 7) with a 5x5 filter -> (90, 75)

so that a convolution becomes one matrix product, as in an Affine layer.

Inside the library the same numbers are kept in the order (N, C, FH, FW, OH, OW)
(:func:`unfold`): it is built with FH*FW strided slice copies whose rows are contiguous, and a
per-image matrix product with it writes the output directly in (N, FN, OH, OW) order, so no
transpose of the big matrix is needed. ``im2col`` is that array transposed to the lecture's
order. (The convolution itself unrolls a few images at a time; see :mod:`.conv`.)
"""

from __future__ import annotations

import numpy as np

from .. import _parallel
from .._checks import as_array, check_ndim, non_negative_pair, positive_pair
from .geometry import Window2d, window2d
from .padding import pad2d, pad2d_backward
from .. import i18n


def tap_slices(window: Window2d, i: int, j: int):
    """Slices of the padded input seen by filter tap (i, j) at every output position."""
    (sh, sw), (dh, dw), (oh, ow) = window.stride, window.dilation, window.out_hw
    rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
    cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
    return rows, cols


def _buffer(out, shape, dtype) -> np.ndarray:
    """``out`` reshaped to ``shape`` when it has the right size and dtype, else a new array.

    Reusing a large scratch array saves the kernel's page faults on a fresh allocation, which
    cost about as much as filling it."""
    if out is not None and out.size == int(np.prod(shape)) and out.dtype == dtype:
        return out.reshape(shape)
    return np.empty(shape, dtype=dtype)


def unfold(padded: np.ndarray, window: Window2d, out=None) -> np.ndarray:
    """Windows of a padded batch: (N, C, Hp, Wp) -> (N, C, FH, FW, OH, OW).

    ``result[n, c, i, j, y, x] = padded[n, c, y*sh + i*dh, x*sw + j*dw]``, always a new array or
    ``out`` (a contiguous scratch array of the same size) when given.
    """
    n, c = padded.shape[:2]
    fh, fw = window.kernel
    oh, ow = window.out_hw
    col = _buffer(out, (n, c, fh, fw, oh, ow), padded.dtype)

    def copy(batch: slice) -> None:
        for i in range(fh):
            for j in range(fw):
                rows, cols = tap_slices(window, i, j)
                col[batch, :, i, j] = padded[batch, :, rows, cols]

    _parallel.over_batch(copy, n, col.size)
    return col


def fold(col: np.ndarray, window: Window2d) -> np.ndarray:
    """Adjoint of :func:`unfold`: (N, C, FH, FW, OH, OW) -> padded (N, C, Hp, Wp), a new array.

    Where windows overlap, their values are added.
    """
    n, c, fh, fw = col.shape[:4]
    padded = np.empty((n, c) + window.padded_hw, dtype=col.dtype)

    def add(batch: slice) -> None:
        target = padded[batch]
        target[...] = 0
        for i in range(fh):
            for j in range(fw):
                rows, cols = tap_slices(window, i, j)
                target[:, :, rows, cols] += col[batch, :, i, j]

    _parallel.over_batch(add, n, col.size)
    return padded


def _window(input_shape, filter_h, filter_w, stride, pad, dilation) -> Window2d:
    ph, pw = non_negative_pair(pad, "pad")
    return window2d(
        tuple(input_shape[2:]),
        positive_pair((filter_h, filter_w), "filter size"),
        stride,
        (ph, pw),
        dilation,
    )


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, *, dilation=1) -> np.ndarray:
    """Unroll every filter window of a batch into one row of a matrix (the lecture's im2col).

    Parameters: ``input_data`` (N, C, H, W); ``filter_h``, ``filter_w`` the filter size;
    ``stride``, ``pad`` and ``dilation`` each an int or an (h, w) pair. Padding is with zeros.

    Shape: returns (N*OH*OW, C*FH*FW), with OH = (H + 2*pad - FH) // stride + 1 (and likewise OW);
    row ``(n*OH + y)*OW + x`` holds the window at output position (y, x) of image n, its columns
    ordered channel, filter row, filter column. The input's dtype is kept.

    >>> import numpy as np
    >>> im2col(np.random.rand(10, 3, 7, 7), 5, 5).shape
    (90, 75)
    """
    x = as_array(input_data, "input_data")
    check_ndim(x, 4, "input_data", "(N, C, H, W)")
    window = _window(x.shape, filter_h, filter_w, stride, pad, dilation)
    col = unfold(pad2d(x, window.pads), window)
    n, c, fh, fw, oh, ow = col.shape
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, c * fh * fw)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0, *, dilation=1) -> np.ndarray:
    """Sum the rows of an im2col matrix back into an (N, C, H, W) batch (the adjoint of im2col).

    ``col`` has shape (N*OH*OW, C*FH*FW) as :func:`im2col` returns it; where windows overlap their
    values are added, and the padding is cut off. This is how a convolution's gradient with
    respect to its input is formed.
    """
    col = as_array(col, "col")
    if len(input_shape) != 4:
        raise i18n.error(
            ValueError, "errors.im2col_input_shape_n", tuple_input_shape=tuple(input_shape),
        )
    n, c = int(input_shape[0]), int(input_shape[1])
    window = _window(input_shape, filter_h, filter_w, stride, pad, dilation)
    (fh, fw), (oh, ow) = window.kernel, window.out_hw
    expected = (n * oh * ow, c * fh * fw)
    if col.shape != expected:
        raise i18n.error(
            ValueError, "errors.im2col_col_shape_but", col_shape=col.shape,
            tuple_input_shape=tuple(input_shape), fh=fh, fw=fw, window_stride=window.stride,
            window_pads_2=window.pads[::2], expected=expected,
        )
    windows = np.ascontiguousarray(col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2))
    return pad2d_backward(fold(windows, window), window.pads, window.input_hw)
