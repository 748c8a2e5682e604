"""The lecture's arithmetic, step by step, in English or Japanese (``tatamikomi explain``).

Each ``explain_*`` function computes its result with the library's own operations and returns
an explanation object: its fields hold the steps as arrays and numbers (for tests, notebooks and
the pictures), and ``lines(lang)`` / ``text(lang)`` render them as the slides write them::

    >>> from tatamikomi.explain import explain_conv
    >>> e = explain_conv()                       # the lecture's 4x4 input and 3x3 filter
    >>> e.output[0].tolist()
    [[12.0, 14.0], [14.0, 10.0]]
    >>> e.steps[0].products()
    '1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1) = 12'

One module per explanation:

- :func:`explain_conv` (``conv.py``): every output element as a sum of products (plus the
  bias), with the padded input and the output-size formula filled in; channels are summed.
- :func:`explain_pool` (``pool.py``): each max or average pooling window and its result.
- :func:`explain_im2col` (``im2col.py``): the column matrix, each row labelled with its window,
  and why its shape is (N*OH*OW, C*FH*FW).
- :func:`explain_shape` (``shape.py``): how a model changes the shape, layer by layer, with each
  formula.
- :func:`explain_flatten` (``flatten.py``): where neighbouring pixels land when an input is
  flattened for an Affine layer (28 apart in MNIST), and the shape a convolution keeps.
- :func:`explain_shift` (``shift.py``): pooling of an input and of the same input shifted by a
  pixel: which outputs absorb the shift and which do not.
- :func:`explain_backward` (``backward.py``): the backward pass of a convolution or pooling
  layer, one cell of dx as its sum of terms (col2im's ``+=``) and one tap of dW, checked
  against the layer's own ``backward``; :func:`backward_pass` for a model and one image.
- :func:`maximise_channel`, :func:`top_images` (``filters.py``): what a convolution channel
  looks for: the input that maximises it (gradient ascent with the library's backward pass),
  and the images that excite it most with the patch its best cell sees.
- :func:`explain_why_cnn` (``why_cnn.py``): why a CNN, measured: Conv1's parameters against an
  Affine layer's, an Affine network and a CNN on shuffled pixels, and the for-loop
  convolution timed against im2col and the fast engine.
- :func:`saliency` (``attribution.py``): why a model said 7, as an (H, W) map of the evidence
  by the gradient, SmoothGrad, Grad-CAM or occlusion, computed with the model's own backward
  pass; :func:`explain_why` says it in words, :func:`sanity_report` measures whether each
  method's maps depend on the weights and find the pixels the answer needs.

``_format.py`` writes numbers, grids and the output-size formula (whose value always comes from
:mod:`tatamikomi.functional.geometry`); every text comes from :mod:`tatamikomi.i18n`. To add an
explanation: a module here with an ``explain_*`` function returning an :class:`Explanation`
(``_lines()``, said in the language in effect), its texts in the catalogs' ``explain.``
keys, its name exported below.
"""

from ._base import Explanation
from ._format import MODE_NAMES, grid, nested, number, size_formula, size_lines, sum_of_products
from .attribution import (
    DEFAULT_METHODS,
    METHODS,
    SanityReport,
    WhyExplanation,
    explain_why,
    saliency,
    sanity_report,
)
from .backward import BackwardExplanation, BackwardPass, backward_pass, explain_backward
from .conv import ConvExplanation, ConvStep, explain_conv
from .filters import (
    ChannelMaximum,
    TopImages,
    maximise_channel,
    maximise_channels,
    receptive_field,
    top_images,
)
from .flatten import FlattenExplanation, explain_flatten
from .im2col import Im2colExplanation, explain_im2col
from .pool import PoolExplanation, PoolStep, explain_pool
from .shape import ShapeExplanation, ShapeStep, describe_layer, explain_shape
from .shift import ShiftExplanation, explain_shift
from .why_cnn import WhyCnnExplanation, explain_why_cnn

__all__ = [
    "explain_conv",
    "explain_pool",
    "explain_im2col",
    "explain_shape",
    "explain_flatten",
    "explain_shift",
    "describe_layer",
    "Explanation",
    "ConvExplanation",
    "ConvStep",
    "PoolExplanation",
    "PoolStep",
    "Im2colExplanation",
    "ShapeExplanation",
    "ShapeStep",
    "FlattenExplanation",
    "ShiftExplanation",
    "size_formula",
    "size_lines",
    "sum_of_products",
    "number",
    "grid",
    "nested",
    "MODE_NAMES",
    "explain_why_cnn",
    "WhyCnnExplanation",
    "saliency",
    "explain_why",
    "sanity_report",
    "WhyExplanation",
    "SanityReport",
    "METHODS",
    "DEFAULT_METHODS",
    "explain_backward",
    "backward_pass",
    "BackwardExplanation",
    "BackwardPass",
    "maximise_channel",
    "maximise_channels",
    "top_images",
    "receptive_field",
    "ChannelMaximum",
    "TopImages",
]
