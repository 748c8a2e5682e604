"""The loss layer: :class:`SoftmaxWithLoss` (the book's last layer). Not a spec layer (no
``spec_type``): a model keeps it as its ``last_layer``, outside its spec."""

from __future__ import annotations

from .. import functional as F
from .base import Layer


class SoftmaxWithLoss(Layer):
    """Softmax followed by the mean cross-entropy loss (the book's last layer).

    ``forward(x, t)`` takes scores x (N, K) and labels t (class indices (N,) or one-hot (N, K))
    and returns the loss; ``backward(dout=1)`` returns ``dout * (softmax(x) - t) / N``.

    Shape: scores (N, K) and labels (N,) or (N, K) -> a scalar loss; backward -> (N, K).
    """

    def __init__(self):
        super().__init__()
        self.loss = self.y = self.t = self._cache = None

    def forward(self, x, t):
        x = self._input(x)
        self.loss, self._cache = F.softmax_cross_entropy_forward(x, t)
        self.y, self.t = self._cache.probs, t
        return self.loss

    def backward(self, dout=1):
        self._require_forward(self.y)
        return F.softmax_cross_entropy_backward(dout, self._cache)
