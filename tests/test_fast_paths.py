"""The speed-ups are exact: each fast path against the plain computation it replaces."""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import functional as F
from tatamikomi.models import execution_order as _execution_order


def _plain_gradient(model, x, t):
    """Forward and backward layer by layer in the listed order, nothing fused."""
    h = x
    for layer in model.layers:
        h = layer.forward(h)
    model.last_layer.forward(h, t)
    dout = model.last_layer.backward(1)
    for layer in reversed(model.layers.values()):
        dout = layer.backward(dout)
        if dout is None:
            break
    return {
        name: layer.grads[key].copy() for name, (layer, key) in model._locations["params"].items()
    }


@pytest.mark.parametrize("model_name", ["SimpleConvNet", "DeepConvNet"])
def test_relu_then_max_pooling_fused_is_exact(model_name):
    rng = np.random.default_rng(0)
    model = tk.models.get_model(model_name, seed=0)
    x = rng.standard_normal((6, 1, 28, 28)).astype(np.float32)
    x[:, :, :8, :8] = -1.0  # windows whose values are all negative: ReLU ties at zero
    t = rng.integers(0, 10, 6)
    swapped = [type(layer).__name__ for layer in _execution_order(model.layers.values())]
    assert ("MaxPooling", "Relu") in zip(swapped, swapped[1:])
    model.train(False)
    fused_scores = model.forward(x)
    plain_scores = x
    for layer in model.layers:
        plain_scores = layer.forward(plain_scores)
    np.testing.assert_array_equal(fused_scores, plain_scores)
    for layer in model.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(1)
    fused = {k: v.copy() for k, v in model.gradient(x, t).items()}
    for layer in model.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(1)
    model.train(True)
    first = model.layers[0]
    first.need_input_grad = False
    plain = _plain_gradient(model, x, t)
    first.need_input_grad = True
    for name in fused:
        np.testing.assert_array_equal(fused[name], plain[name], err_msg=name)


def test_fusion_keeps_nan_where_the_plain_order_does():
    relu, pool = tk.Relu(), tk.MaxPooling(2)
    x = np.array([[[[np.nan, -1.0], [2.0, -3.0]]]], dtype=np.float32)
    model = tk.Sequential([tk.Relu(), tk.MaxPooling(2), tk.Flatten()], input_shape=(1, 2, 2))
    np.testing.assert_array_equal(model.forward(x), pool.forward(relu.forward(x)).reshape(1, -1))
    dout = np.ones((1, 1), np.float32)
    np.testing.assert_array_equal(
        model.backward(dout), relu.backward(pool.backward(dout.reshape(1, 1, 1, 1)))
    )


def test_masked_gradient_is_np_where():
    rng = np.random.default_rng(0)
    dout = rng.standard_normal((300, 40, 30)).astype(np.float32)
    keep = rng.random(dout.shape) > 0.5
    np.testing.assert_array_equal(F.masked(dout, keep), np.where(keep, dout, 0))
    dout[0, 0, :3] = [np.inf, -np.inf, np.nan]
    keep[0, 0, :3] = False  # 0 * inf would give NaN: these must stay 0
    result = F.masked(dout, keep)
    assert (result[0, 0, :3] == 0).all()
    np.testing.assert_array_equal(result, np.where(keep, dout, 0))


def test_relu_layer_keeps_the_books_mask():
    x = np.array([[-1.0, 0.0, 2.0]], dtype=np.float32)
    relu = tk.Relu()
    assert relu.mask is None
    relu.forward(x)
    assert relu.mask.tolist() == [[True, True, False]]


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_adam_updates_any_layout_in_place(layout):
    rng = np.random.default_rng(0)
    base = rng.standard_normal((300, 500))
    grads = [rng.standard_normal(base.shape) for _ in range(3)]
    expected, reference = base.copy(), tk.Adam(lr=0.01)
    for g in grads:
        reference.update({"w": expected}, {"w": g})
    param = base.copy() if layout == "contiguous" else np.asfortranarray(base)
    optimizer = tk.Adam(lr=0.01)
    for g in grads:
        optimizer.update({"w": param}, {"w": g if layout == "contiguous" else g.T.copy().T})
    np.testing.assert_allclose(param, expected, rtol=1e-12)
    assert not np.array_equal(param, base)


# ---------------------------------------------------------------------------------------------
# The lecture's engine (its im2col code), chosen explicitly, against the fast engine

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tatamikomi import lecture  # noqa: E402


def _reseed_dropout(model):
    for layer in model.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(3)


@pytest.mark.parametrize("model_name", ["SimpleConvNet", "DeepConvNet"])
def test_book_networks_agree_on_both_engines(model_name):
    rng = np.random.default_rng(0)
    x, t = rng.random((5, 1, 28, 28)), rng.integers(0, 10, 5)
    results = {}
    for engine in ("fast", "lecture"):
        model = tk.models.get_model(model_name, seed=0, dtype=np.float64, engine=engine)
        _reseed_dropout(model)
        results[engine] = ({k: v.copy() for k, v in model.gradient(x, t).items()}, model.predict(x))
        convs = [layer for layer in model.layers if layer.kind == "conv"]
        assert all(isinstance(c, lecture.Convolution) == (engine == "lecture") for c in convs)
        if engine == "lecture":  # the lecture's network runs its layers as listed
            assert _execution_order(model.layers.values()) == list(model.layers.values())
        else:
            assert _execution_order(model.layers.values()) != list(model.layers.values())
    (fast, fast_scores), (slow, slow_scores) = results["fast"], results["lecture"]
    np.testing.assert_allclose(slow_scores, fast_scores, rtol=1e-10, atol=1e-12)
    for name in fast:
        np.testing.assert_allclose(slow[name], fast[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_a_spec_on_the_lecture_engine():
    spec = {
        "input_shape": [2, 9, 9],
        "layers": [
            {"type": "Conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1},
            {"type": "ReLU"},
            {"type": "AvgPool2d", "kernel_size": 2, "padding": 1},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 4},
        ],
    }
    fast = tk.from_spec(spec, seed=1, dtype=np.float64)
    slow = tk.from_spec(spec, seed=1, dtype=np.float64, engine="lecture")
    first_three = [type(layer) for layer in slow.layers][:3]
    assert first_three == [lecture.Convolution, tk.Relu, lecture.Pooling]
    assert slow.spec() == fast.spec()
    x = np.random.default_rng(2).standard_normal((3, 2, 9, 9))
    np.testing.assert_allclose(slow.predict(x), fast.predict(x), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    size=st.integers(4, 9),
    fn=st.integers(1, 4),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    mode=st.sampled_from(["max", "avg"]),
    seed=st.integers(0, 2**16),
)
def test_layers_agree_on_both_engines(n, c, size, fn, k, stride, pad, mode, seed):
    rng = np.random.default_rng(seed)
    if k > size + 2 * pad:
        return
    x = rng.standard_normal((n, c, size, size))
    w, b = rng.standard_normal((fn, c, k, k)), rng.standard_normal(fn)
    pool_pad = 0 if mode == "max" else min(pad, k // 2)
    results = []
    for Conv, Pool in ((tk.Convolution, tk.Pooling), (lecture.Convolution, lecture.Pooling)):
        conv, pool = Conv(w, b, stride, pad), Pool(k, k, stride, pool_pad, mode=mode)
        y = conv.forward(x)
        z = pool.forward(y) if min(y.shape[2:]) + 2 * pool_pad >= k else None
        dz = None if z is None else pool.backward(np.ones_like(z) * 0.5)
        dx = conv.backward(np.cos(y))
        results.append((y, z, dz, dx, conv.dW.copy(), conv.db.copy()))
    for fast, slow in zip(*results):
        if fast is not None:
            np.testing.assert_allclose(slow, fast, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "layer, message",
    [
        (tk.Conv2d(2, 2, 3, dilation=2), "dilation"),
        (tk.Conv2d(2, 2, 3, groups=2), "groups"),
        (tk.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
        (tk.Conv2d(2, 2, 3, stride=(1, 2)), "one int"),
        (tk.MaxPool2d(2, padding=1), "-inf"),
        (tk.MaxPool2d(2, ceil_mode=True), "ceil_mode"),
    ],
)
def test_the_lecture_engine_refuses_what_it_does_not_implement(layer, message):
    convert = lecture.Convolution if layer.kind == "conv" else lecture.Pooling
    with pytest.raises(ValueError, match="lecture's") as error:
        convert.from_layer(layer)
    assert message in str(error.value)


def test_no_process_wide_switch_is_left():
    import tatamikomi

    assert not hasattr(tatamikomi, "reference")
    with pytest.raises(ValueError, match="engine must be 'fast' or 'lecture'"):
        tk.SimpleConvNet(engine="slow")


def test_optimizer_state_does_not_decay_into_subnormal_numbers():
    from tatamikomi.optim import FLUSH_EVERY

    p = np.ones(1000, np.float32)
    g = np.zeros(1000, np.float32)
    g[:10] = 1.0  # the rest get no gradient after the first step, like dead ReLU units
    optimizer = tk.Adam(lr=0.001)
    optimizer.update({"w": p}, {"w": np.ones(1000, np.float32)})
    for _ in range(8 * FLUSH_EVERY):
        optimizer.update({"w": p}, {"w": g})
    m = optimizer.state["w"]["m"]
    tiny = np.finfo(np.float32).tiny
    assert not np.any((m != 0) & (np.abs(m) < tiny))  # 0.9**800 would be 1e-37 and below
    assert (m[:10] > 0.5).all() and (m[10:] == 0).all()


@settings(max_examples=25, deadline=None)
@given(
    group_channels=st.sampled_from([8, 9, 16]),
    groups=st.integers(1, 2),
    filters_per_group=st.integers(1, 5),
    size=st.integers(3, 9),
    k=st.integers(2, 3),
    dilation=st.integers(1, 2),
    pad_fraction=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_input_gradient_as_a_convolution_matches_pytorch(
    group_channels, groups, filters_per_group, size, k, dilation, pad_fraction, seed
):
    torch = pytest.importorskip("torch")
    from tatamikomi.functional import _conv_engine

    reach = dilation * (k - 1)
    pad = round(pad_fraction * reach)
    if size + 2 * pad < reach + 1:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, group_channels * groups, size, size))
    w = rng.standard_normal((filters_per_group * groups, group_channels, k, k))
    out, cache = F.conv2d_forward(x, w, None, 1, pad, dilation, groups)
    assert _conv_engine.input_gradient_by_convolution(cache)
    dout = rng.standard_normal(out.shape)
    dx, dw, _ = F.conv2d_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, None, 1, pad, dilation, groups)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_inference_keeps_no_masks_and_a_later_backward_pass_still_works():
    """In eval mode max pooling and ReLU compute their outputs alone (no winners, no mask);
    a backward pass after such a forward pass makes them then, with the same result."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    for layer, shape in ((tk.Pooling(2, 2), (4, 3, 4, 4)), (tk.Pooling(3, 3, 2, 1), (4, 3, 4, 4)),
                         (tk.Relu(), x.shape)):  # fmt: skip
        dout = rng.standard_normal(shape).astype(np.float32)
        out = layer.forward(x)
        dx = layer.backward(dout)
        layer.train(False)
        np.testing.assert_array_equal(layer.forward(x), out)
        assert getattr(layer, "_cache", None) is None and getattr(layer, "_keep", None) is None
        np.testing.assert_array_equal(layer.backward(dout), dx)
        layer.train(True)
