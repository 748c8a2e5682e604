"""The lecture 「畳み込みニューラルネット(1)」 in code: the first files to read.

- :mod:`.examples`: the slides' worked examples and their results (the 4x4 input, the 3x3
  filter, ``[[12, 14], [14, 10]]``, the padded output, max pooling ``[[4, 4], [3, 3]]``, the
  im2col shape (90, 75));
- :mod:`.im2col`: the slide's ``im2col`` and the book's ``col2im``, loops over the filter's
  taps, each a screen long;
- :mod:`.layers`: the book's ``Convolution`` and ``Pooling`` layers computed with them: unroll
  the windows, one matrix product, reshape back to (N, C, H, W).

These compute exactly what the fast engine (:mod:`tatamikomi.functional`, used by
:mod:`tatamikomi.layers`) computes, up to float rounding, in the plain way the lecture writes
it. A network uses them when it is built with them::

    from tatamikomi import SimpleConvNet
    network = SimpleConvNet(engine="lecture")   # Convolution and Pooling from this package

or from its classes directly: ``tatamikomi.lecture.Convolution(W, b, stride, pad)``. Nothing
switches between the two behind your back: a model computes with the layers it was built of.
"""

from .examples import (
    CONV_OUTPUT,
    CONV_OUTPUT_PAD1,
    FILTER,
    IM2COL_BATCH_SHAPE,
    IM2COL_FILTER,
    IM2COL_SHAPE,
    INPUT,
    MAX_POOL_OUTPUT,
)
from .im2col import col2im, im2col
from .layers import Convolution, Pooling

__all__ = [
    "INPUT",
    "FILTER",
    "CONV_OUTPUT",
    "CONV_OUTPUT_PAD1",
    "MAX_POOL_OUTPUT",
    "IM2COL_BATCH_SHAPE",
    "IM2COL_FILTER",
    "IM2COL_SHAPE",
    "im2col",
    "col2im",
    "Convolution",
    "Pooling",
]
