"""Numerical gradient checks (central differences, float64) for every layer and function."""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import functional as F
from tatamikomi import gradient_check, numerical_gradient

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 4, 7, 6))


def layers():
    """The lecture's constructors, from arrays: tests/test_layer_battery.py checks every spec
    type (Conv2d's groups, dilation and padding modes, the pools' options, batch norm in train
    and eval mode...) built from its spec."""
    yield (
        "Convolution",
        tk.Convolution(RNG.standard_normal((3, 4, 3, 3)), RNG.standard_normal(3), stride=2, pad=1),
    )
    yield "MaxPooling", tk.MaxPooling(2, 2)
    yield "AveragePooling", tk.AveragePooling(2, 2)
    yield "Affine", tk.Affine(RNG.standard_normal((168, 5)), RNG.standard_normal(5))
    yield "Relu", tk.Relu()
    yield "Dropout", tk.Dropout(0.4, seed=7)


@pytest.mark.parametrize(
    "name,layer", list(layers()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_layer_gradients(name, layer):
    x = IMAGES + 0.05 * (np.arange(IMAGES.size).reshape(IMAGES.shape) % 7)  # no ties in windows
    result = gradient_check(layer, x)
    assert result.ok, f"{name}\n{result}"
    assert {row[0] for row in result.rows} >= set(layer.params)


def test_batch_normalization_on_features():
    layer = tk.BatchNormalization(RNG.standard_normal(5), RNG.standard_normal(5))
    assert gradient_check(layer, RNG.standard_normal((6, 5))).ok


def test_first_layer_skips_the_input_gradient():
    layer = tk.Conv2d(4, 2, 3, seed=0, need_input_grad=False)
    layer.forward(IMAGES)
    assert layer.backward(np.ones((2, 2, 5, 4))) is None
    result = gradient_check(layer, IMAGES)
    assert result.ok and [row[0] for row in result.rows] == ["W", "b"]


def test_softmax_with_loss_gradient():
    logits = RNG.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    layer = tk.SoftmaxWithLoss()
    layer.forward(logits, labels)
    analytic = layer.backward()
    numeric = numerical_gradient(lambda z: F.softmax_cross_entropy(z, labels), logits)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)
    onehot = np.eye(4)[labels]
    layer.forward(logits, onehot)
    np.testing.assert_allclose(layer.backward(), analytic, rtol=1e-12)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_functions(name):
    x = RNG.standard_normal((3, 4)) + 0.1
    function = getattr(F, name)
    forward, backward = getattr(F, f"{name}_forward"), getattr(F, f"{name}_backward")
    weights = RNG.standard_normal(x.shape)
    numeric = numerical_gradient(lambda z: (function(z) * weights).sum(), x)
    out, cache = forward(x)
    np.testing.assert_array_equal(out, function(x))
    np.testing.assert_allclose(backward(weights, cache), numeric, rtol=1e-6, atol=1e-9)


def test_functional_conv_and_pools():
    x = RNG.standard_normal((2, 2, 5, 5))
    w = RNG.standard_normal((3, 2, 2, 2))
    weights = RNG.standard_normal((2, 3, 3, 3))
    out, cache = F.conv2d_forward(x, w, None, stride=2, padding=1)
    dx, dw, db = F.conv2d_backward(weights, cache)
    assert db is None
    np.testing.assert_allclose(
        dx, numerical_gradient(lambda z: (F.conv2d(z, w, None, 2, 1) * weights).sum(), x), rtol=1e-6
    )
    np.testing.assert_allclose(
        dw, numerical_gradient(lambda v: (F.conv2d(x, v, None, 2, 1) * weights).sum(), w), rtol=1e-6
    )
    g = RNG.standard_normal((2, 2, 1, 1))
    out, cache = F.global_avg_pool2d_forward(x)
    np.testing.assert_array_equal(out, F.global_avg_pool2d(x))
    np.testing.assert_allclose(
        F.global_avg_pool2d_backward(g, cache),
        numerical_gradient(lambda z: (F.global_avg_pool2d(z) * g).sum(), x),
        rtol=1e-6,
    )


def test_numerical_gradient_leaves_its_input_alone():
    x = RNG.standard_normal((3, 3)).T  # a transposed view, too
    before = x.copy()
    grad = numerical_gradient(lambda z: (z**2).sum(), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6)


def test_gradient_check_reports_a_wrong_backward():
    class Broken(tk.Relu):
        def backward(self, dout):
            return 2 * super().backward(dout)

    result = gradient_check(Broken(), RNG.standard_normal((3, 4)))
    assert not result.ok
    assert "MISMATCH" in str(result)


def test_gradient_check_restores_the_layer():
    layer = tk.BatchNorm2d(4)
    weight = layer.weight
    gradient_check(layer, IMAGES)
    assert layer.weight is weight and layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.running_mean, np.zeros(4))


def test_linear_pair_gives_the_products_and_the_numerical_gradient():
    x, w, b = RNG.standard_normal((5, 4)), RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    weights = RNG.standard_normal((5, 3))
    out, cache = F.linear_forward(x, w, b)
    np.testing.assert_array_equal(out, F.linear(x, w, b))
    np.testing.assert_allclose(out, x @ w + b, rtol=1e-12)
    dx, dw, db = F.linear_backward(weights, cache)
    np.testing.assert_allclose(dx, weights @ w.T, rtol=1e-12)
    np.testing.assert_allclose(dw, x.T @ weights, rtol=1e-12)
    np.testing.assert_allclose(db, weights.sum(axis=0), rtol=1e-12)
    loss = lambda z, v, c: (F.linear(z, v, c) * weights).sum()  # noqa: E731
    np.testing.assert_allclose(dx, numerical_gradient(lambda z: loss(z, w, b), x), rtol=1e-6)
    np.testing.assert_allclose(dw, numerical_gradient(lambda v: loss(x, v, b), w), rtol=1e-6)
    np.testing.assert_allclose(db, numerical_gradient(lambda c: loss(x, w, c), b), rtol=1e-6)
    assert F.linear_backward(weights, cache, need_input_grad=False)[0] is None


def test_softmax_cross_entropy_pair_gives_the_loss_and_the_numerical_gradient():
    logits, labels = RNG.standard_normal((6, 4)), np.array([0, 3, 1, 1, 2, 0])
    loss, cache = F.softmax_cross_entropy_forward(logits, labels)
    assert loss == F.softmax_cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda z: F.softmax_cross_entropy(z, labels), logits)
    np.testing.assert_allclose(F.softmax_cross_entropy_backward(1, cache), numeric, rtol=1e-6)
    np.testing.assert_allclose(
        F.softmax_cross_entropy_backward(0.5, cache), 0.5 * numeric, rtol=1e-6
    )
    np.testing.assert_allclose(cache.probs, F.softmax(logits), rtol=1e-15)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: F.relu_backward(np.ones_like(x), x),
        lambda x: F.linear_backward(np.ones((3, 2)), x, np.ones((4, 2))),
        lambda x: F.softmax_cross_entropy_backward(F.softmax(x), np.zeros(3, int)),
    ],
    ids=["relu", "linear", "softmax_cross_entropy"],
)
def test_backward_refuses_the_old_arguments_by_name(call):
    """The old ``op_backward(dout, x, ...)`` forms would compute something wrong: refused."""
    x = RNG.standard_normal((3, 4))
    with pytest.raises(TypeError, match=r"_forward"):
        call(x)
