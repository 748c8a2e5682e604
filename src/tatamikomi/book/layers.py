"""Stands in for the book's ``common/layers.py``: its classes, signatures and defaults, with
tatamikomi's fast engine underneath (:mod:`tatamikomi.layers`).

Where the book's behaviour differs from tatamikomi's own layers, the book's is kept, since its
scripts rely on it: ``Pooling(pool_h, pool_w, stride=2, pad=0)`` (the book's defaults);
``Dropout`` scales by ``1 - dropout_ratio`` at test time and takes ``forward(x, train_flg)``;
``BatchNormalization`` normalises each activation of a 4-D input (the book flattens it to (N, -1))
with eps 1e-6 and running statistics starting at zero. The book's ``backward`` of ``Relu``
overwrites ``dout``; this one does not (the values returned are the same).
"""

from __future__ import annotations

import numpy as np

from .. import layers
from ..layers import Affine, Convolution, Relu, Sigmoid, SoftmaxWithLoss
from .functions import (cross_entropy_error, identity_function, relu, sigmoid, sigmoid_grad,
                        softmax, softmax_loss, step_function, sum_squared_error)
from .util import col2im, im2col

__all__ = ["Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout", "BatchNormalization",
           "Convolution", "Pooling", "im2col", "col2im", "identity_function", "step_function",
           "sigmoid", "sigmoid_grad", "relu", "softmax", "cross_entropy_error",
           "sum_squared_error", "softmax_loss"]


class Pooling(layers.MaxPooling):
    """The book's max ``Pooling(pool_h, pool_w, stride=2, pad=0)``.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1``. (Padding,
    which the book's code cannot use, pads with -inf here.)"""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        super().__init__(pool_h, pool_w, stride, pad)


class Dropout:
    """The book's dropout: in training (``train_flg=True``) each value is kept where
    ``np.random.rand(...) > dropout_ratio``; at test time every value is multiplied by
    ``1 - dropout_ratio``. Shape: any, unchanged."""

    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization(layers.BatchNormalization):
    """The book's ``BatchNormalization(gamma, beta, momentum=0.9, running_mean=None,
    running_var=None)``, one statistic per activation: a 4-D input (N, C, H, W) is normalised as
    (N, C*H*W), so gamma and beta have C*H*W values. ``forward(x, train_flg=True)``."""

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        size = np.asarray(gamma).size
        running_var = np.zeros(size) if running_var is None else running_var
        super().__init__(gamma, beta, momentum, running_mean, running_var, eps=10e-7)

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        self.train(train_flg)
        return super().forward(x.reshape(len(x), -1)).reshape(self.input_shape)

    def backward(self, dout):
        return super().backward(dout.reshape(len(dout), -1)).reshape(self.input_shape)
