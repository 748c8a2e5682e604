"""Data augmentation for training: small random shifts of the images.

A handwritten digit moved by a pixel or two is the same digit; showing the network such shifted
copies teaches it the small-shift robustness that pooling gives only in part (the lecture's
point about pooling), and lowers the test error of a small CNN on MNIST.
"""

from __future__ import annotations

import numpy as np


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of the batch x (N, C, H, W) with each image moved by up to ``max_shift`` pixels
    in each direction (drawn uniformly and independently per image); the uncovered border is
    filled with zeros (MNIST's background). ``max_shift=0`` returns x unchanged."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    s = int(max_shift)
    padded = np.zeros((n, x.shape[1], h + 2 * s, w + 2 * s), x.dtype)
    padded[:, :, s : s + h, s : s + w] = x
    offsets = rng.integers(0, 2 * s + 1, (n, 2))
    out = np.empty_like(x)
    for dy in range(2 * s + 1):
        for dx in range(2 * s + 1):
            chosen = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
            if chosen.size:
                out[chosen] = padded[chosen, :, dy : dy + h, dx : dx + w]
    return out
