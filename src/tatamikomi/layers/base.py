"""The base of every layer: :class:`Layer` (``forward``/``backward``, ``params``/``grads``/
``buffers``, train/eval mode, the self-description), the registry :data:`LAYER_TYPES`, and the
helpers the families share (entries of a layer's dicts, parameter arrays, spec values, input
checks). The families (``conv``, ``dense``, ``pooling``...) import this module and nothing of
each other.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import i18n
from .._checks import (
    DEFAULT_DTYPE,
    as_float,
    check_finite,
    is_integer,
    refuse_integer_gradient,
)

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
            ValueError, "errors.layer_input", layer=layer, expected=expected, got=tuple(shape)
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

    def cell_explanation_unsupported(self) -> i18n.Said | None:
        """None when one cell of this layer's output can be explained (the studio's explain: the
        window of the input it reads, and its numbers), else why not. Only layers with windows
        can be; each answers for its own options."""
        return i18n.Said("errors.explain_no_windows", layer=type(self).__name__)

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
