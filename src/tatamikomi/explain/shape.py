"""How a model changes the shape of one input, layer by layer, with each formula."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import i18n
from ._base import Explanation
from ._format import MODE_NAMES, pad_text, size_lines, stride_text


def _conv(layer, shape_in):
    fn, c, fh, fw = layer.W.shape
    window = layer.window(shape_in[1:])
    kind = i18n.text("explain.conv_layer",
        filters=fn,
        c=c,
        fh=fh,
        fw=fw,
        stride=stride_text(window.stride),
        pad=pad_text(window.pads),
    )
    return kind, (*size_lines(window), i18n.text("explain.conv_channels", fn))


def _pool(layer, shape_in):
    window = layer.window(shape_in[1:])
    kind = i18n.text("explain.pool_layer",
        mode=i18n.text(MODE_NAMES[layer.mode]),
        ph=layer.pool[0],
        pw=layer.pool[1],
        stride=stride_text(window.stride),
        pad=pad_text(window.pads),
    )
    return kind, (*size_lines(window), i18n.text("explain.pool_channels", shape_in[0]))


def _flat(shape_in) -> str:
    return "*".join(map(str, shape_in)) + f" = {int(np.prod(shape_in))}"


def _affine(layer, shape_in):
    n_in, n_out = layer.W.shape
    if len(shape_in) > 1:
        text = i18n.text(
            "explain.affine_flat", shape=shape_in, size=_flat(shape_in), n_in=n_in, n_out=n_out
        )
    else:
        text = i18n.text("explain.affine", n_in=n_in, n_out=n_out)
    return _name(layer), (text,)


def _reshape(layer, shape_in):
    return _name(layer), (i18n.text("explain.flatten", shape=shape_in, size=_flat(shape_in)),)


def _global_pool(layer, shape_in):
    return _name(layer), (i18n.text("explain.gap", shape=shape_in, c=shape_in[0]),)


#: a layer's ``kind`` -> function(layer, input shape) giving its
#: title and notes; a layer of any other kind leaves the shape unchanged
DESCRIPTIONS = {
    "conv": _conv,
    "pool": _pool,
    "affine": _affine,
    "reshape": _reshape,
    "global_pool": _global_pool,
}


def describe_layer(
    layer, shape_in, shape_out, lang: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """What ``layer`` is (a short title) and why it turns ``shape_in`` into ``shape_out`` (notes
    with the formulas), for one example (no batch axis).

    It asks the layer: its ``kind`` (the key of :data:`DESCRIPTIONS`) and, for a sliding window
    the layer's own ``window()`` (from :mod:`tatamikomi.functional.geometry`), so no size is
    worked out twice.
    """
    with i18n.use(lang):
        return _describe(layer, shape_in)


def _describe(layer, shape_in) -> tuple[str, tuple[str, ...]]:
    describe = DESCRIPTIONS.get(layer.kind)
    if describe is None:
        return _name(layer), (i18n.text("explain.unchanged"),)
    return describe(layer, shape_in)


def _name(layer) -> str:
    """The layer's type as the explanations call it (ReLU, ドロップアウト...)."""
    name = type(layer).__name__
    return i18n.text(_LAYER_NAMES[name]) if name in _LAYER_NAMES else name


#: the layer types the explanations call by another name (ドロップアウト...)
_LAYER_NAMES = {
    "Affine": "layer_names.Affine",
    "Flatten": "layer_names.Flatten",
    "GlobalAveragePooling": "layer_names.GlobalAveragePooling",
    "Relu": "layer_names.Relu",
    "Sigmoid": "layer_names.Sigmoid",
    "Tanh": "layer_names.Tanh",
    "Dropout": "layer_names.Dropout",
    "BatchNormalization": "layer_names.BatchNormalization",
}


@dataclass(frozen=True)
class ShapeStep:
    """One layer: its name, the layer itself, and the shapes of one example before and after."""

    name: str
    layer: object
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    last: bool = False

    def describe(self, lang: str | None = None) -> tuple[str, tuple[str, ...]]:
        """What the layer is, and why the shape changes as it does (with the formulas)."""
        with i18n.use(lang):
            kind, notes = _describe(self.layer, self.input_shape)
            if self.last and len(self.output_shape) == 1:
                notes = (*notes, i18n.text("explain.classes", self.output_shape[0]))
            return kind, notes


@dataclass(frozen=True)
class ShapeExplanation(Explanation):
    """The shape of one example ``input_shape`` through ``model``: one :class:`ShapeStep` per
    layer."""

    model: str
    input_shape: tuple[int, ...]
    steps: list[ShapeStep] = field(repr=False)

    def _lines(self) -> list[str]:
        out = [i18n.text("explain.shape_title", model=self.model, shape=self.input_shape)]
        width = max(len(step.name) for step in self.steps)
        for step in self.steps:
            kind, notes = step.describe()
            out.append(
                f"  {step.name.ljust(width)}  {kind}: {step.input_shape} "
                f"{i18n.text('explain.arrow')} {step.output_shape}"
            )
            out += [f"  {'':{width}}    {note}" for note in notes]
        return out


def explain_shape(model, input_shape=None) -> ShapeExplanation:
    """Explain how ``model`` (a :class:`~tatamikomi.models.Sequential`) changes the shape of one
    input, layer by layer, with the output-size formula of every convolution and pooling layer.
    ``input_shape`` defaults to the model's own, e.g. (1, 28, 28)."""
    shape = tuple(input_shape or model.input_shape or ())
    shapes = model.output_shapes(shape)
    steps, current = [], shape
    items = list(model.layers.items())
    for index, ((name, layer), out) in enumerate(zip(items, shapes)):
        steps.append(ShapeStep(name, layer, current, out, last=index == len(items) - 1))
        current = out
    return ShapeExplanation(type(model).__name__, shape, steps)
