"""The lecture's playground: the slides' worked examples (convolution, pooling, im2col) on
numbers edited by hand, each step from :mod:`tatamikomi.explain`."""

from __future__ import annotations

import math

import numpy as np

from .. import explain as ex
from .. import i18n
from .errors import RequestError, refused, shown

#: the playground's largest input, filter and pooling window (the grid is edited by hand)
MAX_PLAYGROUND = 12


def window_origin(window, position) -> list[int]:
    """Where the window of output cell (i, j) starts on the unpadded input (may be negative)."""
    (sh, sw), (top, _, left, _) = window.stride, window.pads
    return [position[0] * sh - top, position[1] * sw - left]


def _small_grid(value, name, default) -> np.ndarray:
    array = default if value is None else value
    try:
        array = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise refused("errors.studio_grid_numbers", name=name) from None
    if array.ndim != 2 or array.size == 0:
        raise refused("errors.studio_grid_shape", name=name, shape=array.shape)
    if max(array.shape) > MAX_PLAYGROUND:
        raise refused(
            "errors.studio_grid_large", name=name, limit=MAX_PLAYGROUND, shape=array.shape
        )
    if not np.isfinite(array).all():
        raise refused("errors.studio_grid_finite", name=name)
    return array


def _small_int(value, name, default, low, high) -> int:
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refused("errors.studio_whole", name=name, low=low, high=high, value=repr(value))
    return value


def _steps(explanation, window) -> list[dict]:
    return [
        {
            "position": list(s.position),
            "origin": window_origin(window, s.position),
            "value": s.value,
        }
        for s in explanation.steps
    ]


def playground(
    input=None,
    filter=None,
    *,
    stride=None,
    pad=None,
    bias=None,
    pool=None,
    pool_stride=None,
    pool_pad=None,
    mode="max",
    pool_on="input",
) -> dict:
    """The lecture's worked examples on editable numbers: the convolution of ``input`` with
    ``filter`` (default: the slides' 4x4 input and 3x3 filter), its pooling and its im2col, each
    step from :mod:`tatamikomi.explain` with the text of the slides in the language in effect
    (:func:`tatamikomi.i18n.use`). ``pool_on`` says what is pooled: ``"input"`` (the slides'
    example) or ``"conv"`` (the convolution's output, as a network's pooling layer would; where
    the window does not fit it, ``pool`` says why in ``"error"`` and the rest is answered)."""
    from .. import lecture

    x = _small_grid(input, "input", lecture.INPUT)
    w = _small_grid(filter, "filter", lecture.FILTER)
    named = i18n.Said
    stride = _small_int(stride, named("errors.studio_name_stride"), 1, 1, MAX_PLAYGROUND)
    pad = _small_int(pad, named("errors.studio_name_padding"), 0, 0, MAX_PLAYGROUND // 2)
    pool = _small_int(pool, named("errors.studio_name_pool"), 2, 1, MAX_PLAYGROUND)
    pool_stride = _small_int(
        pool_stride, named("errors.studio_name_pool_stride"), pool, 1, MAX_PLAYGROUND
    )
    pool_pad = _small_int(pool_pad, named("errors.studio_name_pool_padding"), 0, 0, pool // 2)
    if mode not in ("max", "avg"):
        raise refused("errors.studio_pool_mode", value=repr(mode))
    if pool_on not in ("input", "conv"):
        raise refused("errors.studio_pool_on", value=shown(pool_on))
    bias = 0 if bias is None else bias
    if isinstance(bias, (bool, np.bool_)) or not isinstance(bias, (int, float, np.number)):
        raise refused("errors.studio_bias", value=shown(bias))
    try:
        bias = float(bias)
    except OverflowError:  # an int beyond any float
        raise refused("errors.studio_bias", value=shown(bias)) from None
    if not math.isfinite(bias):
        raise refused("errors.studio_bias", value=shown(bias))
    try:
        conv = ex.explain_conv(x, w, stride=stride, pad=pad, bias=bias)
        col = ex.explain_im2col(
            x, w.shape[0], w.shape[1], stride=stride, pad=pad, max_rows=64, max_cols=64
        )
    except ValueError as error:  # e.g. a filter larger than the padded input
        raise i18n.recast(RequestError, error) from None
    answer = _answer(x, w, conv, col, pad, stride, bias)
    pooled_map = x if pool_on == "input" else conv.output[0]
    try:
        pooled = ex.explain_pool(pooled_map, pool, stride=pool_stride, pad=pool_pad, mode=mode)
    except ValueError as error:
        if pool_on == "input":
            raise i18n.recast(RequestError, error) from None
        # a convolution output smaller than the pooling window: the convolution is still shown
        answer["pool"] = {"input": pooled_map, "on": pool_on, "error": i18n.say(error)}
        return answer
    pool_steps = _steps(pooled, pooled.window)
    for entry, step in zip(pool_steps, pooled.steps):
        entry["formula"] = step.formula(mode)
    answer["pool"] = {
        "input": pooled_map,
        "on": pool_on,
        "output": pooled.output[0],
        "mode": mode,
        "size": ex.size_lines(pooled.window, lang=i18n.current()),
        "window": pool,
        "stride": pool_stride,
        "pad": pool_pad,
        "steps": pool_steps,
        "text": pooled.text(),
    }
    return answer


def _answer(x, w, conv, col, pad, stride, bias) -> dict:
    """The playground's answer but its pooling: the convolution and im2col."""
    conv_steps = _steps(conv, conv.window)
    for entry, step in zip(conv_steps, conv.steps):
        entry["products"] = step.products()
        entry["window"] = step.window[0]
    return {
        "input": x,
        "filter": w,
        "conv": {
            "padded": conv.padded[0],
            "output": conv.output[0],
            "pad": pad,
            "stride": stride,
            "bias": bias,
            "size": ex.size_lines(conv.window, lang=i18n.current()),
            "steps": conv_steps,
            "text": conv.text(),
        },
        "im2col": {
            "col": col.col,
            "rows": [list(r) for r in col.row_windows],
            "text": col.text(),
        },
    }
