"""Dropout: random zeros in training (a regulariser), the identity in eval mode."""

from __future__ import annotations

import numpy as np

from .base import Layer, _generator
from .. import i18n


class Dropout(Layer):
    """Inverted dropout: in training, each value is zeroed with probability ``dropout_ratio``
    and the rest are scaled by ``1 / (1 - dropout_ratio)``; in eval mode it passes x unchanged.
    (The book instead scales by ``1 - dropout_ratio`` at test time; the expected output is the
    same.) ``seed`` is an int or a numpy Generator for the masks.

    Shape: any, unchanged.
    """

    _backward_state = ("mask",)
    spec_type = "Dropout"
    spec_options = frozenset({"p"})
    kind = "dropout"
    book_name = "Dropout"

    def __init__(self, dropout_ratio=0.5, *, seed=None):
        super().__init__()
        if not 0 <= dropout_ratio < 1:
            raise i18n.error(
                ValueError, "errors.dropout_dropout_ratio", dropout_ratio=dropout_ratio,
            )
        self.dropout_ratio = float(dropout_ratio)
        self.rng = _generator(seed)
        self.mask = None

    def forward(self, x):
        x = self._input(x)
        if not self.training or self.dropout_ratio == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape) >= self.dropout_ratio
        self.mask = keep * np.asarray(1 / (1 - self.dropout_ratio), dtype=x.dtype)
        return x * self.mask

    def backward(self, dout):
        self._require_forward()
        dout = np.asarray(dout)
        return dout if self.mask is None else dout * self.mask

    def to_spec(self) -> dict:
        return {"type": "Dropout", "p": self.dropout_ratio}

    @classmethod
    def _build(cls, shape, rng, dtype, p=0.5):
        # its own generator: the masks it draws never change the weights of later layers
        return cls(p, seed=rng.spawn(1)[0] if hasattr(rng, "spawn") else rng)

    def describe(self) -> str:
        return f"Dropout p={self.dropout_ratio}"
