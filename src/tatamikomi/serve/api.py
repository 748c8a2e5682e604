"""What the studio computes, as plain functions: usable from a notebook without any HTTP.

Every number comes from tatamikomi's own engine: predictions from ``model.predict``, layer
outputs from the model's layers run in order, cell explanations from :mod:`tatamikomi.explain`,
the image the network sees from :func:`tatamikomi.images.to_mnist`. The functions return
dictionaries of plain values and NumPy arrays; the server turns them into JSON.

    >>> from tatamikomi.serve import api
    >>> model = api.default_model()
    >>> result = api.predict(model, api.image_from({"pixels": my_28x28_digit}))
    >>> result["prediction"], result["probabilities"]

An *image request* (:func:`image_from`) is one of ``{"png": "data:image/png;base64,..."}`` (what a
canvas gives), ``{"file": BASE64}`` (a PNG, JPEG, PGM/PPM or .npy file's bytes), ``{"pixels":
[[...], ...]}`` (grey levels 0..255, H x W) or ``{"sample": k}`` (test image k of the model's
dataset, see :func:`samples`).

A request that cannot be served raises :class:`~tatamikomi.serve.errors.RequestError` (from
:mod:`.errors`); the lecture's playground is :mod:`.playground`. Both are importable from here.
"""

from __future__ import annotations

import base64
import binascii
import threading
from importlib import resources

import numpy as np

from .. import explain as ex
from .. import exercises, i18n, images
from ..functional.activations import log_softmax
from .errors import NOTHING, RequestError, image_refused, is_whole, refused, shown  # noqa: F401
from .playground import MAX_PLAYGROUND, playground, window_origin  # noqa: F401

#: the largest image file (bytes) and image (pixels) a request may send
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
#: the largest model file an upload may send
MAX_MODEL_BYTES = 40 * 1024 * 1024
#: the first bytes of a PNG file
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: how many channels of a layer the views get unless they ask for all of them
DEFAULT_CHANNELS = 8
PRETRAINED = "simple_convnet_mnist.npz"


# ---------------------------------------------------------------------------------------------
# Models


def pretrained_path() -> str:
    """The file of the SimpleConvNet shipped with tatamikomi (see ``models/README.md``)."""
    return str(resources.files("tatamikomi.serve").joinpath("models", PRETRAINED))


def default_model():
    """The shipped SimpleConvNet trained on the full MNIST (made by scripts/make_pretrained.py)."""
    from ..models import load

    return load(pretrained_path())


def clone(model):
    """An independent copy of ``model`` (same class, weights copied), e.g. to predict with while
    the original trains."""
    from ..models import build_model

    copy = build_model(model.architecture(), dtype=model.dtype)
    copy.load_state_dict(model.state_dict())
    copy.preprocess, copy.history = model.preprocess, dict(model.history or {})
    copy.classes = model.classes
    return copy.eval()


def classes(model) -> list[str]:
    if model.classes:
        return list(model.classes)
    return [str(k) for k in range(model.output_shapes()[-1][0])]


def describe(model) -> dict:
    """A model's layers, shapes and formulas (both languages), for the views to adapt to it."""
    shape = explain_shapes = None
    if model.input_shape:
        shape = list(model.input_shape)
        explain_shapes = ex.explain_shape(model).steps
    layers = []
    for index, (name, layer) in enumerate(model.layers.items()):
        entry = {"name": name, "type": type(layer).__name__, "index": index}
        if explain_shapes:
            step = explain_shapes[index]
            entry["input_shape"], entry["output_shape"] = step.input_shape, step.output_shape
            for lang in i18n.languages():
                with i18n.use(lang):
                    kind, notes = step.describe()
                entry[f"kind_{lang}"], entry[f"notes_{lang}"] = kind, list(notes)
        entry["explainable"] = _explainable(layer) is None
        layers.append(entry)
    history = model.history or {}
    accuracy = history.get("test_acc", [None])[-1] if history.get("test_acc") else None
    return {
        "class": type(model).__name__,
        "input_shape": shape,
        "classes": classes(model),
        "parameters": int(sum(p.size for p in model.params.values())),
        "layers": layers,
        "test_accuracy": accuracy,
        "dataset": (model.preprocess or {}).get("dataset"),
    }


# ---------------------------------------------------------------------------------------------
# Images


def decode_base64(text, what, limit=MAX_IMAGE_BYTES) -> bytes:
    """The bytes of a base64 string or a data URL (``data:...;base64,...``) of at most ``limit``
    bytes."""
    if not isinstance(text, str):
        raise refused("errors.studio_base64_type", what=what)
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > limit * 4 // 3 + 4:
        raise refused("errors.studio_base64_large", 413, what=what, mb=limit // 2**20)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise refused("errors.studio_base64_invalid", what=what) from None


def decode(data: bytes) -> np.ndarray:
    """An image file's bytes (PNG, JPEG, PGM/PPM, .npy) -> grey levels (H, W), via
    :func:`tatamikomi.images.read_shrunk_bytes` (which recognises the format from the first
    bytes, bounds the memory from the declared size, and shrinks the image to what to_mnist
    uses); no file is written. A PNG may declare at most :data:`MAX_IMAGE_PIXELS` pixels."""
    if len(data) > MAX_IMAGE_BYTES:
        raise refused("errors.studio_image_large", 413, mb=MAX_IMAGE_BYTES // 2**20)
    if not data:
        raise refused("errors.studio_image_zero")
    png = data.startswith(PNG_SIGNATURE)  # decoded by NumPy in full: the studio's own limit
    try:
        # what to_mnist works on: the longer side <= 512
        image = images.read_shrunk_bytes(data, max_pixels=MAX_IMAGE_PIXELS if png else None)
    except images.ImageError as error:
        said = _unwrapped(error)
        if png and said is not None and said.key == "errors.image_too_big":
            values = said.values
            raise refused(
                "errors.studio_image_header_big",
                413,
                width=values["width"],
                height=values["height"],
                limit=MAX_IMAGE_PIXELS,
            ) from None
        raise image_refused(error, 400, unwrap=True) from None
    except (ValueError, ImportError) as error:  # ImportError: JPEG without Pillow
        raise i18n.recast(RequestError, error) from None
    if image.size > MAX_IMAGE_PIXELS:
        raise refused("errors.studio_image_pixels", 413, pixels=image.size, limit=MAX_IMAGE_PIXELS)
    return image


def _unwrapped(error: Exception):
    """The said message of an image error, without its "in that file" wrapper."""
    said = getattr(error, "said", None)
    if said is not None and said.key == "errors.in_file":
        return getattr(said.values["error"], "said", None)
    return said


def image_from(request: dict, model=None) -> dict:
    """The image of a request (see the module docstring) as ``{"grey": (H, W) 0..255,
    "label": int or None}``; the label only for a test image."""
    if not isinstance(request, dict):
        raise refused("errors.studio_not_object")
    given = [key for key in ("png", "file", "pixels", "sample") if key in request]
    if len(given) != 1:
        raise refused("errors.studio_image_one_of", given=given or NOTHING)
    key = given[0]
    if key in ("png", "file"):
        return {"grey": decode(decode_base64(request[key], key)), "label": None}
    if key == "pixels":
        try:
            grey = np.asarray(request["pixels"], dtype=np.float64)
        except (TypeError, ValueError):
            raise refused("errors.studio_pixels_numbers") from None
        if grey.ndim != 2 or grey.size == 0 or grey.size > MAX_IMAGE_PIXELS:
            raise refused("errors.studio_pixels_shape", shape=grey.shape)
        if not np.isfinite(grey).all():
            raise refused("errors.studio_pixels_finite")
        return {"grey": np.clip(grey, 0, 255), "label": None}
    test = samples(model)
    index = request["sample"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(test["x"]):
        raise refused("errors.studio_sample", last=len(test["x"]) - 1, value=repr(index))
    return {"grey": test["x"][index].astype(np.float64), "label": int(test["t"][index])}


def network_input(model, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey levels (H, W) -> (what the network sees (C, H, W) in 0..255, the model's input
    (1, C, H, W)). The image is made MNIST-like by :func:`~tatamikomi.images.to_mnist` (cropped,
    scaled, centred by its centre of mass) at the model's input size; its grey levels are
    repeated over the channels of a colour model."""
    channels, height, width = model.input_shape or (1, 28, 28)
    if height != width:
        raise refused("errors.studio_square", height=height, width=width)
    box = max(1, round(height * 20 / 28))
    try:
        seen = images.to_mnist(grey, size=height, box=box)
    except images.ImageError as error:
        raise image_refused(error, 422) from None
    seen = np.repeat(seen[None], channels, axis=0)
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    x = (seen / divide_by).astype(model.dtype)[None]
    return seen, x


def is_blank(grey: np.ndarray) -> bool:
    """True for an image with no digit on it (an empty canvas): every pixel the same grey."""
    return bool(np.ptp(grey) < 1)


# ---------------------------------------------------------------------------------------------
# Predictions and layer outputs

# a model's layers keep what backward needs between calls: one forward at a time per model
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(model) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(id(model), threading.Lock())


def _softmax(scores: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(scores.astype(np.float64)))


def predict(model, image: dict) -> dict:
    """Classify ``image`` (from :func:`image_from`): ``{"empty": True}`` for a blank one, else
    ``{"seen": (C, H, W) 0..255, "probabilities": (classes,), "prediction": k, "classes",
    "label"}``."""
    if is_blank(image["grey"]):
        return {"empty": True, "classes": classes(model)}
    with _one_image():
        seen, x = network_input(model, image["grey"])
        return _predicted(model, image, seen, x)


def _one_image():
    """One image's small matrix products run on one BLAS thread: under load (a training thread,
    other programs) waking BLAS's threads costs ten times what they give."""
    from .._blas import single_threaded

    return single_threaded()


def _predicted(model, image, seen, x) -> dict:
    with _lock(model):
        scores = model.predict(x)[0]
    probabilities = _softmax(scores)
    return {
        "empty": False,
        "seen": seen,
        "probabilities": probabilities,
        "prediction": int(np.argmax(probabilities)),
        "classes": classes(model),
        "label": image.get("label"),
    }


def layer_outputs(model, x: np.ndarray) -> list[np.ndarray]:
    """Each layer's output for the input ``x`` (1, C, H, W), the layers run in order (eval mode)."""
    outputs = []
    with _lock(model):
        model.eval()
        for layer in model.layers.values():
            x = layer.forward(x)
            layer.release()
            outputs.append(x[0])
    return outputs


def layers(model, image: dict, *, channels: int | None = DEFAULT_CHANNELS) -> dict:
    """:func:`predict` and every layer's output for ``image``: ``"layers"`` is a list of
    ``{"name", "type", "shape", "output": array (C, H, W) or (F,), "min", "max"}``, the first
    ``channels`` channels of each (all of them with ``channels=None``; ``"channels"`` gives the
    total)."""
    if is_blank(image["grey"]):
        return {"empty": True, "classes": classes(model), "layers": []}
    with _one_image():
        seen, x = network_input(model, image["grey"])
        result = _predicted(model, image, seen, x)
        outputs = layer_outputs(model, x)
    out = []
    for (name, layer), output in zip(model.layers.items(), outputs):
        shown = output if channels is None or output.ndim < 3 else output[:channels]
        out.append(
            {
                "name": name,
                "type": type(layer).__name__,
                "shape": list(output.shape),
                "channels": int(output.shape[0]) if output.ndim == 3 else None,
                "output": np.asarray(shown, np.float32),
                "min": float(output.min()),
                "max": float(output.max()),
            }
        )
    return {**result, "layers": out}


# ---------------------------------------------------------------------------------------------
# Explaining one cell of a layer's output


def _explainable(layer) -> i18n.Said | str | None:
    """None if a cell of this layer's output can be explained, else why not (the layer says)."""
    return layer.cell_explanation_unsupported()


def explain(model, image: dict, layer: str, channel: int, position) -> dict:
    """How output cell ``position`` = (i, j) of channel ``channel`` of ``layer`` came about, from
    :func:`tatamikomi.explain.explain_conv` or :func:`~tatamikomi.explain.explain_pool`:
    the window on the layer's input, the filter, the products as the slides write them, the sum
    and the bias (convolution), or the window and its max or mean (pooling)."""
    if layer not in model.layers.keys():
        names = ", ".join(model.layers.keys())
        raise refused("errors.studio_no_layer", layer=repr(layer), names=names)
    target = model.layers[layer]
    why = _explainable(target)
    if isinstance(why, i18n.Said):
        raise refused(why.key, **why.values)
    if why is not None:
        raise RequestError(str(why))
    index = list(model.layers.keys()).index(layer)
    if is_blank(image["grey"]):
        raise refused("errors.studio_blank", 422)
    with _one_image():
        _, x = network_input(model, image["grey"])
        outputs = layer_outputs(model, x)
    layer_input = (x[0] if index == 0 else outputs[index - 1]).astype(np.float64)
    output = outputs[index]
    if not is_whole(channel) or not 0 <= channel < output.shape[0]:
        raise refused("errors.studio_channel", last=output.shape[0] - 1, value=shown(channel))
    if not isinstance(position, (list, tuple)) or len(position) != 2:
        raise refused("errors.studio_position", value=shown(position))
    if not all(is_whole(p) for p in position):
        raise refused("errors.studio_position", value=shown(position))
    i, j = (int(p) for p in position)
    if not (0 <= i < output.shape[1] and 0 <= j < output.shape[2]):
        raise refused(
            "errors.studio_position_outside",
            height=output.shape[1],
            width=output.shape[2],
            row=i,
            column=j,
        )
    result = {
        "layer": layer,
        "channel": channel,
        "position": [i, j],
        "layer_value": float(output[channel, i, j]),
    }
    if hasattr(target, "W"):
        w = target.W[channel].astype(np.float64)
        bias = 0.0 if target.b is None else float(target.b[channel])
        whole = ex.explain_conv(
            layer_input, w[None], stride=target.stride, pad=target.pad, bias=bias
        )
        step = whole.steps[i * whole.window.out_hw[1] + j]
        products = [step.products(c) for c in range(len(step.window))]
        result.update(
            kind="conv",
            window=step.window,
            filter=step.filter,
            channel_sums=step.channel_sums,
            bias=step.bias,
            value=step.value,
            products=products,
            total=step.products(),
        )
    else:
        whole = ex.explain_pool(
            layer_input[channel],
            target.pool,
            stride=target.stride,
            pad=target.pad,
            mode=target.mode,
        )
        step = whole.steps[i * whole.window.out_hw[1] + j]
        result.update(
            kind=target.mode,
            window=step.window[None],
            value=step.value,
            total=step.formula(target.mode),
        )
    result["origin"] = window_origin(whole.window, (i, j))
    result["input_shape"] = list(layer_input.shape)
    result["size"] = ex.size_lines(whole.window, lang=i18n.current())
    return result


# ---------------------------------------------------------------------------------------------
# The lecture's playground


# ---------------------------------------------------------------------------------------------
# Test images


_samples: dict[str, dict] = {}
_samples_guard = threading.Lock()


def _dataset_name(model) -> str:
    name = (model.preprocess or {}).get("dataset") if model is not None else None
    if name == "fashion-mnist":
        return name
    return "mnist-mini"  # the bundled 1,000 MNIST test images: there on every install


def samples(model) -> dict:
    """The test images the studio offers for ``model``: ``{"dataset", "x": (N, H, W) uint8,
    "t": (N,)}``, the bundled mnist-mini test set (or Fashion-MNIST's for a model trained on
    it, when it can be found)."""
    name = _dataset_name(model)
    with _samples_guard:
        if name not in _samples:
            from ..data import DataNotFoundError, load_dataset

            try:
                data = load_dataset(name, download=False, progress=False)
            except DataNotFoundError:
                data = load_dataset("mnist-mini")
            _samples[name] = {
                "dataset": data.name,
                "x": data.x_test[:, 0],
                "t": np.asarray(data.t_test),
            }
        return _samples[name]


def sample_list(model, count: int = 24) -> dict:
    """Test images to pick from: the first ``count``, and ``count`` the model gets wrong, with
    their labels and the model's predictions."""
    test = samples(model)
    height = (model.input_shape or (1, 28, 28))[1]
    if test["x"].shape[1] != height:
        return {"dataset": test["dataset"], "first": [], "wrong": []}
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    channels = (model.input_shape or (1,))[0]
    x = np.repeat(test["x"][:, None], channels, axis=1) / divide_by
    with _lock(model):
        predicted = np.argmax(model.predict(x.astype(model.dtype)), axis=1)
    wrong = np.flatnonzero(predicted != test["t"])[:count]

    def entry(k):
        return {
            "index": int(k),
            "label": int(test["t"][k]),
            "predicted": int(predicted[k]),
            "pixels": test["x"][k],
        }

    return {
        "dataset": test["dataset"],
        "accuracy": float(np.mean(predicted == test["t"])),
        "first": [entry(k) for k in range(min(count, len(x)))],
        "wrong": [entry(k) for k in wrong],
    }


# ---------------------------------------------------------------------------------------------
# Why this answer (attribution maps) and the backward pass, cell by cell

#: the most terms of one dx cell an answer of :func:`backward` lists (the largest in size)
MAX_BACKWARD_TERMS = 64


def _recast(error: Exception, status: int = 400) -> RequestError:
    """A library's refusal (a catalog text) as a :class:`RequestError` with ``status``."""
    refusal = i18n.recast(RequestError, error)
    refusal.status = status
    return refusal


def _prepared(model, image: dict) -> np.ndarray:
    """The model's input (1, C, H, W) for ``image``; a blank image is refused."""
    if is_blank(image["grey"]):
        raise refused("errors.studio_blank", 422)
    _, x = network_input(model, image["grey"])
    return x


def _checked_target(model, target):
    if target is None:
        return None
    last = len(classes(model)) - 1
    if not is_whole(target) or not 0 <= target <= last:
        raise refused("errors.attribution_target", target=shown(target), last=last)
    return int(target)


def why(model, image: dict, *, methods=None, target=None) -> dict:
    """Why the model answers what it does for ``image`` (from :func:`image_from`), from
    :func:`tatamikomi.explain.explain_why`: the class explained, its probability, the
    runner-up, and for each method (default :data:`~tatamikomi.explain.attribution.DEFAULT_METHODS`)
    its map's evidence (the positive part) scaled to [0, 1] by its largest value and rounded
    to 3 decimals, and the ninth of the image holding most of it, said in the current
    language."""
    from ..explain import attribution

    if methods is None:
        methods = list(attribution.DEFAULT_METHODS)
    if (
        not isinstance(methods, list)
        or not methods
        or len(methods) > len(attribution.METHODS)
        or any(m not in attribution.METHODS for m in methods)
    ):
        raise refused(
            "errors.studio_why_methods", given=shown(methods),
            methods=", ".join(attribution.METHODS),
        )
    methods = list(dict.fromkeys(methods))
    target = _checked_target(model, target)
    with _one_image():
        x = _prepared(model, image)
        try:
            with _lock(model):
                explained = attribution.explain_why(model, x, methods, target)
        except (ValueError, TypeError) as error:  # e.g. Grad-CAM of a model with no convolution
            if getattr(error, "said", None) is None:
                raise
            raise _recast(error, 422) from None
    values = explained.prediction_values()
    maps = []
    for method, (region, share) in explained.regions().items():
        evidence = attribution.evidence(explained.maps[method])
        top = float(evidence.max())
        scaled = evidence / top if top > 0 else evidence
        maps.append({
            "method": method,
            "name": i18n.text(attribution.METHOD_NAMES[method]),
            "map": np.round(scaled, 3).tolist(),
            "region": i18n.text(region),
            "share": round(share, 3),
        })
    return {
        "prediction": explained.predicted,
        "label": values["label"],
        "probability": values["probability"],
        "runner_up": explained.runner_up,
        "runner_up_label": values["runner_up"],
        "runner_up_probability": values["runner_probability"],
        "target": explained.target,
        "target_probability": float(explained.probabilities[explained.target]),
        "classes": explained.classes,
        "maps": maps,
    }


def backward(model, image: dict, layer, cell=None, *, target=None) -> dict:
    """One cell of the ``dx`` of a convolution or pooling ``layer`` for ``image``, from
    :func:`tatamikomi.explain.explain_backward` (the gradient of the target's score, default
    the predicted class): its ``to_dict()`` without the layer's input, weights, dout and dW
    (large, and not drawn), with the layer's whole ``dx`` (C, H, W) to draw and click, and the
    cell's :data:`MAX_BACKWARD_TERMS` largest non-zero terms (``terms_total``,
    ``terms_nonzero`` count them all; a zero term adds nothing). ``cell`` = (c, i, j); None:
    the largest in size."""
    from ..explain import backward as back
    from ..layers import Convolution, Pooling

    names = list(model.layers.keys())
    usable = [n for n, one in model.layers.items() if isinstance(one, (Convolution, Pooling))]
    if not isinstance(layer, str) or layer not in names:
        raise refused("errors.studio_no_layer", layer=shown(layer), names=", ".join(names))
    if layer not in usable:
        raise refused("errors.studio_backward_layer", layer=layer,
                      layers=", ".join(usable) or NOTHING)
    if cell is not None and (
        not isinstance(cell, list) or len(cell) != 3 or not all(is_whole(v) for v in cell)
    ):
        raise refused("errors.studio_backward_cell", value=shown(cell))
    target = _checked_target(model, target)
    with _one_image():
        x = _prepared(model, image)
        try:
            explained = back.explain_backward(
                model=model, image=x[0], layer=layer, cell=cell, target=target
            )
        except ValueError as error:  # a cell outside dx, a layer that cannot be explained
            if getattr(error, "said", None) is None:
                raise
            raise _recast(error) from None
    answer = explained.to_dict()
    for key in ("x", "weights", "dout", "dW", "tap"):
        answer.pop(key, None)
    answer["dx"] = np.asarray(explained.dx, np.float32)
    answer["layer"] = layer
    answer["layers"] = usable
    part = answer["cell"]
    if "terms" in part:
        terms = part["terms"]
        nonzero = [n for n, term in enumerate(terms) if term["product"] != 0]
        order = sorted(nonzero, key=lambda n: -abs(terms[n]["product"]))
        keep = sorted(order[:MAX_BACKWARD_TERMS])  # in the lecture's order: filter, row, column
        part["terms_total"] = len(terms)
        part["terms_nonzero"] = len(nonzero)
        part["terms"] = [terms[n] for n in keep]
    return answer


# -- exercises: the studio's and the classroom's ------------------------------------------------

#: the most numbers an answer may hold at its top level, and the most tries a page may claim
MAX_ANSWER_NUMBERS = 16
MAX_TRIES = 99


def exercise_entry(key: str, tries: int = 0, solved: bool = False) -> dict:
    """One exercise as the page shows it: its level, question, options, and the tries so far."""
    return {
        "id": key,
        "level": exercises.level(key),
        "level_name": exercises.level_name(key),
        "question": exercises.question(key, with_options=False),
        "options": exercises.options(key),
        "tries": tries,
        "solved": solved,
    }


def exercise_given(key, given):
    """An answer as numbers (JSON numbers and lists, or the text a person typed, read by
    :func:`tatamikomi.exercises.parse_answer`); None when the text holds no number."""
    if not isinstance(key, str) or key not in exercises.KEYS:
        raise refused("errors.class_no_exercise", 404, key=shown(key))
    if isinstance(given, str):
        given = exercises.parse_answer(given)
    if isinstance(given, list) and len(given) > MAX_ANSWER_NUMBERS:
        raise refused("errors.class_answer_long", limit=MAX_ANSWER_NUMBERS)
    return given


def exercise_verdict(key: str, given, tries: int) -> dict:
    """The verdict on a try: right, or the feedback on the mistake with the hint (a first
    try) or the worked answer (from the second); ``given`` None: not a number, no try."""
    if given is None:
        message = i18n.text("studio.class_answer_number")
        return {"correct": False, "tries": tries, "message": message}
    check = exercises.check(key, given, tries=tries)
    verdict = {"correct": check.correct, "tries": tries, "message": check.message}
    if not check.correct:
        verdict["feedback"] = check.feedback
        if not check.revealed:
            verdict["hint"] = check.hint
    return verdict
