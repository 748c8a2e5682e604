"""Numbers, grids and the output-size formula as the slides write them (shared by the
explanations and the pictures)."""

from __future__ import annotations

import numpy as np

from .. import i18n
from ..functional.geometry import Window2d

#: the pooling modes as the explanations name them
MODE_NAMES = {"max": "explain.max", "avg": "explain.avg"}


def is_whole(values) -> bool:
    values = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def number(value) -> str:
    """One value: an int when it is whole, else 4 significant digits; ``-inf`` for padding."""
    value = float(value)
    if np.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == round(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def factor(value) -> str:
    """A factor in a product: negative numbers in parentheses, as on the slides: ``2x(-1)``."""
    text = number(value)
    return f"({text})" if text.startswith("-") else text


def grid(array, indent: str = "    ") -> str:
    """A 2-D array as right-aligned columns."""
    array = np.atleast_2d(np.asarray(array))
    cells = [[number(v) for v in row] for row in array]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(indent + " ".join(c.rjust(width) for c in row) for row in cells)


def nested(array) -> str:
    """A 2-D array as a compact nested list: ``[[12,14],[14,10]]``."""
    return "[" + ",".join("[" + ",".join(number(v) for v in row) + "]" for row in array) + "]"


def sum_of_products(window, kernel) -> str:
    """``input x filter`` for each element of a window, added up:
    ``1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1)``."""
    return "+".join(f"{factor(a)}x{factor(b)}" for a, b in zip(np.ravel(window), np.ravel(kernel)))


def channel_grids(array) -> list[str]:
    """(C, H, W) as grids, each under its channel's label when there are several."""
    if len(array) == 1:
        return [grid(array[0])]
    out = []
    for c, channel in enumerate(array):
        out += [i18n.text("explain.channel", c), grid(channel, "      ")]
    return out


# ---------------------------------------------------------------------------------------------
# Labels


def hw(shape) -> str:
    return "x".join(str(s) for s in shape)


def image_label(shape) -> str:
    """(1, 4, 4) -> "4x4"; (3, 7, 7) -> "3 channels of 7x7"."""
    return (
        hw(shape[1:]) if shape[0] == 1 else i18n.text("explain.image", c=shape[0], hw=hw(shape[1:]))
    )


def pad_text(pads) -> str:
    top, bottom, left, right = pads
    if top == bottom == left == right:
        return str(top)
    return i18n.text("explain.pads", top=top, bottom=bottom, left=left, right=right)


def stride_text(stride) -> str:
    return str(stride[0]) if stride[0] == stride[1] else f"{stride[0]}x{stride[1]}"


def steps_text(stride) -> str:
    s = stride[0] if stride[0] == stride[1] else f"({stride[0]}, {stride[1]})"
    return i18n.text("explain.steps", count=s)


# ---------------------------------------------------------------------------------------------
# The output-size formula (the value shown is always the one geometry computed)


def size_formula(
    size: int,
    kernel: int,
    stride: int,
    pads: tuple[int, int],
    dilation: int,
    out: int,
    axis: str,
    lang: str | None = None,
) -> str:
    """The lecture's formula with the numbers filled in, e.g.
    ``OH = (H + 2P - FH) / S + 1 = (4 + 2*1 - 3) / 1 + 1 = 4`` (with a stride above 1,
    ``OH = ⌊(H + 2P - FH) / S⌋ + 1``); ``out`` is the size computed by
    :func:`~tatamikomi.functional.geometry.conv_output_size`. A division that is not exact is
    shown rounded down, ``⌊(4 + 2*0 - 3) / 2⌋ + 1 = 0 + 1 = 1  (1/2 rounded down)`` (or up, with
    ``ceil_mode``)."""
    big, small = ("H", "FH") if axis == "h" else ("W", "FW")
    before, after = pads
    if before == after:
        pad_symbol, pad_value = "2P", f"2*{before}"
    else:
        pad_symbol, pad_value = "P1 + P2", f"{before} + {after}"
    if dilation == 1:
        span_symbol, span_value = small, str(kernel)
    else:
        span_symbol, span_value = f"(D*({small}-1) + 1)", f"({dilation}*({kernel}-1) + 1)"
    numbers = f"({size} + {pad_value} - {span_value}) / {stride}"
    numerator = size + before + after - (dilation * (kernel - 1) + 1)
    quotient = out - 1  # the division as geometry rounded it (down, or up with ceil_mode)
    left, right, key = ("⌊", "⌋", "explain.rounded_down")
    if quotient * stride > numerator:
        left, right, key = ("⌈", "⌉", "explain.rounded_up")
    # with a stride above 1 the division may not be exact: the formula says how it rounds
    rounding = (left, right) if stride > 1 else ("", "")
    formula = (
        f"O{big} = {rounding[0]}({big} + {pad_symbol} - {span_symbol}) / S{rounding[1]} + 1 = "
    )
    if quotient * stride == numerator:
        return f"{formula}{numbers} + 1 = {out}"
    note = i18n.text(key, numerator=numerator, stride=stride, lang=lang)
    return f"{formula}{left}{numbers}{right} + 1 = {quotient} + 1 = {out}{note}"


def size_lines(window: Window2d, lang: str | None = None) -> list[str]:
    """The formula for OH and OW of one window geometry, in ``lang`` (default: the language in
    effect)."""
    top, bottom, left, right = window.pads
    return [
        size_formula(
            window.input_hw[axis],
            window.kernel[axis],
            window.stride[axis],
            pads,
            window.dilation[axis],
            window.out_hw[axis],
            name,
            lang,
        )
        for axis, pads, name in ((0, (top, bottom), "h"), (1, (left, right), "w"))
    ]
