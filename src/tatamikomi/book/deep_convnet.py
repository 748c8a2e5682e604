"""Stands in for the book's ``ch08/deep_convnet.py``: :class:`DeepConvNet` with the book's
constructor and methods on tatamikomi's fast engine (float32); its ``load_params`` reads the
book's ``deep_convnet_params.pkl`` (adjusted for tatamikomi's inverted dropout, so that
``predict(x, train_flg=False)`` gives the book's scores)."""

from __future__ import annotations

from .. import models
from .simple_convnet import _BookFiles

__all__ = ["DeepConvNet"]


class DeepConvNet(_BookFiles, models.DeepConvNet):
    """The book's DeepConvNet (six 3x3 convolutions, three poolings, two affine layers)."""
