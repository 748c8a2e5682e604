"""What each filter looks for: the input that excites a convolution channel most, and the test
images that do.

- :func:`maximise_channel` (and :func:`maximise_channels` for several at once): gradient ascent
  on the input, with the library's own backward pass, of the mean of one channel of a
  convolution layer's output. Each step: forward to the layer; ``dout`` = ``1 / (OH*OW)`` at
  that channel (the gradient of the mean), 0 elsewhere; backward through the layers before it
  to ``dx``; ``x += lr * dx / rms(dx)`` (a step of fixed size whatever the gradient's scale);
  then the regulariser: ``x *= 1 - decay`` (L2 decay towards 0, the background), every
  ``blur_every`` steps a Gaussian blur of ``sigma`` pixels (no single-pixel noise), and the
  pixels clipped to the data's range ``[low, high]``. The start is ``low + (high-low) * (0.5 +
  0.1 * noise)``, the noise from ``numpy.random.default_rng([seed, channel])`` (no global
  random state), so each channel's result depends on its seed alone.
  ``centre=True`` maximises the middle output cell in place of the mean.
- :func:`top_images`: the ``k`` images whose channel output has the largest value anywhere,
  with the output cell where it is and the patch of the input it sees (its receptive field:
  every window of the layers before it composed).

Both run on copies of the model's layers in inference mode: the caller's model keeps its
caches, gradients and modes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .. import i18n
from .._checks import as_array
from ..layers import Convolution

#: bounds on the work a call may ask for
MAX_STEPS = 5000
MAX_K = 100
#: layers that keep every pixel where it is (their receptive field is one cell)
_SAME_PLACE = ("activation", "normalization", "dropout")


def conv_layers(model) -> list[tuple[str, int]]:
    """(name, channels) of each convolution layer of ``model``."""
    return [
        (name, int(layer.W.shape[0]))
        for name, layer in model.layers.items()
        if isinstance(layer, Convolution)
    ]


def check_channel(model, layer, channel=None) -> int:
    """The position of convolution layer ``layer`` in ``model``, or one error that names the
    convolution layers and their channels; ``channel`` checked to be one of them."""
    names = list(model.layers.keys())
    convs = dict(conv_layers(model))
    valid = ", ".join(f"{name} (0-{count - 1})" for name, count in convs.items()) or "-"
    if layer not in convs:
        raise i18n.error(ValueError, "errors.filters_layer", layer=layer, layers=valid)
    count = convs[layer]
    if channel is not None and (
        isinstance(channel, bool)
        or not isinstance(channel, (int, np.integer))
        or not 0 <= channel < count
    ):
        raise i18n.error(
            ValueError, "errors.filters_channel", layer=layer, channel=channel, last=count - 1,
        )
    return names.index(layer)


def _bounded(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
        low <= value <= high
    ):
        raise i18n.error(ValueError, "errors.filters_bound", name=name, value=value, low=low,
                         high=high)
    return int(value)


def _prefix(model, index: int) -> list:
    """Copies of the layers up to ``index`` (included), in inference mode, computing dx."""
    layers = [copy.deepcopy(layer) for layer in model.layers.values()[: index + 1]]
    for layer in layers:
        layer.eval()
        if hasattr(layer, "need_input_grad"):
            layer.need_input_grad = True
    return layers


def _forward(layers, x):
    for layer in layers:
        x = layer.forward(x)
    return x


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    return kernel / kernel.sum()


def blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of the last two axes of ``x`` (edges reflected), same dtype; a new
    array."""
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    out = np.asarray(x, dtype=np.float64)
    for axis in (-2, -1):
        width = [(0, 0)] * out.ndim
        width[axis] = (radius, radius)
        padded = np.pad(out, width, mode="reflect" if out.shape[axis] > radius else "edge")
        size = out.shape[axis]
        out = sum(
            kernel[k] * np.take(padded, np.arange(k, k + size), axis=axis)
            for k in range(len(kernel))
        )
    return out.astype(np.asarray(x).dtype, copy=False)


@dataclass(frozen=True)
class ChannelMaximum:
    """The result of gradient ascent for one channel: ``image`` (C, H, W), the ``start`` it grew
    from, the channel's mean activation at the start and after each step (``history``, length
    ``steps + 1``), and the settings that made it."""

    layer: str
    channel: int
    image: np.ndarray
    start: np.ndarray
    history: np.ndarray
    settings: dict

    @property
    def gain(self) -> float:
        """How much the mean activation rose: last minus first."""
        return float(self.history[-1] - self.history[0])


def maximise_channels(
    model, layer: str, channels=None, *, steps: int = 200, lr: float = 0.05,
    decay: float = 1e-3, blur_every: int = 4, sigma: float = 0.5, low: float = 0.0,
    high: float = 1.0, seed: int = 0, input_shape=None, centre: bool = False,
) -> list[ChannelMaximum]:
    """:func:`maximise_channel` for each of ``channels`` (default: all the layer's), run
    together as one batch (each image is still alone in its ascent)."""
    index = check_channel(model, layer)
    count = dict(conv_layers(model))[layer]
    channels = list(range(count)) if channels is None else list(channels)
    for channel in channels:
        check_channel(model, layer, channel)
    steps = _bounded(steps, "steps", 1, MAX_STEPS)
    blur_every = _bounded(blur_every, "blur_every", 0, MAX_STEPS)
    shape = tuple(input_shape or model.input_shape or ())
    if len(shape) != 3:
        raise i18n.error(ValueError, "errors.filters_input_shape", shape=shape)
    settings = dict(centre=bool(centre), steps=steps, lr=float(lr), decay=float(decay),
                    blur_every=blur_every,
                    sigma=float(sigma), low=float(low), high=float(high), seed=int(seed))
    dtype = model.dtype
    starts = np.stack([
        low + (high - low) * (0.5 + 0.1 * np.random.default_rng([seed, c]).standard_normal(shape))
        for c in channels
    ]).astype(dtype)
    starts = np.clip(starts, low, high)
    layers = _prefix(model, index)
    x = starts.copy()
    rows = np.arange(len(channels))
    history = []
    for step in range(steps + 1):
        out = _forward(layers, x)
        oh, ow = out.shape[2:]
        if centre:  # one cell: the output at the middle of the map
            history.append(out[rows, channels, oh // 2, ow // 2].astype(np.float64))
        else:
            history.append(out[rows, channels].reshape(len(channels), -1).mean(axis=1))
        if step == steps:
            break
        dout = np.zeros_like(out)
        if centre:
            dout[rows, channels, oh // 2, ow // 2] = 1.0
        else:
            dout[rows, channels] = 1.0 / (oh * ow)
        for layer_ in reversed(layers):
            dout = layer_.backward(dout)
        rms = np.sqrt(np.mean(dout.reshape(len(channels), -1) ** 2, axis=1)) + 1e-12
        x = x + (lr * dout / rms.reshape(-1, 1, 1, 1)).astype(dtype)
        x = x * dtype.type(1 - decay)
        if blur_every and (step + 1) % blur_every == 0:
            x = blur(x, sigma)
        x = np.clip(x, low, high).astype(dtype, copy=False)
    history = np.stack(history, axis=1).astype(np.float64)
    return [
        ChannelMaximum(layer, int(c), x[n], starts[n], history[n], settings)
        for n, c in enumerate(channels)
    ]


def maximise_channel(model, layer: str, channel: int, **options) -> ChannelMaximum:
    """The input (the model's input shape) that maximises the mean activation of ``channel`` of
    convolution layer ``layer`` (its output before any ReLU), by gradient ascent with the
    library's backward pass; the options, their defaults and the regulariser are in the module's
    docstring. Deterministic: the same ``seed`` gives the same image.

    With ``centre=True`` the activation of one cell, the middle one of the channel's output
    (OH//2, OW//2), is maximised in place of the mean: the mean of a convolution's output is
    linear in the input, so for a first layer its maximum is a flat image (white where the
    filter's weights add up to more than 0) and says little; one cell's maximum is the pattern
    of its window."""
    return maximise_channels(model, layer, [channel], **options)[0]


# ---------------------------------------------------------------------------------------------
# The images that excite a channel most


def receptive_field(model, index: int, cell, input_shape) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), bottom and right excluded, of the input pixels that output
    cell ``cell`` = (oi, oj) of layer ``index`` sees, clipped to the image of ``input_shape``
    (C, H, W). Each windowed layer maps rows [a, b] of its output to
    ``[a*S - P, b*S - P + D*(K-1)]`` of its input."""
    layers = model.layers.values()[: index + 1]
    shapes = [tuple(input_shape), *model.output_shapes(tuple(input_shape))]
    (a0, a1), (b0, b1) = (cell[0], cell[0]), (cell[1], cell[1])
    for position in reversed(range(index + 1)):
        layer = layers[position]
        if hasattr(layer, "window"):
            w = layer.window(shapes[position][-2:])
            a0 = a0 * w.stride[0] - w.pads[0]
            a1 = a1 * w.stride[0] - w.pads[0] + w.dilation[0] * (w.kernel[0] - 1)
            b0 = b0 * w.stride[1] - w.pads[2]
            b1 = b1 * w.stride[1] - w.pads[2] + w.dilation[1] * (w.kernel[1] - 1)
        elif layer.kind not in _SAME_PLACE:
            raise i18n.error(ValueError, "errors.filters_no_field", layer=type(layer).__name__)
    h, w_ = input_shape[-2:]
    return max(a0, 0), max(b0, 0), min(a1 + 1, h), min(b1 + 1, w_)


@dataclass(frozen=True)
class TopImages:
    """The ``k`` images that excite a channel most: their ``indices`` in the images given,
    ``scores`` (the channel's largest output value in each, highest first), ``cells`` (oi, oj)
    where it is, ``boxes`` (top, left, bottom, right) of the input patch that cell sees,
    ``images`` (k, C, H, W) and ``patches`` (each image cut to its box)."""

    layer: str
    channel: int
    indices: np.ndarray
    scores: np.ndarray
    cells: list[tuple[int, int]]
    boxes: list[tuple[int, int, int, int]]
    images: np.ndarray
    patches: list[np.ndarray]

    def to_dict(self) -> dict:
        return {
            "layer": self.layer, "channel": self.channel,
            "indices": [int(i) for i in self.indices],
            "scores": [float(s) for s in self.scores],
            "cells": [list(map(int, c)) for c in self.cells],
            "boxes": [list(map(int, b)) for b in self.boxes],
        }


def top_images(model, layer: str, channel: int, images, k: int = 9,
               batch_size: int = 200) -> TopImages:
    """The ``k`` of ``images`` (N, C, H, W), already as the model's input, whose ``channel`` of
    ``layer`` reaches the largest value, with the patch its best cell sees. Ties keep the
    earlier image first."""
    index = check_channel(model, layer, channel)
    images = np.asarray(as_array(images, "images"))
    if images.ndim != 4 or len(images) == 0:
        raise i18n.error(ValueError, "errors.filters_images", shape=images.shape)
    k = _bounded(k, "k", 1, min(MAX_K, len(images)))
    layers = _prefix(model, index)
    best, where = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(model.dtype, copy=False)
        out = _forward(layers, batch)[:, channel]
        flat = out.reshape(len(out), -1)
        arg = np.argmax(flat, axis=1)
        best.append(flat[np.arange(len(flat)), arg])
        where += [np.unravel_index(a, out.shape[1:]) for a in arg]
        for layer_ in layers:
            layer_.release()
    scores = np.concatenate(best).astype(np.float64)
    order = np.argsort(-scores, kind="stable")[:k]
    cells = [tuple(int(v) for v in where[i]) for i in order]
    boxes = [receptive_field(model, index, cell, images.shape[1:]) for cell in cells]
    chosen = images[order]
    patches = [image[:, top:bottom, left:right]
               for image, (top, left, bottom, right) in zip(chosen, boxes)]
    return TopImages(layer, int(channel), order, scores[order], cells, boxes, chosen, patches)
