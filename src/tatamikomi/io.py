"""The safe container of model files: one file, no pickle, nothing runs when it is loaded.

This module knows no model class (:mod:`tatamikomi.models.files` decides what a model puts in
the container). A model file is a ``.npz`` (zip) archive that NumPy can open too:

- ``tatamikomi.json``: the format version, the architecture (enough to rebuild the model), the
  input preprocessing, the class names, the training history, and for every array its shape,
  dtype and SHA-256;
- ``model/<name>.npy``: each parameter and buffer (``W1``, ``b1``...), read with
  ``allow_pickle=False``;
- in a checkpoint, also ``optimizer/...`` and ``trainer/...`` arrays to resume training.

Loading checks every array against its recorded checksum, so a truncated, corrupted or edited
file gives a :class:`ModelFileError` that says so, never a silently different model.

The book's ``params.pkl`` files are pickles; :func:`load_book_params` reads them with an
unpickler that can only build dicts of numeric NumPy arrays and refuses everything else.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import os
import pickle
import zipfile
import zlib

import numpy as np

from . import i18n

from ._files import atomic_write

FORMAT = "tatamikomi"
VERSION = 1
META_NAME = "tatamikomi.json"


class ModelFileError(ValueError):
    """A model or parameter file that cannot be read: the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# The container


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_archive(path, meta: dict, arrays: dict, *, overwrite=False) -> None:
    """Write ``meta`` (JSON) and ``arrays`` (name -> numeric array) atomically to ``path``."""
    records = {}
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.kind not in "fiub":
            raise i18n.error(
                TypeError, "errors.io_array_dtype_only2", name=name, array_dtype=array.dtype,
            )
        records[name] = {
            "shape": list(array.shape),
            "dtype": array.dtype.str,
            "sha256": _sha256(array),
        }
    meta = {"format": FORMAT, "version": VERSION, **meta, "arrays": records}
    hint = "Pass overwrite=True (on the command line, --force) or choose another file name."
    with atomic_write(path, overwrite=overwrite, hint=hint) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr(META_NAME, json.dumps(meta, indent=1, ensure_ascii=False))
            for name, array in arrays.items():
                buffer = _io.BytesIO()
                np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
                archive.writestr(f"{name}.npy", buffer.getvalue())


#: the largest JSON member read (a model's metadata is a few kilobytes; its history grows with
#: the epochs: 16 MB is thousands of epochs)
MAX_META_BYTES = 16 << 20
#: the largest array member read (DeepConvNet's weights are 0.5 MB)
MAX_ARRAY_BYTES = 1 << 30
#: the most bytes all the arrays of one file may hold together (DeepConvNet's checkpoint has
#: 2 MB; 256 MiB holds a model of 20 million float32 parameters with Adam's two buffers)
MAX_TOTAL_BYTES = 256 << 20
#: above this many bytes in all, the arrays may not hold more than MAX_RATIO times the file's
#: size (weights compress to ~90 %, an untrained checkpoint's zero buffers to ~1/3: a file
#: whose arrays are mostly zeros is a decompression bomb, not a model)
RATIO_FROM_BYTES = 16 << 20
MAX_RATIO = 10
#: how much of a member is inflated at a time
CHUNK = 1 << 20


def _member(archive: zipfile.ZipFile, name: str, limit: int, what, path) -> zipfile.ZipInfo:
    """The member ``name``; its declared size is checked here, its real size while it is read
    (:func:`_read_exactly`)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise i18n.error(
            ModelFileError, "errors.model_member_missing", path=path, name=what
        ) from None
    if info.file_size > limit:
        raise i18n.error(
            ModelFileError, "errors.io_would_bytes_over", path=path, what=what,
            info_file_size=info.file_size, limit=limit,
        )
    return info


def _read_exactly(member, out: memoryview, path, what) -> None:
    """Fill ``out`` from the open ``member``, inflating at most :data:`CHUNK` bytes at a time;
    a member that holds fewer or more bytes than that (whatever its declared size) is refused."""
    done = 0
    while done < len(out):
        chunk = member.read(min(CHUNK, len(out) - done))
        if not chunk:
            break
        out[done : done + len(chunk)] = chunk
        done += len(chunk)
    if done < len(out) or member.read(1):
        raise i18n.error(ModelFileError, "errors.model_member_size", path=path, name=what)


def _record(name, record, path) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype that the metadata records for an array, checked to be sensible."""
    shape, dtype = record.get("shape"), record.get("dtype")
    if (
        not isinstance(shape, list)
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
        or not isinstance(dtype, str)
        or not isinstance(record.get("sha256"), str)
    ):
        raise i18n.error(ModelFileError, "errors.io_metadata_array_was", path=path, name=name)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise i18n.error(
            ModelFileError, "errors.io_array_unknown_dtype", path=path, name=name, dtype=dtype,
        ) from None
    if dtype.kind not in "fiub":
        raise i18n.error(
            ModelFileError, "errors.io_array_dtype_only", path=path, name=name, dtype=dtype,
        )
    nbytes = dtype.itemsize
    for extent in shape:
        nbytes *= extent
        if nbytes > MAX_ARRAY_BYTES:
            raise i18n.error(
                ModelFileError, "errors.io_array_shape_would", path=path, name=name,
                tuple_shape=tuple(shape), max_array_bytes=MAX_ARRAY_BYTES,
            )
    return tuple(shape), dtype


def _read_array(archive, name, record, path) -> np.ndarray:
    """One array member, its header checked against the metadata before its data is read, and
    its data read in a stream into an array of the recorded size (never more)."""
    shape, dtype = _record(name, record, path)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    what = i18n.Said("errors.the_array", name=name)
    info = _member(archive, f"{name}.npy", MAX_ARRAY_BYTES + (64 << 10), what, path)
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        stored_shape, fortran, stored_dtype = header(member)
        if stored_shape != shape or stored_dtype != dtype:
            raise i18n.error(ModelFileError, "errors.model_damaged_shape", path=path, name=name)
        data = np.empty(nbytes, np.uint8)
        _read_exactly(member, memoryview(data), path, what)
    array = data.view(dtype).reshape(shape, order="F" if fortran else "C")
    if not array.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
        array = array.copy(order="C")
    if _sha256(array) != record["sha256"]:
        raise i18n.error(ModelFileError, "errors.model_damaged_checksum", path=path, name=name)
    return array


def _check_total(records: dict, path) -> None:
    """All the arrays together, before any is read: at most :data:`MAX_TOTAL_BYTES`, and at
    most :data:`MAX_RATIO` times the file's size (above :data:`RATIO_FROM_BYTES`)."""
    total = 0
    for name, record in records.items():
        shape, dtype = _record(name, record, path)
        total += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if total > MAX_TOTAL_BYTES:
        raise i18n.error(
            ModelFileError, "errors.model_total", path=path, total=total, limit=MAX_TOTAL_BYTES
        )
    size = os.path.getsize(path)
    if total > RATIO_FROM_BYTES and total > MAX_RATIO * size:
        raise i18n.error(
            ModelFileError, "errors.model_ratio", path=path, total=total, size=size, ratio=MAX_RATIO
        )


def read_archive(path, with_arrays=True) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify what :func:`write_archive` wrote: ``(meta, arrays)``; with
    ``with_arrays=False`` only the metadata (``arrays`` is then empty).

    Nothing is allocated beyond the documented limits (:data:`MAX_META_BYTES`,
    :data:`MAX_ARRAY_BYTES`, :data:`MAX_TOTAL_BYTES`, :data:`MAX_RATIO`): the arrays' recorded
    sizes are checked, all together, before any is read, every array's header against the
    metadata before its data, and every member's real inflated size while it is read in a
    stream (a central directory's declared sizes are not believed)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise i18n.error(ModelFileError, "errors.model_folder", path=path)
    if not os.path.isfile(path):
        raise i18n.error(FileNotFoundError, "errors.model_missing", path=path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80":
        raise i18n.error(ModelFileError, "errors.model_pickle", path=path)
    if head != b"PK\x03\x04":
        raise i18n.error(ModelFileError, "errors.model_not_npz", path=path)
    try:
        with zipfile.ZipFile(path) as archive:
            if META_NAME not in archive.namelist():
                raise i18n.error(ModelFileError, "errors.model_no_meta", path=path, meta=META_NAME)
            names = archive.namelist()
            if len(names) != len(set(names)):
                twice = sorted({n for n in names if names.count(n) > 1})
                raise i18n.error(ModelFileError, "errors.model_duplicates", path=path, names=twice)
            what = i18n.Said("errors.the_metadata")
            info = _member(archive, META_NAME, MAX_META_BYTES, what, path)
            with archive.open(info) as member:
                text = member.read(MAX_META_BYTES + 1)  # its real size, whatever it declares
            if len(text) > MAX_META_BYTES:
                raise i18n.error(
                    ModelFileError, "errors.model_meta_size", path=path, limit=MAX_META_BYTES
                )
            meta = json.loads(text.decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise i18n.error(ModelFileError, "errors.model_not_ours", path=path, meta=META_NAME)
            version = meta.get("version", 0)
            if not isinstance(version, int) or version > VERSION:
                raise i18n.error(ModelFileError, "errors.model_newer", path=path, version=version)
            records = meta.get("arrays", {})
            if not isinstance(records, dict) or not all(
                isinstance(r, dict) for r in records.values()
            ):
                raise i18n.error(ModelFileError, "errors.model_meta_edited", path=path)
            arrays = {}
            if with_arrays:
                _check_total(records, path)
            for name, record in records.items() if with_arrays else ():
                arrays[name] = _read_array(archive, name, record, path)
    except ModelFileError:
        raise
    except RecursionError:
        raise i18n.error(ModelFileError, "errors.io_metadata_nested_too", path=path) from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        UnicodeDecodeError,
    ) as error:
        raise i18n.error(ModelFileError, "errors.model_corrupt", path=path, error=error) from None
    return meta, arrays


def section(arrays: dict, prefix: str) -> dict[str, np.ndarray]:
    """The arrays whose names start with ``prefix`` (``"model/"``, ``"optimizer/"``...), with
    the prefix taken off."""
    return {name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)}


def read_params(path) -> tuple[dict[str, np.ndarray], str]:
    """The named arrays of a params file, a model file or the book's ``params.pkl``, and where
    they come from: ``(arrays, "tatamikomi")`` or ``(arrays, "book")``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise i18n.error(FileNotFoundError, "errors.params_missing", path=path)
    with open(path, "rb") as f:
        is_pickle = f.read(1) == b"\x80"
    if is_pickle:
        return load_book_params(path), "book"
    _, arrays = read_archive(path)
    return section(arrays, "model/"), "tatamikomi"


# ---------------------------------------------------------------------------------------------
# The book's params.pkl


class _Refused(pickle.UnpicklingError):
    """The pickle asked for something other than numeric arrays in a dict."""


def _safe_dtype(*args):
    dtype = np.dtype(*args[:1])
    if dtype.kind not in "fiub":
        raise _Refused(f"refused: an array of dtype {dtype} (only numbers)")
    return dtype


def _latin1(text, encoding="latin1"):
    """How pickle protocols 0-2 store bytes: ``_codecs.encode(text, "latin1")``."""
    if encoding != "latin1" or not isinstance(text, str):
        raise _Refused(f"refused: _codecs.encode with {encoding!r}")
    return text.encode("latin1")


class _NdarrayToken:
    """Stands for ``numpy.ndarray`` in a pickle: accepted as the type that ``_reconstruct``
    builds, refused when called (``ndarray(shape)`` would allocate whatever the file says)."""

    def __new__(cls, *args, **kwargs):
        raise _Refused("refused: numpy.ndarray called directly (it would allocate unread memory)")


_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]


def _reconstruct(subtype, shape, dtype):
    """numpy's ``_reconstruct`` as pickles of arrays use it: an empty ndarray that the pickle's
    state then fills (numpy checks that the state's bytes match the shape)."""
    if subtype is not _NdarrayToken or tuple(shape) != (0,):
        raise _Refused(f"refused: _reconstruct({subtype!r}, {shape!r})")
    return _RECONSTRUCT(np.ndarray, (0,), dtype)


def _from_bytes(kind):
    """``bytes``/``bytearray`` from stored bytes only: ``bytearray(n)`` would allocate n bytes."""

    def build(data=b""):
        if not isinstance(data, (bytes, bytearray)):
            raise _Refused(f"refused: {kind.__name__}({type(data).__name__})")
        return kind(data)

    return build


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can build numpy arrays and dicts, and nothing else."""

    def find_class(self, module, name):
        allowed = {
            ("numpy", "ndarray"): _NdarrayToken,
            ("numpy", "dtype"): _safe_dtype,
            ("collections", "OrderedDict"): dict,
            ("builtins", "bytearray"): _from_bytes(bytearray),
            ("builtins", "bytes"): _from_bytes(bytes),
            ("__builtin__", "bytes"): _from_bytes(bytes),
            ("_codecs", "encode"): _latin1,
        }
        for core in ("numpy.core", "numpy._core"):
            allowed[(f"{core}.multiarray", "_reconstruct")] = _reconstruct
            allowed[(f"{core}.numeric", "_frombuffer")] = _frombuffer
        if (module, name) in allowed:
            return allowed[(module, name)]
        raise _Refused(
            f"refused to load {module}.{name}: a params.pkl from the book holds only a dict of "
            f"numpy arrays. This file holds something else and was not loaded (loading it could "
            f"run code)."
        )


def _frombuffer(buffer, dtype, shape, order):
    array = np.frombuffer(buffer, dtype=_safe_dtype(dtype)).copy()
    return array.reshape(shape, order=order)


#: the largest params.pkl read (the book's DeepConvNet's is 0.6 MB)
MAX_PICKLE_BYTES = 1 << 30


def load_book_params(path) -> dict[str, np.ndarray]:
    """The dict of arrays in a ``params.pkl`` written by the book's ``save_params``.

    Only dicts of non-empty, finite float NumPy arrays are accepted; anything else (which could
    run code when unpickled, or allocate more than the file holds) is refused with
    :class:`ModelFileError` before it is built. The file is read whole first (at most
    :data:`MAX_PICKLE_BYTES`), so no size written in it can make a read allocate more."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise i18n.error(ModelFileError, "errors.params_folder", path=path)
    if not os.path.isfile(path):
        raise i18n.error(FileNotFoundError, "errors.params_missing", path=path)
    if os.path.getsize(path) > MAX_PICKLE_BYTES:
        raise i18n.error(
            ModelFileError, "errors.io_bytes_over_limit", path=path,
            size=os.path.getsize(path), limit=MAX_PICKLE_BYTES,
        )
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"PK\x03\x04":
        raise i18n.error(ModelFileError, "errors.params_npz", path=path)
    try:
        params = _ArraysOnlyUnpickler(_io.BytesIO(data)).load()
    except _Refused as error:
        raise i18n.error(ModelFileError, "errors.in_file", path=path, error=error) from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        MemoryError,
        RecursionError,
    ) as error:
        raise i18n.error(ModelFileError, "errors.params_corrupt", path=path, error=error) from None
    if isinstance(params, dict) and not params:
        raise i18n.error(ModelFileError, "errors.params_empty", path=path)
    if not isinstance(params, dict):
        raise i18n.error(
            ModelFileError, "errors.params_not_dict", path=path, kind=type(params).__name__
        )
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, np.ndarray):
            raise i18n.error(
                ModelFileError, "errors.io_entry_params_pkl", path=path, key=key,
                value_kind=type(value).__name__,
            )
        if value.dtype.kind != "f":
            raise i18n.error(
                ModelFileError, "errors.io_dtype_weights_are", path=path, key=key,
                value_dtype=value.dtype,
            )
        if value.size == 0:
            raise i18n.error(
                ModelFileError, "errors.io_shape_values", path=path, key=key,
                value_shape=value.shape,
            )
        if not np.isfinite(value).all():
            raise i18n.error(ModelFileError, "errors.params_not_finite", path=path, key=key)
    return params
