"""Softmax cross-entropy: the loss of a classifier, from raw scores (logits).

For logits z of shape (N, K) and labels t (class indices (N,), or one-hot / probability rows
(N, K))::

    loss = -(1/N) * sum_n sum_k t[n, k] * log_softmax(z)[n, k]
    dloss/dz = (softmax(z) - t) / N

``softmax_cross_entropy_forward(z, t) -> (loss, cache)``, and
``softmax_cross_entropy_backward(dout, cache) = dout * (softmax(z) - t) / N``.
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from .._checks import as_array, as_float, check_finite, check_ndim
from .activations import log_softmax, softmax
from .. import i18n


@dataclass(frozen=True)
class SoftmaxCrossEntropyCache:
    """What :func:`softmax_cross_entropy_backward` needs: ``probs = softmax(z)`` (N, K) and the
    labels as probability rows ``target`` (N, K)."""

    probs: np.ndarray
    target: np.ndarray


def target_distribution(labels, num_classes: int, n: int, dtype) -> np.ndarray:
    """Labels as an (N, K) array of probabilities: indices become one-hot rows."""
    labels = as_array(labels, "labels")
    if labels.ndim == 1:
        if labels.shape[0] != n:
            raise i18n.error(
                ValueError, "errors.losses_labels_batch_examples", labels_shape_0=labels.shape[0],
                n=n,
            )
        if labels.dtype.kind == "f":
            if not np.array_equal(labels, np.round(labels)):
                raise i18n.error(TypeError, "errors.losses_class_index_labels")
            labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise i18n.error(
                ValueError, "errors.losses_class_indices_lie", num_classes_1=num_classes - 1,
                num_classes=num_classes, labels_min=labels.min(), labels_max=labels.max(),
            )
        onehot = np.zeros((n, num_classes), dtype=dtype)
        onehot[np.arange(n), labels] = 1
        return onehot
    check_ndim(
        labels,
        2,
        "labels",
        i18n.Said("errors.losses_labels_layout"),
    )
    if labels.shape != (n, num_classes):
        raise i18n.error(
            ValueError, "errors.losses_one_hot_labels", n_num_classes=(n, num_classes),
            labels_shape=labels.shape,
        )
    return labels.astype(dtype, copy=False)


def _check_logits(logits) -> np.ndarray:
    logits = as_float(logits, "logits")
    check_ndim(logits, 2, "logits", i18n.Said("errors.losses_logits_layout"))
    check_finite(
        logits,
        "logits",
        i18n.Said("errors.losses_logits_hint"),
    )
    return logits


def _logits_and_target(logits, labels):
    logits = _check_logits(logits)
    n, k = logits.shape
    return logits, target_distribution(labels, k, n, logits.dtype)


def _mean_cross_entropy(logits, target) -> float:
    return float(-(target * log_softmax(logits)).sum() / logits.shape[0])


def softmax_cross_entropy(logits, labels) -> float:
    """Mean cross-entropy of ``softmax(logits)`` against the labels (a Python float)."""
    return _mean_cross_entropy(*_logits_and_target(logits, labels))


def softmax_cross_entropy_forward(logits, labels):
    """The loss (a Python float) and its cache: ``(loss, cache)``. Shapes: logits (N, K),
    labels (N,) class indices or (N, K) one-hot / probability rows."""
    logits, target = _logits_and_target(logits, labels)
    return _mean_cross_entropy(logits, target), SoftmaxCrossEntropyCache(softmax(logits), target)


def softmax_cross_entropy_backward(dout, cache: SoftmaxCrossEntropyCache) -> np.ndarray:
    """Gradient with respect to the logits, ``dout * (probs - t) / N`` (N, K); ``dout`` is the
    gradient of what follows the loss (1 when the loss is the end)."""
    if not isinstance(cache, SoftmaxCrossEntropyCache):
        raise i18n.error(
            TypeError, "errors.losses_softmax_cross_entropy", cache_kind=type(cache).__name__,
        )
    n = cache.probs.shape[0]
    return dout * ((cache.probs - cache.target) / n)
