"""Data: the IDX reader, where datasets come from, the downloader, mnist-mini, load_mnist."""

import dataclasses
import gzip
import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tatamikomi.data import (
    SOURCES,
    DataNotFoundError,
    IDXError,
    idx_bytes,
    load_dataset,
    load_mnist,
    parse_idx,
    read_idx,
)
from tatamikomi.data import datasets
from tatamikomi.data.download import DownloadError, fetch

from .mnist_files import MNIST_DIR, needs_mnist
from .support import ROOT, SRC

SHARED_MNIST = MNIST_DIR  # $TATAMIKOMI_DATA or ../shared/data/mnist (tests/mnist_files.py)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test reads or writes the user's cache, or reaches the internet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TATAMIKOMI_DATA", raising=False)
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "1")


# ---------------------------------------------------------------------------------------------
# IDX


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    parsed = parse_idx(idx_bytes(array))
    assert parsed.dtype == np.dtype(dtype) and parsed.dtype.isnative
    np.testing.assert_array_equal(parsed, array)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not an IDX file: it starts with nothing"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "not an IDX file: it starts with 00000701"),
        (b"PK\x03\x04rest", "not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated: its header needs 16 bytes, it has 6"),
        (idx_bytes(np.zeros((2, 28, 28), np.uint8))[:-10], r"truncated: shape \(2, 28, 28\)"),
        (idx_bytes(np.zeros(3, np.uint8)) + b"xx", "2 unexpected bytes after"),
    ],
)
def test_idx_errors(data, message):
    with pytest.raises(IDXError, match=message):
        parse_idx(data, "some.idx")


def test_read_idx_gzip_and_corrupt_gzip(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(IDXError, match="labels.gz is a truncated or corrupt gzip file"):
        read_idx(path)
    with pytest.raises(FileNotFoundError, match="missing does not exist"):
        read_idx(tmp_path / "missing")


# ---------------------------------------------------------------------------------------------
# mnist-mini and load_mnist


def test_mnist_mini_is_bundled_and_balanced():
    data = load_dataset("mnist-mini")
    assert data.x_train.shape == (6000, 1, 28, 28) and data.x_test.shape == (1000, 1, 28, 28)
    assert data.x_train.dtype == np.uint8
    assert np.bincount(data.t_train).tolist() == [600] * 10
    assert np.bincount(data.t_test).tolist() == [100] * 10
    assert "CC BY-SA 3.0" in data.credit
    folder = os.path.join(ROOT, "src", "tatamikomi", "data", "mnist_mini")
    size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    assert size < 1.5e6


@needs_mnist
def test_mnist_mini_is_made_by_the_script_from_real_mnist(tmp_path):
    out = tmp_path / "mini"
    script = os.path.join(ROOT, "scripts", "make_mnist_mini.py")
    subprocess.run(
        [sys.executable, script, SHARED_MNIST, str(out)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    bundled = os.path.join(ROOT, "src", "tatamikomi", "data", "mnist_mini")
    for name in sorted(os.listdir(out)):
        made = gzip.decompress((out / name).read_bytes())
        with open(os.path.join(bundled, name), "rb") as f:
            assert gzip.decompress(f.read()) == made, name
    # and every bundled image is a real MNIST image with its label
    full = load_dataset("mnist", path=SHARED_MNIST)
    mini = load_dataset("mnist-mini")
    index = {img.tobytes(): label for img, label in zip(full.x_test[:, 0], full.t_test)}
    assert all(index[img.tobytes()] == t for img, t in zip(mini.x_test[:, 0], mini.t_test))


def test_load_mnist_has_the_books_signature_and_results():
    (x, t), (x_test, t_test) = load_mnist(dataset="mnist-mini")
    assert x.shape == (6000, 784) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert t.shape == (6000,) and x_test.shape == (1000, 784)
    (x, t), _ = load_mnist(normalize=False, flatten=False, one_hot_label=True, dataset="mnist-mini")
    assert x.shape == (6000, 1, 28, 28) and x.dtype == np.uint8
    assert t.shape == (6000, 10) and t.sum() == 6000


@needs_mnist
def test_full_mnist_from_environment_variable(monkeypatch):
    monkeypatch.setenv("TATAMIKOMI_DATA", SHARED_MNIST)
    data = load_dataset("mnist")
    assert data.x_train.shape == (60000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(data.t_train)[:3].tolist() == [5923, 6742, 5958]
    assert np.bincount(data.t_test)[-2:].tolist() == [974, 1009]
    assert "TATAMIKOMI_DATA" in data.source
    (x, t), _ = load_mnist(flatten=False)
    assert x.shape == (60000, 1, 28, 28)


def _copy_mnist(target):
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(SHARED_MNIST):
        shutil.copy(os.path.join(SHARED_MNIST, name), target)
    return str(target)


@needs_mnist
def test_sources_in_order_path_environment_cache(tmp_path, monkeypatch):
    explicit = _copy_mnist(tmp_path / "explicit")
    environment = _copy_mnist(tmp_path / "env" / "mnist")  # the named subfolder also counts
    cache = _copy_mnist(tmp_path / "cache" / "tatamikomi" / "mnist")
    monkeypatch.setenv("TATAMIKOMI_DATA", str(tmp_path / "env"))
    assert load_dataset("mnist", path=explicit).source == explicit
    assert load_dataset("mnist").source.startswith(environment)
    monkeypatch.delenv("TATAMIKOMI_DATA")
    assert load_dataset("mnist").source == cache


@needs_mnist
def test_corrupt_user_file_is_named(tmp_path):
    folder = _copy_mnist(tmp_path / "data")
    path = os.path.join(folder, "t10k-labels-idx1-ubyte.gz")
    raw = bytearray(gzip.decompress(open(path, "rb").read()))
    raw[100] = (raw[100] + 1) % 10  # a changed label: the IDX is valid, the md5 is not
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(raw)))
    with pytest.raises(IDXError, match="t10k-labels-idx1-ubyte.gz is not the original file"):
        load_dataset("mnist", path=folder)


def test_offline_and_nowhere_to_be_found(tmp_path):
    with pytest.raises(DataNotFoundError, match="mnist was not found .*TATAMIKOMI_OFFLINE"):
        load_dataset("mnist")
    with pytest.raises(DataNotFoundError, match="does not exist; give a folder with the four IDX"):
        load_dataset("mnist", path=tmp_path / "nothing")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; choose mnist, fashion-mnist"):
        load_dataset("cifar")


def test_fashion_mnist_from_debian_package():
    folder = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(folder):
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({folder} is missing)")
    data = load_dataset("fashion-mnist")
    assert data.source == folder and data.classes[0] == "T-shirt/top"
    assert data.x_train.shape == (60000, 1, 28, 28)


def test_users_own_npz_and_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 8, 8), dtype=np.uint8),
        "y_train": rng.integers(0, 3, 20),
        "x_test": rng.integers(0, 256, (5, 8, 8), dtype=np.uint8),
        "y_test": rng.integers(0, 3, 5),
        "classes": np.array(["cat", "dog", "bird"]),
    }
    np.savez(tmp_path / "mine.npz", **arrays)
    data = load_dataset(str(tmp_path / "mine.npz"))
    assert data.x_train.shape == (20, 1, 8, 8) and data.classes == ("cat", "dog", "bird")
    np.savez(
        tmp_path / "bad.npz",
        x_train=arrays["x_train"],
        y_train=arrays["y_train"][:3],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
    )
    with pytest.raises(ValueError, match="20 train images but 3 train labels"):
        load_dataset(str(tmp_path / "bad.npz"))
    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"])
    with pytest.raises(ValueError, match="has no t_train or y_train"):
        load_dataset(str(tmp_path / "partial.npz"))
    folder = tmp_path / "idx"
    folder.mkdir()
    for role, stem in datasets.FILES.items():
        split, kind = role.split("_")
        array = arrays[f"x_{split}" if kind == "images" else f"y_{split}"].astype(np.uint8)
        (folder / stem).write_bytes(idx_bytes(array))
    data = load_dataset(str(folder))
    assert data.x_test.shape == (5, 1, 8, 8) and data.classes == ("0", "1", "2")


# ---------------------------------------------------------------------------------------------
# Downloading, for real, from a local HTTP server


def test_fetch_skips_404_and_corrupt_mirrors(http_folder, tmp_path, capsys):
    root, url = http_folder
    good = gzip.compress(idx_bytes(np.arange(50, dtype=np.uint8)))
    (root / "good").mkdir()
    (root / "corrupt").mkdir()
    (root / "good" / "f.gz").write_bytes(good)
    (root / "corrupt" / "f.gz").write_bytes(good[:-8] + b"garbage!")
    target = tmp_path / "out" / "f.gz"
    target.parent.mkdir()
    md5s = {hashlib.md5(good).hexdigest()}
    mirrors = [f"{url}/missing/f.gz", f"{url}/corrupt/f.gz", f"{url}/good/f.gz"]
    fetch("f.gz", mirrors, target, md5s)
    assert target.read_bytes() == good
    err = capsys.readouterr().err
    assert "missing/f.gz failed: HTTP 404" in err and "corrupt/f.gz failed: the file's md5" in err
    assert "MB/s" in err  # the progress bar


def test_fetch_reports_every_failure_and_leaves_nothing(http_folder, tmp_path):
    root, url = http_folder
    (root / "bad.gz").write_bytes(b"not the file")
    target = tmp_path / "f.gz"
    with pytest.raises(DownloadError) as failure:
        fetch("f.gz", [f"{url}/nothing.gz", f"{url}/bad.gz"], target, {"0" * 32}, progress=False)
    text = str(failure.value)
    assert "from any mirror" in text and "HTTP 404" in text and "md5" in text
    assert "TATAMIKOMI_DATA" in text
    assert os.listdir(tmp_path) == ["www"]  # no partial or temporary file


@needs_mnist
def test_download_mnist_into_the_cache_from_mirrors(http_folder, tmp_path, monkeypatch):
    root, url = http_folder
    (root / "good").mkdir()
    (root / "corrupt").mkdir()
    for name in os.listdir(SHARED_MNIST):
        shutil.copy(os.path.join(SHARED_MNIST, name), root / "good")
        (root / "corrupt" / name).write_bytes(b"\x1f\x8b corrupt")
    source = dataclasses.replace(
        SOURCES["mnist"], mirrors=(f"{url}/none/", f"{url}/corrupt/", f"{url}/good/")
    )
    monkeypatch.setitem(SOURCES, "mnist", source)
    monkeypatch.delenv("TATAMIKOMI_OFFLINE")
    data = load_dataset("mnist", progress=False)
    cache = tmp_path / "cache" / "tatamikomi" / "mnist"
    assert data.source == str(cache) and data.x_train.shape == (60000, 1, 28, 28)
    assert sorted(os.listdir(cache)) == sorted(os.listdir(SHARED_MNIST))
    # all mirrors failing gives the clear error
    source = dataclasses.replace(source, mirrors=(f"{url}/none/",))
    monkeypatch.setitem(SOURCES, "mnist", source)
    shutil.rmtree(cache)
    with pytest.raises(DataNotFoundError, match="could not download .* from any mirror"):
        load_dataset("mnist", progress=False)


@needs_mnist
def test_a_corrupt_cached_file_is_dropped_and_fetched_again(http_folder, tmp_path, monkeypatch):
    root, url = http_folder
    for name in os.listdir(SHARED_MNIST):
        shutil.copy(os.path.join(SHARED_MNIST, name), root)
    cache = _copy_mnist(tmp_path / "cache" / "tatamikomi" / "mnist")
    bad = os.path.join(cache, "t10k-labels-idx1-ubyte.gz")
    with open(bad, "wb") as f:
        f.write(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    kept = os.path.getmtime(os.path.join(cache, "train-images-idx3-ubyte.gz"))
    monkeypatch.setitem(
        SOURCES, "mnist", dataclasses.replace(SOURCES["mnist"], mirrors=(url + "/",))
    )
    monkeypatch.delenv("TATAMIKOMI_OFFLINE")
    data = load_dataset("mnist", progress=False)
    assert data.t_test.shape == (10000,)
    assert os.path.getmtime(os.path.join(cache, "train-images-idx3-ubyte.gz")) == kept
