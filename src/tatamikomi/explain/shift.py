"""Pooling and a small shift of its input: some outputs absorb it, some do not (the lecture:
データが多少ぶれてもプーリング処理で吸収できることがある(できない場合もある))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import i18n, lecture
from ._base import Explanation, as_image
from ._format import MODE_NAMES, channel_grids, hw, image_label, nested, pad_text, stride_text
from .pool import PoolExplanation, explain_pool


def shifted(x: np.ndarray, down: int, right: int) -> np.ndarray:
    """(C, H, W) moved ``down`` rows and ``right`` columns (negative: up, left); zeros come in
    at the edge it leaves and what passes the other edge is dropped."""
    out = np.zeros_like(x)
    h, w = x.shape[1:]
    if abs(down) >= h or abs(right) >= w:
        return out
    rows_to = slice(max(down, 0), h + min(down, 0))
    rows_from = slice(max(-down, 0), h + min(-down, 0))
    cols_to = slice(max(right, 0), w + min(right, 0))
    cols_from = slice(max(-right, 0), w + min(-right, 0))
    out[:, rows_to, cols_to] = x[:, rows_from, cols_from]
    return out


@dataclass(frozen=True)
class ShiftExplanation(Explanation):
    """Pooling of an input (``before``) and of the same input shifted by ``shift`` (down,
    right) pixels (``after``), both :class:`PoolExplanation`; ``same[c, i, j]`` says whether
    output (i, j) of channel c absorbed the shift."""

    shift: tuple[int, int]
    before: PoolExplanation
    after: PoolExplanation
    same: np.ndarray

    def _lines(self) -> list[str]:
        e = self.before
        c = len(e.x)
        out = [
            i18n.text("explain.shift_title",
                mode=i18n.text(MODE_NAMES[e.mode]),
                window=hw(e.window.kernel),
                stride=stride_text(e.window.stride),
                pad=pad_text(e.window.pads),
                shift=self._shift_text(),
            ),
            i18n.text("explain.input", image_label(e.x.shape)),
        ]
        out += channel_grids(e.x)
        out.append(i18n.text("explain.shift_input", image_label(e.x.shape)))
        out += channel_grids(self.after.x)
        out.append(i18n.text("explain.positions"))
        for step, moved in zip(e.steps, self.after.steps):
            where = f"({step.position[0]},{step.position[1]})"
            if c > 1:
                where = f"[{step.channel}]{where}"
            verdict = i18n.text(
                "explain.shift_same" if step.value == moved.value else "explain.shift_changed"
            )
            out.append(
                f"  {where}: {step.formula(e.mode)} {i18n.text('explain.arrow')} "
                f"{moved.formula(e.mode)}: {verdict}"
            )
        for ch in range(c):
            out.append(
                i18n.text(
                    "explain.shift_outputs",
                    before=nested(e.output[ch]),
                    after=nested(self.after.output[ch]),
                )
            )
        absorbed, total = int(self.same.sum()), self.same.size
        key = (
            "explain.shift_all"
            if absorbed == total
            else "explain.shift_none"
            if absorbed == 0
            else "explain.shift_some"
        )
        out.append(i18n.text(key, same=absorbed, total=total, changed=total - absorbed))
        return out

    def _shift_text(self) -> str:
        down, right = self.shift
        parts = []
        if right:
            parts.append(
                i18n.text("explain.shift_right" if right > 0 else "explain.shift_left", abs(right))
            )
        if down:
            parts.append(
                i18n.text("explain.shift_down" if down > 0 else "explain.shift_up", abs(down))
            )
        return (
            i18n.text("explain.shift_and").join(parts)
            if parts
            else i18n.text("explain.shift_none_given")
        )


def explain_shift(x=None, shift=(0, 1), size=2, *, stride=None, mode="max") -> ShiftExplanation:
    """Explain how pooling (``mode`` "max" or "avg", window ``size``, ``stride`` as in
    :func:`explain_pool`) takes a shift of its input by ``shift`` = (down, right) pixels, zeros
    coming in at the edge. By default the lecture's 4x4 input moved one pixel right: max pooling
    gives [[4,3],[3,2]] against [[4,4],[3,3]], two windows absorb the shift and two do not."""
    x = as_image(x, "input", lecture.INPUT)
    try:
        down, right = (int(s) for s in shift)
    except (TypeError, ValueError):
        raise i18n.error(ValueError, "errors.shift_shift_down_right", shift=shift) from None
    before = explain_pool(x, size, stride=stride, mode=mode)
    after = explain_pool(shifted(x, down, right), size, stride=stride, mode=mode)
    return ShiftExplanation((down, right), before, after, before.output == after.output)
