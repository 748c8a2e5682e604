"""Hostile and careless data: every bad file, label set, setting or download gives one clear
line (a DataError naming the file or option and the fix) and never allocates more than the
data justifies.

Each hostile file is built small in tmp_path by :class:`Hostile`. The cases that could allocate
gigabytes run in a child process with an address-space ceiling (``RLIMIT_AS``), report their peak
RSS growth (< 200 MB) and are bounded in time by ``timeout=`` on ``subprocess.run``. Network
cases use a loopback server that stops by itself.
"""

import dataclasses
import functools
import gzip
import io
import json
import os
import socketserver
import subprocess
import sys
import threading
import time
import zipfile
import zlib

import numpy as np
import pytest

from tatamikomi.data import (
    DataError,
    DataLimitError,
    DataNotFoundError,
    DownloadError,
    IDXError,
    from_arrays,
    idx_bytes,
    load_dataset,
    normalize_images,
    offline,
    parse_idx,
    read_idx,
)
from tatamikomi.data import datasets
from tatamikomi.data.augment import check_shift, random_shift
from tatamikomi.data.download import fetch

from .memory_probe import PEAK_KB
from .support import ROOT, SRC

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the memory ceiling uses /proc and RLIMIT_AS"
)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
not_root = pytest.mark.skipif(IS_ROOT, reason="file permissions do not bind root")
GROWTH_MB = 200


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test reads or writes the user's cache, or reaches the internet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TATAMIKOMI_DATA", raising=False)
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "1")


def one_line(error) -> str:
    text = str(error.value if hasattr(error, "value") else error)
    assert "\n" not in text, text
    assert "allow_pickle" not in text and "pickle.load" not in text, text
    return text


# ---------------------------------------------------------------------------------------------
# Building hostile files, small


def idx_header(code: int, shape) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(int(d).to_bytes(4, "big") for d in shape)


def gzip_of_zeros(header: bytes, zeros: int) -> bytes:
    """gzip of ``header`` then ``zeros`` zero bytes, compressed piece by piece (a small file
    that decompresses to ``zeros`` bytes)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(header)]
    for start in range(0, zeros, len(block)):
        parts.append(packer.compress(block[: min(len(block), zeros - start)]))
    parts.append(packer.flush())
    return b"".join(parts)


@functools.lru_cache(maxsize=1)
def _bomb() -> bytes:
    return gzip_of_zeros(idx_header(0x08, [10, 28, 28]), 300 << 20)


class Hostile:
    """Each method writes one hostile file (or folder) in ``folder`` and returns its path."""

    def __init__(self, folder):
        self.folder = folder

    def _write(self, name, data: bytes) -> str:
        path = self.folder / name
        path.write_bytes(data)
        return str(path)

    def idx_overflow(self) -> str:  # 2^96 values: the product overflows 64 bits
        return self._write("overflow.idx", idx_header(0x08, [0xFFFFFFFF] * 3) + b"\0" * 8)

    def idx_ndim(self, ndim: int) -> str:
        return self._write(f"ndim{ndim}.idx", idx_header(0x08, [2] * ndim) + b"\0" * 8)

    def idx_declares_more_than_file(self) -> str:  # 1.5 GB declared, 100 bytes there
        return self._write("short.idx", idx_header(0x08, [1500, 1000, 1000]) + b"\0" * 100)

    def gzip_declares_more_than_content(self) -> str:
        return self._write("short.gz", gzip.compress(idx_header(0x08, [1500, 1000, 1000])))

    def gzip_bomb(self, name="bomb.gz") -> str:
        """A gzip IDX of 10 images 28x28 followed by 300 MB of zeros (300 kB on disk)."""
        return self._write(name, _bomb())

    def npz(self, name="data.npz", **arrays) -> str:
        rng = np.random.default_rng(0)
        contents = {
            "x_train": rng.integers(0, 256, (12, 8, 8), dtype=np.uint8),
            "t_train": np.arange(12) % 3,
            "x_test": rng.integers(0, 256, (6, 8, 8), dtype=np.uint8),
            "t_test": np.arange(6) % 3,
        }
        contents.update(arrays)
        path = self.folder / name
        np.savez(path, **{k: v for k, v in contents.items() if v is not None})
        return str(path)

    def npz_member_claims(self, shape) -> str:
        """A .npz whose x_train.npy header claims ``shape`` of float64 but holds 80 bytes."""
        member = io.BytesIO()
        header = {"descr": "<f8", "fortran_order": False, "shape": tuple(shape)}
        np.lib.format.write_array_header_1_0(member, header)
        member.write(bytes(80))
        path = self.folder / "claims.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x_train.npy", member.getvalue())
            for key, value in (("t_train", np.zeros(1)), ("x_test", np.zeros(1)), ("t_test", [0])):
                buffer = io.BytesIO()
                np.save(buffer, np.asarray(value))
                archive.writestr(f"{key}.npy", buffer.getvalue())
        return str(path)

    def npz_with_objects(self) -> str:
        member = io.BytesIO()
        np.save(member, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        path = self.folder / "objects.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("x_train.npy", member.getvalue())
        return str(path)

    def text(self, name="data.npz") -> str:
        return self._write(name, b"x_train,t_train\n0,1\n")

    def idx_folder(self, name, train_images: bytes | None = None) -> str:
        """A folder with the four IDX files of mnist-mini (gzip), optionally replacing the
        training images."""
        folder = self.folder / name
        folder.mkdir()
        source = os.path.join(ROOT, "src", "tatamikomi", "data", "mnist_mini")
        for stem in datasets.FILES.values():
            with open(os.path.join(source, stem + ".gz"), "rb") as f:
                (folder / (stem + ".gz")).write_bytes(f.read())
        if train_images is not None:
            (folder / "train-images-idx3-ubyte.gz").write_bytes(train_images)
        return str(folder)


@pytest.fixture
def hostile(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    return Hostile(folder)


# ---------------------------------------------------------------------------------------------
# Running a case in a child with a memory ceiling and a time ceiling

CHILD = PEAK_KB + r"""
import json, os, resource, sys
import numpy
import tatamikomi.data

def vm_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

ceiling = vm_bytes() + (1 << 30)  # at most 1 GB more address space than after the imports
resource.setrlimit(resource.RLIMIT_AS, (ceiling, resource.RLIM_INFINITY))
before = peak_kb()
args = json.loads(sys.argv[1])
try:
    exec(sys.argv[2], {"args": args, "np": numpy, "data": tatamikomi.data})
    outcome = ["no error", ""]
except Exception as error:
    outcome = [type(error).__name__, str(error)]
grown = (peak_kb() - before) / 1024
print(json.dumps({"error": outcome[0], "message": outcome[1], "grown_mb": grown}))
"""


def in_child(code: str, timeout=120, env=None, **args) -> dict:
    """Run ``code`` (with ``args``, ``np`` and ``data`` = tatamikomi.data) in a child process
    under an address-space ceiling; its error, message and peak RSS growth in MB."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "OPENBLAS_NUM_THREADS": "1",
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args), code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def expect(result: dict, error: str, *fragments: str) -> None:
    assert result["error"] == error, result
    for fragment in fragments:
        assert fragment in result["message"], result
    assert "\n" not in result["message"], result
    assert result["grown_mb"] < GROWTH_MB, result


# ---------------------------------------------------------------------------------------------
# IDX headers and gzip: a size limit before any allocation


@linux_only
def test_idx_dimension_product_overflow_is_refused_before_allocating(hostile):
    result = in_child("data.read_idx(args['path'])", path=hostile.idx_overflow())
    expect(
        result,
        "DataLimitError",
        "overflow.idx (IDX shape (4294967295, 4294967295, 4294967295) of uint8) declares",
        "more than the limit of 2.1 GB",
    )


@pytest.mark.parametrize("ndim", [0, 7])
def test_idx_ndim_0_or_7_says_what_an_idx_file_holds(hostile, ndim):
    with pytest.raises(IDXError) as error:
        read_idx(hostile.idx_ndim(ndim))
    assert f"declares {ndim} dimensions; tatamikomi reads IDX data of 1 to 4 (labels (N,)" in (
        one_line(error)
    )


@linux_only
def test_idx_declared_size_against_the_file_size(hostile):
    result = in_child("data.read_idx(args['path'])", path=hostile.idx_declares_more_than_file())
    expect(
        result,
        "IDXError",
        "short.idx is truncated: shape (1500, 1000, 1000) needs 1500000000 bytes of values, the "
        "file has 100",
    )


@linux_only
def test_gzip_that_declares_more_than_it_holds_grows_only_with_its_content(hostile):
    result = in_child("data.read_idx(args['path'])", path=hostile.gzip_declares_more_than_content())
    # refused from its header: 1.5 GB declared by a 33-byte file is a bomb (issue 20)
    expect(result, "DataLimitError", "short.gz would decompress to 1.5 GB from 33 bytes")


@linux_only
def test_gzip_bomb_is_streamed_and_stopped_after_the_declared_values(hostile):
    result = in_child("data.read_idx(args['path'])", path=hostile.gzip_bomb())
    expect(
        result, "IDXError", "bomb.gz has more than 1048576 unexpected bytes after its (10, 28, 28)"
    )


@linux_only
def test_gzip_bomb_in_a_known_datasets_folder_fails_its_md5_streaming(hostile):
    folder = hostile.idx_folder("mnist", train_images=open(hostile.gzip_bomb(), "rb").read())
    result = in_child("data.load_dataset('mnist', path=args['path'])", path=folder)
    # refused from the headers, before any file is inflated: 10 images, 6,000 labels (issue 20)
    expect(result, "IDXError", "train-images-idx3-ubyte.gz holds (10, 28, 28)", "not images with")


def test_a_corrupt_gzip_is_named(hostile):
    good = gzip.compress(idx_bytes(np.arange(10, dtype=np.uint8)))
    with pytest.raises(IDXError) as error:
        parse_idx(good[:-12] + b"garbage!!!!!", "bad.gz")
    assert "bad.gz is a truncated or corrupt gzip file" in one_line(error)
    with pytest.raises(IDXError, match="bytes that are not gzip follow its data"):
        parse_idx(good + b"trailing", "tail.gz")


def test_two_gzip_members_are_read_like_gzip_does():
    first = gzip.compress(idx_bytes(np.arange(6, dtype=np.uint8))[:7])
    second = gzip.compress(idx_bytes(np.arange(6, dtype=np.uint8))[7:])
    np.testing.assert_array_equal(parse_idx(first + second), np.arange(6))


# ---------------------------------------------------------------------------------------------
# Downloads: streamed, md5 on the way, a size cap and an overall deadline


class Drip(socketserver.BaseRequestHandler):
    """Serves a hostile response, one byte at a time; stops by itself after 30 s or when the
    test ends (server.stop is set)."""

    def handle(self):
        self.request.recv(65536)
        mode = self.server.mode
        if mode == "headers":
            self.request.sendall(b"HTTP/1.1 200 OK\r\n")
            pieces = iter(lambda: b"X", None)
        elif mode == "body":
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            pieces = iter(lambda: b"\0", None)
        elif mode == "too-long":  # announces more than the cap
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n")
            return
        else:  # "endless": no length, data until the connection is closed
            self.request.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            pieces = iter(lambda: bytes(1 << 16), None)
        end = time.monotonic() + 30
        try:
            for piece in pieces:
                if self.server.stop.is_set() or time.monotonic() > end:
                    return
                self.request.sendall(piece)
                if mode in ("headers", "body"):
                    self.server.stop.wait(0.2)
        except OSError:
            return


@pytest.fixture
def drip():
    """A loopback server whose ``mode`` says how it misbehaves; yields (server, url)."""

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Drip)
    server.stop = threading.Event()
    server.mode = "body"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/f.gz"
    server.stop.set()
    server.shutdown()
    server.server_close()


FETCH = (
    "from tatamikomi.data.download import fetch\n"
    "fetch('f.gz', [args['url']], args['target'], {'0' * 32}, progress=False,"
    " timeout_s=args['seconds'], max_bytes=args.get('cap', 1 << 20))"
)


@linux_only
@pytest.mark.parametrize("mode", ["body", "headers"])
def test_a_dripping_server_is_stopped_by_the_overall_timeout(drip, tmp_path, mode):
    server, url = drip
    server.mode = mode
    target = tmp_path / "f.gz"
    result = in_child(FETCH, timeout=60, url=url, target=str(target), seconds=1.5)
    expect(result, "DownloadError", "could not download f.gz from any mirror", "longer than 1.5 s")
    assert not target.exists() and os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "mode, message",
    [
        ("too-long", "announces 5.0 MB, more than the limit of 1.0 MB"),
        ("endless", "sent more than the limit of 1.0 MB"),
    ],
)
def test_a_download_over_the_size_cap_is_refused(drip, tmp_path, mode, message):
    server, url = drip
    server.mode = mode
    with pytest.raises(DownloadError) as error:
        fetch("f.gz", [url], tmp_path / "f.gz", {"0" * 32}, progress=False, max_bytes=1 << 20)
    assert message in one_line(error) and os.listdir(tmp_path) == []


@linux_only
def test_a_gzip_bomb_from_a_mirror_is_checked_in_a_stream(http_folder, hostile, tmp_path):
    root, url = http_folder
    os.replace(hostile.gzip_bomb(), root / "f.gz")
    target = tmp_path / "out.gz"
    result = in_child(
        FETCH, timeout=120, url=f"{url}/f.gz", target=str(target), seconds=100, cap=8 << 20
    )
    expect(result, "DownloadError", "the file's md5", "is not the known one")
    assert not target.exists()


def test_the_md5_of_the_content_is_found_while_streaming(http_folder, tmp_path):
    root, url = http_folder
    content = idx_bytes(np.arange(300, dtype=np.uint8) % 7)
    (root / "f.gz").write_bytes(gzip.compress(content))
    import hashlib

    fetch(
        "f.gz",
        [f"{url}/f.gz"],
        tmp_path / "f.gz",
        {hashlib.md5(content).hexdigest()},
        progress=False,
    )
    assert gzip.decompress((tmp_path / "f.gz").read_bytes()) == content


# ---------------------------------------------------------------------------------------------
# Labels and classes


@linux_only
def test_labels_of_2_to_the_40_do_not_build_2_to_the_40_classes(hostile):
    path = hostile.npz(t_train=np.array([0, 1, 2] * 3 + [2**40, 0, 1]))
    result = in_child("data.load_dataset(args['path'])", path=path)
    expect(
        result,
        "DataLimitError",
        "labels run from 0 to 1099511627776, which would make 1,099,511,627,777 classes",
        "infers at most 100",
        "classes=np.array",
    )


def test_labels_10_to_19_say_what_was_found_and_how_to_declare(hostile):
    path = hostile.npz(t_train=np.arange(12) % 10 + 10, t_test=np.arange(6) + 10)
    with pytest.raises(DataError) as error:
        load_dataset(path)
    text = one_line(error)
    assert "labels run from 10 to 19 but 0..9 never appear in the training labels" in text
    assert "20-class model" in text and "subtract 10 (t - 10)" in text and "classes=" in text


def test_labels_0_to_255_are_not_a_256_class_model(hostile):
    path = hostile.npz(
        x_train=np.zeros((256, 8, 8), np.uint8), t_train=np.arange(256), t_test=np.arange(6)
    )
    with pytest.raises(DataLimitError) as error:
        load_dataset(path)
    assert "labels run from 0 to 255, which would make 256 classes" in one_line(error)
    # declared by name, 256 classes are fine
    names = np.array([f"c{i}" for i in range(256)])
    data = load_dataset(
        hostile.npz(
            "named.npz",
            x_train=np.zeros((256, 8, 8), np.uint8),
            t_train=np.arange(256),
            t_test=np.arange(6),
            classes=names,
        )
    )
    assert len(data.classes) == 256 and data.classes[255] == "c255"


@pytest.mark.parametrize(
    "arrays, message",
    [
        (
            dict(t_test=np.array([0, 1, 5, 0, 1, 2]), classes=np.array(["a", "b", "c"])),
            "t_test has label 5 but only 3 classes are declared (labels must be 0 to 2)",
        ),
        (
            dict(t_train=np.arange(12) % 3 - 1),
            "t_train has label -1; labels are class indices from 0",
        ),
        (
            dict(t_train=(np.arange(12) % 3).astype(np.float32)),
            "t_train are float32 numbers; labels are integer class indices: save them as t.astype",
        ),
        (dict(t_train=np.array([0, 2] * 6)), "labels run from 0 to 2 but 1 never appears"),
        (dict(t_train=np.arange(5) % 3), "12 train images but 5 train labels"),
    ],
)
def test_labels_against_the_classes(hostile, arrays, message):
    with pytest.raises(DataError) as error:
        load_dataset(hostile.npz(**arrays))
    assert message in one_line(error)


# ---------------------------------------------------------------------------------------------
# Images: dtype, range, finiteness, layout, empty sets


def test_float_images_in_0_1_are_not_divided_by_255_again(hostile):
    x = np.random.default_rng(1).random((12, 8, 8)).astype(np.float32)
    data = load_dataset(hostile.npz(x_train=x, x_test=x[:6]))
    assert data.divide_by == 1
    np.testing.assert_array_equal(normalize_images(data.x_train, data.divide_by)[:, 0], x)
    assert load_dataset(hostile.npz("bytes.npz")).divide_by == 255
    assert load_dataset("mnist-mini").divide_by == 255
    declared = load_dataset(hostile.npz("declared.npz", x_train=x * 2, x_test=x[:6], divide_by=2))
    assert declared.divide_by == 2


@pytest.mark.parametrize(
    "arrays, message",
    [
        (
            dict(x_test=np.full((6, 8, 8), np.nan, np.float32)),
            "x_test has NaN or infinite pixel values",
        ),
        (
            dict(x_train=np.linspace(-1, 300, 12 * 64).reshape(12, 8, 8)),
            "pixel values run from -1 to 300; tatamikomi takes pixels 0..255 or in [0, 1]",
        ),
        (
            dict(
                x_train=np.zeros((12, 8, 8, 3), np.uint8), x_test=np.zeros((6, 8, 8, 3), np.uint8)
            ),
            "x_train has shape (12, 8, 8, 3), which looks like (N, H, W, C) (channels last); "
            "tatamikomi takes (N, C, H, W): save x.transpose(0, 3, 1, 2)",
        ),
        (
            dict(x_train=np.zeros((12, 784), np.uint8)),
            "flattened rows; images are (N, H, W) or "
            "(N, C, H, W): reshape them, e.g. x.reshape(-1, 28, 28)",
        ),
        (
            dict(x_test=np.zeros((0, 8, 8), np.uint8), t_test=np.zeros(0, int)),
            "x_test is empty (0 images); training and testing need at least one image each",
        ),
        (dict(x_train=np.array(["a"] * 12)), "x_train has dtype <U1; images are numbers"),
        (
            dict(x_test=np.zeros((6, 9, 9), np.uint8)),
            "training images are (1, 8, 8) but test images",
        ),
        (dict(divide_by=np.array(0)), "divide_by must be one positive number"),
    ],
)
def test_images_are_checked_with_the_fix(hostile, arrays, message):
    with pytest.raises(DataError) as error:
        load_dataset(hostile.npz(**arrays))
    assert message in one_line(error)


def test_from_arrays_gives_arrays_the_same_checks():
    x = np.zeros((4, 8, 8), np.uint8)
    data = from_arrays(x, [0, 1, 0, 1], x[:2], [1, 0], classes=("no", "yes"), name="my arrays")
    assert data.x_train.shape == (4, 1, 8, 8) and data.classes == ("no", "yes")
    with pytest.raises(DataError) as error:
        from_arrays(x, [0, 1, 0, 1], x[:0], np.zeros(0, int), name="my arrays")
    assert one_line(error).startswith("my arrays: x_test is empty (0 images)")


def test_class_names_saved_as_bytes_are_text(hostile):
    data = load_dataset(hostile.npz(classes=np.array([b"cat", b"dog", b"bird"])))
    assert data.classes == ("cat", "dog", "bird")


def test_normalize_images_refuses_a_zero_or_nan_divisor():
    for bad in (0, -1, float("nan"), "x"):
        with pytest.raises(DataError, match="divide_by must be a positive number"):
            normalize_images(np.zeros(3), bad)


# ---------------------------------------------------------------------------------------------
# Files that are not datasets


def test_a_text_file_is_named_as_text_without_the_pickle_hint(hostile):
    for name in ("data.npz", "data.csv"):
        with pytest.raises(DataError) as error:
            load_dataset(hostile.text(name))
        text = one_line(error)
        assert f"{name} is a text file (it starts with 'x_train,t_train\\n0,1\\n')" in text
        assert "a dataset is a .npz with x_train, t_train, x_test and t_test" in text


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda h: h._write("a.npy", b"\x93NUMPY" + bytes(20)),
            "is a single .npy array, not a dataset",
        ),
        (
            lambda h: h._write("one.gz", gzip.compress(b"x")),
            "is a single IDX file (give the folder",
        ),
        (lambda h: h._write("empty.npz", b""), "is an empty file, not a dataset"),
        (lambda h: h.npz_with_objects(), "its array x_train holds Python objects"),
    ],
)
def test_other_files_say_what_they_are(hostile, make, message):
    with pytest.raises(DataError) as error:
        load_dataset(make(hostile))
    assert message in one_line(error)


@linux_only
def test_an_npz_member_claiming_100000_squared_is_refused_before_allocating(hostile):
    result = in_child(
        "data.load_dataset(args['path'])", path=hostile.npz_member_claims((10**5,) * 2)
    )
    expect(result, "DataLimitError", "its array x_train (shape (100000, 100000)) declares 80.0 GB")
    result = in_child(
        "data.load_dataset(args['path'])", path=hostile.npz_member_claims((1000, 1000))
    )
    expect(result, "DataError", "declares shape (1000, 1000) of float64 (8.0 MB) but holds only")


def test_members_a_dataset_does_not_use_are_never_read(hostile):
    path = hostile.npz()
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        member, {"descr": "<f8", "fortran_order": False, "shape": (10**5, 10**5)}
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.npy", member.getvalue())
        archive.writestr("notes.txt", b"x" * 1000)
    data = load_dataset(path)
    assert data.x_train.shape == (12, 1, 8, 8)
    with pytest.raises(DataError, match=r"has no t_train or y_train; .* It has: \['x_train'\]"):
        load_dataset(hostile.npz("partial.npz", t_train=None, x_test=None, t_test=None))


def test_a_directory_is_a_directory(hostile, tmp_path):
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "folder.npz" / "notes.txt").write_text("x")
    with pytest.raises(DataNotFoundError) as error:
        load_dataset(str(tmp_path / "folder.npz"))
    assert "folder.npz is a directory without the four IDX files" in one_line(error)
    assert "it has notes.txt" in one_line(error)
    with pytest.raises(DataError) as error:
        read_idx(tmp_path / "folder.npz")
    assert "folder.npz is a directory, not a file" in one_line(error)
    with pytest.raises(DataNotFoundError, match="nothing.npz does not exist"):
        load_dataset(str(tmp_path / "nothing.npz"))


def test_an_unreadable_folder_is_not_readable(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()

    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(datasets.os, "listdir", denied)
    with pytest.raises(DataError) as error:
        load_dataset(str(folder))
    assert f"the folder {folder} is not readable (permission denied)" in one_line(error)
    assert not isinstance(error.value, FileNotFoundError)


@not_root
def test_an_unreadable_folder_and_file_for_real(tmp_path, hostile):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(DataError, match="is not readable"):
            load_dataset(str(folder))
    finally:
        folder.chmod(0o755)
    path = hostile.npz()
    os.chmod(path, 0)
    with pytest.raises(DataError, match="is not readable"):
        load_dataset(path)


# ---------------------------------------------------------------------------------------------
# The cache and TATAMIKOMI_OFFLINE


def test_a_cache_that_is_a_file_is_a_clear_data_not_found(tmp_path, monkeypatch, http_folder):
    root, url = http_folder
    (tmp_path / "cachefile").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cachefile"))
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "0")
    monkeypatch.setitem(
        datasets.SOURCES,
        "mnist",
        dataclasses.replace(datasets.SOURCES["mnist"], mirrors=(url + "/",)),
    )
    with pytest.raises(DataNotFoundError) as error:  # the command line falls back to mnist-mini
        load_dataset("mnist", progress=False)
    text = one_line(error)
    assert "the cache folder" in text and "cannot be used" in text and "XDG_CACHE_HOME" in text


def test_train_with_a_cache_that_is_a_file_falls_back_to_mnist_mini_with_a_note(tmp_path):
    (tmp_path / "cachefile").write_text("not a folder")
    environment = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "XDG_CACHE_HOME": str(tmp_path / "cachefile"),
        "TATAMIKOMI_OFFLINE": "0",
        "TATAMIKOMI_DATA": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tatamikomi", "train", "--epochs", "1", "-o", "m.npz"],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "cachefile" in done.stderr and "cannot be used (Not a directory)" in done.stderr
    assert "Training on mnist-mini instead" in done.stderr
    assert (tmp_path / "m.npz").is_file()


@not_root
def test_a_read_only_cache_is_a_clear_data_not_found(tmp_path, monkeypatch, http_folder):
    root, url = http_folder
    (root / "train-images-idx3-ubyte.gz").write_bytes(b"x")
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o555)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "no")
    monkeypatch.setitem(
        datasets.SOURCES,
        "mnist",
        dataclasses.replace(datasets.SOURCES["mnist"], mirrors=(url + "/",)),
    )
    try:
        with pytest.raises(DataNotFoundError, match="cannot be used"):
            load_dataset("mnist", progress=False)
    finally:
        cache.chmod(0o755)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("", False),
    ],
)
def test_offline_values(monkeypatch, value, expected):
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", value)
    assert offline() is expected


def test_offline_0_means_online_and_nonsense_is_an_error(monkeypatch, http_folder):
    root, url = http_folder  # serves nothing: every file is a 404
    monkeypatch.setitem(
        datasets.SOURCES,
        "mnist",
        dataclasses.replace(datasets.SOURCES["mnist"], mirrors=(url + "/",)),
    )
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "0")
    with pytest.raises(DataNotFoundError, match="could not download .* HTTP 404"):
        load_dataset("mnist", progress=False)
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "true")
    with pytest.raises(DataNotFoundError, match="downloads are off"):
        load_dataset("mnist", progress=False)
    monkeypatch.setenv("TATAMIKOMI_OFFLINE", "maybe")
    with pytest.raises(DataError) as error:
        load_dataset("mnist", progress=False)
    assert "TATAMIKOMI_OFFLINE must be 1, true or yes" in one_line(error)
    assert "got 'maybe'" in one_line(error)


# ---------------------------------------------------------------------------------------------
# augment_shift


@pytest.mark.parametrize(
    "shift, message",
    [
        (1000, "augment_shift must be from 0 to 27 (less than the 28x28 images' side); got 1000"),
        (28, "must be from 0 to 27"),
        (-1, "must be from 0 to 27 (less than the 28x28 images' side); got -1"),
        (1.5, "augment_shift must be a whole number of pixels; got 1.5"),
        (True, "whole number of pixels"),
    ],
)
def test_augment_shift_is_validated(shift, message):
    with pytest.raises(DataError) as error:
        random_shift(np.zeros((2, 1, 28, 28), np.float32), shift, np.random.default_rng(0))
    assert message in one_line(error)
    with pytest.raises(DataError, match="--augment-shift must be"):
        check_shift(shift, (1, 28, 28), "--augment-shift")


def test_a_large_shift_moves_each_image_like_a_reference():
    rng = np.random.default_rng(3)
    x = rng.random((40, 2, 9, 7)).astype(np.float32)
    out = random_shift(x, 6, np.random.default_rng(11))
    offsets = np.random.default_rng(11).integers(0, 13, (40, 2)) - 6
    for image, moved, (dy, dx) in zip(x, out, offsets):
        expected = np.zeros_like(image)
        ys, xs = slice(max(0, -dy), min(9, 9 - dy)), slice(max(0, -dx), min(7, 7 - dx))
        expected[:, ys, xs] = image[:, ys.start + dy : ys.stop + dy, xs.start + dx : xs.stop + dx]
        np.testing.assert_array_equal(moved, expected)
    assert out.dtype == x.dtype


@linux_only
def test_the_shift_cost_does_not_grow_with_the_shift():
    # the old loop over every offset: (2 * 1999 + 1) ** 2 = 16 million passes for this shift
    code = (
        "from tatamikomi.data.augment import random_shift\n"
        "x = np.ones((2, 1, 2000, 2000), np.float32)\n"
        "out = random_shift(x, 1999, np.random.default_rng(0))\n"
        "assert out.shape == x.shape and 0 < out.sum() <= x.sum()\n"
    )
    result = in_child(code, timeout=60)
    assert result["error"] == "no error", result


def test_one_error_family_for_the_data_area():
    for kind in (DataNotFoundError, IDXError, DownloadError, DataLimitError):
        assert issubclass(kind, DataError) and issubclass(kind, ValueError)
    assert issubclass(DataNotFoundError, FileNotFoundError)  # callers that caught these still do
    assert issubclass(DownloadError, OSError)
