"""The fully connected (Affine) product and its gradients, split over the batch.

``out = x @ W + b`` with x (N, D), W (D, M) (the book's orientation), b (M,). Backward:
``dx = dout @ W.T``, ``dW = x.T @ dout`` (summed over the batch), ``db = dout.sum(axis=0)``.
The batch is split across threads like the convolution's (see :mod:`tatamikomi._parallel`).
"""

from __future__ import annotations

import numpy as np

from .. import _parallel


def linear(x: np.ndarray, W: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``x @ W + b`` for x (N, D), W (D, M), b (M,) -> (N, M), in NumPy's promoted dtype."""
    n = x.shape[0]
    out = np.empty((n, W.shape[1]), dtype=np.result_type(x, W))

    def work(batch: slice) -> None:
        np.matmul(x[batch], W, out=out[batch])
        if b is not None:
            out[batch] += b

    _parallel.over_batch(work, n, x.size + out.size, blas=True)
    return out


def linear_backward(dout: np.ndarray, x: np.ndarray, W: np.ndarray, need_input_grad=True):
    """Gradients of :func:`linear`: ``(dx, dW, db)``; dx is None unless ``need_input_grad``."""
    n = x.shape[0]
    dtype = np.result_type(dout, x, W)
    dx = np.empty((n, W.shape[0]), dtype=dtype) if need_input_grad else None
    partial_dw = {}

    def work(batch: slice) -> None:
        partial_dw[batch.start] = x[batch].T @ dout[batch]
        if dx is not None:
            np.matmul(dout[batch], W.T, out=dx[batch])

    _parallel.over_batch(work, n, x.size + dout.size, blas=True)
    dw = sum(partial_dw[start] for start in sorted(partial_dw))
    return dx, dw, dout.sum(axis=0)
