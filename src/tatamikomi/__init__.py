"""tatamikomi (畳み込み): convolutional neural networks from scratch in NumPy.

The lecture's names (``im2col``, ``col2im``, ``Convolution``, ``Pooling``, ...) and PyTorch's
(``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Linear``, ...) both import from here; the array
functions underneath live in :mod:`tatamikomi.functional`. The book's networks, optimizers,
``Trainer`` and ``load_mnist`` import from here too. Runtime settings (threads, memory budget,
chunk size) for a block: ``with tatamikomi.config(threads=1, memory_mb=32): ...``
(:mod:`tatamikomi.config`).
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
from .io import load, save
from .layers import (
    Affine,
    AveragePooling,
    AvgPool2d,
    BatchNorm2d,
    BatchNormalization,
    Conv2d,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    Layer,
    Linear,
    MaxPool2d,
    MaxPooling,
    Pooling,
    Relu,
    ReLU,
    Sigmoid,
    SoftmaxWithLoss,
    Tanh,
)
from .models import DeepConvNet, Sequential, SimpleConvNet, from_spec
from .optim import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from .train import Trainer

__all__ = [
    "__version__",
    "functional",
    "im2col",
    "col2im",
    "conv_output_size",
    "Layer",
    "Convolution",
    "Conv2d",
    "Affine",
    "Linear",
    "Pooling",
    "MaxPooling",
    "AveragePooling",
    "MaxPool2d",
    "AvgPool2d",
    "GlobalAveragePooling",
    "Relu",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "BatchNorm2d",
    "SoftmaxWithLoss",
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
