"""A convolution of one image, element by element: each output as a sum of products."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import functional as F
from .. import i18n, lecture
from .._checks import as_array, non_negative_pair, positive_pair
from ..functional.geometry import Window2d, window2d
from ._base import Explanation, as_image
from ._format import (
    channel_grids,
    factor,
    grid,
    hw,
    image_label,
    is_whole,
    nested,
    number,
    pad_text,
    size_lines,
    steps_text,
    stride_text,
    sum_of_products,
)


def _as_filters(w, channels: int) -> np.ndarray:
    """(FH, FW), (C, FH, FW) or (FN, C, FH, FW) -> (FN, C, FH, FW) float64. One (FH, FW)
    filter on a C-channel input is used for every channel (the slide's
    「1枚のフィルタですます」)."""
    array = as_array(lecture.FILTER if w is None else w, "filter")
    if array.ndim == 2:
        array = np.repeat(array[None], channels, axis=0)
    if array.ndim == 3:
        if array.shape[0] != channels and channels == 1:
            raise i18n.error(
                ValueError, "errors.conv_filter_channels_but", filter_channels=array.shape[0],
            )
        array = array[None]
    if array.ndim != 4:
        raise i18n.error(ValueError, "errors.conv_filter_fh_fw", array_shape=array.shape)
    if array.shape[1] != channels:
        raise i18n.error(
            ValueError, "errors.conv_filter_channel_s", filter_channels=array.shape[1],
            channels=channels, fh=array.shape[2], fw=array.shape[3],
        )
    return array.astype(np.float64)


@dataclass(frozen=True)
class ConvStep:
    """One output element: ``value = sum(window * filter) + bias``.

    ``window`` is the part of the padded input under the filter, (C, FH, FW); ``filter`` is the
    filter that made it, (C, FH, FW); ``channel_sums[c] = sum(window[c] * filter[c])``."""

    filter_index: int
    position: tuple[int, int]
    window: np.ndarray
    filter: np.ndarray
    channel_sums: np.ndarray
    bias: float
    value: float

    def products(self, channel: int | None = None, lang: str | None = None) -> str:
        """The sum of products as the slides write it, with its value (``... = 12``), and the
        bias added after it (``... = 12, 12 + 3 = 15``).

        With several channels and no ``channel``, the channels' sums and the bias are added."""
        with i18n.use(lang):
            return self._products(channel)

    def _products(self, channel):
        if channel is not None or len(self.window) == 1:
            c = channel or 0
            text = f"{sum_of_products(self.window[c], self.filter[c])} = "
            if channel is None and self.bias:
                return text + i18n.text(
                    "explain.bias_sum",
                    sum=number(self.channel_sums[0]),
                    bias=factor(self.bias),
                    value=number(self.value),
                )
            return text + number(self.channel_sums[c] if channel is not None else self.value)
        terms = "+".join(factor(s) for s in self.channel_sums)
        if self.bias:
            terms += f"+{factor(self.bias)}"
        return f"{terms} = {number(self.value)}"


@dataclass(frozen=True)
class ConvExplanation(Explanation):
    """A convolution of one image, element by element.

    ``x`` (C, H, W) and ``filters`` (FN, C, FH, FW) as given; ``padded`` (C, Hp, Wp); ``output``
    (FN, OH, OW) from :func:`tatamikomi.functional.conv2d`; one :class:`ConvStep` per output
    element in ``steps`` (filter by filter, row by row)."""

    x: np.ndarray
    filters: np.ndarray
    bias: np.ndarray
    window: Window2d
    padded: np.ndarray
    output: np.ndarray
    steps: list[ConvStep] = field(repr=False)
    #: one (FH, FW) filter was given for a C-channel input, and is used for every channel
    shared: bool = False

    def _lines(self) -> list[str]:
        fn, c, fh, fw = self.filters.shape
        pads, stride = self.window.pads, self.window.stride
        bias = (
            i18n.text("explain.bias", ", ".join(number(b) for b in self.bias))
            if self.bias.any()
            else ""
        )
        out = [
            i18n.text(
                "explain.conv_title",
                input=image_label(self.x.shape),
                filter=image_label((c, fh, fw)) if fn == 1 else str(self.filters.shape),
                stride=stride_text(stride),
                pad=pad_text(pads),
                bias=bias,
            ),
            i18n.text("explain.input", image_label(self.x.shape)),
        ]
        out += channel_grids(self.x)
        if self.shared:
            out.append(i18n.text("explain.shared_filter", c=c, fh=fh, fw=fw))
        for k in range(fn):
            title = (
                i18n.text("explain.filter", image_label((c, fh, fw)))
                if fn == 1
                else i18n.text("explain.filter_k", k=k, n=fn, shape=image_label((c, fh, fw)))
            )
            out.append(title)
            out += channel_grids(self.filters[k])
        if any(pads):
            out.append(
                i18n.text("explain.padded", pad=pad_text(pads), shape=hw(self.padded.shape[1:]))
            )
            out += channel_grids(self.padded)
        out.append(i18n.text("explain.size", what=i18n.text("explain.the_filter")))
        out += ["  " + line for line in size_lines(self.window)]
        slide = "explain.slide_bias" if self.bias.any() else "explain.slide"
        out += [
            i18n.text(slide, fh=fh, fw=fw, step=steps_text(stride)),
            i18n.text("explain.positions"),
        ]
        if c > 1:
            out.append(i18n.text("explain.channels", c=c, fh=fh, fw=fw))
        for step in self.steps:
            prefix = f"  ({step.position[0]},{step.position[1]})"
            if fn > 1:
                prefix = f"  [{step.filter_index}]" + prefix[1:]
            if c == 1:
                out.append(f"{prefix}: {step.products()}")
                continue
            out.append(f"{prefix}:")
            for ch in range(c):
                out.append(
                    i18n.text(
                        "explain.channel_sum",
                        c=ch,
                        terms=sum_of_products(step.window[ch], step.filter[ch]),
                        value=number(step.channel_sums[ch]),
                    )
                )
            total = "explain.total_bias" if step.bias else "explain.total"
            out.append(
                i18n.text(total, terms=step.products().split(" = ")[0], value=number(step.value))
            )
        oh, ow = self.window.out_hw
        for k in range(fn):
            key = "explain.output" if fn == 1 else "explain.output_k"
            out.append(i18n.text(key, k=k, shape=hw((oh, ow)), nested=nested(self.output[k])))
            out.append(grid(self.output[k]))
        if fn > 1:
            out.append(i18n.text("explain.filters", n=fn, shape=self.output.shape))
        if not is_whole(self.padded) or not is_whole(self.filters):
            out.append(i18n.text("explain.rounded"))
        return out


def explain_conv(x=None, w=None, *, stride=1, pad=0, bias=None) -> ConvExplanation:
    """Explain the convolution of one image ``x`` with ``w``, element by element.

    ``x``: (H, W) or (C, H, W); ``w``: (FH, FW), (C, FH, FW) or (FN, C, FH, FW) (one (FH, FW)
    filter serves every channel of a colour input); ``bias``: one number, or one per filter.
    With no ``x`` and ``w``, the lecture's 4x4 input and 3x3 filter. The output is the
    library's :func:`~tatamikomi.functional.conv2d`; each step's arithmetic reproduces it.
    """
    x = as_image(x, "input", lecture.INPUT)
    filters = _as_filters(w, len(x))
    shared = np.ndim(lecture.FILTER if w is None else w) == 2 and len(x) > 1
    fn = len(filters)
    b = np.zeros(fn) if bias is None else np.asarray(as_array(bias, "bias"), np.float64).ravel()
    if b.size == 1:
        b = np.repeat(b, fn)
    if b.shape != (fn,):
        raise i18n.error(ValueError, "errors.conv_give_one_bias", fn=fn, b_size=b.size)
    stride = positive_pair(stride, "stride")
    pad = non_negative_pair(pad, "pad")
    window = window2d(x.shape[1:], filters.shape[2:], stride, pad)
    output = F.conv2d(x[None], filters, b, stride=stride, padding=pad)[0]
    padded = F.pad2d(x[None], window.pads)[0]
    steps = []
    (sh, sw), (fh, fw) = window.stride, window.kernel
    for k in range(fn):
        for i in range(window.out_hw[0]):
            for j in range(window.out_hw[1]):
                patch = padded[:, i * sh : i * sh + fh, j * sw : j * sw + fw]
                sums = np.sum(patch * filters[k], axis=(1, 2))
                steps.append(
                    ConvStep(
                        k, (i, j), patch, filters[k], sums, float(b[k]), float(output[k, i, j])
                    )
                )
    return ConvExplanation(x, filters, b, window, padded, output, steps, shared)
