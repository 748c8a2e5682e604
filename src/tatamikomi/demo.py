"""A short tour of the lecture's worked examples, computed by tatamikomi (``tatamikomi demo``)."""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import lecture
from .explain import grid as _grid
from .explain import sum_of_products


def lines(lang: str = "en"):
    """The demo's text, line by line, in English (``"en"``) or Japanese (``"ja"``)."""
    ja = lang == "ja"
    x, w = lecture.INPUT[None, None], lecture.FILTER[None, None]
    yield "入力データ (4x4):" if ja else "Input (4x4):"
    yield _grid(lecture.INPUT)
    yield "フィルタ (3x3):" if ja else "Filter (3x3):"
    yield _grid(lecture.FILTER)
    out = F.conv2d(x, w)[0, 0]
    yield (
        "畳み込み演算 (パディング 0, ストライド 1) → 2x2:"
        if ja
        else "Convolution (pad 0, stride 1) -> 2x2:"
    )
    yield _grid(out)
    yield ("  左上の要素: " if ja else "  top-left element: ") + (
        f"{sum_of_products(lecture.INPUT[:3, :3], lecture.FILTER)} = {out[0, 0]:g}"
    )
    yield ("パディング 1 → 出力も 4x4 のまま:" if ja else "With padding 1 the output stays 4x4:")
    yield _grid(F.conv2d(x, w, padding=1)[0, 0])
    yield "バイアス 3 を加える:" if ja else "Adding a bias of 3 to every element:"
    yield _grid(F.conv2d(x, w, np.array([3]))[0, 0])
    yield ("ストライド 2 → 出力は小さくなる:" if ja else "Stride 2 makes the output smaller:")
    yield _grid(F.conv2d(x, w, padding=1, stride=2)[0, 0])
    yield ("2x2 の Max プーリング (ストライド 2):" if ja else "2x2 max pooling with stride 2:")
    yield _grid(F.max_pool2d(x, 2)[0, 0])
    yield "2x2 の Average プーリング:" if ja else "2x2 average pooling:"
    yield _grid(F.avg_pool2d(x, 2)[0, 0])
    batch = np.random.default_rng(0).random(lecture.IM2COL_BATCH_SHAPE)
    col = F.im2col(batch, *lecture.IM2COL_FILTER)
    yield (
        f"im2col: バッチ {lecture.IM2COL_BATCH_SHAPE} と 5x5 フィルタ → {col.shape}"
        f" (10 x 3 x 3 = 90 行, 3 チャネル x 5 x 5 = 75 列)"
        if ja
        else f"im2col: batch {lecture.IM2COL_BATCH_SHAPE} with a 5x5 filter -> {col.shape}"
        f" (10 images x 3x3 positions = 90 rows, 3 channels x 5x5 = 75 columns)"
    )
    filters = np.random.default_rng(1).random((30,) + lecture.IM2COL_BATCH_SHAPE[1:2] + (5, 5))
    yield (
        f"バッチ処理: (N, C, H, W) = {batch.shape} に (FN, C, FH, FW) = {filters.shape} → "
        f"(N, FN, OH, OW) = {F.conv2d(batch, filters).shape}"
        if ja
        else f"Batches: (N, C, H, W) = {batch.shape} with (FN, C, FH, FW) = {filters.shape} -> "
        f"(N, FN, OH, OW) = {F.conv2d(batch, filters).shape}"
    )
