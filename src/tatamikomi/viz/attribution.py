"""Why did it say 7, drawn: one image and each saliency method's map over it
(:func:`why_figure`, ``tatamikomi plot why``)."""

from __future__ import annotations

import numpy as np

from .. import i18n
from ..explain.attribution import DEFAULT_METHODS, METHOD_NAMES, explain_why
from ._backend import new_figure, style


def why_figure(model, image, methods=DEFAULT_METHODS, target=None, *, lang=None, options=None,
               explanation=None):
    """The image (the model's prepared input, (H, W), (C, H, W) or (1, C, H, W)) and, for each
    method, its map for ``target`` (None: the predicted class) drawn over the image in grey;
    each map scaled on its own (bright: much evidence), titled with the region that holds most
    of it. ``explanation``: a :class:`~tatamikomi.explain.WhyExplanation` already computed."""
    why = explanation or explain_why(model, image, methods, target, options=options)
    picture = why.image.mean(axis=0) if why.image.shape[0] != 3 else np.moveaxis(why.image, 0, -1)
    low, high = float(picture.min()), float(picture.max())
    picture = (picture - low) / (high - low) if high > low else np.zeros_like(picture)
    regions = why.regions()
    with style(lang):
        columns = len(why.maps) + 1
        fig = new_figure(figsize=(2.4 * columns, 3.0))
        fig.suptitle(
            i18n.text("attribution.figure_title", model=why.model_name, **why.prediction_values())
        )
        axes = np.atleast_1d(fig.subplots(1, columns, squeeze=False)).ravel()
        axes[0].imshow(picture, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
        axes[0].set_title(i18n.text("attribution.figure_image"))
        for ax, (method, saliency_map) in zip(axes[1:], why.maps.items()):
            mass = np.maximum(np.asarray(saliency_map, dtype=np.float64), 0)
            top = mass.max()
            ax.imshow(picture, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
            ax.imshow(
                mass / top if top > 0 else mass, cmap="inferno", alpha=0.65, vmin=0, vmax=1,
                interpolation="nearest",
            )
            region, share = regions[method]
            ax.set_title(
                i18n.text(METHOD_NAMES[method]) + "\n"
                + i18n.text("attribution.figure_share", region=i18n.text(region), share=share),
                fontsize="small",
            )
        for ax in axes:
            ax.set_axis_off()
    return fig
