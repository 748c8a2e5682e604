"""Reading a dataset from files: a folder of the four IDX files (their headers checked
together before any file is inflated) or the user's ``.npz`` (its members' headers checked
before any data is read, pickled data never)."""

from __future__ import annotations

import math
import os
import stat
import zipfile
import zlib

import numpy as np

from .. import i18n
from .arrays import Dataset, _assemble, _four, _test_only
from .errors import (
    MAX_CLASSES,
    MAX_DATA_BYTES,
    DataError,
    DataLimitError,
    DataNotFoundError,
    IDXError,
    check_limit,
    check_ratio,
    size_text,
)
from .idx import GZIP_MAGIC, TYPES, check_file, idx_header, path_mode, read_idx
from .sources import FILES, ROLES, Source, _find_files


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
                    IDXError, "errors.idx_pair", images=files[images], image_shape=image_shape,
                    labels=files[labels], label_shape=label_shape,
                )
    total = sum(math.prod(shape) * dtype.itemsize for shape, dtype in headers.values())
    folder = os.path.dirname(next(iter(files.values())))
    check_limit(total, i18n.Said("errors.files_dataset_in", folder=folder), MAX_DATA_BYTES)
    arrays = {role: read_idx(files[role], md5s=source.md5s[role] if source else None)
              for role in ROLES if role in files}
    return _four(arrays)


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
        raise i18n.error(
            DataError, "errors.files_readable_npz", path=path, error=error,
            dataset_format=DATASET_FORMAT,
        ) from None
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
                raise i18n.error(
                    DataError, "errors.data_npz_ambiguous", path=path, key=key, given=given
                )
        members = {key: stems[key][0] for key in wanted if key in stems}
        headers = {key: _npy_header(archive, info, path, key) for key, info in members.items()}
        total = sum(math.prod(shape) * dtype.itemsize for _, shape, _, dtype in headers.values())
        check_limit(total, i18n.Said("errors.files_dataset_arrays", path=path), MAX_DATA_BYTES)
        check_ratio(total, os.path.getsize(path), path)
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
                raise i18n.error(ValueError, "errors.files_unknown_npy_format", version=version)
            shape, fortran, dtype = _NPY_READERS[version](f)
            offset = f.tell()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise i18n.error(
            DataError, "errors.files_array_damaged_save", path=path, key=key, error=error,
        ) from None
    if dtype.hasobject or dtype.kind not in "biufSU":
        raise i18n.error(DataError, "errors.files_array_holds_python", path=path, key=key)
    declared = math.prod(shape) * dtype.itemsize
    check_limit(
        declared, i18n.Said("errors.files_array_of", path=path, key=key, shape=shape),
        MAX_DATA_BYTES,
    )
    if declared > info.file_size:  # the declared size said wrong early; the real one as read
        raise i18n.error(
            DataError, "errors.files_array_declares_shape", path=path, key=key, shape=shape,
            dtype=dtype, declared=size_text(declared),
            held=size_text(info.file_size),
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
        raise i18n.error(
            DataError, "errors.files_damaged_npz_save", path=path, error=error,
        ) from None
    if done < nbytes or extra:
        raise i18n.error(
            DataError,
            "errors.data_npz_size",
            path=path,
            key=key,
            shape=shape,
            dtype=dtype,
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
                DataError, "errors.data_npz_keys", path=path, keys=" or ".join(keys), names=names
            )
        arrays.append(contents[key])
    classes = None
    if "classes" in contents:
        names = contents["classes"]
        if names.ndim != 1:
            raise i18n.error(
                DataError, "errors.files_classes_d_array", path=path, names_shape=names.shape,
            )
        if len(names) > MAX_CLASSES:
            raise i18n.error(
                DataLimitError, "errors.files_classes_declared_more", path=path,
                len_names=len(names), max_classes=MAX_CLASSES,
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
        raise i18n.error(DataNotFoundError, "errors.data_missing", path=path, files=files)
    fix = i18n.Said("errors.files_dataset_fix", files=", ".join(FILES.values()))
    mode = path_mode(path, i18n.Said("errors.the_dataset"), fix)
    if stat.S_ISREG(mode):
        check_file(path, i18n.Said("errors.dataset_file"))
        with open(path, "rb") as f:
            is_zip = f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
        if not is_zip:
            raise i18n.error(
                DataError,
                "errors.data_not_dataset",
                path=path,
                what=_what_file(path),
                format=DATASET_FORMAT,
            )
        return _load_npz(path, roles)
    if not stat.S_ISDIR(mode):
        raise i18n.error(DataError, "errors.files_dataset_regular_file", path=path)
    try:
        listing = sorted(os.listdir(path))
    except PermissionError:
        raise i18n.error(DataError, "errors.files_folder_readable_permission", path=path) from None
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
        DataNotFoundError,
        "errors.data_no_idx",
        path=path,
        files=", ".join(FILES.values()),
        shown=shown,
    )
