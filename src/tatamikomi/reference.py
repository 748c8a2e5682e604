"""The lecture's implementation, written plainly: the readable reference for the fast path.

These functions follow the slides and the book line by line (an im2col matrix of shape
(N*OH*OW, C*FH*FW), one matrix product, transposes back to NCHW), without the fast path's
layout tricks or threads. Tests check the fast functions against them, and the benchmarks
measure the speed-up over them. They support stride and zero padding, as the lecture does.


Selecting it: ``tatamikomi.reference.use(True)`` (or ``TATAMIKOMI_REFERENCE=1``, or
``with tatamikomi.reference.using():``) makes the Convolution and Pooling layers, and so every
model, compute with these functions instead of the fast path; the results agree to float
rounding. They take only the lecture's options (stride, zero padding, square steps); a layer
with other options (dilation, groups, another padding mode, ceil_mode, max pooling with
padding) says so rather than run something else.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

_in_use = os.environ.get("TATAMIKOMI_REFERENCE", "").strip() not in ("", "0")


def use(flag: bool = True) -> None:
    """Compute the Convolution and Pooling layers with this module (True) or the fast path."""
    global _in_use
    _in_use = bool(flag)


def in_use() -> bool:
    """Whether the layers compute with this module."""
    return _in_use


@contextlib.contextmanager
def using(flag: bool = True):
    """``with using():`` the layers compute with this module inside the block."""
    saved = _in_use
    use(flag)
    try:
        yield
    finally:
        use(saved)


def _out_size(size, filter_size, stride, pad):
    return (size + 2 * pad - filter_size) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """The slide's im2col: (N, C, H, W) -> (N*OH*OW, C*FH*FW), keeping the input's dtype."""
    N, C, H, W = input_data.shape
    out_h = _out_size(H, filter_h, stride, pad)
    out_w = _out_size(W, filter_w, stride, pad)
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im: the rows of an im2col matrix added back into (N, C, H, W)."""
    N, C, H, W = input_shape
    out_h = _out_size(H, filter_h, stride, pad)
    out_w = _out_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad : H + pad, pad : W + pad]


def conv_forward(x, W, b, stride=1, pad=0):
    """Convolution as the book's layer computes it. Returns ``(out, (x, col, col_W))``."""
    FN, C, FH, FW = W.shape
    N, C, H, Wd = x.shape
    out_h = _out_size(H, FH, stride, pad)
    out_w = _out_size(Wd, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)
    col_W = W.reshape(FN, -1).T
    out = col @ col_W + b
    out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
    return out, (x, col, col_W)


def conv_backward(dout, cache, W, stride=1, pad=0):
    """The book's Convolution.backward. Returns ``(dx, dW, db)``."""
    x, col, col_W = cache
    FN, C, FH, FW = W.shape
    dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
    db = np.sum(dout, axis=0)
    dW = (col.T @ dout).transpose(1, 0).reshape(FN, C, FH, FW)
    dcol = dout @ col_W.T
    return col2im(dcol, x.shape, FH, FW, stride, pad), dW, db


def max_pool_forward(x, pool_h, pool_w, stride, pad=0):
    """The book's Pooling.forward (max). Returns ``(out, (x, arg_max))``."""
    N, C, H, W = x.shape
    out_h = _out_size(H, pool_h, stride, pad)
    out_w = _out_size(W, pool_w, stride, pad)
    col = im2col(x, pool_h, pool_w, stride, pad).reshape(-1, pool_h * pool_w)
    arg_max = np.argmax(col, axis=1)
    out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
    return out, (x, arg_max)


def max_pool_backward(dout, cache, pool_h, pool_w, stride, pad=0):
    """The book's Pooling.backward (max): the gradient goes to each window's argmax."""
    x, arg_max = cache
    dout = dout.transpose(0, 2, 3, 1)
    pool_size = pool_h * pool_w
    dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
    dmax[np.arange(arg_max.size), arg_max.flatten()] = dout.flatten()
    dcol = dmax.reshape(dout.shape + (pool_size,)).reshape(
        dout.shape[0] * dout.shape[1] * dout.shape[2], -1
    )
    return col2im(dcol, x.shape, pool_h, pool_w, stride, pad)


def avg_pool_forward(x, pool_h, pool_w, stride, pad=0):
    """Average pooling the book's way (im2col, then the mean of each row)."""
    N, C, H, W = x.shape
    out_h = _out_size(H, pool_h, stride, pad)
    out_w = _out_size(W, pool_w, stride, pad)
    col = im2col(x, pool_h, pool_w, stride, pad).reshape(-1, pool_h * pool_w)
    out = col.mean(axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
    return out, x.shape


def avg_pool_backward(dout, x_shape, pool_h, pool_w, stride, pad=0):
    """Each window's gradient shared equally among its pool_h*pool_w inputs."""
    pool_size = pool_h * pool_w
    dout = dout.transpose(0, 2, 3, 1).reshape(-1, 1)
    dcol = np.repeat(dout / pool_size, pool_size, axis=1).reshape(-1, x_shape[1] * pool_size)
    return col2im(dcol, x_shape, pool_h, pool_w, stride, pad)
