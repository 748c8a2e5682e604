"""The images the benchmarks use: MNIST when it is found, else random images."""

from __future__ import annotations

import numpy as np

import tatamikomi as tk


def mnist_training_images():
    """(x, t, source): MNIST's 60,000 training images scaled to 0..1 (from $TATAMIKOMI_DATA or
    the cache, never downloaded), or as many random images of the same shape; speed does not
    depend on the values."""
    try:
        data = tk.load_dataset("mnist", download=False)
        return data.x_train.astype(np.float32) / 255, data.t_train, "MNIST"
    except (OSError, ValueError):
        rng = np.random.default_rng(0)
        x = rng.random((60000, 1, 28, 28), dtype=np.float32)
        return x, rng.integers(0, 10, 60000), "random images (MNIST not found)"


def mnist_test_images():
    """MNIST's 10,000 test images scaled to 0..1 when found (never downloaded), else as many
    random images of the same shape."""
    try:
        return tk.load_dataset("mnist", download=False).x_test.astype(np.float32) / 255
    except (OSError, ValueError):
        return np.random.default_rng(1).random((10000, 1, 28, 28), dtype=np.float32)
