"""PyTorch as the independent oracle: outputs and every gradient, on randomised configurations."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tatamikomi.functional as F

torch = pytest.importorskip("torch", reason="PyTorch (the test oracle) is not installed")
torch.set_num_threads(1)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = st.sampled_from([np.float32, np.float64])


def tolerance(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


def torch_grads(fn, *arrays):
    """Run fn on torch copies of arrays and backpropagate a random dout; return out, dout, grads."""
    tensors = [None if a is None else torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    out = fn(*tensors)
    dout = np.random.default_rng(7).standard_normal(tuple(out.shape)).astype(arrays[0].dtype)
    out.backward(torch.from_numpy(dout))
    grads = [None if t is None else t.grad.numpy() for t in tensors]
    return out.detach().numpy(), dout, grads


def pair_st(low, high):
    return st.tuples(st.integers(low, high), st.integers(low, high))


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 3))
    filters = groups * draw(st.integers(1, 3))
    kernel = draw(pair_st(1, 4))
    stride = draw(pair_st(1, 3))
    dilation = draw(pair_st(1, 3))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    height, width = draw(pair_st(1, 9))
    padding = draw(st.one_of(pair_st(0, 3), st.sampled_from(["valid", "same"])))
    if padding == "same":
        assume(stride == (1, 1))
        pads = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)]
        pads = [(p // 2, p - p // 2) for p in pads]
    elif padding == "valid":
        pads = [(0, 0), (0, 0)]
    else:
        pads = [(padding[0],) * 2, (padding[1],) * 2]
    for size, (before, after), k, d in zip((height, width), pads, kernel, dilation):
        assume(size + before + after >= d * (k - 1) + 1)
        if mode == "reflect":
            assume(max(before, after) < size)
        if mode == "circular":
            assume(max(before, after) <= size)
    return dict(
        n=draw(st.integers(1, 3)),
        channels=channels,
        filters=filters,
        groups=groups,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        mode=mode,
        hw=(height, width),
        bias=draw(st.booleans()),
        dtype=draw(DTYPES),
    )


def torch_conv(case):
    def run(x, w, b):
        kwargs = dict(stride=case["stride"], dilation=case["dilation"], groups=case["groups"])
        padding = case["padding"]
        if case["mode"] == "zeros":
            return torch.nn.functional.conv2d(x, w, b, padding=padding, **kwargs)
        conv = torch.nn.Conv2d(
            case["channels"],
            case["filters"],
            case["kernel"],
            padding=padding,
            padding_mode=case["mode"],
            bias=b is not None,
            **kwargs,
        )
        return conv._conv_forward(x, w, b)

    return run


@SETTINGS
@given(conv_cases(), st.integers(0, 2**31 - 1))
def test_conv2d_matches_torch(case, seed):
    rng = np.random.default_rng(seed)
    dtype = case["dtype"]
    x = rng.standard_normal((case["n"], case["channels"]) + case["hw"]).astype(dtype)
    w = rng.standard_normal((case["filters"], case["channels"] // case["groups"]) + case["kernel"])
    w = w.astype(dtype)
    b = rng.standard_normal(case["filters"]).astype(dtype) if case["bias"] else None
    expected, dout, (dx_t, dw_t, db_t) = torch_grads(torch_conv(case), x, w, b)
    out, cache = F.conv2d_forward(
        x, w, b, case["stride"], case["padding"], case["dilation"], case["groups"], case["mode"]
    )
    assert out.dtype == dtype and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **tolerance(dtype))
    dx, dw, db = F.conv2d_backward(dout, cache)
    assert dx.dtype == dw.dtype == dtype
    np.testing.assert_allclose(dx, dx_t, **tolerance(dtype))
    np.testing.assert_allclose(dw, dw_t, **tolerance(dtype))
    if case["bias"]:
        np.testing.assert_allclose(db, db_t, **tolerance(dtype))
    else:
        assert db is None


@st.composite
def pool_cases(draw, with_dilation):
    kernel = draw(pair_st(1, 4))
    stride = draw(st.one_of(st.none(), pair_st(1, 3)))
    dilation = draw(pair_st(1, 2)) if with_dilation else (1, 1)
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    hw = draw(pair_st(1, 10))
    ceil_mode = draw(st.booleans())
    for axis in (0, 1):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        assume(hw[axis] + 2 * padding[axis] >= span)
        # A dilated window whose taps all fall on padding is refused (PyTorch returns -inf there
        # and its backward can abort); test_errors.py tests that refusal.
        out = F.conv_output_size(
            hw[axis],
            kernel[axis],
            (stride or kernel)[axis],
            padding[axis],
            dilation[axis],
            ceil_mode,
        )
        for start in range(0, out * (stride or kernel)[axis], (stride or kernel)[axis]):
            taps = [start - padding[axis] + i * dilation[axis] for i in range(kernel[axis])]
            assume(any(0 <= t < hw[axis] for t in taps))
    return dict(
        n=draw(st.integers(1, 3)),
        c=draw(st.integers(1, 3)),
        hw=hw,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        dtype=draw(DTYPES),
        ties=draw(st.booleans()),
    )


def pool_input(case, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case["n"], case["c"]) + case["hw"])
    if case["ties"]:
        x = np.maximum(np.round(x), 0)  # many equal maxima, as after ReLU
    return x.astype(case["dtype"])


@SETTINGS
@given(pool_cases(with_dilation=True), st.integers(0, 2**31 - 1))
def test_max_pool2d_matches_torch(case, seed):
    x = pool_input(case, seed)
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"], case["ceil_mode"])

    def run(t):
        return torch.nn.functional.max_pool2d(
            t,
            case["kernel"],
            case["stride"] or None,
            case["padding"],
            case["dilation"],
            case["ceil_mode"],
        )

    expected, dout, (dx_t,) = torch_grads(run, x)
    out, cache = F.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(out, expected)
    _, indices = F.max_pool2d(x, *args, return_indices=True)
    _, indices_t = torch.nn.functional.max_pool2d(
        torch.from_numpy(x),
        case["kernel"],
        case["stride"] or None,
        case["padding"],
        case["dilation"],
        case["ceil_mode"],
        return_indices=True,
    )
    np.testing.assert_array_equal(indices, indices_t.numpy())
    np.testing.assert_allclose(F.max_pool2d_backward(dout, cache), dx_t, **tolerance(case["dtype"]))
    # inference's own path (the maxima alone), and with a NaN in the input
    np.testing.assert_array_equal(F.max_pool2d(x, *args), expected)
    x[0, 0, 0, 0] = np.nan
    with_nan = run(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(F.max_pool2d(x, *args), with_nan)


@SETTINGS
@given(pool_cases(with_dilation=False), st.booleans(), st.integers(0, 2**31 - 1))
def test_avg_pool2d_matches_torch(case, count_include_pad, seed):
    x = pool_input(case, seed)

    def run(t):
        return torch.nn.functional.avg_pool2d(
            t,
            case["kernel"],
            case["stride"] or None,
            case["padding"],
            case["ceil_mode"],
            count_include_pad,
        )

    expected, dout, (dx_t,) = torch_grads(run, x)
    out, cache = F.avg_pool2d_forward(
        x, case["kernel"], case["stride"], case["padding"], case["ceil_mode"], count_include_pad
    )
    np.testing.assert_allclose(out, expected, **tolerance(case["dtype"]))
    np.testing.assert_allclose(F.avg_pool2d_backward(dout, cache), dx_t, **tolerance(case["dtype"]))


@pytest.mark.parametrize("shape", [(100, 30, 24, 24), (4, 3, 8, 6)])
def test_max_pool_2x2_fast_path_is_bit_exact_with_ties(shape):
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
    x[0, 0, :2, :2] = 1.0  # four-way tie
    x[0, 0, 2, 3] = x[0, 0, 3, 2] = 5.0  # tie across rows and columns
    expected, dout, (dx_t,) = torch_grads(lambda t: torch.nn.functional.max_pool2d(t, 2), x)
    out, cache = F.max_pool2d_forward(x, 2)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(F.max_pool2d_backward(dout, cache), dx_t)


def test_max_pool_propagates_nan_like_torch():
    x = np.arange(32, dtype=np.float64).reshape(1, 2, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x[0, 1, 1, 2] = np.nan
    for kernel, stride in ((2, 2), (3, 1)):
        expected, dout, (dx_t,) = torch_grads(
            lambda t: torch.nn.functional.max_pool2d(t, kernel, stride), x
        )
        out, cache = F.max_pool2d_forward(x, kernel, stride)
        np.testing.assert_array_equal(out, expected)
        # Overlapping windows add into one pixel in a different order: equal up to rounding.
        np.testing.assert_allclose(F.max_pool2d_backward(dout, cache), dx_t, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_matches_torch(dtype):
    rng = np.random.default_rng(3)
    logits = (rng.standard_normal((7, 5)) * 4).astype(dtype)
    labels = rng.integers(0, 5, 7)
    t_logits = torch.from_numpy(logits.copy()).requires_grad_()
    loss_t = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(labels))
    loss_t.backward()
    assert F.softmax_cross_entropy(logits, labels) == pytest.approx(loss_t.item(), rel=1e-5)
    loss, cache = F.softmax_cross_entropy_forward(logits, labels)
    assert loss == F.softmax_cross_entropy(logits, labels)
    grad = F.softmax_cross_entropy_backward(1, cache)
    np.testing.assert_allclose(grad, t_logits.grad.numpy(), **tolerance(dtype))
    onehot = np.eye(5, dtype=dtype)[labels]
    assert F.softmax_cross_entropy(logits, onehot) == pytest.approx(loss_t.item(), rel=1e-5)


def test_2x2_fast_paths_indices_infinite_gradients_and_average():
    rng = np.random.default_rng(5)
    x = np.maximum(np.round(rng.standard_normal((3, 4, 6, 8)) * 2), 0).astype(np.float32)
    _, indices = F.max_pool2d(x, 2, return_indices=True)
    _, indices_t = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(indices, indices_t.numpy())
    dout = rng.standard_normal((3, 4, 3, 4)).astype(np.float32)
    dout[0, 0, 0, 0], dout[1, 2, 1, 3] = np.inf, -np.inf
    _, cache = F.max_pool2d_forward(x, 2)
    xt = torch.from_numpy(x).requires_grad_()
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(F.max_pool2d_backward(dout, cache), xt.grad.numpy())
    dout = rng.standard_normal((3, 4, 3, 4)).astype(np.float32)
    expected, _, (dx_t,) = torch_grads(lambda t: torch.nn.functional.avg_pool2d(t, 2), x)
    out, cache = F.avg_pool2d_forward(x, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(
        F.avg_pool2d_backward(dout, cache),
        torch.autograd.grad(torch.nn.functional.avg_pool2d(xt, 2), xt, torch.from_numpy(dout))[0],
        rtol=1e-6,
    )


@pytest.fixture(params=["wide", "compact"])
def forced_layout(request, monkeypatch):
    """Stride-1 convolutions pick the "wide" layout only for rows little wider than the output,
    which the small random images rarely are: run the oracle with each layout forced."""
    from tatamikomi.functional import _conv_engine

    monkeypatch.setattr(_conv_engine, "WIDE_MAX_EXTRA", 1000.0 if request.param == "wide" else 0.0)
    monkeypatch.setattr(_conv_engine, "BATCHED_MIN_CHANNELS", 10**9)
    return request.param


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=conv_cases(), seed=st.integers(0, 2**31 - 1))
def test_the_batched_layout_matches_torch(monkeypatch, case, seed):
    """The "batched" layout (batch innermost, one product per chunk) on every option, with
    chunks of one to a few images."""
    from tatamikomi.functional import _conv_engine

    monkeypatch.setattr(_conv_engine, "BATCHED_MIN_CHANNELS", 1)
    monkeypatch.setattr(_conv_engine, "BATCHED_MAX_WIDTH", 10**9)
    monkeypatch.setattr(_conv_engine, "BATCHED_CHUNK_BYTES", (1, 2**12, 2**24)[seed % 3])
    chosen, choose = [], _conv_engine.choose_layout
    monkeypatch.setattr(
        _conv_engine, "choose_layout", lambda *a: chosen.append(choose(*a)) or chosen[-1]
    )
    test_conv2d_matches_torch.hypothesis.inner_test(case, seed)
    assert chosen and set(chosen) <= {"batched", "view"}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=conv_cases(), seed=st.integers(0, 2**31 - 1))
def test_conv2d_layouts_match_torch(forced_layout, case, seed):
    from tatamikomi.functional import _conv_engine

    case = dict(case, stride=(1, 1), padding=case["padding"] if case["padding"] != "same" else 1)
    for size, k, d in zip(case["hw"], case["kernel"], case["dilation"]):
        pad = case["padding"] if isinstance(case["padding"], int) else 0
        assume(size + 2 * pad >= d * (k - 1) + 1)
        if case["mode"] == "reflect":
            assume(pad < size)
    window = F.window2d(case["hw"], case["kernel"], 1, case["padding"], case["dilation"])
    assert _conv_engine.choose_layout(window) in (forced_layout, "view")
    test_conv2d_matches_torch.hypothesis.inner_test(case, seed)
