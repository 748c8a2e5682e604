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

import numpy as np

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
            raise TypeError(f"array {name!r} has dtype {array.dtype}; only numbers can be saved")
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


def read_archive(path, with_arrays=True) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify what :func:`write_archive` wrote: ``(meta, arrays)``; with
    ``with_arrays=False`` only the metadata (``arrays`` is then empty)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path} does not exist")
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80":
        raise ModelFileError(
            f"{path} is a pickle file, not a tatamikomi model file. If it is the book's "
            f"params.pkl, import it with `tatamikomi import-book {path}` (or "
            f"model.load_params('{path}')), which reads it without running any code."
        )
    if head != b"PK\x03\x04":
        raise ModelFileError(f"{path} is not a tatamikomi model file (not an .npz archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                meta = json.loads(archive.read(META_NAME).decode("utf-8"))
            except KeyError:
                raise ModelFileError(
                    f"{path} is an .npz archive but not a tatamikomi model file "
                    f"(it has no {META_NAME})"
                ) from None
            if meta.get("format") != FORMAT:
                raise ModelFileError(f"{path}: {META_NAME} does not describe a tatamikomi file")
            if meta.get("version", 0) > VERSION:
                raise ModelFileError(
                    f"{path} was written by a newer tatamikomi (format version "
                    f"{meta['version']}); upgrade tatamikomi to read it"
                )
            arrays = {}
            for name, record in meta.get("arrays", {}).items() if with_arrays else ():
                try:
                    data = archive.read(f"{name}.npy")
                except KeyError:
                    raise ModelFileError(f"{path} is damaged: array {name!r} is missing") from None
                array = np.lib.format.read_array(_io.BytesIO(data), allow_pickle=False)
                if (
                    list(array.shape) != record["shape"]
                    or array.dtype.str != record["dtype"]
                    or _sha256(array) != record["sha256"]
                ):
                    raise ModelFileError(
                        f"{path} is damaged or was edited: array {name!r} does not match its "
                        f"recorded checksum. Use an intact copy of the file."
                    )
                arrays[name] = array
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, UnicodeDecodeError) as error:
        if isinstance(error, (ModelFileError, FileNotFoundError)):
            raise
        raise ModelFileError(
            f"{path} is truncated or corrupt ({error}); it cannot be loaded. "
            f"Use an intact copy of the file."
        ) from None
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
        raise FileNotFoundError(f"parameter file {path} does not exist")
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


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can build numpy arrays and dicts, and nothing else."""

    def find_class(self, module, name):
        allowed = {
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): _safe_dtype,
            ("collections", "OrderedDict"): dict,
            ("builtins", "bytearray"): bytearray,
            ("_codecs", "encode"): _latin1,
        }
        reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
        for core in ("numpy.core", "numpy._core"):
            allowed[(f"{core}.multiarray", "_reconstruct")] = reconstruct
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


def load_book_params(path) -> dict[str, np.ndarray]:
    """The dict of arrays in a ``params.pkl`` written by the book's ``save_params``.

    Only dicts of numeric NumPy arrays are accepted; anything else (which could run code when
    unpickled) is refused with :class:`ModelFileError` before it is built."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            params = _ArraysOnlyUnpickler(f).load()
    except _Refused as error:
        raise ModelFileError(f"{path}: {error}") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
    ) as error:
        raise ModelFileError(
            f"{path} is not a readable params.pkl (truncated or corrupt: {error})"
        ) from None
    if not isinstance(params, dict) or not params:
        raise ModelFileError(f"{path} does not hold a dict of arrays (got {type(params).__name__})")
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, np.ndarray):
            raise ModelFileError(
                f"{path}: entry {key!r} is a {type(value).__name__}; a params.pkl holds only "
                f"named numpy arrays"
            )
        if value.dtype.kind != "f":
            raise ModelFileError(f"{path}: {key} has dtype {value.dtype}; weights are floats")
    return params
