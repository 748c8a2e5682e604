"""ONNX export and import: onnxruntime and ONNX's reference evaluator compute what tatamikomi
computes, the file passes the full checker, and round trips keep the predictions bit for bit."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import tatamikomi as tk
from tatamikomi.export import from_onnx, to_onnx

from .export_models import MODELS, mnist_images
from .export_specs import build, images, model_specs

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install tatamikomi[onnx])")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
from onnx.reference import ReferenceEvaluator  # noqa: E402

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


def run_both(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return (
        session.run(None, {"input": x})[0],
        ReferenceEvaluator(proto).run(None, {"input": x})[0],
    )


def assert_same_function(model, proto, x):
    expected = model.predict(x)
    for got in run_both(proto, x):
        assert got.shape == expected.shape
        assert np.max(np.abs(got - expected)) <= 1e-5
        np.testing.assert_array_equal(got.argmax(axis=1), expected.argmax(axis=1))


@pytest.mark.parametrize("name", list(MODELS))
def test_book_networks_and_a_trained_one(name, tmp_path):
    model = MODELS[name]()
    proto = to_onnx(model, tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(tmp_path / "model.onnx"), full_check=True)
    for batch in (1, 7):  # the batch axis is dynamic
        assert_same_function(model, proto, mnist_images(model, batch))
    back = from_onnx(tmp_path / "model.onnx")
    x = mnist_images(model, 7)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert back.input_shape == model.input_shape
    assert back.spec() == model.spec()  # the same layers, options and classes


@SETTINGS
@given(model_specs())
def test_every_layer_option(spec):
    model = build(spec)
    assume(model is not None)
    proto = to_onnx_checked(model, opset=19)  # 19: Pad mode 'wrap' for circular padding
    assert_same_function(model, proto, images(model, 3))
    back = from_onnx(proto)
    x = images(model, 3, seed=2)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def to_onnx_checked(model, **options):
    from tatamikomi.export.onnx import to_onnx_model

    proto = to_onnx_model(model, **options)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def test_metadata_travels_and_the_import_is_a_normal_model(tmp_path):
    model = MODELS["trained"]()
    to_onnx(model, tmp_path / "model.onnx")
    meta = {p.key: json.loads(p.value) for p in onnx.load(tmp_path / "model.onnx").metadata_props}
    assert meta["name"] == "SimpleConvNet"
    assert meta["preprocess"] == {"divide_by": 255}
    back = from_onnx(tmp_path / "model.onnx")
    assert back.classes == model.classes and back.preprocess == model.preprocess
    assert back.output_shapes() == model.output_shapes()
    tk.save(back, tmp_path / "back.npz")  # a model file like any other
    again = tk.load(tmp_path / "back.npz")
    x = mnist_images(model, 5)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_softmax_option(tmp_path):
    model = MODELS["SimpleConvNet"]()
    proto = to_onnx(model, tmp_path / "p.onnx", softmax=True)
    x = mnist_images(model, 4)
    expected = tk.functional.softmax(model.predict(x))
    for got in run_both(proto, x):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    back = from_onnx(proto)  # the final Softmax is left out: the model gives scores
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_asymmetric_same_padding_with_an_even_filter():
    spec = {
        "input_shape": [1, 6, 6],
        "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 4, "padding": "same"},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 3},
        ],
    }
    model = build(spec)
    proto = to_onnx_checked(model)
    conv = next(n for n in proto.graph.node if n.op_type == "Conv")
    assert list(next(a for a in conv.attribute if a.name == "pads").ints) == [1, 1, 2, 2]
    assert_same_function(model, proto, images(model, 2))
    assert from_onnx(proto).layers[0].pad == "same"


def test_existing_file_is_kept(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="already exists"):
        to_onnx(MODELS["SimpleConvNet"](), path)
    assert path.read_bytes() == b"keep"


def test_refusals_name_the_layer_and_the_option(tmp_path):
    spec = {
        "input_shape": [1, 6, 6],
        "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1,
             "padding_mode": "circular"},
            {"type": "Linear", "out_features": 3},
        ],
    }  # fmt: skip
    with pytest.raises(ValueError, match=r"layer Conv1: padding_mode='circular'.*opset=19"):
        to_onnx(build(spec), tmp_path / "m.onnx")

    class Square(tk.Layer):
        def forward(self, x):
            return x * x

    odd = tk.Sequential([Square(), tk.Affine(np.ones((4, 2), np.float32))], input_shape=(4,))
    with pytest.raises(ValueError, match="layer Square1: a layer of type Square"):
        to_onnx(odd, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="input_shape"):
        to_onnx(tk.Sequential([tk.Relu()]), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_unsupported_operators_are_refused_by_name():
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["a"], name="r"),
         helper.make_node("Exp", ["a"], ["output"], name="the_exp")],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3])],
    )  # fmt: skip
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ValueError, match=r"the_exp \(Exp\): the operator cannot be imported"):
        from_onnx(proto)
    gemm = helper.make_node("Gemm", ["input", "W"], ["output"], name="g1", alpha=2.0)
    graph = helper.make_graph(
        [gemm], "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 2])],
        [onnx.numpy_helper.from_array(np.ones((3, 2), np.float32), "W")],
    )  # fmt: skip
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ValueError, match=r"g1 \(Gemm\): alpha=2.0"):
        from_onnx(proto)


def test_not_an_onnx_file(tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"\x00not onnx at all")
    with pytest.raises(ValueError, match="is not an ONNX file"):
        from_onnx(tmp_path / "x.onnx")
    with pytest.raises(FileNotFoundError):
        from_onnx(tmp_path / "missing.onnx")


def test_leaky_relu():
    spec = {
        "input_shape": [1, 5, 5],
        "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
            {"type": "LeakyReLU", "negative_slope": 0.2},
            {"type": "Linear", "out_features": 3},
        ],
    }
    model = build(spec)
    proto = to_onnx_checked(model)
    assert_same_function(model, proto, images(model, 3))
    back = from_onnx(proto)
    np.testing.assert_array_equal(back.predict(images(model, 3)), model.predict(images(model, 3)))


def test_cli_export_and_import(tmp_path, capsys):
    from tatamikomi.cli import main

    model = MODELS["trained"]()
    tk.save(model, tmp_path / "model.npz")
    onnx_path, back = str(tmp_path / "model.onnx"), str(tmp_path / "back.npz")
    assert main(["export", str(tmp_path / "model.npz"), "-o", onnx_path]) == 0
    assert main(["export", str(tmp_path / "model.npz"), "-o", onnx_path]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "model.npz"), "-o", onnx_path, "--force"]) == 0
    assert main(["export", str(tmp_path / "model.npz"), "-o", str(tmp_path / "m.txt")]) == 1
    assert "as .onnx or .pt" in capsys.readouterr().err
    assert main(["import", onnx_path, "-o", back]) == 0
    x = mnist_images(model, 6)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    assert np.max(np.abs(session.run(None, {"input": x})[0] - model.predict(x))) <= 1e-5
    np.testing.assert_array_equal(tk.load(back).predict(x), model.predict(x))
    assert main(["import", str(tmp_path / "missing.onnx")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_graph_that_pytorch_exported():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    import io
    import warnings

    nn = torch.nn
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        nn.Flatten(),
        nn.Linear(16, 3),
    ).eval()
    x = torch.randn(2, 1, 7, 7)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # the TorchScript exporter: no onnxscript needed
            torch.onnx.export(module, (x,), buffer, dynamo=False, opset_version=17,
                              dynamic_axes={"input": {0: "N"}}, input_names=["input"])  # fmt: skip
        except Exception as error:  # noqa: BLE001 - an exporter this torch does not have
            pytest.skip(f"torch.onnx.export failed here: {error}")
    model = from_onnx(onnx.load_from_string(buffer.getvalue()))
    with torch.no_grad():
        expected = module(x).numpy()
    assert model.input_shape == (1, 7, 7)
    assert np.max(np.abs(model.predict(x.numpy()) - expected)) <= 1e-5


def test_leaky_relu_maps_by_its_spec_type():
    conv = tk.Conv2d(1, 2, 3, seed=0)
    model = tk.Sequential(
        [conv, tk.LeakyReLU(0.2), tk.Linear(18, 3, seed=1)], input_shape=(1, 5, 5)
    )
    proto = to_onnx_checked(model)
    assert "LeakyRelu" in [n.op_type for n in proto.graph.node]
    assert_same_function(model, proto, images(model, 3))
