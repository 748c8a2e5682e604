"""One battery over every layer type of a spec (``LAYER_TYPES``): what a layer must do before it
is complete. A new type runs through every test here by being registered, so it fails the right
ones until it has them all:

- contracts: the forward shape is ``output_shape``, the dtype is kept (float32 and float64), the
  caller's arrays are untouched, backward gives dx in the input's shape and a gradient for every
  parameter, in train and eval mode;
- a numerical gradient check (float64, train and eval mode);
- a spec round trip: ``from_spec`` -> ``save`` -> ``load`` computes the same;
- export: in the ONNX and PyTorch tables and computing what the layer computes (onnxruntime,
  torch), or listed in :data:`NOT_EXPORTABLE`.

``CASES`` gives the options and input of each type (several where the options change the
computation); a type without an entry is tried with no options on a small image.
``SoftmaxWithLoss`` is no spec layer (a model's ``last_layer``): tests/test_gradients.py checks it.
"""

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import gradient_check
from tatamikomi.layers import LAYER_TYPES

#: spec types that stay in the box: the export tests check this list against both export tables
NOT_EXPORTABLE: set[str] = set()

#: an image of one example (C, H, W) for a type CASES does not list
DEFAULT_SHAPE = (2, 5, 4)

#: spec type -> [(case name, spec options, one example's input shape)]
CASES = {
    "Conv2d": [
        ("stride pad", {"out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}, (4, 7, 6)),
        (
            "groups dilation",
            {
                "out_channels": 6,
                "kernel_size": [3, 2],
                "stride": [1, 2],
                "padding": [2, 1],
                "dilation": [2, 1],
                "groups": 2,
            },
            (4, 7, 6),
        ),
        ("depthwise", {"out_channels": 8, "kernel_size": 3, "padding": 1, "groups": 4}, (4, 5, 5)),
        *(
            (
                mode,
                {"out_channels": 2, "kernel_size": 3, "padding": 2, "padding_mode": mode},
                (3, 5, 4),
            )
            for mode in ("reflect", "replicate", "circular")
        ),
        (
            "same even",
            {"out_channels": 2, "kernel_size": [2, 4], "padding": "same", "bias": False},
            (3, 5, 6),
        ),
        ("1x1", {"out_channels": 3, "kernel_size": 1}, (4, 3, 3)),
    ],
    "Linear": [
        ("from an image", {"out_features": 4}, (2, 3, 3)),
        ("no bias", {"out_features": 3, "bias": False}, (5,)),
    ],
    "MaxPool2d": [
        ("2x2", {"kernel_size": 2}, (3, 6, 6)),
        (
            "overlap ceil",
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
            (3, 7, 6),
        ),
        ("dilation", {"kernel_size": 2, "stride": 1, "dilation": 2}, (2, 6, 5)),
        ("3 1 1", {"kernel_size": 3, "stride": 1, "padding": 1}, (3, 5, 5)),
    ],
    "AvgPool2d": [
        ("2x2", {"kernel_size": 2}, (3, 6, 6)),
        (
            "pad ceil",
            {
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "ceil_mode": True,
                "count_include_pad": False,
            },
            (3, 7, 6),
        ),
        ("3 2 1", {"kernel_size": 3, "stride": 2, "padding": 1}, (3, 6, 6)),
    ],
    "LeakyReLU": [("default", {}, DEFAULT_SHAPE), ("slope 0.2", {"negative_slope": 0.2}, (7,))],
    "Dropout": [("p 0.4", {"p": 0.4}, DEFAULT_SHAPE)],
    "BatchNormalization": [("features", {}, (5,)), ("no affine", {"affine": False}, (3, 4, 4))],
    "BatchNorm2d": [("channels", {}, (3, 4, 5)), ("no affine", {"affine": False}, (3, 4, 4))],
    "BatchNorm1d": [("features", {}, (5,))],
}


def _cases():
    for kind in LAYER_TYPES:
        for name, options, shape in CASES.get(kind, [("default", {}, DEFAULT_SHAPE)]):
            yield pytest.param(kind, options, shape, id=f"{kind}-{name}")


def _layer(kind, options, shape, dtype):
    return LAYER_TYPES[kind].from_spec({"type": kind, **options}, shape, rng=0, dtype=dtype)


def _input(shape, dtype, n=2, seed=1):
    """A batch without ties (so a window's maximum is unique) or zeros (ReLU's kink)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape))
    x += np.sign(x) * 0.05 * (np.arange(x.size).reshape(x.shape) % 7 + 1)
    return x.astype(dtype)


def test_every_listed_case_is_a_layer_type():
    assert set(CASES) <= set(LAYER_TYPES), set(CASES) - set(LAYER_TYPES)
    assert NOT_EXPORTABLE <= set(LAYER_TYPES), NOT_EXPORTABLE - set(LAYER_TYPES)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,options,shape", _cases())
def test_contracts(kind, options, shape, dtype, mode):
    layer = _layer(kind, options, shape, dtype).train(mode == "train")
    assert isinstance(layer, tk.Layer) and layer.spec_type is not None
    x = _input(shape, dtype)
    x_before = x.copy()
    out = layer.forward(x)
    assert out.shape == (2, *layer.output_shape(shape)), "forward disagrees with output_shape"
    assert out.dtype == dtype
    dout = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    assert dx.shape == x.shape and dx.dtype == dtype
    assert set(layer.grads) == set(layer.params), "a gradient for every parameter"
    for key, grad in layer.grads.items():
        assert grad.shape == layer.params[key].shape and grad.dtype == layer.params[key].dtype
        assert layer.params[key].dtype == dtype, f"{key} is not in the dtype asked for"
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("kind,options,shape", _cases())
def test_gradient(kind, options, shape, mode):
    layer = _layer(kind, options, shape, np.float64).train(mode == "train")
    result = gradient_check(layer, _input(shape, np.float64))
    assert result.ok, str(result)
    assert {row[0] for row in result.rows} == {"x", *layer.params}


def _model(kind, options, shape, dtype=np.float64):
    """The layer in a tiny model (then Flatten and Linear, so every model has weights and
    scores), with random parameters and running statistics."""
    spec = {
        "input_shape": list(shape),
        "layers": [
            {"type": kind, **options},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 3},
        ],
    }
    model = tk.from_spec(spec, seed=0, dtype=dtype)
    rng = np.random.default_rng(3)
    for name, value in model.state_dict().items():
        random = (
            rng.uniform(0.5, 1.5, value.shape)
            if "var" in name
            else rng.standard_normal(value.shape)
        )
        store = model.params if name in model.params else model.buffers
        store[name] = random.astype(value.dtype)
    return model.eval()


@pytest.mark.parametrize("kind,options,shape", _cases())
def test_spec_round_trip(kind, options, shape, tmp_path):
    model = _model(kind, options, shape)
    path = tmp_path / "model.npz"
    tk.save(model, path)
    loaded = tk.load(path)
    assert loaded.spec() == model.spec()
    x = _input(shape, np.float64, n=3)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def _exporters():
    from tatamikomi.export import onnx as onnx_export
    from tatamikomi.export import torch as torch_export

    return onnx_export.RULES, torch_export.RULES


@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_exported_or_listed_as_not_exportable(kind):
    """The export tables are keyed by the type a layer writes in its spec (BatchNorm2d and
    BatchNorm1d write BatchNormalization)."""
    _, options, shape = CASES.get(kind, [("default", {}, DEFAULT_SHAPE)])[0]
    key = _layer(kind, options, shape, np.float32).to_spec()["type"]
    to_onnx_table, to_torch_table = _exporters()
    exported = (key in to_onnx_table, key in to_torch_table)
    if kind in NOT_EXPORTABLE:
        assert exported == (False, False), f"{kind} is exported: take it off NOT_EXPORTABLE"
    else:
        assert exported == (True, True), (
            f"{kind}: add a row for {key!r} to the export tables (ONNX: {exported[0]}, "
            f"PyTorch: {exported[1]}) or put it in NOT_EXPORTABLE"
        )


@pytest.mark.parametrize("kind,options,shape", _cases())
def test_onnx_computes_what_the_layer_computes(kind, options, shape, tmp_path):
    """float32, as onnxruntime runs it (its CPU provider has no float64 Conv)."""
    if kind in NOT_EXPORTABLE:
        pytest.skip(f"{kind} is listed as not exportable")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnx", reason="onnx is not installed")
    from tatamikomi.export import to_onnx

    model = _model(kind, options, shape, np.float32)
    opset = {"opset": 19} if options.get("padding_mode") == "circular" else {}  # Pad 'wrap'
    proto = to_onnx(model, tmp_path / "model.onnx", **opset)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = _input(shape, np.float32, n=3)
    out = session.run(None, {"input": x})[0]
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind,options,shape", _cases())
def test_torch_computes_what_the_layer_computes(kind, options, shape):
    if kind in NOT_EXPORTABLE:
        pytest.skip(f"{kind} is listed as not exportable")
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    from tatamikomi.export import to_torch

    model = _model(kind, options, shape)
    module = to_torch(model)
    x = _input(shape, np.float64, n=3)
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, model.predict(x), rtol=1e-9, atol=1e-12)
