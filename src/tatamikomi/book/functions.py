"""Stands in for the book's ``common/functions.py``: its functions, by its names, on (N, D) arrays
(or one vector); ``softmax`` and ``sigmoid`` are tatamikomi's (overflow-safe)."""

from __future__ import annotations

import numpy as np

from ..functional import sigmoid, softmax

__all__ = ["identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad",
           "softmax", "sum_squared_error", "cross_entropy_error", "softmax_loss"]


def identity_function(x):
    return x


def step_function(x):
    return np.array(x > 0, dtype=int)


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def relu(x):
    return np.maximum(0, x)


def relu_grad(x):
    return (np.asarray(x) >= 0).astype(np.asarray(x).dtype)


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """Mean of ``-log(y[label] + 1e-7)`` over the batch; t is labels (N,) or one-hot (N, K)."""
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def softmax_loss(X, t):
    return cross_entropy_error(softmax(X), t)
