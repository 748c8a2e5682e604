"""im2col: which window each row of the column matrix comes from, and why its shape is
(N*OH*OW, C*FH*FW)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .. import i18n, lecture
from .._checks import as_array, non_negative_pair, positive_pair
from ..functional.geometry import Window2d, window2d
from ._base import Explanation
from ._format import number, pad_text, size_lines, stride_text


@dataclass(frozen=True)
class Im2colExplanation(Explanation):
    """im2col of a batch ``x`` (N, C, H, W): ``col`` (N*OH*OW, C*FH*FW) from
    :func:`tatamikomi.im2col`, and ``row_windows[r] = (n, i, j)``, the image and window position
    that row ``r`` came from."""

    x: np.ndarray
    window: Window2d
    col: np.ndarray
    row_windows: list[tuple[int, int, int]] = field(repr=False)
    max_rows: int = 12
    max_cols: int = 12

    def _lines(self) -> list[str]:
        n, c = self.x.shape[:2]
        (fh, fw), (oh, ow) = self.window.kernel, self.window.out_hw
        rows, cols = self.col.shape
        out = [
            i18n.text("explain.im2col_title",
                shape=self.x.shape,
                fh=fh,
                fw=fw,
                stride=stride_text(self.window.stride),
                pad=pad_text(self.window.pads),
            ),
            i18n.text("explain.size", what=i18n.text("explain.the_filter")),
        ]
        out += ["  " + line for line in size_lines(self.window)]
        out += [
            i18n.text("explain.im2col_rows", n=n, oh=oh, ow=ow, rows=rows),
            i18n.text("explain.im2col_cols", c=c, fh=fh, fw=fw, cols=cols),
            i18n.text("explain.im2col_shape", rows=rows, cols=cols),
        ]
        for ch in range(c):
            start = ch * fh * fw
            out.append(
                "  "
                + i18n.text("explain.im2col_columns",
                    start=start, end=start + fh * fw - 1, c=ch, i=fh - 1, j=fw - 1
                )
            )
        out.append(i18n.text("explain.im2col_matrix"))
        shown = self.col[: self.max_rows, : self.max_cols]
        labels = [
            i18n.text("explain.row", n=a, i=b, j=d) for a, b, d in self.row_windows[: len(shown)]
        ]
        label_width = max(len(label) for label in labels)
        cells = [[number(v) for v in row] for row in shown]
        width = max(len(cell) for row in cells for cell in row)
        for r, (label, row) in enumerate(zip(labels, cells)):
            more = " ..." if cols > self.max_cols else ""
            out.append(
                f"  {r:>{len(str(rows - 1))}} {label.ljust(label_width)} | "
                + " ".join(cell.rjust(width) for cell in row)
                + more
            )
        if rows > len(shown):
            out.append(i18n.text("explain.im2col_more", rows - len(shown)))
        if cols > self.max_cols:
            out.append("  " + i18n.text("explain.im2col_more_cols", shown=self.max_cols, cols=cols))
        out.append(i18n.text("explain.im2col_product", rows=rows, cols=cols, n=n, oh=oh, ow=ow))
        out.append(
            i18n.text(
                "explain.im2col_memory",
                rows=rows,
                cols=cols,
                col_size=self.col.size,
                x_terms="*".join(str(s) for s in self.x.shape),
                x_size=self.x.size,
                ratio=self.col.size / self.x.size,
            )
        )
        return out


def explain_im2col(
    x=None, filter_h=None, filter_w=None, *, stride=1, pad=0, max_rows=12, max_cols=12
) -> Im2colExplanation:
    """Explain ``im2col(x, filter_h, filter_w, stride, pad)`` and its shape.

    ``x``: a batch (N, C, H, W), one image (C, H, W) or (H, W), or just a shape (a tuple such as
    ``(10, 3, 7, 7)``, filled with random numbers as in the lecture's example). Default: the
    lecture's (10, 3, 7, 7) batch with a 5x5 filter, which gives (90, 75). ``max_rows`` and
    ``max_cols`` limit how much of the matrix the text shows.
    """
    if x is None:
        x = lecture.IM2COL_BATCH_SHAPE
        if filter_h is None:
            filter_h, filter_w = lecture.IM2COL_FILTER
    if isinstance(x, tuple) and all(isinstance(s, (int, np.integer)) for s in x):
        if len(x) != 4 or min(x) < 1:
            raise i18n.error(ValueError, "errors.batch_shape", shape=x)
        x = np.round(np.random.default_rng(0).random(x), 2)
    x = as_array(x, "input")
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise i18n.error(ValueError, "errors.im2col_im_col_takes", x_shape=x.shape)
    if filter_h is None:
        raise i18n.error(ValueError, "errors.im2col_give_filter_size")
    filter_w = filter_h if filter_w is None else filter_w
    stride = positive_pair(stride, "stride")
    pad = non_negative_pair(pad, "pad")
    window = window2d(x.shape[2:], (filter_h, filter_w), stride, pad)
    col = F.im2col(x, filter_h, filter_w, stride, pad)
    (oh, ow) = window.out_hw
    row_windows = [(n, i, j) for n in range(x.shape[0]) for i in range(oh) for j in range(ow)]
    return Im2colExplanation(x, window, col, row_windows, max_rows, max_cols)
