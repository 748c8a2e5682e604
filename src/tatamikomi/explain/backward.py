"""The backward pass, cell by cell: where each number of a layer's ``dx`` and ``dW`` comes from.

A convolution's backward pass (the book's ``col2im``) sends every output cell's gradient
``dout[f, oi, oj]`` back to each input cell its window covered, multiplied by the filter tap
``W[f, c, ki, kj]`` that met it there. Where windows overlap, an input cell receives several of
these terms, and they are **added** (col2im's ``+=``, not ``=``): that is why ``col2im`` is not
the inverse of ``im2col`` (the question of issue #30 of the book's repository). A filter tap's
gradient ``dW[f, c, ki, kj]`` is the sum, over the windows, of the input value under that tap
times the window's ``dout`` (one element of ``col.T @ dout``). Max pooling sends each window's
``dout`` to the window's maximum alone (the first, where several are equal), average pooling
``dout / area`` to every cell of it.

:func:`explain_backward` explains one layer: by default the lecture's 4x4 input and 3x3 filter
with ``dout`` = 1 everywhere (the gradient of the sum of the outputs); or a layer of a model for
one image (:func:`backward_pass`: ``dout`` at the logits is one-hot at the target class, i.e. the
gradient of that class's score; with ``loss=True`` the gradient of the cross-entropy loss). Every
number is computed by the loops here and checked against the layer's own ``backward``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .. import i18n, lecture
from .._checks import as_array, non_negative_pair, positive_pair
from ..functional.geometry import Window2d
from ..layers import Convolution, Pooling
from ._base import Explanation, as_image
from ._format import factor, grid, hw, image_label, is_whole, number, pad_text, stride_text
from .conv import _as_filters

#: how many terms a listing shows before it says how many more there are
MAX_TERMS = 16
#: the largest (H, W) area whose grid is printed whole
MAX_GRID = 100


def _plain(value):
    """numpy values and tuples as what JSON carries (lists, ints, floats)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------------
# The gradient at every layer of a model, for one image


@dataclass(frozen=True)
class BackwardPass:
    """One image through a model and back: for each layer (by name, in order) its input, its
    output, the gradient ``dout`` arriving at its output and the gradient ``dx`` it sends to its
    input. ``target`` is the class; ``of`` says whose gradient: ``"score"`` (dout at the logits
    is one-hot at the target) or ``"loss"`` (softmax minus one-hot: the cross-entropy's)."""

    names: list[str]
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    douts: dict[str, np.ndarray]
    dxs: dict[str, np.ndarray]
    layers: dict[str, object] = field(repr=False)
    target: int
    of: str
    scores: np.ndarray


def _model_image(model, image) -> np.ndarray:
    x = np.asarray(as_array(image, "image"))
    shape = tuple(model.input_shape or x.shape[-3:])
    if x.ndim == len(shape) + 1 and x.shape[0] == 1:
        x = x[0]
    if x.ndim == 2 and len(shape) == 3 and shape[0] == 1:
        x = x[None]
    if tuple(x.shape) != shape:
        raise i18n.error(
            ValueError, "errors.backward_image_shape", shape=tuple(x.shape), expected=shape
        )
    return x.astype(model.dtype, copy=False)


def backward_pass(model, image, target=None, *, loss: bool = False) -> BackwardPass:
    """Forward one ``image`` (C, H, W) through a copy of ``model`` in inference mode (dropout
    off, batch norm's running statistics) and back, layer by layer in the listed order.

    ``target``: the class whose score's gradient is taken (default: the predicted class): dout
    at the logits is one-hot at ``target``. With ``loss=True``: the gradient of the
    cross-entropy loss against ``target`` (``softmax(y) - onehot``). The caller's model is not
    touched (its caches, gradients and modes stay as they were)."""
    x = _model_image(model, image)[None]
    names = list(model.layers.keys())
    network = copy.deepcopy(model)  # the caller's layers keep their caches and modes
    layers = dict(network.layers.items())
    inputs, outputs = {}, {}
    for name in names:
        layer = layers[name]
        layer.eval()
        if hasattr(layer, "need_input_grad"):
            layer.need_input_grad = True
        inputs[name] = x[0]
        x = layer.forward(x)
        outputs[name] = x[0]
    scores = np.asarray(x[0], dtype=np.float64).ravel()
    classes = scores.size
    if target is None:
        target = int(np.argmax(scores))
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not (
        0 <= target < classes
    ):
        raise i18n.error(ValueError, "errors.backward_target", target=target, last=classes - 1)
    dout = np.zeros((1, classes), dtype=x.dtype)
    if loss:
        e = np.exp(scores - scores.max())
        dout[0] = e / e.sum()
        dout[0, target] -= 1
    else:
        dout[0, target] = 1
    dout = dout.reshape(x.shape)
    douts, dxs = {}, {}
    for name in reversed(names):
        douts[name] = dout[0]
        dout = layers[name].backward(dout)
        dxs[name] = dout[0]
    return BackwardPass(
        names, inputs, outputs, douts, dxs, layers, int(target), "loss" if loss else "score",
        scores,
    )


# ---------------------------------------------------------------------------------------------
# One cell of a convolution's dx, one tap of its dW, one cell of a pooling's dx


@dataclass(frozen=True)
class ConvTerm:
    """One term of ``dx[c, i, j]``: the output cell (f, oi, oj) whose window covered the input
    cell, the filter tap (c, ki, kj) it met there, and ``dout[f, oi, oj] * W[f, c, ki, kj]``."""

    filter: int
    out: tuple[int, int]
    tap: tuple[int, int, int]
    dout: float
    weight: float
    product: float


@dataclass(frozen=True)
class DxCell:
    """``dx[c, i, j]`` of a convolution: its terms (by filter, then output row, then column) and
    their sum; ``engine`` is the layer's own ``backward``'s."""

    cell: tuple[int, int, int]
    terms: list[ConvTerm]
    value: float
    engine: float


@dataclass(frozen=True)
class TapTerm:
    """One term of ``dW[f, c, ki, kj]``: the window at output (oi, oj), the (padded) input value
    under the tap there (``padded`` when it lies in the padding), and ``x * dout``."""

    out: tuple[int, int]
    at: tuple[int, int]
    x: float
    dout: float
    product: float
    padded: bool


@dataclass(frozen=True)
class TapGrad:
    """``dW[f, c, ki, kj]``: one element of ``col.T @ dout``, the sum over windows."""

    tap: tuple[int, int, int, int]
    terms: list[TapTerm]
    value: float
    engine: float


@dataclass(frozen=True)
class PoolMark:
    """One pooling window (c, oi, oj) that contains the cell: the cell's place in it, the
    window's values, whether the cell is the maximum that won (max pooling), the window's dout
    and what the cell receives (dout if it won, 0 if not; ``dout / area`` when averaging)."""

    window: tuple[int, int]
    place: tuple[int, int]
    values: np.ndarray
    winner: tuple[int, int] | None
    is_max: bool
    dout: float
    received: float


@dataclass(frozen=True)
class PoolCell:
    cell: tuple[int, int, int]
    marks: list[PoolMark]
    value: float
    engine: float


def _covering(window: Window2d, axis: int, index: int) -> list[tuple[int, int]]:
    """(output index, tap index) of each window along ``axis`` that covers input ``index``."""
    before = window.pads[2 * axis]
    stride, kernel, dilation = window.stride[axis], window.kernel[axis], window.dilation[axis]
    found = []
    for out in range(window.out_hw[axis]):
        offset = index + before - out * stride
        if offset >= 0 and offset % dilation == 0 and offset // dilation < kernel:
            found.append((out, offset // dilation))
    return found


def conv_dx_cell(dout, weights, window: Window2d, cell, engine_dx) -> DxCell:
    """The terms of ``dx[c, i, j]`` for ``dout`` (FN, OH, OW) and ``weights`` (FN, C, FH, FW)."""
    c, i, j = cell
    terms = []
    for f in range(len(weights)):
        for oi, ki in _covering(window, 0, i):
            for oj, kj in _covering(window, 1, j):
                d, w = float(dout[f, oi, oj]), float(weights[f, c, ki, kj])
                terms.append(ConvTerm(f, (oi, oj), (c, ki, kj), d, w, d * w))
    value = float(sum(t.product for t in terms))
    return DxCell((c, i, j), terms, value, float(engine_dx[c, i, j]))


def conv_dw_tap(x, dout, window: Window2d, tap, engine_dw) -> TapGrad:
    """``dW[f, c, ki, kj]`` for input ``x`` (C, H, W) and ``dout`` (FN, OH, OW)."""
    f, c, ki, kj = tap
    top, _, left, _ = window.pads
    (sh, sw), (dh, dw) = window.stride, window.dilation
    terms = []
    for oi in range(window.out_hw[0]):
        for oj in range(window.out_hw[1]):
            i, j = oi * sh + ki * dh - top, oj * sw + kj * dw - left
            inside = 0 <= i < x.shape[1] and 0 <= j < x.shape[2]
            value = float(x[c, i, j]) if inside else 0.0
            d = float(dout[f, oi, oj])
            terms.append(TapTerm((oi, oj), (i, j), value, d, value * d, not inside))
    total = float(sum(t.product for t in terms))
    return TapGrad((f, c, ki, kj), terms, total, float(engine_dw[f, c, ki, kj]))


def pool_dx_cell(x, dout, window: Window2d, mode: str, cell, engine_dx) -> PoolCell:
    """Each pooling window containing ``x``'s cell (c, i, j), and what the cell receives."""
    c, i, j = cell
    top, _, left, _ = window.pads
    (sh, sw), (ph, pw), (dh, dw) = window.stride, window.kernel, window.dilation
    marks = []
    for oi, ki in _covering(window, 0, i):
        for oj, kj in _covering(window, 1, j):
            values = np.full((ph, pw), -np.inf if mode == "max" else 0.0)
            for a in range(ph):
                for b in range(pw):
                    r, s = oi * sh + a * dh - top, oj * sw + b * dw - left
                    if 0 <= r < x.shape[1] and 0 <= s < x.shape[2]:
                        values[a, b] = x[c, r, s]
            d = float(dout[c, oi, oj])
            if mode == "max":
                # the first maximum in reading order wins (the engine's rule, and PyTorch's)
                winner = tuple(int(v) for v in np.unravel_index(np.argmax(values), values.shape))
                is_max = winner == (ki, kj)
                received = d if is_max else 0.0
            else:
                winner, is_max, received = None, False, d / values.size
            marks.append(PoolMark((oi, oj), (ki, kj), values, winner, is_max, d, received))
    value = float(sum(m.received for m in marks))
    return PoolCell((c, i, j), marks, value, float(engine_dx[c, i, j]))


# ---------------------------------------------------------------------------------------------
# The explanation


@dataclass(frozen=True)
class BackwardExplanation(Explanation):
    """The backward pass of one convolution (``kind="conv"``) or pooling layer (``"max"``,
    ``"avg"``) for one image: ``x`` (C, H, W), ``weights`` (FN, C, FH, FW) or None, ``dout``
    (the gradient at the output), ``dx`` and ``dW`` as the layer's own ``backward`` computed
    them, and the cell (:class:`DxCell` or :class:`PoolCell`) and tap (:class:`TapGrad`)
    explained. ``source`` names the model, layer, image and target when there is one."""

    kind: str
    x: np.ndarray
    weights: np.ndarray | None
    window: Window2d
    dout: np.ndarray
    dx: np.ndarray
    dW: np.ndarray | None
    cell: DxCell | PoolCell
    tap: TapGrad | None
    source: dict | None = None

    def to_dict(self) -> dict:
        """Everything as JSON carries it (lists, numbers, strings), for the studio."""
        out = {
            "kind": self.kind,
            "source": self.source,
            "x": self.x,
            "weights": self.weights,
            "stride": self.window.stride,
            "pads": self.window.pads,
            "kernel": self.window.kernel,
            "dout": self.dout,
            "dx": self.dx,
            "dW": self.dW,
        }
        cell = self.cell
        if isinstance(cell, DxCell):
            out["cell"] = {
                "cell": cell.cell, "value": cell.value, "engine": cell.engine,
                "terms": [
                    {"filter": t.filter, "out": t.out, "tap": t.tap, "dout": t.dout,
                     "weight": t.weight, "product": t.product}
                    for t in cell.terms
                ],
            }
        else:
            out["cell"] = {
                "cell": cell.cell, "value": cell.value, "engine": cell.engine,
                "windows": [
                    {"window": m.window, "place": m.place, "values": m.values,
                     "winner": m.winner, "is_max": m.is_max, "dout": m.dout,
                     "received": m.received}
                    for m in cell.marks
                ],
            }
        if self.tap is not None:
            out["tap"] = {
                "tap": self.tap.tap, "value": self.tap.value, "engine": self.tap.engine,
                "terms": [
                    {"out": t.out, "at": t.at, "x": t.x, "dout": t.dout, "product": t.product,
                     "padded": t.padded}
                    for t in self.tap.terms
                ],
            }
        return _plain(out)

    # -- text ---------------------------------------------------------------------------------

    def _grid(self, key: str, array, **values) -> list[str]:
        """A titled (C, H, W) array, grid by grid, or only its shape when it is large."""
        array = np.asarray(array)
        shape = image_label(array.shape)
        if array.shape[-1] * array.shape[-2] > MAX_GRID:
            return [i18n.text(key, shape=shape, **values) + i18n.text("backward.too_large")]
        out = [i18n.text(key, shape=shape, **values)]
        if len(array) == 1:
            return out + [grid(array[0])]
        for c, channel in enumerate(array):
            out += [i18n.text("explain.channel", c), grid(channel, "      ")]
        return out

    def _agree(self, what: str, value: float, engine: float) -> str:
        key = "backward.agrees" if np.isclose(value, engine, rtol=1e-5, atol=1e-6) else (
            "backward.differs"
        )
        return i18n.text(key, what=what, value=number(engine))

    def _lines(self) -> list[str]:
        out = []
        if self.source:
            of = "backward.of_loss" if self.source["of"] == "loss" else "backward.of_score"
            out.append(
                i18n.text(
                    "backward.source", model=self.source["model"], layer=self.source["layer"],
                    image=self.source["image"], of=i18n.text(of, target=self.source["target"]),
                )
            )
        if self.kind == "conv":
            out += self._conv_lines()
        else:
            out += self._pool_lines()
        values = [self.x, self.dout] + ([self.weights] if self.weights is not None else [])
        if not all(is_whole(v) for v in values):
            out.append(i18n.text("explain.rounded"))
        return out

    def _head(self, title: str, **values) -> list[str]:
        out = [
            i18n.text(
                title, input=image_label(self.x.shape), stride=stride_text(self.window.stride),
                pad=pad_text(self.window.pads), **values,
            )
        ]
        out += self._grid("backward.input", self.x)
        return out

    def _dout_lines(self) -> list[str]:
        if self.source is None and np.all(self.dout == 1):
            return self._grid("backward.dout_ones", self.dout)
        return self._grid("backward.dout", self.dout)

    def _conv_lines(self) -> list[str]:
        fn, c, fh, fw = self.weights.shape
        out = self._head("backward.conv_title", filter=image_label((c, fh, fw)) if fn == 1
                         else str(self.weights.shape))
        if fh * fw * c * fn <= 4 * MAX_GRID:
            for k in range(fn):
                out.append(i18n.text("explain.filter_k", k=k, n=fn, shape=image_label((c, fh, fw)))
                           if fn > 1 else i18n.text("explain.filter", image_label((c, fh, fw))))
                for ch in range(c):
                    if c > 1:
                        out.append(i18n.text("explain.channel", ch))
                    out.append(grid(self.weights[k, ch], "      " if c > 1 else "    "))
        out += self._dout_lines()
        cell = self.cell
        where = ",".join(map(str, cell.cell))
        out.append(i18n.text("backward.dx_cell", cell=where, count=len(cell.terms)))
        if any(self.window.pads):
            out.append(i18n.text("backward.pad_note"))
        out += self._terms_lines(
            f"dx[{where}]", cell.terms, cell.value, cell.engine, "backward.col2im_note",
            lambda term: i18n.text(
                "backward.conv_term", f=term.filter, oi=term.out[0], oj=term.out[1],
                tap=",".join(map(str, term.tap)), dout=factor(term.dout),
                weight=factor(term.weight), product=number(term.product),
            ),
        )
        out += self._grid("backward.dx", self.dx)
        tap = self.tap
        where = ",".join(map(str, tap.tap))
        out.append(i18n.text("backward.dw_tap", tap=where, count=len(tap.terms)))
        out += self._terms_lines(
            f"dW[{where}]", tap.terms, tap.value, tap.engine, "backward.dw_note",
            lambda term: i18n.text(
                "backward.tap_term_pad" if term.padded else "backward.tap_term",
                oi=term.out[0], oj=term.out[1], i=term.at[0], j=term.at[1],
                x=factor(term.x), dout=factor(term.dout), product=number(term.product),
            ),
        )
        f = tap.tap[0]
        if fh * fw * c <= MAX_GRID:
            out += self._grid("backward.dw_filter", self.dW[f], f=f)
        return out

    def _terms_lines(self, what: str, terms, value, engine, note: str, term_line) -> list[str]:
        """A sum's terms (the largest when there are many, ``term_line(term)`` each), the sum,
        its ``note`` and whether the layer's own backward gives the same ``engine`` value."""
        shown, rest = _largest(terms)
        out = [i18n.text("backward.largest", shown=len(shown))] if rest else []
        out += [term_line(term) for term in shown]
        if rest:
            out.append(i18n.text("backward.more_terms", count=len(rest),
                                 rest=number(sum(t.product for t in rest))))
        out.append(self._sum_line(what, [t.product for t in terms], value))
        out.append(i18n.text(note))
        out.append(self._agree(what, value, engine))
        return out

    def _sum_line(self, what: str, products, value) -> str:
        if len(products) == 1:
            return f"  {what} = {number(value)}"
        if len(products) <= MAX_TERMS:
            terms = "+".join(factor(p) for p in products) or "0"
            return f"  {what} = {terms} = {number(value)}"
        return "  " + i18n.text("backward.sum_many", what=what, count=len(products),
                                value=number(value))

    def _pool_lines(self) -> list[str]:
        mode = i18n.text("explain.max" if self.kind == "max" else "explain.avg")
        out = self._head("backward.pool_title", mode=mode, window=hw(self.window.kernel))
        out += self._dout_lines()
        cell = self.cell
        where = ",".join(map(str, cell.cell))
        out.append(i18n.text("backward.pool_cell", cell=where, count=len(cell.marks)))
        for mark in cell.marks:
            values = ", ".join(number(v) for v in np.ravel(mark.values))
            place = f"({mark.place[0]},{mark.place[1]})"
            if self.kind == "max":
                winner = f"({mark.winner[0]},{mark.winner[1]})"
                key = "backward.pool_max_yes" if mark.is_max else "backward.pool_max_no"
                text = i18n.text(key, values=values, place=place, winner=winner,
                                 dout=number(mark.dout), received=number(mark.received))
            else:
                text = i18n.text("backward.pool_avg", values=values, place=place,
                                 dout=number(mark.dout), area=mark.values.size,
                                 received=number(mark.received))
            label = i18n.text("backward.window_label", oi=mark.window[0], oj=mark.window[1])
            out.append(f"  {label} {text}")
        out.append(self._sum_line(f"dx[{where}]", [m.received for m in cell.marks], cell.value))
        out.append(self._agree(f"dx[{where}]", cell.value, cell.engine))
        out += self._grid("backward.dx", self.dx)
        if self.kind == "max":
            out.append(i18n.text("backward.max_note"))
        return out


def _largest(terms):
    """All the terms when they are few, else the MAX_TERMS largest in size (in their order) and
    the rest."""
    if len(terms) <= MAX_TERMS:
        return terms, []
    order = sorted(range(len(terms)), key=lambda n: -abs(terms[n].product))
    keep = set(order[:MAX_TERMS])
    return ([t for n, t in enumerate(terms) if n in keep],
            [t for n, t in enumerate(terms) if n not in keep])


def _index(value, name: str, length: int) -> tuple[int, ...]:
    """A cell or tap given as a tuple of ints (or "c,i,j" text)."""
    if isinstance(value, str):
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            value = None
    try:
        result = tuple(int(v) for v in value)
        ok = len(result) == length and all(int(v) == v for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise i18n.error(ValueError, "errors.backward_index", name=name, value=value,
                         length=length)
    return result


def _inside(index, shape, name: str):
    if any(not 0 <= i < s for i, s in zip(index, shape)):
        last = ",".join(str(s - 1) for s in shape)
        raise i18n.error(
            ValueError, "errors.backward_outside", name=name,
            value=",".join(map(str, index)), last=last,
        )
    return index


def _layer_of(model, name):
    """The model's convolution or pooling layer ``name``, or one error naming those there are."""
    usable = [n for n, layer in model.layers.items() if isinstance(layer, (Convolution, Pooling))]
    layer = dict(model.layers.items()).get(name) if name is not None else None
    if name is None and usable:
        name, layer = usable[0], dict(model.layers.items())[usable[0]]
    if layer is None or name not in usable:
        raise i18n.error(
            ValueError, "errors.backward_layer", layer=name, layers=", ".join(usable) or "-",
        )
    unsupported = layer.cell_explanation_unsupported()
    if unsupported is not None:
        raise i18n.error(ValueError, "errors.backward_unsupported", layer=name,
                         why=unsupported)
    return name, layer


def explain_backward(
    x=None, w=None, *, dout=None, stride=None, pad=0, pool=None, size=2, cell=None, tap=None,
    model=None, image=None, layer=None, target=None, loss=False, image_name=None,
) -> BackwardExplanation:
    """Explain one layer's backward pass: one cell of ``dx`` as its sum of terms, and (for a
    convolution) one tap of ``dW``.

    Without a ``model``: a convolution of ``x`` (default: the lecture's 4x4 input) with ``w``
    (default: its 3x3 filter), or with ``pool="max"``/``"avg"`` a pooling of ``x`` (window
    ``size``, ``stride`` defaulting to it); ``dout`` defaults to ones (the gradient of the sum
    of the outputs). With a ``model`` and an ``image``: its ``layer`` (a convolution or pooling
    layer's name, default the first) for that image, with ``dout`` from :func:`backward_pass`
    (``target``, ``loss``). ``cell`` = (c, i, j) of dx (default: the largest in size); ``tap`` =
    (f, c, ki, kj) of dW (default: (0, 0, 0, 0))."""
    source = None
    if model is not None:
        name, _ = _layer_of(model, layer)
        run = backward_pass(model, image, target, loss=loss)
        engine_layer = run.layers[name]
        x64 = np.asarray(run.inputs[name], np.float64)
        dout64 = np.asarray(run.douts[name], np.float64)
        engine_dx = np.asarray(run.dxs[name], np.float64)
        window = engine_layer.window(x64.shape[1:])
        if isinstance(engine_layer, Convolution):
            kind, weights = "conv", np.asarray(engine_layer.W, np.float64)
            engine_dw = np.asarray(engine_layer.dW, np.float64)
        else:
            kind, weights, engine_dw = engine_layer.mode, None, None
        source = {
            "model": type(model).__name__, "layer": name, "target": run.target, "of": run.of,
            "image": "-" if image_name is None else str(image_name),
        }
    else:
        x64 = as_image(x, "input", lecture.INPUT)
        if pool is not None:
            if pool not in ("max", "avg"):
                raise i18n.error(ValueError, "errors.pool_mode_max_avg", mode=pool)
            size = positive_pair(size, "size")
            stride = size if stride is None else positive_pair(stride, "stride")
            engine_layer = Pooling(size, None, stride, non_negative_pair(pad, "pad"), pool)
            kind, weights = pool, None
        else:
            weights = _as_filters(w, len(x64))
            stride = positive_pair(1 if stride is None else stride, "stride")
            engine_layer = Convolution(weights, np.zeros(len(weights)), stride,
                                       non_negative_pair(pad, "pad"))
            kind = "conv"
        window = engine_layer.window(x64.shape[1:])
        out_shape = (len(weights) if weights is not None else len(x64), *window.out_hw)
        if min(out_shape) < 1:
            raise i18n.error(ValueError, "errors.backward_no_output", shape=out_shape)
        dout64 = (
            np.ones(out_shape) if dout is None else np.asarray(as_array(dout, "dout"), np.float64)
        )
        if dout64.ndim == 2 and out_shape[0] == 1:
            dout64 = dout64[None]
        if dout64.shape != out_shape:
            raise i18n.error(ValueError, "errors.backward_dout_shape", shape=dout64.shape,
                             expected=out_shape)
        engine_layer.forward(x64[None])
        engine_dx = engine_layer.backward(dout64[None])[0]
        engine_dw = engine_layer.dW if kind == "conv" else None
    if cell is None:
        cell = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(engine_dx)), x64.shape))
        if model is None and kind == "conv" and x64.shape[1] > 2 and x64.shape[2] > 2:
            cell = (0, 1, 1)  # the lecture's example: the cell all four windows cover
    cell = _inside(_index(cell, "cell", 3), x64.shape, "cell")
    if kind == "conv":
        cell_part = conv_dx_cell(dout64, weights, window, cell, engine_dx)
        tap = _inside(_index((0, 0, 0, 0) if tap is None else tap, "tap", 4), weights.shape,
                      "tap")
        tap_part = conv_dw_tap(x64, dout64, window, tap, engine_dw)
    else:
        cell_part = pool_dx_cell(x64, dout64, window, kind, cell, engine_dx)
        tap_part = None
    return BackwardExplanation(
        kind, x64, weights, window, dout64, np.asarray(engine_dx, np.float64),
        None if engine_dw is None else np.asarray(engine_dw, np.float64), cell_part, tap_part,
        source,
    )
