"""Element-wise activations and softmax, with their backward passes.

Each backward takes what its forward produced (the input for ReLU, the output for sigmoid and
tanh), as the book's layers keep it.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float


def relu(x) -> np.ndarray:
    """``max(0, x)``, element-wise."""
    x = as_float(x, "x")
    return np.maximum(x, 0, dtype=x.dtype)


def relu_backward(dout, x) -> np.ndarray:
    """``dout`` where ``x > 0``, else 0 (at exactly 0 the gradient is 0, as in PyTorch)."""
    dout = np.asarray(dout)
    return np.where(np.asarray(x) > 0, dout, np.zeros((), dtype=dout.dtype))


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow for large |x|."""
    x = as_float(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(dout, y) -> np.ndarray:
    """``dout * y * (1 - y)`` with ``y = sigmoid(x)``."""
    return dout * y * (1 - y)


def tanh(x) -> np.ndarray:
    x = as_float(x, "x")
    return np.tanh(x)


def tanh_backward(dout, y) -> np.ndarray:
    """``dout * (1 - y**2)`` with ``y = tanh(x)``."""
    return dout * (1 - y * y)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """``x - log(sum(exp(x)))`` along ``axis``, shifted by the maximum for stability."""
    x = as_float(x, "x")
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``axis`` (rows sum to 1), stable for large values."""
    x = as_float(x, "x")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
