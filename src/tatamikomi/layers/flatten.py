"""Flatten: one row per example, between the convolution part of a network and its
fully connected part."""

from __future__ import annotations

import numpy as np

from .base import Layer
from .. import i18n


class Flatten(Layer):
    """Flattens each example; backward restores the shape.

    Shape: (N, C, H, W) -> (N, C*H*W).
    """

    spec_type = "Flatten"
    kind = "reshape"
    book_name = "Flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = self._input(x)
        if x.ndim < 2:
            raise i18n.error(ValueError, "errors.flatten_flatten_needs_batch", x_shape=x.shape)
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        self._require_forward(self._x_shape)
        return np.asarray(dout).reshape(self._x_shape)
