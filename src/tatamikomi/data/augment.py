"""Data augmentation for training: small random shifts of the images.

A handwritten digit moved by a pixel or two is the same digit; showing the network such shifted
copies teaches it the small-shift robustness that pooling gives only in part (the lecture's
point about pooling), and lowers the test error of a small CNN on MNIST.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import i18n
from .errors import DataError


def check_shift(max_shift, image_shape, name: str = "augment_shift") -> int:
    """``max_shift`` as an int, checked: ``0 <= max_shift < min(H, W)`` of ``image_shape``
    (``(C, H, W)``, ``(H, W)`` or a batch's ``(N, C, H, W)``); else :class:`DataError`
    naming ``name`` (the option, e.g. ``"--augment-shift"``)."""
    height, width = image_shape[-2:]
    side = min(height, width)
    if isinstance(max_shift, bool) or not isinstance(max_shift, numbers.Integral):
        raise i18n.error(DataError, "errors.shift_whole", name=name, value=max_shift)
    if not 0 <= max_shift < side:
        raise i18n.error(
            DataError, "errors.shift_range", name=name, last=side - 1, height=height, width=width,
            value=max_shift,
        )
    return int(max_shift)


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of the batch x (N, C, H, W) with each image moved by up to ``max_shift`` pixels
    in each direction (drawn uniformly and independently per image); the uncovered border is
    filled with zeros (MNIST's background). ``max_shift=0`` returns x unchanged.

    ``0 <= max_shift < min(H, W)`` (:func:`check_shift`). The cost is one gather of the batch,
    whatever the shift: with offsets (dy, dx) drawn from -max_shift..max_shift, output pixel
    (y, x) is input pixel (y + dy, x + dx), or 0 where that falls outside the image."""
    s = check_shift(max_shift, x.shape)
    if s == 0:
        return x
    n, c, h, w = x.shape
    offsets = rng.integers(0, 2 * s + 1, (n, 2)) - s  # (dy, dx) per image, as drawn before
    rows = np.arange(h)[None, :] + offsets[:, :1]  # (N, H): the input row of each output row
    cols = np.arange(w)[None, :] + offsets[:, 1:]  # (N, W)
    inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[
        :, None, None, :
    ]
    gathered = x[
        np.arange(n)[:, None, None, None],
        np.arange(c)[None, :, None, None],
        rows.clip(0, h - 1)[:, None, :, None],
        cols.clip(0, w - 1)[:, None, None, :],
    ]
    return np.where(inside, gathered, x.dtype.type(0))
