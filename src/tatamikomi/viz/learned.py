"""Pictures of what a convolution layer learned: each channel's maximising input
(:func:`channel_maxima_figure`) and the test images that excite one channel most, their patch
outlined (:func:`top_images_figure`). The numbers come from :mod:`tatamikomi.explain.filters`."""

from __future__ import annotations

import numpy as np

from .. import i18n
from ..explain import number
from ._backend import new_figure, style


def _shown(image) -> np.ndarray:
    """(C, H, W) -> what imshow draws: grey (H, W), or RGB (H, W, 3) for 3 channels."""
    image = np.asarray(image, dtype=np.float64)
    return np.moveaxis(image, 0, -1) if len(image) == 3 else image[0]


def channel_maxima_figure(maxima, *, model_name="", weights=None, columns=10, lang=None):
    """A grid of :class:`~tatamikomi.explain.ChannelMaximum` images, each titled with its channel
    and its mean activation at the start and at the end (the data range drawn as black..white).
    ``weights`` (FN, C, FH, FW), for a first convolution: each filter drawn under its image."""
    maxima = list(maxima)
    columns = max(1, min(columns, len(maxima)))
    rows = -(-len(maxima) // columns)
    settings = maxima[0].settings
    per = 2 if weights is not None else 1
    with style(lang):
        fig = new_figure(figsize=(columns * 1.1, rows * per * 1.35 + 0.9), layout="constrained")
        key = "filters.maxima_title_centre" if settings["centre"] else "filters.maxima_title"
        fig.suptitle(
            i18n.text(
                key, layer=maxima[0].layer, model=model_name,
                **{k: number(v) for k, v in settings.items() if k != "centre"},
            ),
            fontsize="medium",
        )
        axes = fig.subplots(rows * per, columns, squeeze=False)
        for ax in axes.ravel():
            ax.set_axis_off()
        for n, result in enumerate(maxima):
            row, column = divmod(n, columns)
            ax = axes[row * per, column]
            ax.imshow(_shown(result.image), cmap="gray", interpolation="nearest",
                      vmin=settings["low"], vmax=settings["high"])
            ax.set_title(
                i18n.text("filters.maxima_channel", channel=result.channel,
                          start=number(result.history[0]), end=number(result.history[-1])),
                fontsize="x-small",
            )
            if weights is not None:
                w = np.asarray(weights[result.channel], dtype=np.float64)
                below = axes[row * per + 1, column]
                below.imshow(_shown(w), cmap="gray", interpolation="nearest")
                below.set_title(i18n.text("filters.weights"), fontsize="x-small")
    return fig


def top_images_figure(top, *, model_name="", dataset="", total=None, columns=None, lang=None):
    """The images of a :class:`~tatamikomi.explain.TopImages`, each with the patch its best
    cell sees outlined in red and titled with its index and score."""
    from matplotlib.patches import Rectangle

    count = len(top.images)
    columns = columns or min(count, 5)
    rows = -(-count // columns)
    with style(lang):
        fig = new_figure(figsize=(columns * 1.6, rows * 1.8 + 0.8), layout="constrained")
        fig.suptitle(
            i18n.text(
                "filters.top_title", k=count, n=total if total is not None else count,
                dataset=dataset, channel=top.channel, layer=top.layer, model=model_name,
            ),
            fontsize="medium",
        )
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax in axes:
            ax.set_axis_off()
        for ax, index, score, image, (t, left, b, r) in zip(
            axes, top.indices, top.scores, top.images, top.boxes
        ):
            ax.imshow(_shown(image), cmap="gray", interpolation="nearest")
            ax.add_patch(Rectangle((left - 0.5, t - 0.5), r - left, b - t, fill=False,
                                   edgecolor="red", linewidth=1.5))
            ax.set_title(i18n.text("filters.top_image", index=int(index), score=number(score)),
                         fontsize="small")
    return fig
