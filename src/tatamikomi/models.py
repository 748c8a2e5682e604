"""Models: :class:`Sequential`, the book's :class:`SimpleConvNet` and :class:`DeepConvNet`, and
models built from a plain JSON spec.

Every model has the book's methods: ``predict(x, train_flg=False)`` (scores, shape (N, classes)),
``loss(x, t)``, ``accuracy(x, t, batch_size=100)``, ``gradient(x, t)`` (a dict of gradients keyed
like ``params``), ``params`` (``W1``, ``b1``, ``W2``... numbered per layer with weights, as the book
numbers them), and ``save_params``/``load_params`` in the safe format of :mod:`tatamikomi.io`.

A spec is a dict (JSON-ready) of the input shape and a list of layers named as in PyTorch; the
input size of each layer is worked out from the one before::

    {"input_shape": [1, 28, 28],
     "layers": [{"type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
                {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
                {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]}
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping

import numpy as np

from ._checks import DEFAULT_DTYPE
from .functional.geometry import conv_output_size
from .init import initial_weight
from . import reference
from .layers import (
    Affine,
    AvgPool2d,
    BatchNorm2d,
    BatchNormalization,
    Conv2d,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    Layer,
    Linear,
    MaxPool2d,
    MaxPooling,
    Pooling,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    Tanh,
)

# ---------------------------------------------------------------------------------------------
# Layer <-> spec entry


def _int_or_list(value):
    value = tuple(int(v) for v in np.atleast_1d(value))
    return value[0] if len(set(value)) == 1 else list(value)


def layer_spec(layer: Layer) -> dict:
    """The spec entry (PyTorch's names) that rebuilds ``layer`` with the same parameter shapes."""
    if isinstance(layer, Convolution):
        FN, _, FH, FW = layer.W.shape
        pad = layer.pad if isinstance(layer.pad, str) else _int_or_list(layer.pad)
        return {
            "type": "Conv2d",
            "out_channels": int(FN),
            "kernel_size": _int_or_list((FH, FW)),
            "stride": _int_or_list(layer.stride),
            "padding": pad,
            "dilation": _int_or_list(layer.dilation),
            "groups": int(layer.groups),
            "bias": layer.b is not None,
            "padding_mode": layer.padding_mode,
        }
    if isinstance(layer, Affine):
        return {
            "type": "Linear",
            "out_features": int(layer.W.shape[1]),
            "bias": layer.b is not None,
        }
    if isinstance(layer, Pooling):
        entry = {
            "type": "MaxPool2d" if layer.mode == "max" else "AvgPool2d",
            "kernel_size": _int_or_list(layer.pool),
            "stride": _int_or_list(layer.stride),
            "padding": _int_or_list(layer.pad),
            "ceil_mode": bool(layer.ceil_mode),
        }
        if layer.mode == "max":
            entry["dilation"] = _int_or_list(layer.dilation)
        else:
            entry["count_include_pad"] = bool(layer.count_include_pad)
        return entry
    if isinstance(layer, BatchNormalization):
        return {
            "type": "BatchNormalization",
            "momentum": layer.momentum,
            "eps": layer.eps,
            "unbiased_running_var": bool(layer.unbiased_running_var),
            "affine": "gamma" in layer.params,
        }
    if isinstance(layer, Dropout):
        return {"type": "Dropout", "p": layer.dropout_ratio}
    for cls, name in _SIMPLE_LAYERS.items():
        if type(layer) is cls:
            return {"type": name}
    raise TypeError(f"{type(layer).__name__} has no spec entry; it cannot be saved in a spec")


_SIMPLE_LAYERS = {
    Relu: "ReLU",
    Sigmoid: "Sigmoid",
    Tanh: "Tanh",
    Flatten: "Flatten",
    GlobalAveragePooling: "GlobalAvgPool2d",
}


def _build_conv(shape, rng, dtype, out_channels, kernel_size, init="he", **options):
    _need_ndim(shape, 3, "Conv2d", "(C, H, W)")
    return Conv2d(shape[0], out_channels, kernel_size, **options, init=init, rng=rng, dtype=dtype)


def _build_linear(shape, rng, dtype, out_features, bias=True, init="he"):
    size = int(np.prod(shape))
    return Linear(size, out_features, bias, init=init, rng=rng, dtype=dtype)


def _build_batchnorm(shape, rng, dtype, **options):
    if len(shape) not in (1, 3):
        raise ValueError(f"batch normalisation needs (C, H, W) or (D,) input; got {shape}")
    return BatchNorm2d(shape[0], **options, dtype=dtype)


def _build_book_batchnorm(shape, rng, dtype, affine=True, **options):
    ones = np.ones(shape[0], dtype)
    return BatchNormalization(ones, np.zeros_like(ones), affine=affine, **options)


def _build_dropout(shape, rng, dtype, p=0.5):
    # its own generator: the masks it draws never change the weights of later layers
    return Dropout(p, rng=rng.spawn(1)[0] if hasattr(rng, "spawn") else rng)


def _simple(cls):
    return lambda shape, rng, dtype: cls()


_BUILDERS = {
    "Conv2d": _build_conv,
    "Linear": _build_linear,
    "MaxPool2d": lambda shape, rng, dtype, **o: MaxPool2d(**o),
    "AvgPool2d": lambda shape, rng, dtype, **o: AvgPool2d(**o),
    "BatchNorm2d": _build_batchnorm,
    "BatchNorm1d": _build_batchnorm,
    "BatchNormalization": _build_book_batchnorm,
    "Dropout": _build_dropout,
    **{name: _simple(cls) for cls, name in _SIMPLE_LAYERS.items()},
}


def _need_ndim(shape, ndim, layer, expected):
    if len(shape) != ndim:
        raise ValueError(f"{layer} needs input {expected} per example; got {tuple(shape)}")


def build_layer(entry: dict, input_shape, rng=None, dtype=DEFAULT_DTYPE) -> Layer:
    """A new layer from one spec entry, sized for ``input_shape`` (one example, no batch)."""
    if not isinstance(entry, dict) or "type" not in entry:
        raise ValueError(f'a layer spec is a dict with a "type"; got {entry!r}')
    options = {k: v for k, v in entry.items() if k != "type"}
    builder = _BUILDERS.get(entry["type"])
    if builder is None:
        raise ValueError(
            f"unknown layer type {entry['type']!r}; known types: {', '.join(sorted(_BUILDERS))}"
        )
    allowed = _OPTIONS.get(entry["type"], set())
    missing = sorted(_REQUIRED.get(entry["type"], set()) - set(options))
    if missing:
        raise ValueError(f"{entry['type']} needs {' and '.join(missing)}")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(
            f"{entry['type']} has no option {', '.join(map(repr, unknown))}; "
            f"its options are: {', '.join(sorted(allowed)) or 'none'}"
        )
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    try:
        return builder(tuple(input_shape), rng, np.dtype(dtype), **options)
    except TypeError as error:
        raise ValueError(f"{entry['type']}: {error}") from None


_CONV_OPTIONS = {"stride", "padding", "dilation", "groups", "bias", "padding_mode", "init"}
_POOL_OPTIONS = {"kernel_size", "stride", "padding", "ceil_mode"}
_BATCHNORM_OPTIONS = {"eps", "momentum", "affine", "track_running_stats"}
_OPTIONS = {
    "Conv2d": {"out_channels", "kernel_size"} | _CONV_OPTIONS,
    "Linear": {"out_features", "bias", "init"},
    "MaxPool2d": _POOL_OPTIONS | {"dilation"},
    "AvgPool2d": _POOL_OPTIONS | {"count_include_pad"},
    "BatchNorm2d": _BATCHNORM_OPTIONS,
    "BatchNorm1d": _BATCHNORM_OPTIONS,
    "BatchNormalization": {"momentum", "eps", "unbiased_running_var", "affine"},
    "Dropout": {"p"},
}
_REQUIRED = {
    "Conv2d": {"out_channels", "kernel_size"},
    "Linear": {"out_features"},
    "MaxPool2d": {"kernel_size"},
    "AvgPool2d": {"kernel_size"},
}


# ---------------------------------------------------------------------------------------------
# Models


_PREFIXES = [
    (Convolution, "Conv"),
    (Affine, "Affine"),
    (Pooling, "Pool"),
    (GlobalAveragePooling, "Pool"),
    (Relu, "Relu"),
    (BatchNormalization, "BatchNorm"),
    (Dropout, "Dropout"),
    (Flatten, "Flatten"),
    (Sigmoid, "Sigmoid"),
    (Tanh, "Tanh"),
]


def _layer_names(layers) -> list[str]:
    """The book's layer names: ``Conv1, Relu1, Pool1, Affine1, Relu2, Affine2``..."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        prefix = next((p for cls, p in _PREFIXES if isinstance(layer, cls)), type(layer).__name__)
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
                raise KeyError(f"no layer {key!r}; the layers are {', '.join(self._names)}")
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
            raise KeyError(f"no {self._store[:-1]} {key!r}; the model has: {known}") from None

    def __getitem__(self, key):
        layer, name = self._where(key)
        return getattr(layer, self._store)[name]

    def __setitem__(self, key, value):
        layer, name = self._where(key)
        old = getattr(layer, self._store)[name]
        new = np.asarray(value)
        if new.shape != old.shape:
            raise ValueError(f"{key} must have shape {old.shape}; got {new.shape}")
        if not np.issubdtype(new.dtype, np.floating):
            raise TypeError(f"{key} must be floating point; got dtype {new.dtype}")
        getattr(layer, self._store)[name] = new.astype(old.dtype, copy=False)

    def __delitem__(self, key):
        raise TypeError("a model's arrays cannot be deleted")

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
            layers = list(layers)
            names = _layer_names(layers)
        for layer in layers:
            if not isinstance(layer, Layer) or isinstance(layer, SoftmaxWithLoss):
                raise TypeError(
                    f"Sequential takes layers such as Conv2d or Relu (SoftmaxWithLoss is added "
                    f"as last_layer); got {type(layer).__name__}"
                )
        if not layers:
            raise ValueError("Sequential needs at least one layer")
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
        scores are the same whatever the slicing, up to float rounding."""
        x = self._check_input(x)
        self.train(train_flg)
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

    def _infer(self, x):
        """Forward for inference only: each layer lets go of its backward state at once."""
        for layer in _execution_order(self.layers.values()):
            x = layer.forward(x)
            layer.release()
        return x

    def _images_within_budget(self, x) -> int:
        """How many images of x fit the memory budget in the largest layer output."""
        from ._memory import rows_within_budget

        example = tuple(x.shape[1:])
        if getattr(self, "_largest_output", (None,))[0] != example:
            largest = max(int(np.prod(shape)) for shape in self.output_shapes(example))
            self._largest_output = (example, max(largest, int(np.prod(example))))
        itemsize = np.result_type(x.dtype, self.dtype).itemsize
        return rows_within_budget(self._largest_output[1] * itemsize)

    def loss(self, x, t):
        """Mean cross-entropy of the training-mode scores against labels t (indices or one-hot)."""
        return self.last_layer.forward(self.predict(x, train_flg=True), t)

    def accuracy(self, x, t, batch_size=100):
        """The share of x whose highest score is the label, computed batch_size images at a time."""
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        if len(t) != len(x):
            raise ValueError(f"x has {len(x)} images but t has {len(t)} labels")
        correct = 0
        for i in range(0, len(x), batch_size):
            y = self.predict(x[i : i + batch_size])
            correct += int(np.sum(np.argmax(y, axis=1) == t[i : i + batch_size]))
        return correct / len(x)

    def gradient(self, x, t):
        """Forward and backward on a batch; returns ``{name: gradient}`` keyed like ``params``."""
        self.loss(x, t)
        first = self.layers[0]
        skip = isinstance(first, Convolution) and first.need_input_grad
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
        from .gradcheck import numerical_gradient

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
        from .io import save_arrays

        save_arrays(file_name, self.state_dict(), overwrite=overwrite, kind="params")

    def load_params(self, file_name="params.npz"):
        """Load weights saved by :meth:`save_params` or :func:`tatamikomi.save`. A ``.pkl`` file
        from the book's code is read by :func:`tatamikomi.io.load_book_params` (no code runs)."""
        from .io import load_params_file

        self.load_state_dict(load_params_file(file_name, self))

    # -- layer-style use --------------------------------------------------------------------

    def __call__(self, x):
        return self.predict(x)

    def forward(self, x):
        """Each layer's forward in turn, with one exact shortcut: a ReLU followed by max pooling
        runs as max pooling followed by the ReLU (see :func:`_execution_order`)."""
        self._order = _execution_order(self.layers.values())
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
            raise ValueError(
                f"the arrays do not fit this model: missing {missing or 'none'}, "
                f"unexpected {extra or 'none'}"
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
        spec["layers"] = [layer_spec(layer) for layer in self.layers]
        if self.classes is not None:
            spec["classes"] = list(self.classes)
        return spec

    def architecture(self) -> dict:
        """What :func:`tatamikomi.io.load` rebuilds the model from."""
        return {"class": "Sequential", "spec": self.spec()}

    def output_shapes(self, input_shape=None) -> list[tuple[int, ...]]:
        """Each layer's output shape for one example of ``input_shape``."""
        input_shape = tuple(input_shape or self.input_shape or ())
        if not input_shape:
            raise ValueError("give input_shape (one example's shape, e.g. (1, 28, 28))")
        x = np.zeros((1, *input_shape), self.dtype)
        shapes = []
        training = [layer.training for layer in self.layers]
        self.eval()
        try:
            for layer in self.layers:
                x = layer.forward(x)
                shapes.append(tuple(x.shape[1:]))
        finally:
            for layer, mode in zip(self.layers, training):
                layer.train(mode)
        return shapes

    def summary(self, input_shape=None, file=None) -> str:
        """Print (and return) a table of each layer's output shape and parameter count."""
        input_shape = tuple(input_shape or self.input_shape or ())
        shapes = self.output_shapes(input_shape)
        rows = [("layer", "type", "output shape", "parameters")]
        rows.append(("input", "", _shape_text(input_shape), ""))
        total = 0
        for (name, layer), shape in zip(self.layers.items(), shapes):
            count = sum(int(p.size) for p in layer.params.values())
            total += count
            rows.append(
                (name, _describe(layer), _shape_text(shape), f"{count:,}" if count else "0")
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        line = "-" * (sum(widths) + 6)
        text = [type(self).__name__, line]
        for i, row in enumerate(rows):
            cells = [row[c].ljust(widths[c]) for c in range(3)] + [row[3].rjust(widths[3])]
            text.append("  ".join(cells).rstrip())
            if i == 0:
                text.append(line)
        text += [line, f"total parameters: {total:,}"]
        text = "\n".join(text)
        print(text, file=file or sys.stdout)
        return text

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
            hint = ""
            if x.ndim == 2 and x.shape[1] == int(np.prod(self.input_shape)):
                hint = (
                    f" Reshape the images with x.reshape(-1, {expected}), or load MNIST with "
                    f"load_mnist(flatten=False)."
                )
            raise ValueError(
                f"{type(self).__name__} takes images (N, {expected}); got shape {x.shape}.{hint}"
            )
        return x

    def __repr__(self):
        return f"{type(self).__name__}(\n{self.layers!r}\n)"


def _execution_order(layers: list[Layer]) -> list[Layer]:
    """The layers in the order the model runs them: as listed, except that a ReLU directly
    followed by max pooling is swapped with it.

    ``maxpool(relu(x)) == relu(maxpool(x))`` because ReLU never changes which value of a window
    is largest (it is monotone), and every pooling window holds at least one input value. The
    gradient is the same too: where a window's maximum is positive, both orders send it to the
    same position; where it is not, both send zero. Pooling first makes the ReLU's two passes
    work on a quarter of the data (with 2x2 windows)."""
    order = list(layers)
    if reference.in_use():  # the lecture's path runs the layers as listed
        return order
    for i in range(len(order) - 1):
        first, second = order[i], order[i + 1]
        if type(first) is Relu and isinstance(second, Pooling) and second.mode == "max":
            order[i], order[i + 1] = second, first
    return order


def _shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _describe(layer: Layer) -> str:
    entry = layer_spec(layer)
    kind = entry.pop("type")
    if kind == "Conv2d":
        FN, C, FH, FW = layer.W.shape
        text = f"{type(layer).__name__} {FN}x{C}x{FH}x{FW}"
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            if entry[key] != default:
                text += f" {key}={entry[key]}"
        return text
    if kind == "Linear":
        return f"{type(layer).__name__} {layer.W.shape[0]}->{layer.W.shape[1]}"
    if kind in ("MaxPool2d", "AvgPool2d"):
        text = f"{type(layer).__name__} {entry['kernel_size']}"
        if entry["stride"] != entry["kernel_size"]:
            text += f" stride={entry['stride']}"
        return text + (f" padding={entry['padding']}" if entry["padding"] else "")
    if kind == "Dropout":
        return f"Dropout p={entry['p']}"
    return type(layer).__name__


def from_spec(spec, *, seed=None, dtype=DEFAULT_DTYPE) -> Sequential:
    """A new :class:`Sequential` from a spec (a dict, or the text of a JSON file).

    Errors name the layer (by position) and what is wrong with it."""
    import json

    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as error:
            raise ValueError(f"the model spec is not valid JSON: {error}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise ValueError('a model spec is a JSON object with "input_shape" and a "layers" list')
    unknown = sorted(set(spec) - {"input_shape", "layers", "classes"})
    if unknown:
        raise ValueError(f"unknown keys in the model spec: {unknown}")
    shape = spec.get("input_shape")
    if not shape or not all(isinstance(s, int) and s > 0 for s in shape):
        raise ValueError(
            f'the spec needs "input_shape", one example\'s shape such as [1, 28, 28]; got {shape!r}'
        )
    rng = np.random.default_rng(seed)
    layers, current = [], (1, *shape)
    for index, entry in enumerate(spec["layers"]):
        try:
            layer = build_layer(entry, current[1:], rng, dtype)
            current = layer.forward(np.zeros(current, dtype)).shape
        except (ValueError, TypeError) as error:
            raise ValueError(f"layer {index} of the spec ({entry!r}): {error}") from None
        layers.append(layer)
    return Sequential(layers, input_shape=shape, classes=spec.get("classes"))


# ---------------------------------------------------------------------------------------------
# The book's networks


class _BookNetwork(Sequential):
    """A network the book defines: saved as its class and constructor arguments
    (``self._arguments``), so that loading rebuilds the same class with the book's methods."""

    _arguments: dict

    def architecture(self):
        return {"class": type(self).__name__, "arguments": self._arguments, "spec": self.spec()}


class SimpleConvNet(_BookNetwork):
    """The book's simple CNN (ゼロから作るDeep Learning 7.5):
    conv - relu - pool - affine - relu - affine - softmax.

    Shapes for MNIST: (N, 1, 28, 28) -> Conv1 30x1x5x5 -> (N, 30, 24, 24) -> Pool1 2x2 ->
    (N, 30, 12, 12) -> Affine1 4320->100 -> Affine2 100->10. Parameters ``W1, b1`` (convolution),
    ``W2, b2``, ``W3, b3`` (affine), weights normal with std ``weight_init_std`` (a number, or
    ``"he"``/``"xavier"``), biases zero, as in the book. ``seed`` makes the weights reproducible.
    """

    def __init__(
        self,
        input_dim=(1, 28, 28),
        conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
        hidden_size=100,
        output_size=10,
        weight_init_std=0.01,
        *,
        seed=None,
        dtype=DEFAULT_DTYPE,
        classes=None,
    ):
        self._arguments = {
            "input_dim": list(input_dim),
            "conv_param": dict(conv_param),
            "hidden_size": hidden_size,
            "output_size": output_size,
            "weight_init_std": weight_init_std,
        }
        rng = np.random.default_rng(seed)
        C, H, W = input_dim
        FN, FS = conv_param["filter_num"], conv_param["filter_size"]
        pad, stride = conv_param.get("pad", 0), conv_param.get("stride", 1)
        OH = conv_output_size(H, FS, stride, pad)
        OW = conv_output_size(W, FS, stride, pad)
        pooled = FN * (OH // 2) * (OW // 2)

        def weight(shape, fan_in):
            return initial_weight(shape, fan_in, weight_init_std, rng, dtype)

        layers = [
            Convolution(weight((FN, C, FS, FS), C * FS * FS), np.zeros(FN, dtype), stride, pad),
            Relu(),
            MaxPooling(2, 2, stride=2),
            Affine(weight((pooled, hidden_size), pooled), np.zeros(hidden_size, dtype)),
            Relu(),
            Affine(weight((hidden_size, output_size), hidden_size), np.zeros(output_size, dtype)),
        ]
        super().__init__(layers, input_shape=input_dim, classes=classes)


class DeepConvNet(_BookNetwork):
    """The book's deep CNN (ゼロから作るDeep Learning 8.1), over 99 % on MNIST:

    conv-relu-conv-relu-pool, conv-relu-conv-relu-pool, conv-relu-conv-relu-pool,
    affine-relu-dropout-affine-dropout-softmax.

    Six 3x3 convolutions with 16, 16, 32, 32, 64, 64 filters (padding 1, except 2 for the fourth),
    2x2 max pooling after each pair, Affine 1024->50 and 50->10, dropout 0.5. He initial weights
    (std ``sqrt(2 / fan_in)``), zero biases. Parameters ``W1..W8``, ``b1..b8``.
    Our dropout is inverted (it scales in training, not at test time); the expected outputs are
    the book's. ``seed`` makes the weights and the dropout masks reproducible.
    """

    def __init__(
        self,
        input_dim=(1, 28, 28),
        conv_param_1={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_2={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_3={"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_4={"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
        conv_param_5={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_6={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        hidden_size=50,
        output_size=10,
        *,
        dropout_ratio=0.5,
        seed=None,
        dtype=DEFAULT_DTYPE,
        classes=None,
    ):
        conv_params = [conv_param_1, conv_param_2, conv_param_3]
        conv_params += [conv_param_4, conv_param_5, conv_param_6]
        self._arguments = {
            "input_dim": list(input_dim),
            **{f"conv_param_{i + 1}": dict(p) for i, p in enumerate(conv_params)},
            "hidden_size": hidden_size,
            "output_size": output_size,
            "dropout_ratio": dropout_ratio,
        }
        rng = np.random.default_rng(seed)
        layers = []
        shape = tuple(input_dim)
        for i, param in enumerate(conv_params):
            FN, FS = param["filter_num"], param["filter_size"]
            pad, stride = param.get("pad", 0), param.get("stride", 1)
            fan_in = shape[0] * FS * FS
            W = initial_weight((FN, shape[0], FS, FS), fan_in, "he", rng, dtype)
            layers += [Convolution(W, np.zeros(FN, dtype), stride, pad), Relu()]
            shape = (
                FN,
                conv_output_size(shape[1], FS, stride, pad),
                conv_output_size(shape[2], FS, stride, pad),
            )
            if i % 2 == 1:
                layers.append(MaxPooling(2, 2, stride=2))
                shape = (FN, shape[1] // 2, shape[2] // 2)
        flat = int(np.prod(shape))
        W7 = initial_weight((flat, hidden_size), flat, "he", rng, dtype)
        W8 = initial_weight((hidden_size, output_size), hidden_size, "he", rng, dtype)
        dropout_rngs = rng.spawn(2) if hasattr(rng, "spawn") else [rng, rng]
        layers += [
            Affine(W7, np.zeros(hidden_size, dtype)),
            Relu(),
            Dropout(dropout_ratio, rng=dropout_rngs[0]),
            Affine(W8, np.zeros(output_size, dtype)),
            Dropout(dropout_ratio, rng=dropout_rngs[1]),
        ]
        super().__init__(layers, input_shape=input_dim, classes=classes)


MODELS = {"SimpleConvNet": SimpleConvNet, "DeepConvNet": DeepConvNet}


def build_model(architecture: dict, *, seed=None, dtype=DEFAULT_DTYPE) -> Sequential:
    """Rebuild a model from :meth:`Sequential.architecture` (as saved in a model file)."""
    cls = MODELS.get(architecture.get("class"))
    if cls is not None:
        return cls(
            **architecture["arguments"],
            seed=seed,
            dtype=dtype,
            classes=architecture.get("spec", {}).get("classes"),
        )
    if architecture.get("class") != "Sequential":
        raise ValueError(f"unknown model class {architecture.get('class')!r}")
    return from_spec(architecture["spec"], seed=seed, dtype=dtype)


def get_model(name: str, *, seed=None, **arguments) -> Sequential:
    """A new model by name (``"SimpleConvNet"``, ``"DeepConvNet"``, any case) or from the path
    of a JSON spec file."""
    import os

    for key, cls in MODELS.items():
        if key.lower() == str(name).lower():
            return cls(seed=seed, **arguments)
    if str(name).endswith(".json"):
        if not os.path.isfile(name):
            raise FileNotFoundError(f"model spec file {name} does not exist")
        with open(name, encoding="utf-8") as f:
            return from_spec(f.read(), seed=seed, **arguments)
    raise ValueError(
        f"unknown model {name!r}; choose {', '.join(MODELS)} or give a JSON spec file (.json)"
    )


def __getattr__(name):
    # the model files' functions live with the models from here on; io keeps the container
    if name in ("save", "load", "load_checkpoint", "import_book_params"):
        from . import io

        return getattr(io, name)
    raise AttributeError(name)
