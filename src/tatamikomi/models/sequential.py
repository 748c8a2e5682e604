"""The model: :class:`Sequential`, layers applied in order, with the book's methods.

Every model has the book's methods: ``predict(x, train_flg=False)`` (scores, shape (N, classes)),
``loss(x, t)``, ``accuracy(x, t, batch_size=100)``, ``gradient(x, t)`` (a dict of gradients keyed
like ``params``), ``params`` (``W1``, ``b1``, ``W2``... numbered per layer with weights, as the book
numbers them), and ``save_params``/``load_params`` in the safe format of :mod:`tatamikomi.io`.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import MutableMapping

import numpy as np

from .. import i18n, io
from .._checks import DEFAULT_DTYPE, non_empty_batch
from ..layers import Dropout, Layer, Relu, SoftmaxWithLoss


def _layer_names(layers) -> list[str]:
    """The book's layer names: ``Conv1, Relu1, Pool1, Affine1, Relu2, Affine2``..., each layer
    numbered by its ``book_name``."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        prefix = layer.book_name or type(layer).__name__
        counts[prefix] = counts.get(prefix, 0) + 1
        names.append(f"{prefix}{counts[prefix]}")
    return names


class Layers:
    """A model's layers in order: iterate like a list, index by position or by name
    (``layers["Conv1"]``), and ``keys()``/``values()``/``items()`` like the book's OrderedDict."""

    def __init__(self, names, layers):
        self._names, self._layers = list(names), list(layers)

    def __iter__(self):
        return iter(self._layers)

    def __len__(self):
        return len(self._layers)

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self._layers[self._names.index(key)]
            except ValueError:
                raise i18n.error(
                    KeyError, "errors.sequential_layer_layers_are", key=key,
                    names=', '.join(self._names),
                )
        return self._layers[key]

    def keys(self):
        return list(self._names)

    def values(self):
        return list(self._layers)

    def items(self):
        return list(zip(self._names, self._layers))

    def __repr__(self):
        return "\n".join(f"{name}: {layer!r}" for name, layer in self.items())


class _Arrays(MutableMapping):
    """A live view of the model's arrays by their book names (``W1``, ``b1``...): reading gives
    the layer's own array, writing replaces it in the layer (same shape, converted to its dtype)."""

    def __init__(self, model, store: str):
        self._model, self._store = model, store

    def _where(self, key):
        try:
            return self._model._locations[self._store][key]
        except KeyError:
            known = ", ".join(self._model._locations[self._store]) or "none"
            raise i18n.error(
                KeyError, "errors.sequential_model", kind=self._store[:-1], key=key,
                known=known,
            ) from None

    def __getitem__(self, key):
        layer, name = self._where(key)
        return getattr(layer, self._store)[name]

    def __setitem__(self, key, value):
        layer, name = self._where(key)
        old = getattr(layer, self._store)[name]
        new = np.asarray(value)
        if new.shape != old.shape:
            raise i18n.error(
                ValueError, "errors.sequential_have_shape", key=key, old_shape=old.shape,
                new_shape=new.shape,
            )
        if not np.issubdtype(new.dtype, np.floating):
            raise i18n.error(
                TypeError, "errors.sequential_floating_point_dtype", key=key, new_dtype=new.dtype,
            )
        getattr(layer, self._store)[name] = new.astype(old.dtype, copy=False)

    def __delitem__(self, key):
        raise i18n.error(TypeError, "errors.sequential_model_s_arrays")

    def __iter__(self):
        return iter(self._model._locations[self._store])

    def __len__(self):
        return len(self._model._locations[self._store])

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: array{tuple(v.shape)}" for k, v in self.items()) + "}"


def _array_names(layers) -> dict[str, dict[str, tuple[Layer, str]]]:
    """Book numbering: each layer with weights takes the next number (W1, b1, then W2...);
    batch norm takes the number of the weights before it (gamma1 after W1)."""
    locations: dict[str, dict[str, tuple[Layer, str]]] = {"params": {}, "buffers": {}}
    number = 0
    for layer in layers:
        if "W" in layer.params:
            number += 1
        for store in locations:
            for key in getattr(layer, store):
                name = f"{key}{max(number, 1)}"
                while name in locations[store]:
                    name += "_"
                locations[store][name] = (layer, key)
    return locations


class Sequential:
    """Layers applied in order, with SoftmaxWithLoss as the last layer (the book's networks).

    ``layers`` is a list of :class:`~tatamikomi.layers.Layer` (named Conv1, Relu1, Pool1...) or a
    dict of names to layers. ``input_shape`` is one example's shape, e.g. (1, 28, 28); it lets the
    model check its input and print a :meth:`summary`.
    """

    def __init__(self, layers, *, input_shape=None, classes=None):
        if isinstance(layers, dict):
            names, layers = list(layers), list(layers.values())
        else:
            layers, names = list(layers), None
        for layer in layers:
            if not isinstance(layer, Layer) or isinstance(layer, SoftmaxWithLoss):
                raise i18n.error(
                    TypeError, "errors.sequential_sequential_takes_layers",
                    layer_kind=type(layer).__name__,
                )
        names = names or _layer_names(layers)
        if not layers:
            raise i18n.error(ValueError, "errors.sequential_sequential_needs_least")
        self.layers = Layers(names, layers)
        self.last_layer = SoftmaxWithLoss()
        self.input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        self.classes = None if classes is None else [str(c) for c in classes]
        #: how raw pixels become the model's input, e.g. {"divide_by": 255} (set by training)
        self.preprocess = None
        #: per-epoch training history (loss, train and test accuracy), kept in the model file
        self.history = {}
        self._locations = _array_names(layers)
        self.params = _Arrays(self, "params")
        self.buffers = _Arrays(self, "buffers")

    # -- the book's methods ---------------------------------------------------------------

    def predict(self, x, train_flg=False, *, batch_size=None):
        """Scores (N, classes) for images x (N, C, H, W). ``train_flg`` switches dropout and
        batch norm to training behaviour.

        Large batches run in slices of ``batch_size`` images, by default as many as keep every
        layer's output within the memory budget (:func:`tatamikomi.get_memory_budget`, 64 MB):
        10,000 MNIST images through DeepConvNet run 1,300 at a time (in training mode, with no
        ``batch_size``, the batch runs whole, since a backward pass may follow). Each image's
        scores are the same whatever the slicing, up to float rounding. The layers' train/eval
        modes are as the caller had them afterwards."""
        x = self._check_input(x)
        if len(x) == 0:  # no images, no scores: (0, classes), as the shapes say
            return self._empty_scores(x)
        modes = [layer.training for layer in self.layers]
        self.train(train_flg)
        try:
            if batch_size is None:
                if train_flg:  # one forward pass, which a backward pass may follow
                    return self.forward(x)
                batch_size = self._images_within_budget(x)
            infer = self.forward if train_flg else self._infer
            if x.shape[0] <= batch_size:
                return infer(x)
            return np.concatenate(
                [infer(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
            )
        finally:  # the layers' modes as the caller had them
            for layer, mode in zip(self.layers, modes):
                layer.train(mode)

    def _empty_scores(self, x):
        """The (0, ...) scores of an empty batch: the shape of one image's scores, found by an
        inference pass on one image of zeros (which changes no state)."""
        modes = [layer.training for layer in self.layers]
        self.train(False)
        try:
            one = self._infer(
                np.zeros((1, *x.shape[1:]), dtype=np.result_type(x.dtype, self.dtype))
            )
        finally:
            for layer, mode in zip(self.layers, modes):
                layer.train(mode)
        return one[:0]

    def _infer(self, x):
        """Forward for inference only: each layer lets go of its backward state at once."""
        for layer in execution_order(self.layers.values()):
            x = layer.forward(x)
            layer.release()
        return x

    def _images_within_budget(self, x) -> int:
        """How many images of x fit the memory budget in the largest layer output."""
        from ..config import rows_within_budget

        example = tuple(x.shape[1:])
        if getattr(self, "_largest_output", (None,))[0] != example:
            largest = max(int(np.prod(shape)) for shape in self.output_shapes(example))
            self._largest_output = (example, max(largest, int(np.prod(example))))
        itemsize = np.result_type(x.dtype, self.dtype).itemsize
        return rows_within_budget(self._largest_output[1] * itemsize)

    def loss(self, x, t):
        """Mean cross-entropy of the training-mode scores against labels t (indices or one-hot).
        An empty batch raises ValueError (its mean is undefined); so does :meth:`gradient`."""
        non_empty_batch(x, "x", i18n.Said("errors.a_loss"))
        return self.last_layer.forward(self.predict(x, train_flg=True), t)

    def accuracy(self, x, t, batch_size=100):
        """The share of x whose highest score is the label, computed batch_size images at a time.
        An empty x raises ValueError (the share of nothing is undefined)."""
        non_empty_batch(x, "x", i18n.Said("errors.an_accuracy"))
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        if len(t) != len(x):
            raise i18n.error(
                ValueError, "errors.sequential_x_images_but", len_x=len(x), len_t=len(t),
            )
        correct = 0
        for i in range(0, len(x), batch_size):
            y = self.predict(x[i : i + batch_size])
            correct += int(np.sum(np.argmax(y, axis=1) == t[i : i + batch_size]))
        return correct / len(x)

    def gradient(self, x, t):
        """Forward and backward on a batch; returns ``{name: gradient}`` keyed like ``params``."""
        self.loss(x, t)
        first = self.layers[0]
        skip = getattr(first, "need_input_grad", False)
        if skip:  # nothing here needs the gradient of the images: save that work
            first.need_input_grad = False
        try:
            self.backward(self.last_layer.backward(1))
        finally:
            if skip:
                first.need_input_grad = True
        return {name: layer.grads[key] for name, (layer, key) in self._locations["params"].items()}

    def numerical_gradient(self, x, t, h=1e-4):
        """The gradient by central differences (slow; to check :meth:`gradient`)."""
        from ..gradcheck import numerical_gradient

        grads = {}
        for name in list(self.params):
            original = self.params[name].copy()

            def loss_at(point, name=name):
                self.params[name] = point
                return float(self.loss(x, t))

            try:
                grads[name] = numerical_gradient(loss_at, original, h).astype(original.dtype)
            finally:
                self.params[name] = original
        return grads

    def save_params(self, file_name="params.npz", *, overwrite=True):
        """Save the weights (and batch-norm statistics) in the safe format (no pickle)."""
        arrays = {f"model/{name}": a for name, a in self.state_dict().items()}
        io.write_archive(file_name, {"kind": "params"}, arrays, overwrite=overwrite)

    def load_params(self, file_name="params.npz"):
        """Load weights saved by :meth:`save_params` or :func:`tatamikomi.save`, or a ``.pkl``
        from the book's code (read by :func:`tatamikomi.io.load_book_params`: no code runs). The
        book's weights are adjusted for its test-time dropout (:func:`fold_book_dropout`)."""
        arrays, origin = io.read_params(file_name)
        self.load_state_dict(fold_book_dropout(self, arrays) if origin == "book" else arrays)

    # -- layer-style use --------------------------------------------------------------------

    def __call__(self, x):
        return self.predict(x)

    def forward(self, x):
        """Each layer's forward in turn, with one exact shortcut: a ReLU followed by max pooling
        runs as max pooling followed by the ReLU (see :func:`execution_order`)."""
        self._order = execution_order(self.layers.values())
        for layer in self._order:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(getattr(self, "_order", None) or self.layers.values()):
            dout = layer.backward(dout)
            if dout is None:  # a first convolution with need_input_grad=False
                break
        return dout

    def train(self, mode=True):
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self):
        return self.train(False)

    # -- arrays, spec, summary ----------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer by name (the arrays themselves, not copies)."""
        return {**dict(self.params), **dict(self.buffers)}

    def load_state_dict(self, arrays) -> None:
        """Set every parameter and buffer from ``arrays`` (a name must exist; shapes must match)."""
        arrays = dict(arrays)
        expected = set(self.params) | set(self.buffers)
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        if missing or extra:
            raise i18n.error(
                ValueError, "errors.sequential_arrays_do_fit", missing_or_none=missing or 'none',
                extra_or_none=extra or 'none',
            )
        for name, value in arrays.items():
            store = self.params if name in self.params else self.buffers
            store[name] = np.array(value, copy=True)

    @property
    def dropout_layers(self) -> list[Dropout]:
        return [layer for layer in self.layers if isinstance(layer, Dropout)]

    def spec(self) -> dict:
        """The JSON-ready spec that :func:`from_spec` rebuilds this model from."""
        spec = {"input_shape": list(self.input_shape) if self.input_shape else None}
        spec["layers"] = [layer.to_spec() for layer in self.layers]
        if self.classes is not None:
            spec["classes"] = list(self.classes)
        return spec

    def architecture(self) -> dict:
        """What :func:`tatamikomi.load` rebuilds the model from."""
        return {"class": "Sequential", "spec": self.spec()}

    def output_shapes(self, input_shape=None) -> list[tuple[int, ...]]:
        """Each layer's output shape for one example of ``input_shape`` (each layer says its
        own: :meth:`~tatamikomi.layers.Layer.output_shape`)."""
        shape = tuple(input_shape or self.input_shape or ())
        if not shape:
            raise i18n.error(ValueError, "errors.sequential_give_input_shape")
        shapes = []
        for layer in self.layers:
            shape = layer.output_shape(shape)
            shapes.append(shape)
        return shapes

    def summary(self, input_shape=None, file=None, lang=None) -> str:
        """Print (and return) a table of each layer's output shape and parameter count, its
        headings in ``lang`` (default: the language in effect, :func:`tatamikomi.i18n.use`)."""
        with i18n.use(lang):
            text = self._summary(input_shape)
        print(text, file=file or sys.stdout)
        return text

    def _summary(self, input_shape) -> str:
        input_shape = tuple(input_shape or self.input_shape or ())
        shapes = self.output_shapes(input_shape)
        headings = ("summary.layer", "summary.type", "summary.output_shape", "summary.parameters")
        rows = [tuple(i18n.text(key) for key in headings)]
        rows.append((i18n.text("summary.input"), "", _shape_text(input_shape), ""))
        total = 0
        for (name, layer), shape in zip(self.layers.items(), shapes):
            count = sum(int(p.size) for p in layer.params.values())
            total += count
            rows.append(
                (name, layer.describe(), _shape_text(shape), f"{count:,}" if count else "0")
            )
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        line = "-" * (sum(widths) + 6)
        text = [type(self).__name__, line]
        for i, row in enumerate(rows):
            cells = [_pad(row[c], widths[c]) for c in range(3)] + [_pad(row[3], widths[3], True)]
            text.append("  ".join(cells).rstrip())
            if i == 0:
                text.append(line)
        text += [line, i18n.text("summary.total", total=total)]
        return "\n".join(text)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the model's parameters (float32 unless built otherwise)."""
        for value in self.params.values():
            return value.dtype
        return np.dtype(DEFAULT_DTYPE)

    def _check_input(self, x):
        x = np.asarray(x)
        if self.input_shape is not None and tuple(x.shape[1:]) != self.input_shape:
            expected = ", ".join(map(str, self.input_shape))
            flat = x.ndim == 2 and x.shape[1] == int(np.prod(self.input_shape))
            raise i18n.error(
                ValueError,
                "errors.model_input_flat" if flat else "errors.model_input",
                model=type(self).__name__,
                expected=expected,
                shape=x.shape,
            )
        return x

    def __repr__(self):
        return f"{type(self).__name__}(\n{self.layers!r}\n)"


def execution_order(layers: list[Layer]) -> list[Layer]:
    """The layers in the order the model runs them: as listed, except that a ReLU directly
    followed by max pooling is swapped with it.

    ``maxpool(relu(x)) == relu(maxpool(x))`` because ReLU never changes which value of a window
    is largest (it is monotone), and every pooling window holds at least one input value. The
    gradient is the same too: where a window's maximum is positive, both orders send it to the
    same position; where it is not, both send zero. Pooling first makes the ReLU's two passes
    work on a quarter of the data (with 2x2 windows). A pooling layer that must run where it is
    listed (the lecture's) says so with ``commutes_with_relu = False``."""
    order = list(layers)
    for i in range(len(order) - 1):
        first, second = order[i], order[i + 1]
        if (
            type(first) is Relu
            and getattr(second, "commutes_with_relu", False)
            and second.mode == "max"
        ):
            order[i], order[i + 1] = second, first
    return order


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def fold_book_dropout(model: Sequential, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Adjust the book's weights for our inverted dropout, so that eval-mode outputs are equal.

    The book's Dropout multiplies by ``1 - ratio`` at test time; ours passes values unchanged
    (it scales during training instead). Each dropout's factor moves into the next layer with
    weights (its W), or, for a dropout after the last one, into that layer's W and b. The
    layers in between (ReLU, max pooling, flatten) commute with a positive factor."""
    layers = model.layers.values()
    numbers = {
        id(layer): name[1:]
        for name, (layer, key) in model._locations["params"].items()
        if key == "W"
    }
    params = {k: np.array(v, copy=True) for k, v in params.items()}
    for index, layer in enumerate(layers):
        if not isinstance(layer, Dropout) or layer.dropout_ratio == 0:
            continue
        keep = 1 - layer.dropout_ratio
        after = [x for x in layers[index + 1 :] if id(x) in numbers]
        if after:
            params[f"W{numbers[id(after[0])]}"] *= keep
            continue
        number = numbers[id([x for x in layers[:index] if id(x) in numbers][-1])]
        params[f"W{number}"] *= keep
        if f"b{number}" in params:
            params[f"b{number}"] *= keep
    return params
