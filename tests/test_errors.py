"""Bad input gets a clear error that names the shapes involved and the fix."""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import functional as F

IMAGES = np.zeros((2, 3, 8, 8), np.float32)


def test_wrong_number_of_dimensions():
    with pytest.raises(
        ValueError, match=r"4-D array \(N, C, H, W\); got shape \(28, 28\).*input\[None, None\]"
    ):
        tk.Conv2d(1, 4, 3).forward(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"got shape \(1, 28, 28\).*\[None\]"):
        tk.MaxPool2d(2).forward(np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match=r"\(N, D\) or \(N, C, H, W\)"):
        tk.BatchNorm2d(3).forward(np.zeros((2, 3, 4)))


def test_channels_not_matching_the_weights():
    with pytest.raises(
        ValueError,
        match=r"input has 3 channels \(shape \(2, 3, 8, 8\)\), but weight "
        r"of shape \(4, 1, 3, 3\).*expects 1",
    ):
        tk.Conv2d(1, 4, 3).forward(IMAGES)
    with pytest.raises(ValueError, match="groups=2 must divide"):
        F.conv2d(IMAGES, np.zeros((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"input has 3 channels/features.*normalises 4"):
        tk.BatchNorm2d(4).forward(IMAGES)
    with pytest.raises(
        ValueError, match=r"W of shape \(10, 5\) expects input \(N, 10\).*\(2, 3, 8, 8\)"
    ):
        tk.Affine(np.zeros((10, 5))).forward(IMAGES)


def test_window_larger_than_the_padded_input():
    with pytest.raises(
        ValueError,
        match=r"window of size 9 does not fit in an input of size 8 padded "
        r"by \(0, 0\) to 8: the output would be empty",
    ):
        tk.Conv2d(3, 4, 9).forward(IMAGES)
    with pytest.raises(ValueError, match="dilation 3 makes it span 7"):
        F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), dilation=3)
    with pytest.raises(ValueError, match="does not fit"):
        tk.MaxPool2d(10).forward(IMAGES)
    with pytest.raises(ValueError, match="does not fit"):
        tk.im2col(np.zeros((1, 1, 4, 4)), 5, 5)


def test_integer_input_where_gradients_are_asked_for():
    ints = np.ones((2, 3, 8, 8), dtype=np.int64)
    for layer in (
        tk.Conv2d(3, 2, 3),
        tk.MaxPool2d(2),
        tk.AvgPool2d(2),
        tk.Relu(),
        tk.Flatten(),
        tk.Affine(np.zeros((192, 2), np.float32)),
    ):
        out = layer.forward(ints)  # the forward pass is fine (computed in float32)
        assert out.dtype == np.float32
        with pytest.raises(TypeError, match=r"integer dtype.*astype\(np.float32\)"):
            layer.backward(np.ones_like(out))
    first = tk.Conv2d(3, 2, 3, need_input_grad=False)
    first.forward(ints)
    assert first.backward(np.ones((2, 2, 6, 6), np.float32)) is None  # no input gradient needed


def test_non_finite_values_that_would_poison_silently():
    with pytest.raises(ValueError, match=r"logits contains 1 NaN or infinite value\(s\).*diverged"):
        tk.SoftmaxWithLoss().forward(np.array([[0.0, np.nan], [1.0, 2.0]]), np.array([0, 1]))
    weights = np.zeros((2, 3, 3, 3))
    weights[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"W contains 1 NaN or infinite value"):
        tk.Convolution(weights, np.zeros(2))
    with pytest.raises(ValueError, match="gamma contains"):
        tk.BatchNormalization(np.array([np.nan]), np.zeros(1))


def test_labels():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 3\].*from 0 to 4"):
        F.softmax_cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="got 2 labels for a batch of 3"):
        F.softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"one-hot labels must have shape \(3, 4\)"):
        F.softmax_cross_entropy(logits, np.zeros((3, 5)))


def test_bad_options():
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(IMAGES, np.zeros((2, 3, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        tk.Conv2d(3, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="reflect padding of \\(3, 3\\) needs an input larger"):
        F.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), padding=3, padding_mode="reflect")
    with pytest.raises(ValueError, match="at most half the window"):
        tk.MaxPool2d(2, padding=2).forward(IMAGES)
    with pytest.raises(ValueError, match="taps fall only on padding"):
        F.max_pool2d(np.zeros((1, 1, 1, 8)), (2, 1), (1, 2), (1, 0), 2)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints \(h, w\)"):
        tk.Conv2d(3, 2, 3, stride=1.5).forward(IMAGES)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        F.conv2d(IMAGES, np.zeros((2, 3, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg'"):
        tk.Pooling(2, 2, mode="min")
    with pytest.raises(ValueError, match="dropout_ratio must be in"):
        tk.Dropout(1.0)
    with pytest.raises(ValueError, match="init must be one of"):
        tk.Conv2d(3, 2, 3, init="glorot")
    with pytest.raises(TypeError, match="must hold real numbers"):
        F.conv2d(np.array([["a"]]), np.zeros((1, 1, 1, 1)))


def test_backward_misuse():
    with pytest.raises(RuntimeError, match="backward called before forward"):
        tk.Conv2d(3, 2, 3).backward(np.zeros((2, 2, 6, 6)))
    layer = tk.Conv2d(3, 2, 3)
    layer.forward(IMAGES)
    with pytest.raises(
        ValueError, match=r"dout must have the forward output's shape \(2, 2, 6, 6\)"
    ):
        layer.backward(np.zeros((2, 2, 5, 5)))
    pool = tk.MaxPool2d(2)
    pool.forward(IMAGES)
    with pytest.raises(
        ValueError, match=r"dout must have the forward output's shape \(2, 3, 4, 4\)"
    ):
        pool.backward(np.zeros((2, 3, 8, 8)))


def test_col2im_with_a_wrong_matrix():
    with pytest.raises(
        ValueError,
        match=r"col has shape \(10, 9\), but im2col of input_shape "
        r"\(1, 1, 4, 4\) with a 3x3 filter.*\(4, 9\)",
    ):
        tk.col2im(np.zeros((10, 9)), (1, 1, 4, 4), 3, 3)


def test_thread_setting():
    with pytest.raises(ValueError, match="positive int"):
        tk.set_num_threads(0)
