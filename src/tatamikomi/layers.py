"""Layers: objects that hold parameters and gradients and call :mod:`tatamikomi.functional`.

Every layer has ``forward(x)`` and ``backward(dout)`` (returning the gradient with respect to
its input), a ``params`` and a ``grads`` dict with the same keys, non-trained state in
``buffers``, and a train/eval mode (``train()``, ``eval()``, ``training``).

The lecture's (and the book's) classes keep their names and arguments: ``Convolution(W, b,
stride, pad)``, ``Pooling(pool_h, pool_w, stride, pad)``, ``Affine(W, b)``, ``Relu``,
``SoftmaxWithLoss`` ..., with attributes ``W``, ``b``, ``dW``, ``db``. Beside them, PyTorch's
names build the same layers from sizes: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Linear``,
``ReLU``, ``BatchNorm2d``.

Every layer describes itself, so that nothing else keeps a table of layer types:

- ``spec_type``: the ``"type"`` of its entry in a model spec (PyTorch's names, ``"Conv2d"``...);
  :data:`LAYER_TYPES` maps each to its class, filled as the classes are defined;
- ``layer.to_spec()`` and ``Cls.from_spec(entry, input_shape, rng, dtype)``: the JSON-ready entry
  and back (a new layer sized for one example of ``input_shape``);
- ``layer.output_shape(input_shape)``: one example's output shape, from
  :mod:`tatamikomi.functional.geometry` (checked against what the layer accepts);
- ``layer.describe()``: one line for summaries (``"Convolution 30x1x5x5"``);
- ``kind`` (``"conv"``, ``"pool"``, ``"affine"``, ``"activation"``...) and ``book_name``, the
  prefix of the book's layer names (``Conv1``, ``Relu1``, ``Pool1``...).

Adding a layer type is one class in this file: see :class:`LeakyReLU`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from . import functional as F
from . import i18n
from ._checks import (
    DEFAULT_DTYPE,
    as_float,
    check_finite,
    check_groups,
    check_ndim,
    is_integer,
    non_empty_batch,
    pair,
    positive_int,
    positive_pair,
    refuse_integer_gradient,
)
from .functional.geometry import Window2d, window2d
from .init import initial_bias, initial_weight

#: spec "type" -> layer class, filled by :meth:`Layer.__init_subclass__`
LAYER_TYPES: dict[str, type] = {}


class _Entry:
    """An attribute that reads and writes one key of a layer's dict (``params``, ``grads``...),
    so that ``layer.W`` and ``layer.params["W"]`` are always the same array."""

    def __init__(self, store: str, key: str):
        self.store, self.key = store, key

    def __get__(self, layer, owner=None):
        if layer is None:
            return self
        return getattr(layer, self.store).get(self.key)

    def __set__(self, layer, value):
        getattr(layer, self.store)[self.key] = value


def _parameter(value, name: str, dtype=None) -> np.ndarray:
    """A parameter array the layer owns: a float copy, checked to be finite."""
    array = as_float(value, name)
    array = np.array(array, dtype=dtype or array.dtype, copy=True)
    check_finite(array, name, f"Give {name} finite values.")
    return array


def _int_or_list(value):
    """A spec value: one int where both directions agree, else a list."""
    value = tuple(int(v) for v in np.atleast_1d(value))
    return value[0] if len(set(value)) == 1 else list(value)


def _need_ndim(shape, ndim: int, layer: str, expected: str) -> None:
    if len(shape) != ndim:
        raise i18n.error(
            ValueError, "layer_input", layer=layer, expected=expected, got=tuple(shape)
        )


class Layer:
    """Base class: ``forward``/``backward``, ``params``/``grads``/``buffers``, train/eval mode,
    and the self-description listed in the module docstring.

    Shape: a subclass documents its own; by default (element-wise layers) unchanged.
    """

    #: the "type" of the layer's spec entry; a class that sets it is registered in LAYER_TYPES
    spec_type: ClassVar[str | None] = None
    #: further spec types that build this class (e.g. "BatchNorm1d")
    spec_aliases: ClassVar[tuple[str, ...]] = ()
    #: the spec options :meth:`from_spec` accepts, and those it needs
    spec_options: ClassVar[frozenset] = frozenset()
    spec_required: ClassVar[frozenset] = frozenset()
    #: "conv", "pool", "global_pool", "affine", "activation", "normalization", "dropout" or
    #: "reshape"
    kind: ClassVar[str] = "layer"
    #: the prefix of the book's layer names (Conv1, Relu1...)
    book_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "spec_type" in cls.__dict__ and cls.spec_type is not None:
            for name in (cls.spec_type, *cls.__dict__.get("spec_aliases", ())):
                LAYER_TYPES[name] = cls

    # -- self-description ------------------------------------------------------------------

    def to_spec(self) -> dict:
        """The spec entry (PyTorch's names) that rebuilds this layer with the same shapes."""
        if self.spec_type is None:
            raise TypeError(
                f"{type(self).__name__} has no spec entry; it cannot be saved in a spec"
            )
        return {"type": self.spec_type}

    @classmethod
    def from_spec(cls, entry: dict, input_shape, rng=None, dtype=DEFAULT_DTYPE) -> "Layer":
        """A new layer from its spec entry, sized for one example of ``input_shape``."""
        options = cls._options(entry)
        return cls._build(tuple(input_shape), _generator(rng), np.dtype(dtype), **options)

    @classmethod
    def _build(cls, shape, rng, dtype, **options) -> "Layer":
        return cls(**options)

    @classmethod
    def _options(cls, entry: dict) -> dict:
        """The entry's options, checked against :attr:`spec_options` and :attr:`spec_required`."""
        kind = entry.get("type", cls.spec_type)
        options = {k: v for k, v in entry.items() if k != "type"}
        missing = sorted(cls.spec_required - set(options))
        if missing:
            raise ValueError(f"{kind} needs {' and '.join(missing)}")
        unknown = sorted(set(options) - cls.spec_options)
        if unknown:
            raise ValueError(
                f"{kind} has no option {', '.join(map(repr, unknown))}; "
                f"its options are: {', '.join(sorted(cls.spec_options)) or 'none'}"
            )
        return options

    def output_shape(self, input_shape) -> tuple[int, ...]:
        """One example's output shape for one example of ``input_shape`` (element-wise: the
        same)."""
        return tuple(int(s) for s in input_shape)

    def describe(self) -> str:
        """One line for a summary table."""
        return type(self).__name__

    # -- forward, backward, mode -----------------------------------------------------------

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self._integer_input = False

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def train(self, mode: bool = True):
        self.training = bool(mode)
        return self

    #: the attributes that keep what backward needs (see :meth:`release`)
    _backward_state: tuple[str, ...] = ()

    def release(self) -> None:
        """Let go of what the last forward pass kept for backward (inference needs none of it,
        and for a large batch it is most of the memory)."""
        for name in self._backward_state:
            setattr(self, name, None)

    def eval(self):
        return self.train(False)

    def _input(self, x) -> np.ndarray:
        """Accept an input for forward: remembers whether it was integer (no gradient then)."""
        self._integer_input = is_integer(x)
        return as_float(x, "x")

    def _require_forward(self, *state) -> None:
        if any(s is None for s in state):
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if self._integer_input:
            refuse_integer_gradient(type(self).__name__)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


def _generator(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Convolution(Layer):
    """The lecture's Convolution layer: filters W (FN, C/groups, FH, FW) and bias b (FN,).

    Shape: (N, C, H, W) -> (N, FN, OH, OW),
    ``OH = (H + 2*pad - dilation*(FH-1) - 1) // stride + 1``.
    ``pad`` may be an int, an (h, w) pair, ``'valid'`` or ``'same'``; ``padding_mode`` is
    ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``. ``b`` may be None (no bias).
    With ``need_input_grad=False`` (a network's first layer) backward skips dx and returns None.
    """

    W = _Entry("params", "W")
    b = _Entry("params", "b")
    dW = _Entry("grads", "W")
    db = _Entry("grads", "b")
    _backward_state = ("_cache",)

    def __init__(
        self,
        W,
        b=None,
        stride=1,
        pad=0,
        *,
        dilation=1,
        groups=1,
        padding_mode="zeros",
        need_input_grad=True,
    ):
        super().__init__()
        self.W = _parameter(W, "W")
        check_ndim(self.W, 4, "W", "(FN, C/groups, FH, FW)")
        if 0 in self.W.shape:
            raise ValueError(
                f"W has shape {self.W.shape}: a convolution needs at least one filter, channel "
                f"and filter row/column (FN, C/groups, FH, FW all at least 1)"
            )
        check_groups(groups, self.W.shape[1] * positive_int(groups, "groups"), self.W.shape[0])
        if b is not None:
            self.b = _parameter(b, "b", self.W.dtype).reshape(-1)
            if self.b.shape != (self.W.shape[0],):
                raise ValueError(
                    f"b must have one value per filter, shape ({self.W.shape[0]},); "
                    f"got {np.shape(b)}"
                )
        self.stride, self.pad, self.dilation, self.groups = stride, pad, dilation, groups
        self.padding_mode = F.padding.check_padding_mode(padding_mode)
        self.need_input_grad = need_input_grad
        self._cache = None

    spec_type = "Conv2d"
    spec_options = frozenset(
        {"out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
         "padding_mode", "init"}
    )
    spec_required = frozenset({"out_channels", "kernel_size"})
    kind = "conv"
    book_name = "Conv"

    def forward(self, x):
        out, self._cache = F.conv2d_forward(
            x,
            self.W,
            self.b,
            self.stride,
            self.pad,
            self.dilation,
            self.groups,
            self.padding_mode,
            reuse=self._cache,
            keep=self.training,
        )
        return out

    def backward(self, dout):
        if self._cache is None:
            raise RuntimeError("Convolution.backward called before forward")
        dx, dW, db = F.conv2d_backward(dout, self._cache, self.need_input_grad)
        self.dW = dW
        if db is not None:
            self.db = db
        return dx

    def to_spec(self) -> dict:
        FN, _, FH, FW = self.W.shape
        return {
            "type": "Conv2d",
            "out_channels": int(FN),
            "kernel_size": _int_or_list((FH, FW)),
            "stride": _int_or_list(self.stride),
            "padding": self.pad if isinstance(self.pad, str) else _int_or_list(self.pad),
            "dilation": _int_or_list(self.dilation),
            "groups": int(self.groups),
            "bias": self.b is not None,
            "padding_mode": self.padding_mode,
        }

    @classmethod
    def _build(cls, shape, rng, dtype, out_channels, kernel_size, init="he", **options):
        _need_ndim(shape, 3, "Conv2d", "(C, H, W)")
        return Conv2d(
            shape[0], out_channels, kernel_size, **options, init=init, seed=rng, dtype=dtype
        )

    def window(self, input_hw) -> Window2d:
        """Where the filter goes over an (H, W) input (:func:`~.functional.geometry.window2d`)."""
        return window2d(tuple(input_hw), self.W.shape[2:], self.stride, self.pad, self.dilation)

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        channels = self.W.shape[1] * self.groups
        if input_shape[0] != channels:
            raise ValueError(
                f"{type(self).__name__} with filters {self.W.shape} and groups={self.groups} "
                f"takes {channels} input channels; got input {tuple(input_shape)}"
            )
        return (int(self.W.shape[0]), *self.window(input_shape[1:]).out_hw)

    def describe(self) -> str:
        FN, C, FH, FW = self.W.shape
        entry = self.to_spec()
        text = f"{type(self).__name__} {FN}x{C}x{FH}x{FW}"
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            if entry[key] != default:
                text += f" {key}={entry[key]}"
        return text


class Conv2d(Convolution):
    """PyTorch's name and arguments for :class:`Convolution`, with weights initialised by ``init``
    (``"pytorch"``, ``"he"``, ``"xavier"`` or a std such as 0.01; see :mod:`tatamikomi.init`).
    ``weight`` and ``bias`` are the same arrays as ``W`` and ``b``.

    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    ``OH = (H + 2*padding - dilation*(kernel_size-1) - 1) // stride + 1``.
    """

    weight = _Entry("params", "W")
    bias = _Entry("params", "b")

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        *,
        init="pytorch",
        seed=None,
        dtype=DEFAULT_DTYPE,
        need_input_grad=True,
    ):
        in_channels = positive_int(in_channels, "in_channels")
        out_channels = positive_int(out_channels, "out_channels")
        groups = check_groups(groups, in_channels, out_channels)
        kh, kw = positive_pair(kernel_size, "kernel_size")
        fan_in = in_channels // groups * kh * kw
        rng = _generator(seed)
        W = initial_weight((out_channels, in_channels // groups, kh, kw), fan_in, init, rng, dtype)
        b = initial_bias(out_channels, fan_in, init, rng, dtype) if bias else None
        super().__init__(
            W,
            b,
            stride,
            padding,
            dilation=dilation,
            groups=groups,
            padding_mode=padding_mode,
            need_input_grad=need_input_grad,
        )


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
        check_ndim(self.W, 2, "W", "(input size, output size)")
        if 0 in self.W.shape:
            raise ValueError(
                f"W has shape {self.W.shape}: an affine layer needs at least one input and one "
                f"output (in_features and out_features at least 1)"
            )
        if b is not None:
            self.b = _parameter(b, "b", self.W.dtype).reshape(-1)
            if self.b.shape != (self.W.shape[1],):
                raise ValueError(f"b must have shape ({self.W.shape[1]},); got {np.shape(b)}")
        self.x = self._cache = None
        self.original_x_shape = None

    def forward(self, x):
        x = self._input(x)
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != self.W.shape[0]:
            raise ValueError(
                f"Affine with W of shape {self.W.shape} expects input (N, {self.W.shape[0]}) or "
                f"(N, ...) with {self.W.shape[0]} values per example; got shape {x.shape}."
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
            raise ValueError(
                f"{type(self).__name__} with W of shape {self.W.shape} takes {self.W.shape[0]} "
                f"values per example; got input {tuple(input_shape)}"
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


class Pooling(Layer):
    """The lecture's Pooling layer: max (default) or average over pool_h x pool_w windows.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1``. No
    parameters; channels are unchanged; the stride defaults to the window size. Max pooling pads
    with -inf (padding never wins); ``dilation`` applies to max pooling, ``count_include_pad``
    to average pooling.
    """

    _backward_state = ("_cache", "_inference_input")

    def __init__(
        self,
        pool_h,
        pool_w=None,
        stride=None,
        pad=0,
        mode="max",
        *,
        dilation=1,
        ceil_mode=False,
        count_include_pad=True,
    ):
        super().__init__()
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg'; got {mode!r}")
        if mode == "avg" and pair(dilation, "dilation") != (1, 1):
            raise ValueError("average pooling has no dilation; use mode='max' or dilation=1")
        self.pool = pair(pool_h if pool_w is None else (pool_h, pool_w), "pool size")
        self.stride = self.pool if stride is None else pair(stride, "stride")
        self.pad = pair(pad, "pad")
        self.mode, self.dilation, self.ceil_mode = mode, dilation, ceil_mode
        self.count_include_pad = count_include_pad
        self._cache = None
        self._inference_input = None  # max pooling in eval mode: its input, for a backward pass

    kind = "pool"
    book_name = "Pool"
    #: max pooling may run before a ReLU in place of after it (see models.sequential)
    commutes_with_relu = True

    def _max_options(self) -> tuple:
        """Max pooling's arguments after the input: kernel, stride, padding, dilation, ceil."""
        return self.pool, self.stride, self.pad, self.dilation, self.ceil_mode

    def forward(self, x):
        self._inference_input = None
        if self.mode == "max" and not self.training:
            # inference: the maxima alone; the winners only if a backward pass asks for them
            self._cache, self._inference_input = None, x
            return F.max_pool2d(x, *self._max_options())
        if self.mode == "max":
            out, self._cache = F.max_pool2d_forward(x, *self._max_options())
        else:
            out, self._cache = F.avg_pool2d_forward(
                x, self.pool, self.stride, self.pad, self.ceil_mode, self.count_include_pad
            )
        return out

    def backward(self, dout):
        if self._cache is None and self._inference_input is not None:
            _, self._cache = F.max_pool2d_forward(self._inference_input, *self._max_options())
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if self.mode == "max":
            return F.max_pool2d_backward(dout, self._cache)
        return F.avg_pool2d_backward(dout, self._cache)

    def to_spec(self) -> dict:
        entry = {
            "type": "MaxPool2d" if self.mode == "max" else "AvgPool2d",
            "kernel_size": _int_or_list(self.pool),
            "stride": _int_or_list(self.stride),
            "padding": _int_or_list(self.pad),
            "ceil_mode": bool(self.ceil_mode),
        }
        if self.mode == "max":
            entry["dilation"] = _int_or_list(self.dilation)
        else:
            entry["count_include_pad"] = bool(self.count_include_pad)
        return entry

    def window(self, input_hw) -> Window2d:
        """Where the pooling window goes over an (H, W) input."""
        dilation = self.dilation if self.mode == "max" else 1
        return window2d(
            tuple(input_hw), self.pool, self.stride, self.pad, dilation, self.ceil_mode
        )

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        return (int(input_shape[0]), *self.window(input_shape[1:]).out_hw)

    def describe(self) -> str:
        entry = self.to_spec()
        text = f"{type(self).__name__} {entry['kernel_size']}"
        if entry["stride"] != entry["kernel_size"]:
            text += f" stride={entry['stride']}"
        return text + (f" padding={entry['padding']}" if entry["padding"] else "")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pool={self.pool}, stride={self.stride}, pad={self.pad}, "
            f"mode={self.mode!r})"
        )


class MaxPooling(Pooling):
    """Max pooling (the lecture's usual choice): each window's largest value.

    Shape: (N, C, H, W) -> (N, C, OH, OW),
    ``OH = (H + 2*pad - dilation*(pool_h-1) - 1) // stride + 1`` (rounded up with ceil_mode).
    """

    def __init__(self, pool_h, pool_w=None, stride=None, pad=0, *, dilation=1, ceil_mode=False):
        super().__init__(pool_h, pool_w, stride, pad, "max", dilation=dilation, ceil_mode=ceil_mode)


class AveragePooling(Pooling):
    """Average pooling: each window's mean.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*pad - pool_h) // stride + 1`` (rounded
    up with ceil_mode).
    """

    def __init__(
        self, pool_h, pool_w=None, stride=None, pad=0, *, ceil_mode=False, count_include_pad=True
    ):
        super().__init__(
            pool_h,
            pool_w,
            stride,
            pad,
            "avg",
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )


class MaxPool2d(MaxPooling):
    """PyTorch's name and arguments for :class:`MaxPooling`.

    Shape: (N, C, H, W) -> (N, C, OH, OW),
    ``OH = (H + 2*padding - dilation*(kernel_size-1) - 1) // stride + 1``; stride defaults to
    kernel_size.
    """

    spec_type = "MaxPool2d"
    spec_options = frozenset({"kernel_size", "stride", "padding", "ceil_mode", "dilation"})
    spec_required = frozenset({"kernel_size"})

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, None, stride, padding, dilation=dilation, ceil_mode=ceil_mode)


class AvgPool2d(AveragePooling):
    """PyTorch's name and arguments for :class:`AveragePooling`.

    Shape: (N, C, H, W) -> (N, C, OH, OW), ``OH = (H + 2*padding - kernel_size) // stride + 1``;
    stride defaults to kernel_size.
    """

    spec_type = "AvgPool2d"
    spec_options = frozenset({"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"})
    spec_required = frozenset({"kernel_size"})

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
    ):
        super().__init__(
            kernel_size,
            None,
            stride,
            padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )


class GlobalAveragePooling(Layer):
    """Average over all of H and W.

    Shape: (N, C, H, W) -> (N, C, 1, 1).
    """

    spec_type = "GlobalAvgPool2d"
    kind = "global_pool"
    book_name = "Pool"

    def output_shape(self, input_shape):
        _need_ndim(input_shape, 3, type(self).__name__, "(C, H, W)")
        return (int(input_shape[0]), 1, 1)

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = self._input(x)
        out, self._x_shape = F.global_avg_pool2d_forward(x)
        return out

    def backward(self, dout):
        self._require_forward(self._x_shape)
        return F.global_avg_pool2d_backward(dout, self._x_shape)


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
            raise TypeError(f"negative_slope must be a number; got {negative_slope!r}")
        if not np.isfinite(negative_slope):
            raise ValueError(f"negative_slope must be finite; got {negative_slope!r}")
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


class Flatten(Layer):
    """Flattens each example; backward restores the shape.

    Shape: (N, C, H, W) -> (N, C*H*W).
    """

    spec_type = "Flatten"
    kind = "reshape"
    book_name = "Flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = self._input(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten needs a batch (N, ...); got shape {x.shape}")
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        self._require_forward(self._x_shape)
        return np.asarray(dout).reshape(self._x_shape)


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
            raise ValueError(f"dropout_ratio must be in [0, 1); got {dropout_ratio}")
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


class BatchNormalization(Layer):
    """Batch normalisation, per feature on (N, D) and per channel on (N, C, H, W) input.

    Training: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch's mean and
    (biased) variance, which also update ``running_mean``/``running_var`` as
    ``running = momentum * running + (1 - momentum) * batch`` (the book's convention; momentum
    is the share kept). Eval mode uses the running statistics.

    Shape: (N, D) -> (N, D), or (N, C, H, W) -> (N, C, H, W); gamma, beta (D,) or (C,).
    """

    gamma = _Entry("params", "gamma")
    beta = _Entry("params", "beta")
    dgamma = _Entry("grads", "gamma")
    dbeta = _Entry("grads", "beta")
    running_mean = _Entry("buffers", "running_mean")
    running_var = _Entry("buffers", "running_var")

    _backward_state = ("_cache",)
    spec_type = "BatchNormalization"
    spec_options = frozenset({"momentum", "eps", "unbiased_running_var", "affine"})
    kind = "normalization"
    book_name = "BatchNorm"

    def __init__(
        self,
        gamma,
        beta,
        momentum=0.9,
        running_mean=None,
        running_var=None,
        *,
        eps=1e-6,
        unbiased_running_var=False,
        track_running_stats=True,
        affine=True,
    ):
        super().__init__()
        gamma = _parameter(gamma, "gamma").reshape(-1)
        beta = _parameter(beta, "beta", gamma.dtype).reshape(-1)
        if gamma.shape != beta.shape:
            raise ValueError(f"gamma {gamma.shape} and beta {beta.shape} must have the same shape")
        if affine:
            self.gamma, self.beta = gamma, beta
        else:
            self._fixed = (gamma, beta)
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1]; got {momentum}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.unbiased_running_var = unbiased_running_var
        self.track_running_stats = track_running_stats
        features = gamma.shape[0]
        self.running_mean = (
            np.zeros(features, gamma.dtype)
            if running_mean is None
            else _parameter(running_mean, "running_mean", gamma.dtype)
        )
        self.running_var = (
            np.ones(features, gamma.dtype)
            if running_var is None
            else _parameter(running_var, "running_var", gamma.dtype)
        )
        self._cache = None

    def scale_and_shift(self):
        """(gamma, beta) as applied: the trained ones, or the fixed ones when affine=False."""
        return (self.gamma, self.beta) if "gamma" in self.params else self._fixed

    def to_spec(self) -> dict:
        return {
            "type": "BatchNormalization",
            "momentum": self.momentum,
            "eps": self.eps,
            "unbiased_running_var": bool(self.unbiased_running_var),
            "affine": "gamma" in self.params,
        }

    @classmethod
    def _build(cls, shape, rng, dtype, affine=True, **options):
        ones = np.ones(shape[0], dtype)
        return BatchNormalization(ones, np.zeros_like(ones), affine=affine, **options)

    def output_shape(self, input_shape):
        features = self.running_mean.shape[0]
        if len(input_shape) not in (1, 3) or input_shape[0] != features:
            raise ValueError(
                f"{type(self).__name__} normalises {features} channels/features: it takes "
                f"({features},) or ({features}, H, W) per example; got {tuple(input_shape)}"
            )
        return tuple(int(s) for s in input_shape)

    def _axes(self, x):
        features = self.running_mean.shape[0]
        if x.ndim == 2:
            axes, channel_axis = (0,), 1
        elif x.ndim == 4:
            axes, channel_axis = (0, 2, 3), 1
        else:
            raise ValueError(
                f"batch normalisation takes (N, D) or (N, C, H, W); got shape {x.shape}"
            )
        if x.shape[channel_axis] != features:
            raise ValueError(
                f"input has {x.shape[channel_axis]} channels/features (shape "
                f"{x.shape}) but the layer normalises {features}"
            )
        shape = [1] * x.ndim
        shape[channel_axis] = features
        return axes, tuple(shape)

    def forward(self, x):
        x = self._input(x)
        axes, shape = self._axes(x)
        gamma, beta = self.scale_and_shift()
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            non_empty_batch(x, "the input", "batch normalisation with batch statistics")
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = (centred * centred).mean(axis=axes)
            if self.training and self.track_running_stats:
                count = x.size // mean.size
                batch_var = var * count / max(count - 1, 1) if self.unbiased_running_var else var
                keep = self.momentum
                self.running_mean = (keep * self.running_mean + (1 - keep) * mean).astype(
                    self.running_mean.dtype
                )
                self.running_var = (keep * self.running_var + (1 - keep) * batch_var).astype(
                    self.running_var.dtype
                )
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean.reshape(shape)
        std = np.sqrt(var + self.eps).astype(x.dtype)
        normalised = centred / std.reshape(shape)
        self._cache = (normalised, std, axes, shape, use_batch)
        return gamma.reshape(shape) * normalised + beta.reshape(shape)

    def backward(self, dout):
        self._require_forward(self._cache)
        normalised, std, axes, shape, use_batch = self._cache
        dout = np.asarray(dout)
        gamma, _ = self.scale_and_shift()
        if "gamma" in self.params:
            self.dbeta = dout.sum(axis=axes).astype(gamma.dtype, copy=False)
            self.dgamma = (dout * normalised).sum(axis=axes).astype(gamma.dtype, copy=False)
        dnorm = dout * gamma.reshape(shape)
        if use_batch:
            dnorm = (
                dnorm
                - dnorm.mean(axis=axes, keepdims=True)
                - normalised * (dnorm * normalised).mean(axis=axes, keepdims=True)
            )
        return dnorm / std.reshape(shape)


class BatchNorm2d(BatchNormalization):
    """PyTorch's name and arguments: ``momentum`` is the share of the new batch (0.1), the
    running variance is unbiased, eps is 1e-5. ``weight``/``bias`` are ``gamma``/``beta``.

    Shape: (N, num_features, H, W) -> the same (or (N, num_features) -> the same).
    """

    weight = _Entry("params", "gamma")
    bias = _Entry("params", "beta")
    spec_type = "BatchNorm2d"
    spec_aliases = ("BatchNorm1d",)
    spec_options = frozenset({"eps", "momentum", "affine", "track_running_stats"})

    @classmethod
    def _build(cls, shape, rng, dtype, **options):
        if len(shape) not in (1, 3):
            raise ValueError(f"batch normalisation needs (C, H, W) or (D,) input; got {shape}")
        return cls(shape[0], **options, dtype=dtype)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        *,
        dtype=DEFAULT_DTYPE,
    ):
        super().__init__(
            np.ones(num_features, dtype),
            np.zeros(num_features, dtype),
            momentum=1 - momentum,
            eps=eps,
            unbiased_running_var=True,
            track_running_stats=track_running_stats,
            affine=affine,
        )


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


#: what ``from tatamikomi import *`` and ``tatamikomi.<Layer>`` offer: every public layer class
__all__ = [
    "Layer",
    "Convolution",
    "Conv2d",
    "Affine",
    "Linear",
    "Pooling",
    "MaxPooling",
    "AveragePooling",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAveragePooling",
    "Relu",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "BatchNorm2d",
    "SoftmaxWithLoss",
]
