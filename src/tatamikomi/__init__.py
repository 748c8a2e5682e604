"""tatamikomi (畳み込み): convolutional neural networks from scratch in NumPy.

The lecture's names (``im2col``, ``col2im``, ``Convolution``, ``Pooling``, ...) and PyTorch's
(``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Linear``, ...) both import from here; the array
functions underneath live in :mod:`tatamikomi.functional`. The book's networks, optimizers,
``Trainer`` and ``load_mnist`` import from here too. Runtime settings (threads, memory budget,
chunk size) for a block: ``with tatamikomi.config(threads=1, memory_mb=32): ...``
(:mod:`tatamikomi.config`).

Start reading at :mod:`tatamikomi.lecture`: the slides' examples, the lecture's im2col and its
Convolution and Pooling layers, each a screen long.
"""

from . import functional
from ._version import __version__
from .config import (
    config,
    get_config,
    get_memory_budget,
    get_num_threads,
    set_memory_budget,
    set_num_threads,
)
from .functional import col2im, conv_output_size, im2col
from .gradcheck import GradientCheckResult, gradient_check, numerical_gradient
from .data import load_dataset, load_mnist
from . import layers
from .layers import *  # noqa: F403  (every layer class: layers.__all__)
from . import lecture
from .models import DeepConvNet, Sequential, SimpleConvNet, from_spec, load, save
from .optim import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from .train import Trainer

__all__ = [
    *layers.__all__,
    "__version__",
    "functional",
    "lecture",
    "im2col",
    "col2im",
    "conv_output_size",
    "gradient_check",
    "numerical_gradient",
    "GradientCheckResult",
    "config",
    "get_config",
    "get_num_threads",
    "set_num_threads",
    "get_memory_budget",
    "set_memory_budget",
    "Sequential",
    "SimpleConvNet",
    "DeepConvNet",
    "from_spec",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Trainer",
    "load_mnist",
    "load_dataset",
    "save",
    "load",
]
