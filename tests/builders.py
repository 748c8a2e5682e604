"""Models, data and trainers that several test files build, under public names: ``SPEC`` (most
layer families in one spec), ``SMALL_SPEC``, ``small_data`` and ``small_trainer`` (a toy problem
that trains in a second), ``book_params`` (weights as the book's code pickles them)."""

import numpy as np

from tatamikomi import DeepConvNet, SimpleConvNet, Trainer, from_spec

#: a spec with one of most layer families: two convolutions (one grouped, without bias),
#: batch norm, both poolings (one ceil_mode), dropout, and named classes
SPEC = {
    "input_shape": [1, 12, 12],
    "layers": [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "BatchNorm2d"},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Conv2d", "out_channels": 6, "kernel_size": 3, "groups": 2, "bias": False},
        {"type": "Tanh"},
        {"type": "AvgPool2d", "kernel_size": 2, "ceil_mode": True},
        {"type": "Flatten"},
        {"type": "Dropout", "p": 0.25},
        {"type": "Linear", "out_features": 3},
    ],
    "classes": ["a", "b", "c"],
}


#: a small network for the toy problem of ``small_data`` (8x8 images, 3 classes)
SMALL_SPEC = {
    "input_shape": [1, 8, 8],
    "layers": [
        {"type": "Conv2d", "out_channels": 3, "kernel_size": 3},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 12},
        {"type": "ReLU"},
        {"type": "Dropout", "p": 0.3},
        {"type": "Linear", "out_features": 3},
    ],
}


def small_data(n=90, seed=0):
    """A learnable toy problem: the class is which third of the image is bright."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, n)
    x = rng.random((n, 1, 8, 8), dtype=np.float32) * 0.3
    for i, c in enumerate(t):
        x[i, 0, :, c * 2 : c * 2 + 3] += 0.7
    return x, t


def small_trainer(model=None, epochs=3, **options):
    """A Trainer of ``SMALL_SPEC`` (or ``model``) on ``small_data``: adam, lr 0.01, quiet."""
    x, t = small_data()
    x_test, t_test = small_data(30, seed=1)
    model = model or from_spec(SMALL_SPEC, seed=0)
    options.setdefault("verbose", False)
    options.setdefault("optimizer", "adam")
    options.setdefault("optimizer_param", {"lr": 0.01})
    return Trainer(model, x, t, x_test, t_test, epochs=epochs, mini_batch_size=16, **options)


def book_params(deep, seed=0):
    """Weights as the book's code makes and pickles them: float64, He-scaled, non-zero biases."""
    rng = np.random.default_rng(seed)
    shapes = {k: v.shape for k, v in (DeepConvNet() if deep else SimpleConvNet()).params.items()}
    params = {}
    for key, shape in shapes.items():
        fan_in = np.prod(shape[1:]) if len(shape) == 4 else shape[0]
        scale = np.sqrt(2 / fan_in) if key[0] == "W" else 0.1
        params[key] = scale * rng.standard_normal(shape)
    return params
