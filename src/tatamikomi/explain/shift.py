"""Pooling and a small shift of its input: some outputs absorb it, some do not (the lecture:
データが多少ぶれてもプーリング処理で吸収できることがある(できない場合もある))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import i18n, lecture
from ._base import Explanation, as_image
from ._format import channel_grids, hw, image_label, nested, pad_text, stride_text
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

    def lines(self, lang: str = "en") -> list[str]:
        m = i18n.table("explain", lang)
        e = self.before
        c = len(e.x)
        out = [
            m["shift_title"].format(
                mode=m[e.mode],
                window=hw(e.window.kernel),
                stride=stride_text(e.window.stride),
                pad=pad_text(e.window.pads, m),
                shift=self._shift_text(m),
            ),
            m["input"].format(image_label(e.x.shape, m)),
        ]
        out += channel_grids(e.x, m)
        out.append(m["shift_input"].format(image_label(e.x.shape, m)))
        out += channel_grids(self.after.x, m)
        out.append(m["positions"])
        for step, moved in zip(e.steps, self.after.steps):
            where = f"({step.position[0]},{step.position[1]})"
            if c > 1:
                where = f"[{step.channel}]{where}"
            verdict = m["shift_same" if step.value == moved.value else "shift_changed"]
            out.append(
                f"  {where}: {step.formula(e.mode)} {m['arrow']} {moved.formula(e.mode)}: {verdict}"
            )
        for ch in range(c):
            out.append(
                m["shift_outputs"].format(
                    before=nested(e.output[ch]), after=nested(self.after.output[ch])
                )
            )
        absorbed, total = int(self.same.sum()), self.same.size
        key = "shift_all" if absorbed == total else "shift_none" if absorbed == 0 else "shift_some"
        out.append(m[key].format(same=absorbed, total=total, changed=total - absorbed))
        return out

    def _shift_text(self, m) -> str:
        down, right = self.shift
        parts = []
        if right:
            parts.append(m["shift_right" if right > 0 else "shift_left"].format(abs(right)))
        if down:
            parts.append(m["shift_down" if down > 0 else "shift_up"].format(abs(down)))
        return m["shift_and"].join(parts) if parts else m["shift_none_given"]


def explain_shift(x=None, shift=(0, 1), size=2, *, stride=None, mode="max") -> ShiftExplanation:
    """Explain how pooling (``mode`` "max" or "avg", window ``size``, ``stride`` as in
    :func:`explain_pool`) takes a shift of its input by ``shift`` = (down, right) pixels, zeros
    coming in at the edge. By default the lecture's 4x4 input moved one pixel right: max pooling
    gives [[4,3],[3,2]] against [[4,4],[3,3]], two windows absorb the shift and two do not."""
    x = as_image(x, "input", lecture.INPUT)
    try:
        down, right = (int(s) for s in shift)
    except (TypeError, ValueError):
        raise ValueError(f"shift is (down, right) in pixels, e.g. (0, 1); got {shift!r}") from None
    before = explain_pool(x, size, stride=stride, mode=mode)
    after = explain_pool(shifted(x, down, right), size, stride=stride, mode=mode)
    return ShiftExplanation((down, right), before, after, before.output == after.output)
