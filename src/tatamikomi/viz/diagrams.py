"""Diagrams of the lecture's operations: im2col, pooling's windows, and the filter window sliding
over a padded input (one figure per step, or an animated GIF)."""

from __future__ import annotations

import io

import numpy as np

from .. import i18n
from ..explain import (
    explain_conv,
    explain_flatten,
    explain_im2col,
    MODE_NAMES,
    explain_pool,
    number,
    sum_of_products,
)
from . import _backend
from ._backend import needs_cjk_font, new_figure, style

#: one colour per window (cycled when there are more windows)
COLOURS = ("#e4572e", "#17bebb", "#ffc914", "#76b041", "#7768ae", "#f28ab2", "#2e86ab", "#a23b72")


def _cells(ax, values, x0=0.0, y0=0.0, fills=None, fontsize=10, padding_mask=None):
    """Draw a 2-D array as a table of numbered cells (NaN: left empty); cell (r, c) spans
    [x0+c, x0+c+1] x [y0-r-1, y0-r]."""
    from matplotlib.patches import Rectangle

    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            fill = "white"
            if padding_mask is not None and padding_mask[r, c]:
                fill = "#e6e6e6"
            if fills is not None and fills[r][c] is not None:
                fill = fills[r][c]
            ax.add_patch(
                Rectangle((x0 + c, y0 - r - 1), 1, 1, facecolor=fill, edgecolor="#555555", lw=0.8)
            )
            if not np.isnan(values[r, c]):  # NaN: an empty cell
                ax.text(
                    x0 + c + 0.5,
                    y0 - r - 0.5,
                    number(values[r, c]),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                )


def _outline(ax, x0, y0, r, c, h, w, colour, inset=0.0, lw=2.5):
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (x0 + c + inset, y0 - r - h + inset),
            w - 2 * inset,
            h - 2 * inset,
            fill=False,
            edgecolor=colour,
            lw=lw,
        )
    )


def _finish(ax, width, height):
    ax.set_xlim(-0.5, width + 0.5)
    ax.set_ylim(-height - 0.5, 1.2)
    ax.set_aspect("equal")
    ax.set_axis_off()


def im2col_figure(x=None, filter_size=3, *, stride=1, pad=0, lang=None):
    """A diagram of im2col for a small input: the (padded) input with each window outlined in
    its own colour, and the column matrix with each row filled in the colour of its window.

    ``x``: (H, W) or (C, H, W) (default: the lecture's 4x4 input); ``filter_size``: int or pair.
    Keep it small (up to about 16 windows and 30 columns) so that the numbers stay readable."""
    from .. import lecture

    image = np.asarray(lecture.INPUT if x is None else x)
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3:
        raise i18n.error(ValueError, "errors.diagrams_diagram_takes_one", image_shape=image.shape)
    fh, fw = (filter_size, filter_size) if np.isscalar(filter_size) else filter_size
    e = explain_im2col(image[None], fh, fw, stride=stride, pad=pad)
    if len(e.col) > 36 or e.col.shape[1] > 48:
        raise i18n.error(ValueError, "errors.diagrams_im_col_this", e_col_shape=e.col.shape)
    c = image.shape[0]
    top, bottom, left, right = e.window.pads
    padded = np.pad(image, ((0, 0), (top, bottom), (left, right)))
    mask = np.ones(padded.shape[1:], bool)
    mask[top : top + image.shape[1], left : left + image.shape[2]] = False
    hp, wp = padded.shape[1:]
    sh, sw = e.window.stride
    rows, cols = e.col.shape
    with style(lang):
        fig = new_figure(figsize=(0.55 * (c * (wp + 1) + cols + 3), 0.55 * max(hp, rows) + 1.6))
        fig.suptitle(
            i18n.text("diagrams.im2col", shape=tuple(e.x.shape), fh=fh, fw=fw, col=e.col.shape)
        )
        grid = fig.add_gridspec(1, 2, width_ratios=[c * (wp + 1), cols + 3])
        ax = fig.add_subplot(grid[0, 0])
        for ch in range(c):
            x0 = ch * (wp + 1)
            _cells(ax, padded[ch], x0=x0, padding_mask=mask)
            if c > 1:
                ax.text(
                    x0 + wp / 2, 0.5, i18n.text("diagrams.channel", ch), ha="center", fontsize=9
                )
            for k, (_, i, j) in enumerate(e.row_windows):
                inset = 0.06 * (k % 4)
                _outline(ax, x0, 0, i * sh, j * sw, fh, fw, COLOURS[k % len(COLOURS)], inset)
        ax.set_title(
            i18n.text("diagrams.input") if any(e.window.pads) else i18n.text("diagrams.input_plain")
        )
        _finish(ax, c * (wp + 1) - 1, hp)
        ax = fig.add_subplot(grid[0, 1])
        fills = [[COLOURS[r % len(COLOURS)] + "55"] * cols for r in range(rows)]
        _cells(ax, e.col, x0=3, fills=fills, fontsize=9)
        for r, (n, i, j) in enumerate(e.row_windows):
            ax.text(
                2.8,
                -r - 0.5,
                f"({i},{j})",
                ha="right",
                va="center",
                fontsize=9,
                color=COLOURS[r % len(COLOURS)],
            )
        for ch in range(1, c):  # channel boundaries in the columns
            x = 3 + ch * fh * fw
            ax.plot([x, x], [0.15, -rows - 0.15], color="black", lw=2)
        ax.set_title(i18n.text("diagrams.col"))
        _finish(ax, cols + 3, rows)
    return fig


def pool_winners(e) -> list[tuple[int, int]]:
    """Max pooling explanation ``e`` (one channel): for each window, row by row, the (row,
    column) in the padded input of the value that wins (the first maximum, as the library's
    backward pass picks it)."""
    (sh, sw), (_, pw) = e.window.stride, e.window.kernel
    winners = []
    for step in e.steps:
        r, c = divmod(int(np.argmax(step.window)), pw)
        winners.append((step.position[0] * sh + r, step.position[1] * sw + c))
    return winners


def pool_figure(x=None, size=2, *, stride=None, pad=0, mode="max", lang=None):
    """Pooling of one image (default: the lecture's 4x4 input, 2x2 windows, stride 2): the
    input feature map with each window outlined in its own colour (for max pooling, the value
    that wins filled in), and the output feature map, each value in the colour of its window."""
    e = explain_pool(x, size, stride=stride, pad=pad, mode=mode)
    if len(e.x) != 1:
        raise i18n.error(ValueError, "errors.diagrams_diagram_draws_one", len_e_x=len(e.x))
    padded, output = e.padded[0], e.output[0]
    top, bottom, left, right = e.window.pads
    mask = np.ones(padded.shape, bool)
    mask[top : top + e.x.shape[1], left : left + e.x.shape[2]] = False
    (sh, sw), (ph, pw) = e.window.stride, e.window.kernel
    (hp, wp), (oh, ow) = padded.shape, output.shape
    colours = [COLOURS[k % len(COLOURS)] for k in range(len(e.steps))]
    fills = [[None] * wp for _ in range(hp)]
    if mode == "max":
        for (r, c), colour in zip(pool_winners(e), colours):
            fills[r][c] = colour + "88"
    with style(lang):
        fig = new_figure(figsize=(0.6 * (wp + ow + 3), 0.6 * max(hp, oh) + 1.4))
        fig.suptitle(
            i18n.text(
                "diagrams.pool",
                mode=i18n.text(MODE_NAMES[mode]),
                ph=ph,
                pw=pw,
                stride=e.window.stride[0],
            )
        )
        grid = fig.add_gridspec(1, 2, width_ratios=[wp + 1, ow + 1])
        ax = fig.add_subplot(grid[0, 0])
        _cells(ax, np.where(np.isinf(padded), np.nan, padded), fills=fills, padding_mask=mask)
        for step, colour in zip(e.steps, colours):
            i, j = step.position
            inset = 0.06 * ((i + j) % 2)
            _outline(ax, 0, 0, i * sh, j * sw, ph, pw, colour, inset)
        ax.set_title(
            i18n.text("diagrams.input") if any(e.window.pads) else i18n.text("diagrams.input_plain")
        )
        _finish(ax, wp, hp)
        ax = fig.add_subplot(grid[0, 1])
        out_fills = [[colours[i * ow + j] + "88" for j in range(ow)] for i in range(oh)]
        _cells(ax, output, fills=out_fills)
        ax.set_title(i18n.text("diagrams.output"))
        _finish(ax, ow, max(hp, oh))
    return fig


def flatten_figure(x=None, pixel=(1, 1), *, lang=None):
    """Flattening for an Affine layer: a small image (default: the lecture's 4x4 input) with
    each row in its own colour, and the same values in one row, as the Affine layer gets them.
    ``pixel`` and the pixel below it are outlined in both: W places apart once flattened."""
    from .. import lecture

    image = np.asarray(lecture.INPUT if x is None else x, dtype=np.float64)
    if image.ndim != 2:
        raise i18n.error(ValueError, "errors.diagrams_diagram_draws_one2", image_shape=image.shape)
    h, w = image.shape
    if h * w > 64:
        raise i18n.error(ValueError, "errors.diagrams_x_image_too", h=h, w=w)
    e = explain_flatten((1, h, w), pixel)
    colours = [COLOURS[r % len(COLOURS)] + "66" for r in range(h)]
    marked = [e.pixel] + [at for name, at, _ in e.neighbours if name == "flat_below"]
    with style(lang):
        fig = new_figure(figsize=(0.5 * (w + h * w + 4), 0.5 * h + 1.8))
        fig.suptitle(i18n.text("diagrams.flatten", h=h, w=w, size=h * w))
        grid = fig.add_gridspec(1, 2, width_ratios=[w + 1, h * w + 1])
        ax = fig.add_subplot(grid[0, 0])
        _cells(ax, image, fills=[[colours[r]] * w for r in range(h)])
        for _, r, c in marked:
            _outline(ax, 0, 0, r, c, 1, 1, "black", lw=2.5)
        ax.set_title(i18n.text("diagrams.input_plain"))
        _finish(ax, w, h)
        ax = fig.add_subplot(grid[0, 1])
        flat = image.reshape(1, -1)
        _cells(ax, flat, fills=[[colours[k // w] for k in range(h * w)]], fontsize=8)
        indices = [e.index] + [i for name, _, i in e.neighbours if name == "flat_below"]
        for index in indices:
            _outline(ax, 0, 0, 0, index, 1, 1, "black", lw=2.5)
            ax.text(index + 0.5, -1.5, str(index), ha="center", va="top", fontsize=8)
        ax.set_title(i18n.text("diagrams.flat", size=h * w))
        _finish(ax, h * w, max(h, 2))
    return fig


def _stack(ax, x0, h, w, colours, depth=0.6) -> float:
    """One h x w sheet per colour, one behind the other (the first in front), the front one's
    bottom-left corner at (x0, 0); returns the right edge."""
    from matplotlib.patches import Rectangle

    for k in reversed(range(len(colours))):
        corner = (x0 + k * depth, k * depth)
        ax.add_patch(Rectangle(corner, w, h, facecolor=colours[k], edgecolor="#333333", lw=1))
    return x0 + w + (len(colours) - 1) * depth


def channels_figure(input_shape=(3, 7, 7), filters=2, filter_size=3, *, stride=1, pad=0, lang=None):
    """Channels as blocks: an input (C, H, W) convolved with FN filters (FN, C, FH, FW) gives
    (FN, OH, OW). Each filter has one FH x FW slice per input channel; each filter makes one
    output channel, drawn in its colour. The output size comes from the library's geometry."""
    from ..functional.geometry import window2d

    c, h, w = (int(v) for v in input_shape)
    fh, fw = (filter_size, filter_size) if np.isscalar(filter_size) else filter_size
    oh, ow = window2d((h, w), (fh, fw), stride, pad).out_hw
    colours = [COLOURS[k % len(COLOURS)] for k in range(filters)]

    def label(x_from, x_to, text):
        ax.text((x_from + x_to) / 2, -1.2, text, ha="center", va="top")

    def operator(x, symbol):
        ax.text(x + 1.5, h / 2, symbol, ha="center", va="center", fontsize=20)
        return x + 3

    with style(lang):
        fig = new_figure(figsize=(11, 4.2))
        fig.suptitle(i18n.text("diagrams.channels", c=c, fn=filters))
        ax = fig.add_subplot()
        x = _stack(ax, 0, h, w, ["#9ecae1"] * c)
        label(0, x, i18n.text("diagrams.channels_input", shape=(c, h, w)))
        start = x = operator(x, "⊛")
        for k in range(filters):
            x = _stack(ax, x + (3 if k else 0), fh, fw, [colours[k]] * c)
        label(start, x, i18n.text("diagrams.channels_filter", shape=(filters, c, fh, fw)))
        start = operator(x, "→")
        x = _stack(ax, start, oh, ow, colours)
        label(start, x, i18n.text("diagrams.channels_output", shape=(filters, oh, ow)))
        ax.set_xlim(-1, x + 1)
        ax.set_ylim(-3.5, max(h, oh) + max(c, filters) * 0.6 + 1)
        ax.set_aspect("equal")
        ax.set_axis_off()
    return fig


def _conv_frame(e, k: int):
    """Figure for step ``k`` of the convolution explanation ``e`` (one channel, one filter)."""
    step = e.steps[k]
    padded, kernel = e.padded[0], e.filters[0, 0]
    top, bottom, left, right = e.window.pads
    mask = np.ones(padded.shape, bool)
    mask[top : top + e.x.shape[1], left : left + e.x.shape[2]] = False
    (sh, sw), (fh, fw) = e.window.stride, e.window.kernel
    i, j = step.position
    oh, ow = e.window.out_hw
    hp, wp = padded.shape
    fig = new_figure(
        figsize=(0.6 * (wp + fw + ow + 6), 0.5 * max(hp, 3) + 2.2), layout="constrained"
    )
    fig.suptitle(
        i18n.text("diagrams.slide", fh=fh, fw=fw, stride=e.window.stride[0], pad=top)
        + "\n"
        + i18n.text("diagrams.step", k=k + 1, n=len(e.steps), i=i, j=j)
    )
    grid = fig.add_gridspec(1, 3, width_ratios=[wp + 1, fw + 1, ow + 1])
    ax = fig.add_subplot(grid[0, 0])
    fills = [[None] * wp for _ in range(hp)]
    for r in range(fh):
        for c in range(fw):
            fills[i * sh + r][j * sw + c] = "#ffd6cc"
    _cells(ax, padded, fills=fills, padding_mask=mask)
    _outline(ax, 0, 0, i * sh, j * sw, fh, fw, COLOURS[0], lw=3)
    ax.set_title(
        i18n.text("diagrams.input") if any(e.window.pads) else i18n.text("diagrams.input_plain")
    )
    _finish(ax, wp, hp)
    ax = fig.add_subplot(grid[0, 1])
    _cells(ax, kernel, fills=[["#ffd6cc"] * fw for _ in range(fh)])
    _outline(ax, 0, 0, 0, 0, fh, fw, COLOURS[0], lw=3)
    ax.set_title(i18n.text("diagrams.filter"))
    _finish(ax, fw, max(hp, fh))
    ax = fig.add_subplot(grid[0, 2])
    done = np.zeros((oh, ow), bool)
    for s in e.steps[: k + 1]:
        done[s.position] = True
    shown = np.where(done, e.output[0], np.nan)
    fills = [[("#ffd6cc" if (r, c) == (i, j) else None) for c in range(ow)] for r in range(oh)]
    _cells(ax, shown, fills=fills)
    _outline(ax, 0, 0, i, j, 1, 1, COLOURS[0], lw=3)
    ax.set_title(i18n.text("diagrams.output"))
    _finish(ax, ow, max(hp, oh))
    products = sum_of_products(step.window[0], step.filter[0])
    bias = i18n.text("diagrams.bias", number(step.bias)) if step.bias else ""
    fig.text(
        0.5,
        0.03,
        f"{products}{bias} = {number(step.value)}",
        ha="center",
        fontsize=11,
        family=None if needs_cjk_font() else "monospace",
    )
    return fig


def sliding_window_figure(x=None, w=None, step=0, *, stride=1, pad=0, bias=None, lang=None):
    """One frame of the convolution: the window at output element ``step`` (row by row) over
    the padded input, the filter, the output so far, and the sum of products. One channel and
    one filter; by default the lecture's 4x4 input and 3x3 filter."""
    e = _conv_explanation(x, w, stride, pad, bias)
    if not 0 <= step < len(e.steps):
        raise i18n.error(
            ValueError, "errors.diagrams_step_between", len_e_steps_1=len(e.steps) - 1, step=step,
        )
    with style(lang):
        return _conv_frame(e, step)


def _conv_explanation(x, w, stride, pad, bias):
    e = explain_conv(x, w, stride=stride, pad=pad, bias=bias)
    if e.filters.shape[:2] != (1, 1):
        raise i18n.error(
            ValueError, "errors.diagrams_animation_draws_one", e_filters_shape=e.filters.shape,
        )
    return e


def sliding_window_gif(
    x=None, w=None, *, stride=1, pad=0, bias=None, lang=None, duration=900
) -> bytes:
    """An animated GIF (its bytes) of the filter window sliding over the input, one frame per
    output element, each shown ``duration`` ms (the last one three times as long)."""
    _backend.matplotlib()  # without matplotlib: the install hint, in the language in effect
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    e = _conv_explanation(x, w, stride, pad, bias)
    no_dither = getattr(Image, "Dither", Image).NONE  # Pillow < 9.1 has Image.NONE
    frames = []
    with style(lang):
        for k in range(len(e.steps)):
            fig = _conv_frame(e, k)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            rgb = np.asarray(canvas.buffer_rgba())[..., :3]
            frames.append(Image.fromarray(rgb).quantize(colors=64, dither=no_dither))
    buffer = io.BytesIO()
    durations = [duration] * (len(frames) - 1) + [3 * duration]
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
    )
    return buffer.getvalue()


def save_sliding_window_gif(path, x=None, w=None, *, overwrite=False, **options) -> str:
    """Write :func:`sliding_window_gif` to ``path`` atomically (kept if it exists, unless
    ``overwrite``)."""
    import os

    from .._files import atomic_write

    data = sliding_window_gif(x, w, **options)
    with atomic_write(path, overwrite=overwrite, hint="Pass overwrite=True (--force).") as f:
        f.write(data)
    return os.fspath(path)
