"""Max or average pooling of one image, window by window."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .. import i18n, lecture
from .._checks import non_negative_pair, positive_pair
from ..functional.geometry import Window2d, window2d
from ._base import Explanation, as_image
from ._format import (
    MODE_NAMES,
    channel_grids,
    factor,
    grid,
    hw,
    image_label,
    nested,
    number,
    pad_text,
)
from ._format import size_lines, steps_text, stride_text


@dataclass(frozen=True)
class PoolStep:
    """One pooling window: ``value = max(window)`` or ``mean(window)``; window is (PH, PW)."""

    channel: int
    position: tuple[int, int]
    window: np.ndarray
    value: float

    def formula(self, mode: str) -> str:
        values = [number(v) for v in np.ravel(self.window)]
        if mode == "max":
            return f"max({', '.join(values)}) = {number(self.value)}"
        terms = "+".join(factor(v) for v in np.ravel(self.window))
        return f"({terms})/{self.window.size} = {number(self.value)}"


@dataclass(frozen=True)
class PoolExplanation(Explanation):
    """Pooling of one image: ``x`` (C, H, W), ``padded``, ``output`` (C, OH, OW) and one
    :class:`PoolStep` per output element."""

    mode: str
    x: np.ndarray
    window: Window2d
    padded: np.ndarray
    output: np.ndarray
    steps: list[PoolStep] = field(repr=False)

    def _lines(self) -> list[str]:
        c = len(self.x)
        (ph, pw), pads = self.window.kernel, self.window.pads
        out = [
            i18n.text(
                "explain.pool_title",
                mode=i18n.text(MODE_NAMES[self.mode]),
                window=hw((ph, pw)),
                stride=stride_text(self.window.stride),
                pad=pad_text(pads),
                input=image_label(self.x.shape),
            ),
            i18n.text("explain.input", image_label(self.x.shape)),
        ]
        out += channel_grids(self.x)
        if any(pads):
            key = "explain.pool_padded_max" if self.mode == "max" else "explain.pool_padded_avg"
            out.append(i18n.text(key, pad=pad_text(pads), shape=hw(self.padded.shape[1:])))
            out += channel_grids(self.padded)
        out.append(i18n.text("explain.size", what=i18n.text("explain.the_window")))
        out += ["  " + line for line in size_lines(self.window)]
        out.append(
            i18n.text(
                "explain.pool_slide",
                ph=ph,
                pw=pw,
                step=steps_text(self.window.stride),
                what=i18n.text("explain.the_max")
                if self.mode == "max"
                else i18n.text("explain.the_mean"),
            )
        )
        out.append(i18n.text("explain.positions"))
        for step in self.steps:
            where = f"({step.position[0]},{step.position[1]})"
            if c > 1:
                where = f"[{step.channel}]{where}"
            out.append(f"  {where}: {step.formula(self.mode)}")
        shape = hw(self.window.out_hw)
        for ch in range(c):
            key = "explain.output" if c == 1 else "explain.output_c"
            out += [i18n.text(key, k=ch, shape=shape, nested=nested(self.output[ch]))]
            out.append(grid(self.output[ch]))
        out.append(i18n.text("explain.pool_note", c=c))
        return out


def explain_pool(x=None, size=2, *, stride=None, pad=0, mode="max") -> PoolExplanation:
    """Explain max (``mode="max"``) or average (``"avg"``) pooling of one image, window by window.

    ``x``: (H, W) or (C, H, W), by default the lecture's 4x4 input; ``size``: the window, an int
    or (PH, PW); ``stride`` defaults to the window (the usual choice). Max pooling pads with
    -inf, average pooling with zeros that count in the mean (as PyTorch's defaults do). The
    rules on padding are the library's own (:func:`tatamikomi.functional.max_pool2d` checks
    them).
    """
    if mode not in ("max", "avg"):
        raise i18n.error(ValueError, "errors.pool_mode_max_avg", mode=mode)
    x = as_image(x, "input", lecture.INPUT)
    size = positive_pair(size, "size")
    stride = size if stride is None else positive_pair(stride, "stride")
    pad = non_negative_pair(pad, "pad")
    if mode == "max":
        output = F.max_pool2d(x[None], size, stride, pad)[0]
    else:
        output = F.avg_pool2d(x[None], size, stride, pad)[0]
    window = window2d(x.shape[1:], size, stride, pad)
    padded = F.pad2d(x[None], window.pads, value=-np.inf if mode == "max" else 0.0)[0]
    steps = []
    (sh, sw), (ph, pw) = window.stride, window.kernel
    for ch in range(len(x)):
        for i in range(window.out_hw[0]):
            for j in range(window.out_hw[1]):
                patch = padded[ch, i * sh : i * sh + ph, j * sw : j * sw + pw]
                steps.append(PoolStep(ch, (i, j), patch, float(output[ch, i, j])))
    return PoolExplanation(mode, x, window, padded, output, steps)
