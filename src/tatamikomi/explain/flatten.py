"""What flattening for an Affine layer does to neighbouring pixels, and what a convolution keeps
(the lecture: the Affine layer throws the shape, the spatial information, away)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import i18n
from ..functional.geometry import window2d
from ._base import Explanation

#: (text name, offset in (channel, row, column)) of the neighbours shown
NEIGHBOURS = (
    ("flat_right", (0, 0, 1)),
    ("flat_below", (0, 1, 0)),
    ("flat_diagonal", (0, 1, 1)),
    ("flat_channel", (1, 0, 0)),
)
#: what each neighbour's line says
_NEIGHBOUR_TEXTS = {
    "flat_right": "explain.flat_right",
    "flat_below": "explain.flat_below",
    "flat_diagonal": "explain.flat_diagonal",
    "flat_channel": "explain.flat_channel",
}


@dataclass(frozen=True)
class FlattenExplanation(Explanation):
    """One input of ``input_shape`` (C, H, W) flattened as :class:`~tatamikomi.layers.Flatten`
    does before an Affine layer.

    ``pixel`` (c, row, column) lands at ``index``; ``neighbours`` holds ``(name, (c, row,
    column), index)`` for its right, lower, diagonal and next-channel neighbours that exist;
    ``conv_shape`` is (OH, OW) of a ``filter_size`` convolution of the same input, which keeps
    the rows and columns."""

    input_shape: tuple[int, int, int]
    pixel: tuple[int, int, int]
    index: int
    neighbours: list[tuple[str, tuple[int, int, int], int]]
    filter_size: int
    conv_shape: tuple[int, int]

    def _lines(self) -> list[str]:
        c, h, w = self.input_shape
        size = c * h * w
        where = self._where
        out = [
            i18n.text(
                "explain.flat_title", shape=self.input_shape, terms=f"{c}*{h}*{w}", size=size
            ),
            i18n.text(
                "explain.flat_pixels",
                axes=i18n.text("explain.flat_axes_c" if c > 1 else "explain.flat_axes"),
                at=where(),
            ),
            "  " + i18n.text("explain.flat_at", at=where(self.pixel), index=self.index),
        ]
        for name, pixel, index in self.neighbours:
            line = i18n.text("explain.flat_at", at=where(pixel), index=index)
            gap = index - self.index
            out.append(f"  {line}: " + i18n.text(_NEIGHBOUR_TEXTS[name], gap=gap, w=w, hw=h * w))
        below = next((p for name, p, _ in self.neighbours if name == "flat_below"), None)
        out.append(
            i18n.text("explain.flat_lost", size=size, a=where(self.pixel), b=where(below))
            if below is not None
            else i18n.text("explain.flat_lost_row", size=size)
        )
        k = self.filter_size
        out.append(
            i18n.text(
                "explain.flat_conv",
                shape=self.input_shape,
                k=k,
                out=f"(FN, {self.conv_shape[0]}, {self.conv_shape[1]})",
            )
        )
        return out

    def _where(self, pixel=None) -> str:
        pixel = self.pixel if pixel is None else pixel
        return str(pixel[1:]) if self.input_shape[0] == 1 else str(pixel)


def explain_flatten(input_shape=(1, 28, 28), pixel=None, *, filter_size=5) -> FlattenExplanation:
    """Explain where ``pixel`` ((row, column), or (channel, row, column)) of one input of shape
    ``input_shape`` (C, H, W; default MNIST's (1, 28, 28)) and its neighbours land when the input
    is flattened for an Affine layer: the pixel below is W places away, the next channel H*W.
    ``pixel`` defaults to the middle of the image. The positions are found by flattening with the
    library's :class:`~tatamikomi.layers.Flatten`."""
    from ..layers import Flatten

    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise i18n.error(ValueError, "errors.input_shape_chw", shape=input_shape)
    c, h, w = shape
    pixel = (h // 2, w // 2) if pixel is None else tuple(int(p) for p in pixel)
    if len(pixel) == 2:
        pixel = (0, *pixel)
    if len(pixel) != 3 or not all(0 <= p < s for p, s in zip(pixel, shape)):
        given = pixel[1:] if len(pixel) == 3 and c == 1 else pixel
        raise i18n.error(ValueError, "errors.pixel_inside", shape=shape, pixel=given)
    flatten = Flatten()

    def flat_index(at) -> int:
        marked = np.zeros((1, *shape), dtype=np.float32)
        marked[(0, *at)] = 1
        return int(np.flatnonzero(flatten.forward(marked)[0])[0])

    neighbours = []
    for name, step in NEIGHBOURS:
        at = tuple(p + d for p, d in zip(pixel, step))
        if all(p < s for p, s in zip(at, shape)):
            neighbours.append((name, at, flat_index(at)))
    k = min(filter_size, h, w)
    window = window2d((h, w), k)
    return FlattenExplanation(shape, pixel, flat_index(pixel), neighbours, k, window.out_hw)
