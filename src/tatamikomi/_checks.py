"""Input validation: the one home for checking what users pass in.

Every message names what was expected, what was received, and how to fix it.
"""

from __future__ import annotations

import numpy as np

from . import i18n

DEFAULT_DTYPE = np.float32


def pair(value, name: str = "value") -> tuple[int, int]:
    """Accept an int or an (h, w) pair of ints and return an (h, w) tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    raise i18n.error(TypeError, "errors.checks_int_pair_ints", name=name, value=value)


def positive_pair(value, name: str) -> tuple[int, int]:
    result = pair(value, name)
    if min(result) < 1:
        raise i18n.error(ValueError, "errors.pair_positive", name=name, value=value)
    return result


def non_negative_pair(value, name: str) -> tuple[int, int]:
    result = pair(value, name)
    if min(result) < 0:
        raise i18n.error(ValueError, "errors.pair_negative", name=name, value=value)
    return result


def positive_int(value, name: str) -> int:
    """``value`` as an int of at least 1 (a count: channels, features, groups)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise i18n.error(TypeError, "errors.checks_whole_number", name=name, value=value)
    if value < 1:
        raise i18n.error(ValueError, "errors.checks_least", name=name, value=value)
    return int(value)


def check_groups(groups, in_channels: int, out_channels: int) -> int:
    """``groups`` of a convolution: at least 1 and dividing both channel counts."""
    groups = positive_int(groups, "groups")
    if in_channels % groups or out_channels % groups:
        raise i18n.error(
            ValueError, "errors.checks_groups_divide_both", groups=groups, in_channels=in_channels,
            out_channels=out_channels,
        )
    return groups


def non_empty_batch(x, name: str, what: str) -> None:
    """Refuse a batch of no examples where ``what`` (e.g. "a loss") has no value for it."""
    if len(x) == 0:
        raise i18n.error(
            ValueError, "errors.checks_holds_examples_shape", name=name,
            shape=tuple(np.shape(x)), what=what,
        )


def as_array(x, name: str) -> np.ndarray:
    """Return x as an ndarray of a real numeric dtype (bool and int allowed), without copying."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise i18n.error(
            TypeError, "errors.checks_hold_real_numbers", name=name, array_dtype=array.dtype,
        )
    return array


def as_float(x, name: str) -> np.ndarray:
    """Return x as a float array: float dtypes are kept, integers and bools become float32.

    Integer input is fine for a forward pass (the lecture's examples are integers); use
    :func:`require_float` where a gradient with respect to x is asked for.
    """
    array = as_array(x, name)
    if array.dtype.kind != "f":
        array = array.astype(DEFAULT_DTYPE)
    return array


def require_float(x, name: str, purpose: str = "gradients") -> np.ndarray:
    array = as_array(x, name)
    if array.dtype.kind != "f":
        raise i18n.error(
            TypeError, "errors.checks_integer_dtype_but", name=name, array_dtype=array.dtype,
            purpose=purpose,
        )
    return array


def is_integer(x) -> bool:
    return np.asarray(x).dtype.kind in "biu"


def refuse_integer_gradient(op: str) -> None:
    raise i18n.error(TypeError, "errors.checks_s_input_had", op=op)


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str, hint: str = "") -> None:
    if x.ndim != ndim:
        problem = i18n.Said(
            "errors.checks_ndim", name=name, ndim=ndim, layout=layout, shape=tuple(x.shape),
            count=x.ndim,
        )
        if hint:
            raise i18n.error(ValueError, "errors.checks_ndim_hint", problem=problem, hint=hint)
        raise i18n.error(ValueError, "errors.checks_ndim", **problem.values)


def image_batch(x, name: str = "input", *, float_only: bool = False) -> np.ndarray:
    """Check that x is a 4-D batch (N, C, H, W) and return it as a float array."""
    array = require_float(x, name) if float_only else as_float(x, name)
    hint = ""
    if array.ndim == 2:
        hint = i18n.Said("errors.checks_hint_one_grey", name=name)
    elif array.ndim == 3:
        hint = i18n.Said("errors.checks_hint_one_image", name=name)
    check_ndim(array, 4, name, "(N, C, H, W)", hint)
    return array


class NonFiniteError(ValueError):
    """An array that must be finite holds NaN or infinity (e.g. the logits of a diverged net)."""


def check_finite(x: np.ndarray, name: str, hint: str) -> None:
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise i18n.error(
            NonFiniteError, "errors.checks_contains_nan_infinite", name=name, bad=bad,
            x_size=x.size, hint=hint,
        )


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The float dtype a computation on these arrays runs in (NumPy promotion, float32 or wider)."""
    return np.result_type(DEFAULT_DTYPE, *[a.dtype for a in arrays if a is not None])
