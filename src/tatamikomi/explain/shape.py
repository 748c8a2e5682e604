"""How a model changes the shape of one input, layer by layer, with each formula."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import i18n
from ._base import Explanation
from ._format import pad_text, size_lines, stride_text


def _conv(layer, shape_in, m, lang):
    fn, c, fh, fw = layer.W.shape
    window = layer.window(shape_in[1:])
    kind = m["conv_layer"].format(
        filters=fn,
        c=c,
        fh=fh,
        fw=fw,
        stride=stride_text(window.stride),
        pad=pad_text(window.pads, m),
    )
    return kind, (*size_lines(window, lang), m["conv_channels"].format(fn))


def _pool(layer, shape_in, m, lang):
    window = layer.window(shape_in[1:])
    kind = m["pool_layer"].format(
        mode=m[layer.mode],
        ph=layer.pool[0],
        pw=layer.pool[1],
        stride=stride_text(window.stride),
        pad=pad_text(window.pads, m),
    )
    return kind, (*size_lines(window, lang), m["pool_channels"].format(shape_in[0]))


def _flat(shape_in) -> str:
    return "*".join(map(str, shape_in)) + f" = {int(np.prod(shape_in))}"


def _affine(layer, shape_in, m, lang):
    n_in, n_out = layer.W.shape
    if len(shape_in) > 1:
        text = m["affine_flat"].format(shape=shape_in, size=_flat(shape_in), n_in=n_in, n_out=n_out)
    else:
        text = m["affine"].format(n_in=n_in, n_out=n_out)
    return _name(layer, lang), (text,)


def _reshape(layer, shape_in, m, lang):
    return _name(layer, lang), (m["flatten"].format(shape=shape_in, size=_flat(shape_in)),)


def _global_pool(layer, shape_in, m, lang):
    return _name(layer, lang), (m["gap"].format(shape=shape_in, c=shape_in[0]),)


#: a layer's ``kind`` -> function(layer, input shape, the "explain" messages, lang) giving its
#: title and notes; a layer of any other kind leaves the shape unchanged
DESCRIPTIONS = {
    "conv": _conv,
    "pool": _pool,
    "affine": _affine,
    "reshape": _reshape,
    "global_pool": _global_pool,
}


def describe_layer(layer, shape_in, shape_out, lang: str = "en") -> tuple[str, tuple[str, ...]]:
    """What ``layer`` is (a short title) and why it turns ``shape_in`` into ``shape_out`` (notes
    with the formulas), for one example (no batch axis).

    It asks the layer: its ``kind`` (the key of :data:`DESCRIPTIONS`) and, for a sliding window
    the layer's own ``window()`` (from :mod:`tatamikomi.functional.geometry`), so no size is
    worked out twice.
    """
    m = i18n.table("explain", lang)
    describe = DESCRIPTIONS.get(layer.kind)
    if describe is None:
        return _name(layer, lang), (m["unchanged"],)
    return describe(layer, shape_in, m, lang)


def _name(layer, lang: str) -> str:
    """The layer's type as the explanations call it (ReLU, ドロップアウト...)."""
    name = type(layer).__name__
    return i18n.table("layer_names", lang).get(name, name)


@dataclass(frozen=True)
class ShapeStep:
    """One layer: its name, the layer itself, and the shapes of one example before and after."""

    name: str
    layer: object
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    last: bool = False

    def describe(self, lang: str = "en") -> tuple[str, tuple[str, ...]]:
        """What the layer is, and why the shape changes as it does (with the formulas)."""
        kind, notes = describe_layer(self.layer, self.input_shape, self.output_shape, lang)
        if self.last and len(self.output_shape) == 1:
            notes = (*notes, i18n.text("explain.classes", lang, self.output_shape[0]))
        return kind, notes


@dataclass(frozen=True)
class ShapeExplanation(Explanation):
    """The shape of one example ``input_shape`` through ``model``: one :class:`ShapeStep` per
    layer."""

    model: str
    input_shape: tuple[int, ...]
    steps: list[ShapeStep] = field(repr=False)

    def lines(self, lang: str = "en") -> list[str]:
        m = i18n.table("explain", lang)
        out = [m["shape_title"].format(model=self.model, shape=self.input_shape)]
        width = max(len(step.name) for step in self.steps)
        for step in self.steps:
            kind, notes = step.describe(lang)
            out.append(
                f"  {step.name.ljust(width)}  {kind}: {step.input_shape} {m['arrow']} "
                f"{step.output_shape}"
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
