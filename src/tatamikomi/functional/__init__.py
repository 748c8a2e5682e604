"""Pure array functions, forward and backward: the machinery under the layers.

Each operation comes as ``op(x, ...)`` (forward only), and, where it has a backward pass, as a
pair with one calling convention::

    out, cache = op_forward(x, ...)      # cache: what the backward pass needs
    grads = op_backward(dout, cache)     # dx, or (dx, dW, db) for conv2d and linear

for ``conv2d``, ``linear``, ``max_pool2d``, ``avg_pool2d``, ``global_avg_pool2d``, ``relu``,
``sigmoid``, ``tanh`` and ``softmax_cross_entropy`` (whose forward gives the loss). The cache is
to be passed back as it is; it may refer to the input, so change the input only after the
backward pass.
"""

from .activations import (
    log_softmax,
    masked,
    relu,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    tanh,
    tanh_backward,
    tanh_forward,
)
from .conv import ConvCache, conv2d, conv2d_backward, conv2d_forward
from .geometry import conv_output_size, window2d
from .im2col import col2im, im2col
from .linear import LinearCache, linear, linear_backward, linear_forward
from .losses import (
    SoftmaxCrossEntropyCache,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from .padding import pad2d, pad2d_backward
from .pooling import (
    PoolCache,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    global_avg_pool2d,
    global_avg_pool2d_backward,
    global_avg_pool2d_forward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
    pool_window,
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
    "linear_forward",
    "linear_backward",
    "LinearCache",
    "pool_window",
    "max_pool2d",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "PoolCache",
    "global_avg_pool2d",
    "global_avg_pool2d_forward",
    "global_avg_pool2d_backward",
    "relu",
    "relu_forward",
    "relu_backward",
    "masked",
    "sigmoid",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh",
    "tanh_forward",
    "tanh_backward",
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward",
    "SoftmaxCrossEntropyCache",
]
