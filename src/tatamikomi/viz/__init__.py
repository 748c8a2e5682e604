"""Pictures (the optional ``viz`` extra: ``pip install 'tatamikomi[viz]'``, matplotlib).

Each function returns a :class:`matplotlib.figure.Figure` (shown as it is in Jupyter and
Colab); :func:`save_figure` writes one to a file atomically. ``lang="ja"`` draws the labels in
Japanese with a Japanese font (:func:`japanese_font`).

- :func:`filters_figure`: the first convolution layer's filters, random before training and
  learned after, as the book compares them.
- :func:`feature_maps_figure`: one image through each convolution and pooling layer.
- :func:`history_figure`: learning curves from a saved model's history.
- :func:`confusion_figure`: the confusion matrix on a test set.
- :func:`misclassified_figure`: the test images the model got wrong.
- :func:`im2col_figure`: a diagram of im2col for a small example.
- :func:`pool_figure`: pooling's windows over the lecture's input, the maxima, the output.
- :func:`flatten_figure`: an image flattened for an Affine layer, row by row.
- :func:`channels_figure`: (C, H, W) with (FN, C, FH, FW) filters gives (FN, OH, OW), as blocks.
- :func:`channel_maxima_figure`: each channel of a convolution layer's maximising input
  (:func:`tatamikomi.explain.maximise_channels`).
- :func:`top_images_figure`: the images that excite one channel most, with the patch its best
  cell sees outlined (:func:`tatamikomi.explain.top_images`).
- :func:`sliding_window_figure` / :func:`sliding_window_gif`: the filter window sliding over a
  padded input, one frame per output element.
- :func:`why_figure`: one image and each saliency method's map over it (why the model said 7).
"""

from ._backend import FontNotFoundError, japanese_font, save_figure
from .attribution import why_figure
from .diagrams import (
    channels_figure,
    flatten_figure,
    im2col_figure,
    pool_figure,
    save_sliding_window_gif,
    sliding_window_figure,
    sliding_window_gif,
)
from .learned import channel_maxima_figure, top_images_figure
from .figures import (
    confusion_figure,
    confusion_matrix,
    feature_maps_figure,
    filters_figure,
    history_figure,
    layer_outputs,
    misclassified_figure,
)

__all__ = [
    "filters_figure",
    "feature_maps_figure",
    "layer_outputs",
    "history_figure",
    "confusion_figure",
    "confusion_matrix",
    "misclassified_figure",
    "im2col_figure",
    "pool_figure",
    "flatten_figure",
    "channels_figure",
    "sliding_window_figure",
    "sliding_window_gif",
    "save_sliding_window_gif",
    "why_figure",
    "save_figure",
    "japanese_font",
    "FontNotFoundError",
    "channel_maxima_figure",
    "top_images_figure",
]
