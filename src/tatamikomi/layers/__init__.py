"""Layers: objects that hold parameters and gradients and call :mod:`tatamikomi.functional`.

Every layer has ``forward(x)`` and ``backward(dout)`` (returning the gradient with respect to
its input), a ``params`` and a ``grads`` dict with the same keys, non-trained state in
``buffers``, and a train/eval mode (``train()``, ``eval()``, ``training``).

The lecture's (and the book's) classes keep their names and arguments: ``Convolution(W, b,
stride, pad)``, ``Pooling(pool_h, pool_w, stride, pad)``, ``Affine(W, b)``, ``Relu``,
``SoftmaxWithLoss`` ..., with attributes ``W``, ``b``, ``dW``, ``db``. Beside them, PyTorch's
names build the same layers from sizes: ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Linear``,
``ReLU``, ``BatchNorm2d``.

Every layer describes itself, so that nothing else keeps a table of layer types:

- ``spec_type``: the ``"type"`` of its entry in a model spec (PyTorch's names, ``"Conv2d"``...);
  :data:`LAYER_TYPES` maps each to its class, filled as the classes are defined;
- ``layer.to_spec()`` and ``Cls.from_spec(entry, input_shape, rng, dtype)``: the JSON-ready entry
  and back (a new layer sized for one example of ``input_shape``);
- ``layer.output_shape(input_shape)``: one example's output shape, from
  :mod:`tatamikomi.functional.geometry` (checked against what the layer accepts);
- ``layer.describe()``: one line for summaries (``"Convolution 30x1x5x5"``);
- ``kind`` (``"conv"``, ``"pool"``, ``"affine"``, ``"activation"``...) and ``book_name``, the
  prefix of the book's layer names (``Conv1``, ``Relu1``, ``Pool1``...).

The classes live by family, one module each: :mod:`.base` (:class:`Layer`, :data:`LAYER_TYPES`
and the helpers the families share), :mod:`.conv`, :mod:`.dense`, :mod:`.pooling`,
:mod:`.activations`, :mod:`.flatten`, :mod:`.dropout`, :mod:`.normalization` and :mod:`.losses`;
this package gathers them. Adding a layer type is one class in its family's module: see
:class:`LeakyReLU` (in :mod:`.activations`).
"""

# In the order the classes were defined in the single module this package replaces, so that
# LAYER_TYPES (filled as each class is defined) keeps its order.
from .base import LAYER_TYPES as LAYER_TYPES  # the registry, read as tatamikomi.layers.LAYER_TYPES
from .base import Layer
from .conv import Conv2d, Convolution
from .dense import Affine, Linear
from .pooling import (
    AveragePooling,
    AvgPool2d,
    GlobalAveragePooling,
    MaxPool2d,
    MaxPooling,
    Pooling,
)
from .activations import LeakyReLU, ReLU, Relu, Sigmoid, Tanh
from .flatten import Flatten
from .dropout import Dropout
from .normalization import BatchNorm2d, BatchNormalization
from .losses import SoftmaxWithLoss

#: what ``from tatamikomi import *`` and ``tatamikomi.<Layer>`` offer: every public layer class
__all__ = [
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
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "BatchNorm2d",
    "SoftmaxWithLoss",
]
