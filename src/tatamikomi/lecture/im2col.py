"""The slide's ``im2col`` and the book's ``col2im``, written as the lecture writes them.

``im2col`` turns every window of the (padded) input into one row, so that the whole
convolution becomes one matrix product::

    input (N, C, H, W)  ->  col (N*OH*OW, C*FH*FW)

For the slide's batch of 10 images of 3x7x7 and a 5x5 filter, OH = OW = 3: 10*3*3 = 90 rows of
3*5*5 = 75 values. Instead of one loop per window, it loops over the FH*FW taps of the filter:
tap (y, x) sees the pixels ``img[:, :, y : y + stride*OH : stride, x : x + stride*OW : stride]``
at all output positions at once. ``col2im`` is the reverse used by backward: it adds every row
back onto the pixels it came from (a pixel in several windows receives several additions).
"""

from __future__ import annotations

import numpy as np

from ..functional.geometry import conv_output_size


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """The windows of ``input_data`` (N, C, H, W) as rows: (N*OH*OW, C*FH*FW), in its dtype."""
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The rows of an im2col matrix added back onto an (N, C, H, W) input (the padding dropped)."""
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad : H + pad, pad : W + pad]
