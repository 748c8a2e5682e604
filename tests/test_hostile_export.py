"""Issue 20, export and import: an ONNX file onnxruntime runs (finding 2), a PyTorch import whose
work is bounded before it is done (finding 6), an export that checks every output before
writing the first (finding 8), and imports that refuse what loading would refuse (the imports
that wrote what was then refused). Fixtures are built here: the hostile ONNX graphs with
onnx.helper, the hostile .pt files with torch.save and a rewrite of their zip."""

import io
import json
import os
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi.cli import main
from tatamikomi.data import normalize_images

onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install tatamikomi[onnx])")
torch = pytest.importorskip("torch", reason="torch is not installed")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
from onnx import helper, numpy_helper  # noqa: E402

BOOK_PARAMS = Path("/work/shared/book/ch07/params.pkl")
MNIST = Path("/work/shared/data/mnist")


def one_line(err: str, start: str, expected: str) -> None:
    assert err.startswith(start), err
    assert err.count("\n") == 1, err
    assert expected in err, err


# -- finding 2: the book's weights, exported to ONNX, run in onnxruntime ------------------------


@pytest.fixture
def book_model(tmp_path, capsys):
    """The book's trained SimpleConvNet imported by the CLI (float64, as the book's pickle)."""
    if not BOOK_PARAMS.is_file():
        pytest.skip(f"the book's trained weights are not here ({BOOK_PARAMS})")
    path = tmp_path / "book.npz"
    assert main(["import-book", str(BOOK_PARAMS), "-o", str(path)]) == 0
    capsys.readouterr()
    return path


def onnx_agrees_with_predict(model_path, onnx_path, images):
    model = tk.load(model_path)
    x = normalize_images(images, model.preprocess["divide_by"])
    expected = model.predict(x.astype(model.dtype)).argmax(axis=1)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.astype(np.float32)})[0].argmax(axis=1)
    return np.mean(got == expected), len(expected)


def test_book_weights_export_to_float32_onnx_that_onnxruntime_runs(book_model, tmp_path, capsys):
    out = tmp_path / "book.onnx"
    assert main(["export", str(book_model), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    one_line(captured.err, "the model's float64 parameters were written as float32", "--dtype")
    proto = onnx.load(out)
    assert {t.data_type for t in proto.graph.initializer} == {onnx.TensorProto.FLOAT}
    # a few hundred images, always (the bundled subset); all 10,000 below when MNIST is here
    subset = tk.load_dataset("mnist-mini").x_test[:500]
    agreement, count = onnx_agrees_with_predict(book_model, out, subset)
    assert count == 500 and agreement == 1.0

    # float64 only when asked, and then the note that onnxruntime cannot run it
    out64 = tmp_path / "book64.onnx"
    command = ["--lang", "ja", "export", str(book_model), "-o", str(out64), "--dtype", "float64"]
    assert main(command) == 0
    one_line(capsys.readouterr().err, "注意: このファイルは float64 です", "onnxruntime")
    assert {t.data_type for t in onnx.load(out64).graph.initializer} == {onnx.TensorProto.DOUBLE}
    with pytest.raises(Exception, match="NOT_IMPLEMENTED|Could not find an implementation"):
        ort.InferenceSession(str(out64), providers=["CPUExecutionProvider"])


def test_book_weights_in_onnx_agree_with_predict_on_all_mnist_test_images(book_model, tmp_path):
    if not (MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the MNIST test images are not here ({MNIST})")
    data = tk.load_dataset("mnist", path=str(MNIST), download=False, progress=False)
    out = tmp_path / "book.onnx"
    assert main(["export", str(book_model), "-o", str(out)]) == 0
    agreement, count = onnx_agrees_with_predict(book_model, out, data.x_test)
    assert count == 10_000 and agreement == 1.0


# -- finding 6: a PyTorch import bounds its work before doing it --------------------------------


def _small_pt(folder: Path, source: str) -> Path:
    """A tiny model.pt (Linear 4 -> 3) beside the given model.py text."""
    state = {"fc.weight": torch.zeros(3, 4), "fc.bias": torch.zeros(3)}
    torch.save(state, folder / "model.pt")
    (folder / "model.py").write_text(source, encoding="utf-8")
    return folder / "model.pt"


MODEL_PY = """INPUT_SHAPE = (1, 2, 2)
CLASSES = None
PREPROCESS = {{'divide_by': 255}}

def build():
    return nn.Sequential(OrderedDict([
{modules}
    ]))
"""


def _bomb_pt(path: Path, numel=150_000_000, small=123457) -> None:
    """A state_dict whose one tensor declares ``numel`` float32 values (600 MB), its data zeros
    recompressed with deflate: a file of about half a megabyte. Written by streaming."""
    buffer = io.BytesIO()
    torch.save({"fc.weight": torch.zeros(small)}, buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    old, new = b"J" + struct.pack("<i", small), b"J" + struct.pack("<i", numel)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("data.pkl"):
                assert data.count(old) >= 2
                out.writestr(info.filename, data.replace(old, new))
            elif info.filename.endswith("/data/0"):
                with out.open(info.filename, "w", force_zip64=True) as member:
                    chunk, left = bytes(1 << 22), numel * 4
                    while left:
                        member.write(chunk[: min(left, len(chunk))])
                        left -= min(left, len(chunk))
            else:
                out.writestr(info.filename, data)


def test_pytorch_import_bounds_declared_shapes_inflation_and_modules(tmp_path, child_peak_mb):
    from tatamikomi.export import _common

    # model.py asking for Linear(15000, 15000) beside a tiny .pt: refused before allocation
    big = tmp_path / "big"
    big.mkdir()
    huge = "        ('fc', nn.Linear(in_features=15000, out_features=15000, bias=True)),"
    pt = _small_pt(big, MODEL_PY.format(modules=huge))
    growth, printed = child_peak_mb(
        f"from tatamikomi.export import load_torch\nload_torch({str(pt)!r})"
    )
    assert growth < 200, (growth, printed)
    assert printed.count("\n") == 2 and "ValueError" in printed, printed  # one line + GROWTH
    assert "fc.weight is (3, 4) in the weights but (15000, 15000) in the architecture" in printed

    # a deflate-recompressed .pt: the real inflated size is counted while reading
    bomb = tmp_path / "bomb"
    bomb.mkdir()
    _small_pt(bomb, MODEL_PY.format(modules=huge))
    _bomb_pt(bomb / "model.pt")
    assert (bomb / "model.pt").stat().st_size < 2 << 20
    growth, printed = child_peak_mb(
        f"from tatamikomi.export import load_torch\nload_torch({str(bomb / 'model.pt')!r})"
    )
    assert growth < 200, (growth, printed)
    assert "inflates to more than" in printed and printed.count("\n") == 2, printed

    # 100,000 modules: refused by the size of model.py, before it is parsed
    many = tmp_path / "many"
    many.mkdir()
    relus = "\n".join(f"        ('r{i}', nn.ReLU())," for i in range(100_000))
    pt = _small_pt(many, MODEL_PY.format(modules=relus))
    growth, printed = child_peak_mb(
        f"from tatamikomi.export import load_torch\nload_torch({str(pt)!r})", timeout=60
    )
    assert growth < 200, (growth, printed)
    assert "a model.py written by tatamikomi export is a few kilobytes" in printed, printed
    # ... and by their number when the file is small enough to read
    few = tmp_path / "few"
    few.mkdir()
    relus = "\n".join(f"('r{i}',nn.ReLU())," for i in range(_common.MAX_LAYERS + 1))
    pt = _small_pt(few, MODEL_PY.format(modules=relus))
    with pytest.raises(ValueError, match=f"tatamikomi imports at most {_common.MAX_LAYERS:,}"):
        tk.export.load_torch(pt)

    # at the command line: one line, and nothing written
    code = main(["import", str(big / "model.pt"), "-o", str(tmp_path / "out.npz")])
    assert code == 1 and not (tmp_path / "out.npz").exists()


# -- finding 8: every output is checked before the first is written -----------------------------


@pytest.mark.parametrize("blocker", ["folder", "symlink"])
def test_export_checks_every_output_before_writing_the_first(tmp_path, capsys, blocker):
    model = tmp_path / "b.npz"
    tk.save(tk.SimpleConvNet(seed=0), model)
    out_pt, out_py = tmp_path / "out.pt", tmp_path / "out.py"
    out_pt.write_bytes(b"the user's old weights")
    if blocker == "folder":
        out_py.mkdir()
    else:
        (tmp_path / "elsewhere.py").write_text("kept")
        out_py.symlink_to(tmp_path / "elsewhere.py")
    assert main(["export", str(model), "-o", str(out_pt), "--force"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tatamikomi export: ") and err.count("\n") == 1, err
    assert "out.py" in err
    if blocker == "folder":  # the folder is blamed on the -o it stands beside, with the fix
        assert "out.pt is written with a file of that name beside it" in err, err
    assert out_pt.read_bytes() == b"the user's old weights"  # nothing lost
    assert out_py.is_dir() if blocker == "folder" else out_py.is_symlink()
    # the library call checks both targets as well
    from tatamikomi._files import NotRegularFileError
    from tatamikomi.export import save_torch

    with pytest.raises(NotRegularFileError):
        save_torch(tk.load(model), out_pt, overwrite=True)
    assert out_pt.read_bytes() == b"the user's old weights"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# -- imports that wrote what was then refused ---------------------------------------------------


def _onnx_model(path, nodes, inits, in_dims, meta=None):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", 1, ["N", *in_dims])],
        [helper.make_tensor_value_info("output", 1, ["N", 10])],
        inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    for key, value in (meta or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, path)


def _hostile_onnx(kind, path):
    W = numpy_helper.from_array(np.ones((4, 10), np.float32), "W")
    flatten = helper.make_node("Flatten", ["input"], ["f"], axis=1)
    gemm = helper.make_node("Gemm", ["f", "W"], ["output"])
    K = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "K")
    W1 = numpy_helper.from_array(np.ones((1, 10), np.float32), "W")
    pool = helper.make_node("GlobalAveragePool", ["c"], ["p"])
    flat = helper.make_node("Flatten", ["p"], ["f"], axis=1)
    if kind == "nan divide_by":
        _onnx_model(path, [flatten, gemm], [W], [1, 2, 2], {"preprocess": '{"divide_by": NaN}'})
    elif kind == "preprocess x":
        _onnx_model(path, [flatten, gemm], [W], [1, 2, 2], {"preprocess": '"x"'})
    elif kind == "a million classes":
        names = json.dumps([str(i) for i in range(10**6)])
        _onnx_model(path, [flatten, gemm], [W], [1, 2, 2], {"classes": names})
    elif kind == "cycle":
        back = [
            helper.make_node("Relu", ["input"], ["a"]),
            helper.make_node("Relu", ["a"], ["input"]),  # writes the input again: a cycle
        ]
        _onnx_model(path, [*back, flatten, gemm], [W], [1, 2, 2])
    elif kind == "input 1e9 x 1e9":
        conv = helper.make_node("Conv", ["input", "K"], ["c"], kernel_shape=[3, 3])
        _onnx_model(path, [conv, pool, flat, gemm], [K, W1], [1, 10**9, 10**9])
    elif kind == "pads 1e6":
        conv = helper.make_node(
            "Conv", ["input", "K"], ["c"], kernel_shape=[3, 3], pads=[10**6] * 4
        )
        _onnx_model(path, [conv, pool, flat, gemm], [K, W1], [1, 28, 28])


HOSTILE_IMPORTS = {
    "nan divide_by": "divide_by must be a positive number",
    "preprocess x": "the preprocessing 'x' cannot be used",
    "a million classes": "names 1000000 classes for 10 outputs",
    "cycle": "a tensor the graph already has (a cycle)",
    "input 1e9 x 1e9": "more than the limit of 2,000,000 (tatamikomi.models.BUDGET)",
    "pads 1e6": "more than the limit of 2,000,000 (tatamikomi.models.BUDGET)",
    "pt with NaN weights": "W1 holds NaN or infinite values",
}


@pytest.mark.parametrize("kind", list(HOSTILE_IMPORTS))
def test_imports_refuse_what_loading_would_refuse(kind, tmp_path, capsys):
    if kind.startswith("pt"):
        module = torch.nn.Sequential(OrderedDict(f=torch.nn.Flatten(), fc=torch.nn.Linear(4, 10)))
        with torch.no_grad():
            module.fc.weight[0, 0] = float("nan")
        torch.save(module.state_dict(), tmp_path / "x.pt")
        modules = (
            "        ('f', nn.Flatten()),\n"
            "        ('fc', nn.Linear(in_features=4, out_features=10)),"
        )
        (tmp_path / "x.py").write_text(MODEL_PY.format(modules=modules))
        source = tmp_path / "x.pt"
    else:
        source = tmp_path / "x.onnx"
        _hostile_onnx(kind, source)
    out = tmp_path / "x.npz"
    assert main(["import", str(source), "-o", str(out)]) == 1
    one_line(capsys.readouterr().err, "tatamikomi import: ", HOSTILE_IMPORTS[kind])
    assert not out.exists()  # nothing written that summary, predict or export would refuse
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
