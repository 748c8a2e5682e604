"""The lecture's worked examples, exactly."""

import numpy as np
import pytest

from tatamikomi import (
    Convolution,
    MaxPooling,
    Pooling,
    col2im,
    conv_output_size,
    functional as F,
    im2col,
    lecture,
)

X = lecture.INPUT[None, None]
W = lecture.FILTER[None, None]


ENGINES = pytest.mark.parametrize(
    "Conv, Pool", [(Convolution, Pooling), (lecture.Convolution, lecture.Pooling)],
    ids=["fast", "lecture"],
)


@ENGINES
def test_convolution_of_the_slide(Conv, Pool):
    out = Conv(W, np.zeros(1)).forward(X)
    np.testing.assert_array_equal(out[0, 0], [[12, 14], [14, 10]])
    np.testing.assert_array_equal(lecture.CONV_OUTPUT, [[12, 14], [14, 10]])


@ENGINES
def test_each_output_is_the_sum_of_products_of_its_window(Conv, Pool):
    out = Conv(W, np.zeros(1)).forward(X)[0, 0]
    # the slide's first window, written out: 1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1) = 12
    assert 1 * 1 + 2 * 0 + 3 * 2 + 4 * 0 + 3 * 2 + 2 * 0 + 0 * 1 + 1 * 1 + 2 * (-1) == out[0, 0]
    for y in range(2):
        for x in range(2):
            window = lecture.INPUT[y : y + 3, x : x + 3]
            assert (window * lecture.FILTER).sum() == out[y, x]


@ENGINES
def test_padding_one_keeps_the_size(Conv, Pool):
    out = Conv(W, np.zeros(1), pad=1).forward(X)
    expected = [[3, 9, 10, 11], [11, 12, 14, 10], [7, 14, 10, 11], [8, 8, 9, 6]]
    np.testing.assert_array_equal(out[0, 0], expected)
    np.testing.assert_array_equal(lecture.CONV_OUTPUT_PAD1, expected)
    # The slide's first padded window, as the library unrolls it:
    # 0x1+0x0+0x2+0x0+1x2+2x0+0x1+4x1+3x(-1) = 3
    for unroll in (im2col, lecture.im2col):
        first = unroll(X, 3, 3, 1, 1)[0]
        np.testing.assert_array_equal(first, [0, 0, 0, 0, 1, 2, 0, 4, 3])
        assert first @ lecture.FILTER.reshape(-1) == 3


def test_bias_adds_to_every_element():
    out = Convolution(W, np.array([3.0])).forward(X)
    np.testing.assert_array_equal(out[0, 0], lecture.CONV_OUTPUT + 3)


def test_stride_makes_the_output_smaller_and_padding_larger():
    assert conv_output_size(4, 3) == 2
    assert conv_output_size(4, 3, stride=2, pad=1) == 2
    assert conv_output_size(4, 3, pad=1) == 4
    assert conv_output_size(4, 3, pad=2) == 6
    out = F.conv2d(X, W, stride=2, padding=1)
    np.testing.assert_array_equal(out[0, 0], lecture.CONV_OUTPUT_PAD1[::2, ::2])


def test_max_pooling_of_the_slide():
    np.testing.assert_array_equal(MaxPooling(2, 2, stride=2).forward(X)[0, 0], [[4, 4], [3, 3]])
    # The stride defaults to the window, as the lecture says.
    np.testing.assert_array_equal(Pooling(2, 2).forward(X)[0, 0], lecture.MAX_POOL_OUTPUT)


def test_pooling_keeps_channels_has_no_parameters_and_absorbs_small_shifts():
    x = np.random.default_rng(0).random((2, 5, 8, 8))
    layer = Pooling(2, 2)
    assert layer.forward(x).shape == (2, 5, 4, 4)
    assert layer.params == {}
    image = np.zeros((1, 1, 4, 4))
    image[0, 0, 0, 0] = 9
    shifted_right, shifted_down = np.roll(image, 1, axis=3), np.roll(image, 1, axis=2)
    for moved in (shifted_right, shifted_down):
        np.testing.assert_array_equal(layer.forward(moved), layer.forward(image))


def test_im2col_shape_of_the_slide():
    x = np.random.default_rng(0).random(lecture.IM2COL_BATCH_SHAPE)
    col = im2col(x, 5, 5, stride=1, pad=0)
    assert col.shape == (90, 75) == lecture.IM2COL_SHAPE
    np.testing.assert_array_equal(col, lecture.im2col(x, 5, 5))


def test_batch_convolution_shapes():
    x = np.zeros((10, 3, 7, 7), np.float32)
    filters = np.zeros((30, 3, 5, 5), np.float32)
    assert F.conv2d(x, filters).shape == (10, 30, 3, 3)


@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1), (3, 2), (1, 2)])
def test_im2col_and_col2im_match_the_lecture_code(stride, pad):
    rng = np.random.default_rng(stride * 10 + pad)
    x = rng.standard_normal((3, 2, 7, 6))
    col = im2col(x, 3, 2, stride, pad)
    np.testing.assert_array_equal(col, lecture.im2col(x, 3, 2, stride, pad))
    dcol = rng.standard_normal(col.shape)
    np.testing.assert_allclose(
        col2im(dcol, x.shape, 3, 2, stride, pad),
        lecture.col2im(dcol, x.shape, 3, 2, stride, pad),
        rtol=1e-12,
    )


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), y> == <x, col2im(y)> for any x, y: col2im is im2col transposed."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 8))
    for stride, pad, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), ((2, 1), (0, 1), (1, 3))]:
        col = im2col(x, 3, 2, stride, pad, dilation=dilation)
        y = rng.standard_normal(col.shape)
        back = col2im(y, x.shape, 3, 2, stride, pad, dilation=dilation)
        assert np.isclose((col * y).sum(), (x * back).sum(), rtol=1e-12)


def test_fast_layers_match_the_book_layers():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 9, 9))
    w, b = rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5, 5, 5))
    layer, book = Convolution(w, b, stride=2, pad=1), lecture.Convolution(w, b, stride=2, pad=1)
    np.testing.assert_allclose(layer.forward(x), book.forward(x), rtol=1e-12)
    np.testing.assert_allclose(layer.backward(dout), book.backward(dout), rtol=1e-12)
    np.testing.assert_allclose(layer.dW, book.dW, rtol=1e-12)
    np.testing.assert_allclose(layer.db, book.db, rtol=1e-12)
    x = rng.standard_normal((4, 3, 8, 8))
    for mode in ("max", "avg"):
        pool, book = Pooling(2, 2, mode=mode), lecture.Pooling(2, 2, mode=mode)
        out = book.forward(x)
        np.testing.assert_allclose(pool.forward(x), out, rtol=1e-12)
        dout = rng.standard_normal(out.shape)
        np.testing.assert_allclose(pool.backward(dout), book.backward(dout), rtol=1e-12)
