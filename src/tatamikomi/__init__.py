"""tatamikomi (畳み込み): convolutional neural networks from scratch in NumPy."""

from .functional import col2im, conv_output_size, im2col

__version__ = "0.1.0"
