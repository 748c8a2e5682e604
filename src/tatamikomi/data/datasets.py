"""MNIST, Fashion-MNIST, the bundled mnist-mini, and the user's own files.

Where the files of ``"mnist"`` and ``"fashion-mnist"`` come from, in this order:

1. an explicit ``path`` (a folder with the four IDX files, ``.gz`` or not);
2. the folder in ``$TATAMIKOMI_DATA`` (the files in it, or in its ``mnist/`` or ``fashion-mnist/``);
3. the user cache, ``$XDG_CACHE_HOME/tatamikomi/<name>`` (``~/.cache/tatamikomi/<name>``);
4. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package (/usr/share/datasets);
5. a download from the public mirrors into the cache (not when ``download=False`` or
   ``$TATAMIKOMI_OFFLINE`` is 1, true or yes).

Every file is checked against its known md5 (of the file as the mirrors serve it, or of its
decompressed content) and its IDX header; a corrupt file gives an error that names it. A user's
own files are checked up front: labels against the classes, images for their layout (NCHW),
dtype, finiteness and range. Every problem is a :class:`~.errors.DataError` with a one-line
message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import stat
import sys
import zipfile
import zlib
from importlib import resources

import numpy as np

from .. import i18n
from .download import DownloadError, fetch
from .errors import (
    DATA_RATIO_FROM_BYTES,
    MAX_CLASSES,
    MAX_DATA_RATIO,
    MAX_DATA_BYTES,
    MAX_INFERRED_CLASSES,
    DataError,
    DataLimitError,
    DataNotFoundError,
    IDXError,
    check_limit,
    size_text,
)
from .idx import GZIP_MAGIC, TYPES, check_file, idx_header, parse_idx, path_mode, read_idx

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
#: the files of the test set alone (what showing or measuring a trained model needs)
TEST_ROLES = ("test_images", "test_labels")
SPLITS = {None: ROLES, "test": TEST_ROLES}
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
    """Images (N, C, H, W) uint8 (or the file's dtype) and labels (N,) int64, train and test.

    ``divide_by`` is what the pixels are divided by to give the network's input in [0, 1]:
    255 for pixels 0..255, 1 for images already in [0, 1] (found from the data, or declared by
    a ``divide_by`` entry in a ``.npz``); :func:`normalize_images` takes it.
    """

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    classes: tuple[str, ...]
    source: str  #: where the files were found, in words
    credit: str = ""
    divide_by: float = 255

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
            f"from {self.source})"
        )


def cache_dir() -> str:
    """The user cache folder for downloaded data: ``$XDG_CACHE_HOME/tatamikomi`` or
    ``~/.cache/tatamikomi`` (``%LOCALAPPDATA%\\\\tatamikomi`` on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        base = os.environ.get("LOCALAPPDATA") if os.name == "nt" else None
        base = base or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tatamikomi")


def offline() -> bool:
    """True if ``$TATAMIKOMI_OFFLINE`` turns downloads off: 1, true, yes or on; 0, false, no,
    off or unset leave them on; anything else is a :class:`DataError`."""
    text = os.environ.get("TATAMIKOMI_OFFLINE", "")
    value = text.strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise DataError(
        f"TATAMIKOMI_OFFLINE must be 1, true or yes (no downloads) or 0, false or no (downloads "
        f"allowed); got {text!r}"
    )


def _find_files(directory: str, roles=ROLES) -> dict[str, str] | None:
    found = {}
    for role in roles:
        stem = FILES[role]
        for candidate in (stem, stem + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                found[role] = path
                break
    return found if len(found) == len(roles) else None


def _read_folder(files: dict[str, str], source: Source | None) -> list[np.ndarray]:
    """The IDX files of ``files`` (role -> path), their headers checked first, all of them:
    images and labels that agree in number and a declared total within
    :data:`~.errors.MAX_DATA_BYTES`, before any file's values are inflated."""
    headers = {role: idx_header(path) for role, path in files.items()}
    for images, labels in (("train_images", "train_labels"), ("test_images", "test_labels")):
        if images in headers and labels in headers:
            (image_shape, _), (label_shape, _) = headers[images], headers[labels]
            if len(label_shape) != 1 or len(image_shape) < 3 or image_shape[0] != label_shape[0]:
                raise i18n.error(
                    IDXError, "idx_pair", images=files[images], image_shape=image_shape,
                    labels=files[labels], label_shape=label_shape,
                )
    total = sum(math.prod(shape) * dtype.itemsize for shape, dtype in headers.values())
    check_limit(total, f"the dataset in {os.path.dirname(next(iter(files.values())))}",
                MAX_DATA_BYTES)
    arrays = {role: read_idx(files[role], md5s=source.md5s[role] if source else None)
              for role in ROLES if role in files}
    return _four(arrays)


def _four(arrays: dict) -> list[np.ndarray]:
    """The four arrays in :data:`ROLES` order; a test set alone stands in for the training set
    too (:func:`_test_only` then empties it), so that it is checked as one."""
    if "train_images" not in arrays:
        arrays = {**arrays, "train_images": arrays["test_images"],
                  "train_labels": arrays["test_labels"]}
    return [arrays[role] for role in ROLES]


def _test_only(data: Dataset, roles) -> Dataset:
    """``data`` with an empty training set when only the test set was read."""
    if roles != TEST_ROLES:
        return data
    return dataclasses.replace(data, x_train=data.x_test[:0], t_train=data.t_test[:0])


# ---------------------------------------------------------------------------------------------
# Checking a dataset's arrays up front


def _labels(t: np.ndarray, key: str, where: str) -> tuple[int, int]:
    """The smallest and largest of the labels ``t`` (N,), checked to be class indices."""
    if t.dtype.kind not in "iuf" or t.ndim != 1:
        raise i18n.error(
            DataError, "labels_shape", where=where, key=key, dtype=t.dtype, shape=t.shape
        )
    if t.size == 0:
        return 0, 0
    lo, hi = t.min(), t.max()
    if t.dtype.kind == "f":
        integral = np.isfinite(lo) and np.isfinite(hi) and np.array_equal(t, np.round(t))
        name = "labels_integral" if integral else "labels_fractional"
        raise i18n.error(DataError, name, where=where, key=key, dtype=t.dtype)
    return int(lo), int(hi)


def _check_classes(labels: dict[str, np.ndarray], classes, where: str) -> tuple[str, ...]:
    """The class names: ``classes`` checked against the labels, or (when None) one per label
    value 0..max, which must all appear in the training labels and be at most
    :data:`~.errors.MAX_INFERRED_CLASSES`. Nothing is allocated per label value."""
    ranges = {key: _labels(t, key, where) for key, t in labels.items() if t.size}
    lo = min((r[0] for r in ranges.values()), default=0)
    hi = max((r[1] for r in ranges.values()), default=0)
    if lo < 0:
        key = next(k for k, r in ranges.items() if r[0] == lo)
        raise i18n.error(DataError, "labels_negative", where=where, key=key, lo=lo, hi=hi)
    if classes is not None:
        if len(classes) > MAX_CLASSES:
            raise DataLimitError(
                f"{where}: {len(classes):,} classes declared, more than the limit of "
                f"{MAX_CLASSES:,}"
            )
        if hi >= len(classes):
            key = next(k for k, r in ranges.items() if r[1] == hi)
            raise i18n.error(
                DataError, "labels_over", where=where, key=key, hi=hi, count=len(classes),
                last=len(classes) - 1,
            )
        return tuple(classes)
    declare = i18n.Said("errors.declare_classes")
    if hi >= MAX_INFERRED_CLASSES:
        raise DataLimitError(
            f"{where}: labels run from {lo} to {hi}, which would make {hi + 1:,} classes; "
            f"tatamikomi infers at most {MAX_INFERRED_CLASSES} from the labels alone: if they "
            f"are class indices, {declare}; if not, these are not labels"
        )
    train = labels.get("t_train", labels.get("t_test"))
    seen = set(np.unique(train).tolist()) if train is not None else set()
    missing = sorted(set(range(hi + 1)) - seen)
    if missing:
        first = missing[0] if len(missing) == 1 else f"{missing[0]}..{missing[-1]}"
        if missing != list(range(missing[0], missing[-1] + 1)):
            first = ", ".join(map(str, missing[:8])) + (", ..." if len(missing) > 8 else "")
        shift = i18n.Said("errors.labels_shift", lo=lo) if lo > 0 else ""
        raise i18n.error(
            DataError, "labels_gap" if len(missing) == 1 else "labels_gaps", where=where, lo=lo,
            hi=hi, first=first, count=hi + 1, shift=shift, declare=declare,
        )
    return tuple(str(i) for i in range(hi + 1))


def image_layout(x, key: str, where: str) -> np.ndarray:
    """Images ``x`` as (N, C, H, W), from (N, H, W) or (N, C, H, W); other layouts (channels
    last, flattened rows, empty) are named with their fix."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise i18n.error(DataError, "images_dtype", where=where, key=key, dtype=x.dtype)
    if x.ndim == 4 and x.shape[3] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        raise i18n.error(
            DataError, "images_channels_last", where=where, key=key, shape=x.shape
        )
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        square = side * side == x.shape[1] and side > 1
        name = "images_flat_square" if square else "images_flat"
        raise i18n.error(DataError, name, where=where, key=key, shape=x.shape, side=side)
    if x.ndim not in (3, 4):
        raise i18n.error(DataError, "images_ndim", where=where, key=key, shape=x.shape)
    if len(x) == 0:
        raise i18n.error(DataError, "images_empty", where=where, key=key)
    if 0 in x.shape[1:]:
        raise i18n.error(DataError, "images_zero_side", where=where, key=key, shape=x.shape)
    return x[:, None] if x.ndim == 3 else x


def _pixel_scale(images: dict[str, np.ndarray], where: str, declared=None) -> float:
    """What the pixels are divided by (255 for 0..255, 1 for [0, 1]), checked: finite, and in
    0..255 (or in 0..``declared``)."""
    lo, hi = math.inf, -math.inf
    for key, x in images.items():
        x_lo, x_hi = float(x.min()), float(x.max())  # NaN spreads to the min and max
        if not (math.isfinite(x_lo) and math.isfinite(x_hi)):
            raise i18n.error(DataError, "images_not_finite", where=where, key=key)
        lo, hi = min(lo, x_lo), max(hi, x_hi)
    if declared is not None:
        scale = float(np.asarray(declared).reshape(-1)[0]) if np.size(declared) == 1 else None
        if scale is None or not (math.isfinite(scale) and scale > 0):
            raise DataError(f"{where}: divide_by must be one positive number; got {declared!r}")
        if lo < 0 or hi > scale:
            raise i18n.error(DataError, "pixels_declared", where=where, lo=lo, hi=hi, scale=scale)
        return scale
    if lo < 0 or hi > 255:
        raise i18n.error(DataError, "pixels_range", where=where, lo=lo, hi=hi)
    return 1.0 if hi <= 1 else 255.0


def _assemble(name, arrays, classes, where, credit="", divide_by=None) -> Dataset:
    x_train, t_train, x_test, t_test = arrays
    for split, images, labels in (("train", x_train, t_train), ("test", x_test, t_test)):
        if labels.ndim == 1 and images.ndim >= 1 and len(images) != len(labels):
            raise i18n.error(
                DataError, f"count_{split}", where=where, images=len(images), labels=len(labels)
            )
    x_train, x_test = image_layout(x_train, "x_train", where), image_layout(x_test, "x_test", where)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise i18n.error(
            DataError, "split_shapes", where=where, train=x_train.shape[1:], test=x_test.shape[1:]
        )
    test_only = t_train is t_test  # a test set read alone (see _four): named as itself
    labels = {"t_test": t_test} if test_only else {"t_train": t_train, "t_test": t_test}
    images = {"x_test": x_test} if test_only else {"x_train": x_train, "x_test": x_test}
    classes = _check_classes(labels, classes, where)
    scale = _pixel_scale(images, where, divide_by)
    return Dataset(
        name,
        x_train,
        t_train.astype(np.int64),
        x_test,
        t_test.astype(np.int64),
        classes,
        where,
        credit,
        scale,
    )


def from_arrays(
    x_train, t_train, x_test, t_test, *, classes=None, name="arrays", divide_by=None
) -> Dataset:
    """A :class:`Dataset` from arrays, with every check a user's dataset file gets: images
    (N, H, W) or (N, C, H, W) (channels-last named), numeric, finite, 0..255 or [0, 1] (or
    0..``divide_by``), no empty set, labels class indices against ``classes`` (or inferred, see
    the module docstring); a :class:`~.errors.DataError` naming ``name`` otherwise."""
    arrays = [np.asarray(a) for a in (x_train, t_train, x_test, t_test)]
    return _assemble(name, arrays, classes, name, divide_by=divide_by)


# ---------------------------------------------------------------------------------------------
# The user's own files

DATASET_FORMAT = i18n.Said("errors.data_format")


def _what_file(path: str) -> str:
    """What the file ``path`` looks like, from its first bytes, for a message."""
    with open(path, "rb") as f:
        start = f.read(64)
    if not start:
        return i18n.Said("errors.file_empty")
    if start.startswith(b"\x93NUMPY"):
        return i18n.Said("errors.file_npy")
    if start.startswith(GZIP_MAGIC) or (start[:2] == b"\0\0" and start[2] in TYPES):
        return i18n.Said("errors.file_idx")
    if start.startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM")):
        return i18n.Said("errors.file_image")
    unknown = i18n.Said("errors.file_unknown", start=start[:8].hex())
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError:
        return unknown
    if text.isprintable() or all(c.isprintable() or c.isspace() for c in text):
        return i18n.Said("errors.file_text", start=text[:24])
    return unknown


NPZ_KEYS = ("x_train", "t_train", "y_train", "x_test", "t_test", "y_test", "classes", "divide_by")


_NPY_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _npz_contents(path: str, wanted=NPZ_KEYS) -> tuple[dict[str, np.ndarray], list[str]]:
    """The arrays of the .npz ``path`` that a dataset uses (:data:`NPZ_KEYS`), and the names
    of all its arrays. Each used member is found by its exact name (``x_train.npy``; a name
    given twice, or both ``x_train`` and ``x_train.npy``, is refused as ambiguous), its header
    read and the declared sizes of all of them checked together (against
    :data:`~.errors.MAX_DATA_BYTES` and :data:`~.errors.MAX_DATA_RATIO` times the file's size)
    before any data is read; the data are then read in a stream that stops at the declared
    size. Other members are never read, and pickled data never is."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise DataError(f"{path} is not a readable .npz ({error}); {DATASET_FORMAT}") from None
    with archive:
        stems: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infolist():
            name = info.filename
            stems.setdefault(name[: -len(".npy")] if name.endswith(".npy") else name, []).append(
                info
            )
        names = sorted(stems)
        for key in wanted:
            if len(stems.get(key, ())) > 1:
                given = ", ".join(i.filename for i in stems[key])
                raise i18n.error(DataError, "data_npz_ambiguous", path=path, key=key, given=given)
        members = {key: stems[key][0] for key in wanted if key in stems}
        headers = {key: _npy_header(archive, info, path, key) for key, info in members.items()}
        total = sum(math.prod(shape) * dtype.itemsize for _, shape, _, dtype in headers.values())
        check_limit(total, f"{path} (its dataset arrays)", MAX_DATA_BYTES)
        size = os.path.getsize(path)
        if total > DATA_RATIO_FROM_BYTES and total > MAX_DATA_RATIO * size:
            raise i18n.error(
                DataLimitError, "data_ratio", path=path, total=size_text(total),
                size=size_text(size), ratio=MAX_DATA_RATIO,
            )
        contents = {
            key: _npy_data(archive, members[key], headers[key], path, key) for key in members
        }
    return contents, names


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, key: str):
    """``(offset, shape, fortran, dtype)`` of the .npy member ``info``, checked: a numeric (or,
    for classes, string) dtype, at most :data:`~.errors.MAX_DATA_BYTES`."""
    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in _NPY_READERS:
                raise ValueError(f"unknown .npy format version {version}")
            shape, fortran, dtype = _NPY_READERS[version](f)
            offset = f.tell()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: its array {key} is damaged ({error}); save it again") from None
    if dtype.hasobject or dtype.kind not in "biufSU":
        raise DataError(
            f"{path}: its array {key} holds Python objects; tatamikomi reads only plain "
            f"numeric (or string, for classes) arrays: save it with a numeric dtype"
        )
    declared = math.prod(shape) * dtype.itemsize
    check_limit(declared, f"{path}: its array {key} (shape {shape})", MAX_DATA_BYTES)
    if declared > info.file_size:  # the declared size said wrong early; the real one as read
        raise DataError(
            f"{path}: its array {key} declares shape {shape} of {dtype} ({size_text(declared)}) "
            f"but holds only {size_text(info.file_size)}: the file is damaged; save it again"
        )
    return offset, shape, fortran, dtype


def _npy_data(archive, info, header, path: str, key: str) -> np.ndarray:
    """The values of the .npy member ``info`` as its ``header`` declares them, read in a stream
    into an array of that size: a member with fewer or more bytes is refused."""
    offset, shape, fortran, dtype = header
    nbytes = math.prod(shape) * dtype.itemsize
    data = np.empty(nbytes, np.uint8)
    view, done = memoryview(data), 0
    try:
        with archive.open(info) as f:
            f.read(offset)
            while done < nbytes:
                chunk = f.read(min(1 << 20, nbytes - done))
                if not chunk:
                    break
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
            extra = f.read(1)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"{path} is a damaged .npz ({error}); save it again") from None
    if done < nbytes or extra:
        raise i18n.error(
            DataError, "data_npz_size", path=path, key=key, shape=shape, dtype=dtype,
            declared=size_text(nbytes),
        )
    return data.view(dtype).reshape(shape, order="F" if fortran else "C")


def _load_npz(path: str, roles=ROLES) -> Dataset:
    groups = (("x_train",), ("t_train", "y_train"), ("x_test",), ("t_test", "y_test"))
    groups = groups if roles == ROLES else groups[2:]
    wanted = (*(k for keys in groups for k in keys), "classes", "divide_by")
    contents, names = _npz_contents(path, wanted)
    arrays = []
    for keys in groups:
        key = next((k for k in keys if k in contents), None)
        if key is None:
            raise i18n.error(
                DataError, "data_npz_keys", path=path, keys=" or ".join(keys), names=names
            )
        arrays.append(contents[key])
    classes = None
    if "classes" in contents:
        names = contents["classes"]
        if names.ndim != 1:
            raise DataError(f"{path}: classes must be a 1-D array of names; got {names.shape}")
        if len(names) > MAX_CLASSES:
            raise DataLimitError(
                f"{path}: {len(names):,} classes declared, more than the limit of {MAX_CLASSES:,}"
            )
        classes = tuple(
            c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c) for c in names.tolist()
        )
    name = os.path.splitext(os.path.basename(path))[0]
    arrays = arrays if len(arrays) == 4 else arrays + arrays
    data = _assemble(name, arrays, classes, path, divide_by=contents.get("divide_by"))
    return _test_only(data, roles)


def _load_path(path: str, source: Source | None, roles=ROLES) -> Dataset:
    if not os.path.lexists(path):
        files = ", ".join(FILES.values())
        raise i18n.error(DataNotFoundError, "data_missing", path=path, files=files)
    idx_files = f"{', '.join(FILES.values())}, .gz or not"
    fix = f"give a folder with the four IDX files ({idx_files}) or a .npz file"
    mode = path_mode(path, "dataset", fix)
    if stat.S_ISREG(mode):
        check_file(path, "dataset file")
        with open(path, "rb") as f:
            is_zip = f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
        if not is_zip:
            raise i18n.error(
                DataError, "data_not_dataset", path=path, what=_what_file(path),
                format=DATASET_FORMAT,
            )
        return _load_npz(path, roles)
    if not stat.S_ISDIR(mode):
        raise DataError(
            f"dataset {path} is not a regular file or folder (a device, pipe or socket)"
        )
    try:
        listing = sorted(os.listdir(path))
    except PermissionError:
        raise DataError(
            f"the folder {path} is not readable (permission denied); check its rights"
        ) from None
    for directory in (path, os.path.join(path, source.name) if source else None):
        files = directory and _find_files(directory, roles)
        if files:
            name = source.name if source else os.path.basename(os.path.abspath(path))
            classes = source.classes if source else None
            credit = source.credit if source else ""
            data = _assemble(name, _read_folder(files, source), classes, directory, credit)
            return _test_only(data, roles)
    shown = (
        ", ".join(listing[:6]) + (", ..." if len(listing) > 6 else "")
        if listing
        else i18n.Said("errors.nothing")
    )
    raise i18n.error(
        DataNotFoundError, "data_no_idx", path=path, files=", ".join(FILES.values()), shown=shown
    )


# ---------------------------------------------------------------------------------------------
# Known datasets and where they are found


def load_mini(split=None) -> Dataset:
    """The bundled mnist-mini: 6,000 training and 1,000 test images of the real MNIST
    (``split="test"``: the test images alone, the training set left empty)."""
    roles = _roles(split)
    folder = resources.files("tatamikomi.data") / "mnist_mini"
    arrays = {}
    for role in roles:
        resource = folder / (FILES[role] + ".gz")
        arrays[role] = parse_idx(resource.read_bytes(), f"mnist-mini {role}")
    where = "the mnist-mini subset bundled with tatamikomi"
    data = _assemble(MINI, _four(arrays), SOURCES["mnist"].classes, where, MNIST_CREDIT)
    return _test_only(data, roles)


def _roles(split) -> tuple[str, ...]:
    if split not in SPLITS:
        raise ValueError(f"split must be None (all) or 'test'; got {split!r}")
    return SPLITS[split]


def load_dataset(name="mnist", *, path=None, download=True, progress=True, split=None) -> Dataset:
    """A dataset by name (``"mnist"``, ``"fashion-mnist"``, ``"mnist-mini"``) or by path (a
    folder of IDX files or a ``.npz``), found as the module docstring describes.

    ``split="test"`` finds, downloads and reads the test set alone (what showing or measuring
    a trained model needs; the training set is then empty).

    Raises :class:`~.errors.DataNotFoundError` when a known dataset is found nowhere and cannot
    be downloaded (also when the cache folder cannot be used), and another
    :class:`~.errors.DataError` for anything wrong with the files or settings."""
    name, roles = os.fspath(name), _roles(split)
    if name == MINI:
        return load_mini(split)
    source = SOURCES.get(name.lower())
    if source is None:
        if os.path.lexists(name) or os.sep in name or name.endswith(".npz"):
            return _load_path(name, None, roles)
        raise i18n.error(DataError, "data_unknown", name=name, choices=", ".join(NAMES))
    if path is not None:
        return _load_path(os.fspath(path), source, roles)
    looked = []
    environment = os.environ.get("TATAMIKOMI_DATA")
    if environment:
        for directory in (os.path.join(environment, source.name), environment):
            files = _find_files(directory, roles)
            if files and not _other_dataset(files, source):
                return _from_folder(source, files, f"{directory} ($TATAMIKOMI_DATA)", roles)
        looked.append(f"$TATAMIKOMI_DATA={environment}")
    cache = os.path.join(cache_dir(), source.name)
    files = _find_files(cache, roles)
    if files:
        try:
            return _from_folder(source, files, cache, roles)
        except IDXError as error:  # our own cache: drop the bad file and fetch it again
            print(f"tatamikomi: {error}; it will be downloaded again", file=sys.stderr)
            for role, cached in files.items():
                try:
                    read_idx(cached, md5s=source.md5s[role])
                except IDXError:
                    with contextlib.suppress(OSError):
                        os.remove(cached)
    looked.append(cache)
    for directory in source.system_dirs:
        files = _find_files(directory, roles)
        if files:
            return _from_folder(source, files, directory, roles)
        looked.append(directory)
    if not download or offline():
        raise i18n.error(
            DataNotFoundError, "data_offline" if download else "data_no_download",
            name=source.name, looked="; ".join(looked),
        )
    download_dataset(source.name, cache, progress=progress, split=split)
    return _from_folder(source, _find_files(cache, roles), cache, roles)


def _other_dataset(files: dict[str, str], source: Source) -> bool:
    """True if the folder holds another known dataset (its labels file says so)."""
    role = "train_labels" if "train_labels" in files else "test_labels"
    for candidate in (source, *(s for s in SOURCES.values() if s is not source)):
        try:
            read_idx(files[role], md5s=candidate.md5s[role])
            return candidate is not source
        except DataError:
            continue
    return False


def _from_folder(source: Source, files: dict[str, str], where: str, roles=ROLES) -> Dataset:
    arrays = _read_folder(files, source)
    data = _assemble(source.name, arrays, source.classes, where, source.credit)
    return _test_only(data, roles)


def download_dataset(
    name: str, directory=None, *, mirrors=None, progress=True, split=None
) -> str:
    """Download the four files of ``name`` (``split="test"``: its two test files) into
    ``directory`` (default: the user cache) from its mirrors (or the given ``mirrors``, base
    URLs ending in ``/``); returns the folder. Files already there and intact are kept; a
    download that fails leaves nothing behind, not even the folders it made. A folder that
    cannot be created or written raises :class:`~.errors.DataNotFoundError` that says so (the
    caller may fall back to mnist-mini)."""
    source = SOURCES[name]
    directory = directory or os.path.join(cache_dir(), name)
    made = _missing_folders(directory)
    try:
        for role in _roles(split):
            stem = FILES[role]
            target = os.path.join(directory, stem + ".gz")
            if os.path.isfile(target):
                try:
                    read_idx(target, md5s=source.md5s[role])
                    continue
                except DataError:
                    pass
            os.makedirs(directory, exist_ok=True)
            urls = [base + stem + ".gz" for base in (mirrors or source.mirrors)]
            fetch(
                stem + ".gz", urls, target, source.md5s[role], progress=progress,
                label=f"{name} {stem}.gz",
            )
    except DownloadError as error:
        _remove_empty(made)
        raise i18n.recast(DataNotFoundError, error) from None
    except OSError as error:
        _remove_empty(made)
        reason = error.strerror or str(error)
        raise DataNotFoundError(
            f"the cache folder {directory} cannot be used ({reason}), so {name} cannot be "
            f"downloaded; set XDG_CACHE_HOME to a writable folder, or TATAMIKOMI_DATA to a folder "
            f"with the four files"
        ) from None
    return directory


def _missing_folders(directory: str) -> list[str]:
    """The folders above and including ``directory`` that do not exist yet, deepest first."""
    missing, folder = [], os.path.abspath(directory)
    while not os.path.lexists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing


def _remove_empty(folders: list[str]) -> None:
    """Remove ``folders`` (deepest first) where they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def normalize_images(images, divide_by=255) -> np.ndarray:
    """Pixels as the networks take them: float32 ``images / divide_by`` (0..255 -> 0..1; use
    a dataset's ``divide_by``, which is 1 for images already in [0, 1])."""
    try:
        scale = float(divide_by)
    except (TypeError, ValueError):
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise DataError(
            f"divide_by must be a positive number (255 for pixels 0..255, 1 for [0, 1]); got "
            f"{divide_by!r}"
        )
    return np.asarray(images).astype(np.float32) / np.float32(scale)


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
            x = normalize_images(x, data.divide_by)
        if flatten:
            x = x.reshape(len(x), -1)
        if one_hot_label:
            t = np.eye(len(data.classes), dtype=np.float32)[t]
        out.append((x, t))
    return tuple(out)
