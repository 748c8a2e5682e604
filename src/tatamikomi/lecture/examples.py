"""The worked examples of the lecture 「畳み込みニューラルネット(1)」 and their results.

Kept in one place so that the demo, the tests, the explanations and the studio use the same
numbers.
"""

import numpy as np

#: The 4x4 input of the convolution and pooling slides.
INPUT = np.array([[1, 2, 3, 4], [4, 3, 2, 1], [0, 1, 2, 3], [3, 2, 1, 2]])

#: The 3x3 filter of the convolution slides.
FILTER = np.array([[1, 0, 2], [0, 2, 0], [1, 1, -1]])

#: Convolution of INPUT with FILTER, no padding, stride 1.
CONV_OUTPUT = np.array([[12, 14], [14, 10]])

#: The same with padding 1 (the output keeps the 4x4 size).
CONV_OUTPUT_PAD1 = np.array([[3, 9, 10, 11], [11, 12, 14, 10], [7, 14, 10, 11], [8, 8, 9, 6]])

#: 2x2 max pooling with stride 2 of INPUT.
MAX_POOL_OUTPUT = np.array([[4, 4], [3, 3]])

#: The im2col slide: a batch of 10 images with 3 channels of 7x7, and a 5x5 filter.
IM2COL_BATCH_SHAPE = (10, 3, 7, 7)
IM2COL_FILTER = (5, 5)
IM2COL_SHAPE = (90, 75)
