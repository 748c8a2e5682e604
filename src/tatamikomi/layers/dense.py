"""Fully connected layers: the book's :class:`Affine` and PyTorch's :class:`Linear`."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._checks import DEFAULT_DTYPE, check_ndim, positive_int
from ..init import initial_bias, initial_weight
from .base import Layer, _Entry, _generator, _parameter
from .. import i18n


class Affine(Layer):
    """The book's fully connected layer: ``out = x.reshape(N, -1) @ W + b``, W (D, M), b (M,).

    Shape: (N, ...) with D values per example -> (N, M); backward returns dx in x's shape.
    """

    W = _Entry("params", "W")
    b = _Entry("params", "b")
    dW = _Entry("grads", "W")
    db = _Entry("grads", "b")
    _backward_state = ("x", "_cache")
    spec_type = "Linear"
    spec_options = frozenset({"out_features", "bias", "init"})
    spec_required = frozenset({"out_features"})
    kind = "affine"
    book_name = "Affine"

    def __init__(self, W, b=None):
        super().__init__()
        self.W = _parameter(W, "W")
        check_ndim(self.W, 2, "W", i18n.Said("errors.dense_w_layout"))
        if 0 in self.W.shape:
            raise i18n.error(ValueError, "errors.dense_w_shape_affine", self_w_shape=self.W.shape)
        if b is not None:
            self.b = _parameter(b, "b", self.W.dtype).reshape(-1)
            if self.b.shape != (self.W.shape[1],):
                raise i18n.error(
                    ValueError, "errors.dense_b_have_shape", self_w_shape_1=self.W.shape[1],
                    np_shape_b=np.shape(b),
                )
        self.x = self._cache = None
        self.original_x_shape = None

    def forward(self, x):
        x = self._input(x)
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != self.W.shape[0]:
            raise i18n.error(
                ValueError, "errors.dense_affine_w_shape", self_w_shape=self.W.shape,
                self_w_shape_0=self.W.shape[0], x_shape=x.shape,
            )
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        out, self._cache = F.linear_forward(self.x, self.W, self.b)
        return out

    def backward(self, dout):
        self._require_forward(self._cache)
        dx, dW, db = F.linear_backward(np.asarray(dout), self._cache)
        self.dW = dW.astype(self.W.dtype, copy=False)
        if self.b is not None:
            self.db = db.astype(self.b.dtype, copy=False)
        return dx.astype(self.x.dtype, copy=False).reshape(self.original_x_shape)

    def to_spec(self) -> dict:
        return {"type": "Linear", "out_features": int(self.W.shape[1]), "bias": self.b is not None}

    @classmethod
    def _build(cls, shape, rng, dtype, out_features, bias=True, init="he"):
        return Linear(int(np.prod(shape)), out_features, bias, init=init, seed=rng, dtype=dtype)

    def output_shape(self, input_shape):
        if int(np.prod(input_shape)) != self.W.shape[0]:
            raise i18n.error(
                ValueError, "errors.dense_w_shape_takes", kind=type(self).__name__,
                self_w_shape=self.W.shape, self_w_shape_0=self.W.shape[0],
                tuple_input_shape=tuple(input_shape),
            )
        return (int(self.W.shape[1]),)

    def describe(self) -> str:
        return f"{type(self).__name__} {self.W.shape[0]}->{self.W.shape[1]}"


class Linear(Affine):
    """PyTorch's name and arguments for :class:`Affine`. ``weight`` is (out_features,
    in_features) as in PyTorch: a transposed view of ``W`` (in_features, out_features).

    Shape: (N, in_features) (or (N, ...) with in_features values per example) -> (N, out_features).
    """

    bias = _Entry("params", "b")

    def __init__(
        self,
        in_features,
        out_features,
        bias=True,
        *,
        init="pytorch",
        seed=None,
        dtype=DEFAULT_DTYPE,
    ):
        in_features = positive_int(in_features, "in_features")
        out_features = positive_int(out_features, "out_features")
        rng = _generator(seed)
        W = initial_weight((out_features, in_features), in_features, init, rng, dtype).T
        b = initial_bias(out_features, in_features, init, rng, dtype) if bias else None
        super().__init__(W, b)

    @property
    def weight(self) -> np.ndarray:
        return self.W.T

    @weight.setter
    def weight(self, value) -> None:
        self.W = _parameter(value, "weight").T.copy()
