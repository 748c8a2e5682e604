"""What the ONNX and PyTorch converters share: the layer's spec type, each layer's input shape,
the refusal of what cannot be mapped, the install hints, and the checks an imported model passes
before it is built (its number of layers, its parameters) and before it is written (the rules of
a loaded model file)."""

from __future__ import annotations

import importlib

import numpy as np

from .. import i18n

#: the most layers (ONNX nodes, PyTorch modules) an import reads: the book's DeepConvNet has 20
MAX_LAYERS = 1000


def check_layer_count(count: int, where) -> None:
    """Refuse, before they are read one by one, more than :data:`MAX_LAYERS` layers."""
    if count > MAX_LAYERS:
        raise i18n.error(
            ValueError, "errors.import_layers", path=where, count=count, limit=MAX_LAYERS
        )


def spec_type(layer) -> str:
    """The layer's spec ``"type"`` (``"Conv2d"``, ``"Linear"``, ``"MaxPool2d"``...), the key of
    every mapping table in this package; the class name for a layer with no spec entry."""
    try:
        return layer.to_spec()["type"]
    except TypeError:  # a layer of the user's own, with no spec entry
        return type(layer).__name__


def require(module: str, extra: str):
    """Import an optional dependency, or fail with the line that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise i18n.error(
            ImportError, "errors.common_installed_install_pip", module=module, extra=extra,
        ) from None


def input_shapes(model) -> list[tuple[int, ...]]:
    """One example's input shape for each layer of ``model`` (no batch axis)."""
    if model.input_shape is None:
        raise i18n.error(ValueError, "errors.common_model_input_shape")
    shapes = model.output_shapes()
    return [tuple(model.input_shape)] + shapes[:-1]


def refuse(name: str, what: str, target: str) -> ValueError:
    """The error for a layer or an option the target format cannot express."""
    return i18n.error(ValueError, "errors.export_refuse", name=name, what=what, target=target)


def pair_value(value):
    """An (h, w) pair as an int when both are the same, else a tuple of two ints."""
    h, w = (int(v) for v in np.broadcast_to(np.atleast_1d(value), (2,)))
    return h if h == w else (h, w)


def metadata(model) -> dict:
    """What travels with an exported model besides its layers."""
    return {
        "name": type(model).__name__,
        "input_shape": list(model.input_shape) if model.input_shape else None,
        "classes": list(model.classes) if model.classes else None,
        "preprocess": model.preprocess,
    }


def build_sequential(entries, arrays, info: dict, dtype, *, where="the imported model"):
    """A tatamikomi :class:`~tatamikomi.models.Sequential` from spec entries and each layer's
    arrays (``{"W": ..., "b": ...}`` per layer, in the layer's own names).

    The spec may not ask for more parameters than the arrays hold (checked before they are
    drawn), and the model passes the rules of a loaded model file
    (:func:`tatamikomi.models.files.check_model`: finite weights, preprocessing, classes, the
    values of one example), so that what is imported can be saved, loaded and used."""
    from ..init import parameter_limit
    from ..models import from_spec
    from ..models.files import check_model

    if not info.get("input_shape"):
        raise i18n.error(ValueError, "errors.common_input_shape_unknown")
    spec = {"input_shape": [int(s) for s in info["input_shape"]], "layers": list(entries)}
    if info.get("classes"):
        spec["classes"] = [str(c) for c in info["classes"]]
    held = sum(int(np.size(value)) for values in arrays for value in values.values())
    with parameter_limit(held, i18n.Said("errors.file_holds_values", held=held)):
        model = from_spec(spec, dtype=dtype)
    for layer, values, entry in zip(model.layers, arrays, entries):
        for key, value in values.items():
            store = layer.params if key in layer.params else layer.buffers
            if key not in store:
                raise i18n.error(
                    ValueError, "errors.common_array", entry_type=entry['type'], key=key,
                )
            if tuple(store[key].shape) != tuple(np.shape(value)):
                raise i18n.error(
                    ValueError, "errors.common_shape_layer_needs", entry_type=entry['type'],
                    key=key, shape=np.shape(value), needed=store[key].shape,
                )
            store[key] = np.array(value, dtype=np.dtype(dtype), copy=True)
    model.preprocess = info.get("preprocess")
    check_model(model, where)
    model.eval()
    return model
