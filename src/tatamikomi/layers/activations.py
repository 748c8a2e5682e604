"""Element-wise activations: :class:`Relu` (``ReLU``), :class:`LeakyReLU`, :class:`Sigmoid`,
:class:`Tanh`."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._checks import as_float
from .base import Layer
from .. import i18n


class Relu(Layer):
    """``max(0, x)``; backward passes the gradient where x > 0.

    Shape: any, unchanged.
    """

    _backward_state = ("_keep", "_inference_input")
    spec_type = "ReLU"
    kind = "activation"
    book_name = "Relu"

    def __init__(self):
        super().__init__()
        self._keep = None  # True where the input was > 0
        self._inference_input = None  # in eval mode: the input, for a mask asked for later

    def _kept(self):
        if self._keep is None and self._inference_input is not None:
            self._keep = self._inference_input > 0
        return self._keep

    @property
    def mask(self):
        """True where the input was <= 0, as the book's Relu keeps it (None before forward)."""
        keep = self._kept()
        return None if keep is None else ~keep

    def forward(self, x):
        x = self._input(x)
        if not self.training:  # inference: no mask, unless a backward pass asks for one
            self._keep, self._inference_input = None, x
            return F.relu(x)
        self._inference_input = None
        out, self._keep = F.relu_forward(x)
        return out

    def backward(self, dout):
        keep = self._kept()
        self._require_forward(keep)
        return F.relu_backward(dout, keep)


ReLU = Relu


class LeakyReLU(Layer):
    """``x`` where x > 0, else ``negative_slope * x`` (PyTorch's LeakyReLU, default 0.01): a ReLU
    that lets a little gradient through for negative inputs, so a unit is never dead.

    Shape: any, unchanged. Backward: ``dout`` where x > 0, else ``negative_slope * dout``.
    """

    spec_type = "LeakyReLU"
    spec_options = frozenset({"negative_slope"})
    kind = "activation"
    book_name = "LeakyRelu"
    _backward_state = ("_positive",)

    def __init__(self, negative_slope=0.01):
        super().__init__()
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise i18n.error(
                TypeError, "errors.activations_negative_slope_number",
                negative_slope=negative_slope,
            )
        if not np.isfinite(negative_slope):
            raise i18n.error(
                ValueError, "errors.activations_negative_slope_finite",
                negative_slope=negative_slope,
            )
        self.negative_slope = float(negative_slope)
        self._positive = None

    def forward(self, x):
        x = self._input(x)
        self._positive = x > 0
        return np.where(self._positive, x, x * x.dtype.type(self.negative_slope))

    def backward(self, dout):
        self._require_forward(self._positive)
        dout = as_float(dout, "dout")
        return np.where(self._positive, dout, dout * dout.dtype.type(self.negative_slope))

    def to_spec(self) -> dict:
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}

    def describe(self) -> str:
        return f"LeakyReLU {self.negative_slope:g}"


class _ActivationOfOutput(Layer):
    """An element-wise activation whose backward needs only its output y."""

    function = staticmethod(lambda x: x)
    gradient = staticmethod(lambda dout, y: dout)
    _backward_state = ("out",)

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x):
        self.out = self.function(self._input(x))
        return self.out

    def backward(self, dout):
        self._require_forward(self.out)
        return self.gradient(dout, self.out)


class Sigmoid(_ActivationOfOutput):
    """``1 / (1 + exp(-x))``; backward ``dout * y * (1 - y)``.

    Shape: any, unchanged.
    """

    spec_type = "Sigmoid"
    kind = "activation"
    book_name = "Sigmoid"

    function, gradient = staticmethod(F.sigmoid), staticmethod(F.sigmoid_backward)


class Tanh(_ActivationOfOutput):
    """``tanh(x)``; backward ``dout * (1 - y**2)``.

    Shape: any, unchanged.
    """

    spec_type = "Tanh"
    kind = "activation"
    book_name = "Tanh"

    function, gradient = staticmethod(F.tanh), staticmethod(F.tanh_backward)
