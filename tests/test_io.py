"""Model files (one .npz, no pickle, checksums) and the book's params.pkl."""

import io as stdio
import os
import pickle
import zipfile

import numpy as np
import pytest

from tatamikomi import DeepConvNet, SimpleConvNet, from_spec, io, lecture, load, save
from tatamikomi.data import load_dataset
from tatamikomi.io import ModelFileError
from tatamikomi.models import import_book_params

from .builders import SPEC, book_params


def _images(n=64, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("build", [lambda: SimpleConvNet(seed=1), lambda: DeepConvNet(seed=2)])
def test_save_and_load_give_identical_predictions(tmp_path, build):
    model = build()
    model.history = {"epoch": [1], "test_acc": [0.5]}
    model.preprocess = {"divide_by": 255, "dataset": "mnist"}
    model.classes = list("0123456789")
    path = tmp_path / "model.npz"
    save(model, path)
    loaded = load(path)
    assert type(loaded) is type(model)
    x = _images()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.history == model.history and loaded.preprocess == model.preprocess
    assert loaded.classes == model.classes
    with np.load(path, allow_pickle=False) as archive:  # plain NumPy can read it too
        np.testing.assert_array_equal(archive["model/W1"], model.params["W1"])


def test_spec_model_with_batch_norm_round_trips(tmp_path):
    model = from_spec(SPEC, seed=3)
    x = np.random.default_rng(0).random((8, 1, 12, 12), dtype=np.float32)
    model.predict(x, train_flg=True)  # moves the running statistics
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.buffers["running_mean1"], model.buffers["running_mean1"])
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_never_overwrites_unasked_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"the user's own file")
    with pytest.raises(FileExistsError, match="already exists; it was left as it is.*overwrite"):
        save(SimpleConvNet(seed=0), path)
    assert path.read_bytes() == b"the user's own file"
    save(SimpleConvNet(seed=0), path, overwrite=True)
    assert load(path) is not None
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary files left


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        save(SimpleConvNet(seed=0), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    save(SimpleConvNet(seed=0), path)
    data = path.read_bytes()
    for size in (len(data) // 2, len(data) - 30, 100):
        path.write_bytes(data[:size])
        with pytest.raises(ModelFileError, match="truncated or corrupt"):
            load(path)


def test_flipped_byte_is_detected(tmp_path):
    path = tmp_path / "model.npz"
    save(SimpleConvNet(seed=0), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="truncated or corrupt|damaged"):
        load(path)


def test_edited_weights_are_detected(tmp_path):
    """A file rewritten with other weights but the old metadata fails its checksums."""
    path, edited = tmp_path / "model.npz", tmp_path / "edited.npz"
    save(SimpleConvNet(seed=0), path)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "model/W3.npy":
                array = np.lib.format.read_array(stdio.BytesIO(data))
                buffer = stdio.BytesIO()
                np.lib.format.write_array(buffer, array * 2)
                data = buffer.getvalue()
            target.writestr(item, data)
    with pytest.raises(ModelFileError, match="array 'model/W3' does not match its recorded"):
        load(edited)


def test_other_files_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz does not exist"):
        load(tmp_path / "nothing.npz")
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a tatamikomi model file"):
        load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, W1=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a tatamikomi model file .*no tatamikomi.json"):
        load(plain)
    book = tmp_path / "params.pkl"
    with open(book, "wb") as f:
        pickle.dump({"W1": np.zeros(3)}, f)
    with pytest.raises(ModelFileError, match="pickle file.*tatamikomi import-book"):
        load(book)


def test_save_params_and_load_params(tmp_path):
    model, other = SimpleConvNet(seed=0), SimpleConvNet(seed=1)
    model.save_params(tmp_path / "params.npz")
    other.load_params(tmp_path / "params.npz")
    np.testing.assert_array_equal(other.params["W2"], model.params["W2"])
    with pytest.raises(ModelFileError, match="holds parameters only"):
        load(tmp_path / "params.npz")
    with pytest.raises(ValueError, match="do not fit this model: missing .*'W4'"):
        DeepConvNet().load_params(tmp_path / "params.npz")


# ---------------------------------------------------------------------------------------------
# The book's params.pkl


def _book_relu(x):
    return np.maximum(x, 0)


def _book_predict(params, x, deep):
    """The book's networks at test time, from the lecture's layers (the book's im2col code): its
    Dropout multiplies by 1 - 0.5 at test time."""
    if not deep:
        out = lecture.Convolution(params["W1"], params["b1"], 1, 0).forward(x)
        out = lecture.Pooling(2, 2, 2).forward(_book_relu(out))
        out = _book_relu(out.reshape(len(x), -1) @ params["W2"] + params["b2"])
        return out @ params["W3"] + params["b3"]
    out = x
    for i, pad in enumerate([1, 1, 1, 2, 1, 1], start=1):
        out = lecture.Convolution(params[f"W{i}"], params[f"b{i}"], 1, pad).forward(out)
        out = _book_relu(out)
        if i % 2 == 0:
            out = lecture.Pooling(2, 2, 2).forward(out)
    out = _book_relu(out.reshape(len(x), -1) @ params["W7"] + params["b7"]) * (1 - 0.5)
    return (out @ params["W8"] + params["b8"]) * (1 - 0.5)


@pytest.mark.parametrize("deep", [False, True], ids=["SimpleConvNet", "DeepConvNet"])
def test_book_params_predict_what_the_book_predicts(tmp_path, deep):
    params = book_params(deep)
    path = tmp_path / "params.pkl"
    with open(path, "wb") as f:
        pickle.dump(params, f)  # as the book's save_params does
    model = import_book_params(path)
    assert type(model).__name__ == ("DeepConvNet" if deep else "SimpleConvNet")
    assert model.params["W1"].dtype == np.float64  # the pickle's dtype is kept
    data = load_dataset("mnist-mini")
    x = data.x_test.astype(np.float64) / 255
    ours = model.predict(x, batch_size=250)
    book = _book_predict(params, x, deep)
    np.testing.assert_allclose(ours, book, rtol=1e-9, atol=1e-9)
    assert np.array_equal(ours.argmax(axis=1), book.argmax(axis=1))
    assert len(np.unique(book.argmax(axis=1))) > 3  # the comparison is not trivial
    # the same through the book's own method
    again = DeepConvNet(dtype=np.float64) if deep else SimpleConvNet(dtype=np.float64)
    again.load_params(path)
    np.testing.assert_allclose(again.predict(x[:50]), book[:50], rtol=1e-9, atol=1e-9)


def test_book_params_from_numpy_1_and_every_protocol(tmp_path):
    params = book_params(False)
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps(params, protocol=protocol)
        if protocol <= 3:  # as NumPy 1.x writes it
            data = data.replace(b"numpy._core", b"numpy.core")
        path = tmp_path / f"p{protocol}.pkl"
        path.write_bytes(data)
        loaded = io.load_book_params(path)
        np.testing.assert_array_equal(loaded["W2"], params["W2"])


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


@pytest.mark.parametrize(
    "content, message",
    [
        ({"W1": _Evil()}, "refused to load posix.system|refused to load nt.system"),
        ({"W1": np.array([object()], dtype=object)}, "refused"),
        ([np.zeros(3)], "does not hold a dict of arrays"),
        ({"W1": [1.0, 2.0]}, "entry 'W1' is a list"),
        ({"W1": np.zeros(3, np.int64)}, "W1 has dtype int64; weights are floats"),
    ],
)
def test_unsafe_or_wrong_pickles_are_refused(tmp_path, content, message):
    path = tmp_path / "params.pkl"
    with open(path, "wb") as f:
        pickle.dump(content, f)
    with pytest.raises(ModelFileError, match=message):
        io.load_book_params(path)


def test_truncated_pickle_and_wrong_shapes(tmp_path):
    path = tmp_path / "params.pkl"
    path.write_bytes(pickle.dumps(book_params(False))[:500])
    with pytest.raises(ModelFileError, match="not a readable params.pkl"):
        io.load_book_params(path)
    params = book_params(False)
    params["W3"] = np.zeros((100, 7))
    params["W2"] = np.zeros((99, 100))
    with open(path, "wb") as f:
        pickle.dump(params, f)
    with pytest.raises(ModelFileError, match="shapes of the book's SimpleConvNet"):
        import_book_params(path)
    with open(path, "wb") as f:
        pickle.dump({"W1": np.zeros((2, 2)), "W9": np.zeros(2)}, f)
    with pytest.raises(ModelFileError, match="neither the book's SimpleConvNet"):
        import_book_params(path)


def test_a_model_with_a_custom_layer_cannot_be_saved_whole(tmp_path):
    from tatamikomi import Sequential
    from tatamikomi.layers import Layer, Relu

    class Square(Layer):
        def forward(self, x):
            return x * x

    model = Sequential([Relu(), Square()])
    with pytest.raises(TypeError, match="Square has no spec entry.*save_params"):
        save(model, tmp_path / "m.npz")
    assert not os.listdir(tmp_path)
