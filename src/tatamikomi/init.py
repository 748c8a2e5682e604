"""Initial weights: the book's choices and PyTorch's default.

``fan_in`` is the number of inputs each output sums over: C/groups * FH * FW for a convolution,
the input size for an Affine layer.

- ``"he"``: normal with std ``sqrt(2 / fan_in)``, for ReLU networks (He et al., 2015).
- ``"xavier"``: normal with std ``sqrt(1 / fan_in)``, as the book defines it for sigmoid/tanh.
- a number, e.g. ``0.01``: normal with that std (the book's ``weight_init_std=0.01``).
- ``"pytorch"``: PyTorch's default, uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` for the
  weights and the bias (kaiming_uniform with a = sqrt(5)).

The book's methods start the bias at zero.

:func:`parameter_limit` bounds how many values may be drawn inside a block: rebuilding a model
from a file's metadata may not allocate more parameters than the file holds.
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers

import numpy as np

from ._checks import DEFAULT_DTYPE
from . import i18n

METHODS = ("he", "xavier", "pytorch")


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _check_method(method):
    if isinstance(method, numbers.Real) and not isinstance(method, bool):
        if method <= 0:
            raise i18n.error(ValueError, "errors.init_weight_std_positive", method=method)
        return float(method)
    if isinstance(method, str) and method.lower() in METHODS:
        return method.lower()
    raise i18n.error(ValueError, "errors.init_init_one_positive", methods=METHODS, method=method)


_limit: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "parameter_limit", default=None
)


class ParameterLimitError(ValueError):
    """More parameters were asked for than :func:`parameter_limit` allows; ``asked`` is how
    many the block would then hold, ``limit`` how many it may."""

    def __init__(self, message, asked=0, limit=0, reason=""):
        super().__init__(message)
        self.asked, self.limit, self.reason = asked, limit, reason


@contextlib.contextmanager
def parameter_limit(values: int, reason: str = ""):
    """Inside the block, new weights and biases together may hold at most ``values`` numbers;
    one more raises :class:`ParameterLimitError` before it is allocated. Blocks nest (an inner
    block counts against the outer one's limit too). Scoped to the calling thread (a context
    variable)."""
    outer = _limit.get() or ()
    token = _limit.set((*outer, [int(values), int(values), reason]))
    try:
        yield
    finally:
        _limit.reset(token)


def _count(shape) -> None:
    limits = _limit.get()
    if not limits:
        return
    size = 1
    for extent in np.atleast_1d(shape):
        size *= int(extent)
    for limit in limits:
        limit[0] -= size
    for remaining, total, reason in limits:
        if remaining < 0:
            key = "errors.init_parameters_reason" if reason else "errors.init_parameters"
            said = i18n.Said(key, reason=reason)
            error = ParameterLimitError(str(said), total - remaining, total, reason)
            error.said = said
            raise error


def initial_weight(shape, fan_in: int, method="he", rng=None, dtype=DEFAULT_DTYPE) -> np.ndarray:
    """A new weight array of ``shape`` drawn as ``method`` says."""
    method, rng = _check_method(method), _rng(rng)
    _count(shape)
    if method == "pytorch":
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(dtype)
    std = {"he": np.sqrt(2 / fan_in), "xavier": np.sqrt(1 / fan_in)}.get(method, method)
    return (std * rng.standard_normal(shape)).astype(dtype)


def initial_bias(size: int, fan_in: int, method="he", rng=None, dtype=DEFAULT_DTYPE) -> np.ndarray:
    """A new bias vector: zeros for the book's methods, uniform for PyTorch's."""
    method, rng = _check_method(method), _rng(rng)
    _count(size)
    if method == "pytorch":
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size).astype(dtype)
    return np.zeros(size, dtype=dtype)
