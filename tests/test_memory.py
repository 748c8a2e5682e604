"""Inference in bounded memory: predict slices large batches by the memory budget."""

import tracemalloc

import numpy as np
import pytest

import tatamikomi as tk


@pytest.fixture
def budget():
    saved = tk.get_memory_budget()
    yield tk.set_memory_budget
    tk.set_memory_budget(saved)


def test_predict_slices_by_the_budget_and_gives_the_same_scores(budget, monkeypatch):
    model = tk.DeepConvNet(seed=0)
    x = np.random.default_rng(0).random((100, 1, 28, 28), dtype=np.float32)
    whole = model.predict(x, batch_size=100)
    budget(1 << 20)  # 1 MB: 20 images of 16x28x28 float32 per slice
    sizes = []
    forward = model._infer
    monkeypatch.setattr(model, "_infer", lambda part: sizes.append(len(part)) or forward(part))
    np.testing.assert_allclose(model.predict(x), whole, rtol=1e-5, atol=1e-6)
    assert sizes == [20] * 5


def _stateful_layers(model):
    layers = [layer for layer in model.layers.values() if layer._backward_state]
    assert len(layers) >= 10, "DeepConvNet's convolutions, ReLUs, poolings, Affines, Dropouts"
    return layers


def _held(layer) -> list:
    """For each attribute that can keep backward state, whether it does (a layer keeps some of
    them in training mode, others in eval mode: ReLU its mask, or its input to make one)."""
    return [getattr(layer, name) is not None for name in layer._backward_state]


def test_inference_lets_go_of_backward_state(budget):
    model = tk.DeepConvNet(seed=0)
    x = np.random.default_rng(0).random((10, 1, 28, 28), dtype=np.float32)
    model.gradient(x, np.arange(10))
    assert all(any(_held(layer)) for layer in _stateful_layers(model))
    model.predict(x)
    assert not any(any(_held(layer)) for layer in _stateful_layers(model))


def test_training_keeps_the_whole_batch_whatever_the_budget(budget):
    model = tk.DeepConvNet(seed=0)
    x = np.random.default_rng(0).random((100, 1, 28, 28), dtype=np.float32)
    budget(1 << 20)  # predict would run these 100 images 20 at a time
    model.gradient(x, np.arange(100) % 10)  # training keeps its state, and is never sliced
    assert all(any(_held(layer)) for layer in _stateful_layers(model))
    assert model.layers["Conv1"]._cache.x_shape[0] == 100
    assert model.layers["Affine1"].x.shape[0] == 100


def test_peak_memory_of_a_large_batch_stays_near_the_budget(budget):
    model = tk.DeepConvNet(seed=0)
    x = np.random.default_rng(0).random((1000, 1, 28, 28), dtype=np.float32)
    budget(4 << 20)
    model.predict(x[:10])  # warm up: the shape cache, thread pools
    tracemalloc.start()
    try:
        model.predict(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one slice's layer outputs and working arrays; the whole batch at once takes over 200 MB
    assert peak < 40 << 20, f"peak {peak / 2**20:.0f} MB"


def test_budget_is_checked():
    with pytest.raises(ValueError, match="at least 1 MB"):
        tk.set_memory_budget(1000)
