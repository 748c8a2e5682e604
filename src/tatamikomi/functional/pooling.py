"""Max and average pooling over 2-D windows, forward and backward (PyTorch's semantics).

Pooling shrinks H and W and leaves the channels alone; it has no parameters. By default the
stride equals the window (the lecture: "the window and the stride are usually the same").

Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*padding - dilation*(k-1) - 1) // stride + 1``
(rounded up with ``ceil_mode``, as long as the last window starts inside the input or its
left padding).

Max pooling pads with -inf, so padding never wins; when a window holds several equal maxima the
gradient goes to the first in row-major order, and a NaN in a window is its maximum (both as in
PyTorch). Average pooling divides by the window's size, counting padding
(``count_include_pad=True``) or only the input's own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _parallel, i18n
from .._checks import image_batch, is_integer, refuse_integer_gradient
from .geometry import Window2d, window2d
from .im2col import tap_slices
from .padding import pad2d, pad2d_backward


@dataclass
class PoolCache:
    """What a pooling backward pass needs from its forward pass."""

    window: Window2d
    x_shape: tuple
    x_dtype: np.dtype
    integer_input: bool
    argmax: np.ndarray | None = None  # max pooling: which tap won, (N, C, OH, OW)
    divisor: np.ndarray | None = None  # average pooling: (OH, OW) window sizes
    bottom: np.ndarray | None = None  # 2x2 max pooling: bottom row wins, per column
    right: np.ndarray | None = None  # 2x2 max pooling: right column wins, per window

    def winning_taps(self) -> np.ndarray:
        """Max pooling: the index ``i*KW + j`` of the winning tap of every window."""
        if self.argmax is not None:
            return self.argmax
        bottom = np.where(self.right, self.bottom[..., 1::2], self.bottom[..., 0::2])
        return 2 * bottom.astype(np.uint8) + self.right


def pool_window(input_hw, kernel_size, stride, padding, dilation, ceil_mode) -> Window2d:
    """The geometry of a pooling window over an (H, W) input (``stride`` None: the window's
    size), refused when a window could see only padding (padding over half the window, or a
    dilation that lets some windows' taps all miss the input: their maximum would be -inf).
    The pooling functions and the layers' ``output_shape`` ask it, so a model is refused when
    it is built, not when it first predicts."""
    stride = kernel_size if stride is None else stride
    window = window2d(tuple(input_hw), kernel_size, stride, padding, dilation, ceil_mode)
    (kh, kw), (top, _, left, _) = window.kernel, window.pads
    if top > kh // 2 or left > kw // 2:
        raise i18n.error(ValueError, "errors.pool_padding", top=top, left=left, kh=kh, kw=kw)
    for axis, name in ((0, i18n.Said("errors.along_rows")), (1, i18n.Said("errors.along_columns"))):
        if not _every_window_touches_input(window, axis):
            raise i18n.error(
                ValueError,
                "errors.pool_only_padding",
                dilation=window.dilation,
                padding=(top, left),
                along=name,
                input=window.input_hw,
            )
    return window


def _every_window_touches_input(window: Window2d, axis: int) -> bool:
    starts = np.arange(window.out_hw[axis]) * window.stride[axis] - window.pads[2 * axis]
    taps = starts[:, None] + np.arange(window.kernel[axis]) * window.dilation[axis]
    return bool(((taps >= 0) & (taps < window.input_hw[axis])).any(axis=1).all())


def _taps(window: Window2d):
    kh, kw = window.kernel
    for k in range(kh * kw):
        yield k, tap_slices(window, *divmod(k, kw))


def _padded_for_max(x, window: Window2d) -> np.ndarray:
    """x padded with -inf (which never wins a window), also for ceil_mode's extra rows; x
    itself when unpadded."""
    if window.is_unpadded:
        return x
    top, bottom, left, right = window.pads
    return pad2d(x, (top, bottom + window.extra[0], left, right + window.extra[1]), value=-np.inf)


def _argmax_dtype(window: Window2d):
    return np.uint8 if window.kernel[0] * window.kernel[1] <= 256 else np.int32


def _propagate_nan(padded, window: Window2d, out, argmax, batch: slice) -> None:
    """Make a NaN the maximum of its window, with PyTorch's index (the last NaN)."""
    nan_windows = np.zeros(out[batch].shape, dtype=bool)
    for k, (rows, cols) in _taps(window):
        is_nan = np.isnan(padded[batch, :, rows, cols])
        nan_windows |= is_nan
        np.copyto(argmax[batch], k, where=is_nan, casting="unsafe")
    np.copyto(out[batch], np.nan, where=nan_windows)


def _max_pool_2x2(x, window: Window2d):
    """Exact 2x2 windows with stride 2 and no padding, as passes over contiguous rows.

    With a, b the top row of a window and c, d the bottom row: first the two rows are compared
    column by column (``bottom = c > a``, contiguous and vectorised), then the two columns
    (``right = max(b, d) > max(a, c)``). PyTorch's tie rule (the first maximum in row-major
    order) also picks the right column when the columns tie and only the right one's maximum is
    in the top row (b == c > a). Returns ``(out, bottom, right)``: ``bottom`` (N, C, OH, W) per
    column, ``right`` (N, C, OH, OW) per window.
    """
    n, c = x.shape[:2]
    oh, ow = window.out_hw
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    bottom = np.empty((n, c, oh, 2 * ow), dtype=bool)
    right = np.empty((n, c, oh, ow), dtype=bool)

    def work(batch: slice) -> None:
        top_rows, bottom_rows = x[batch, :, 0::2, :], x[batch, :, 1::2, :]
        wins_below = bottom[batch]
        np.greater(bottom_rows, top_rows, out=wins_below)
        column_max = np.maximum(top_rows, bottom_rows)  # NaN propagates
        left, right_ = column_max[..., 0::2], column_max[..., 1::2]
        pick_right = right[batch]
        np.greater(right_, left, out=pick_right)
        tie = left == right_
        tie &= wins_below[..., 0::2]
        tie &= ~wins_below[..., 1::2]
        pick_right |= tie
        np.maximum(left, right_, out=out[batch])
        if np.isnan(out[batch]).any():
            _nan_wins_2x2(x[batch], out[batch], wins_below, pick_right)

    _parallel.over_batch(work, n, x.size)
    return out, bottom, right


def _nan_wins_2x2(x, out, bottom, right) -> None:
    """Windows holding NaN: the last NaN in row-major order wins, as in PyTorch."""
    last = np.full(out.shape, -1)
    for k in range(4):
        last[np.isnan(x[:, :, k // 2 :: 2, k % 2 :: 2])] = k
    has_nan = last >= 0
    col, row = last % 2, last // 2
    right[has_nan] = col[has_nan] == 1
    for c in (0, 1):
        chosen = has_nan & (col == c)
        bottom[..., c::2][chosen] = row[chosen] == 1


def _max_pool_2x2_backward(dout, cache: PoolCache) -> np.ndarray:
    """Send each gradient to its window's winner: first to the winning column of a row pair,
    then to the winning row, each a multiplication by a mask over contiguous memory."""
    n, c = cache.x_shape[:2]
    oh, ow = cache.window.out_hw
    bottom, right = cache.bottom, cache.right
    dx = np.empty((n, c, oh, 2, 2 * ow), dtype=dout.dtype)
    finite = bool(np.isfinite(dout).all())  # 0 * inf would leak NaN into the losers

    def work(batch: slice) -> None:
        grad = dout[batch]
        per_column = np.empty(grad.shape[:3] + (2 * ow,), dtype=dout.dtype)
        target = dx[batch]
        if finite:
            np.multiply(grad, ~right[batch], out=per_column[..., 0::2])
            np.multiply(grad, right[batch], out=per_column[..., 1::2])
            np.multiply(per_column, ~bottom[batch], out=target[:, :, :, 0, :])
            np.multiply(per_column, bottom[batch], out=target[:, :, :, 1, :])
        else:
            per_column[...] = 0
            target[...] = 0
            np.copyto(per_column[..., 0::2], grad, where=~right[batch])
            np.copyto(per_column[..., 1::2], grad, where=right[batch])
            np.copyto(target[:, :, :, 0, :], per_column, where=~bottom[batch])
            np.copyto(target[:, :, :, 1, :], per_column, where=bottom[batch])

    _parallel.over_batch(work, n, dx.size)
    return dx.reshape(cache.x_shape)


def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling that keeps the winning positions for backward. Returns ``(out, cache)``."""
    integer_input = is_integer(x)
    x = image_batch(x, "input")
    window = pool_window(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    if window.tiles_exactly and window.kernel == (2, 2):
        out, bottom, right = _max_pool_2x2(x, window)
        return out, PoolCache(window, x.shape, x.dtype, integer_input, bottom=bottom, right=right)
    padded = _padded_for_max(x, window)
    n, c = x.shape[:2]
    out = np.empty((n, c) + window.out_hw, dtype=x.dtype)
    argmax = np.zeros((n, c) + window.out_hw, dtype=_argmax_dtype(window))
    has_nan = bool(np.isnan(x).any())

    def work(batch: slice) -> None:
        best, index = out[batch], argmax[batch]
        for k, (rows, cols) in _taps(window):
            view = padded[batch, :, rows, cols]
            if k == 0:
                best[...] = view
                continue
            better = view > best  # strictly greater: the first maximum keeps its place
            np.copyto(best, view, where=better)
            np.copyto(index, k, where=better, casting="unsafe")
        if has_nan:
            _propagate_nan(padded, window, out, argmax, batch)

    _parallel.over_batch(work, n, out.size * window.kernel[0] * window.kernel[1])
    return out, PoolCache(window, x.shape, x.dtype, integer_input, argmax=argmax)


def _max_pool_values(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling for inference: the maxima alone, without the winners a backward pass needs,
    (N, C, H, W) -> (N, C, OH, OW). A NaN in a window is its maximum (as in PyTorch).

    Each window's maximum is taken tap by tap, ``np.maximum`` over strided views of the
    (padded) input; 2x2 windows with stride 2 as two passes, the rows' pairs then the columns'.
    """
    x = image_batch(x, "input")
    window = pool_window(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    n, c = x.shape[:2]
    out = np.empty((n, c) + window.out_hw, dtype=x.dtype)
    if window.tiles_exactly and window.kernel == (2, 2):

        def pairs(batch: slice) -> None:
            rows = np.maximum(x[batch, :, 0::2, :], x[batch, :, 1::2, :])
            np.maximum(rows[..., 0::2], rows[..., 1::2], out=out[batch])

        _parallel.over_batch(pairs, n, x.size)
        return out
    padded = _padded_for_max(x, window)

    def work(batch: slice) -> None:
        best = out[batch]
        for k, (rows, cols) in _taps(window):
            if k == 0:
                best[...] = padded[batch, :, rows, cols]
            else:
                np.maximum(best, padded[batch, :, rows, cols], out=best)

    _parallel.over_batch(work, n, out.size * window.kernel[0] * window.kernel[1])
    return out


def _check_dout(dout, cache: PoolCache) -> np.ndarray:
    if cache.integer_input:
        refuse_integer_gradient(i18n.Said("errors.op_pooling"))
    expected = tuple(cache.x_shape[:2]) + cache.window.out_hw
    dout = np.asarray(dout)
    if dout.shape != expected:
        raise i18n.error(
            ValueError, "errors.pooling_dout_have_forward", expected=expected,
            dout_shape=dout.shape,
        )
    return dout.astype(cache.x_dtype, copy=False)


def max_pool2d_backward(dout, cache: PoolCache) -> np.ndarray:
    """Route each output gradient to the input position that won its window; (N, C, H, W)."""
    dout = _check_dout(dout, cache)
    if cache.argmax is None:
        return _max_pool_2x2_backward(dout, cache)
    window, argmax = cache.window, cache.argmax
    n, c = cache.x_shape[:2]
    padded = np.empty((n, c) + window.padded_hw, dtype=dout.dtype)

    def scatter(batch: slice) -> None:
        target = padded[batch]
        target[...] = 0
        for k, (rows, cols) in _taps(window):
            # One tap never sends two outputs to the same pixel, so += on the view is exact.
            target[:, :, rows, cols] += np.where(argmax[batch] == k, dout[batch], 0)

    _parallel.over_batch(scatter, n, padded.size)
    return pad2d_backward(padded, window.pads, window.input_hw)


def max_pool2d(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling, (N, C, H, W) -> (N, C, OH, OW); ``stride`` defaults to the window size.

    With ``return_indices`` also returns, as PyTorch does, each maximum's flat index ``h*W + w``
    into its input plane (int64).

    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]])
    >>> max_pool2d(x[None, None], 2)[0, 0]                  # the lecture's example
    array([[4., 4.],
           [3., 3.]], dtype=float32)
    """
    if not return_indices:
        return _max_pool_values(x, kernel_size, stride, padding, dilation, ceil_mode)
    out, cache = max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)
    window = cache.window
    tap_row, tap_col = np.divmod(cache.winning_taps().astype(np.int64), window.kernel[1])
    oh, ow = window.out_hw
    rows = (np.arange(oh) * window.stride[0] - window.pads[0])[:, None] + tap_row * window.dilation[
        0
    ]
    cols = (np.arange(ow) * window.stride[1] - window.pads[2])[None, :] + tap_col * window.dilation[
        1
    ]
    return out, rows * window.input_hw[1] + cols


def _avg_divisor(window: Window2d, count_include_pad: bool, dtype) -> np.ndarray:
    """Window sizes (OH, OW): windows are clipped to the padded input (and to the input itself
    unless ``count_include_pad``), as PyTorch counts them."""
    sizes = []
    for axis in (0, 1):
        size, before, after = (
            window.input_hw[axis],
            window.pads[2 * axis],
            window.pads[2 * axis + 1],
        )
        start = np.arange(window.out_hw[axis]) * window.stride[axis] - before
        end = np.minimum(start + window.kernel[axis], size + after)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        sizes.append(end - start)
    return np.multiply.outer(sizes[0], sizes[1]).astype(dtype)


def _avg_pool_2x2(x) -> np.ndarray:
    """Exact 2x2 windows, stride 2: add the two rows (contiguous), then the two columns.

    The sum is (a + c) + (b + d) where PyTorch adds ((a + b) + c) + d: equal up to rounding."""
    n, c, h, w = x.shape
    out = np.empty((n, c, h // 2, w // 2), dtype=x.dtype)

    def work(batch: slice) -> None:
        rows = x[batch, :, 0::2, :] + x[batch, :, 1::2, :]
        np.add(rows[..., 0::2], rows[..., 1::2], out=out[batch])
        out[batch] *= 0.25

    _parallel.over_batch(work, n, x.size)
    return out


def _avg_pool_2x2_backward(dout, x_shape) -> np.ndarray:
    n, c, h, w = x_shape
    dx = np.empty((n, c, h // 2, 2, w), dtype=dout.dtype)

    def work(batch: slice) -> None:
        quarter = dout[batch] * 0.25
        per_column = np.empty(quarter.shape[:3] + (w,), dtype=dout.dtype)
        per_column[..., 0::2] = quarter
        per_column[..., 1::2] = quarter
        dx[batch, :, :, 0, :] = per_column
        dx[batch, :, :, 1, :] = per_column

    _parallel.over_batch(work, n, dx.size)
    return dx.reshape(x_shape)


def avg_pool2d_forward(
    x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    """Average pooling that keeps the window sizes for backward. Returns ``(out, cache)``."""
    integer_input = is_integer(x)
    x = image_batch(x, "input")
    window = pool_window(x.shape[2:], kernel_size, stride, padding, 1, ceil_mode)
    divisor = _avg_divisor(window, count_include_pad, x.dtype)
    if window.tiles_exactly and window.kernel == (2, 2):
        return _avg_pool_2x2(x), PoolCache(window, x.shape, x.dtype, integer_input, divisor=divisor)
    top, bottom, left, right = window.pads
    padded = (
        x
        if window.is_unpadded
        else pad2d(x, (top, bottom + window.extra[0], left, right + window.extra[1]))
    )
    n, c = x.shape[:2]
    out = np.empty((n, c) + window.out_hw, dtype=x.dtype)

    def work(batch: slice) -> None:
        total = out[batch]
        # Taps are added in row-major order, the order PyTorch sums them.
        for k, (rows, cols) in _taps(window):
            if k == 0:
                total[...] = padded[batch, :, rows, cols]
            else:
                total += padded[batch, :, rows, cols]
        total /= divisor

    _parallel.over_batch(work, n, out.size * window.kernel[0] * window.kernel[1])
    return out, PoolCache(window, x.shape, x.dtype, integer_input, divisor=divisor)


def avg_pool2d_backward(dout, cache: PoolCache) -> np.ndarray:
    """Spread each output gradient evenly over its window: ``dx += dout / window_size``."""
    dout = _check_dout(dout, cache)
    window = cache.window
    n, c = cache.x_shape[:2]
    if window.tiles_exactly and window.kernel == (2, 2):
        return _avg_pool_2x2_backward(dout, cache.x_shape)
    share = dout / cache.divisor
    if window.tiles_exactly:
        (kh, kw), (oh, ow) = window.kernel, window.out_hw
        spread = np.broadcast_to(share[:, :, :, None, :, None], (n, c, oh, kh, ow, kw))
        return np.ascontiguousarray(spread).reshape(cache.x_shape)
    padded = np.empty((n, c) + window.padded_hw, dtype=dout.dtype)

    def scatter(batch: slice) -> None:
        target = padded[batch]
        target[...] = 0
        for _, (rows, cols) in _taps(window):
            target[:, :, rows, cols] += share[batch]

    _parallel.over_batch(scatter, n, padded.size)
    return pad2d_backward(padded, window.pads, window.input_hw)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average pooling, (N, C, H, W) -> (N, C, OH, OW); ``stride`` defaults to the window size."""
    return avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad)[0]


def global_avg_pool2d(x) -> np.ndarray:
    """Average over all of H and W: (N, C, H, W) -> (N, C, 1, 1)."""
    x = image_batch(x, "input")
    return x.mean(axis=(2, 3), keepdims=True, dtype=x.dtype)


def global_avg_pool2d_forward(x) -> tuple[np.ndarray, tuple]:
    """:func:`global_avg_pool2d` and its cache, the input's shape (N, C, H, W)."""
    x = image_batch(x, "input")
    return global_avg_pool2d(x), x.shape


def global_avg_pool2d_backward(dout, cache) -> np.ndarray:
    """Each pixel receives ``dout / (H*W)``: (N, C, 1, 1) -> (N, C, H, W). ``cache``: the input's
    shape, from :func:`global_avg_pool2d_forward`."""
    dout = np.asarray(dout)
    x_shape = cache
    n, c, h, w = x_shape
    if dout.shape != (n, c, 1, 1):
        raise i18n.error(
            ValueError, "errors.pooling_dout_have_shape", n_c_1_1=(n, c, 1, 1),
            dout_shape=dout.shape,
        )
    return np.ascontiguousarray(np.broadcast_to(dout / (h * w), x_shape))
