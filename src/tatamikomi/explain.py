"""The lecture's arithmetic, step by step, in English or Japanese (``tatamikomi explain``).

Each ``explain_*`` function computes its result with the library's own operations and returns
an explanation object: its fields hold the steps as arrays and numbers (for tests, notebooks and
the pictures), and ``lines(lang)`` / ``text(lang)`` render them as the slides write them::

    >>> from tatamikomi.explain import explain_conv
    >>> e = explain_conv()                       # the lecture's 4x4 input and 3x3 filter
    >>> e.output[0].tolist()
    [[12, 14], [14, 10]]
    >>> e.steps[0].products()
    '1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1) = 12'

- :func:`explain_conv`: every output element as a sum of products (plus the bias), with the
  padded input and the output-size formula filled in; channels are summed.
- :func:`explain_pool`: each max or average pooling window and its result.
- :func:`explain_im2col`: the column matrix, each row labelled with its window, and why its
  shape is (N*OH*OW, C*FH*FW).
- :func:`explain_shape`: how a model changes the shape, layer by layer, with each formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import functional as F
from . import lecture
from ._checks import as_array, non_negative_pair, positive_pair
from .functional.geometry import Window2d, window2d

LANGUAGES = ("en", "ja")

# ---------------------------------------------------------------------------------------------
# Numbers as the slides write them


def _is_whole(values) -> bool:
    values = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def number(value) -> str:
    """One value: an int when it is whole, else 4 significant digits; ``-inf`` for padding."""
    value = float(value)
    if np.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == round(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _factor(value) -> str:
    """A factor in a product: negative numbers in parentheses, as on the slides: ``2x(-1)``."""
    text = number(value)
    return f"({text})" if text.startswith("-") else text


def grid(array, indent: str = "    ") -> str:
    """A 2-D array as right-aligned columns."""
    array = np.atleast_2d(np.asarray(array))
    cells = [[number(v) for v in row] for row in array]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(indent + " ".join(c.rjust(width) for c in row) for row in cells)


def nested(array) -> str:
    """A 2-D array as a compact nested list: ``[[12,14],[14,10]]``."""
    return "[" + ",".join("[" + ",".join(number(v) for v in row) + "]" for row in array) + "]"


def sum_of_products(window, kernel) -> str:
    """``input x filter`` for each element of a window, added up:
    ``1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1)``."""
    return "+".join(
        f"{_factor(a)}x{_factor(b)}" for a, b in zip(np.ravel(window), np.ravel(kernel))
    )


# ---------------------------------------------------------------------------------------------
# The output-size formula


def size_formula(
    size: int, kernel: int, stride: int, pads: tuple[int, int], dilation: int, out: int, axis: str
) -> str:
    """The lecture's formula with the numbers filled in, e.g.
    ``OH = (H + 2P - FH) / S + 1 = (4 + 2*1 - 3) / 1 + 1 = 4``."""
    big, small = ("H", "FH") if axis == "h" else ("W", "FW")
    before, after = pads
    if before == after:
        pad_symbol, pad_value = "2P", f"2*{before}"
    else:
        pad_symbol, pad_value = "P1 + P2", f"{before} + {after}"
    if dilation == 1:
        span_symbol, span_value = small, str(kernel)
    else:
        span_symbol, span_value = f"(D*({small}-1) + 1)", f"({dilation}*({kernel}-1) + 1)"
    numerator = size + before + after - (dilation * (kernel - 1) + 1)
    exact = numerator % stride == 0
    rounding = "" if exact else f"  ({numerator}/{stride} rounded down)"
    # ceil_mode can add one; the value shown is always the one the library computed
    return (
        f"O{big} = ({big} + {pad_symbol} - {span_symbol}) / S + 1 = "
        f"({size} + {pad_value} - {span_value}) / {stride} + 1 = {out}{rounding}"
    )


def _size_lines(window: Window2d) -> list[str]:
    top, bottom, left, right = window.pads
    return [
        size_formula(
            window.input_hw[0],
            window.kernel[0],
            window.stride[0],
            (top, bottom),
            window.dilation[0],
            window.out_hw[0],
            "h",
        ),
        size_formula(
            window.input_hw[1],
            window.kernel[1],
            window.stride[1],
            (left, right),
            window.dilation[1],
            window.out_hw[1],
            "w",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Messages

_TEXT = {
    "en": {
        "conv_title": "Convolution: input {input}, filter {filter}, stride {stride}, pad {pad}"
        "{bias}",
        "bias": ", bias {}",
        "input": "Input ({}):",
        "channel": "  channel {}:",
        "filter": "Filter ({}):",
        "filter_k": "Filter {k} of {n} ({shape}):",
        "image": "{c} channels of {hw}",
        "padded": "Input padded with zeros, {pad} on each side ({shape}):",
        "size": "Output size (H, W: input; FH, FW: {what}; P: padding; S: stride):",
        "the_filter": "filter",
        "the_window": "window",
        "slide": "Slide the {fh}x{fw} window over the input, {step} at a time. At each place, "
        "multiply the numbers that overlap and add the products up{and_bias}:",
        "step1": "one step",
        "stepn": "{} steps",
        "and_bias": ", then add the bias",
        "channels": "The input has {c} channels: the filter has a {fh}x{fw} slice for each, and "
        "the {c} sums are added into one output value.",
        "channel_sum": "      channel {c}: {terms} = {value}",
        "total": "      sum over channels: {terms} = {value}",
        "total_bias": "      sum over channels, plus the bias: {terms} = {value}",
        "output": "Output ({shape}): {nested}",
        "output_k": "Output of filter {k} ({shape}): {nested}",
        "output_c": "Output channel {k} ({shape}): {nested}",
        "filters": "{n} filters give an output of {n} channels: (FN, OH, OW) = {shape}.",
        "pool_title": "{mode} pooling: window {window}, stride {stride}, pad {pad}, input {input}",
        "max": "Max",
        "avg": "Average",
        "pool_padded_max": "Input padded with -inf, {pad} on each side ({shape}), so that "
        "padding never wins:",
        "pool_padded_avg": "Input padded with zeros, {pad} on each side ({shape}); they count "
        "in the mean:",
        "pool_slide": "Move the {ph}x{pw} window {step} at a time and take {what} of each window:",
        "the_max": "the largest value",
        "the_mean": "the mean",
        "pool_note": "Pooling has no parameters to learn, keeps the number of channels ({c}), "
        "and makes the height and width smaller.",
        "im2col_title": "im2col: input (N, C, H, W) = {shape}, filter {fh}x{fw}, stride {stride}, "
        "pad {pad}",
        "im2col_rows": "Each row is one window position in one image: "
        "N*OH*OW = {n}*{oh}*{ow} = {rows} rows.",
        "im2col_cols": "Each column is one input value under the window, for every channel: "
        "C*FH*FW = {c}*{fh}*{fw} = {cols} columns.",
        "im2col_shape": "So col.shape = (N*OH*OW, C*FH*FW) = ({rows}, {cols}).",
        "im2col_matrix": "The matrix (row: image n, window at (i, j)):",
        "im2col_more": "    ... {} more rows",
        "im2col_more_cols": "(first {shown} of {cols} columns shown)",
        "im2col_columns": "Columns {start}-{end}: channel {c}, filter taps (0,0) to ({i},{j}), "
        "row by row.",
        "im2col_product": "A convolution is then one matrix product: col ({rows}, {cols}) @ "
        "W.reshape(FN, {cols}).T ({cols}, FN) = ({rows}, FN), reshaped to "
        "(N, OH, OW, FN) = ({n}, {oh}, {ow}, FN) and transposed to (N, FN, OH, OW).",
        "row": "image {n}, window at ({i}, {j})",
        "shape_title": "{model}: how the shape of one input {shape} changes, layer by layer",
        "conv_layer": "{filters} filters of {c}x{fh}x{fw}, stride {stride}, pad {pad}",
        "conv_channels": "channels = number of filters = {}",
        "pool_layer": "{mode} pooling {ph}x{pw}, stride {stride}, pad {pad}",
        "pool_channels": "channels unchanged ({}), no parameters",
        "unchanged": "shape unchanged",
        "flatten": "flattens {shape} into {size} values",
        "affine": "{n_in} -> {n_out}: W is ({n_in}, {n_out}), b is ({n_out},)",
        "affine_flat": "flattens {shape} into {size} values, then {n_in} -> {n_out}: "
        "W is ({n_in}, {n_out})",
        "gap": "the mean of each channel: {shape} -> ({c},)",
        "classes": "one score per class: {}",
    },
    "ja": {
        "conv_title": "畳み込み演算: 入力 {input}, フィルタ {filter}, ストライド {stride}, "
        "パディング {pad}{bias}",
        "bias": ", バイアス {}",
        "input": "入力データ ({}):",
        "channel": "  チャネル {}:",
        "filter": "フィルタ ({}):",
        "filter_k": "フィルタ {k} / {n} ({shape}):",
        "image": "{c} チャネル x {hw}",
        "padded": "周囲に幅 {pad} の 0 を埋めた入力データ ({shape}):",
        "size": "出力サイズ (H, W: 入力, FH, FW: {what}, P: パディング, S: ストライド):",
        "the_filter": "フィルタ",
        "the_window": "ウィンドウ",
        "slide": "{fh}x{fw} のウィンドウを{step}ずつスライドさせ、各位置で重なる要素を掛けて、"
        "その総和を求める (積和計算){and_bias}:",
        "step1": "1つ",
        "stepn": "{}つ",
        "and_bias": "。さらにバイアスを加える",
        "channels": "入力は {c} チャネル: フィルタもチャネルごとに {fh}x{fw} を持ち、"
        "{c} つの積和を加算して 1 つの出力にする。",
        "channel_sum": "      チャネル {c}: {terms} = {value}",
        "total": "      チャネルの和: {terms} = {value}",
        "total_bias": "      チャネルの和とバイアス: {terms} = {value}",
        "output": "出力データ ({shape}): {nested}",
        "output_k": "フィルタ {k} の出力 ({shape}): {nested}",
        "output_c": "出力のチャネル {k} ({shape}): {nested}",
        "filters": "フィルタが {n} 枚なので出力は {n} チャネル: (FN, OH, OW) = {shape}",
        "pool_title": "{mode} プーリング: ウィンドウ {window}, ストライド {stride}, "
        "パディング {pad}, 入力 {input}",
        "max": "Max",
        "avg": "Average",
        "pool_padded_max": "周囲に幅 {pad} の -inf を埋めた入力 ({shape}): "
        "パディングは最大値にならない",
        "pool_padded_avg": "周囲に幅 {pad} の 0 を埋めた入力 ({shape}): 0 も平均に含める",
        "pool_slide": "{ph}x{pw} のウィンドウを{step}ずつ動かし、各ウィンドウの{what}をとる:",
        "the_max": "最大値",
        "the_mean": "平均",
        "pool_note": "プーリングには学習するパラメータがなく、チャネル数 ({c}) は変わらず、"
        "縦横方向の空間が小さくなる。",
        "im2col_title": "im2col: 入力 (N, C, H, W) = {shape}, フィルタ {fh}x{fw}, "
        "ストライド {stride}, パディング {pad}",
        "im2col_rows": "各行は 1 枚の画像の 1 つのウィンドウ位置: "
        "N*OH*OW = {n}*{oh}*{ow} = {rows} 行",
        "im2col_cols": "各列はウィンドウ内の 1 つの入力値 (全チャネル分): "
        "C*FH*FW = {c}*{fh}*{fw} = {cols} 列",
        "im2col_shape": "したがって col.shape = (N*OH*OW, C*FH*FW) = ({rows}, {cols})",
        "im2col_matrix": "行列 (行: 画像 n, ウィンドウ位置 (i, j)):",
        "im2col_more": "    ... 残り {} 行",
        "im2col_more_cols": "({cols} 列のうち最初の {shown} 列を表示)",
        "im2col_columns": "列 {start}-{end}: チャネル {c}, フィルタの (0,0) から ({i},{j}) まで、"
        "行ごとに",
        "im2col_product": "すると畳み込みは 1 回の行列積になる: col ({rows}, {cols}) @ "
        "W.reshape(FN, {cols}).T ({cols}, FN) = ({rows}, FN)。これを "
        "(N, OH, OW, FN) = ({n}, {oh}, {ow}, FN) に変形し、(N, FN, OH, OW) に転置する。",
        "row": "画像 {n}, ウィンドウ位置 ({i}, {j})",
        "shape_title": "{model}: 入力 1 つ {shape} の形状が層ごとにどう変わるか",
        "conv_layer": "{c}x{fh}x{fw} のフィルタ {filters} 枚, ストライド {stride}, "
        "パディング {pad}",
        "conv_channels": "チャネル数 = フィルタ数 = {}",
        "pool_layer": "{mode} プーリング {ph}x{pw}, ストライド {stride}, パディング {pad}",
        "pool_channels": "チャネル数は変わらない ({}), パラメータなし",
        "unchanged": "形状は変わらない",
        "flatten": "{shape} を {size} 個の値に平坦化する",
        "affine": "{n_in} -> {n_out}: W は ({n_in}, {n_out}), b は ({n_out},)",
        "affine_flat": "{shape} を {size} 個の値に平坦化してから {n_in} -> {n_out}: "
        "W は ({n_in}, {n_out})",
        "gap": "各チャネルの平均: {shape} -> ({c},)",
        "classes": "クラスごとに 1 つのスコア: {}",
    },
}


def localized(table: dict, lang: str) -> dict:
    """``table[lang]`` for a table of texts by language, or a clear error for another ``lang``
    (the explanations' and the pictures' one check)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return table[lang]


def _messages(lang: str) -> dict:
    return localized(_TEXT, lang)


def _hw(shape) -> str:
    return "x".join(str(s) for s in shape)


def _image(shape, m) -> str:
    """(1, 4, 4) -> "4x4"; (3, 7, 7) -> "3 channels of 7x7"."""
    return _hw(shape[1:]) if shape[0] == 1 else m["image"].format(c=shape[0], hw=_hw(shape[1:]))


def _pad_text(pads) -> str:
    top, bottom, left, right = pads
    if top == bottom == left == right:
        return str(top)
    return f"(top {top}, bottom {bottom}, left {left}, right {right})"


def _stride_text(stride) -> str:
    return str(stride[0]) if stride[0] == stride[1] else f"{stride[0]}x{stride[1]}"


def _steps_text(stride, m) -> str:
    s = stride[0] if stride[0] == stride[1] else f"({stride[0]}, {stride[1]})"
    return m["step1"] if s == 1 else m["stepn"].format(s)


class _Explanation:
    """Shared rendering: ``text(lang)`` joins ``lines(lang)``; ``str()`` is the English text."""

    def lines(self, lang: str = "en") -> list[str]:  # pragma: no cover - each subclass has one
        raise NotImplementedError

    def text(self, lang: str = "en") -> str:
        return "\n".join(self.lines(lang))

    def __str__(self) -> str:
        return self.text()


# ---------------------------------------------------------------------------------------------
# Convolution


def _as_image(x, name: str, default) -> np.ndarray:
    """(H, W), (C, H, W) or (1, C, H, W) -> (C, H, W), as float64 for exact arithmetic."""
    array = as_array(default if x is None else x, name)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(
            f"{name} must be one image, (H, W) or (C, H, W); got shape {array.shape}. "
            f"For a batch, explain one image at a time (x[k])."
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty; got shape {array.shape}")
    return array.astype(np.float64)


def _as_filters(w, channels: int) -> np.ndarray:
    """(FH, FW), (C, FH, FW) or (FN, C, FH, FW) -> (FN, C, FH, FW) float64."""
    array = as_array(lecture.FILTER if w is None else w, "filter")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        if array.shape[0] != channels and channels == 1:
            raise ValueError(
                f"the filter has {array.shape[0]} channels but the input has one: give one "
                f"(FH, FW) filter, {array.shape[0]} filters as ({array.shape[0]}, 1, FH, FW), "
                f"or an input with {array.shape[0]} channels"
            )
        array = array[None]
    if array.ndim != 4:
        raise ValueError(
            f"the filter must be (FH, FW), (C, FH, FW) or (FN, C, FH, FW); got shape {array.shape}"
        )
    if array.shape[1] != channels:
        raise ValueError(
            f"the filter has {array.shape[1]} channel(s) but the input has {channels}: they must "
            f"match (a filter has one {array.shape[2]}x{array.shape[3]} slice per input channel)"
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

    def products(self, channel: int | None = None) -> str:
        """The sum of products as the slides write it, with its value (``... = 12``).

        With several channels and no ``channel``, the channels' sums and the bias are added."""
        if channel is not None or len(self.window) == 1:
            c = channel or 0
            text = f"{sum_of_products(self.window[c], self.filter[c])} = "
            if channel is None and self.bias:
                return (
                    text
                    + f"{number(self.channel_sums[0])}, + {_factor(self.bias)} = "
                    + (number(self.value))
                )
            return text + number(self.channel_sums[c] if channel is not None else self.value)
        terms = "+".join(_factor(s) for s in self.channel_sums)
        if self.bias:
            terms += f"+{_factor(self.bias)}"
        return f"{terms} = {number(self.value)}"


@dataclass(frozen=True)
class ConvExplanation(_Explanation):
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

    def lines(self, lang: str = "en") -> list[str]:
        m = _messages(lang)
        fn, c, fh, fw = self.filters.shape
        pads, stride = self.window.pads, self.window.stride
        bias = m["bias"].format(", ".join(number(b) for b in self.bias)) if self.bias.any() else ""
        out = [
            m["conv_title"].format(
                input=_image(self.x.shape, m),
                filter=_image((c, fh, fw), m) if fn == 1 else str(self.filters.shape),
                stride=_stride_text(stride),
                pad=_pad_text(pads),
                bias=bias,
            ),
            m["input"].format(_image(self.x.shape, m)),
        ]
        out += _channel_grids(self.x, m)
        for k in range(fn):
            title = (
                m["filter"].format(_image((c, fh, fw), m))
                if fn == 1
                else m["filter_k"].format(k=k, n=fn, shape=_image((c, fh, fw), m))
            )
            out.append(title)
            out += _channel_grids(self.filters[k], m)
        if any(pads):
            out.append(m["padded"].format(pad=_pad_text(pads), shape=_hw(self.padded.shape[1:])))
            out += _channel_grids(self.padded, m)
        out.append(m["size"].format(what=m["the_filter"]))
        out += ["  " + line for line in _size_lines(self.window)]
        out.append(
            m["slide"].format(
                fh=fh,
                fw=fw,
                step=_steps_text(stride, m),
                and_bias=m["and_bias"] if self.bias.any() else "",
            )
        )
        if c > 1:
            out.append(m["channels"].format(c=c, fh=fh, fw=fw))
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
                    m["channel_sum"].format(
                        c=ch,
                        terms=sum_of_products(step.window[ch], step.filter[ch]),
                        value=number(step.channel_sums[ch]),
                    )
                )
            total = m["total_bias" if step.bias else "total"]
            out.append(
                total.format(terms=step.products().split(" = ")[0], value=number(step.value))
            )
        oh, ow = self.window.out_hw
        for k in range(fn):
            key = "output" if fn == 1 else "output_k"
            out.append(m[key].format(k=k, shape=_hw((oh, ow)), nested=nested(self.output[k])))
            out.append(grid(self.output[k]))
        if fn > 1:
            out.append(m["filters"].format(n=fn, shape=self.output.shape))
        if not _is_whole(self.padded) or not _is_whole(self.filters):
            out.append(
                "(値は 4 桁に丸めて表示)"
                if lang == "ja"
                else "(values shown to 4 significant digits)"
            )
        return out


def _channel_grids(array, m) -> list[str]:
    if len(array) == 1:
        return [grid(array[0])]
    out = []
    for c, channel in enumerate(array):
        out += [m["channel"].format(c), grid(channel, "      ")]
    return out


def explain_conv(x=None, w=None, *, stride=1, pad=0, bias=None) -> ConvExplanation:
    """Explain the convolution of one image ``x`` with ``w``, element by element.

    ``x``: (H, W) or (C, H, W); ``w``: (FH, FW), (C, FH, FW) or (FN, C, FH, FW); ``bias``: one
    number, or one per filter. With no ``x`` and ``w``, the lecture's 4x4 input and 3x3 filter.
    The output is the library's :func:`~tatamikomi.functional.conv2d`; each step's arithmetic
    reproduces it.
    """
    x = _as_image(x, "input", lecture.INPUT)
    filters = _as_filters(w, len(x))
    fn = len(filters)
    b = np.zeros(fn) if bias is None else np.asarray(as_array(bias, "bias"), np.float64).ravel()
    if b.size == 1:
        b = np.repeat(b, fn)
    if b.shape != (fn,):
        raise ValueError(f"give one bias, or one per filter ({fn}); got {b.size} values")
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
    return ConvExplanation(x, filters, b, window, padded, output, steps)


# ---------------------------------------------------------------------------------------------
# Pooling


@dataclass(frozen=True)
class PoolStep:
    """One pooling window: ``value = max(window)`` or ``mean(window)``; window is (PH, PW)."""

    channel: int
    position: tuple[int, int]
    window: np.ndarray
    value: float

    def formula(self, mode: str) -> str:
        values = [number(v) for v in np.ravel(self.window)]
        if mode == "max":
            return f"max({', '.join(values)}) = {number(self.value)}"
        terms = "+".join(_factor(v) for v in np.ravel(self.window))
        return f"({terms})/{self.window.size} = {number(self.value)}"


@dataclass(frozen=True)
class PoolExplanation(_Explanation):
    """Pooling of one image: ``x`` (C, H, W), ``padded``, ``output`` (C, OH, OW) and one
    :class:`PoolStep` per output element."""

    mode: str
    x: np.ndarray
    window: Window2d
    padded: np.ndarray
    output: np.ndarray
    steps: list[PoolStep] = field(repr=False)

    def lines(self, lang: str = "en") -> list[str]:
        m = _messages(lang)
        c = len(self.x)
        (ph, pw), pads = self.window.kernel, self.window.pads
        out = [
            m["pool_title"].format(
                mode=m[self.mode],
                window=_hw((ph, pw)),
                stride=_stride_text(self.window.stride),
                pad=_pad_text(pads),
                input=_image(self.x.shape, m),
            ),
            m["input"].format(_image(self.x.shape, m)),
        ]
        out += _channel_grids(self.x, m)
        if any(pads):
            key = "pool_padded_max" if self.mode == "max" else "pool_padded_avg"
            out.append(m[key].format(pad=_pad_text(pads), shape=_hw(self.padded.shape[1:])))
            out += _channel_grids(self.padded, m)
        out.append(m["size"].format(what=m["the_window"]))
        out += ["  " + line for line in _size_lines(self.window)]
        out.append(
            m["pool_slide"].format(
                ph=ph,
                pw=pw,
                step=_steps_text(self.window.stride, m),
                what=m["the_max"] if self.mode == "max" else m["the_mean"],
            )
        )
        for step in self.steps:
            where = f"({step.position[0]},{step.position[1]})"
            if c > 1:
                where = f"[{step.channel}]{where}"
            out.append(f"  {where}: {step.formula(self.mode)}")
        shape = _hw(self.window.out_hw)
        for ch in range(c):
            key = "output" if c == 1 else "output_c"
            out += [m[key].format(k=ch, shape=shape, nested=nested(self.output[ch]))]
            out.append(grid(self.output[ch]))
        out.append(m["pool_note"].format(c=c))
        return out


def explain_pool(x=None, size=2, *, stride=None, pad=0, mode="max") -> PoolExplanation:
    """Explain max (``mode="max"``) or average (``"avg"``) pooling of one image, window by window.

    ``x``: (H, W) or (C, H, W), by default the lecture's 4x4 input; ``size``: the window, an int
    or (PH, PW); ``stride`` defaults to the window (the usual choice). Max pooling pads with
    -inf, average pooling with zeros that count in the mean (as PyTorch's defaults do).
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg'; got {mode!r}")
    x = _as_image(x, "input", lecture.INPUT)
    size = positive_pair(size, "size")
    stride = size if stride is None else positive_pair(stride, "stride")
    pad = non_negative_pair(pad, "pad")
    for axis in (0, 1):
        if pad[axis] > size[axis] // 2:
            raise ValueError(
                f"pad must be at most half the window ({size[axis] // 2}), as in PyTorch; got "
                f"{pad[axis]}"
            )
    window = window2d(x.shape[1:], size, stride, pad)
    if mode == "max":
        output = F.max_pool2d(x[None], size, stride, pad)[0]
        padded = F.pad2d(x[None], window.pads, value=-np.inf)[0]
    else:
        output = F.avg_pool2d(x[None], size, stride, pad)[0]
        padded = F.pad2d(x[None], window.pads)[0]
    steps = []
    (sh, sw), (ph, pw) = window.stride, window.kernel
    for ch in range(len(x)):
        for i in range(window.out_hw[0]):
            for j in range(window.out_hw[1]):
                patch = padded[ch, i * sh : i * sh + ph, j * sw : j * sw + pw]
                steps.append(PoolStep(ch, (i, j), patch, float(output[ch, i, j])))
    return PoolExplanation(mode, x, window, padded, output, steps)


# ---------------------------------------------------------------------------------------------
# im2col


@dataclass(frozen=True)
class Im2colExplanation(_Explanation):
    """im2col of a batch ``x`` (N, C, H, W): ``col`` (N*OH*OW, C*FH*FW) from
    :func:`tatamikomi.im2col`, and ``row_windows[r] = (n, i, j)``, the image and window position
    that row ``r`` came from."""

    x: np.ndarray
    window: Window2d
    col: np.ndarray
    row_windows: list[tuple[int, int, int]] = field(repr=False)
    max_rows: int = 12
    max_cols: int = 12

    def lines(self, lang: str = "en") -> list[str]:
        m = _messages(lang)
        n, c = self.x.shape[:2]
        (fh, fw), (oh, ow) = self.window.kernel, self.window.out_hw
        rows, cols = self.col.shape
        out = [
            m["im2col_title"].format(
                shape=self.x.shape,
                fh=fh,
                fw=fw,
                stride=_stride_text(self.window.stride),
                pad=_pad_text(self.window.pads),
            ),
            m["size"].format(what=m["the_filter"]),
        ]
        out += ["  " + line for line in _size_lines(self.window)]
        out += [
            m["im2col_rows"].format(n=n, oh=oh, ow=ow, rows=rows),
            m["im2col_cols"].format(c=c, fh=fh, fw=fw, cols=cols),
            m["im2col_shape"].format(rows=rows, cols=cols),
        ]
        for ch in range(c):
            start = ch * fh * fw
            out.append(
                "  "
                + m["im2col_columns"].format(
                    start=start, end=start + fh * fw - 1, c=ch, i=fh - 1, j=fw - 1
                )
            )
        out.append(m["im2col_matrix"])
        shown = self.col[: self.max_rows, : self.max_cols]
        labels = [m["row"].format(n=a, i=b, j=d) for a, b, d in self.row_windows[: len(shown)]]
        label_width = max(len(label) for label in labels)
        cells = [[number(v) for v in row] for row in shown]
        width = max(len(cell) for row in cells for cell in row)
        for r, (label, row) in enumerate(zip(labels, cells)):
            more = " ..." if cols > self.max_cols else ""
            out.append(
                f"  {r:>{len(str(rows - 1))}} {label.ljust(label_width)} | "
                + " ".join(cell.rjust(width) for cell in row)
                + more
            )
        if rows > len(shown):
            out.append(m["im2col_more"].format(rows - len(shown)))
        if cols > self.max_cols:
            out.append("  " + m["im2col_more_cols"].format(shown=self.max_cols, cols=cols))
        out.append(m["im2col_product"].format(rows=rows, cols=cols, n=n, oh=oh, ow=ow))
        return out


def explain_im2col(
    x=None, filter_h=None, filter_w=None, *, stride=1, pad=0, max_rows=12, max_cols=12
) -> Im2colExplanation:
    """Explain ``im2col(x, filter_h, filter_w, stride, pad)`` and its shape.

    ``x``: a batch (N, C, H, W), one image (C, H, W) or (H, W), or just a shape (a tuple such as
    ``(10, 3, 7, 7)``, filled with random numbers as in the lecture's example). Default: the
    lecture's (10, 3, 7, 7) batch with a 5x5 filter, which gives (90, 75). ``max_rows`` and
    ``max_cols`` limit how much of the matrix the text shows.
    """
    if x is None:
        x = lecture.IM2COL_BATCH_SHAPE
        if filter_h is None:
            filter_h, filter_w = lecture.IM2COL_FILTER
    if isinstance(x, tuple) and all(isinstance(s, (int, np.integer)) for s in x):
        if len(x) != 4 or min(x) < 1:
            raise ValueError(f"a batch shape is (N, C, H, W) of positive ints; got {x}")
        x = np.round(np.random.default_rng(0).random(x), 2)
    x = as_array(x, "input")
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"im2col takes (N, C, H, W), (C, H, W) or (H, W); got shape {x.shape}")
    if filter_h is None:
        raise ValueError("give the filter size (filter_h, and filter_w if it differs)")
    filter_w = filter_h if filter_w is None else filter_w
    stride = positive_pair(stride, "stride")
    pad = non_negative_pair(pad, "pad")
    window = window2d(x.shape[2:], (filter_h, filter_w), stride, pad)
    col = F.im2col(x, filter_h, filter_w, stride, pad)
    (oh, ow) = window.out_hw
    row_windows = [(n, i, j) for n in range(x.shape[0]) for i in range(oh) for j in range(ow)]
    return Im2colExplanation(x, window, col, row_windows, max_rows, max_cols)


# ---------------------------------------------------------------------------------------------
# Shapes through a model


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
        m = _messages(lang)
        kind, notes = _layer_notes(self.layer, self.input_shape, self.output_shape, m)
        if self.last and len(self.output_shape) == 1:
            notes = (*notes, m["classes"].format(self.output_shape[0]))
        return kind, notes


@dataclass(frozen=True)
class ShapeExplanation(_Explanation):
    """The shape of one example ``input_shape`` through ``model``: one :class:`ShapeStep` per
    layer."""

    model: str
    input_shape: tuple[int, ...]
    steps: list[ShapeStep] = field(repr=False)

    def lines(self, lang: str = "en") -> list[str]:
        m = _messages(lang)
        out = [m["shape_title"].format(model=self.model, shape=self.input_shape)]
        width = max(len(step.name) for step in self.steps)
        for step in self.steps:
            kind, notes = step.describe(lang)
            out.append(
                f"  {step.name.ljust(width)}  {kind}: {step.input_shape} -> {step.output_shape}"
            )
            out += [f"  {'':{width}}    {note}" for note in notes]
        return out


def _layer_notes(layer, shape_in, shape_out, m) -> tuple[str, tuple[str, ...]]:
    from . import layers as L

    if isinstance(layer, L.Convolution):
        fn, c, fh, fw = layer.W.shape
        window = window2d(shape_in[1:], (fh, fw), layer.stride, layer.pad, layer.dilation)
        kind = m["conv_layer"].format(
            filters=fn,
            c=c,
            fh=fh,
            fw=fw,
            stride=_stride_text(window.stride),
            pad=_pad_text(window.pads),
        )
        return kind, (*_size_lines(window), m["conv_channels"].format(fn))
    if isinstance(layer, L.Pooling):
        window = window2d(
            shape_in[1:], layer.pool, layer.stride, layer.pad, layer.dilation, layer.ceil_mode
        )
        kind = m["pool_layer"].format(
            mode=m[layer.mode],
            ph=layer.pool[0],
            pw=layer.pool[1],
            stride=_stride_text(window.stride),
            pad=_pad_text(window.pads),
        )
        return kind, (*_size_lines(window), m["pool_channels"].format(shape_in[0]))
    flat = "*".join(map(str, shape_in)) + f" = {int(np.prod(shape_in))}"
    if isinstance(layer, L.Affine):
        n_in, n_out = layer.W.shape
        if len(shape_in) > 1:
            text = m["affine_flat"].format(shape=shape_in, size=flat, n_in=n_in, n_out=n_out)
        else:
            text = m["affine"].format(n_in=n_in, n_out=n_out)
        return "Affine", (text,)
    if isinstance(layer, L.Flatten):
        return "Flatten", (m["flatten"].format(shape=shape_in, size=flat),)
    if isinstance(layer, L.GlobalAveragePooling):
        return "GlobalAveragePooling", (m["gap"].format(shape=shape_in, c=shape_in[0]),)
    return type(layer).__name__, (m["unchanged"],)


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


__all__ = [
    "explain_conv",
    "explain_pool",
    "explain_im2col",
    "explain_shape",
    "ConvExplanation",
    "ConvStep",
    "PoolExplanation",
    "PoolStep",
    "Im2colExplanation",
    "ShapeExplanation",
    "ShapeStep",
    "size_formula",
    "sum_of_products",
]
