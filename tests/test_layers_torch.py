"""Layers against their PyTorch counterparts, with the same weights."""

import numpy as np
import pytest

import tatamikomi as tk

torch = pytest.importorskip("torch", reason="PyTorch (the test oracle) is not installed")
nn = torch.nn
RNG = np.random.default_rng(0)


def run_torch(module, x, dout):
    xt = torch.from_numpy(x.copy()).requires_grad_()
    out = module(xt)
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy()


def test_conv2d_layer_with_torch_weights():
    conv_t = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect").double()
    layer = tk.Conv2d(
        4, 6, 3, stride=2, padding=1, groups=2, padding_mode="reflect", dtype=np.float64
    )
    layer.weight = conv_t.weight.detach().numpy().copy()
    layer.bias = conv_t.bias.detach().numpy().copy()
    x = RNG.standard_normal((3, 4, 9, 8))
    dout = RNG.standard_normal((3, 6, 5, 4))
    out_t, dx_t = run_torch(conv_t, x, dout)
    np.testing.assert_allclose(layer.forward(x), out_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.backward(dout), dx_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.dW, conv_t.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.db, conv_t.bias.grad.numpy(), rtol=1e-10)


def test_linear_layer_with_torch_weights():
    lin_t = nn.Linear(12, 5).double()
    layer = tk.Linear(12, 5, dtype=np.float64)
    layer.weight = lin_t.weight.detach().numpy()
    layer.bias[...] = lin_t.bias.detach().numpy()
    assert layer.weight.shape == (5, 12) and layer.W.shape == (12, 5)
    x, dout = RNG.standard_normal((7, 12)), RNG.standard_normal((7, 5))
    out_t, dx_t = run_torch(lin_t, x, dout)
    np.testing.assert_allclose(layer.forward(x), out_t, rtol=1e-12)
    np.testing.assert_allclose(layer.backward(dout), dx_t, rtol=1e-12)
    np.testing.assert_allclose(layer.dW.T, lin_t.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.db, lin_t.bias.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(8, 3, 5, 4), (16, 6)])
def test_batchnorm_matches_torch_over_steps_and_in_eval(shape):
    features = shape[1]
    bn_t = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(features).double()
    layer = tk.BatchNorm2d(features, dtype=np.float64)
    for step in range(3):
        x = RNG.standard_normal(shape) * (step + 1) + step
        dout = RNG.standard_normal(shape)
        bn_t.zero_grad()
        out_t, dx_t = run_torch(bn_t, x, dout)
        np.testing.assert_allclose(layer.forward(x), out_t, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dout), dx_t, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(layer.dgamma, bn_t.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(layer.dbeta, bn_t.bias.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(layer.running_mean, bn_t.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, bn_t.running_var.numpy(), rtol=1e-12)
    bn_t.eval()
    layer.eval()
    x, dout = RNG.standard_normal(shape), RNG.standard_normal(shape)
    out_t, dx_t = run_torch(bn_t, x, dout)
    np.testing.assert_allclose(layer.forward(x), out_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.backward(dout), dx_t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (tk.ReLU(), nn.ReLU()),
        (tk.Sigmoid(), nn.Sigmoid()),
        (tk.Tanh(), nn.Tanh()),
        (tk.Flatten(), nn.Flatten()),
        (tk.MaxPool2d(3, 2, 1, ceil_mode=True), nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (
            tk.AvgPool2d(2, 1, 1, count_include_pad=False),
            nn.AvgPool2d(2, 1, 1, count_include_pad=False),
        ),
        (tk.GlobalAveragePooling(), nn.AdaptiveAvgPool2d(1)),
    ],
    ids=lambda v: type(v).__name__,
)
def test_parameterless_layers(ours, theirs):
    x = RNG.standard_normal((2, 3, 7, 6)) * 30  # large values: sigmoid must not overflow
    expected = theirs(torch.from_numpy(x))
    dout = RNG.standard_normal(tuple(expected.shape))
    out_t, dx_t = run_torch(theirs, x, dout)
    np.testing.assert_allclose(ours.forward(x), out_t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.backward(dout), dx_t, rtol=1e-12, atol=1e-15)


def test_dropout_is_inverted_and_identity_in_eval():
    layer = tk.Dropout(0.25, seed=0)
    x = np.ones((200, 500), np.float32)
    out = layer.forward(x)
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(layer.backward(x), out)  # same mask for the gradient
    layer.eval()
    assert layer.forward(x) is not None and np.array_equal(layer.forward(x), x)
    drop_t = nn.Dropout(0.25)
    out_t = drop_t(torch.from_numpy(x))
    assert set(np.unique(out_t.numpy())) == {0.0, np.float32(1 / 0.75)}


def test_pytorch_default_init_has_torchs_distribution():
    conv_t = nn.Conv2d(16, 64, 5)
    ours = tk.Conv2d(16, 64, 5, seed=0)
    bound = 1 / np.sqrt(16 * 25)
    for mine, theirs in ((ours.weight, conv_t.weight), (ours.bias, conv_t.bias)):
        theirs = theirs.detach().numpy()
        assert mine.dtype == np.float32 and mine.shape == theirs.shape
        assert np.abs(mine).max() <= bound and np.abs(theirs).max() <= bound
    assert abs(ours.weight.std() - conv_t.weight.detach().numpy().std()) < 0.1 * bound


@pytest.mark.parametrize(
    "init,std", [("he", np.sqrt(2 / 75)), ("xavier", np.sqrt(1 / 75)), (0.01, 0.01)]
)
def test_book_inits(init, std):
    layer = tk.Conv2d(3, 400, 5, init=init, seed=1)
    assert abs(layer.W.std() / std - 1) < 0.02
    np.testing.assert_array_equal(layer.b, np.zeros(400))
