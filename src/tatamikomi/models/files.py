"""Model files: a model saved whole (architecture, weights, preprocessing, classes, history,
and in a checkpoint the training state), loaded back ready to predict; and new models by name.

The container itself (an ``.npz`` archive with checksummed arrays and a JSON member, never a
pickle) is :mod:`tatamikomi.io`; this module knows what a model puts in it.
"""

from __future__ import annotations

import os

import numpy as np

from .. import i18n, io
from .._checks import DEFAULT_DTYPE
from .._version import __version__
from ..init import parameter_limit
from .book import BOOK_MODELS
from .sequential import Sequential
from .spec import BUDGET, activations_over, from_spec


def _architecture(meta: dict) -> dict:
    architecture = meta.get("architecture")
    if not isinstance(architecture, dict):
        raise i18n.error(ValueError, "errors.files_architecture_metadata")
    return architecture


def _preprocess(preprocess, path):
    """The stored preprocessing, checked: a divide_by that is a positive finite number."""
    if preprocess is None:
        return None
    divide_by = preprocess.get("divide_by", 1) if isinstance(preprocess, dict) else None
    if (
        isinstance(divide_by, bool)
        or not isinstance(divide_by, (int, float))
        or not np.isfinite(divide_by)
        or divide_by <= 0
    ):
        raise i18n.error(
            io.ModelFileError, "errors.model_preprocess", path=path, preprocess=repr(preprocess)
        )
    return preprocess


def check_weights(weights: dict, path) -> None:
    """Refuse weights a model cannot predict with: NaN, infinity, integers."""
    for name, array in weights.items():
        array = np.asarray(array)
        if array.dtype.kind != "f" or not np.isfinite(array).all():
            key = "errors.model_not_finite" if array.dtype.kind == "f" else "errors.model_integers"
            raise i18n.error(io.ModelFileError, key, path=path, name=name)


def check_model(model, path) -> None:
    """The rules every model meets before it is used or written, whatever it came from (a model
    file by :func:`load`, an ONNX or PyTorch import before it is saved): finite float weights,
    a preprocessing whose divide_by is a positive finite number, as many classes as outputs, and
    one example's activations (the input and every layer's output) within
    :data:`~tatamikomi.models.spec.BUDGET`, counted as for a spec.
    ``path`` names the source in the message. Raises :class:`~tatamikomi.io.ModelFileError`."""
    check_weights(model.state_dict(), path)
    model.preprocess = _preprocess(getattr(model, "preprocess", None), path)
    shapes = [tuple(model.input_shape), *model.output_shapes()]
    over = activations_over(shapes, BUDGET)
    if over is not None:
        index, values = over
        where = list(model.layers.keys())[index - 1] if index else i18n.Said("errors.the_input")
        raise i18n.error(
            io.ModelFileError, "errors.model_too_large", path=path, where=where,
            shape="x".join(map(str, shapes[index])), values=values, limit=BUDGET.activations,
        )
    outputs = shapes[-1][0]
    if model.classes is not None and len(model.classes) != outputs:
        raise i18n.error(
            io.ModelFileError, "errors.model_classes", path=path, count=len(model.classes),
            outputs=outputs,
        )


def build_model(architecture: dict, *, seed=None, dtype=DEFAULT_DTYPE) -> Sequential:
    """Rebuild a model from :meth:`Sequential.architecture` (as saved in a model file)."""
    cls = BOOK_MODELS.get(architecture.get("class"))
    if cls is not None:
        return cls(
            **architecture["arguments"],
            seed=seed,
            dtype=dtype,
            classes=architecture.get("spec", {}).get("classes"),
        )
    if architecture.get("class") != "Sequential":
        raise i18n.error(
            ValueError, "errors.files_unknown_model_class",
            name=architecture.get('class'),
        )
    return from_spec(architecture["spec"], seed=seed, dtype=dtype)


def get_model(name: str, *, seed=None, **arguments) -> Sequential:
    """A new model by name (``"SimpleConvNet"``, ``"DeepConvNet"``, any case) or from the path
    of a JSON spec file."""
    for key, cls in BOOK_MODELS.items():
        if key.lower() == str(name).lower():
            return cls(seed=seed, **arguments)
    if str(name).endswith(".json"):
        if not os.path.isfile(name):
            raise i18n.error(FileNotFoundError, "errors.spec_missing", name=name)
        with open(name, encoding="utf-8") as f:
            return from_spec(f.read(), seed=seed, **arguments)
    raise i18n.error(ValueError, "errors.unknown_model", name=name, choices=", ".join(BOOK_MODELS))


def save(model, path, *, overwrite=False, training=None) -> None:
    """Save ``model`` (architecture, weights, preprocessing, classes, history) to one file.

    ``training`` is what a checkpoint adds: ``{"meta": {...}, "arrays": {...}}``, with the
    arrays' names starting ``optimizer/`` or ``trainer/``. An existing file is only replaced when
    ``overwrite=True``, and then in one step: a reader never sees half a file.
    """
    try:
        architecture = model.architecture()
    except TypeError as error:
        raise i18n.error(TypeError, "errors.files_save_stores_architecture", error=error) from None
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
    io.write_archive(path, meta, arrays, overwrite=overwrite)


def load(path) -> Sequential:
    """The model saved in ``path``, ready to predict (eval mode), with ``history`` and
    ``preprocess`` restored."""
    return load_checkpoint(path)[0]


def load_checkpoint(path):
    """``(model, training)``: the model and what a checkpoint holds to resume training
    (``training`` is ``{"meta": ..., "arrays": ...}``, or None for a plain model file)."""
    meta, arrays = io.read_archive(path)
    if meta.get("kind") != "model":
        raise i18n.error(io.ModelFileError, "errors.model_params_only", path=path)
    weights = io.section(arrays, "model/")
    check_weights(weights, path)
    held = sum(int(a.size) for a in weights.values())
    try:
        dtype = next(iter(weights.values())).dtype
        # the metadata's sizes are believed only as far as the file's arrays go
        with parameter_limit(held, i18n.Said("errors.file_holds_values", held=held)):
            model = build_model(_architecture(meta), dtype=dtype)
        model.load_state_dict(weights)
    except (KeyError, StopIteration, ValueError, TypeError, AttributeError, IndexError) as error:
        raise i18n.error(io.ModelFileError, "errors.model_misfit", path=path, error=error) from None
    model.preprocess = meta.get("preprocess")
    model.history = meta.get("history") if isinstance(meta.get("history"), dict) else {}
    check_model(model, path)
    model.eval()
    training = None
    if meta.get("training") is not None:
        rest = {k: v for k, v in arrays.items() if not k.startswith("model/")}
        training = {"meta": meta["training"], "arrays": rest}
    return model, training
