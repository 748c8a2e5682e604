"""LeakyReLU, the layer added to show that a layer type lives in one file: tested three ways
(a worked example, a numerical gradient check, PyTorch as the oracle) and through everything
that asks a layer about itself (spec, summary, output shape, model files)."""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import LeakyReLU, gradient_check
from tatamikomi.layers import LAYER_TYPES


def test_worked_example():
    layer = LeakyReLU(0.1)
    x = np.array([[-2.0, -0.5, 0.0, 3.0]], np.float32)
    out = layer.forward(x)
    np.testing.assert_allclose(out, [[-0.2, -0.05, 0.0, 3.0]], rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), [[0.1, 0.1, 0.1, 1.0]])


def test_numerical_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of the kink at 0
    result = gradient_check(LeakyReLU(0.2), x)
    assert result.ok, result


@pytest.mark.parametrize("slope", [0.01, 0.3, 1.5])
def test_against_pytorch(slope):
    torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    dout = rng.standard_normal(x.shape).astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.nn.functional.leaky_relu(xt, slope)
    yt.backward(torch.from_numpy(dout))
    layer = LeakyReLU(slope)
    np.testing.assert_allclose(layer.forward(x), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-6)


def test_it_describes_itself(tmp_path):
    assert LAYER_TYPES["LeakyReLU"] is LeakyReLU
    spec = {
        "input_shape": [1, 6, 6],
        "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
            {"type": "LeakyReLU", "negative_slope": 0.2},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 3},
        ],
    }
    model = tk.from_spec(spec, seed=0)
    assert model.layers.keys()[1] == "LeakyRelu1"
    assert model.spec()["layers"][1] == {"type": "LeakyReLU", "negative_slope": 0.2}
    assert model.output_shapes() == [(2, 4, 4), (2, 4, 4), (32,), (3,)]
    import io
    import re

    rows = model.summary(file=io.StringIO())
    assert re.search(r"LeakyRelu1 +LeakyReLU 0\.2 +\(2, 4, 4\) +0", rows), rows
    tk.save(model, tmp_path / "m.npz")
    loaded = tk.load(tmp_path / "m.npz")
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    with pytest.raises(ValueError, match="LeakyReLU has no option 'slope'"):
        tk.from_spec({"input_shape": [4], "layers": [{"type": "LeakyReLU", "slope": 1}]})


def test_bad_slope_is_refused():
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        LeakyReLU("0.1")
    with pytest.raises(ValueError, match="finite"):
        LeakyReLU(float("nan"))
