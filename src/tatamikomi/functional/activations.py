"""Element-wise activations and softmax, with their backward passes.

``op_forward(x) -> (out, cache)`` and ``op_backward(dout, cache)``, the cache being what the
book's layers keep: the mask ``x > 0`` for ReLU, the output y for sigmoid and tanh.
"""

from __future__ import annotations

import numpy as np

from .. import _parallel
from .._checks import as_float
from .. import i18n


def _over_first_axis(work, array: np.ndarray) -> None:
    """``work(slice)`` over the first axis of ``array``, split across threads when large."""
    if array.ndim == 0:
        work(Ellipsis)
    else:
        _parallel.over_batch(work, array.shape[0], array.size)


def relu_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """``max(0, x)`` and its cache, the mask ``x > 0`` that the backward pass needs, in one
    pass. Shape: any -> the same."""
    x = as_float(x, "x")
    out = np.empty_like(x)
    keep = np.empty(x.shape, dtype=bool)

    def work(part) -> None:
        np.maximum(x[part], 0, out=out[part])
        np.greater(x[part], 0, out=keep[part])

    _over_first_axis(work, x)
    return out, keep


def relu(x) -> np.ndarray:
    """``max(0, x)``, element-wise (for inference: no mask is made)."""
    x = as_float(x, "x")
    out = np.empty_like(x)

    def work(part) -> None:
        np.maximum(x[part], 0, out=out[part])

    _over_first_axis(work, x)
    return out


def masked(dout, keep) -> np.ndarray:
    """``dout`` where ``keep``, else 0.

    Computed as ``dout * keep``: a multiplication has no branches, while ``np.where`` on a mask
    that changes at random (as a ReLU's does) runs several times slower. Where ``dout`` holds inf
    or NaN, ``np.where`` is used instead, since ``inf * 0`` would be NaN."""
    dout = np.asarray(dout)
    if dout.shape != keep.shape:
        raise i18n.error(
            ValueError, "errors.activations_dout_have_forward", keep_shape=keep.shape,
            dout_shape=dout.shape,
        )
    dx = np.empty_like(dout, dtype=dout.dtype if dout.dtype.kind == "f" else np.float32)

    def work(part) -> None:
        if np.isfinite(dout[part]).all():
            np.multiply(dout[part], keep[part], out=dx[part])
        else:
            dx[part] = np.where(keep[part], dout[part], 0)

    _over_first_axis(work, dout)
    return dx


def relu_backward(dout, cache) -> np.ndarray:
    """``dout`` where ``x > 0``, else 0 (at exactly 0 the gradient is 0, as in PyTorch).
    ``cache``: the mask from :func:`relu_forward`."""
    if not isinstance(cache, np.ndarray) or cache.dtype != bool:
        raise i18n.error(
            TypeError, "errors.activations_relu_backward_dout", cache_kind=type(cache).__name__,
            dtype=getattr(cache, 'dtype', None),
        )
    return masked(dout, cache)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow for large |x|."""
    x = as_float(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """``y = sigmoid(x)`` and its cache, y itself (the backward pass needs only the output)."""
    y = sigmoid(x)
    return y, y


def sigmoid_backward(dout, cache) -> np.ndarray:
    """``dout * y * (1 - y)`` with ``y = sigmoid(x)``, the cache of :func:`sigmoid_forward`."""
    y = cache
    return dout * y * (1 - y)


def tanh(x) -> np.ndarray:
    """``tanh(x)``, element-wise."""
    x = as_float(x, "x")
    return np.tanh(x)


def tanh_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """``y = tanh(x)`` and its cache, y itself."""
    y = tanh(x)
    return y, y


def tanh_backward(dout, cache) -> np.ndarray:
    """``dout * (1 - y**2)`` with ``y = tanh(x)``, the cache of :func:`tanh_forward`."""
    y = cache
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
