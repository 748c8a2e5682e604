"""Stands in for the book's ``common/optimizer.py``: tatamikomi's optimizers with the book's
names and defaults (``update(params, grads)`` on dicts of arrays, in place). The book's Adam adds
1e-7 to the root, not tatamikomi's 1e-8; it is kept."""

from __future__ import annotations

from .. import optim
from ..optim import AdaGrad, Momentum, Nesterov, RMSprop, SGD

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"]


class Adam(optim.Adam):
    """The book's ``Adam(lr=0.001, beta1=0.9, beta2=0.999)``, eps 1e-7 as the book writes it."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, *, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, beta1, beta2, eps=eps, weight_decay=weight_decay)
