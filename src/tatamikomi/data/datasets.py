"""MNIST, Fashion-MNIST, the bundled mnist-mini, and the user's own files.

Where the files of ``"mnist"`` and ``"fashion-mnist"`` come from, in this order:

1. an explicit ``path`` (a folder with the four IDX files, ``.gz`` or not);
2. the folder in ``$TATAMIKOMI_DATA`` (the files in it, or in its ``mnist/`` or ``fashion-mnist/``);
3. the user cache, ``$XDG_CACHE_HOME/tatamikomi/<name>`` (``~/.cache/tatamikomi/<name>``);
4. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package (/usr/share/datasets);
5. a download from the public mirrors into the cache (not when ``download=False`` or
   ``$TATAMIKOMI_OFFLINE`` is set).

Every file is checked against its known md5 (of the file as the mirrors serve it, or of its
decompressed content) and its IDX header; a corrupt file gives an error that names it.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import sys
from importlib import resources

import numpy as np

from .download import DownloadError, fetch, matches
from .idx import IDXError, decompress, parse_idx, read_bytes

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_CREDIT = (
    "MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "
    "The MNIST database of handwritten digits, licensed CC BY-SA 3.0"
)


@dataclasses.dataclass(frozen=True)
class Source:
    """A known dataset: its four files' md5s, where to download them, its classes."""

    name: str
    md5s: dict  # role -> set of md5 (as served, .gz, and of the decompressed file)
    mirrors: tuple[str, ...]
    classes: tuple[str, ...]
    credit: str
    system_dirs: tuple[str, ...] = ()


SOURCES = {
    "mnist": Source(
        "mnist",
        {
            "train_images": {
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "6bbc9ace898e44ae57da46a324031adb",
            },
            "train_labels": {
                "d53e105ee54ea40749a09fcbcd1e9432",
                "a25bea736e30d166cdddb491f175f624",
            },
            "test_images": {"9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"},
            "test_labels": {"ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"},
        },
        (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        tuple(str(i) for i in range(10)),
        MNIST_CREDIT,
    ),
    "fashion-mnist": Source(
        "fashion-mnist",
        {
            "train_images": {
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            },
            "train_labels": {
                "25c81989df183df01b3e8a0aad5dffbe",
                "9018921c3c673c538a1fc5bad174d6f9",
            },
            "test_images": {"bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"},
            "test_labels": {"bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"},
        },
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        "Fashion-MNIST: Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), MIT licence",
        ("/usr/share/datasets/fashion-mnist",),
    ),
}
MINI = "mnist-mini"
NAMES = (*SOURCES, MINI)


@dataclasses.dataclass
class Dataset:
    """Images (N, 1, H, W) uint8 (or the file's dtype) and labels (N,) int64, train and test."""

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    classes: tuple[str, ...]
    source: str  #: where the files were found, in words
    credit: str = ""

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
            f"from {self.source})"
        )


class DataNotFoundError(FileNotFoundError):
    """The dataset was found nowhere and could not be downloaded (the message says where we
    looked and what to do)."""


def cache_dir() -> str:
    """The user cache folder for downloaded data: ``$XDG_CACHE_HOME/tatamikomi`` or
    ``~/.cache/tatamikomi`` (``%LOCALAPPDATA%\\tatamikomi`` on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        base = os.environ.get("LOCALAPPDATA") if os.name == "nt" else None
        base = base or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tatamikomi")


def _find_files(directory: str) -> dict[str, str] | None:
    found = {}
    for role, stem in FILES.items():
        for candidate in (stem, stem + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                found[role] = path
                break
    return found if len(found) == len(FILES) else None


def _check(path: str, md5s: set[str]) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    data = decompress(raw, path)
    if not matches(raw, md5s, data):
        raise IDXError(
            f"{path} is not the original file: its md5 matches neither the published file nor "
            f"its decompressed content (corrupt, or a different dataset). Delete it, or fetch it "
            f"again."
        )
    return data


def _read_folder(files: dict[str, str], source: Source | None) -> list[np.ndarray]:
    arrays = []
    for role in ROLES:
        path = files[role]
        data = _check(path, source.md5s[role]) if source else read_bytes(path)
        arrays.append(parse_idx(data, path))
    return arrays


def _assemble(name, arrays, classes, where, credit="") -> Dataset:
    x_train, t_train, x_test, t_test = arrays
    for images, labels, split in ((x_train, t_train, "train"), (x_test, t_test, "test")):
        if images.ndim not in (3, 4) or labels.ndim != 1:
            raise ValueError(
                f"{where}: {split} images must be (N, H, W) or (N, C, H, W) and labels (N,); "
                f"got {images.shape} and {labels.shape}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{where}: {len(images)} {split} images but {len(labels)} {split} labels"
            )
        if labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
            raise ValueError(f"{where}: {split} labels must be integers from 0; got {labels.dtype}")
    top = int(max(t_train.max(initial=0), t_test.max(initial=0)))
    if classes is None:
        classes = tuple(str(i) for i in range(top + 1))
    if top >= len(classes):
        raise ValueError(f"{where}: label {top} but only {len(classes)} classes")

    def nchw(x):
        return x[:, None] if x.ndim == 3 else x

    return Dataset(
        name,
        nchw(x_train),
        t_train.astype(np.int64),
        nchw(x_test),
        t_test.astype(np.int64),
        tuple(classes),
        where,
        credit,
    )


def _load_npz(path: str) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path} is not a readable .npz dataset ({error})") from None
    arrays = []
    for keys in (("x_train",), ("t_train", "y_train"), ("x_test",), ("t_test", "y_test")):
        key = next((k for k in keys if k in contents), None)
        if key is None:
            raise ValueError(
                f"{path} has no {' or '.join(keys)}; a dataset .npz holds x_train, t_train "
                f"(or y_train), x_test and t_test (or y_test). It has: {sorted(contents)}"
            )
        arrays.append(contents[key])
    classes = tuple(str(c) for c in contents["classes"]) if "classes" in contents else None
    name = os.path.splitext(os.path.basename(path))[0]
    return _assemble(name, arrays, classes, path)


def _load_path(path: str, source: Source | None) -> Dataset:
    if os.path.isfile(path) and path.endswith(".npz"):
        return _load_npz(path)
    if not os.path.isdir(path):
        raise DataNotFoundError(
            f"{path} does not exist; give a folder with the four IDX files "
            f"({', '.join(FILES.values())}, .gz or not) or a .npz file"
        )
    for directory in (path, os.path.join(path, source.name) if source else None):
        files = directory and _find_files(directory)
        if files:
            name = source.name if source else os.path.basename(os.path.abspath(path))
            classes = source.classes if source else None
            credit = source.credit if source else ""
            return _assemble(name, _read_folder(files, source), classes, directory, credit)
    raise DataNotFoundError(
        f"{path} does not have the four IDX files ({', '.join(FILES.values())}, .gz or not)"
    )


def load_mini() -> Dataset:
    """The bundled mnist-mini: 6,000 training and 1,000 test images of the real MNIST."""
    folder = resources.files("tatamikomi.data") / "mnist_mini"
    arrays = []
    for role in ROLES:
        resource = folder / (FILES[role] + ".gz")
        arrays.append(parse_idx(gzip.decompress(resource.read_bytes()), f"mnist-mini {role}"))
    where = "the mnist-mini subset bundled with tatamikomi"
    return _assemble(MINI, arrays, SOURCES["mnist"].classes, where, MNIST_CREDIT)


def load_dataset(name="mnist", *, path=None, download=True, progress=True) -> Dataset:
    """A dataset by name (``"mnist"``, ``"fashion-mnist"``, ``"mnist-mini"``) or by path (a
    folder of IDX files or a ``.npz``), found as the module docstring describes."""
    name = os.fspath(name)
    if name == MINI:
        return load_mini()
    source = SOURCES.get(name.lower())
    if source is None:
        if os.path.exists(name) or os.sep in name or name.endswith(".npz"):
            return _load_path(name, None)
        raise ValueError(
            f"unknown dataset {name!r}; choose {', '.join(NAMES)}, or give the path of a folder "
            f"of IDX files or of a .npz file"
        )
    if path is not None:
        return _load_path(os.fspath(path), source)
    looked = []
    environment = os.environ.get("TATAMIKOMI_DATA")
    if environment:
        for directory in (os.path.join(environment, source.name), environment):
            files = _find_files(directory)
            if files and not _other_dataset(files, source):
                return _from_folder(source, files, f"{directory} ($TATAMIKOMI_DATA)")
        looked.append(f"$TATAMIKOMI_DATA={environment}")
    cache = os.path.join(cache_dir(), source.name)
    files = _find_files(cache)
    if files:
        try:
            return _from_folder(source, files, cache)
        except IDXError as error:  # our own cache: drop the bad file and fetch it again
            print(f"tatamikomi: {error}; it will be downloaded again", file=sys.stderr)
            for role, cached in files.items():
                try:
                    _check(cached, source.md5s[role])
                except IDXError:
                    os.remove(cached)
    looked.append(cache)
    for directory in source.system_dirs:
        files = _find_files(directory)
        if files:
            return _from_folder(source, files, directory)
        looked.append(directory)
    if not download or os.environ.get("TATAMIKOMI_OFFLINE"):
        why = "downloads are off (TATAMIKOMI_OFFLINE is set)" if download else "download=False"
        raise DataNotFoundError(
            f"{source.name} was not found (looked in {'; '.join(looked)}) and {why}. "
            f"Put the four files in one of those folders or set TATAMIKOMI_DATA."
        )
    download_dataset(source.name, cache, progress=progress)
    return _from_folder(source, _find_files(cache), cache)


def _other_dataset(files: dict[str, str], source: Source) -> bool:
    """True if the folder holds another known dataset (its labels file says so)."""
    try:
        _check(files["train_labels"], source.md5s["train_labels"])
        return False
    except IDXError:
        others = [s for s in SOURCES.values() if s is not source]
        for other in others:
            try:
                _check(files["train_labels"], other.md5s["train_labels"])
                return True
            except IDXError:
                continue
        return False


def _from_folder(source: Source, files: dict[str, str], where: str) -> Dataset:
    return _assemble(source.name, _read_folder(files, source), source.classes, where, source.credit)


def download_dataset(name: str, directory=None, *, mirrors=None, progress=True) -> str:
    """Download the four files of ``name`` into ``directory`` (default: the user cache) from
    its mirrors (or the given ``mirrors``, base URLs ending in ``/``); returns the folder.
    Files already there and intact are kept."""
    source = SOURCES[name]
    directory = directory or os.path.join(cache_dir(), name)
    os.makedirs(directory, exist_ok=True)
    for role, stem in FILES.items():
        target = os.path.join(directory, stem + ".gz")
        if os.path.isfile(target):
            try:
                _check(target, source.md5s[role])
                continue
            except IDXError:
                pass
        urls = [base + stem + ".gz" for base in (mirrors or source.mirrors)]
        if progress:
            print(f"tatamikomi: downloading {name} {stem}.gz", file=sys.stderr)
        try:
            fetch(stem + ".gz", urls, target, source.md5s[role], progress=progress)
        except DownloadError as error:
            raise DataNotFoundError(str(error)) from None
    return directory


def normalize_images(images, divide_by=255) -> np.ndarray:
    """Pixels as the networks take them: float32 ``images / divide_by`` (0..255 -> 0..1)."""
    return np.asarray(images).astype(np.float32) / np.float32(divide_by)


def load_mnist(
    normalize=True, flatten=True, one_hot_label=False, *, dataset="mnist", path=None, download=True
):
    """The book's ``load_mnist``: ``(x_train, t_train), (x_test, t_test)``.

    ``normalize``: pixels as float32 in [0, 1] (else uint8 0..255); ``flatten``: images as
    (N, 784) (else (N, 1, 28, 28)); ``one_hot_label``: labels as (N, 10) one-hot float32 (else
    (N,) class indices). ``dataset`` may also be ``"fashion-mnist"`` or ``"mnist-mini"``.
    """
    data = load_dataset(dataset, path=path, download=download)
    out = []
    for x, t in ((data.x_train, data.t_train), (data.x_test, data.t_test)):
        if normalize:
            x = normalize_images(x)
        if flatten:
            x = x.reshape(len(x), -1)
        if one_hot_label:
            t = np.eye(len(data.classes), dtype=np.float32)[t]
        out.append((x, t))
    return tuple(out)
