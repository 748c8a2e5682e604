"""Why a CNN, with numbers (``tatamikomi explain why-cnn``): the lecture's claims measured.

Three parts, each computed on the spot:

- :func:`parameter_sharing`: Conv1 of :class:`~tatamikomi.models.SimpleConvNet` against an
  Affine layer that gives the same (30, 24, 24) output from the 784 pixels, counted from the
  model's own layer (its weights and its output shape);
- :func:`shuffle_experiment`: an Affine-only network (784-100-10) and a small CNN trained on
  mnist-mini, on the original pixels and on pixels shuffled by one fixed permutation: the Affine
  network does not use where a pixel is, so it hardly changes; the CNN loses its neighbours;
- :func:`time_convolutions`: the lecture's for-loop convolution, im2col with one matrix
  product, and the fast engine (:func:`tatamikomi.functional.conv2d`) on the same MNIST images
  through Conv1, timed interleaved (best of a few), and checked to agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import i18n
from ._base import Explanation

#: the settings of the shuffle experiment: (training images, epochs) by default and in quick mode
SHUFFLE_SETTINGS = {"full": (6000, 5), "quick": (2000, 1)}
#: images put through Conv1 by the timing, and repeats (best of), by default and in quick mode
TIMING_SETTINGS = {"full": (100, 5), "quick": (10, 2)}


# -- a. parameter sharing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sharing:
    """Conv1's parameters against an Affine layer with the same input and output sizes."""

    filter_shape: tuple[int, ...]  # (FN, C, FH, FW)
    conv_params: int  # FN*C*FH*FW + FN
    input_shape: tuple[int, ...]  # (C, H, W)
    output_shape: tuple[int, ...]  # (FN, OH, OW)
    affine_params: int  # inputs*outputs + outputs

    @property
    def inputs(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def outputs(self) -> int:
        return int(np.prod(self.output_shape))

    @property
    def ratio(self) -> float:
        return self.affine_params / self.conv_params


def parameter_sharing(model=None) -> Sharing:
    """Count Conv1's weights and biases in ``model`` (default: a new SimpleConvNet) and the
    parameters of an Affine layer from its flattened input to its flattened output."""
    from ..models import SimpleConvNet

    model = SimpleConvNet(seed=0) if model is None else model
    conv = model.layers[0]
    input_shape = tuple(int(s) for s in model.input_shape)
    output_shape = tuple(int(s) for s in conv.output_shape(input_shape))
    conv_params = int(conv.W.size + conv.b.size)
    inputs, outputs = int(np.prod(input_shape)), int(np.prod(output_shape))
    return Sharing(tuple(conv.W.shape), conv_params, input_shape, output_shape,
                   inputs * outputs + outputs)


# -- b. the pixel-shuffle experiment ----------------------------------------------------------

AFFINE_SPEC = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 100},
        {"type": "ReLU"},
        {"type": "Linear", "out_features": 10},
    ],
}
CNN_SPEC = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Conv2d", "out_channels": 8, "kernel_size": 5},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 5},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 10},
    ],
}


@dataclass(frozen=True)
class Shuffle:
    """Test accuracies (0 to 1) by network ("affine", "cnn") and pixels ("original",
    "shuffled"), with the setting they were trained with."""

    accuracy: dict
    train_images: int
    test_images: int
    epochs: int
    seed: int
    seconds: float

    def drop(self, network: str) -> float:
        return self.accuracy[network]["original"] - self.accuracy[network]["shuffled"]


def _train(spec, x, t, x_test, t_test, epochs, seed) -> float:
    from ..models import from_spec
    from ..optim import Adam

    model = from_spec(spec, seed=seed)
    optimizer = Adam(lr=0.001)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 100):
            batch = order[start : start + 100]
            optimizer.update(model.params, model.gradient(x[batch], t[batch]))
    return float(model.accuracy(x_test, t_test))


def shuffle_experiment(quick=False, *, seed=0, train_images=None, epochs=None) -> Shuffle:
    """Train the Affine network and the CNN on mnist-mini's original and shuffled pixels (one
    permutation, from ``seed``, for every image, training and test alike), the same budget
    for all four (Adam, lr 0.001, batches of 100), and return their test accuracies."""
    from ..data import load_dataset, normalize_images

    n, e = SHUFFLE_SETTINGS["quick" if quick else "full"]
    n = n if train_images is None else int(train_images)
    e = e if epochs is None else int(epochs)
    data = load_dataset("mnist-mini")
    x, t = normalize_images(data.x_train[:n]), data.t_train[:n]
    x_test, t_test = normalize_images(data.x_test), data.t_test
    pixels = int(np.prod(x.shape[1:]))
    permutation = np.random.default_rng(seed).permutation(pixels)

    def shuffled(a):
        return a.reshape(len(a), -1)[:, permutation].reshape(a.shape)

    start = time.perf_counter()
    accuracy = {}
    for name, spec in (("affine", AFFINE_SPEC), ("cnn", CNN_SPEC)):
        accuracy[name] = {
            "original": _train(spec, x, t, x_test, t_test, e, seed),
            "shuffled": _train(spec, shuffled(x), t, shuffled(x_test), t_test, e, seed),
        }
    return Shuffle(accuracy, len(x), len(x_test), e, seed, time.perf_counter() - start)


# -- c. the for-loop convolution timed --------------------------------------------------------


def loop_conv(x, W, b):
    """The slides' convolution: a plain Python loop over every image and output position, one
    window times the filters at a time (stride 1, no padding)."""
    n, _, h, w = x.shape
    fn, c, fh, fw = W.shape
    oh, ow = h - fh + 1, w - fw + 1
    filters = W.reshape(fn, -1)
    out = np.zeros((n, fn, oh, ow), dtype=x.dtype)
    for i in range(n):
        for y in range(oh):
            for z in range(ow):
                out[i, :, y, z] = filters @ x[i, :, y : y + fh, z : z + fw].reshape(-1) + b
    return out


def im2col_conv(x, W, b):
    """The lecture's im2col (:func:`tatamikomi.lecture.im2col.im2col`) and one matrix product."""
    from ..lecture.im2col import im2col

    n, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    oh, ow = h - fh + 1, w - fw + 1
    col = im2col(x, fh, fw)
    out = col @ W.reshape(fn, -1).T + b
    return out.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2)


def fast_conv(x, W, b):
    """tatamikomi's fast engine."""
    from ..functional import conv2d

    return conv2d(x, W, b)


METHODS = (("loop", loop_conv), ("im2col", im2col_conv), ("fast", fast_conv))


@dataclass(frozen=True)
class Timing:
    """Best time in seconds of each method on ``input_shape`` through ``filter_shape``, whether
    the outputs agree (``np.allclose``) and the largest difference, and the machine."""

    seconds: dict
    input_shape: tuple[int, ...]
    filter_shape: tuple[int, ...]
    repeats: int
    agree: bool
    max_difference: float
    cpu: str
    blas: str


def time_convolutions(quick=False, *, images=None, repeats=None, seed=0) -> Timing:
    """Time the three convolutions of MNIST test images through SimpleConvNet's Conv1 (its
    weights as made with ``seed``), interleaved, the best of ``repeats`` each."""
    from .. import _blas
    from ..data import load_dataset, normalize_images

    n, r = TIMING_SETTINGS["quick" if quick else "full"]
    n = n if images is None else int(images)
    r = r if repeats is None else int(repeats)
    conv = _timed_conv1(seed)
    x = normalize_images(load_dataset("mnist-mini").x_test[:n]).astype(conv.W.dtype)
    outputs, best = {}, {name: float("inf") for name, _ in METHODS}
    for _ in range(r):
        for name, method in METHODS:
            start = time.perf_counter()
            outputs[name] = method(x, conv.W, conv.b)
            best[name] = min(best[name], time.perf_counter() - start)
    reference = outputs["loop"]
    agree = all(np.allclose(outputs[k], reference, rtol=1e-4, atol=1e-5) for k in outputs)
    difference = max(float(np.max(np.abs(outputs[k] - reference))) for k in outputs)
    return Timing(best, tuple(x.shape), tuple(conv.W.shape), r, agree, difference,
                  _blas.cpu_model(), _blas.blas_kernel())


def _timed_conv1(seed=0):
    """The Conv1 the timing uses: SimpleConvNet's, He-initialised with ``seed`` (outputs of
    order 1, so that the comparison of the three outputs means something)."""
    from ..models import SimpleConvNet

    return SimpleConvNet(seed=seed, weight_init_std="he").layers[0]


# -- all three --------------------------------------------------------------------------------


#: each line's text, by network and by method
_SHUFFLE_TEXTS = {"affine": "explain.why_shuffle_affine", "cnn": "explain.why_shuffle_cnn"}
_TIMING_TEXTS = {
    "loop": "explain.why_timing_loop",
    "im2col": "explain.why_timing_im2col",
    "fast": "explain.why_timing_fast",
}


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


@dataclass(frozen=True)
class WhyCnnExplanation(Explanation):
    """The three parts' results: ``sharing``, ``shuffle`` and ``timing``, and ``quick``."""

    sharing: Sharing
    shuffle: Shuffle
    timing: Timing
    quick: bool

    def _lines(self) -> list[str]:
        s, sh, tm = self.sharing, self.shuffle, self.timing
        fn, c, fh, fw = s.filter_shape
        out = [
            i18n.text("explain.why_title"),
            "",
            i18n.text("explain.why_sharing_title"),
            "  " + i18n.text(
                "explain.why_sharing_conv", fn=fn, c=c, fh=fh, fw=fw,
                weights=fn * c * fh * fw, total=f"{s.conv_params:,}",
            ),
            "  " + i18n.text(
                "explain.why_sharing_affine", shape=s.output_shape, inputs=s.inputs,
                outputs=f"{s.outputs:,}", total=f"{s.affine_params:,}",
            ),
            "  " + i18n.text("explain.why_sharing_ratio", ratio=f"{s.ratio:,.0f}"),
            "",
            i18n.text("explain.why_shuffle_title"),
            "  " + i18n.text(
                "explain.why_shuffle_setting", train=sh.train_images, test=sh.test_images,
                epochs=sh.epochs, seed=sh.seed, seconds=f"{sh.seconds:.1f}",
            ),
        ]
        for name in ("affine", "cnn"):
            accuracy = sh.accuracy[name]
            out.append("  " + i18n.text(
                _SHUFFLE_TEXTS[name], original=_percent(accuracy["original"]),
                shuffled=_percent(accuracy["shuffled"]),
                drop=f"{100 * sh.drop(name):.1f}",
            ))
        out.append("  " + i18n.text("explain.why_shuffle_reading"))
        out += [
            "",
            i18n.text("explain.why_timing_title"),
            "  " + i18n.text(
                "explain.why_timing_setting", shape=tm.input_shape, filters=tm.filter_shape,
                repeats=tm.repeats,
            ),
        ]
        fast = tm.seconds["fast"]
        for name, _ in METHODS:
            out.append("  " + i18n.text(
                _TIMING_TEXTS[name], time=_ms(tm.seconds[name]),
                ratio=f"{tm.seconds[name] / fast:,.1f}",
            ))
        out.append("  " + i18n.text(
            "explain.why_timing_agree" if tm.agree else "explain.why_timing_differ",
            difference=f"{tm.max_difference:.1e}",
        ))
        out.append("  " + i18n.text("explain.why_timing_machine", cpu=tm.cpu, blas=tm.blas))
        return out


def explain_why_cnn(quick=False, *, seed=0) -> WhyCnnExplanation:
    """Measure the three parts (``quick``: a smaller shuffle experiment and timing, for tests)."""
    return WhyCnnExplanation(
        parameter_sharing(), shuffle_experiment(quick, seed=seed), time_convolutions(quick),
        bool(quick),
    )
