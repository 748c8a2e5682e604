"""Pure array functions, forward and backward: the machinery under the layers.

Each operation comes as ``op(x, ...)`` (forward only), and, where it has a backward pass,
``op_forward(x, ...) -> (out, cache)`` and ``op_backward(dout, cache)``.
"""

from .activations import (
    log_softmax,
    masked,
    relu,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    softmax,
    tanh,
    tanh_backward,
)
from .conv import ConvCache, conv2d, conv2d_backward, conv2d_forward
from .geometry import conv_output_size, window2d
from .im2col import col2im, im2col
from .linear import linear, linear_backward
from .losses import softmax_cross_entropy, softmax_cross_entropy_backward
from .padding import pad2d, pad2d_backward
from .pooling import (
    PoolCache,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
)

__all__ = [
    "conv_output_size",
    "window2d",
    "im2col",
    "col2im",
    "pad2d",
    "pad2d_backward",
    "conv2d",
    "conv2d_forward",
    "conv2d_backward",
    "ConvCache",
    "linear",
    "linear_backward",
    "max_pool2d",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "PoolCache",
    "global_avg_pool2d",
    "global_avg_pool2d_backward",
    "relu",
    "relu_forward",
    "relu_backward",
    "masked",
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_backward",
]
