"""Models from a plain JSON spec: the input shape and a list of layers named as in PyTorch.

The input size of each layer is worked out from the one before (each layer says its output
shape)::

    {"input_shape": [1, 28, 28],
     "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
                {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}

The layer types are those of :data:`tatamikomi.layers.LAYER_TYPES`; ``engine="lecture"`` builds
the convolution and pooling layers from :mod:`tatamikomi.lecture` instead.
"""

from __future__ import annotations

import json

import numpy as np

from .. import i18n, lecture
from .._checks import DEFAULT_DTYPE
from ..layers import LAYER_TYPES, Layer
from .sequential import Sequential

ENGINES = ("fast", "lecture")

#: spec types whose layers the lecture's engine computes its own way
_LECTURE_LAYERS = {
    "Conv2d": lecture.Convolution,
    "MaxPool2d": lecture.Pooling,
    "AvgPool2d": lecture.Pooling,
}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'fast' or 'lecture'; got {engine!r}")
    return engine


def build_layer(
    entry: dict, input_shape, rng=None, dtype=DEFAULT_DTYPE, *, engine="fast"
) -> Layer:
    """A new layer from one spec entry, sized for ``input_shape`` (one example, no batch)."""
    if not isinstance(entry, dict) or "type" not in entry:
        raise i18n.error(ValueError, "spec_entry", entry=entry)
    cls = LAYER_TYPES.get(entry["type"])
    if cls is None:
        types = ", ".join(sorted(LAYER_TYPES))
        raise i18n.error(ValueError, "spec_type", type=entry["type"], types=types)
    lecture = check_engine(engine) == "lecture"
    lecture_class = _LECTURE_LAYERS.get(entry["type"]) if lecture else None
    options = cls._options(entry)  # checked before any TypeError could hide a wrong option
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    try:
        layer = cls._build(tuple(input_shape), rng, np.dtype(dtype), **options)
    except TypeError as error:
        raise i18n.error(ValueError, "spec_layer_type", type=entry["type"], error=error) from None
    return layer if lecture_class is None else lecture_class.from_layer(layer)


def from_spec(spec, *, seed=None, dtype=DEFAULT_DTYPE, engine="fast") -> Sequential:
    """A new :class:`Sequential` from a spec (a dict, or the text of a JSON file).

    Errors name the layer (by position) and what is wrong with it."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as error:
            raise i18n.error(
                ValueError, "spec_json", message=error.msg, line=error.lineno,
                column=error.colno, char=error.pos,
            ) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise i18n.error(ValueError, "spec_object")
    unknown = sorted(set(spec) - {"input_shape", "layers", "classes"})
    if unknown:
        raise i18n.error(ValueError, "spec_keys", keys=unknown)
    shape = spec.get("input_shape")
    if not shape or not all(isinstance(s, int) and s > 0 for s in shape):
        raise i18n.error(ValueError, "spec_input_shape", shape=shape)
    rng = np.random.default_rng(seed)
    layers, current = [], tuple(shape)
    for index, entry in enumerate(spec["layers"]):
        try:
            layer = build_layer(entry, current, rng, dtype, engine=engine)
            current = layer.output_shape(current)
        except (ValueError, TypeError) as error:
            raise i18n.error(
                ValueError, "spec_layer", index=index, entry=entry, error=error
            ) from None
        layers.append(layer)
    return Sequential(layers, input_shape=shape, classes=spec.get("classes"))
