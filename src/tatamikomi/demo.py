"""A short tour of the lecture's worked examples, computed by tatamikomi (``tatamikomi demo``)."""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import i18n, lecture
from .explain import grid, sum_of_products

#: an input large enough for stride 2 to shrink the output visibly (5x5 -> 3x3)
STRIDE_INPUT_HW = (7, 7)


def lines(lang: str | None = None) -> list[str]:
    """The demo's text, line by line, in ``lang`` (default: the language in effect)."""
    with i18n.use(lang):
        return list(_lines())


def _lines():
    x, w = lecture.INPUT[None, None], lecture.FILTER[None, None]
    yield i18n.text("demo.input")
    yield grid(lecture.INPUT)
    yield i18n.text("demo.filter")
    yield grid(lecture.FILTER)
    out = F.conv2d(x, w)[0, 0]
    yield i18n.text("demo.conv")
    yield grid(out)
    yield i18n.text("demo.top_left",
        products=sum_of_products(lecture.INPUT[:3, :3], lecture.FILTER), value=f"{out[0, 0]:g}"
    )
    yield i18n.text("demo.pad1")
    yield grid(F.conv2d(x, w, padding=1)[0, 0])
    yield i18n.text("demo.bias")
    yield grid(F.conv2d(x, w, np.array([3]))[0, 0])
    yield i18n.text("demo.pad1_stride2")
    yield grid(F.conv2d(x, w, padding=1, stride=2)[0, 0])
    larger = np.zeros((1, 1) + STRIDE_INPUT_HW)
    s1, s2 = ("{}x{}".format(*F.conv2d(larger, w, stride=s).shape[2:]) for s in (1, 2))
    yield i18n.text("demo.stride2", h=larger.shape[2], w=larger.shape[3], s1=s1, s2=s2)
    yield i18n.text("demo.max_pool")
    yield grid(F.max_pool2d(x, 2)[0, 0])
    yield i18n.text("demo.avg_pool")
    yield grid(F.avg_pool2d(x, 2)[0, 0])
    batch = np.random.default_rng(0).random(lecture.IM2COL_BATCH_SHAPE)
    col = F.im2col(batch, *lecture.IM2COL_FILTER)
    yield i18n.text("demo.im2col", batch=lecture.IM2COL_BATCH_SHAPE, col=col.shape)
    filters = np.random.default_rng(1).random((30,) + lecture.IM2COL_BATCH_SHAPE[1:2] + (5, 5))
    yield i18n.text(
        "demo.batches", x=batch.shape, w=filters.shape, out=F.conv2d(batch, filters).shape
    )
