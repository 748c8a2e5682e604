"""Stands in for the book's ``ch07/simple_convnet.py``: :class:`SimpleConvNet` with the book's
constructor and methods (``params``, ``layers``, ``predict``, ``loss``, ``accuracy``,
``gradient``, ``numerical_gradient``), on tatamikomi's fast engine in float32, with
``save_params``/``load_params`` in the book's ``.pkl`` format (:mod:`.params`)."""

from __future__ import annotations

from .. import models
from . import params

__all__ = ["SimpleConvNet"]


class _BookFiles:
    """The book's ``save_params``/``load_params`` (default name ``params.pkl``)."""

    def save_params(self, file_name="params.pkl"):
        params.save_params(self, file_name)

    def load_params(self, file_name="params.pkl"):
        params.load_params(self, file_name)

    def save_params_safely(self, file_name):
        models.Sequential.save_params(self, file_name, overwrite=True)

    def load_params_safely(self, file_name):
        models.Sequential.load_params(self, file_name)


class SimpleConvNet(_BookFiles, models.SimpleConvNet):
    """The book's SimpleConvNet (conv - relu - pool - affine - relu - affine - softmax)."""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        super().__init__(input_dim, conv_param, hidden_size, output_size, weight_init_std)
