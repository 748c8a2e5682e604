"""Models the export tests share: the book's two networks and a briefly trained one."""

from __future__ import annotations

import functools

import numpy as np

import tatamikomi as tk


@functools.lru_cache(maxsize=None)
def trained_model():
    """A small SimpleConvNet after 30 Adam steps on the bundled mnist-mini (its weights are no
    longer the tidy initial ones), with classes and preprocessing as training sets them."""
    data = tk.load_dataset("mnist-mini")
    model = tk.SimpleConvNet(
        conv_param={"filter_num": 8, "filter_size": 5, "pad": 0, "stride": 1},
        hidden_size=32,
        seed=0,
        classes=[str(k) for k in range(10)],
    )
    model.preprocess = {"divide_by": 255}
    optimizer = tk.Adam(lr=0.003)
    x = (data.x_train[:1500] / np.float32(255)).astype(np.float32)
    t = data.t_train[:1500]
    for step in range(30):
        batch = slice(50 * step, 50 * step + 50)
        optimizer.update(model.params, model.gradient(x[batch], t[batch]))
    return model.eval()


def mnist_images(model, n, seed=1):
    """MNIST-like test images in [0, 1] for the models above."""
    data = tk.load_dataset("mnist-mini")
    return (data.x_test[seed : seed + n] / np.float32(255)).astype(model.dtype)


MODELS = {
    "SimpleConvNet": lambda: tk.SimpleConvNet(seed=0),
    "DeepConvNet": lambda: tk.DeepConvNet(seed=0),
    "trained": trained_model,
}
