"""Models: the book's SimpleConvNet and DeepConvNet, Sequential, JSON specs, summary."""

import json

import numpy as np
import pytest

from tatamikomi import DeepConvNet, Sequential, SimpleConvNet, from_spec
from tatamikomi.layers import Affine, Conv2d, Dropout, Relu
from tatamikomi.models import get_model

from .builders import SPEC


def test_simple_convnet_is_the_books():
    model = SimpleConvNet(seed=0)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {
        "W1": (30, 1, 5, 5),
        "b1": (30,),
        "W2": (4320, 100),
        "b2": (100,),
        "W3": (100, 10),
        "b3": (10,),
    }
    assert model.layers.keys() == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    assert model.layers["Conv1"].W is model.params["W1"]
    assert abs(model.params["W2"].std() - 0.01) < 0.001 and not model.params["b2"].any()
    assert model.params["W1"].dtype == np.float32
    assert model.predict(np.zeros((3, 1, 28, 28), np.float32)).shape == (3, 10)


def test_deep_convnet_is_the_books():
    model = DeepConvNet(seed=0)
    shapes = [model.params[f"W{i}"].shape for i in range(1, 9)]
    assert shapes == [
        (16, 1, 3, 3),
        (16, 16, 3, 3),
        (32, 16, 3, 3),
        (32, 32, 3, 3),
        (64, 32, 3, 3),
        (64, 64, 3, 3),
        (1024, 50),
        (50, 10),
    ]
    pads = [layer.pad for layer in model.layers if hasattr(layer, "W") and layer.W.ndim == 4]
    assert pads == [1, 1, 1, 2, 1, 1]
    # He initialisation: std sqrt(2 / fan_in)
    assert model.params["W6"].std() == pytest.approx(np.sqrt(2 / (64 * 9)), rel=0.05)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[-5:] == ["Affine", "Relu", "Dropout", "Affine", "Dropout"]
    assert kinds.count("MaxPooling") == 3
    assert model.output_shapes()[-1] == (10,)


def test_book_methods_on_a_batch():
    model = SimpleConvNet(seed=1)
    rng = np.random.default_rng(0)
    x = rng.random((20, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, 20)
    loss = model.loss(x, t)
    assert loss == pytest.approx(np.log(10), abs=0.01)  # small weights: uniform scores
    one_hot = np.eye(10)[t]
    assert model.accuracy(x, t, batch_size=7) == model.accuracy(x, one_hot)
    grads = model.gradient(x, t)
    assert set(grads) == set(model.params)
    assert all(grads[k].shape == model.params[k].shape for k in grads)
    np.testing.assert_allclose(model.predict(x, batch_size=6), model.predict(x), atol=1e-6)


def test_gradient_matches_numerical_gradient():
    model = SimpleConvNet(
        (1, 8, 8),
        {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
        hidden_size=6,
        output_size=4,
        weight_init_std=0.3,
        seed=2,
        dtype=np.float64,
    )
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 1, 8, 8)), rng.integers(0, 4, 5)
    analytic = {k: v.copy() for k, v in model.gradient(x, t).items()}
    numerical = model.numerical_gradient(x, t, h=1e-6)
    for key in analytic:
        np.testing.assert_allclose(analytic[key], numerical[key], atol=1e-7, err_msg=key)


def test_params_is_a_live_view():
    model = SimpleConvNet(seed=0)
    held = model.params["W3"]
    model.params["W3"] -= 1.0  # the book's optimizers update in place
    assert model.layers["Affine2"].W is held and np.all(held < 0)
    model.params["b3"] = np.ones(10)
    assert model.layers["Affine2"].b.dtype == np.float32 and model.layers["Affine2"].b[0] == 1
    with pytest.raises(ValueError, match=r"W3 must have shape \(100, 10\); got \(10, 100\)"):
        model.params["W3"] = np.zeros((10, 100))
    with pytest.raises(KeyError, match="no param 'W9'; the model has: W1, b1"):
        model.params["W9"]


def test_input_shape_errors_say_what_to_do():
    model = SimpleConvNet(seed=0)
    with pytest.raises(
        ValueError,
        match=r"takes images \(N, 1, 28, 28\); got shape \(2, 784\)"
        r".*load_mnist\(flatten=False\)",
    ):
        model.predict(np.zeros((2, 784)))
    with pytest.raises(ValueError, match="4 images but t has 3 labels"):
        model.accuracy(np.zeros((4, 1, 28, 28)), np.zeros(3, int))


def test_summary_prints_shapes_and_counts(capsys):
    text = DeepConvNet(seed=0).summary()
    assert text == capsys.readouterr().out.rstrip("\n")
    assert (
        "Conv4    Convolution 32x32x3x3 padding=2  (32, 16, 16)       9,248"
        in text.replace("Conv4     ", "Conv4    ")
        or "(32, 16, 16)" in text
    )
    assert "total parameters: 123,552" in text
    assert "Affine1" in text and "(50)" in text


def test_model_from_json_spec():
    model = from_spec(json.dumps(SPEC), seed=0)
    assert model.output_shapes() == [
        (4, 12, 12),
        (4, 12, 12),
        (4, 12, 12),
        (4, 6, 6),
        (6, 4, 4),
        (6, 4, 4),
        (6, 2, 2),
        (24,),
        (24,),
        (3,),
    ]
    assert list(model.params) == ["W1", "b1", "gamma1", "beta1", "W2", "W3", "b3"]
    assert list(model.buffers) == ["running_mean1", "running_var1"]
    assert model.classes == ["a", "b", "c"]
    rebuilt = from_spec(model.spec())
    assert {k: v.shape for k, v in rebuilt.params.items()} == {
        k: v.shape for k, v in model.params.items()
    }
    x = np.random.default_rng(0).random((2, 1, 12, 12), dtype=np.float32)
    assert model.predict(x).shape == (2, 3)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"input_shape": None}, 'needs "input_shape"'),
        ({"layers": [{"type": "Conv3d"}]}, "unknown layer type 'Conv3d'; known types: AvgPool2d"),
        (
            {"layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "pading": 1}]},
            "Conv2d has no option 'pading'; its options are",
        ),
        (
            {"layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 30}]},
            r"layer 0 of the spec .*",
        ),
        ({"layers": [{"type": "Linear"}]}, r"layer 0 of the spec .*: Linear needs out_features"),
        (
            {"layers": [{"type": "MaxPool2d", "kernel_size": 2, "stride": "two"}]},
            "layer 0 of the spec",
        ),
        ({"layers": ["ReLU"]}, 'a layer spec is a dict with a "type"'),
        ({"extra": 1}, r"unknown keys in the model spec: \['extra'\]"),
    ],
)
def test_spec_errors_name_the_layer_and_problem(change, message):
    spec = {**SPEC, **change}
    with pytest.raises(ValueError, match=message):
        from_spec(spec)


def test_spec_text_must_be_json():
    with pytest.raises(ValueError, match="not valid JSON"):
        from_spec("{layers: []}")


def test_get_model_by_name_or_spec_file(tmp_path):
    assert isinstance(get_model("simpleconvnet", seed=0), SimpleConvNet)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(SPEC))
    assert isinstance(get_model(str(path)), Sequential)
    with pytest.raises(ValueError, match="unknown model 'LeNet'; choose SimpleConvNet"):
        get_model("LeNet")
    with pytest.raises(FileNotFoundError, match="missing.json does not exist"):
        get_model(str(tmp_path / "missing.json"))


def test_sequential_from_layers_and_errors():
    rng = np.random.default_rng(0)
    model = Sequential(
        [
            Conv2d(1, 2, 3, seed=rng),
            Relu(),
            Affine(rng.standard_normal((2 * 4 * 4, 3)), np.zeros(3)),
        ],
        input_shape=(1, 6, 6),
    )
    assert list(model.params) == ["W1", "b1", "W2", "b2"]
    with pytest.raises(TypeError, match="Sequential takes layers such as Conv2d"):
        Sequential([np.zeros(3)])
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential([])


def test_dropout_layers_follow_train_flag():
    model = DeepConvNet(seed=0)
    x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert not np.array_equal(model.predict(x, train_flg=True), model.predict(x, train_flg=True))
    assert all(isinstance(d, Dropout) for d in model.dropout_layers)
    # predict switches the mode for its own pass only
    assert [d.training for d in model.dropout_layers] == [True, True]
    model.eval()
    model.predict(x, train_flg=True)
    assert not any(d.training for d in model.dropout_layers)
