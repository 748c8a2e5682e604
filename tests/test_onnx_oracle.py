"""The ONNX reference evaluator as a second, independent oracle for the forward passes."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tatamikomi as tk
from tatamikomi import functional as F
from tatamikomi import lecture

onnx = pytest.importorskip("onnx", reason="onnx (the second oracle) is not installed")
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_onnx(op, inputs: dict, **attributes):
    """Evaluate one ONNX operator on float arrays with the reference evaluator."""
    dtype = (
        TensorProto.DOUBLE
        if next(iter(inputs.values())).dtype == np.float64
        else (TensorProto.FLOAT)
    )
    node = helper.make_node(op, list(inputs), ["Y"], **attributes)
    graph = helper.make_graph(
        [node],
        "oracle",
        [helper.make_tensor_value_info(name, dtype, None) for name in inputs],
        [helper.make_tensor_value_info("Y", dtype, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    return ReferenceEvaluator(model).run(None, inputs)[0]


def test_lecture_examples():
    x = lecture.INPUT[None, None].astype(np.float32)
    w = lecture.FILTER[None, None].astype(np.float32)
    np.testing.assert_array_equal(run_onnx("Conv", {"X": x, "W": w}), F.conv2d(x, w))
    np.testing.assert_array_equal(
        run_onnx("Conv", {"X": x, "W": w}, pads=[1, 1, 1, 1]), F.conv2d(x, w, padding=1)
    )
    np.testing.assert_array_equal(
        run_onnx("MaxPool", {"X": x}, kernel_shape=[2, 2], strides=[2, 2]), F.max_pool2d(x, 2)
    )


@SETTINGS
@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(0, 2)] * 2),
    st.tuples(*[st.integers(1, 2)] * 2),
    st.tuples(*[st.integers(3, 8)] * 2),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_conv(n, groups, per_group, kernel, stride, padding, dilation, hw, with_bias, seed):
    for size, k, p, d in zip(hw, kernel, padding, dilation):
        assume(size + 2 * p >= d * (k - 1) + 1)
    rng = np.random.default_rng(seed)
    channels, filters = groups * per_group, groups * 2
    x = rng.standard_normal((n, channels) + hw)
    w = rng.standard_normal((filters, per_group) + kernel)
    inputs = {"X": x, "W": w}
    b = None
    if with_bias:
        b = inputs["B"] = rng.standard_normal(filters)
    expected = run_onnx(
        "Conv",
        inputs,
        strides=list(stride),
        dilations=list(dilation),
        group=groups,
        pads=[padding[0], padding[1], padding[0], padding[1]],
    )
    np.testing.assert_allclose(
        F.conv2d(x, w, b, stride, padding, dilation, groups), expected, rtol=1e-10, atol=1e-12
    )


@SETTINGS
@given(
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(0, 1)] * 2),
    st.tuples(*[st.integers(1, 2)] * 2),
    st.tuples(*[st.integers(3, 9)] * 2),
    st.integers(0, 2**31 - 1),
)
def test_max_pool(kernel, stride, padding, dilation, hw, seed):
    # onnx 1.23's reference MaxPool fails ("zero-size array") when an axis with a 1-wide kernel
    # meets padding on the other axis, and reads pads as [begin1, end1, begin2, end2] where the
    # spec says [begin1, begin2, end1, end2]. So padding here is equal on both axes; the other
    # cases are checked against PyTorch.
    assume(not any(padding) or min(kernel) >= 2)
    assume(padding[0] == padding[1])
    for size, k, p, d in zip(hw, kernel, padding, dilation):
        assume(p <= k // 2 and size + 2 * p >= d * (k - 1) + 1)
        out = F.conv_output_size(size, k, 1, p, d)
        assume(all(any(0 <= o - p + i * d < size for i in range(k)) for o in range(out)))
    x = np.random.default_rng(seed).standard_normal((2, 3) + hw)
    expected = run_onnx(
        "MaxPool",
        {"X": x},
        kernel_shape=list(kernel),
        strides=list(stride),
        dilations=list(dilation),
        pads=[padding[0], padding[1], padding[0], padding[1]],
    )
    np.testing.assert_array_equal(F.max_pool2d(x, kernel, stride, padding, dilation), expected)


@SETTINGS
@given(
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(1, 3)] * 2),
    st.tuples(*[st.integers(0, 1)] * 2),
    st.tuples(*[st.integers(3, 9)] * 2),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_average_pool(kernel, stride, padding, hw, count_include_pad, seed):
    for k, p in zip(kernel, padding):
        assume(p <= k // 2)
    x = np.random.default_rng(seed).standard_normal((2, 3) + hw)
    expected = run_onnx(
        "AveragePool",
        {"X": x},
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=[padding[0], padding[1], padding[0], padding[1]],
        count_include_pad=int(count_include_pad),
    )
    np.testing.assert_allclose(
        F.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad),
        expected,
        rtol=1e-12,
    )


def test_activations_affine_global_pool_and_batchnorm():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5, 6)) * 5
    for op, layer in (
        ("Relu", tk.Relu()),
        ("Sigmoid", tk.Sigmoid()),
        ("Tanh", tk.Tanh()),
        ("GlobalAveragePool", tk.GlobalAveragePooling()),
        ("Flatten", tk.Flatten()),
    ):
        np.testing.assert_allclose(layer.forward(x), run_onnx(op, {"X": x}), rtol=1e-12, err_msg=op)
    logits = rng.standard_normal((4, 10))
    np.testing.assert_allclose(F.softmax(logits), run_onnx("Softmax", {"X": logits}), rtol=1e-12)
    W, b = rng.standard_normal((120, 7)), rng.standard_normal(7)
    np.testing.assert_allclose(
        tk.Affine(W, b).forward(x),
        run_onnx("Gemm", {"A": x.reshape(3, -1), "B": W, "C": b}),
        rtol=1e-12,
    )
    bn = tk.BatchNorm2d(4, dtype=np.float64).eval()
    bn.gamma[...], bn.beta[...] = rng.standard_normal(4), rng.standard_normal(4)
    bn.running_mean[...], bn.running_var[...] = rng.standard_normal(4), rng.random(4) + 0.5
    expected = run_onnx(
        "BatchNormalization",
        {
            "X": x,
            "scale": bn.gamma,
            "B": bn.beta,
            "input_mean": bn.running_mean,
            "input_var": bn.running_var,
        },
        epsilon=bn.eps,
    )
    np.testing.assert_allclose(bn.forward(x), expected, rtol=1e-10)
