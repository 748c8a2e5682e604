"""Models from a plain JSON spec: the input shape and a list of layers named as in PyTorch.

The input size of each layer is worked out from the one before (each layer says its output
shape)::

    {"input_shape": [1, 28, 28],
     "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
                {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}

The layer types are those of :data:`tatamikomi.layers.LAYER_TYPES`; ``engine="lecture"`` builds
the convolution and pooling layers from :mod:`tatamikomi.lecture` instead.

A spec is sized before it is built: :data:`BUDGET` (the library's and the command line's) or
:data:`STUDIO_BUDGET` (the studio's, smaller) bounds the parameters of all the layers and the
values one example's forward pass keeps, from the layers' own parameter counts and output
shapes, and a spec over either is refused before that memory is taken.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np

from .. import i18n, lecture
from .._checks import DEFAULT_DTYPE
from ..init import ParameterLimitError, parameter_limit
from ..layers import LAYER_TYPES, Layer
from .sequential import Sequential

ENGINES = ("fast", "lecture")

#: spec types whose layers the lecture's engine computes its own way
_LECTURE_LAYERS = {
    "Conv2d": lecture.Convolution,
    "MaxPool2d": lecture.Pooling,
    "AvgPool2d": lecture.Pooling,
}


@dataclasses.dataclass(frozen=True)
class Budget:
    """What a model built from a spec may hold: ``parameters`` (weights and biases of all its
    layers) and ``activations`` (the values one example's forward pass keeps, the input and
    every layer's output added up; a batch of N keeps N times as many, and training about
    twice that). ``whose`` names the budget in messages (an ``errors`` text key)."""

    parameters: int
    activations: int
    whose: str = "errors.budget_library"


#: the library's and the command line's: 20 million parameters (80 MB in float32) and 2 million
#: values per example (8 MB; SimpleConvNet keeps 0.04 million, DeepConvNet 0.07 million)
BUDGET = Budget(20_000_000, 2_000_000)
#: the studio's, smaller (anyone who can reach the page may post a spec): 5 million parameters
#: (20 MB in float32) and 0.5 million values per example
STUDIO_BUDGET = Budget(5_000_000, 500_000, "errors.budget_studio")


def activations_over(shapes, budget: Budget):
    """The index in ``shapes`` (one example's input, then every layer's output) at which their
    running total of values passes ``budget.activations``, with that total; ``None`` when it
    never does. The one count of activations that specs, model files and imports share."""
    total = 0
    for index, shape in enumerate(shapes):
        total += math.prod(int(s) for s in shape)
        if total > budget.activations:
            return index, total
    return None


class SpecLimitError(ValueError):
    """A spec asks for more parameters or activations than its :class:`Budget` allows."""


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise i18n.error(ValueError, "errors.spec_engine_fast_lecture", engine=engine)
    return engine


def build_layer(
    entry: dict, input_shape, rng=None, dtype=DEFAULT_DTYPE, *, engine="fast"
) -> Layer:
    """A new layer from one spec entry, sized for ``input_shape`` (one example, no batch)."""
    if not isinstance(entry, dict) or "type" not in entry:
        raise i18n.error(ValueError, "errors.spec_entry", entry=entry)
    cls = LAYER_TYPES.get(entry["type"])
    if cls is None:
        types = ", ".join(sorted(LAYER_TYPES))
        raise i18n.error(ValueError, "errors.spec_type", type=entry["type"], types=types)
    lecture = check_engine(engine) == "lecture"
    lecture_class = _LECTURE_LAYERS.get(entry["type"]) if lecture else None
    options = cls._options(entry)  # checked before any TypeError could hide a wrong option
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    try:
        layer = cls._build(tuple(input_shape), rng, np.dtype(dtype), **options)
    except TypeError as error:
        raise i18n.error(
            ValueError, "errors.spec_layer_type", type=entry["type"], error=error
        ) from None
    return layer if lecture_class is None else lecture_class.from_layer(layer)


def from_spec(
    spec, *, seed=None, dtype=DEFAULT_DTYPE, engine="fast", budget: Budget | None = None
) -> Sequential:
    """A new :class:`Sequential` from a spec (a dict, or the text of a JSON file), within
    ``budget`` (default :data:`BUDGET`): a :class:`SpecLimitError` before the memory is taken
    when its parameters or one example's activations would be more.

    Errors name the layer (by position) and what is wrong with it."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as error:
            raise i18n.error(
                ValueError,
                "errors.spec_json",
                message=error.msg,
                line=error.lineno,
                column=error.colno,
                char=error.pos,
            ) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise i18n.error(ValueError, "errors.spec_object")
    unknown = sorted(set(spec) - {"input_shape", "layers", "classes"})
    if unknown:
        raise i18n.error(ValueError, "errors.spec_keys", keys=unknown)
    shape = spec.get("input_shape")
    if not shape or not all(isinstance(s, int) and s > 0 for s in shape):
        raise i18n.error(ValueError, "errors.spec_input_shape", shape=shape)
    budget = BUDGET if budget is None else budget
    whose = i18n.Said(budget.whose)
    activations = math.prod(shape)
    if activations > budget.activations:
        raise i18n.error(
            SpecLimitError,
            "errors.spec_input_activations",
            shape=list(shape),
            values=activations,
            limit=budget.activations,
            whose=whose,
        )
    rng = np.random.default_rng(seed)
    layers, current = [], tuple(shape)
    reason = "the spec's budget"
    with parameter_limit(budget.parameters, reason):
        for index, entry in enumerate(spec["layers"]):
            try:
                layer = build_layer(entry, current, rng, dtype, engine=engine)
                current = layer.output_shape(current)
            except ParameterLimitError as error:
                if getattr(error, "reason", None) != reason:
                    raise  # an outer limit (a model file's own arrays) says why
                raise i18n.error(
                    SpecLimitError,
                    "errors.spec_parameters",
                    index=index,
                    type=entry["type"],
                    asked=error.asked,
                    limit=error.limit,
                    whose=whose,
                ) from None
            except (ValueError, TypeError) as error:
                raise i18n.error(
                    ValueError, "errors.spec_layer", index=index, entry=entry, error=error
                ) from None
            activations += math.prod(current)
            if activations > budget.activations:
                raise i18n.error(
                    SpecLimitError,
                    "errors.spec_activations",
                    index=index,
                    type=entry["type"],
                    shape=list(current),
                    values=activations,
                    limit=budget.activations,
                    whose=whose,
                )
            layers.append(layer)
    return Sequential(layers, input_shape=shape, classes=spec.get("classes"))
