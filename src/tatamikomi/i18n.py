"""Every English and Japanese string a learner reads: the one translation home.

The texts are grouped by area (``"explain"``, ``"demo"``, ``"figures"``, ``"diagrams"``), one
dict per area, each ``{language: {name: template}}``. A text is asked for by its namespaced key,
``"area.name"``, and filled in with :meth:`str.format`::

    >>> from tatamikomi import i18n
    >>> i18n.text("explain.output", "ja", shape="2x2", nested="[[12,14],[14,10]]")
    '出力データ (2x2): [[12,14],[14,10]]'
    >>> i18n.table("explain", "en")["the_filter"]         # a whole area, for many lookups
    'filter'
    >>> i18n.check_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be one of en, ja; got 'fr'

To add a string: put it under the same name in every language of its area (the tests fail
when a language lacks a name, or when two languages' templates ask for different ``{fields}``),
then ask for it with ``text("area.name", lang, **values)``. To add an area (the command line's
messages, the browser studio's labels), write its dict below and register it in ``AREAS``;
name its keys for what they say (``"studio.draw_digit"``). To add a language, add its code to
``LANGUAGES`` and its dict to every area.

The library's errors that a learner meets are raised with :func:`error` from the ``errors``
area: their message is the English text, and they keep its name and values, so that a command
line says them in the user's language with :func:`say`::

    >>> missing = i18n.error(FileNotFoundError, "model_missing", path="m.npz")
    >>> str(missing)
    'model file m.npz does not exist'
    >>> i18n.say(missing, "ja")
    'モデルファイル m.npz がありません'

A value that is itself a :class:`Said` (a text to be said later) or such an error is said in the
same language.

The lecture's own terms are kept where it has them: フィルタ, 積和計算, 特徴マップ, チャネル,
パディング, ストライド, プーリング.
"""

from __future__ import annotations

import string

LANGUAGES = ("en", "ja")

# ---------------------------------------------------------------------------------------------
# tatamikomi explain (tatamikomi.explain)

EXPLAIN = {
    "en": {
        "conv_title": "Convolution: input {input}, filter {filter}, stride {stride}, pad {pad}"
        "{bias}",
        "bias": ", bias {}",
        "input": "Input ({}):",
        "channel": "  channel {}:",
        "filter": "Filter ({}):",
        "filter_k": "Filter {k} of {n} ({shape}):",
        "image": "{c} channels of {hw}",
        "pads": "(top {top}, bottom {bottom}, left {left}, right {right})",
        "padded": "Input padded with zeros, {pad} on each side ({shape}):",
        "size": "Output size (H, W: input; FH, FW: {what}; P: padding; S: stride):",
        "rounded_down": "  ({numerator}/{stride} rounded down)",
        "rounded_up": "  ({numerator}/{stride} rounded up, as ceil_mode asks)",
        "the_filter": "filter",
        "the_window": "window",
        "slide": "Slide the {fh}x{fw} window over the input, {step} at a time. At each place, "
        "multiply the numbers that overlap and add the products up:",
        "slide_bias": "Slide the {fh}x{fw} window over the input, {step} at a time. At each "
        "place, multiply the numbers that overlap and add the products up, then add the bias:",
        "positions": "Positions (i,j) count from 0: (0,0) is the top-left element "
        "(row 1, column 1 on the slides).",
        "step1": "one step",
        "stepn": "{} steps",
        "bias_sum": "{sum}, {sum} + {bias} = {value}",
        "channels": "The input has {c} channels: the filter has a {fh}x{fw} slice for each, and "
        "the {c} sums are added into one output value.",
        "channel_sum": "      channel {c}: {terms} = {value}",
        "total": "      sum over channels: {terms} = {value}",
        "total_bias": "      sum over channels, plus the bias: {terms} = {value}",
        "output": "Output ({shape}): {nested}",
        "output_k": "Output of filter {k} ({shape}): {nested}",
        "output_c": "Output channel {k} ({shape}): {nested}",
        "filters": "{n} filters give an output of {n} channels: (FN, OH, OW) = {shape}.",
        "rounded": "(values shown to 4 significant digits)",
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
        "im2col_memory": "The price is memory: col holds {rows}*{cols} = {col_size:,} values, the "
        "input {x_terms} = {x_size:,}, {ratio:.1f} times as many (a value is copied once for "
        "every window that covers it).",
        "row": "image {n}, window at ({i}, {j})",
        "shape_title": "{model}: how the shape of one input {shape} changes, layer by layer",
        "arrow": "->",
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
        "flat_title": "Flattening for an Affine layer: one input {shape} becomes {terms} = "
        "{size} values in a row.",
        "flat_pixels": "Pixel {axes} = {at} and its neighbours, before and after flattening:",
        "flat_axes": "(row, column)",
        "flat_axes_c": "(channel, row, column)",
        "flat_at": "{at} -> position {index}",
        "flat_right": "the right neighbour, {gap} apart",
        "flat_below": "the pixel below, {gap} apart (one row of {w} values later)",
        "flat_diagonal": "below right, {gap} apart",
        "flat_channel": "the same place in the next channel, {gap} apart (one channel of {hw} "
        "values later)",
        "flat_lost": "The Affine layer sees {size} separate values: that {a} and {b} were "
        "neighbours in the image is not in its input. The spatial information is lost.",
        "flat_lost_row": "The Affine layer sees {size} separate values: the spatial information "
        "is lost.",
        "flat_conv": "A convolution layer keeps the shape: {shape} with {k}x{k} filters -> {out}, "
        "and each output value is computed from a {k}x{k} patch of neighbouring pixels.",
        "shift_title": "{mode} pooling {window}, stride {stride}, pad {pad}: an input, and the "
        "same input shifted {shift} (in pixels; zeros come in at the edge)",
        "shift_input": "Shifted input ({}):",
        "shift_right": "{} to the right",
        "shift_left": "{} to the left",
        "shift_down": "{} down",
        "shift_up": "{} up",
        "shift_and": " and ",
        "shift_none_given": "by 0",
        "shift_same": "the same",
        "shift_changed": "changed",
        "shift_outputs": "Output {before}, after the shift {after}",
        "shift_some": "{same} of the {total} outputs absorb the shift and {changed} do not: "
        "pooling can absorb a small shift of the data, but not always.",
        "shift_all": "All {total} outputs absorb the shift.",
        "shift_none": "None of the {total} outputs absorbs the shift.",
    },
    "ja": {
        "conv_title": "畳み込み演算: 入力 {input}、フィルタ {filter}、ストライド {stride}、"
        "パディング {pad}{bias}",
        "bias": "、バイアス {}",
        "input": "入力データ ({}):",
        "channel": "  チャネル {}:",
        "filter": "フィルタ ({}):",
        "filter_k": "フィルタ {k} / {n} ({shape}):",
        "image": "{c} チャネルの {hw}",
        "pads": "(上 {top}、下 {bottom}、左 {left}、右 {right})",
        "padded": "周囲に幅 {pad} の 0 を埋めた入力データ ({shape}):",
        "size": "出力サイズ(H, W:入力の高さ・幅/FH, FW:{what}の高さ・幅/P:パディング/"
        "S:ストライド):",
        "rounded_down": "({numerator}/{stride} は切り捨て)",
        "rounded_up": "({numerator}/{stride} は切り上げ: ceil_mode の指定)",
        "the_filter": "フィルタ",
        "the_window": "ウィンドウ",
        "slide": "{fh}x{fw} のウィンドウを {step}ずつスライドさせ、各位置で重なる要素を掛けて、"
        "その総和を求める(積和計算):",
        "slide_bias": "{fh}x{fw} のウィンドウを {step}ずつスライドさせ、各位置で重なる要素を"
        "掛けて、その総和を求め(積和計算)、さらにバイアスを加える:",
        "positions": "位置 (i,j) は 0 から数える: (0,0) が左上の要素(スライドの 1 行 1 列目)",
        "step1": "1 つ",
        "stepn": "{} つ",
        "bias_sum": "{sum}、{sum} + {bias} = {value}",
        "channels": "入力は {c} チャネル: フィルタもチャネルごとに {fh}x{fw} を持ち、"
        "{c} つの積和を加算して 1 つの出力にする。",
        "channel_sum": "      チャネル {c}: {terms} = {value}",
        "total": "      チャネルの和: {terms} = {value}",
        "total_bias": "      チャネルの和とバイアス: {terms} = {value}",
        "output": "出力データ ({shape}): {nested}",
        "output_k": "フィルタ {k} の出力 ({shape}): {nested}",
        "output_c": "出力のチャネル {k} ({shape}): {nested}",
        "filters": "フィルタが {n} 枚なので出力は {n} チャネル: (FN, OH, OW) = {shape}",
        "rounded": "(値は 4 桁に丸めて表示)",
        "pool_title": "{mode}プーリング: ウィンドウ {window}、ストライド {stride}、"
        "パディング {pad}、入力 {input}",
        "max": "最大値",
        "avg": "平均値",
        "pool_padded_max": "周囲に幅 {pad} の -inf を埋めた入力 ({shape}): "
        "パディングは最大値にならない",
        "pool_padded_avg": "周囲に幅 {pad} の 0 を埋めた入力 ({shape}): 0 も平均に含める",
        "pool_slide": "{ph}x{pw} のウィンドウを {step}ずつ動かし、各ウィンドウの{what}をとる:",
        "the_max": "最大値",
        "the_mean": "平均",
        "pool_note": "プーリングには学習するパラメータがなく、チャネル数({c})は変わらず、"
        "縦横方向の空間が小さくなる。",
        "im2col_title": "im2col: 入力 (N, C, H, W) = {shape}、フィルタ {fh}x{fw}、"
        "ストライド {stride}、パディング {pad}",
        "im2col_rows": "各行は 1 枚の画像の 1 つのウィンドウ位置: "
        "N*OH*OW = {n}*{oh}*{ow} = {rows} 行",
        "im2col_cols": "各列はウィンドウ内の 1 つの入力値(全チャネル分): "
        "C*FH*FW = {c}*{fh}*{fw} = {cols} 列",
        "im2col_shape": "したがって col.shape = (N*OH*OW, C*FH*FW) = ({rows}, {cols})",
        "im2col_matrix": "行列(行: 画像 n、ウィンドウ位置 (i, j)):",
        "im2col_more": "    ... 残り {} 行",
        "im2col_more_cols": "({cols} 列のうち最初の {shown} 列を表示)",
        "im2col_columns": "列 {start}-{end}: チャネル {c}、フィルタの (0,0) から ({i},{j}) まで、"
        "行ごとに",
        "im2col_product": "すると畳み込みは 1 回の行列積になる: col ({rows}, {cols}) @ "
        "W.reshape(FN, {cols}).T ({cols}, FN) = ({rows}, FN)。これを "
        "(N, OH, OW, FN) = ({n}, {oh}, {ow}, FN) に変形し、(N, FN, OH, OW) に転置する。",
        "im2col_memory": "その代わりメモリを使う: col の要素数は {rows}*{cols} = {col_size:,} 個、"
        "入力は {x_terms} = {x_size:,} 個で、{ratio:.1f} 倍になる(1 つの値が、それを含む"
        "ウィンドウの数だけコピーされるため)。",
        "row": "画像 {n}、ウィンドウ位置 ({i}, {j})",
        "shape_title": "{model}: 1 つの入力 {shape} の形状がレイヤごとにどう変わるか",
        "arrow": "→",
        "conv_layer": "{c}x{fh}x{fw} のフィルタ {filters} 枚、ストライド {stride}、"
        "パディング {pad}",
        "conv_channels": "チャネル数 = フィルタ数 = {}",
        "pool_layer": "{mode}プーリング {ph}x{pw}、ストライド {stride}、パディング {pad}",
        "pool_channels": "チャネル数は変わらない({})、パラメータなし",
        "unchanged": "形状は変わらない",
        "flatten": "{shape} を {size} 個の値に平坦化する",
        "affine": "{n_in} → {n_out}: W は ({n_in}, {n_out})、b は ({n_out},)",
        "affine_flat": "{shape} を {size} 個の値に平坦化してから {n_in} → {n_out}: "
        "W は ({n_in}, {n_out})",
        "gap": "各チャネルの平均: {shape} → ({c},)",
        "classes": "クラスごとに 1 つのスコア: {}",
        "flat_title": "Affine レイヤのための平坦化: 1 つの入力 {shape} が {terms} = {size} 個の"
        "値の列になる",
        "flat_pixels": "画素 {axes} = {at} と隣の画素の、平坦化の前後の位置:",
        "flat_axes": "(行, 列)",
        "flat_axes_c": "(チャネル, 行, 列)",
        "flat_at": "{at} → 位置 {index}",
        "flat_right": "右隣、位置の差は {gap}",
        "flat_below": "真下の画素、位置の差は {gap}(1 行分の {w} 個あと)",
        "flat_diagonal": "右下の画素、位置の差は {gap}",
        "flat_channel": "次のチャネルの同じ位置、位置の差は {gap}(1 チャネル分の {hw} 個あと)",
        "flat_lost": "Affine レイヤには {size} 個の別々の値として入り、{a} と {b} が画像の中で"
        "隣り合っていたことは入力に残らない: 空間情報が失われる。",
        "flat_lost_row": "Affine レイヤには {size} 個の別々の値として入る: 空間情報が失われる。",
        "flat_conv": "畳み込みレイヤは形状を保つ: {shape} に {k}x{k} のフィルタ → {out}。"
        "各出力は隣り合う {k}x{k} の画素から計算される。",
        "shift_title": "{mode}プーリング {window}、ストライド {stride}、パディング {pad}: 入力と、"
        "それを{shift} 画素ずらした入力(端からは 0 が入る)",
        "shift_input": "ずらした入力データ ({}):",
        "shift_right": "右に {}",
        "shift_left": "左に {}",
        "shift_down": "下に {}",
        "shift_up": "上に {}",
        "shift_and": "、",
        "shift_none_given": "0",
        "shift_same": "同じ",
        "shift_changed": "変わる",
        "shift_outputs": "出力 {before}、ずらした後 {after}",
        "shift_some": "{total} 個の出力のうち {same} 個はずれを吸収し、{changed} 個は吸収しない: "
        "データが多少ぶれてもプーリング処理で吸収できることがある(できない場合もある)。",
        "shift_all": "{total} 個の出力すべてがずれを吸収する。",
        "shift_none": "{total} 個の出力のどれもずれを吸収しない。",
    },
}

#: what a layer is called in the explanations (``explain shape``), by its class name; a class
#: not listed is called by its class name
LAYER_NAMES = {
    "en": {
        "Affine": "Affine",
        "Flatten": "Flatten",
        "GlobalAveragePooling": "GlobalAveragePooling",
        "Relu": "Relu",
        "Sigmoid": "Sigmoid",
        "Tanh": "Tanh",
        "Dropout": "Dropout",
        "BatchNormalization": "BatchNormalization",
    },
    "ja": {
        "Affine": "Affine",
        "Flatten": "平坦化",
        "GlobalAveragePooling": "グローバル平均プーリング",
        "Relu": "ReLU",
        "Sigmoid": "シグモイド",
        "Tanh": "双曲線正接",
        "Dropout": "ドロップアウト",
        "BatchNormalization": "バッチ正規化",
    },
}

# ---------------------------------------------------------------------------------------------
# tatamikomi demo (tatamikomi.demo)

DEMO = {
    "en": {
        "input": "Input (4x4):",
        "filter": "Filter (3x3):",
        "conv": "Convolution (pad 0, stride 1) -> 2x2:",
        "top_left": "  top-left element: {products} = {value}",
        "pad1": "With padding 1 the output stays 4x4:",
        "bias": "Adding a bias of 3 to every element:",
        "pad1_stride2": "Padding 1 and stride 2: the window moves 2 at a time, so the padded "
        "input gives 2x2 instead of the 4x4 of stride 1:",
        "stride2": "Stride 2 makes the output smaller: a {h}x{w} input and the 3x3 filter give "
        "{s1} with stride 1, {s2} with stride 2",
        "max_pool": "2x2 max pooling with stride 2:",
        "avg_pool": "2x2 average pooling:",
        "im2col": "im2col: batch {batch} with a 5x5 filter -> {col}"
        " (10 images x 3x3 positions = 90 rows, 3 channels x 5x5 = 75 columns)",
        "batches": "Batches: (N, C, H, W) = {x} with (FN, C, FH, FW) = {w} -> "
        "(N, FN, OH, OW) = {out}",
    },
    "ja": {
        "input": "入力データ (4x4):",
        "filter": "フィルタ (3x3):",
        "conv": "畳み込み演算(パディング 0、ストライド 1) → 2x2:",
        "top_left": "  左上の要素: {products} = {value}",
        "pad1": "パディング 1 → 出力も 4x4 のまま:",
        "bias": "バイアス 3 を加える:",
        "pad1_stride2": "パディング 1、ストライド 2: ウィンドウを 2 つずつ動かすので、"
        "ストライド 1 の 4x4 ではなく 2x2 になる:",
        "stride2": "ストライド 2 → 出力は小さくなる: {h}x{w} の入力と 3x3 のフィルタでは、"
        "ストライド 1 なら {s1}、ストライド 2 なら {s2}",
        "max_pool": "2x2 の最大値プーリング(ストライド 2):",
        "avg_pool": "2x2 の平均値プーリング:",
        "im2col": "im2col: バッチ {batch} と 5x5 フィルタ → {col}"
        " (画像 10 枚 × 位置 3x3 = 90 行、3 チャネル × 5x5 = 75 列)",
        "batches": "バッチ処理: (N, C, H, W) = {x} に (FN, C, FH, FW) = {w} → "
        "(N, FN, OH, OW) = {out}",
    },
}

# ---------------------------------------------------------------------------------------------
# Pictures of a network and its training (tatamikomi.viz.figures)

FIGURES = {
    "en": {
        "filters": "First-layer filters of {model} ({layer}, {n} filters of {size})",
        "before": "Before training (random)",
        "after": "After training",
        "trained": "Filters",
        "channel0": " (channel 0 of {c})",
        "maps": "Feature maps of one image through {model}",
        "input": "input",
        "maps_row": "{name}\n{shape}",
        "maps_more": "(first {shown} of {c} channels)",
        "curves": "Learning curves of {model}",
        "curves_plain": "Learning curves",
        "epoch": "epoch",
        "loss": "training loss",
        "accuracy": "accuracy",
        "train": "train",
        "test": "test",
        "confusion": "Confusion matrix on {n:,} test images (accuracy {acc:.2%})",
        "true": "true label",
        "predicted": "predicted label",
        "count": "number of images (log scale)",
        "errors": "Misclassified test images: {shown} of {errors:,} errors in {n:,}",
        "error": "true {true}\npred {pred} ({p:.0%})",
        "no_errors": "No test image was misclassified.",
    },
    "ja": {
        "filters": "{model} の第 1 レイヤのフィルタ({layer}、{size} のフィルタ {n} 枚)",
        "before": "学習前 (ランダム)",
        "after": "学習後",
        "trained": "フィルタ",
        "channel0": " ({c} チャネルのうちチャネル 0)",
        "maps": "{model} の各レイヤを通った 1 枚の画像の特徴マップ",
        "input": "入力",
        "maps_row": "{name}\n{shape}",
        "maps_more": "({c} チャネルのうち最初の {shown} チャネル)",
        "curves": "{model} の学習曲線",
        "curves_plain": "学習曲線",
        "epoch": "エポック",
        "loss": "訓練データの損失",
        "accuracy": "認識精度",
        "train": "訓練データ",
        "test": "テストデータ",
        "confusion": "テスト画像 {n:,} 枚の混同行列 (認識精度 {acc:.2%})",
        "true": "正解ラベル",
        "predicted": "予測ラベル",
        "count": "画像の枚数(対数目盛)",
        "errors": "誤認識したテスト画像: {n:,} 枚中の誤り {errors:,} 枚のうち {shown} 枚",
        "error": "正解 {true}\n予測 {pred} ({p:.0%})",
        "no_errors": "誤認識したテスト画像はない。",
    },
}

# ---------------------------------------------------------------------------------------------
# Diagrams of the lecture's operations (tatamikomi.viz.diagrams)

DIAGRAMS = {
    "en": {
        "im2col": "im2col: input {shape} with a {fh}x{fw} filter -> col {col} = (N*OH*OW, C*FH*FW)",
        "input": "input feature map (padded)",
        "input_plain": "input feature map",
        "channel": "channel {}",
        "col": "col: one row per window, one column per value under it",
        "slide": "Convolution: slide the {fh}x{fw} filter, stride {stride}, pad {pad}",
        "filter": "filter",
        "output": "output feature map",
        "step": "step {k} of {n}: output ({i}, {j})",
        "bias": " + bias {}",
        "pool": "{mode} pooling: {ph}x{pw} windows, stride {stride}, each in its own colour",
        "flatten": "Flattened for an Affine layer: {h}x{w} -> {size} values; the pixel below is "
        "{w} places away",
        "flat": "{size} values in a row",
        "channels": "Channels: every filter has one slice per input channel ({c}); {fn} filters "
        "give {fn} output channels",
        "channels_input": "input feature map\n(C, H, W) = {shape}",
        "channels_filter": "filters\n(FN, C, FH, FW) = {shape}",
        "channels_output": "output feature map\n(FN, OH, OW) = {shape}",
    },
    "ja": {
        "im2col": "im2col: 入力 {shape}、フィルタ {fh}x{fw} → col {col} = (N*OH*OW, C*FH*FW)",
        "input": "入力特徴マップ(パディング後)",
        "input_plain": "入力特徴マップ",
        "channel": "チャネル {}",
        "col": "col: 各行が 1 つのウィンドウ、各列がウィンドウ内の 1 要素",
        "slide": "畳み込み演算: {fh}x{fw} のフィルタをスライド"
        "(ストライド {stride}、パディング {pad})",
        "filter": "フィルタ",
        "output": "出力特徴マップ",
        "step": "{n} 回中 {k} 回目: 出力 ({i}, {j})",
        "bias": " + バイアス {}",
        "pool": (
            "{mode}プーリング: {ph}x{pw} のウィンドウ、"
            "ストライド {stride}(ウィンドウごとに色分け)"
        ),
        "flatten": "Affine レイヤのための平坦化: {h}x{w} → {size} 個の値、真下の画素は {w} 個先",
        "flat": "{size} 個の値の列",
        "channels": "チャネル: フィルタは入力の {c} チャネルそれぞれに 1 枚ずつを持ち、フィルタ "
        "{fn} 枚で出力は {fn} チャネルになる",
        "channels_input": "入力特徴マップ\n(C, H, W) = {shape}",
        "channels_filter": "フィルタ\n(FN, C, FH, FW) = {shape}",
        "channels_output": "出力特徴マップ\n(FN, OH, OW) = {shape}",
    },
}

# ---------------------------------------------------------------------------------------------
# Exercises for class (tatamikomi.exercises)

EXERCISES = {
    "en": {
        "q_oh": "A 7x7 input, a 3x3 filter, padding 0, stride 2: what is the output height OH?",
        "q_padded": "The lecture's 4x4 input and 3x3 filter with padding 1: what is the output "
        "element at (0, 3), the top-right corner?",
        "q_pool_shift": "Shift the lecture's 4x4 input one pixel to the right (a column of 0s "
        "comes in on the left). What does 2x2 max pooling with stride 2 give?",
        "q_shape": "SimpleConvNet and one MNIST image (1, 28, 28): what is the shape after the "
        "pooling layer Pool1?",
        "q_im2col": "im2col of a batch (4, 3, 8, 8) with a 3x3 filter, stride 1, padding 1: "
        "what is the shape of col?",
        "right": "Right: {answer}. {why}",
        "wrong": "Not quite: you gave {given}, the answer is {answer}. {why}",
    },
    "ja": {
        "q_oh": "7x7 の入力、3x3 のフィルタ、パディング 0、ストライド 2 のとき、出力の高さ OH は"
        "いくつか",
        "q_padded": "講義の 4x4 の入力と 3x3 のフィルタにパディング 1 を使うとき、出力の (0, 3) "
        "(右上の角) の要素はいくつか",
        "q_pool_shift": "講義の 4x4 の入力を右に 1 画素ずらす(左端から 0 の列が入る)。"
        "2x2 の最大値プーリング(ストライド 2)の結果はどうなるか",
        "q_shape": "SimpleConvNet に MNIST の画像 1 枚 (1, 28, 28) を入れたとき、プーリング層 "
        "Pool1 の後の形状はどうなるか",
        "q_im2col": "バッチ (4, 3, 8, 8) を 3x3 のフィルタ、ストライド 1、パディング 1 で im2col "
        "すると、col の形状はどうなるか",
        "right": "正解: {answer}。{why}",
        "wrong": "不正解: {given} ではなく {answer} です。{why}",
    },
}

#: the browser studio's page (served as JSON by ``GET /api/strings``; ``{name}`` is filled in
#: by the page). The lecture's terms: 入力特徴マップ, 出力特徴マップ, フィルタ, パディング,
#: ストライド, プーリング, 積和計算.
STUDIO = {
    "en": {
        'title': 'tatamikomi studio',
        'subtitle': (
            'Convolutional neural networks you can touch: every number computed by tatamikomi'
        ),
        'model': 'Model',
        'open_model': 'Open a model file…',
        'language': 'Language',
        'tab_draw': 'Draw a digit',
        'tab_network': 'Inside the network',
        'tab_playground': 'Lecture playground',
        'tab_training': 'Training',
        'draw_here': 'Draw a digit here',
        'draw_prompt': 'Draw a digit: the canvas is empty',
        'clear': 'Clear',
        'undo': 'Undo',
        'upload_image': 'Or upload an image (PNG, JPEG, PGM, .npy)',
        'seen': 'What the network sees ({size}, centred as in MNIST)',
        'prediction': 'Prediction',
        'probabilities': 'Probabilities (softmax)',
        'label': 'label',
        'test_images': 'Test images',
        'misclassified': 'Misclassified test images',
        'test_accuracy': 'test accuracy',
        'predicted_as': 'predicted {p}',
        'round_trip': 'computed in {ms} ms',
        'network_intro': (
            "Every layer's output for the image, in order. Click a cell of a convolution or "
            'pooling output to see how it was computed.'
        ),
        'input_image': 'Input',
        'output_shape': 'output shape',
        'channels_shown': '{shown} of {total} channels',
        'show_all': 'Show all {n} channels',
        'feature_map': 'output feature map',
        'input_feature_map': 'input feature map',
        'channel': 'channel',
        'explain_title': 'How this cell was computed',
        'explain_hint': 'Click a cell of a convolution or pooling output.',
        'window_on_input': 'The window on the input feature map (rows {r}, columns {c})',
        'filter': 'Filter',
        'products': 'Sum of products (積和計算)',
        'bias': 'Bias',
        'value': 'Value',
        'max_of_window': 'The largest value of the window',
        'mean_of_window': 'The mean of the window',
        'layer_computed': 'the layer computed',
        'no_explain': 'This layer has no windows: pick a convolution or pooling layer.',
        'draw_first': 'Draw a digit (or pick a test image) first.',
        'playground_intro': (
            "The slides' 4x4 input and 3x3 filter. Edit any number; change the padding, the "
            'stride, the filter size and the bias; step or play the window.'
        ),
        'input': 'Input',
        'padding': 'Padding',
        'stride': 'Stride',
        'filter_size': 'Filter size',
        'padded_input': 'Padded input',
        'output': 'Output',
        'step': 'Step',
        'play': 'Play',
        'pause': 'Pause',
        'reset': 'Reset',
        'output_size': 'Output size',
        'pooling': 'Pooling',
        'pool_window': 'Window',
        'pool_mode': 'Mode',
        'max': 'max',
        'avg': 'average',
        'im2col': 'im2col: each window becomes a row',
        'lecture_text': 'As the slides write it',
        'convolution': 'Convolution',
        'training_intro': (
            'Train a network here; the curves stream while it learns, and drawing keeps working.'
        ),
        'dataset': 'Dataset',
        'epochs': 'Epochs',
        'batch_size': 'Batch size',
        'optimizer': 'Optimizer',
        'learning_rate': 'Learning rate',
        'seed': 'Seed',
        'spec': 'JSON spec',
        'start': 'Start training',
        'resume': 'Resume',
        'stop': 'Stop',
        'loss': 'Loss',
        'accuracy': 'Accuracy',
        'train_acc': 'train',
        'test_acc': 'test',
        'first_filters': "First layer's filters ({layer})",
        'state_idle': 'Not started',
        'state_loading': 'Loading the data…',
        'state_running': 'Training',
        'state_paused': 'Paused',
        'state_stopping': 'Stopping after this step…',
        'state_finished': 'Finished',
        'state_stopped': 'Stopped',
        'state_failed': 'Failed',
        'saved_as': 'Saved as {name}',
        'use_model': 'Draw with it',
        'epoch': 'epoch',
        'step_n': 'step',
        'predict_with_training': (
            'Predictions can use the model being trained (pick “training” as the model).'
        ),
        'error': 'Error',
        'credit': (
            'MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0).'
        ),
    },
    "ja": {
        'title': 'tatamikomi スタジオ',
        'subtitle': 'さわれる畳み込みニューラルネット: すべての数値は tatamikomi が計算',
        'model': 'モデル',
        'open_model': 'モデルファイルを開く…',
        'language': '言語',
        'tab_draw': '数字を描く',
        'tab_network': 'ネットワークの中',
        'tab_playground': '講義のプレイグラウンド',
        'tab_training': '学習',
        'draw_here': 'ここに数字を描いてください',
        'draw_prompt': '数字を描いてください (キャンバスは空です)',
        'clear': '消去',
        'undo': '元に戻す',
        'upload_image': 'または画像をアップロード (PNG, JPEG, PGM, .npy)',
        'seen': 'ネットワークが見る画像 ({size}, MNIST と同じく中心合わせ)',
        'prediction': '予測',
        'probabilities': '確率 (ソフトマックス)',
        'label': '正解',
        'test_images': 'テスト画像',
        'misclassified': '誤分類されたテスト画像',
        'test_accuracy': 'テスト精度',
        'predicted_as': '予測 {p}',
        'round_trip': '計算時間 {ms} ms',
        'network_intro': (
            '画像に対する各層の出力 (順番どおり)。'
            '畳み込み層やプーリング層の出力のマスをクリックすると、その計算が見られます。'
        ),
        'input_image': '入力',
        'output_shape': '出力の形状',
        'channels_shown': '{total} チャネル中 {shown}',
        'show_all': '全 {n} チャネルを表示',
        'feature_map': '出力特徴マップ',
        'input_feature_map': '入力特徴マップ',
        'channel': 'チャネル',
        'explain_title': 'このマスの計算',
        'explain_hint': '畳み込み層かプーリング層の出力のマスをクリックしてください。',
        'window_on_input': '入力特徴マップ上のウィンドウ (行 {r}, 列 {c})',
        'filter': 'フィルタ',
        'products': '積和計算',
        'bias': 'バイアス',
        'value': '値',
        'max_of_window': 'ウィンドウ内の最大値',
        'mean_of_window': 'ウィンドウ内の平均',
        'layer_computed': '層が計算した値',
        'no_explain': (
            'この層にはウィンドウがありません: 畳み込み層かプーリング層を選んでください。'
            ''
        ),
        'draw_first': 'まず数字を描くか、テスト画像を選んでください。',
        'playground_intro': (
            'スライドの 4x4 の入力と 3x3 '
            'のフィルタ。数値は自由に書き換えられます。パディング、ストライド、フィルタサイズ、バイアスを変えて、ウィンドウを動かしてみましょう。'
        ),
        'input': '入力データ',
        'padding': 'パディング',
        'stride': 'ストライド',
        'filter_size': 'フィルタサイズ',
        'padded_input': 'パディング後の入力',
        'output': '出力データ',
        'step': '1 ステップ',
        'play': '再生',
        'pause': '一時停止',
        'reset': 'リセット',
        'output_size': '出力サイズ',
        'pooling': 'プーリング',
        'pool_window': 'ウィンドウ',
        'pool_mode': '種類',
        'max': 'Max',
        'avg': 'Average',
        'im2col': 'im2col: 各ウィンドウが 1 行になる',
        'lecture_text': 'スライドの書き方で',
        'convolution': '畳み込み演算',
        'training_intro': (
            'ここでネットワークを学習できます。'
            '学習中も曲線が更新され、数字の認識も続けられます。'
        ),
        'dataset': 'データセット',
        'epochs': 'エポック数',
        'batch_size': 'バッチサイズ',
        'optimizer': '最適化手法',
        'learning_rate': '学習率',
        'seed': 'シード',
        'spec': 'JSON スペック',
        'start': '学習を開始',
        'resume': '再開',
        'stop': '停止',
        'loss': '損失',
        'accuracy': '認識精度',
        'train_acc': '訓練',
        'test_acc': 'テスト',
        'first_filters': '1 層目のフィルタ ({layer})',
        'state_idle': '未開始',
        'state_loading': 'データを読み込み中…',
        'state_running': '学習中',
        'state_paused': '一時停止中',
        'state_stopping': 'このステップの後に停止…',
        'state_finished': '完了',
        'state_stopped': '停止',
        'state_failed': '失敗',
        'saved_as': '{name} に保存しました',
        'use_model': 'このモデルで描く',
        'epoch': 'エポック',
        'step_n': 'ステップ',
        'predict_with_training': '学習中のモデルでも予測できます (モデルで「training」を選択)。',
        'error': 'エラー',
        'credit': 'MNIST: Yann LeCun, Corinna Cortes, Christopher J. C. Burges (CC BY-SA 3.0)。',
    },
}

# ---------------------------------------------------------------------------------------------
# the command line (tatamikomi.cli): help, messages, errors; argparse's own words

CLI = {
    "en": {
        # argparse's fixed words
        "usage": "usage: ",
        "positionals": "positional arguments",
        "optionals": "options",
        "help": "show this help message and exit",
        "version": "show program's version number and exit",
        "error": "error",
        "default": "(default: {default})",
        "argument": "argument {name}: {message}",
        "invalid_choice": "invalid choice: {value} (choose from {choices})",
        "invalid_value": "invalid {type} value: {value}",
        "expected_one": "expected one argument",
        "required": "the following arguments are required: {names}",
        "unrecognized": "unrecognized arguments: {names}",
        # the main parser
        "description": "Convolutional neural networks from scratch in NumPy "
        "(畳み込みニューラルネット).",
        "debug": "show the Python traceback of an unexpected error (else it is one line)",
        "lang": "language of every message and help: en or ja (default: from the locale, "
        "LC_ALL / LC_MESSAGES / LANG)",
        "interrupted": "interrupted",
        "unexpected": "{kind}: {error} (unexpected; rerun with tatamikomi --debug {command} ... "
        "to see the traceback)",
        # the shared argument helpers
        "pair": "give one whole number or two (h,w); got {text}",
        "pair_count": "give one number or two (h,w); got {text}",
        "shape": "a shape is numbers separated by commas; got {text}",
        "stride": "stride",
        "stride_window": "stride (default: the window size)",
        "pad": "padding",
        "model_file": "model file saved by `tatamikomi train`",
        "at_least": "{option} must be at least {minimum}; got {value}",
        "force": "replace the output file if it exists",
        "dataset": "mnist, fashion-mnist, mnist-mini, or a folder of IDX files / a .npz file "
        "(default: {default})",
        "data_dir": "folder that holds the dataset's four IDX files",
        "no_download": "never download (also: TATAMIKOMI_OFFLINE=1)",
        # shared errors (what kind of problem, then the library's own detail)
        "is_folder": "{path} is a folder; give a file name, e.g. {example}",
        "companion_folder": "{path} is a folder, and {given} is written with a file of that name "
        "beside it; move the folder away or give -o another name",
        "exists": "{path} already exists and was left as it is; {hint}",
        "exists_hint": "pass --force to replace it",
        "no_folder": "the folder {folder} does not exist; create it first: mkdir -p {folder}",
        "read_only": "cannot write in {folder} (permission denied); choose another folder",
        "model_unreadable": "{detail}",
        "unknown_model": "{detail}",
        "image_problem": "{detail}",
        "data_problem": "{detail}",
        "mini_hint": ". Or use the 1,000 test images bundled with tatamikomi: --dataset mnist-mini",
        # tatamikomi train
        "train_help": "train a CNN on MNIST (or another dataset) and save it",
        "train_description": "Train a CNN and save it (architecture, weights, history) in one "
        "file. MNIST is found locally ($TATAMIKOMI_DATA, the cache) or downloaded; offline, the "
        "bundled mnist-mini subset is used. Ctrl-C saves a checkpoint; --resume continues it. "
        "What the options leave unsaid comes from the model's recipe (tatamikomi.train.recipes), "
        "measured on MNIST: SimpleConvNet {s_epochs} epochs, Adam {s_lr}, shifts of {s_shift} px "
        "(99.2 %); DeepConvNet {d_epochs} epochs, Adam {d_lr}, shifts of {d_shift} px (99.5 %); "
        "a JSON spec {j_epochs} epochs, Adam {j_lr}, no shifts. All: batch 100, a cosine "
        "schedule, seed 0.",
        "recipe": "(default: the model's recipe)",
        "train_model": "SimpleConvNet, DeepConvNet, or a JSON spec file (default: {default})",
        "train_dataset_default": "mnist, else the bundled mnist-mini",
        "epochs": "epochs to train {recipe}; with --resume, the new total, and a cosine schedule "
        "is stretched to it",
        "batch_size": "mini-batch size {recipe}",
        "optimizer": "optimizer, any case {recipe}",
        "lr": "learning rate {recipe}",
        "weight_decay": "weight decay {recipe}",
        "schedule": "learning-rate schedule; cosine goes down to 0 at the end {recipe}",
        "augment_shift": "move each training image by up to this many pixels, at random {recipe}",
        "seed": "random seed {recipe}",
        "output": "model file (default: {default})",
        "resume": "continue training from this file, with its own settings and saving back into "
        "it (only --epochs and the data options apply)",
        "quiet": "print only the result",
        "numbers_example": "{error}, e.g. --lr 0.001 or --weight-decay 0.0001",
        "mini_data_dir": "--data-dir {data_dir} is not used by mnist-mini (bundled with "
        "tatamikomi); to use the dataset in that folder pass --dataset {data_dir}",
        "fallback": "MNIST is not here and could not be downloaded ({why}). Training on "
        "mnist-mini instead (6,000 of its images, bundled with tatamikomi); for the full MNIST, "
        "copy its four files into {folder} or set TATAMIKOMI_DATA.",
        "data_line": "data: {name} from {source}: {train:,} training and {test:,} test images",
        "mini_source": "tatamikomi's package",
        "looked_in": "looked in {folders}",
        "model_line": "model: {model}, {count:,} parameters; {optimizer}, {schedule} schedule, "
        "batch {batch}, {epochs} {epoch_word}{shifts}",
        "epoch_one": "epoch",
        "epoch_many": "epochs",
        "shifts": ", shifts of up to {shift} px",
        "output_hint": "choose another --output, pass --force to replace it, or --resume "
        "{output} to continue its training",
        "resume_refused": "{given} cannot change a resumed run: it keeps its own settings "
        "({optimizer} lr {lr:g}, batch {batch}, {schedule} schedule, seed {seed}) and saves back "
        "into {path}. With --resume only --epochs, --dataset/--data-dir/--no-download and --quiet "
        "apply; to keep the checkpoint as it is, copy it first and resume the copy",
        "moved_dataset": "{path} was trained on {stored}, which no longer exists; pass --dataset "
        "with where {base} is now",
        "no_resume": "cannot resume: {path} does not exist",
        "finished": "{path} has finished its {epochs} {epoch_word}; pass --epochs N (more than "
        "{done}) to train further",
        "resuming": "resuming {path} at epoch {epoch}, step {step}",
        "continue": "\ncontinue with: tatamikomi train --resume {output}",
        "appeared": "{error} It appeared while this run trained and was kept; this run's model "
        "was not saved",
        "result": "test accuracy {acc:.2%} after {epochs} {epoch_word}; saved to {output}",
        "next": "next: tatamikomi evaluate {output}   |   tatamikomi predict {output} IMAGE.png",
        # tatamikomi evaluate, predict, summary, import-book
        "unfinished_note": "note: {path} is {what}",
        "unfinished": "unfinished: {done} of {epochs} {epoch_word} done, {steps} steps into the "
        "next; continue with: tatamikomi train --resume {path}",
        "evaluated": "{path} on {name} test set ({count:,} images, from {source})",
        "accuracy_line": "accuracy {acc:.2%}   loss {loss:.4f}   errors {errors}",
        "class_line": "  {label}  {acc:7.2%}  ({count} images)",
        "grey_only": "predict reads grey images; this model does not take (1, H, W) input",
        "image_size": "the model takes {height}x{width} images",
        "unsure": "{path}: only {top:.0%} sure (below {limit:.0%}); look at what the network saw "
        "with --show seen.png, and write the digit larger and darker, alone on plain paper",
        "wrote_seen": "wrote {path}: what the network saw ({count} {image_word}, 28x28 each)",
        "image_one": "image",
        "image_many": "images",
        "trained_on": "trained on {dataset}: {optimizer} (lr {lr:g}), {schedule} schedule, batch "
        "{batch}, {epochs} {epoch_word}{shifts}, seed {seed}",
        "arrays": "arrays",
        "history_header": "epoch   loss     train acc  test acc  seconds",
        "replace_hint": "{error} (pass --force to replace it)",
        "imported": "imported the book's {model} from {params} into {output}",
        "evaluate_help": "accuracy of a saved model on a test set",
        "evaluate_description": "Measure a saved model's accuracy and loss on the test set it "
        "was trained for (or --dataset), overall and per class.",
        "own_dataset": "the model's own",
        "eval_batch": "images per forward pass",
        "predict_help": "classify image files with a saved model",
        "predict_description": "Classify images (PNG, PGM/PPM, .npy; JPEG, BMP, GIF, WebP and "
        "TIFF with Pillow), photos of handwriting too. Each is turned into a 28x28 grey image like "
        "MNIST's: the paper's uneven light divided away, a dark digit on light paper inverted, the "
        "digit found, scaled to 20 pixels and centred by its centre of mass. A prediction under "
        "80 %% sure is flagged.",
        "images": "image files",
        "top": "how many classes to list",
        "show": "save the 28x28 images the network saw, side by side",
        "summary_help": "layers, output shapes and parameters of a model",
        "summary_description": "Print each layer's output shape and parameter count, and the "
        "training history of a saved model. MODEL is a model file, a model name or a JSON spec.",
        "summary_model": "model file, SimpleConvNet, DeepConvNet or spec.json",
        "book_help": "import a params.pkl saved by the book's code",
        "book_description": "Import the weights of the book's SimpleConvNet or DeepConvNet from "
        "its params.pkl. The pickle is read without running code: only a dict of numeric arrays "
        "is accepted.",
        "book_params": "the book's params.pkl",
        "book_model": "the network (default: recognised from the arrays)",
        "book_output": "model file to write (default: PARAMS.npz)",
        # demo, explain, plot (their kinds' own help stays in cli/lecture.py)
        "demo_help": "compute and print the lecture's worked examples",
        "demo_description": "Compute and print the lecture's worked examples: convolution, "
        "padding, stride, bias, pooling and im2col.",
        "explain_help": "explain convolution, pooling, im2col, flattening, a shift or a model's "
        "shapes step by step",
        "explain_description": "Compute an operation and print every step as the lecture writes "
        "it: each output element as a sum of products, the output-size formula with the numbers "
        "filled in, each pooling window, the im2col matrix, the shape through a model. Arrays are "
        'typed with rows separated by ";", values by "," and channels by "|" (e.g. --input '
        '"1,2,3,4;4,3,2,1;0,1,2,3;3,2,1,2"), or read from a .npy file.',
        "plot_help": "draw pictures: filters, feature maps, learning curves, confusion matrix, "
        "errors, im2col, the sliding window",
        "plot_description": "Draw a picture into a PNG (the sliding window: an animated GIF). "
        "Needs the viz extra: pip install 'tatamikomi[viz]'. --lang ja draws Japanese labels in a "
        "Japanese font. An existing file is kept unless --force.",
        # export, import
        "export_help": "write a model as ONNX (.onnx) or PyTorch (.pt + .py)",
        "export_description": "Write a saved model for other tools: model.onnx (ONNX, with a "
        "dynamic batch axis; the classes and preprocessing as metadata), or model.pt (the "
        "PyTorch state_dict) with model.py beside it, which rebuilds the nn.Sequential. Needs pip "
        'install "tatamikomi[onnx]" or "tatamikomi[torch]".',
        "export_model": "model file saved by `tatamikomi train` (or SimpleConvNet, DeepConvNet, "
        "spec.json: a new, untrained model)",
        "export_output": "model.onnx, or model.pt (model.py is written too)",
        "export_force": "replace the output file(s)",
        "opset": "ONNX opset (default: {default})",
        "softmax": "ONNX: end with Softmax (probabilities, not scores)",
        "import_help": "read an ONNX file or a model.pt into a tatamikomi model file",
        "import_description": "Read model.onnx (a chain of the supported operators) or model.pt "
        "(with the model.py that `tatamikomi export` wrote beside it) into a model file that "
        "evaluate, predict, summary, explain and plot take.",
        "import_source": "model.onnx or model.pt",
        "import_output": "model file to write (default: SOURCE.npz)",
        "input_shape": "one example's shape, if the file does not say it",
        "export_suffix": "write {path} as .onnx or .pt (the output's suffix says which format)",
        "import_suffix": "read {path} as .onnx or .pt (the suffix says which)",
        "input_shape_form": "--input-shape takes C,H,W such as 1,28,28; got {text}",
        "exported": "wrote {written}: {model}, input (N, {shape})",
        "imported_model": "wrote {output}: {count} layers, input (N, {shape})",
        "and": " and ",
        # serve
        "serve_help": "open the browser studio: draw a digit, see inside the network, train",
        "serve_description": "Serve the studio, a local web page where every number is computed "
        "by tatamikomi: draw a digit and see the prediction and every layer's output, click a "
        "cell to see its sum of products, play with the lecture's convolution and pooling, and "
        "train a network live. With no MODEL, a SimpleConvNet trained on MNIST (99.1 %) is "
        "served. It listens on 127.0.0.1 only, unless --host says otherwise.",
        "serve_models": "model files (.npz), the book's params.pkl, SimpleConvNet, DeepConvNet or "
        "spec.json",
        "port": "port (default: {default}; 0: any free one)",
        "host": "address to listen on (default: {default}, this machine only)",
        "page_lang": "the page's first language (default: the command line's)",
        "open": "open the page in the web browser",
        "save_dir": "folder for the models trained in the studio (default: here)",
        "not_a_folder": "--save-dir {path} is not a folder; create it first",
        "cannot_listen": "cannot listen on {host}:{port} ({why}); try --port 0",
        "port_range": "--port must be from 0 to 65535; got {port}",
        "open_to_all": "warning: listening on {host}: anyone who can reach this machine can use "
        "the studio (and train on it). Use --host 127.0.0.1 to keep it to yourself.",
        "studio_at": "tatamikomi studio: {url}  (Ctrl-C stops it)",
        "stopping": "stopping…",
        "studio_stopped": "the training was stopped; its checkpoint is in {path} (continue with: "
        "tatamikomi train --resume {path})",
        # book
        "runbook_help": "run one of the book's scripts unchanged (ゼロから作るDeep Learning)",
        "runbook_description": "Run a script of the book's repository (e.g. "
        "ch07/train_convnet.py) unchanged: its imports of dataset.mnist, common.* (layers, "
        "functions, util, optimizer, trainer, gradient), simple_convnet and deep_convnet are "
        "served by tatamikomi (fast engine, MNIST from tatamikomi's mirrors or mnist-mini "
        "offline). Files the script saves never replace existing ones unless --overwrite is "
        "given. Options go before the script.",
        # explain's and plot's kinds
        "arg_image": "the image (H, W) or (C, H, W), as text or .npy",
        "arg_image_2d": "the image (H, W), as text or .npy",
        "window_size": "window size",
        "pool_mode": "max or avg",
        "filter_size": "filter size",
        "plot_output": "file to write (default: {default})",
        "dpi": "resolution in dots per inch",
        "explain_conv_help": "a convolution, element by element",
        "explain_conv_description": "Explain a convolution of one image. Without --input and "
        "--filter, the lecture's 4x4 input and 3x3 filter. A multi-channel input sums over "
        "channels.",
        "explain_conv_filter": "the filter (FH, FW), (C, FH, FW) or (FN, C, FH, FW), as text or "
        ".npy",
        "explain_bias": "bias added to every output (default: none)",
        "explain_pool_help": "max or average pooling, window by window",
        "explain_pool_description": "Explain max or average pooling of one image (by default "
        "the lecture's 4x4 input with a 2x2 window and stride 2).",
        "explain_im2col_help": "the im2col matrix and its shape",
        "explain_im2col_description": "Explain im2col: which window each row comes from and why "
        "the matrix is (N*OH*OW, C*FH*FW). By default the lecture's example, a (10, 3, 7, 7) "
        "batch of random numbers with a 5x5 filter, which gives (90, 75).",
        "explain_im2col_input": "an image or batch, as text or .npy",
        "explain_im2col_shape": "a batch shape N,C,H,W filled with random numbers",
        "explain_filter_size": "filter size, e.g. 5",
        "explain_rows": "rows of the matrix to show",
        "explain_shape_help": "how a model changes the shape, layer by layer",
        "explain_shape_description": "Explain the shape of one input through each layer of a "
        "model, with the output-size formula of each convolution and pooling layer.",
        "explain_shape_input": "one input's shape C,H,W (default: the model's)",
        "explain_flatten_help": "where neighbouring pixels go when an Affine layer flattens its "
        "input",
        "explain_flatten_description": "Explain flattening for an Affine layer: where a pixel and "
        "its neighbours land in the flattened vector (the pixel below is W places away), and the "
        "shape a convolution keeps instead.",
        "explain_flatten_input": "one input's C,H,W",
        "explain_pixel": "row,column (or channel,row,column); default: the middle",
        "explain_shift_help": "pooling of an input and of the same input shifted by a pixel",
        "explain_shift_description": "Explain how pooling takes a small shift of its input: the "
        "lecture's 4x4 input (or --input) and the same input moved by --shift pixels, window by "
        "window. Some outputs absorb the shift, some do not.",
        "explain_shift": "down,right in pixels, negative for up or left (--shift=-1,0)",
        "input_or_shape": "give --input or --shape, not both",
        "array_missing": "{name} file {text} does not exist",
        "array_unreadable": "{name} file {text} is not a readable .npy array: {error}",
        "array_dtype": "{name} file {text} holds {dtype}, not numbers",
        "array_row": "{name}: row {row} ({text!r}) is not a list of numbers; write rows separated "
        'by ";" and values by ",", e.g. "1,2,3;4,5,6"',
        "array_row_size": "{name}: row {row} has {values} but row 1 has {first}; every row needs "
        "the same number",
        "array_value_one": "1 value",
        "array_value_many": "{count} values",
        "array_channel": "{name}: channel {channel} is {size} but channel 1 is {first}; channels "
        "must have the same size",
        "need_filter_size": "give the filter size with --filter-size, e.g. 3 or 5,5",
        "plot_filters_help": "first-layer filters, random before training and learned after",
        "plot_filters_description": "Draw the first convolution layer's filters: above, those of "
        "the same network freshly initialised (random); below, the trained ones.",
        "plot_no_random": "draw only the trained filters",
        "plot_seed": "seed of the random filters",
        "plot_maps_help": "one image through each convolution and pooling layer",
        "plot_maps_description": "Draw what each convolution and pooling layer makes of one "
        "image: a test image (--index) or an image file (--image, prepared as `predict` does).",
        "plot_index": "test image number",
        "plot_image": "an image file instead of a test image",
        "plot_max_channels": "channels to draw per layer (0: all of them)",
        "plot_curves_help": "learning curves from the model's saved history",
        "plot_curves_description": "Draw the training loss and the train and test accuracy of "
        "each epoch, as saved in the model file.",
        "plot_confusion_help": "confusion matrix on the test set",
        "plot_confusion_description": "Draw the confusion matrix of the model on its test set "
        "(or --dataset).",
        "plot_errors_help": "a grid of misclassified test images",
        "plot_errors_description": "Draw the test images the model gets wrong, the most "
        "confident mistakes first, with their true and predicted labels.",
        "plot_count": "how many to draw",
        "plot_im2col_help": "a diagram of im2col for a small example",
        "plot_im2col_description": "Draw the windows of a small input and the im2col matrix they "
        "become (default: the lecture's 4x4 input and a 3x3 filter).",
        "plot_pool_help": "pooling's windows and their maxima on the lecture's input",
        "plot_pool_description": "Draw max (or average) pooling: each window over the input "
        "feature map in its own colour, the value that wins, and the output feature map "
        "(default: the lecture's 4x4 input, 2x2 windows, stride 2).",
        "plot_flatten_help": "an image flattened for an Affine layer: neighbours end up W apart",
        "plot_flatten_description": "Draw the lecture's 4x4 input flattened into one row, each "
        "image row in its own colour, a pixel and the one below it outlined in both.",
        "plot_pixel": "row,column to outline",
        "plot_channels_help": "channels as blocks: (C, H, W) with (FN, C, FH, FW) filters gives "
        "(FN, OH, OW)",
        "plot_channels_description": "Draw an input of several channels, the filters (one FH x "
        "FW slice per input channel) and the output, one channel per filter, with every shape "
        "labelled.",
        "plot_channels_input": "C,H,W of the input",
        "plot_filters": "number of filters FN",
        "plot_filter_fh": "filter size FH = FW",
        "plot_slide_help": "an animated GIF of the filter window sliding over the input",
        "plot_slide_description": "Animate a convolution: the filter window moves over the "
        "(padded) input, and each frame shows the sum of products and the output so far "
        "(default: the lecture's 4x4 input and 3x3 filter).",
        "plot_slide_filter": "the filter (FH, FW), as text or .npy",
        "plot_bias": "bias (default: none)",
        "plot_duration": "milliseconds per frame",
        "max_channels": "--max-channels must be 0 (all) or more; got {value}",
        "index_range": "--index must be between 0 and {last}; got {value}",
        "gif_only": "the animation is written as a GIF; give -o NAME.gif, not {output}",
        "picture_suffix": "give -o NAME{wanted} (or .svg, .pdf); got {output}",
        "wrote": "wrote {output}",
        # the library's errors as a command says them
        "prepared_range": "{path}: its pixels after preparation lie in [{low}, {high}], not "
        "in 0..255; give an 8-bit image (PNG, JPEG) or a .npy of values 0..255",
        "weights_not_finite": "its weights {names} hold NaN or infinity (a diverged or damaged "
        "model; train or import it again)",
        "scores_overflowed": "the scores overflowed (check the model's preprocessing, divide_by "
        "{divide_by!r})",
        "scores_not_finite": "{where} gives NaN or infinite scores for {what}: {why}",
        "the_test_set": "the {name} test set",
        "model_misfit": "{path} does not fit {name}: {error}",
        "mini_measure_dir": "--data-dir {data_dir} is not used by mnist-mini, the dataset {path} "
        "was trained on (bundled with tatamikomi); to measure it on the dataset in that folder "
        "pass --dataset {data_dir}",
        # issue 20 (export and import)
        "export_dtype": "the ONNX file's numbers: float32 (default; what onnxruntime runs) or "
        "float64 (onnxruntime's CPU provider has no float64 convolution); ONNX only",
        "onnx_cast": "the model's {model_dtype} parameters were written as {dtype}, which "
        "onnxruntime runs (--dtype float64 keeps them as they are)",
        "onnx_float64": "note: the file is float64; onnxruntime's CPU provider cannot run float64 "
        "convolutions (Conv), so run it with ONNX's reference evaluator, or export float32",
        # issue 20 (files, data and specs)
        "downloads_off": "downloads are off",
        "test_image_fallback": "{name}'s test set is not here and could not be downloaded "
        "({why}); showing test image {index} of the bundled mnist-mini instead. For {name}'s "
        "own, copy {files} into {folder} or set TATAMIKOMI_DATA.",
    },
    "ja": {
        "usage": "使い方: ",
        "positionals": "位置引数",
        "optionals": "オプション",
        "help": "このヘルプを表示して終了する",
        "version": "バージョンを表示して終了する",
        "error": "エラー",
        "default": "(既定値: {default})",
        "argument": "引数 {name}: {message}",
        "invalid_choice": "選べない値です: {value}(選べるのは {choices})",
        "invalid_value": "値が正しくありません(`{type}`): {value}",
        "expected_one": "値を 1 つ指定してください",
        "required": "次の引数が必要です: {names}",
        "unrecognized": "認識できない引数です: {names}",
        "description": "NumPy でゼロから作る畳み込みニューラルネット (CNN)。",
        "debug": "予期しないエラーのときに Python のトレースバックを表示する(指定しなければ 1 行)",
        "lang": "すべてのメッセージとヘルプの言語: en または ja(既定値: ロケール、"
        "LC_ALL / LC_MESSAGES / LANG から)",
        "interrupted": "中断しました",
        "unexpected": "{kind}: {error}(予期しないエラーです。トレースバックを見るには "
        "tatamikomi --debug {command} ... で実行し直してください)",
        "pair": "整数を 1 つか 2 つ (h,w) 指定してください。指定された値: {text}",
        "pair_count": "数を 1 つか 2 つ (h,w) 指定してください。指定された値: {text}",
        "shape": "形状はカンマで区切った数で指定します。指定された値: {text}",
        "stride": "ストライド",
        "stride_window": "ストライド(既定値: ウィンドウの大きさ)",
        "pad": "パディング",
        "model_file": "`tatamikomi train` で保存したモデルファイル",
        "at_least": "{option} は {minimum} 以上にしてください。指定された値: {value}",
        "force": "出力ファイルがあれば置き換える",
        "dataset": "mnist、fashion-mnist、mnist-mini、または IDX ファイルのフォルダ / .npz "
        "ファイル(既定値: {default})",
        "data_dir": "データセットの 4 つの IDX ファイルがあるフォルダ",
        "no_download": "ダウンロードしない(TATAMIKOMI_OFFLINE=1 でも同じ)",
        "is_folder": "{path} はフォルダです。ファイル名を指定してください(例: {example})",
        "companion_folder": "{path} はフォルダです。{given} には同じ名前のファイルを隣に書き出す"
        "ので、フォルダを移動するか、-o に別の名前を指定してください",
        "exists": "{path} はすでにあるので、そのまま残しました。{hint}",
        "exists_hint": "置き換えるには --force を付けてください",
        "no_folder": "フォルダ {folder} がありません。先に作成してください: mkdir -p {folder}",
        "read_only": "{folder} に書き込めません(権限がありません)。別のフォルダを選んでください",
        "model_unreadable": "モデルファイルを読み込めません。tatamikomi train で保存したファイル"
        "か確認してください: {detail}",
        "unknown_model": "そのモデルはありません。SimpleConvNet、DeepConvNet、JSON の仕様ファイル"
        "、または保存したモデルファイルを指定してください: {detail}",
        "image_problem": "画像を使えません。数字がはっきり写った PNG か JPEG を指定してください: "
        "{detail}",
        "data_problem": "データを読み込めません: {detail}",
        "mini_hint": "。tatamikomi に同梱のテスト画像 1,000 枚を使うこともできます: "
        "--dataset mnist-mini",
        "train_help": "CNN を MNIST(または別のデータセット)で学習して保存する",
        "train_description": "CNN を学習し、構造・重み・履歴を 1 つのファイルに保存します。"
        "MNIST は手元($TATAMIKOMI_DATA、キャッシュ)から探すか、ダウンロードします。"
        "オフラインのときは同梱の mnist-mini を使います。Ctrl-C でチェックポイントを保存し、"
        "--resume で続きから学習します。オプションで指定しなかった値はモデルのレシピ "
        "(tatamikomi.train.recipes) に従います(MNIST で測定): SimpleConvNet は {s_epochs} "
        "エポック、Adam の学習率 {s_lr}、最大 {s_shift} px のずらし (99.2 %)。DeepConvNet は "
        "{d_epochs} エポック、Adam の学習率 {d_lr}、最大 {d_shift} px のずらし (99.5 %)。JSON "
        "の仕様は {j_epochs} エポック、Adam の学習率 {j_lr}、ずらしなし。いずれもバッチ 100、"
        "コサインスケジュール、シード 0。",
        "recipe": "(既定値: モデルのレシピ)",
        "train_model": "SimpleConvNet、DeepConvNet、または JSON の仕様ファイル"
        "(既定値: {default})",
        "train_dataset_default": "mnist、なければ同梱の mnist-mini",
        "epochs": "学習するエポック数 {recipe}。--resume と一緒に指定すると新しい合計で、"
        "コサインスケジュールもそれに合わせて伸びる",
        "batch_size": "ミニバッチの大きさ {recipe}",
        "optimizer": "最適化手法(大文字・小文字は問わない) {recipe}",
        "lr": "学習率 {recipe}",
        "weight_decay": "荷重減衰 {recipe}",
        "schedule": "学習率のスケジュール。cosine は最後に 0 まで下がる {recipe}",
        "augment_shift": "訓練画像をそれぞれ最大この画素数だけランダムにずらす {recipe}",
        "seed": "乱数のシード {recipe}",
        "output": "モデルファイル(既定値: {default})",
        "resume": "このファイルから学習を続ける。設定はファイルのものを使い、同じファイルに"
        "保存する(使えるのは --epochs とデータのオプションだけ)",
        "quiet": "結果だけを表示する",
        "numbers_example": "{error}(例: --lr 0.001 や --weight-decay 0.0001)",
        "mini_data_dir": "--data-dir {data_dir} は mnist-mini(tatamikomi に同梱)では使いません。"
        "そのフォルダのデータセットを使うには --dataset {data_dir} を指定してください",
        "fallback": "MNIST が手元になく、ダウンロードもできませんでした({why})。代わりに "
        "mnist-mini(tatamikomi に同梱の 6,000 枚)で学習します。MNIST 全体を使うには、4 つの"
        "ファイルを {folder} にコピーするか、TATAMIKOMI_DATA を設定してください。",
        "data_line": "データ: {name}({source}): 訓練画像 {train:,} 枚、テスト画像 {test:,} 枚",
        "mini_source": "tatamikomi に同梱の MNIST の一部",
        "looked_in": "探した場所: {folders}",
        "model_line": "モデル: {model}、パラメータ {count:,} 個。{optimizer}、{schedule} "
        "スケジュール、バッチ {batch}、{epochs} {epoch_word}{shifts}",
        "epoch_one": "エポック",
        "epoch_many": "エポック",
        "shifts": "、最大 {shift} px のずらし",
        "output_hint": "別の --output を指定するか、置き換えるなら --force、学習を続けるなら "
        "--resume {output} を指定してください",
        "resume_refused": "{given} は再開する学習を変えられません。学習は自分の設定"
        "({optimizer} 学習率 {lr:g}、バッチ {batch}、{schedule} スケジュール、シード {seed})"
        "のまま {path} に保存します。--resume と一緒に使えるのは --epochs、"
        "--dataset/--data-dir/--no-download、--quiet だけです。チェックポイントをそのまま"
        "残すには、先にコピーしてそのコピーを再開してください",
        "moved_dataset": "{path} は {stored} で学習しましたが、そこにはもうありません。"
        "{base} の今の場所を --dataset で指定してください",
        "no_resume": "再開できません: {path} がありません",
        "finished": "{path} は {epochs} {epoch_word}の学習を終えています。さらに学習するには "
        "--epochs N({done} より大きく)を指定してください",
        "resuming": "{path} をエポック {epoch} のステップ {step} から再開します",
        "continue": "\n続きから学習するには: tatamikomi train --resume {output}",
        "appeared": "{error} この学習の間に現れたファイルなので残しました。この学習のモデルは"
        "保存していません",
        "result": "テストデータの認識精度 {acc:.2%}({epochs} {epoch_word}学習後)。"
        "{output} に保存しました",
        "next": "次は: tatamikomi evaluate {output}   |   tatamikomi predict {output} IMAGE.png",
        "unfinished_note": "注意: {path} は{what}",
        "unfinished": "学習の途中です: {epochs} {epoch_word}のうち {done} が終わり、次のエポックの "
        "{steps} ステップまで進んでいます。続けるには: tatamikomi train --resume {path}",
        "evaluated": "{path}、{name} のテストデータ(画像 {count:,} 枚、{source})",
        "accuracy_line": "認識精度 {acc:.2%}   損失 {loss:.4f}   誤り {errors}",
        "class_line": "  {label}  {acc:7.2%}  (画像 {count} 枚)",
        "grey_only": "predict はグレースケールの画像を読みます。このモデルの入力は (1, H, W) "
        "ではありません",
        "image_size": "このモデルの入力は {height}x{width} の画像です",
        "unsure": "{path}: 確信度は {top:.0%} だけです({limit:.0%} 未満)。ネットワークが見た画像を "
        "--show seen.png で確かめ、数字を大きく濃く、無地の紙に 1 つだけ書いてください",
        "wrote_seen": "{path} に書き出しました: ネットワークが見た画像({count} {image_word}、"
        "各 28x28)",
        "image_one": "枚",
        "image_many": "枚",
        "trained_on": "学習に使ったデータ {dataset}: {optimizer}(学習率 {lr:g})、{schedule} "
        "スケジュール、バッチ {batch}、{epochs} {epoch_word}{shifts}、シード {seed}",
        "arrays": "配列",
        "history_header": "エポック  損失     訓練精度   テスト精度  秒",
        "replace_hint": "{error}(置き換えるには --force を付けてください)",
        "imported": "書籍の {model} を {params} から {output} に取り込みました",
        "evaluate_help": "保存したモデルのテストデータでの認識精度",
        "evaluate_description": "保存したモデルの認識精度と損失を、学習したときのテストデータ"
        "(または --dataset)で、全体とクラスごとに測ります。",
        "own_dataset": "モデルが学習したデータセット",
        "eval_batch": "1 回の順伝播で処理する画像の枚数",
        "predict_help": "保存したモデルで画像ファイルを分類する",
        "predict_description": "画像(PNG、PGM/PPM、.npy。Pillow があれば JPEG、BMP、GIF、WebP、"
        "TIFF も)を分類します。手書き数字の写真も使えます。どの画像も MNIST と同じ 28x28 の"
        "グレースケール画像にします: 紙の明るさのむらを割って除き、明るい紙の上の濃い数字は"
        "反転し、数字を見つけて 20 画素に縮め、重心で中央に置きます。確信度が 80 %% 未満の"
        "予測には印を付けます。",
        "images": "画像ファイル",
        "top": "表示するクラスの数",
        "show": "ネットワークが見た 28x28 の画像を並べて保存する",
        "summary_help": "モデルの層、出力の形状、パラメータ",
        "summary_description": "各層の出力の形状とパラメータ数、保存したモデルなら学習の履歴を"
        "表示します。MODEL はモデルファイル、モデルの名前、または JSON の仕様です。",
        "summary_model": "モデルファイル、SimpleConvNet、DeepConvNet または spec.json",
        "book_help": "書籍のコードで保存した params.pkl を取り込む",
        "book_description": "書籍の SimpleConvNet または DeepConvNet の重みを params.pkl から"
        "取り込みます。pickle はコードを実行せずに読み、数値の配列の辞書だけを受け付けます。",
        "book_params": "書籍の params.pkl",
        "book_model": "ネットワーク(既定値: 配列から判断する)",
        "book_output": "書き出すモデルファイル(既定値: PARAMS.npz)",
        "demo_help": "講義の計算例を計算して表示する",
        "demo_description": "講義の計算例(畳み込み、パディング、ストライド、バイアス、プーリング、"
        "im2col)を計算して表示します。",
        "explain_help": "畳み込み、プーリング、im2col、平坦化、ずらし、モデルの形状を 1 ステップ"
        "ずつ説明する",
        "explain_description": "演算を計算し、講義と同じ書き方ですべてのステップを表示します: "
        "出力の各要素を積和計算として、出力サイズの式に数を入れて、プーリングの各ウィンドウ、"
        "im2col の行列、モデルを通る形状。配列は行を \";\"、値を \",\"、チャネルを \"|\" で"
        '区切って書くか(例: --input "1,2,3,4;4,3,2,1;0,1,2,3;3,2,1,2")、.npy ファイルから'
        "読みます。",
        "plot_help": "図を描く: フィルタ、特徴マップ、学習曲線、混同行列、誤り、im2col、"
        "スライドするウィンドウ",
        "plot_description": "図を PNG に描きます(スライドするウィンドウはアニメーション GIF)。"
        "描画用の追加パッケージが必要です: pip install 'tatamikomi[viz]'。--lang ja で日本語の"
        "ラベルを日本語フォントで描きます。既存のファイルは --force を付けない限り残します。",
        "export_help": "モデルを ONNX (.onnx) または PyTorch (.pt + .py) として書き出す",
        "export_description": "保存したモデルを他のツール向けに書き出します: model.onnx(ONNX。"
        "バッチの軸は可変、クラスと前処理はメタデータとして)、または model.pt(PyTorch の "
        "state_dict)と、nn.Sequential を組み立て直す model.py。pip install "
        '"tatamikomi[onnx]" または "tatamikomi[torch]" が必要です。',
        "export_model": "`tatamikomi train` で保存したモデルファイル(または SimpleConvNet、"
        "DeepConvNet、spec.json: 新しい未学習のモデル)",
        "export_output": "model.onnx、または model.pt(model.py も書き出す)",
        "export_force": "出力ファイルがあれば置き換える",
        "opset": "ONNX の opset(既定値: {default})",
        "softmax": "ONNX: 最後に Softmax を置く(スコアではなく確率を出力)",
        "import_help": "ONNX ファイルまたは model.pt を tatamikomi のモデルファイルに読み込む",
        "import_description": "model.onnx(対応する演算子の連なり)または model.pt(`tatamikomi "
        "export` が横に書いた model.py と一緒に)を、evaluate、predict、summary、explain、plot "
        "で使えるモデルファイルに読み込みます。",
        "import_source": "model.onnx または model.pt",
        "import_output": "書き出すモデルファイル(既定値: SOURCE.npz)",
        "input_shape": "1 つの入力の形状(ファイルに書かれていないとき)",
        "export_suffix": "{path} は .onnx か .pt として書き出します(出力の拡張子で形式を選びます)",
        "import_suffix": "{path} は .onnx か .pt として読み込みます(拡張子で形式を選びます)",
        "input_shape_form": "--input-shape には 1,28,28 のように C,H,W を指定します。指定された値: "
        "{text}",
        "exported": "{written} に書き出しました: {model}、入力 (N, {shape})",
        "imported_model": "{output} に書き出しました: {count} 層、入力 (N, {shape})",
        "and": " と ",
        "serve_help": "ブラウザのスタジオを開く: 数字を書き、ネットワークの中を見て、学習する",
        "serve_description": "スタジオを提供します。すべての数を tatamikomi が計算する手元の"
        "ウェブページです: 数字を書いて予測と各層の出力を見る、セルをクリックしてその積和計算を"
        "見る、講義の畳み込みとプーリングを試す、ネットワークをその場で学習する。MODEL を指定"
        "しなければ、MNIST で学習した SimpleConvNet (99.1 %) を使います。--host で指定しない"
        "限り 127.0.0.1 だけで待ち受けます。",
        "serve_models": "モデルファイル (.npz)、書籍の params.pkl、SimpleConvNet、DeepConvNet "
        "または spec.json",
        "port": "ポート番号(既定値: {default}。0 なら空いている番号)",
        "host": "待ち受けるアドレス(既定値: {default}、このマシンだけ)",
        "page_lang": "ページの最初の言語(既定値: コマンドラインの言語)",
        "open": "ページをウェブブラウザで開く",
        "save_dir": "スタジオで学習したモデルを保存するフォルダ(既定値: ここ)",
        "not_a_folder": "--save-dir {path} はフォルダではありません。先に作成してください",
        "cannot_listen": "{host}:{port} で待ち受けられません({why})。--port 0 を試してください",
        "port_range": "--port は 0 から 65535 の間にしてください。指定された値: {port}",
        "open_to_all": "警告: {host} で待ち受けています。このマシンに届く人は誰でもスタジオを使え"
        "(学習もでき)ます。自分だけで使うには --host 127.0.0.1 を指定してください。",
        "studio_at": "tatamikomi スタジオ: {url}  (Ctrl-C で止まります)",
        "stopping": "止めています…",
        "studio_stopped": "学習を止めました。チェックポイントは {path} にあります(続けるには: "
        "tatamikomi train --resume {path})",
        "runbook_help": "書籍(ゼロから作るDeep Learning)のスクリプトをそのまま実行する",
        "runbook_description": "書籍のリポジトリのスクリプト(例: ch07/train_convnet.py)を"
        "そのまま実行します: dataset.mnist、common.*(`layers`、`functions`、`util`、`optimizer`、"
        "`trainer`、`gradient`)、simple_convnet、deep_convnet の読み込みには tatamikomi が応えます"
        "(高速なエンジン、MNIST は tatamikomi のミラーから、オフラインなら mnist-mini)。"
        "スクリプトが保存するファイルは、--overwrite を付けない限り既存のファイルを置き換え"
        "ません。オプションはスクリプトの前に書きます。",
        "arg_image": "画像 (H, W) または (C, H, W)。テキストか .npy で指定する",
        "arg_image_2d": "画像 (H, W)。テキストか .npy で指定する",
        "window_size": "ウィンドウの大きさ",
        "pool_mode": "最大値プーリングか平均値プーリングか",
        "filter_size": "フィルタの大きさ",
        "plot_output": "書き出すファイル(既定値: {default})",
        "dpi": "解像度(1 インチあたりのドット数)",
        "explain_conv_help": "畳み込みを、出力の要素ごとに",
        "explain_conv_description": "1 枚の画像の畳み込みを説明します。--input と --filter を"
        "指定しなければ、講義の 4x4 の入力データと 3x3 のフィルタを使います。複数チャネルの入力"
        "では、チャネルごとの結果を足し合わせます。",
        "explain_conv_filter": "フィルタ (FH, FW)、(C, FH, FW) または (FN, C, FH, FW)。"
        "テキストか .npy で指定する",
        "explain_bias": "すべての出力に加えるバイアス(既定値: なし)",
        "explain_pool_help": "最大値プーリングまたは平均値プーリングを、ウィンドウごとに",
        "explain_pool_description": "1 枚の画像の最大値プーリングまたは平均値プーリングを説明し"
        "ます(既定値: 講義の 4x4 の入力データ、2x2 のウィンドウ、ストライド 2)。",
        "explain_im2col_help": "im2col の行列とその形状",
        "explain_im2col_description": "im2col を説明します: 各行がどのウィンドウから来るか、"
        "行列がなぜ (N*OH*OW, C*FH*FW) になるか。既定値は講義の例で、乱数の (10, 3, 7, 7) の"
        "バッチと 5x5 のフィルタから (90, 75) になります。",
        "explain_im2col_input": "画像またはバッチ。テキストか .npy で指定する",
        "explain_im2col_shape": "乱数で埋めるバッチの形状 N,C,H,W",
        "explain_filter_size": "フィルタの大きさ(例: 5)",
        "explain_rows": "表示する行列の行数",
        "explain_shape_help": "モデルが形状を層ごとにどう変えるか",
        "explain_shape_description": "1 つの入力の形状がモデルの各層を通ってどう変わるかを、"
        "畳み込み層とプーリング層の出力サイズの式と一緒に説明します。",
        "explain_shape_input": "1 つの入力の形状 C,H,W(既定値: モデルのもの)",
        "explain_flatten_help": "Affine レイヤが入力を平坦化すると、隣り合う画素がどこへ行くか",
        "explain_flatten_description": "Affine レイヤのための平坦化を説明します: ある画素と"
        "その隣の画素が平坦化したベクトルのどこに来るか(下の画素は W 個先)、そして畳み込み"
        "なら保たれる形状。",
        "explain_flatten_input": "1 つの入力の C,H,W",
        "explain_pixel": "行,列(または チャネル,行,列)。既定値: 中央",
        "explain_shift_help": "入力と、それを 1 画素ずらした入力のプーリング",
        "explain_shift_description": "プーリングが入力の小さなずれをどう受け止めるかを説明します: "
        "講義の 4x4 の入力データ(または --input)と、それを --shift 画素だけ動かした入力を、"
        "ウィンドウごとに比べます。ずれを吸収する出力もあれば、しない出力もあります。",
        "explain_shift": "下,右 へ動かす画素数。上や左へは負の数(--shift=-1,0)",
        "input_or_shape": "--input と --shape はどちらか一方だけを指定してください",
        "array_missing": "{name} のファイル {text} がありません",
        "array_unreadable": "{name} のファイル {text} は読み込める .npy 配列ではありません: "
        "{error}",
        "array_dtype": "{name} のファイル {text} に入っているのは数ではなく {dtype} です",
        "array_row": "{name}: {row} 行目 ({text!r}) が数の並びではありません。行を \";\"、値を "
        '"," で区切って書いてください(例: "1,2,3;4,5,6")',
        "array_row_size": "{name}: {row} 行目の値は {values}ですが、1 行目は {first} 個です。"
        "どの行も同じ数にしてください",
        "array_value_one": "1 個",
        "array_value_many": "{count} 個",
        "array_channel": "{name}: チャネル {channel} は {size} ですが、チャネル 1 は {first} "
        "です。チャネルは同じ大きさにしてください",
        "need_filter_size": "フィルタの大きさを --filter-size で指定してください(例: 3 または "
        "5,5)",
        "plot_filters_help": "最初の層のフィルタ: 学習前のランダムなものと学習後のもの",
        "plot_filters_description": "最初の畳み込み層のフィルタを描きます: 上は同じネットワーク"
        "を初期化したばかりのもの(ランダム)、下は学習したもの。",
        "plot_no_random": "学習したフィルタだけを描く",
        "plot_seed": "ランダムなフィルタの乱数シード",
        "plot_maps_help": "1 枚の画像が各畳み込み層・プーリング層を通った姿",
        "plot_maps_description": "1 枚の画像から各畳み込み層・プーリング層が作る特徴マップを"
        "描きます: テスト画像(--index)または画像ファイル(--image。`predict` と同じように"
        "前処理します)。",
        "plot_index": "テスト画像の番号",
        "plot_image": "テスト画像の代わりに使う画像ファイル",
        "plot_max_channels": "層ごとに描くチャネル数(0: すべて)",
        "plot_curves_help": "モデルに保存された履歴からの学習曲線",
        "plot_curves_description": "モデルファイルに保存された、エポックごとの訓練の損失と、"
        "訓練データ・テストデータの認識精度を描きます。",
        "plot_confusion_help": "テストデータでの混同行列",
        "plot_confusion_description": "モデルのテストデータ(または --dataset)での混同行列を"
        "描きます。",
        "plot_errors_help": "誤認識したテスト画像の一覧",
        "plot_errors_description": "モデルが誤認識したテスト画像を、確信度の高い誤りから順に、"
        "正解と予測のラベル付きで描きます。",
        "plot_count": "描く枚数",
        "plot_im2col_help": "小さな例での im2col の図",
        "plot_im2col_description": "小さな入力のウィンドウと、それが並ぶ im2col の行列を描き"
        "ます(既定値: 講義の 4x4 の入力データと 3x3 のフィルタ)。",
        "plot_pool_help": "講義の入力データでのプーリングのウィンドウとその最大値",
        "plot_pool_description": "最大値(または平均値)プーリングを描きます: 入力特徴マップ上の"
        "各ウィンドウをそれぞれの色で、選ばれる値、そして出力特徴マップ(既定値: 講義の 4x4 の"
        "入力データ、2x2 のウィンドウ、ストライド 2)。",
        "plot_flatten_help": "Affine レイヤのために平坦化した画像: 隣り合う画素が W 個離れる",
        "plot_flatten_description": "講義の 4x4 の入力データを 1 行に平坦化して描きます。画像の"
        "各行はそれぞれの色で、ある画素とその下の画素は両方で枠を付けます。",
        "plot_pixel": "枠を付ける画素の 行,列",
        "plot_channels_help": "チャネルをブロックで: (C, H, W) に (FN, C, FH, FW) のフィルタで "
        "(FN, OH, OW) になる",
        "plot_channels_description": "複数チャネルの入力、フィルタ(入力チャネルごとに FH×FW "
        "の 1 枚)、フィルタごとに 1 チャネルの出力を、すべての形状のラベル付きで描きます。",
        "plot_channels_input": "入力の C,H,W",
        "plot_filters": "フィルタの数 FN",
        "plot_filter_fh": "フィルタの大きさ FH = FW",
        "plot_slide_help": "フィルタのウィンドウが入力の上をスライドするアニメーション GIF",
        "plot_slide_description": "畳み込みをアニメーションにします: フィルタのウィンドウが"
        "(パディングした)入力の上を動き、各フレームにその積和計算とそこまでの出力を示します"
        "(既定値: 講義の 4x4 の入力データと 3x3 のフィルタ)。",
        "plot_slide_filter": "フィルタ (FH, FW)。テキストか .npy で指定する",
        "plot_bias": "バイアス(既定値: なし)",
        "plot_duration": "1 フレームの表示時間(ミリ秒)",
        "max_channels": "--max-channels は 0(すべて)以上にしてください。指定された値: {value}",
        "index_range": "--index は 0 から {last} の間にしてください。指定された値: {value}",
        "gif_only": "アニメーションは GIF で書き出します。{output} ではなく -o NAME.gif を指定して"
        "ください",
        "picture_suffix": "-o NAME{wanted}(または .svg、.pdf)を指定してください。指定された値: "
        "{output}",
        "wrote": "{output} に書き出しました",
        "prepared_range": "{path}: 前処理の後の画素値が [{low}, {high}] にあり、0..255 に"
        "収まりません。8 ビットの画像(PNG、JPEG)か、値が 0..255 の .npy を指定してください",
        "weights_not_finite": "重み {names} に NaN か無限大が入っています(発散したか壊れた"
        "モデルです。学習し直すか、取り込み直してください)",
        "scores_overflowed": "スコアがあふれました(モデルの前処理 divide_by {divide_by!r} を"
        "確かめてください)",
        "scores_not_finite": "{where} の {what} に対するスコアが NaN か無限大です: {why}",
        "the_test_set": "{name} のテストデータ",
        "model_misfit": "{path} は {name} に合いません: {error}",
        "mini_measure_dir": "--data-dir {data_dir} は mnist-mini({path} が学習したデータ"
        "セット。tatamikomi に同梱)では使いません。そのフォルダのデータセットで測るには "
        "--dataset {data_dir} を指定してください",
        # issue 20 (export and import)
        "export_dtype": "ONNX ファイルの数の型: `float32`(既定値。`onnxruntime` が実行できる"
        "型)または `float64`(`onnxruntime` の CPU プロバイダには `float64` の畳み込みがあり"
        "ません)。ONNX のみ",
        "onnx_cast": "モデルの {model_dtype} のパラメータを、onnxruntime が実行できる {dtype} "
        "として書き出しました(--dtype float64 でそのまま残せます)",
        "onnx_float64": "注意: このファイルは float64 です。onnxruntime の CPU プロバイダは "
        "float64 の畳み込み(Conv)を実行できないので、ONNX の参照評価器で実行するか、float32 "
        "で書き出してください",
        # issue 20 (files, data and specs)
        "downloads_off": "ダウンロードしない設定です",
        "test_image_fallback": "{name} のテストデータが手元になく、ダウンロードもできませんでした"
        "({why})。代わりに同梱の mnist-mini のテスト画像 {index} を表示します。{name} の画像を"
        "使うには、{files} を {folder} にコピーするか、TATAMIKOMI_DATA を設定してください。",
    },
}

# ---------------------------------------------------------------------------------------------
# training progress (tatamikomi.train: ProgressBar, the Ctrl-C message)

TRAINING = {
    "en": {
        "epoch_label": "epoch {epoch}/{epochs}",
        "bar_detail": "{done}/{total}  loss {loss:.4f}  {rate:,.0f} images/s  {left:.0f} s left  ",
        "epoch_line": "epoch {epoch}/{epochs}  loss {loss:.4f}  train acc {train_acc:.2%}  "
        "test acc {test_acc:.2%}  {seconds:.1f} s ({training:.1f} s training at {rate:,.0f} "
        "images/s, {evaluation:.1f} s evaluation)",
        "final": "final test accuracy: {acc:.2%}",
        "before_first": "before the first step",
        "after_epoch": "after epoch {epoch}",
        "after_step": "after step {step}/{steps} of epoch {epoch}",
        "interrupted": "training interrupted {where}",
        "no_checkpoint": "; no checkpoint file was set",
        "checkpoint_kept": "; the checkpoint is in {path}, and resuming continues at epoch "
        "{epoch}, step {step}",
    },
    "ja": {
        "epoch_label": "エポック {epoch}/{epochs}",
        "bar_detail": "{done}/{total}  損失 {loss:.4f}  毎秒 {rate:,.0f} 枚  残り {left:.0f} 秒  ",
        "epoch_line": "エポック {epoch}/{epochs}  損失 {loss:.4f}  訓練データの認識精度 "
        "{train_acc:.2%}  テストデータの認識精度 {test_acc:.2%}  {seconds:.1f} 秒(学習 "
        "{training:.1f} 秒・毎秒 {rate:,.0f} 枚、評価 {evaluation:.1f} 秒)",
        "final": "最終的なテストデータの認識精度: {acc:.2%}",
        "before_first": "最初のステップの前",
        "after_epoch": "エポック {epoch} の終了後",
        "after_step": "エポック {epoch} のステップ {step}/{steps} の後",
        "interrupted": "学習を中断しました({where})",
        "no_checkpoint": "。チェックポイントのファイルは指定されていません",
        "checkpoint_kept": "。チェックポイントは {path} に保存済みで、再開するとエポック "
        "{epoch} のステップ {step} から続きます",
    },
}

# ---------------------------------------------------------------------------------------------
# a model's summary table (Sequential.summary)

SUMMARY = {
    "en": {
        "layer": "layer",
        "type": "type",
        "output_shape": "output shape",
        "parameters": "parameters",
        "input": "input",
        "total": "total parameters: {total:,}",
    },
    "ja": {
        "layer": "層",
        "type": "種類",
        "output_shape": "出力の形状",
        "parameters": "パラメータ数",
        "input": "入力",
        "total": "パラメータの総数: {total:,}",
    },
}

# ---------------------------------------------------------------------------------------------
# tatamikomi book's options (tatamikomi.book.runner)

BOOK = {
    "en": {
        "limit": "only the first N training and test images, for a quick run (the script's "
        "epochs stay as written)",
        "overwrite": "let the script replace files it saves (default: an existing file is kept "
        "and the new one is saved under a free name, e.g. params.1.pkl)",
        "save_figures": "save the matplotlib figures open at the end as DIR/figure-N.png",
        "script": "the book's script, e.g. ch07/train_convnet.py",
        "args": "the script's own arguments",
        "run": "Run a script of the book's repository unchanged.",
        # the run's own notes
        "mini": "{error}\ntatamikomi book: using mnist-mini instead, the 6,000 training and "
        "1,000 test images of MNIST bundled with tatamikomi",
        "limited": "--limit {limit}: {train:,} training and {test:,} test images",
        "kept": "{kept} already exists and was left as it is; saving to {path} instead "
        "(tatamikomi book --overwrite replaces it)",
        "beside": "{path} is not in the current folder; reading {beside}",
        "read_only": "note: the current folder {folder} is read-only, so a file the script saves "
        "(params.pkl) will be refused; to keep it, run from a folder of your own and give the "
        "script's path",
        "saved": "saved {path}",
    },
    "ja": {
        "limit": "訓練画像とテスト画像の最初の N 枚だけを使い、手早く試す(スクリプトのエポック数は"
        "書かれたまま)",
        "overwrite": "スクリプトが保存するファイルの置き換えを許す(既定値: 既存のファイルは残し、"
        "新しいファイルは空いている名前で保存する。例: params.1.pkl)",
        "save_figures": "最後に開いている matplotlib の図を DIR/figure-N.png として保存する",
        "script": "書籍のスクリプト(例: ch07/train_convnet.py)",
        "args": "スクリプト自身の引数",
        "run": "書籍のリポジトリのスクリプトをそのまま実行します。",
        "mini": "{error}\ntatamikomi book: 代わりに mnist-mini(tatamikomi に同梱の MNIST の訓練"
        "画像 6,000 枚とテスト画像 1,000 枚)を使います",
        "limited": "--limit {limit}: 訓練画像 {train:,} 枚、テスト画像 {test:,} 枚",
        "kept": "{kept} はすでにあるので、そのまま残しました。代わりに {path} に保存します"
        "(tatamikomi book --overwrite なら置き換えます)",
        "beside": "{path} は今のフォルダにないので、{beside} を読みます",
        "read_only": "注意: 今のフォルダ {folder} は読み取り専用なので、スクリプトが保存する"
        "ファイル (params.pkl) は拒まれます。残すには、自分のフォルダで実行し、スクリプトの"
        "パスを指定してください",
        "saved": "{path} に保存しました",
    },
}

# ---------------------------------------------------------------------------------------------
# the library's errors that a learner meets (raised in English with i18n.error; a command line
# says them in its language with i18n.message): model files, models and specs, images, data

ERRORS = {
    "en": {
        # the engine and the layers (tatamikomi.functional, tatamikomi.layers)
        "layer_input": "{layer} needs input {expected} per example; got {got}",
        "pool_only_padding": "with dilation {dilation} and padding {padding}, some windows' taps "
        "fall only on padding {along} (input {input}); their maximum would be -inf. Use less "
        "padding or dilation.",
        "along_rows": "along each row",
        "along_columns": "along each column",
        "pool_padding": "padding ({top}, {left}) must be at most half the window ({kh}, {kw}), or "
        "some windows would see only padding. Use padding <= kernel_size // 2.",
        "window_too_big": "the window of size {size}{dilated} does not fit in an input of size "
        "{input} padded by ({before}, {after}) to {padded}: the output would be empty. Use a "
        "smaller window, more padding, or a larger input.",
        "window_dilated": " (dilation {dilation} makes it span {span})",
        # model files (tatamikomi.io, tatamikomi.models.files)
        "model_folder": "{path} is a folder, not a model file; give the .npz file in it",
        "model_missing": "model file {path} does not exist",
        "model_pickle": "{path} is a pickle file, not a tatamikomi model file. If it is the "
        "book's params.pkl, import it with `tatamikomi import-book {path}` (or "
        "model.load_params('{path}')), which reads it without running any code.",
        "model_not_npz": "{path} is not a tatamikomi model file (not an .npz archive)",
        "model_no_meta": "{path} is an .npz archive but not a tatamikomi model file (it has no "
        "{meta})",
        "model_not_ours": "{path}: {meta} does not describe a tatamikomi file",
        "model_newer": "{path} was written by a newer tatamikomi (format version {version!r}); "
        "upgrade tatamikomi to read it",
        "model_meta_edited": "{path}: the metadata was edited; it cannot be read",
        "model_corrupt": "{path} is truncated or corrupt ({error}); it cannot be loaded. Use an "
        "intact copy of the file.",
        "model_member_missing": "{path} is damaged: {name} is missing",
        "the_metadata": "the metadata",
        "the_array": "array {name!r}",
        "model_damaged_shape": "{path} is damaged or was edited: array {name!r} does not match "
        "its recorded shape and dtype. Use an intact copy of the file.",
        "model_damaged_checksum": "{path} is damaged or was edited: array {name!r} does not "
        "match its recorded checksum. Use an intact copy of the file.",
        "model_params_only": "{path} holds parameters only (saved with save_params); load them "
        "into a model with model.load_params('{path}')",
        "model_not_finite": "{path}: {name} holds NaN or infinite values; this model cannot "
        "predict. Use the file of a run that trained without diverging.",
        "model_integers": "{path}: {name} holds integers; this model cannot predict. Use the "
        "file of a run that trained without diverging.",
        "model_misfit": "{path}: the architecture and the arrays do not fit ({error})",
        "params_folder": "{path} is a folder, not a params.pkl; give the file in it",
        "params_missing": "parameter file {path} does not exist",
        "params_npz": "{path} is an .npz archive (a tatamikomi model or params file), not the "
        "book's params.pkl: use it directly (tatamikomi evaluate/predict {path}, or "
        "model.load_params('{path}'))",
        "params_corrupt": "{path} is not a readable params.pkl (truncated or corrupt: {error})",
        "params_empty": "{path} holds an empty dict: no weights to import (the book's "
        "save_params writes W1, b1, ...); save the trained network's params again",
        "params_not_dict": "{path} does not hold a dict of arrays (got {kind})",
        "params_not_finite": "{path}: {key} holds NaN or infinite values; these weights cannot "
        "predict anything. Use the file of a run that trained without diverging.",
        # models by name, and specs (tatamikomi.models)
        "unknown_model": "unknown model {name!r}; choose {choices} or give a JSON spec file "
        "(.json)",
        "model_input": "{model} takes images (N, {expected}); got shape {shape}.",
        "model_input_flat": "{model} takes images (N, {expected}); got shape {shape}. Reshape the "
        "images with x.reshape(-1, {expected}), or load MNIST with load_mnist(flatten=False).",
        "opset_old": "opset {opset} is too old; tatamikomi writes opset 13 or newer",
        "setting_number": "{name} must be a number; got {value!r}",
        "setting_range": "{name} must be a finite number in {interval}; got {value!r}",
        "shift_whole": "{name} must be a whole number of pixels; got {value!r}",
        "shift_range": "{name} must be from 0 to {last} (less than the {height}x{width} images' "
        "side); got {value}",
        "input_shape_chw": "one input's shape is (C, H, W) of positive ints; got {shape}",
        "pixel_inside": "the pixel must be (row, column) or (channel, row, column) inside "
        "{shape}; got {pixel}",
        "batch_shape": "a batch shape is (N, C, H, W) of positive ints; got {shape}",
        "spec_missing": "model spec file {name} does not exist",
        "onnx_missing": "ONNX file {path} does not exist",
        "torch_missing": "PyTorch weights file {path} does not exist",
        "pair_positive": "{name} must be at least 1 in each direction; got {value!r}",
        "pair_negative": "{name} must not be negative; got {value!r}",
        "spec_json": "the model spec is not valid JSON: {message}: line {line} column {column} "
        "(char {char})",
        "spec_object": 'a model spec is a JSON object with "input_shape" and a "layers" list',
        "spec_keys": "unknown keys in the model spec: {keys}",
        "spec_input_shape": 'the spec needs "input_shape", one example\'s shape such as '
        "[1, 28, 28]; got {shape!r}",
        "spec_entry": 'a layer spec is a dict with a "type"; got {entry!r}',
        "spec_type": "unknown layer type {type!r}; known types: {types}",
        "spec_layer_type": "{type}: {error}",
        "spec_layer": "layer {index} of the spec ({entry!r}): {error}",
        # images (tatamikomi.images, the PNG reader)
        "in_file": "{path}: {error}",
        "image_folder": "{path}: this is a folder; give the image file itself",
        "image_missing": "image {path} does not exist",
        "image_not_file": "{path}: not a regular file; give an image file",
        "image_format": "not a PNG, JPEG, PGM/PPM or .npy file (nor BMP, GIF, WebP or TIFF); "
        "save it as PNG",
        "image_damaged": "{path}: the file is damaged or truncated ({error})",
        "image_dtype": "an image holds numbers; got dtype {dtype}",
        "image_npy_dtype": "a .npy image holds numbers; got dtype {dtype}",
        "image_empty": "the image is empty (shape {shape})",
        "image_not_finite": "{bad:,} pixel value(s) are NaN or infinite; every pixel needs a "
        "number",
        "image_range": "pixel values lie in {low}..{high}; an image holds 0..255 (or 0..1): "
        "rescale it",
        "image_channels": "an image has 1 to 4 channels; got shape {shape}",
        "image_2d": "expected a 2-D grey or colour image; got shape {shape}",
        "image_pillow": "reading {kind} needs Pillow: {hint} (or save the image as PNG, which "
        "needs nothing more)",
        "image_bomb": "Pillow refuses it as a possible decompression bomb ({error}); shrink the "
        "image",
        "image_kind_damaged": "the {kind} file is damaged or truncated ({error}); open it and "
        "save it again (e.g. as PNG)",
        "image_no_pixels": "the image has no pixels ({width}x{height})",
        "image_too_big": "the image is {width}x{height} = {pixels:,} pixels, over the limit of "
        "{limit:,} (tatamikomi.images.MAX_IMAGE_PIXELS); shrink it first, or pass a larger "
        "max_pixels if you trust the file",
        "png_truncated": "the PNG file is truncated",
        "png_no_data": "the PNG file has no header or no image data (truncated?)",
        "png_header": "the PNG header is damaged",
        "png_data_damaged": "the PNG image data is damaged ({error})",
        "png_data_truncated": "the PNG image data is truncated ({got:,} of {needed:,} bytes)",
        "image_blank_hint": "the image is blank: no digit found (write the digit darker or "
        "larger, or crop the photo to it)",
        "image_blank": "the image is blank: no digit found",
        "image_specks": "the image is blank: no digit found (only specks)",
        "image_faint": "the image is blank: no digit found (the darkest marks differ from the "
        "paper by {full:.0%}; write the digit darker)",
        # data (tatamikomi.data)
        "data_unknown": "unknown dataset {name!r}; choose {choices}, or give the path of a "
        "folder of IDX files or of a .npz file",
        "data_offline": "{name} was not found (looked in {looked}) and downloads are off "
        "(TATAMIKOMI_OFFLINE is set). Put the four files in one of those folders or set "
        "TATAMIKOMI_DATA.",
        "data_no_download": "{name} was not found (looked in {looked}) and download=False. Put "
        "the four files in one of those folders or set TATAMIKOMI_DATA.",
        "data_missing": "dataset {path} does not exist; give a folder with the four IDX files "
        "({files}, .gz or not) or a .npz file",
        "data_not_dataset": "{path} is {what}, not a dataset; {format}",
        "data_no_idx": "{path} is a directory without the four IDX files of a dataset ({files}, "
        ".gz or not); it has {shown}. Give the folder that has them, or a .npz file",
        "nothing": "nothing",
        "data_format": "a dataset is a .npz with x_train, t_train, x_test and t_test "
        "(np.savez(path, x_train=..., t_train=..., x_test=..., t_test=...)) or a folder with the "
        "four IDX files of MNIST's layout",
        "file_empty": "an empty file",
        "file_npy": "a single .npy array",
        "file_idx": "a single IDX file (give the folder that holds all four)",
        "file_image": "an image",
        "file_text": "a text file (it starts with {start!r})",
        "file_unknown": "not a dataset file (it starts with {start})",
        "data_npz_keys": "{path} has no {keys}; a dataset .npz holds x_train, t_train (or "
        "y_train), x_test and t_test (or y_test). It has: {names}",
        "labels_shape": "{where}: {key} must be (N,) integer class indices; got {dtype} of shape "
        "{shape}",
        "labels_integral": "{where}: {key} are {dtype} numbers; labels are integer class "
        "indices: save them as t.astype(np.int64)",
        "labels_fractional": "{where}: {key} are {dtype} numbers; labels are integer class "
        "indices: these do not look like labels",
        "labels_negative": "{where}: {key} has label {lo}; labels are class indices from 0 "
        "(labels run from {lo} to {hi}): shift them, e.g. t - {lo}",
        "labels_gap": "{where}: labels run from {lo} to {hi} but {first} never appears in the "
        "training labels, which would make a {count}-class model with classes it never sees: "
        "{shift}{declare}",
        "labels_gaps": "{where}: labels run from {lo} to {hi} but {first} never appear in the "
        "training labels, which would make a {count}-class model with classes it never sees: "
        "{shift}{declare}",
        "labels_shift": "subtract {lo} (t - {lo}) if they start at {lo}, or ",
        "declare_classes": "declare the classes by name (np.savez(..., classes=np.array([...])) "
        "with one name per class, label i being classes[i])",
        "labels_over": "{where}: {key} has label {hi} but only {count} classes are declared "
        "(labels must be 0 to {last}); fix the labels or give one name per class in classes",
        "images_dtype": "{where}: {key} has dtype {dtype}; images are numbers (uint8 0..255, or "
        "floats in [0, 1])",
        "images_channels_last": "{where}: {key} has shape {shape}, which looks like (N, H, W, C) "
        "(channels last); tatamikomi takes (N, C, H, W): save x.transpose(0, 3, 1, 2)",
        "images_flat": "{where}: {key} has shape {shape}, flattened rows; images are (N, H, W) "
        "or (N, C, H, W)",
        "images_flat_square": "{where}: {key} has shape {shape}, flattened rows; images are "
        "(N, H, W) or (N, C, H, W): reshape them, e.g. x.reshape(-1, {side}, {side})",
        "images_ndim": "{where}: {key} has shape {shape}; images are (N, H, W) or (N, C, H, W)",
        "images_empty": "{where}: {key} is empty (0 images); training and testing need at least "
        "one image each (e.g. keep a tenth of the training images for x_test)",
        "images_zero_side": "{where}: {key} has shape {shape}; an image has no zero-size side",
        "images_not_finite": "{where}: {key} has NaN or infinite pixel values; fix or drop those "
        "images (np.isfinite(x).all(axis=(1, 2, 3)) finds the good ones)",
        "pixels_range": "{where}: pixel values run from {lo:g} to {hi:g}; tatamikomi takes "
        "pixels 0..255 or in [0, 1]: rescale them, e.g. x = (x - x.min()) / (x.max() - x.min())",
        "pixels_declared": "{where}: pixel values run from {lo:g} to {hi:g}, outside "
        "0..{scale:g} (the declared divide_by): rescale the images or fix divide_by",
        "count_train": "{where}: {images} train images but {labels} train labels",
        "count_test": "{where}: {images} test images but {labels} test labels",
        "split_shapes": "{where}: training images are {train} but test images {test}; both need "
        "the same (C, H, W)",
        "idx_not_idx": "{name} is not an IDX file: it starts with {start}, expected 0000 then a "
        "type code (08 for uint8) and the number of dimensions",
        "idx_truncated": "{name} is truncated: shape {shape} needs {expected} bytes of values, "
        "the file has {found}; delete it and download it again",
        "idx_truncated_read": "{name} is truncated: shape {shape} needs {expected} bytes of "
        "values, it has {found}; delete it and download it again",
        # settings, files and runs (tatamikomi.config, tatamikomi._files, tatamikomi.train)
        "environment": "{variable} must be {expected}; got {text!r}. Set it to such a value or "
        "unset it.",
        "env_threads": "a positive whole number of threads, such as 4",
        "env_memory": "a number of megabytes of at least 1, such as 64",
        "not_regular": "{path} is not a regular file but {kind}; it was left as it is. Give the "
        "name of a regular file to write",
        "kind_folder": "a folder",
        "kind_link": "a symbolic link",
        "kind_fifo": "a FIFO (named pipe)",
        "kind_device": "a device",
        "kind_socket": "a socket",
        "kind_other": "something else",
        "lock_taken": "could not take the lock {lock}; try again",
        "locked": "{path} is being written by another {what} ({who}; its lock is {lock}); wait "
        "for it to end or choose another file. If no such {what} runs, remove {lock}",
        "run_process": "process",
        "run_training": "training",
        "who_pid": "pid {pid}",
        "who_unknown": "another process",
        "diverged": "training diverged: the loss became {loss} {where} (learning rate {lr:g}); "
        "{kept}. Try a smaller learning rate, e.g. {smaller:g}.",
        "diverged_weights": "training cannot go on: the loss became {loss} {where} because the "
        "weights {names} hold NaN or infinity; {kept}. Start from a model with finite weights",
        "diverged_at": "at epoch {epoch}, step {step}",
        "diverged_kept": "{path} keeps epoch {epoch}, the last good one",
        "diverged_none": "no checkpoint had been written yet",
        # tatamikomi book (tatamikomi.book)
        "book_folder": "{path} is a folder; give a file name such as params.pkl",
        "book_read_only": "cannot write {path}: the folder {folder} is read-only; run the script "
        "from a folder of your own (cd there, then give the script's path)",
        "book_no_script": "{path} does not exist; give the path of one of the book's scripts, "
        "e.g. ch07/train_convnet.py",
        "book_limit": "--limit must be at least 1 (images); got {limit}",
        "book_no_folder": "the folder {folder} does not exist; create it first: mkdir -p {folder}",
        # issue 20 (the lock and the studio's HTTP edges)
        "studio_json_deep": "the JSON body is nested {depth} levels deep; at most {limit} levels "
        "are accepted",
        "studio_json_digits": "the JSON body holds a number of {digits} digits; at most {limit} "
        "digits are accepted",
        "studio_json_constant": "the JSON body holds {value}, which is not a number; send finite "
        "numbers only",
        "studio_json_huge": "the JSON body holds {value}, beyond the largest number (about "
        "1.8e308); send finite numbers only",
        "studio_json_invalid": "the body is not valid JSON ({why})",
        "studio_model_id": "\"model\" must be a model id such as \"m1\" (a string); got {value}",
        "studio_channel": "channel must be from 0 to {last}, a whole number; got {value}",
        "studio_position": "position must be [row, column], two whole numbers; got {value}",
        "studio_bias": "bias must be a finite number; got {value}",
        "studio_method": "the studio does not answer {method} requests; use GET or POST",
        "studio_line_long": "the request line is longer than {limit:,} bytes; ask for a shorter "
        "address",
        "studio_headers_long": "the request's headers are too long or too many; send fewer and "
        "shorter headers",
        "studio_bad_http": "the request is not valid HTTP ({why}); send an HTTP/1.1 request",
        "studio_http_error": "the request was refused (HTTP {status}: {why})",
        "studio_foreign_host": "this studio answers only to localhost (the Host header was "
        "foreign)",
        "studio_too_slow": "the request did not arrive within {seconds} seconds; send it again",
        "studio_body_short": "the body ended after {got:,} of {length:,} bytes; send it again",
        "studio_file_gone": "the file of model {id} ({name}) was deleted or moved; the model is "
        "still open in the studio, save it again to download it",
        "studio_file_special": "the file of model {id} ({name}) is no longer a regular file; put "
        "the model file back to download it",
        "studio_file_unreadable": "the file of model {id} ({name}) cannot be read ({why}); make it "
        "readable to download it",
        # issue 20 (export and import)
        "model_preprocess": "{path}: the preprocessing {preprocess} cannot be used (divide_by "
        "must be a positive number, e.g. 255); use an intact copy",
        "model_classes": "{path}: the metadata names {count} classes for {outputs} outputs; give "
        "one class name per output (or use an intact copy)",
        "model_too_large": "{path}: one example's activations reach {values:,} values at {where} "
        "({shape}), more than the limit of {limit:,} (tatamikomi.models.BUDGET); use a smaller "
        "input size or padding",
        "the_input": "the input",
        "import_layers": "{path} has {count:,} layers or more; tatamikomi imports at most "
        "{limit:,}",
        "onnx_dtype": "an ONNX file of dtype {dtype!r} cannot be written; choose one of {choices}",
        "onnx_cycle": "ONNX node {node} ({op}) writes {name!r}, a tensor the graph already has (a "
        "cycle); tatamikomi imports a chain of layers, each writing a new tensor",
        "torch_source_size": "{path} is {size:,} bytes; a model.py written by tatamikomi export "
        "is a few kilobytes (at most {limit:,} bytes are read). Export the model again",
        "torch_source_syntax": "{path} is not Python that tatamikomi can read ({error}); export "
        "the model again",
        "torch_source_literal": "{path}, line {line}: only plain values (numbers, strings, "
        "tuples) can be read here; export the model again",
        "torch_not_state": "{path} is not a PyTorch state_dict ({error})",
        "torch_inflated": "{path} inflates to more than {limit:,} bytes from a file of {size:,} "
        "(torch.save does not compress); save it again with torch.save(module.state_dict(), "
        "path)",
        "torch_declared": "{path}: its tensors declare {declared:,} bytes but the file holds "
        "{held:,}; save it again with torch.save(module.state_dict(), path)",
        "torch_missing_keys": "{path} does not fit {source}: the weights lack {names}; export "
        "both files again",
        "torch_extra_keys": "{path} does not fit {source}: the weights have {names}, which the "
        "architecture lacks; export both files again",
        "torch_shape": "{path} does not fit {source}: {name} is {held} in the weights but "
        "{declared} in the architecture; export both files again",
        # issue 20 (files, data and specs)
        "spec_parameters": "layer {index} ({type}) would bring the model to at least {asked:,} "
        "parameters, more than the limit of {limit:,} ({whose}); make the layers smaller "
        "(fewer out_features or out_channels)",
        "spec_activations": "layer {index} ({type}) outputs {shape}, which brings one example's "
        "activations to {values:,} values, more than the limit of {limit:,} ({whose}); make the "
        "layers smaller, or pool earlier",
        "spec_input_activations": "input_shape {shape} holds {values:,} values per example, "
        "more than the limit of {limit:,} ({whose}); use smaller images",
        "budget_library": "tatamikomi.models.BUDGET",
        "budget_studio": "the studio's, smaller than the library's",
        "model_member_size": "{path}: {name} holds more or fewer bytes than its header says; "
        "the file is damaged. Use an intact copy",
        "model_total": "{path}: its arrays would hold {total:,} bytes in all, over the limit of "
        "{limit:,} (tatamikomi.io.MAX_TOTAL_BYTES); it was not read",
        "model_ratio": "{path}: its arrays would hold {total:,} bytes, more than {ratio} times "
        "the file's {size:,}: a decompression bomb, not a model's weights; it was not read",
        "model_duplicates": "{path} holds {names} more than once, so which to read is "
        "ambiguous; it was edited. Use an intact copy",
        "model_meta_size": "{path}: the metadata is over the limit of {limit:,} bytes "
        "(tatamikomi.io.MAX_META_BYTES); it was not read",
        "data_npz_ambiguous": "{path}: {given} both name the array {key}, so which to read is "
        "ambiguous; keep one ({key}.npy, as numpy.savez writes it)",
        "data_npz_size": "{path}: its array {key} holds more or fewer bytes than its shape {shape} "
        "of {dtype} says ({declared}): the file is damaged; save it again",
        "data_ratio": "{path} would decompress to {total} from {size}, more than {ratio} times "
        "its size: a decompression bomb, not a dataset; it was not read",
        "idx_pair": "{images} holds {image_shape} and {labels} holds {label_shape}: not images "
        "with one label each; the files are damaged or do not belong together",
        "download_failed": "could not download {name} from any mirror ({why}); copy it into "
        "{folder} or set TATAMIKOMI_DATA to a folder that has it",
        "run_number": "{name} must be a whole number from {low:,} to {high:,}; got {value}",
        "checkpoint_number": "{path}: the checkpoint's {name} is {value}, not a whole number "
        "from {low:,} to {high:,}; it was edited. Use an intact copy, or train anew",
        "checkpoint_edited": "{path}: the checkpoint's training state was edited ({what}); use "
        "an intact copy, or train anew",
        # issue 20 (photos and images)
        "image_too_much_work": "the image is {width}x{height} pixels ({kind}): reading and "
        "preparing it would take about {needed:,} MB of memory, over the limit of {limit:,} MB "
        "(tatamikomi.images.MAX_WORK_BYTES); shrink it first (a digit needs no more than about "
        "1,000 pixels across)",
        "png_filter_work": "the PNG is {width}x{height} pixels with Average or Paeth row "
        "filters: undoing them takes {steps:,} steps, over the limit of {limit:,}; an image this "
        "tall is not a photo of a digit: crop or shrink it",
        "image_too_thin": "the image is {width}x{height} pixels; a digit needs at least {least} "
        "pixels each way: give a photo or drawing of one digit",
    },
    "ja": {
        # the engine and the layers
        "layer_input": "{layer} の入力は 1 つあたり {expected} です。指定された形状: {got}",
        "pool_only_padding": "ダイレーション {dilation}、パディング {padding} では、{along}で"
        "パディングしか見ないウィンドウができます(入力 {input})。その最大値は -inf になります。"
        "パディングかダイレーションを小さくしてください。",
        "along_rows": "行の方向",
        "along_columns": "列の方向",
        "pool_padding": "パディング ({top}, {left}) はウィンドウ ({kh}, {kw}) の半分以下にして"
        "ください。そうでないと、パディングしか見ないウィンドウができます。`padding <= "
        "kernel_size // 2` にしてください。",
        "window_too_big": "大きさ {size}{dilated} のウィンドウが、大きさ {input} の入力を "
        "({before}, {after}) だけパディングした {padded} に収まりません: 出力が空になります。"
        "ウィンドウを小さくするか、パディングを増やすか、入力を大きくしてください。",
        "window_dilated": "(dilation={dilation} で {span} にわたる)",
        "model_folder": "{path} はフォルダで、モデルファイルではありません。中にある .npz "
        "ファイルを指定してください",
        "model_missing": "モデルファイル {path} がありません",
        "model_pickle": "{path} は pickle ファイルで、tatamikomi のモデルファイルではありません。"
        "書籍の params.pkl なら `tatamikomi import-book {path}`(または "
        "model.load_params('{path}'))で取り込んでください。コードを実行せずに読み込みます。",
        "model_not_npz": "{path} は tatamikomi のモデルファイルではありません(.npz 形式では"
        "ありません)",
        "model_no_meta": "{path} は .npz 形式ですが、tatamikomi のモデルファイルではありません"
        "({meta} がありません)",
        "model_not_ours": "{path}: {meta} の中身が tatamikomi のファイルのものではありません",
        "model_newer": "{path} は新しい tatamikomi で書かれています(形式のバージョン "
        "{version!r})。読み込むには tatamikomi を更新してください",
        "model_meta_edited": "{path}: メタデータが書き換えられているので読み込めません",
        "model_corrupt": "{path} は途中で切れているか壊れているので読み込めません({error})。"
        "壊れていないコピーを使ってください。",
        "model_member_missing": "{path} は壊れています: {name} がありません",
        "the_metadata": "メタデータ",
        "the_array": "配列 {name!r}",
        "model_damaged_shape": "{path} は壊れているか書き換えられています: 配列 {name!r} が記録"
        "された形状と型に合いません。壊れていないコピーを使ってください。",
        "model_damaged_checksum": "{path} は壊れているか書き換えられています: 配列 {name!r} が"
        "記録されたチェックサムに合いません。壊れていないコピーを使ってください。",
        "model_params_only": "{path} にはパラメータだけが入っています(save_params で保存)。"
        "model.load_params('{path}') でモデルに読み込んでください",
        "model_not_finite": "{path}: {name} に NaN か無限大が入っているので、このモデルは予測"
        "できません。発散せずに学習したときのファイルを使ってください。",
        "model_integers": "{path}: {name} に整数が入っているので、このモデルは予測できません。"
        "発散せずに学習したときのファイルを使ってください。",
        "model_misfit": "{path}: 構造と配列が合いません({error})",
        "params_folder": "{path} はフォルダで、params.pkl ではありません。中にあるファイルを"
        "指定してください",
        "params_missing": "パラメータのファイル {path} がありません",
        "params_npz": "{path} は .npz 形式(tatamikomi のモデルかパラメータのファイル)で、"
        "書籍の params.pkl ではありません。そのまま使ってください(tatamikomi "
        "evaluate/predict {path}、または model.load_params('{path}'))",
        "params_corrupt": "{path} は読み込める params.pkl ではありません(途中で切れているか"
        "壊れています: {error})",
        "params_empty": "{path} の辞書は空で、取り込む重みがありません(書籍の save_params は "
        "W1、b1、... を書きます)。学習したネットワークのパラメータを保存し直してください",
        "params_not_dict": "{path} に入っているのは配列の辞書ではありません(`{kind}`)",
        "params_not_finite": "{path}: {key} に NaN か無限大が入っているので、この重みでは予測"
        "できません。発散せずに学習したときのファイルを使ってください。",
        "unknown_model": "{name!r} というモデルはありません。{choices} から選ぶか、JSON の仕様"
        "ファイル (.json) を指定してください",
        "model_input": "{model} の入力は (N, {expected}) の画像です。指定された形状: {shape}",
        "model_input_flat": "{model} の入力は (N, {expected}) の画像です。指定された形状: "
        "{shape}。画像の形を `x.reshape(-1, {expected})` で変えるか、MNIST を "
        "`load_mnist(flatten=False)` で読み込んでください。",
        "opset_old": "opset {opset} は古すぎます。tatamikomi が書き出すのは opset 13 以上です",
        "setting_number": "{name} には数を指定してください。指定された値: {value!r}",
        "setting_range": "{name} は {interval} の範囲の有限の数にしてください。指定された値: "
        "{value!r}",
        "shift_whole": "{name} には画素数を整数で指定してください。指定された値: {value!r}",
        "shift_range": "{name} は 0 から {last} にしてください({height}x{width} の画像の辺より"
        "小さく)。指定された値: {value}",
        "input_shape_chw": "1 つの入力の形状は正の整数の (C, H, W) です。指定された値: {shape}",
        "pixel_inside": "画素は {shape} の中の (行, 列) か (チャネル, 行, 列) にしてください。"
        "指定された値: {pixel}",
        "batch_shape": "バッチの形状は正の整数の (N, C, H, W) です。指定された値: {shape}",
        "spec_missing": "モデルの仕様ファイル {name} がありません",
        "onnx_missing": "ONNX ファイル {path} がありません",
        "torch_missing": "PyTorch の重みのファイル {path} がありません",
        "pair_positive": "`{name}` は縦横とも 1 以上にしてください。指定された値: {value!r}",
        "pair_negative": "`{name}` は負にできません。指定された値: {value!r}",
        "spec_json": "モデルの仕様が正しい JSON ではありません: {line} 行 {column} 列目(文字 "
        "{char})。JSON の読み込み: `{message}`",
        "spec_object": 'モデルの仕様は "input_shape" と "layers" のリストを持つ JSON の'
        "オブジェクトです",
        "spec_keys": "モデルの仕様に知らないキーがあります: {keys}",
        "spec_input_shape": '仕様には "input_shape"(1 つの入力の形状、例えば [1, 28, 28])が'
        "必要です。指定された値: {shape!r}",
        "spec_entry": '層の仕様は "type" を持つ辞書です。指定された値: {entry!r}',
        "spec_type": "{type!r} という層の種類はありません。使える種類: {types}",
        "spec_layer_type": "{type}: {error}",
        "spec_layer": "仕様の層 {index}({entry!r}): {error}",
        "in_file": "{path}: {error}",
        "image_folder": "{path}: これはフォルダです。画像ファイルそのものを指定してください",
        "image_missing": "画像 {path} がありません",
        "image_not_file": "{path}: 普通のファイルではありません。画像ファイルを指定してください",
        "image_format": "PNG、JPEG、PGM/PPM、.npy のどれでもありません(BMP、GIF、WebP、TIFF "
        "でもありません)。PNG で保存してください",
        "image_damaged": "{path}: ファイルが壊れているか途中で切れています({error})",
        "image_dtype": "画像には数が入ります。指定された型: {dtype}",
        "image_npy_dtype": ".npy の画像には数が入ります。指定された型: {dtype}",
        "image_empty": "画像が空です(形状 {shape})",
        "image_not_finite": "画素値のうち {bad:,} 個が NaN か無限大です。どの画素にも数が必要"
        "です",
        "image_range": "画素値が {low}..{high} にあります。画像の値は 0..255(または "
        "0..1)です: 値を変換してください",
        "image_channels": "画像のチャネルは 1 から 4 です。指定された形状: {shape}",
        "image_2d": "2 次元のグレースケールかカラーの画像が必要です。指定された形状: {shape}",
        "image_pillow": "{kind} を読むには Pillow が必要です: {hint}(または画像を PNG で保存"
        "してください。PNG なら何も追加せずに読めます)",
        "image_bomb": "Pillow が解凍爆弾の疑いで読み込みを拒みました({error})。画像を縮小して"
        "ください",
        "image_kind_damaged": "{kind} ファイルが壊れているか途中で切れています({error})。開いて"
        "保存し直してください(例えば PNG で)",
        "image_no_pixels": "画像に画素がありません ({width}x{height})",
        "image_too_big": "画像は {width}x{height} = {pixels:,} 画素で、上限の {limit:,} 画素 "
        "(tatamikomi.images.MAX_IMAGE_PIXELS) を超えています。先に縮小するか、信頼できる"
        "ファイルなら `max_pixels` をもっと大きくしてください",
        "png_truncated": "PNG ファイルが途中で切れています",
        "png_no_data": "PNG ファイルにヘッダか画像データがありません(途中で切れていませんか)",
        "png_header": "PNG のヘッダが壊れています",
        "png_data_damaged": "PNG の画像データが壊れています({error})",
        "png_data_truncated": "PNG の画像データが途中で切れています({needed:,} バイトのうち "
        "{got:,} バイト)",
        "image_blank_hint": "画像が空白で、数字が見つかりません(数字を濃く大きく書くか、写真を"
        "数字のまわりで切り抜いてください)",
        "image_blank": "画像が空白で、数字が見つかりません",
        "image_specks": "画像が空白で、数字が見つかりません(小さな点しかありません)",
        "image_faint": "画像が空白で、数字が見つかりません(いちばん濃い線と紙との差が "
        "{full:.0%} しかありません。数字をもっと濃く書いてください)",
        "data_unknown": "{name!r} というデータセットはありません。{choices} から選ぶか、IDX "
        "ファイルのフォルダか .npz ファイルのパスを指定してください",
        "data_offline": "{name} が見つからず(探した場所: {looked})、ダウンロードもしない設定"
        "です(TATAMIKOMI_OFFLINE が設定されています)。4 つのファイルをそのどれかのフォルダに"
        "置くか、TATAMIKOMI_DATA を設定してください。",
        "data_no_download": "{name} が見つからず(探した場所: {looked})、download=False です。"
        "4 つのファイルをそのどれかのフォルダに置くか、TATAMIKOMI_DATA を設定してください。",
        "data_missing": "データセット {path} がありません。4 つの IDX ファイル({files}。.gz "
        "でもよい)があるフォルダか、.npz ファイルを指定してください",
        "data_not_dataset": "{path} は{what}で、データセットではありません。{format}",
        "data_no_idx": "{path} はフォルダですが、データセットの 4 つの IDX ファイル({files}。"
        ".gz でもよい)がありません。入っているのは: {shown}。それらがあるフォルダか、.npz "
        "ファイルを指定してください",
        "nothing": "何もありません",
        "data_format": "データセットは x_train、t_train、x_test、t_test を持つ .npz "
        "(`np.savez(path, x_train=..., t_train=..., x_test=..., t_test=...)`)か、MNIST と同じ"
        "並びの 4 つの IDX ファイルがあるフォルダです",
        "file_empty": "空のファイル",
        "file_npy": "1 つの .npy 配列",
        "file_idx": "1 つの IDX ファイル(4 つすべてがあるフォルダを指定してください)",
        "file_image": "画像",
        "file_text": "テキストファイル(先頭は {start!r})",
        "file_unknown": "データセットのファイルではないもの(先頭は {start})",
        "data_npz_keys": "{path} に {keys} がありません。データセットの .npz は x_train、"
        "t_train(または y_train)、x_test、t_test(または y_test)を持ちます。入っているのは: "
        "{names}",
        "labels_shape": "{where}: {key} は (N,) の整数のクラス番号にしてください。指定されたのは "
        "{dtype}、形状 {shape}",
        "labels_integral": "{where}: {key} は {dtype} の数です。ラベルは整数のクラス番号です: "
        "t.astype(np.int64) として保存してください",
        "labels_fractional": "{where}: {key} は {dtype} の数です。ラベルは整数のクラス番号です"
        "が、これはラベルには見えません",
        "labels_negative": "{where}: {key} にラベル {lo} があります。ラベルは 0 から始まるクラス"
        "番号です(ラベルは {lo} から {hi}): ずらしてください(例: t - {lo})",
        "labels_gap": "{where}: ラベルは {lo} から {hi} ですが、{first} が訓練ラベルに一度も"
        "現れません。このままでは一度も見ないクラスを持つ {count} クラスのモデルになります: "
        "{shift}{declare}",
        "labels_gaps": "{where}: ラベルは {lo} から {hi} ですが、{first} が訓練ラベルに一度も"
        "現れません。このままでは一度も見ないクラスを持つ {count} クラスのモデルになります: "
        "{shift}{declare}",
        "labels_shift": "{lo} から始まるなら {lo} を引くか(t - {lo})、",
        "declare_classes": "クラスを名前で宣言してください(`np.savez(..., "
        "classes=np.array([...]))`。クラスごとに 1 つの名前で、ラベル i が classes[i])",
        "labels_over": "{where}: {key} にラベル {hi} がありますが、宣言されたクラスは {count} 個"
        "だけです(ラベルは 0 から {last})。ラベルを直すか、classes にクラスごとに 1 つずつ"
        "名前を指定してください",
        "images_dtype": "{where}: {key} の型は {dtype} です。画像は数です(0..255 の uint8、"
        "または [0, 1] の浮動小数点数)",
        "images_channels_last": "{where}: {key} の形状は {shape} で、(N, H, W, C)(チャネルが"
        "最後)のようです。tatamikomi は (N, C, H, W) を使います: x.transpose(0, 3, 1, 2) "
        "として保存してください",
        "images_flat": "{where}: {key} の形状は {shape} で、平坦化した行です。画像は "
        "(N, H, W) か (N, C, H, W) です",
        "images_flat_square": "{where}: {key} の形状は {shape} で、平坦化した行です。画像は "
        "(N, H, W) か (N, C, H, W) です: 形を変えてください(例: x.reshape(-1, {side}, {side}))",
        "images_ndim": "{where}: {key} の形状は {shape} です。画像は (N, H, W) か (N, C, H, W) "
        "です",
        "images_empty": "{where}: {key} が空です(画像 0 枚)。学習にもテストにも少なくとも 1 枚"
        "ずつ画像が必要です(例えば訓練画像の 10 分の 1 を x_test に回してください)",
        "images_zero_side": "{where}: {key} の形状は {shape} です。画像の辺の長さは 0 にできま"
        "せん",
        "images_not_finite": "{where}: {key} の画素値に NaN か無限大があります。その画像を直すか"
        "除いてください(np.isfinite(x).all(axis=(1, 2, 3)) で正常な画像がわかります)",
        "pixels_range": "{where}: 画素値が {lo:g} から {hi:g} です。tatamikomi の画素値は "
        "0..255 か [0, 1] です: 値を変換してください(例: x = (x - x.min()) / (x.max() - "
        "x.min()))",
        "pixels_declared": "{where}: 画素値が {lo:g} から {hi:g} で、0..{scale:g}(宣言された "
        "divide_by)の外です。画像の値を変換するか、divide_by を直してください",
        "count_train": "{where}: 訓練画像が {images} 枚なのに、訓練ラベルは {labels} 個です",
        "count_test": "{where}: テスト画像が {images} 枚なのに、テストラベルは {labels} 個です",
        "split_shapes": "{where}: 訓練画像は {train} なのにテスト画像は {test} です。両方とも"
        "同じ (C, H, W) にしてください",
        "idx_not_idx": "{name} は IDX ファイルではありません: 先頭が {start} です。0000 の後に"
        "型の番号(uint8 なら 08)と次元の数が続くはずです",
        "idx_truncated": "{name} は途中で切れています: 形状 {shape} には値が {expected} バイト"
        "必要ですが、ファイルには {found} バイトしかありません。削除してダウンロードし直して"
        "ください",
        "idx_truncated_read": "{name} は途中で切れています: 形状 {shape} には値が {expected} "
        "バイト必要ですが、{found} バイトしかありません。削除してダウンロードし直してください",
        "environment": "{variable} には、{expected}を指定してください。指定された値: {text!r}。"
        "そのような値にするか、設定を消してください。",
        "env_threads": "スレッド数を表す正の整数(例えば 4)",
        "env_memory": "1 以上のメガバイト数(例えば 64)",
        "not_regular": "{path} は普通のファイルではなく{kind}なので、そのまま残しました。書き出す"
        "普通のファイルの名前を指定してください",
        "kind_folder": "フォルダ",
        "kind_link": "シンボリックリンク",
        "kind_fifo": "名前付きパイプ (FIFO)",
        "kind_device": "デバイス",
        "kind_socket": "ソケット",
        "kind_other": "別の種類のもの",
        "lock_taken": "ロック {lock} を取れませんでした。もう一度試してください",
        "locked": "{path} には別の{what}({who}。ロックは {lock})が書き込んでいます。終わるのを"
        "待つか、別のファイルを選んでください。そのような{what}が動いていなければ、{lock} を"
        "削除してください",
        "run_process": "プロセス",
        "run_training": "学習",
        "who_pid": "プロセス番号 {pid}",
        "who_unknown": "別のプロセス",
        "diverged": "学習が発散しました: {where}で損失が {loss} になりました(学習率 {lr:g})。"
        "{kept}。もっと小さな学習率(例えば {smaller:g})を試してください。",
        "diverged_weights": "学習を続けられません: 重み {names} に NaN か無限大が入っているため、"
        "{where}で損失が {loss} になりました。{kept}。有限の重みを持つモデルから始めてください",
        "diverged_at": "エポック {epoch} のステップ {step} ",
        "diverged_kept": "{path} には最後の正常なエポック {epoch} が残っています",
        "diverged_none": "チェックポイントはまだ書かれていませんでした",
        "book_folder": "{path} はフォルダです。params.pkl のようなファイル名を指定してください",
        "book_read_only": "{path} を書き込めません: フォルダ {folder} は読み取り専用です。自分の"
        "フォルダでスクリプトを実行してください(そこへ cd してから、スクリプトのパスを指定)",
        "book_no_script": "{path} がありません。書籍のスクリプトのパスを指定してください(例: "
        "ch07/train_convnet.py)",
        "book_limit": "--limit は 1(枚)以上にしてください。指定された値: {limit}",
        "book_no_folder": "フォルダ {folder} がありません。先に作成してください: mkdir -p {folder}",
        # issue 20 (the lock and the studio's HTTP edges)
        "studio_json_deep": "JSON の本体が {depth} 段入れ子になっています。"
        "受け付けるのは {limit} 段"
        "までです",
        "studio_json_digits": "JSON の本体に {digits} 桁の数があります。受け付けるのは {limit} 桁"
        "までです",
        "studio_json_constant": "JSON の本体に数ではない {value} があります。有限の数だけを送って"
        "ください",
        "studio_json_huge": "JSON の本体の {value} は、表せる最大の数(約 1.8e308)を超えています。"
        "有限の数だけを送ってください",
        "studio_json_invalid": "本体が正しい JSON ではありません({why})",
        "studio_model_id": "「model」にはモデルの ID(「m1」のような文字列)を指定してください。"
        "指定された値: {value}",
        "studio_channel": "channel には 0 から {last} までの整数を指定してください。指定された値: "
        "{value}",
        "studio_position": "position には [行, 列](整数 2 つ)を指定してください。指定された値: "
        "{value}",
        "studio_bias": "bias には有限の数を指定してください。指定された値: {value}",
        "studio_method": "スタジオは {method} リクエストに応答しません。"
        "GET か POST を使ってください",
        "studio_line_long": "リクエスト行が {limit:,} バイトより長くなっています。短いアドレスを"
        "指定してください",
        "studio_headers_long": "リクエストのヘッダーが長すぎるか多すぎます。ヘッダーを減らし、短く"
        "してください",
        "studio_bad_http": "リクエストが正しい HTTP ではありません({why})。HTTP/1.1 のリクエストを"
        "送ってください",
        "studio_http_error": "リクエストを受け付けませんでした(HTTP {status}: {why})",
        "studio_foreign_host": "このスタジオは localhost 宛てのリクエストにだけ応答します(Host "
        "ヘッダーが別の名前でした)",
        "studio_too_slow": "リクエストが {seconds} 秒以内に届きませんでした。"
        "もう一度送ってください",
        "studio_body_short": "本体が {length:,} バイトのうち {got:,} バイトで途切れました。もう一度"
        "送ってください",
        "studio_file_gone": "モデル {id} のファイル({name})は削除されたか移動されました。モデルは"
        "スタジオで開いたままです。ダウンロードするには保存し直してください",
        "studio_file_special": "モデル {id} のファイル({name})が普通のファイルではなくなりました。"
        "ダウンロードするにはモデルファイルを元に戻してください",
        "studio_file_unreadable": "モデル {id} のファイル({name})を読めません({why})。ダウンロード"
        "するには読めるようにしてください",
        # issue 20 (export and import)
        "model_preprocess": "{path}: 前処理 {preprocess} は使えません(divide_by は 255 のような"
        "正の数でなければなりません)。壊れていないコピーを使ってください",
        "model_classes": "{path}: メタデータのクラス名は {count} 個ですが、出力は {outputs} 個"
        "です。出力ごとに 1 つのクラス名を指定してください(または壊れていないコピーを使って"
        "ください)",
        "model_too_large": "{path}: 1 枚あたりの活性化が {where}({shape})で {values:,} 個になり、"
        "上限の {limit:,} 個(tatamikomi.models.BUDGET)を超えます。入力サイズかパディングを小さく"
        "してください",
        "the_input": "入力",
        "import_layers": "{path} には {count:,} 層以上あります。tatamikomi が読み込めるのは "
        "{limit:,} 層までです",
        "onnx_dtype": "dtype {dtype!r} の ONNX ファイルは書き出せません。{choices} のどれかを"
        "選んでください",
        "onnx_cycle": "ONNX のノード {node}({op})が、グラフにすでにあるテンソル {name!r} に"
        "書き込みます(循環です)。tatamikomi が読み込むのは、層ごとに新しいテンソルを書く層の"
        "連なりです",
        "torch_source_size": "{path} は {size:,} バイトです。tatamikomi export が書く model.py は"
        "数キロバイトです(読むのは {limit:,} バイトまで)。モデルを書き出し直してください",
        "torch_source_syntax": "{path} は tatamikomi が読める Python ではありません({error})。"
        "モデルを書き出し直してください",
        "torch_source_literal": "{path} の {line} 行目: ここで読めるのは単純な値(数、文字列、"
        "タプル)だけです。モデルを書き出し直してください",
        "torch_not_state": "{path} は PyTorch の state_dict ではありません({error})",
        "torch_inflated": "{path} は {size:,} バイトのファイルから {limit:,} バイトを超えて展開"
        "されます(torch.save は圧縮しません)。torch.save(module.state_dict(), path) で保存し"
        "直してください",
        "torch_declared": "{path}: テンソルは {declared:,} バイトと宣言していますが、ファイルに"
        "あるのは {held:,} バイトです。torch.save(module.state_dict(), path) で保存し直して"
        "ください",
        "torch_missing_keys": "{path} は {source} に合いません: 重みに {names} がありません。"
        "両方のファイルを書き出し直してください",
        "torch_extra_keys": "{path} は {source} に合いません: 重みにある {names} が構造に"
        "ありません。両方のファイルを書き出し直してください",
        "torch_shape": "{path} は {source} に合いません: {name} の形が重みでは {held}、構造では "
        "{declared} です。両方のファイルを書き出し直してください",
        # issue 20 (files, data and specs)
        "spec_parameters": "層 {index}({type})でモデルのパラメータが {asked:,} 個以上になり、上限"
        "の {limit:,} 個({whose})を超えます。層を小さくしてください(out_features や "
        "out_channels を減らす)",
        "spec_activations": "層 {index}({type})の出力は {shape} で、1 枚あたりの活性化が "
        "{values:,} 個になり、上限の {limit:,} 個({whose})を超えます。層を小さくするか、早め"
        "にプーリングしてください",
        "spec_input_activations": "input_shape {shape} は 1 枚あたり {values:,} 個の値で、上限"
        "の {limit:,} 個({whose})を超えます。小さな画像にしてください",
        "budget_library": "tatamikomi.models.BUDGET",
        "budget_studio": "スタジオの上限。ライブラリより小さい",
        "model_member_size": "{path}: {name}のバイト数がヘッダーの示す数と違います。ファイル"
        "が壊れています。壊れていないコピーを使ってください",
        "model_total": "{path}: 配列が全部で {total:,} バイトになり、上限の {limit:,} バイト"
        "(tatamikomi.io.MAX_TOTAL_BYTES)を超えるため、読み込みませんでした",
        "model_ratio": "{path}: 配列が {total:,} バイトになり、ファイルの大きさ {size:,} "
        "バイトの {ratio} 倍を超えます。モデルの重みではなく解凍爆弾なので、読み込みませんでした",
        "model_duplicates": "{path} には {names} が 2 つ以上あり、どれを読むか決まりません。"
        "編集されたファイルです。壊れていないコピーを使ってください",
        "model_meta_size": "{path}: メタデータが上限の {limit:,} バイト"
        "(tatamikomi.io.MAX_META_BYTES)を超えるため、読み込みませんでした",
        "data_npz_ambiguous": "{path}: {given} がどちらも配列 {key} を指し、どれを読むか決まり"
        "ません。1 つだけ残してください(numpy.savez が書く {key}.npy)",
        "data_npz_size": "{path}: 配列 {key} のバイト数が、形 {shape}、型 {dtype} の示す数"
        "({declared})と違います。ファイルが壊れています。保存し直してください",
        "data_ratio": "{path} は {size} から {total} に展開され、大きさの {ratio} 倍を超えます。"
        "データセットではなく解凍爆弾なので、読み込みませんでした",
        "idx_pair": "{images} は {image_shape}、{labels} は {label_shape} で、画像 1 枚に"
        "ラベル 1 つの組になっていません。ファイルが壊れているか、組ではありません",
        "download_failed": "{name} をどのミラーからもダウンロードできませんでした({why})。"
        "{folder} にコピーするか、それがあるフォルダを TATAMIKOMI_DATA に設定してください",
        "run_number": "{name} は {low:,} から {high:,} までの整数にしてください。指定された値: "
        "{value}",
        "checkpoint_number": "{path}: チェックポイントの {name} が {value} で、{low:,} から "
        "{high:,} までの整数ではありません。編集されたファイルです。壊れていないコピーを使うか、"
        "新しく学習してください",
        "checkpoint_edited": "{path}: チェックポイントの学習の状態が編集されています({what})。"
        "壊れていないコピーを使うか、新しく学習してください",
        # issue 20 (photos and images)
        "image_too_much_work": "画像は {width}x{height} 画素({kind})で、読み込んで前処理するには"
        "約 {needed:,} MB のメモリが必要になり、上限の {limit:,} MB"
        "(tatamikomi.images.MAX_WORK_BYTES)を超えます。先に縮小してください(数字には幅 1,000 "
        "画素ほどあれば十分です)",
        "png_filter_work": "PNG は {width}x{height} 画素で、行フィルタ Average か Paeth を使って"
        "います。元に戻すには {steps:,} ステップかかり、上限の {limit:,} を超えます。これほど縦長の"
        "画像は数字の写真ではありません。切り抜くか縮小してください",
        "image_too_thin": "画像は {width}x{height} 画素です。数字には縦横とも {least} 画素以上"
        "必要です。数字を 1 つ写した写真か絵を指定してください",
    },
}

#: every area by name: the part before the dot in a key
AREAS = {
    "explain": EXPLAIN,
    "layer_names": LAYER_NAMES,
    "demo": DEMO,
    "figures": FIGURES,
    "diagrams": DIAGRAMS,
    "exercises": EXERCISES,
    "studio": STUDIO,
    "training": TRAINING,
    "summary": SUMMARY,
    "book": BOOK,
    "cli": CLI,
    "errors": ERRORS,
}


def check_lang(lang) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang


def table(area: str, lang: str) -> dict[str, str]:
    """All the templates of one area in one language, ``{name: template}``."""
    check_lang(lang)
    try:
        return AREAS[area][lang]
    except KeyError:
        raise KeyError(f"no text area {area!r}; the areas are {', '.join(AREAS)}") from None


def text(key: str, lang: str, /, *args, **values) -> str:
    """The text ``"area.name"`` in ``lang``, filled in with ``template.format(*args, **values)``
    (a template without fields comes back as it is)."""
    area, dot, name = key.partition(".")
    if not dot:
        raise KeyError(f"a text key is 'area.name' (e.g. 'explain.output'); got {key!r}")
    templates = table(area, lang)
    if name not in templates:
        raise KeyError(f"no text {name!r} in area {area!r} ({lang})")
    template = templates[name]
    return template.format(*args, **_without_doubled_stops(template, values))


#: sentence ends, and the punctuation after which a value's own sentence end would be doubled
_STOPS = ".。"
_PUNCTUATION = tuple(".。;；,，、:：)）」!！?？")


def _without_doubled_stops(template: str, values: dict) -> dict:
    """``values``, each text value that the template follows with punctuation ("{first}. Pick",
    "{detail}。") without its own final stop: a message composed of parts never says "..", "。。"
    or ".;" in any language."""
    fields = list(string.Formatter().parse(template))
    values = dict(values)
    for (_, field, _, _), (after, _, _, _) in zip(fields, fields[1:]):
        value = values.get(field) if field else None
        if isinstance(value, str) and after.startswith(_PUNCTUATION):
            values[field] = value.rstrip(_STOPS) or value
    return values


def clause(text: str) -> str:
    """``text`` without its final stop (``.`` or ``。``), to be followed by punctuation when a
    message is composed in code rather than in a template."""
    return str(text).rstrip(_STOPS) or str(text)


def by_key(area: str) -> dict[str, dict[str, str]]:
    """One area as ``{name: {lang: template}}`` (the shape a web page looks texts up in)."""
    templates = AREAS[area]
    return {name: {lang: templates[lang][name] for lang in LANGUAGES} for name in templates["en"]}


def localized(tables: dict, lang: str):
    """``tables[lang]`` for any dict keyed by language, after :func:`check_lang`."""
    return tables[check_lang(lang)]


class Said:
    """A text to be said later in the language asked: ``Said("area.name", **values)``.

    ``str()`` gives it in English; :meth:`say` in any language, its values that are themselves
    ``Said`` (or errors from :func:`error`) said in the same language. An error's message is
    built from one, so that the library speaks English and a command line the user's language.
    """

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values

    def say(self, lang: str) -> str:
        return text(self.key, lang, **{k: say(v, lang) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.say("en")

    def __repr__(self) -> str:
        return f"Said({self.key!r}, {self.values!r})"


def error(kind: type[BaseException], name: str, /, **values) -> BaseException:
    """An exception ``kind`` whose message is ``errors.NAME`` in English, filled in with
    ``values``; it keeps them (as ``.said``), so that :func:`say` can give it in another
    language::

        raise i18n.error(ModelFileError, "model_missing", path=path)
    """
    said = Said(f"errors.{name}", **values)
    exception = kind(str(said))
    exception.said = said
    return exception


def recast(kind: type[BaseException], exception: BaseException) -> BaseException:
    """``exception``'s message (and what :func:`say` makes of it) in an exception ``kind``."""
    said = getattr(exception, "said", None)
    new = kind(str(exception))
    if said is not None:
        new.said = said
    return new


def say(value, lang: str):
    """``value`` in ``lang`` when it is a :class:`Said` or an exception made by :func:`error`
    (also ones they hold); any other value as it is (an exception: its message)."""
    said = value if isinstance(value, Said) else getattr(value, "said", None)
    if isinstance(said, Said):
        return said.say(check_lang(lang))
    return str(value) if isinstance(value, BaseException) else value


__all__ = [
    "LANGUAGES", "AREAS", "check_lang", "table", "text", "by_key", "localized", "Said", "error",
    "recast", "say", "clause",
]
