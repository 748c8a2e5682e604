"""Stands in for the book's ``common/util.py``: ``im2col``/``col2im`` with the book's signatures
(tatamikomi's fast versions), ``conv_output_size``, ``smooth_curve``, ``shuffle_dataset``."""

from __future__ import annotations

import numpy as np

from ..functional import col2im, im2col

__all__ = ["im2col", "col2im", "conv_output_size", "smooth_curve", "shuffle_dataset"]


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """``(input_size + 2*pad - filter_size) / stride + 1`` (a float, as the book returns it)."""
    return (input_size + 2 * pad - filter_size) / stride + 1


def smooth_curve(x):
    """A loss curve smoothed by an 11-point Kaiser window (beta 2), the same length as x."""
    window_len = 11
    s = np.r_[x[window_len - 1 : 0 : -1], x, x[-1:-window_len:-1]]
    w = np.kaiser(window_len, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5 : len(y) - 5]


def shuffle_dataset(x, t):
    """``(x, t)`` in one random order (``np.random.permutation``, as the book draws it)."""
    permutation = np.random.permutation(x.shape[0])
    return x[permutation], t[permutation]
