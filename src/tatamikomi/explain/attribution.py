"""Why did it say 7? Saliency maps for any of our models, computed with our own backward pass.

:func:`saliency` gives an (H, W) map of where in the input image the evidence for one class lies,
by one of four methods. The score explained is the target class's **logit** (the output of the
model's last layer, before the softmax); the logit of one class does not depend on the others,
as its probability does. Every method works on a private copy of the model (taken with
:func:`copy.deepcopy`, in eval mode), so the caller's model keeps its mode, its caches and its
gradients, and the image is never written to.

- ``"gradient"``: ``max_c |∂s/∂x[c, i, j]|``, the size of the score's gradient at each pixel (the
  largest over the channels), by one backward pass of a one-hot ``dout`` at the logits.
- ``"smoothgrad"``: the mean of the gradient map over ``n`` noisy copies ``x + ε``,
  ``ε ~ N(0, (sigma·(max x − min x))²)``, drawn from ``numpy.random.default_rng(seed)`` (the
  global random state is not touched). Defaults: n = 25, sigma = 0.15, seed = 0.
- ``"grad-cam"``: on the last convolution layer's feature maps ``A`` (its output, after its
  activation where one follows it directly), ``α_k = mean_ij ∂s/∂A[k, i, j]`` and
  ``ReLU(Σ_k α_k A[k])``, upsampled to H×W bilinearly (half-pixel centres, as PyTorch's
  ``interpolate(mode="bilinear", align_corners=False)``).
- ``"occlusion"``: a ``patch``×``patch`` square of ``fill`` (default 6, stride 2, fill 0: the
  background of MNIST) slides over the image; each pixel's value is the mean drop of the score,
  ``s(x) − s(x with the patch)``, over the patches that cover it (the last row and column of
  patches are placed at the edge, so every pixel is covered). It can be negative: covering
  that spot made the class more likely.

:func:`sanity_report` measures whether the maps depend on what the model learned (Adebayo et
al. 2018, "Sanity checks for saliency maps") and whether they find the pixels the prediction
needs: see its docstring and ``docs/attribution.md``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .. import i18n
from ._base import Explanation

METHODS = ("gradient", "smoothgrad", "grad-cam", "occlusion")
#: the methods that pass the sanity checks (measured: docs/attribution.md), shown by default
DEFAULT_METHODS = ("gradient", "smoothgrad", "grad-cam")
#: each method's name as the texts say it
METHOD_NAMES = {
    "gradient": "attribution.method_gradient",
    "smoothgrad": "attribution.method_smoothgrad",
    "grad-cam": "attribution.method_grad_cam",
    "occlusion": "attribution.method_occlusion",
}
#: each method's options, their defaults and the range a value must lie in (inclusive)
OPTIONS = {
    "gradient": {},
    "smoothgrad": {"n": (25, 1, 500), "sigma": (0.15, 0.0, 1.0), "seed": (0, 0, 2**63 - 1)},
    "grad-cam": {},
    "occlusion": {"patch": (6, 1, None), "stride": (2, 1, None), "fill": (0.0, None, None)},
}
#: the most occluded images one occlusion map may take
MAX_PATCHES = 20_000
#: images per forward/backward pass inside one map
CHUNK = 128


# -- the model, privately ---------------------------------------------------------------------


def _private(model):
    """A copy of ``model`` to run forward and backward on, in eval mode, every convolution
    giving the gradient of its input: nothing done to it reaches the caller's model."""
    if not hasattr(model, "layers") or not hasattr(model, "predict"):
        raise i18n.error(TypeError, "errors.attribution_model", kind=type(model).__name__)
    private = copy.deepcopy(model)
    private.train(False)
    for layer in private.layers:
        if hasattr(layer, "need_input_grad"):
            layer.need_input_grad = True
    return private


def _forward(layers, x, keep=None):
    """Each layer's forward in listed order; with ``keep``, also the output of layer ``keep``."""
    kept = None
    for index, layer in enumerate(layers):
        x = layer.forward(x)
        if index == keep:
            kept = x
    return x, kept


def _backward(layers, dout):
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return dout


def _one_hot(scores, targets):
    dout = np.zeros_like(scores)
    dout[np.arange(len(scores)), targets] = 1
    return dout


def _input_gradients(layers, x, target):
    """∂s_target/∂x for a batch x (N, C, H, W), CHUNK images at a time."""
    grads = []
    for start in range(0, len(x), CHUNK):
        part = x[start : start + CHUNK]
        scores, _ = _forward(layers, part)
        grads.append(_backward(layers, _one_hot(scores, np.full(len(part), target))))
    return np.concatenate(grads)


def _scores(layers, x):
    return np.concatenate(
        [_forward(layers, x[i : i + CHUNK])[0] for i in range(0, len(x), CHUNK)]
    )


def _last_conv(layers):
    """The index of the feature maps Grad-CAM weighs: the last convolution's output, or its
    activation's where one follows it directly."""
    convs = [i for i, layer in enumerate(layers) if getattr(layer, "kind", "") == "conv"]
    if not convs:
        return None
    index = convs[-1]
    if index + 1 < len(layers) and getattr(layers[index + 1], "kind", "") == "activation":
        index += 1
    return index


# -- checking what is asked -------------------------------------------------------------------


def _image(model, image):
    """(H, W), (C, H, W) or (1, C, H, W) -> a new (1, C, H, W) array of the model's dtype."""
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.size == 0:
        raise i18n.error(ValueError, "errors.attribution_image", shape=np.shape(image))
    real = np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)
    if not (real or array.dtype == bool):
        raise i18n.error(ValueError, "errors.attribution_image", shape=np.shape(image))
    expected = getattr(model, "input_shape", None)
    if expected is not None and tuple(array.shape) != tuple(expected):
        raise i18n.error(
            ValueError, "errors.attribution_image_shape", shape=np.shape(image),
            expected=tuple(expected),
        )
    array = np.array(array, dtype=model.dtype, copy=True)[None]
    if not np.isfinite(array).all():
        raise i18n.error(ValueError, "errors.attribution_not_finite")
    return array


def _method(method):
    if method not in METHODS:
        raise i18n.error(
            ValueError, "errors.attribution_method", method=method, methods=", ".join(METHODS)
        )
    return method


def _options(method, options):
    """``options`` for ``method`` with the defaults filled in, each checked to be a number in
    its range."""
    known = OPTIONS[method]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise i18n.error(
            ValueError, "errors.attribution_option", method=method, unknown=", ".join(unknown),
            known=", ".join(known) or "-",
        )
    chosen = {}
    for name, (default, low, high) in known.items():
        value = options.get(name, default)
        integer = isinstance(default, int)
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, bool
        )
        ok = ok and np.isfinite(value) and (not integer or float(value).is_integer())
        ok = ok and (low is None or value >= low) and (high is None or value <= high)
        if not ok:
            raise i18n.error(
                ValueError, "errors.attribution_value", name=name, value=value,
                low="-∞" if low is None else low, high="∞" if high is None else high,
            )
        chosen[name] = int(value) if integer else float(value)
    return chosen


def _target(scores, target):
    classes = scores.shape[1]
    if target is None:
        return int(np.argmax(scores[0]))
    if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
        raise i18n.error(ValueError, "errors.attribution_target", target=target, last=classes - 1)
    if not 0 <= target < classes:
        raise i18n.error(ValueError, "errors.attribution_target", target=target, last=classes - 1)
    return int(target)


# -- the methods -------------------------------------------------------------------------------


def _gradient_map(layers, x, target):
    return np.abs(_input_gradients(layers, x, target)).max(axis=1)  # (N, H, W)


def _smoothgrad(layers, x, target, n, sigma, seed):
    spread = float(x.max() - x.min())
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, *x.shape[1:])) * (sigma * spread)
    noisy = (x + noise).astype(x.dtype)
    return _gradient_map(layers, noisy, target).mean(axis=0)


def upsample_bilinear(maps, height, width):
    """(..., h, w) -> (..., height, width), bilinear with half-pixel centres: the source of
    output pixel i is ``(i + 0.5)·h/height − 0.5`` (clamped at 0), as PyTorch's
    ``interpolate(mode="bilinear", align_corners=False)`` computes it."""
    maps = np.asarray(maps)
    h, w = maps.shape[-2:]

    def axis(size_in, size_out):
        source = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
        source = np.maximum(source, 0)
        low = np.minimum(np.floor(source).astype(int), size_in - 1)
        high = np.minimum(low + 1, size_in - 1)
        return low, high, (source - low).astype(maps.dtype)

    r0, r1, wr = axis(h, height)
    c0, c1, wc = axis(w, width)
    rows = maps[..., r0, :] * (1 - wr)[:, None] + maps[..., r1, :] * wr[:, None]
    return rows[..., c0] * (1 - wc) + rows[..., c1] * wc


def _grad_cam(layers, x, target):
    index = _last_conv(layers)
    if index is None:
        raise i18n.error(ValueError, "errors.attribution_no_conv")
    scores, feature_maps = _forward(layers, x, keep=index)
    d_maps = _backward(layers[index + 1 :], _one_hot(scores, [target]))
    weights = d_maps.mean(axis=(2, 3))  # α_k: (1, K)
    cam = np.maximum(np.einsum("nk,nkhw->nhw", weights, feature_maps), 0)
    return upsample_bilinear(cam, *x.shape[2:])[0]


def patch_positions(size, patch, stride):
    """Where patches start along one side: every ``stride``, and one more at the edge when the
    last one stops short of it."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def _occlusion(layers, x, target, patch, stride, fill):
    _, _, height, width = x.shape
    if patch > min(height, width) or stride > patch:
        raise i18n.error(
            ValueError, "errors.attribution_patch", patch=patch, stride=stride,
            side=min(height, width),
        )
    rows, cols = patch_positions(height, patch, stride), patch_positions(width, patch, stride)
    if len(rows) * len(cols) > MAX_PATCHES:
        raise i18n.error(
            ValueError, "errors.attribution_patches", count=len(rows) * len(cols),
            most=MAX_PATCHES,
        )
    base = float(_scores(layers, x)[0, target])
    total = np.zeros((height, width))
    count = np.zeros((height, width))
    places = [(r, c) for r in rows for c in cols]
    for start in range(0, len(places), CHUNK):
        part = places[start : start + CHUNK]
        batch = np.repeat(x, len(part), axis=0)
        for k, (r, c) in enumerate(part):
            batch[k, :, r : r + patch, c : c + patch] = fill
        drops = base - _scores(layers, batch)[:, target].astype(np.float64)
        for (r, c), drop in zip(part, drops):
            total[r : r + patch, c : c + patch] += drop
            count[r : r + patch, c : c + patch] += 1
    return total / count


def saliency(model, image, target=None, method="gradient", **options):
    """An (H, W) map of the evidence in ``image`` for class ``target`` (None: the class the
    model predicts), by ``method`` ("gradient", "smoothgrad", "grad-cam" or "occlusion"; see the
    module docstring for each and its ``options``). ``image`` is the model's input, prepared as
    in training (e.g. pixels/255), shaped (H, W), (C, H, W) or (1, C, H, W). The map has the
    model's dtype; the model and the image are left as they were."""
    method = _method(method)
    chosen = _options(method, options)
    x = _image(model, image)
    layers = list(_private(model).layers)
    target = _target(_scores(layers, x), target)
    if method == "gradient":
        result = _gradient_map(layers, x, target)[0]
    elif method == "smoothgrad":
        result = _smoothgrad(layers, x, target, **chosen)
    elif method == "grad-cam":
        result = _grad_cam(layers, x, target)
    else:
        result = _occlusion(layers, x, target, **chosen)
    return np.asarray(result, dtype=model.dtype)


def evidence(saliency_map):
    """The map as evidence for the class: its positive part (every method but occlusion gives
    no negative values; occlusion's negative ones are evidence against)."""
    return np.maximum(np.asarray(saliency_map, dtype=np.float64), 0)


#: the nine regions of an image, by (row third, column third)
REGIONS = {
    (0, 0): "attribution.region_top_left",
    (0, 1): "attribution.region_top",
    (0, 2): "attribution.region_top_right",
    (1, 0): "attribution.region_left",
    (1, 1): "attribution.region_centre",
    (1, 2): "attribution.region_right",
    (2, 0): "attribution.region_bottom_left",
    (2, 1): "attribution.region_bottom",
    (2, 2): "attribution.region_bottom_right",
}


def region_shares(saliency_map):
    """The share of the map's evidence in each ninth of the image (thirds of the height by
    thirds of the width): a (3, 3) array summing to 1 (all zeros for an empty map)."""
    mass = evidence(saliency_map)
    height, width = mass.shape
    rows = np.array_split(np.arange(height), 3)
    cols = np.array_split(np.arange(width), 3)
    shares = np.array([[mass[np.ix_(r, c)].sum() for c in cols] for r in rows])
    total = shares.sum()
    return shares / total if total > 0 else shares


def strongest_region(saliency_map):
    """``(key, share)``: the text key of the ninth of the image that holds most of the map's
    evidence, and its share of it (``("attribution.region_none", 0.0)`` for an empty map)."""
    shares = region_shares(saliency_map)
    if shares.sum() == 0:
        return "attribution.region_none", 0.0
    row, col = np.unravel_index(int(np.argmax(shares)), shares.shape)
    return REGIONS[(int(row), int(col))], float(shares[row, col])


@dataclass(eq=False)
class WhyExplanation(Explanation):
    """Why the model gave its answer for one image: the class explained and its probability,
    the predicted class and the runner-up, and each method's map (``maps``: (H, W) arrays)."""

    image: np.ndarray  # the model's input, (C, H, W)
    probabilities: np.ndarray  # (classes,)
    classes: list[str]
    target: int
    maps: dict
    source: str = ""
    model_name: str = ""

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def runner_up(self) -> int:
        return int(np.argsort(-self.probabilities, kind="stable")[1])

    def prediction_values(self) -> dict:
        p = self.probabilities
        return {
            "label": self.classes[self.predicted], "probability": float(p[self.predicted]),
            "runner_up": self.classes[self.runner_up],
            "runner_probability": float(p[self.runner_up]),
        }

    def regions(self) -> dict:
        """``{method: (region key, share)}``."""
        return {method: strongest_region(m) for method, m in self.maps.items()}

    def _lines(self):
        if self.source:
            lines = [i18n.text("attribution.why_prediction", source=self.source,
                               **self.prediction_values())]
        else:
            lines = [i18n.text("attribution.why_prediction_plain", **self.prediction_values())]
        if self.target != self.predicted:
            lines.append(i18n.text(
                "attribution.why_target", label=self.classes[self.target],
                probability=float(self.probabilities[self.target]),
            ))
        lines.append(i18n.text("attribution.why_evidence"))
        for method, (region, share) in self.regions().items():
            lines.append(i18n.text(
                "attribution.why_row", method=i18n.text(METHOD_NAMES[method]),
                region=i18n.text(region), share=share,
            ))
        lines.append(i18n.text("attribution.why_note"))
        return lines


def explain_why(model, image, methods=DEFAULT_METHODS, target=None, *, source="", options=None):
    """Classify ``image`` (the model's prepared input) and compute each method's map for
    ``target`` (None: the predicted class): a :class:`WhyExplanation`, whose ``text(lang)`` says
    the class, its probability, the runner-up and where each map's evidence lies."""
    from ..functional import softmax

    methods = [_method(m) for m in methods]
    if not methods:
        raise i18n.error(ValueError, "errors.attribution_no_methods", methods=", ".join(METHODS))
    options = options or {}
    x = _image(model, image)
    scores = _scores(list(_private(model).layers), x).astype(np.float64)
    probabilities = softmax(scores)[0]
    if len(probabilities) < 2:
        raise i18n.error(ValueError, "errors.attribution_target", target=target, last=0)
    target = _target(scores, target)
    classes = list(getattr(model, "classes", None) or [str(k) for k in range(len(scores[0]))])
    maps = {m: saliency(model, x, target, m, **options.get(m, {})) for m in methods}
    return WhyExplanation(
        x[0], probabilities, classes, target, maps, str(source), type(model).__name__
    )


# -- the sanity checks ------------------------------------------------------------------------


def rank(values):
    """Ranks 1..n of a 1-D array, ties given their mean rank (as scipy's ``rankdata``)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(values)]
    mean_rank = (first + last + 1) / 2  # ranks first+1 .. last, averaged
    ranks = np.empty(len(values))
    ranks[order] = mean_rank[group]
    return ranks


def spearman(a, b):
    """Spearman's rank correlation of two maps (their values pixel by pixel): the Pearson
    correlation of their ranks. 0 when either map is constant (its ranks say nothing)."""
    ra, rb = rank(a), rank(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else 0.0


def _map_of(model, image, target, method, options):
    if callable(method):
        return np.asarray(method(model, image, target), dtype=np.float64)
    return saliency(model, image, target, method, **options.get(method, {})).astype(np.float64)


def _method_name(method):
    return method if isinstance(method, str) else getattr(method, "__name__", repr(method))


def weighted_layers(model):
    """The names of the layers with weights, top (the last Affine) first."""
    names = []
    for name, layer in reversed(list(model.layers.items())):
        if layer.params and name not in names:
            names.append(name)
    return names


def randomised(model, names, seed):
    """A copy of ``model`` whose layers ``names`` have new random weights (the model's own
    initialisation, drawn with ``seed``); the other layers keep the trained ones."""
    from ..models import build_model

    fresh = build_model(model.architecture(), seed=seed, dtype=model.dtype)
    copied = copy.deepcopy(model)
    for name in names:
        for key, value in fresh.layers[name].params.items():
            copied.layers[name].params[key] = value.copy()
    return copied


def deletion_curve(model, image, target, order, steps=20):
    """The probability of ``target`` as the pixels are set to 0 (the background) in ``order``
    (flat indices of the (H, W) map, most important first), ``steps`` equal steps until none
    is left: ``steps + 1`` values, the first for the whole image."""
    from ..functional import softmax

    x = _image(model, image)
    channels, height, width = x.shape[1:]
    counts = np.linspace(0, height * width, steps + 1).round().astype(int)
    batch = np.repeat(x, len(counts), axis=0)
    for k, count in enumerate(counts):
        rows, cols = np.unravel_index(order[:count], (height, width))
        batch[k, :, rows, cols] = 0
    layers = list(_private(model).layers)
    return softmax(_scores(layers, batch).astype(np.float64))[:, target]


def area_under(curve):
    """The area under a curve sampled at equal steps from 0 to 1 (trapezoids)."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(((curve[1:] + curve[:-1]) / 2).sum() / (len(curve) - 1))


def _train_briefly(model, x, t, steps, seed):
    from ..optim import Adam

    optimizer = Adam(lr=0.003)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        batch = rng.choice(len(x), 100, replace=False)
        optimizer.update(model.params, model.gradient(x[batch], t[batch]))
    return model.eval()


def data_randomisation_models(train_images=2000, steps=150, seed=0):
    """Two SimpleConvNets trained the same way on mnist-mini (``steps`` Adam steps of 100 of its
    first ``train_images`` images): one on the true labels, one on labels shuffled by a fixed
    permutation (Adebayo et al.'s data randomisation test, made cheap). Returns
    ``(true_model, shuffled_model, test_images, test_labels)``, the images in [0, 1]."""
    from ..data import load_mini
    from ..models import SimpleConvNet

    data = load_mini()
    x = (data.x_train[:train_images] / np.float32(255)).astype(np.float32)
    t = data.t_train[:train_images]
    shuffled = np.random.default_rng(seed + 1).permutation(t)
    models = []
    for labels in (t, shuffled):
        model = SimpleConvNet(seed=seed)
        models.append(_train_briefly(model, x, labels, steps, seed))
    x_test = (data.x_test / np.float32(255)).astype(np.float32)
    return models[0], models[1], x_test, data.t_test


@dataclass
class MethodSanity:
    """One method's sanity figures (each a mean over the images)."""

    method: str
    #: Spearman correlation of |map| with the trained model's after randomising the top 1, 2...
    #: layers with weights (the names in SanityReport.cascade_layers)
    cascade: list[float]
    #: correlation of the maps of a model trained on true labels and one on shuffled labels
    data_randomisation: float | None
    #: area under the deletion curve, salient pixels first and in random order
    deletion_auc: float
    random_auc: float
    #: the thresholds these are judged by (see SanityReport)
    passes_cascade: bool = False
    passes_data: bool | None = None
    passes_deletion: bool = False

    @property
    def passes(self) -> bool:
        return self.passes_cascade and self.passes_deletion and self.passes_data is not False


#: a method passes when, averaged over the images: its map after randomising every layer with
#: weights correlates with the trained one below CASCADE_LIMIT; the true-label and
#: shuffled-label models' maps below DATA_LIMIT; and deleting its salient pixels first leaves
#: an area under the probability curve below DELETION_RATIO times random deletion's.
#: Chosen from the measurements in docs/attribution.md (100 images, the studio's model): the
#: maps that follow the weights ended at 0.28-0.48 (cascade) and 0.21-0.40 (data), those that
#: do not at 0.79-1.00 (an edge map of the image alone: 1.00); 0.6 lies between with a margin
#: on both sides. Deleting by the maps left 0.22-0.72 of random deletion's area, a map of
#: noise about 1.0.
CASCADE_LIMIT = 0.6
DATA_LIMIT = 0.6
DELETION_RATIO = 0.85


@dataclass(eq=False)
class SanityReport(Explanation):
    """The figures of :func:`sanity_report` for each method, and the settings they came from."""

    methods: list[MethodSanity]
    cascade_layers: list[str]
    images: int
    deletion_steps: int
    random_orders: int
    data_settings: dict = field(default_factory=dict)

    def passing(self) -> list[str]:
        return [m.method for m in self.methods if m.passes]

    def _lines(self):
        number = "{:.2f}".format
        lines = [
            i18n.text("attribution.sanity_title", images=self.images),
            i18n.text("attribution.sanity_cascade", layers=" → ".join(self.cascade_layers)),
            i18n.text(
                "attribution.sanity_limits", cascade=CASCADE_LIMIT, data=DATA_LIMIT,
                ratio=DELETION_RATIO,
            ),
        ]
        width = max(len(m.method) for m in self.methods)
        for m in self.methods:
            data = "-" if m.data_randomisation is None else number(m.data_randomisation)
            verdict = i18n.text(
                "attribution.sanity_pass" if m.passes else "attribution.sanity_fail"
            )
            lines.append(
                i18n.text(
                    "attribution.sanity_row", method=m.method.ljust(width),
                    cascade=" ".join(number(c) for c in m.cascade), data=data,
                    deletion=number(m.deletion_auc), random=number(m.random_auc),
                    verdict=verdict,
                )
            )
        return lines


def sanity_report(model, images, methods=METHODS, *, options=None, seed=0, deletion_steps=20,
                  random_orders=3, data_models=None):
    """Measure each method's maps on ``images`` (N, C, H, W) (the model's prepared inputs; each
    explained for the class the model predicts):

    - cascading randomisation: the layers with weights re-initialised from the top (the last
      Affine) down, one more each step; the Spearman rank correlation of each |map| with the
      trained model's map (1: the same ranking; near 0: unrelated). A map that explains the
      model should change when its weights do;
    - data randomisation, when ``data_models`` = ``(true_model, shuffled_model)`` (see
      :func:`data_randomisation_models`): the correlation of the maps of a model trained on true
      labels and one trained the same way on shuffled labels;
    - deletion: the target's probability as the pixels are set to 0, most salient first,
      ``deletion_steps`` steps until none is left, and the area under that curve against the
      mean of ``random_orders`` random orders (seeded with ``seed``). Lower is better.

    ``methods``: names, or functions ``f(model, image, target) -> (H, W) map`` (to test the
    checks: a map that ignores the model must fail). ``options``: ``{method: {option: value}}``.
    Returns a :class:`SanityReport`."""
    options = options or {}
    images = np.asarray(images)
    names = weighted_layers(model)
    private = list(_private(model).layers)
    steps = [randomised(model, names[: k + 1], seed + 1000 + k) for k in range(len(names))]
    rng = np.random.default_rng(seed)
    results = []
    for method in methods:
        if isinstance(method, str):
            _method(method)
        cascade = np.zeros(len(steps))
        deletion, random_auc, data = [], [], []
        for image in images:
            target = int(np.argmax(_scores(private, _image(model, image))[0]))
            trained_map = _map_of(model, image, target, method, options)
            trained = np.abs(trained_map)
            for k, changed in enumerate(steps):
                other = np.abs(_map_of(changed, image, target, method, options))
                cascade[k] += spearman(trained, other) / len(images)
            if data_models is not None:
                true_model, shuffled_model = data_models
                true_layers = list(_private(true_model).layers)
                true_target = int(np.argmax(_scores(true_layers, _image(true_model, image))[0]))
                a = np.abs(_map_of(true_model, image, true_target, method, options))
                b = np.abs(_map_of(shuffled_model, image, true_target, method, options))
                data.append(spearman(a, b))
            salient = evidence(trained_map).ravel()
            tie_break = rng.random(salient.size)  # equal values in random order
            order = np.lexsort((tie_break, -salient))
            deletion.append(area_under(deletion_curve(model, image, target, order,
                                                      deletion_steps)))
            random_auc.append(np.mean([
                area_under(deletion_curve(model, image, target, rng.permutation(salient.size),
                                          deletion_steps))
                for _ in range(random_orders)
            ]))
        result = MethodSanity(
            _method_name(method), [float(c) for c in cascade],
            float(np.mean(data)) if data else None, float(np.mean(deletion)),
            float(np.mean(random_auc)),
        )
        result.passes_cascade = result.cascade[-1] < CASCADE_LIMIT
        if result.data_randomisation is not None:
            result.passes_data = result.data_randomisation < DATA_LIMIT
        result.passes_deletion = result.deletion_auc < DELETION_RATIO * result.random_auc
        results.append(result)
    return SanityReport(results, names, len(images), deletion_steps, random_orders)
