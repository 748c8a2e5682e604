"""Saving and loading models safely: one file, no pickle, nothing runs when it is loaded.

A model file is a ``.npz`` (zip) archive that NumPy can open too:

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


# ---------------------------------------------------------------------------------------------
# Models


def save(model, path, *, overwrite=False, training=None) -> None:
    """Save ``model`` (architecture, weights, preprocessing, classes, history) to one file.

    ``training`` is what a checkpoint adds: ``{"meta": {...}, "arrays": {...}}``, with the
    arrays' names starting ``optimizer/`` or ``trainer/``. An existing file is only replaced when
    ``overwrite=True``, and then in one step: a reader never sees half a file.
    """
    from ._version import __version__

    try:
        architecture = model.architecture()
    except TypeError as error:
        raise TypeError(
            f"{error}. save() stores the architecture to rebuild the model; for a model with "
            f"layers of your own, save the weights with model.save_params(...) instead"
        ) from None
    meta = {
        "kind": "model",
        "tatamikomi_version": __version__,
        "architecture": architecture,
        "preprocess": getattr(model, "preprocess", None),
        "history": getattr(model, "history", None) or {},
        "training": (training or {}).get("meta"),
    }
    arrays = {f"model/{name}": a for name, a in model.state_dict().items()}
    arrays.update((training or {}).get("arrays", {}))
    write_archive(path, meta, arrays, overwrite=overwrite)


def load(path):
    """The model saved in ``path``, ready to predict (eval mode), with ``history`` and
    ``preprocess`` restored."""
    return load_checkpoint(path)[0]


def load_checkpoint(path):
    """``(model, training)``: the model and what a checkpoint holds to resume training
    (``training`` is ``{"meta": ..., "arrays": ...}``, or None for a plain model file)."""
    from .models import build_model

    meta, arrays = read_archive(path)
    if meta.get("kind") != "model":
        raise ModelFileError(
            f"{path} holds parameters only (saved with save_params); load them into a model "
            f"with model.load_params('{path}')"
        )
    try:
        dtype = next(iter(section(arrays, "model/").values())).dtype
        model = build_model(meta["architecture"], dtype=dtype)
        model.load_state_dict(section(arrays, "model/"))
    except (KeyError, StopIteration, ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: the architecture and the arrays do not fit ({error})")
    model.preprocess = meta.get("preprocess")
    model.history = meta.get("history") or {}
    model.eval()
    training = None
    if meta.get("training") is not None:
        rest = {k: v for k, v in arrays.items() if not k.startswith("model/")}
        training = {"meta": meta["training"], "arrays": rest}
    return model, training


def save_arrays(path, arrays: dict, *, overwrite=True, kind="params") -> None:
    """Save named arrays (a model's ``state_dict()``) in the model-file container."""
    write_archive(
        path, {"kind": kind}, {f"model/{k}": v for k, v in arrays.items()}, overwrite=overwrite
    )


def load_params_file(path, model=None) -> dict[str, np.ndarray]:
    """The named arrays in a params file, a model file, or the book's ``params.pkl``.

    A book pickle loaded into a model with dropout is adjusted for the book's test-time dropout
    (see :func:`fold_book_dropout`), so the model predicts what the book's code predicts."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"parameter file {path} does not exist")
    with open(path, "rb") as f:
        is_pickle = f.read(1) == b"\x80"
    if is_pickle:
        params = load_book_params(path)
        return fold_book_dropout(model, params) if model is not None else params
    meta, arrays = read_archive(path)
    return section(arrays, "model/")


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


def fold_book_dropout(model, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Adjust book weights for our inverted dropout, so that eval-mode outputs are equal.

    The book's Dropout multiplies by ``1 - ratio`` at test time; ours passes values unchanged
    (it scales during training instead). Each dropout's factor moves into the next layer with
    weights (its W), or, for a dropout after the last one, into that layer's W and b. The
    layers in between (ReLU, max pooling, flatten) commute with a positive factor."""
    from .layers import Affine, Convolution, Dropout

    layers = model.layers.values()
    names = {id(layer): key for key, (layer, _) in _weight_names(model).items()}
    params = {k: np.array(v, copy=True) for k, v in params.items()}
    for index, layer in enumerate(layers):
        if not isinstance(layer, Dropout) or layer.dropout_ratio == 0:
            continue
        keep = 1 - layer.dropout_ratio
        after = [x for x in layers[index + 1 :] if isinstance(x, (Affine, Convolution))]
        if after:
            params[f"W{names[id(after[0])]}"] *= keep
            continue
        before = [x for x in layers[:index] if isinstance(x, (Affine, Convolution))]
        number = names[id(before[-1])]
        params[f"W{number}"] *= keep
        if f"b{number}" in params:
            params[f"b{number}"] *= keep
    return params


def _weight_names(model) -> dict[str, tuple]:
    """``{"1": (layer, "W"), ...}``: the number of each layer with weights."""
    return {name[1:]: where for name, where in model._locations["params"].items() if name[0] == "W"}


def import_book_params(path, model_name=None):
    """A :class:`SimpleConvNet` or :class:`DeepConvNet` holding the book's weights from
    ``params.pkl``, with the pickle's dtype. The model is recognised from the arrays' names and
    shapes (or named by ``model_name``), and it predicts what the book's code predicts."""
    from .models import DeepConvNet, SimpleConvNet

    params = load_book_params(path)
    dtype = params["W1"].dtype if "W1" in params else np.float64
    keys = set(params)
    if model_name is None:
        if keys == {f"{p}{i}" for p in "Wb" for i in range(1, 4)}:
            model_name = "SimpleConvNet"
        elif keys == {f"{p}{i}" for p in "Wb" for i in range(1, 9)}:
            model_name = "DeepConvNet"
        else:
            raise ModelFileError(
                f"{path} holds {sorted(keys)}: neither the book's SimpleConvNet (W1..W3, b1..b3) "
                f"nor its DeepConvNet (W1..W8, b1..b8)"
            )
    try:
        if model_name == "SimpleConvNet":
            FN, C, FS, _ = params["W1"].shape
            pooled, hidden = params["W2"].shape
            side = int(round((pooled / FN) ** 0.5)) * 2 + FS - 1
            model = SimpleConvNet(
                (C, side, side),
                {"filter_num": FN, "filter_size": FS, "pad": 0, "stride": 1},
                hidden,
                params["W3"].shape[1],
                dtype=dtype,
            )
        elif model_name == "DeepConvNet":
            convs = {}
            for i in range(1, 7):
                FN, _, FS, _ = params[f"W{i}"].shape
                pad = 2 if i == 4 else 1
                convs[f"conv_param_{i}"] = {
                    "filter_num": FN,
                    "filter_size": FS,
                    "pad": pad,
                    "stride": 1,
                }
            C = params["W1"].shape[1]
            model = DeepConvNet(
                (C, 28, 28),
                **convs,
                hidden_size=params["W7"].shape[1],
                output_size=params["W8"].shape[1],
                dtype=dtype,
            )
        else:
            raise ModelFileError(f"unknown book model {model_name!r}")
        model.load_state_dict(fold_book_dropout(model, params))
    except (KeyError, ValueError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(
            f"{path}: the arrays do not have the shapes of the book's {model_name} ({error})"
        ) from None
    model.preprocess = {"divide_by": 255}
    model.history = {}
    return model.eval()
