"""PyTorch export and import: the nn.Sequential copy computes the same scores and, in training
mode, the same gradients; model.pt + model.py and the round trips keep the predictions."""

import runpy
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import tatamikomi as tk
from tatamikomi.export import from_torch, load_torch, save_torch, to_torch

from .export_models import MODELS, mnist_images
from .export_specs import build, images, model_specs

torch = pytest.importorskip("torch", reason="torch is not installed")
nn = torch.nn

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


def scores(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def torch_gradients(module, x, t):
    module.train()
    module.zero_grad()
    loss = nn.functional.cross_entropy(module(torch.from_numpy(x)), torch.from_numpy(t))
    loss.backward()
    module.eval()


def assert_same_gradients(model, module, x, t, rtol):
    model.gradient(x, t)
    torch_gradients(module, x, t)
    compared = 0
    for name, layer in model.layers.items():
        part = getattr(module, name)
        for key, torch_key in (("W", "weight"), ("b", "bias"), ("gamma", "weight"),
                               ("beta", "bias")):  # fmt: skip
            if key in layer.grads:
                grad = getattr(part, torch_key).grad.numpy()
                grad = grad.T if key == "W" and grad.ndim == 2 else grad
                scale = max(np.abs(grad).max(), 1e-3)
                np.testing.assert_allclose(layer.grads[key], grad, rtol=0, atol=rtol * scale)
                compared += 1
    assert compared == len(model.params)


@pytest.mark.parametrize("name", list(MODELS))
def test_book_networks_and_a_trained_one(name):
    model = MODELS[name]()
    module = to_torch(model)
    for batch in (1, 7):
        x = mnist_images(model, batch)
        expected = model.predict(x)
        got = scores(module, x)
        assert np.max(np.abs(got - expected)) <= 1e-5
        np.testing.assert_array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    back = from_torch(module)
    x = mnist_images(model, 7)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.classes == model.classes and back.preprocess == model.preprocess
    assert back.spec() == model.spec()  # the same layers, options and classes


def test_gradients_of_simple_conv_net_in_training_mode():
    model = MODELS["trained"]()
    x = mnist_images(model, 16)
    assert_same_gradients(model, to_torch(model), x, np.arange(16) % 10, rtol=1e-4)


@SETTINGS
@given(model_specs(dropout=False))
def test_every_layer_option(spec):
    model = build(spec, dtype=np.float64)  # float64: batch norm on 3 images amplifies rounding
    assume(model is not None)
    module = to_torch(model)
    x = images(model, 3)
    np.testing.assert_allclose(scores(module, x), model.predict(x), rtol=0, atol=1e-10)
    assert_same_gradients(model, module, x, np.arange(3) % 2, rtol=1e-7)
    # one training step updated the running statistics alike (PyTorch's variance is unbiased)
    for name, layer in model.layers.items():
        if isinstance(layer, tk.BatchNormalization):
            part = getattr(module, name)
            np.testing.assert_allclose(layer.running_mean, part.running_mean.numpy(), atol=1e-10)
            if layer.unbiased_running_var:
                np.testing.assert_allclose(layer.running_var, part.running_var.numpy(), atol=1e-10)
    model.eval()
    back = from_torch(to_torch(model))
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_dropout_and_batch_norm_conventions():
    spec = {
        "input_shape": [2, 5, 5],
        "layers": [
            {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
            {"type": "BatchNormalization", "momentum": 0.8, "eps": 1e-6},
            {"type": "ReLU"},
            {"type": "Linear", "out_features": 6},
            {"type": "Dropout", "p": 0.3},
            {"type": "Linear", "out_features": 3},
        ],
    }
    module = to_torch(build(spec))
    assert isinstance(module.Affine1_flatten, nn.Flatten)  # the book's Affine flattens
    assert module.BatchNorm1.momentum == pytest.approx(0.2)  # the share of the new batch
    assert module.BatchNorm1.eps == 1e-6
    assert module.Dropout1.p == 0.3
    back = from_torch(module)
    assert [type(layer).__name__ for layer in back.layers] == [
        "Conv2d", "BatchNormalization", "Relu", "Linear", "Dropout", "Linear"
    ]  # fmt: skip
    assert back.layers["BatchNorm1"].momentum == 0.8


def test_model_pt_and_its_generated_python(tmp_path, monkeypatch):
    model = MODELS["trained"]()
    pt, source = save_torch(model, tmp_path / "model.pt")
    x = mnist_images(model, 5)
    generated = runpy.run_path(source)  # the file a user runs: build() and load()
    np.testing.assert_array_equal(scores(generated["load"](), x), scores(to_torch(model), x))
    assert generated["CLASSES"] == model.classes
    assert set(torch.load(pt, weights_only=True)) == set(to_torch(model).state_dict())
    back = load_torch(pt)  # reads model.py without running it
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.preprocess == {"divide_by": 255}
    with pytest.raises(FileExistsError, match="already exists"):
        save_torch(model, tmp_path / "model.pt")
    save_torch(model, tmp_path / "model.pt", overwrite=True)


def test_load_torch_needs_the_architecture(tmp_path):
    model = MODELS["SimpleConvNet"]()
    torch.save(to_torch(model).state_dict(), tmp_path / "weights.pt")
    with pytest.raises(FileNotFoundError, match="weights.py"):
        load_torch(tmp_path / "weights.pt")
    back = load_torch(tmp_path / "weights.pt", module=to_torch(model))
    x = mnist_images(model, 3)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="is not a PyTorch state_dict"):
        load_torch(tmp_path / "bad.pt", module=to_torch(model))


def test_a_module_written_in_pytorch():
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding="same", bias=False),
        nn.Tanh(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 3),
        nn.Identity(),
    ).eval()
    with torch.no_grad():  # running statistics other than 0 and 1
        module[1].running_mean.uniform_(-1, 1)
        module[1].running_var.uniform_(0.5, 2)
    with pytest.raises(ValueError, match="input shape"):
        from_torch(module)
    model = from_torch(module, input_shape=(1, 8, 8))
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    assert np.max(np.abs(model.predict(x) - scores(module, x))) <= 1e-5


def test_unsupported_modules_are_refused_by_name():
    with pytest.raises(ValueError, match=r"module 1 \(GELU\): the module cannot be imported"):
        from_torch(nn.Sequential(nn.Flatten(), nn.GELU()), input_shape=(4,))
    with pytest.raises(ValueError, match=r"output_size=2"):
        from_torch(nn.Sequential(nn.AdaptiveAvgPool2d(2)), input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="return_indices=True"):
        from_torch(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), input_shape=(1, 4, 4))
    with pytest.raises(TypeError, match="torch.nn.Sequential"):
        from_torch(nn.Linear(3, 2), input_shape=(3,))

    class Square(tk.Layer):
        def forward(self, x):
            return x * x

    odd = tk.Sequential([Square(), tk.Affine(np.ones((4, 2), np.float32))], input_shape=(4,))
    with pytest.raises(ValueError, match="layer Square1: a layer of type Square"):
        to_torch(odd)


def test_tatamikomi_imports_without_onnx_and_torch():
    import subprocess

    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['onnx'] = None\n"
        "import tatamikomi, tatamikomi.export\n"
        "try:\n    tatamikomi.export.to_torch(tatamikomi.SimpleConvNet())\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(__import__("pathlib").Path(tk.__file__).parents[1])},
    )  # fmt: skip
    assert 'pip install "tatamikomi[torch]"' in out.stdout


def test_leaky_relu_maps_by_its_spec_type():
    model = tk.Sequential(
        [tk.Conv2d(1, 2, 3, seed=0), tk.LeakyReLU(0.2), tk.Linear(18, 3, seed=1)],
        input_shape=(1, 5, 5),
    )
    module = to_torch(model)
    (leaky,) = [m for m in module if isinstance(m, nn.LeakyReLU)]
    assert leaky.negative_slope == 0.2
    x = images(model, 3)
    assert np.max(np.abs(scores(module, x) - model.predict(x))) <= 1e-6


def test_cli_export_and_import(tmp_path, capsys):
    from tatamikomi.cli import main

    model = MODELS["trained"]()
    tk.save(model, tmp_path / "model.npz")
    pt = str(tmp_path / "model.pt")
    assert main(["export", str(tmp_path / "model.npz"), "-o", pt]) == 0
    assert "model.pt and " in capsys.readouterr().out
    assert (tmp_path / "model.py").is_file()
    assert main(["import", pt, "-o", str(tmp_path / "back.npz")]) == 0
    x = mnist_images(model, 4)
    np.testing.assert_array_equal(tk.load(tmp_path / "back.npz").predict(x), model.predict(x))
    (tmp_path / "model.py").unlink()
    assert main(["import", pt, "-o", str(tmp_path / "again.npz")]) == 1
    assert "model.py" in capsys.readouterr().err
