"""What every function promises: dtypes kept, callers' arrays untouched, threads invisible."""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import functional as F


def lecture_layers(dtype):
    """The lecture's constructors, from arrays: tests/test_layer_battery.py holds every spec
    type (built from its spec) to the same contracts."""
    rng = np.random.default_rng(0)
    return [
        tk.Convolution(rng.standard_normal((2, 3, 2, 2)).astype(dtype), np.zeros(2, dtype)),
        tk.Affine(rng.standard_normal((3 * 8 * 8, 5)).astype(dtype), np.zeros(5, dtype)),
        tk.MaxPooling(2, 2),
        tk.AveragePooling(3, 3, 2, 1),
        tk.Relu(),
        tk.BatchNormalization(np.ones(3, dtype), np.zeros(3, dtype)),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_inputs_are_not_mutated(dtype):
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(dtype)
    for layer in lecture_layers(dtype):
        x_before = x.copy()
        out = layer.forward(x)
        assert out.dtype == dtype, type(layer).__name__
        dout = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
        dout_before = dout.copy()
        dx = layer.backward(dout)
        assert dx.dtype == dtype and dx.shape == x.shape, type(layer).__name__
        for key, grad in layer.grads.items():
            assert grad.dtype == layer.params[key].dtype == dtype
            assert grad.shape == layer.params[key].shape
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(dout, dout_before)


def test_float32_by_default_and_integers_computed_in_float32():
    assert tk.Conv2d(1, 2, 3).W.dtype == np.float32
    assert tk.Linear(4, 2).W.dtype == np.float32
    out = F.conv2d(np.ones((1, 1, 4, 4), np.int32), np.ones((1, 1, 3, 3), np.int32))
    assert out.dtype == np.float32
    assert tk.im2col(np.ones((1, 1, 4, 4), np.int16), 2, 2).dtype == np.int16  # a rearrangement


def test_mixed_dtypes_promote_and_gradients_keep_their_owner_dtype():
    layer = tk.Conv2d(1, 2, 3)  # float32 weights
    x = np.random.default_rng(0).random((2, 1, 5, 5))  # float64, as np.random gives
    out = layer.forward(x)
    assert out.dtype == np.float64
    dx = layer.backward(np.ones_like(out))
    assert dx.dtype == np.float64 and layer.dW.dtype == np.float32


def test_constructor_copies_its_arrays():
    W = np.ones((2, 1, 3, 3))
    layer = tk.Convolution(W, np.zeros(2))
    layer.W[...] = 5
    assert W[0, 0, 0, 0] == 1


def test_attributes_and_dicts_are_the_same_arrays():
    layer = tk.Conv2d(2, 3, 3, seed=0)
    assert layer.W is layer.params["W"] is layer.weight
    assert layer.b is layer.params["b"] is layer.bias
    layer.forward(np.ones((1, 2, 5, 5), np.float32))
    layer.backward(np.ones((1, 3, 3, 3), np.float32))
    assert layer.dW is layer.grads["W"] and layer.db is layer.grads["b"]
    layer.params["W"] = np.zeros_like(layer.W)  # an optimizer may replace arrays
    assert np.all(layer.W == 0)
    assert set(layer.params) == set(layer.grads) == {"W", "b"}
    assert tk.Conv2d(2, 3, 3, bias=False).params.keys() == {"W"}


def test_train_and_eval_modes():
    layer = tk.Dropout(0.5)
    assert layer.training
    assert layer.eval() is layer and not layer.training
    assert layer.train() is layer and layer.training


@pytest.mark.parametrize(
    "case", ["conv", "conv_pad", "conv_stride", "linear", "max2x2", "maxpool", "avg2x2", "avgpool"]
)
def test_threads_do_not_change_results(case, monkeypatch):
    """Large batches are split across threads: element-wise results must not change by a bit,
    matrix products by more than rounding."""
    from tatamikomi import _parallel

    monkeypatch.setattr(_parallel, "MIN_ELEMENTS_PER_THREAD", 1024)  # split every case
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 8, 32, 32)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    dense = rng.standard_normal((8 * 32 * 32, 10)).astype(np.float32)
    forward, backward = {
        "conv": (lambda: F.conv2d_forward(x, w, None), F.conv2d_backward),
        "conv_pad": (
            lambda: F.conv2d_forward(x, w, None, 1, 1, padding_mode="zeros"),
            F.conv2d_backward,
        ),
        "conv_stride": (
            lambda: F.conv2d_forward(x, w, None, 2, 1, padding_mode="reflect"),
            F.conv2d_backward,
        ),
        "linear": (lambda: F.linear_forward(x.reshape(16, -1), dense), F.linear_backward),
        "max2x2": (lambda: F.max_pool2d_forward(x, 2), F.max_pool2d_backward),
        "maxpool": (lambda: F.max_pool2d_forward(x, 3, 2, 1), F.max_pool2d_backward),
        "avg2x2": (lambda: F.avg_pool2d_forward(x, 2), F.avg_pool2d_backward),
        "avgpool": (lambda: F.avg_pool2d_forward(x, 3, 2, 1), F.avg_pool2d_backward),
    }[case]
    results = []
    saved = tk.get_num_threads()
    try:
        for threads in (1, 3):
            tk.set_num_threads(threads)
            out, cache = forward()
            dout = np.random.default_rng(4).standard_normal(out.shape).astype(np.float32)
            grads = backward(dout, cache)
            results.append([out] + list(grads if isinstance(grads, tuple) else [grads]))
    finally:
        tk.set_num_threads(saved)
    for single, multi in zip(*results):
        if single is None:
            continue
        if case.startswith(("conv", "linear")):
            # BLAS may block a product of fewer rows differently: equal up to rounding.
            np.testing.assert_allclose(single, multi, rtol=1e-5, atol=1e-5 * np.abs(single).max())
        else:
            np.testing.assert_array_equal(single, multi)


def test_backward_can_run_twice_and_batches_may_change():
    rng = np.random.default_rng(5)
    for stride, padding in ((1, 1), (2, 1), (1, 0)):
        layer = tk.Conv2d(3, 4, 3, stride=stride, padding=padding, seed=0)
        for n in (4, 2, 4):  # the layer reuses its buffers when it can
            x = rng.standard_normal((n, 3, 9, 9)).astype(np.float32)
            out = layer.forward(x)
            dout = rng.standard_normal(out.shape).astype(np.float32)
            first = layer.backward(dout), layer.dW.copy(), layer.db.copy()
            second = layer.backward(dout), layer.dW, layer.db
            for a, b in zip(first, second):
                np.testing.assert_array_equal(a, b)
            expected, cache = F.conv2d_forward(x, layer.W, layer.b, stride, padding)
            np.testing.assert_array_equal(out, expected)
            np.testing.assert_array_equal(first[0], F.conv2d_backward(dout, cache)[0])


def test_blas_threads_are_restored_after_concurrent_use():
    import threading

    from tatamikomi import _blas

    if not _blas.available():
        pytest.skip("threadpoolctl finds no BLAS whose threads it can set")

    def get():
        return [lib.get_num_threads() for lib in _blas._blas_controller().lib_controllers]

    before = get()
    if set(before) == {1}:
        pytest.skip("BLAS runs on one thread already: nothing to limit or restore")
    x = np.random.default_rng(0).standard_normal((64, 8, 32, 32)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((8, 8, 3, 3)).astype(np.float32)

    def train_a_little():
        layer = tk.Convolution(w, np.zeros(8, np.float32), pad=1)
        for _ in range(5):
            layer.backward(np.ones_like(layer.forward(x)))

    workers = [threading.Thread(target=train_a_little) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert get() == before
    with _blas.single_threaded():
        assert set(get()) == {1}
        with _blas.single_threaded():
            assert set(get()) == {1}
        assert set(get()) == {1}
    assert get() == before
    # a block begun in one thread and ended last in another: the other restores the count
    begun, main_left = threading.Event(), threading.Event()
    seen = []

    def other():
        with _blas.single_threaded():
            begun.set()
            main_left.wait(10)
            seen.append(get())
        seen.append(get())

    with _blas.single_threaded():
        worker = threading.Thread(target=other)
        worker.start()
        begun.wait(10)
    main_left.set()
    worker.join()
    assert set(seen[0]) == {1} and seen[1] == before
    assert get() == before


def test_every_public_layer_documents_its_shape():
    """PyTorch's habit: a Shape section on every layer class, aliases included."""
    from tatamikomi import layers

    classes = {name: getattr(layers, name) for name in layers.__all__}
    missing = [
        name
        for name, cls in classes.items()
        if isinstance(cls, type) and "Shape:" not in (cls.__doc__ or "")
    ]
    assert not missing, f"no Shape section: {missing}"


def test_predict_restores_the_modes_it_found():
    model = tk.DeepConvNet(seed=0)
    x = np.zeros((2, 1, 28, 28), np.float32)
    model.train()
    model.predict(x)
    assert all(layer.training for layer in model.layers)
    model.eval()
    model.predict(x, train_flg=True)
    assert not any(layer.training for layer in model.layers)
