"""Randomised model specs for the export tests: every layer type and option the converters map."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tatamikomi as tk
from tatamikomi.functional.geometry import window2d

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


@st.composite
def conv_entry(draw, channels, hw, padding_modes=PADDING_MODES):
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.sampled_from([1, 2, (1, 2)]))
    dilation = draw(st.sampled_from([1, 2, (2, 1)]))
    choices = [0, 1, (1, 0), "valid"] + (["same"] if stride == 1 else [])
    padding = draw(st.sampled_from(choices))
    groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
    out = groups * draw(st.integers(1, 3))
    return {
        "type": "Conv2d",
        "out_channels": out,
        "kernel_size": kernel if kernel[0] != kernel[1] else kernel[0],
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
        "padding_mode": draw(st.sampled_from(padding_modes)),
    }


@st.composite
def pool_entry(draw):
    kind = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
    kernel = draw(st.integers(1, 3))
    entry = {
        "type": kind,
        "kernel_size": kernel,
        "stride": draw(st.sampled_from([1, 2, (2, 1)])),
        "padding": draw(st.integers(0, kernel // 2)),
        "ceil_mode": draw(st.booleans()),
    }
    if kind == "MaxPool2d":
        entry["dilation"] = draw(st.sampled_from([1, 2]))
    else:
        entry["count_include_pad"] = draw(st.booleans())
    return entry


def batchnorm_entry(book: bool):
    if book:
        return st.fixed_dictionaries(
            {
                "type": st.just("BatchNormalization"),
                "momentum": st.sampled_from([0.9, 0.8]),
                "eps": st.sampled_from([1e-6, 1e-3]),
                "unbiased_running_var": st.booleans(),
                "affine": st.booleans(),
            }
        )
    return st.fixed_dictionaries(
        {"type": st.just("BatchNorm2d"), "eps": st.sampled_from([1e-5, 1e-3]),
         "momentum": st.sampled_from([0.1, 0.3])}
    )  # fmt: skip


ACTIVATIONS = [{"type": "ReLU"}, {"type": "Sigmoid"}, {"type": "Tanh"}]


@st.composite
def model_specs(draw, padding_modes=PADDING_MODES, dropout=True):
    """A spec that from_spec builds: one or two convolution blocks (with pooling, batch norm,
    activations), then global pooling or flattening, and one or two Linear layers."""
    channels = draw(st.integers(1, 4))
    hw = (draw(st.integers(6, 9)), draw(st.integers(6, 9)))
    layers = []
    c = channels
    for _ in range(draw(st.integers(1, 2))):
        conv = draw(conv_entry(c, hw, padding_modes))
        layers.append(conv)
        c = conv["out_channels"]
        if draw(st.booleans()):
            layers.append(draw(batchnorm_entry(draw(st.booleans()))))
        layers.append(draw(st.sampled_from(ACTIVATIONS)))
        if draw(st.booleans()):
            layers.append(draw(pool_entry()))
    ending = draw(st.sampled_from(["gap", "flatten", "affine"]))
    if ending == "gap":
        layers.append({"type": "GlobalAvgPool2d"})
    if ending in ("gap", "flatten"):
        layers.append({"type": "Flatten"})
    if draw(st.booleans()):
        layers.append({"type": "Linear", "out_features": draw(st.integers(2, 6)),
                       "bias": draw(st.booleans())})  # fmt: skip
        if draw(st.booleans()):
            layers.append(draw(batchnorm_entry(draw(st.booleans()))))
        layers.append(draw(st.sampled_from(ACTIVATIONS)))
        if dropout and draw(st.booleans()):
            layers.append({"type": "Dropout", "p": draw(st.sampled_from([0.0, 0.3, 0.5]))})
    layers.append({"type": "Linear", "out_features": draw(st.integers(2, 5))})
    return {"input_shape": [channels, *hw], "layers": layers}


def build(spec, seed=0, dtype=np.float32):
    """The model of ``spec`` with every parameter and buffer random (batch norm non-trivial),
    or None when the spec does not fit its input (a window larger than the image...)."""
    try:
        model = tk.from_spec(spec, seed=seed, dtype=dtype)
    except ValueError:
        return None
    rng = np.random.default_rng(seed)
    for name, value in model.state_dict().items():
        random = rng.standard_normal(value.shape)
        if name.startswith("W"):  # scores of order 1, so that 1e-5 is float32 rounding
            fan_in = value.shape[0] if value.ndim == 2 else int(np.prod(value.shape[1:]))
            random /= np.sqrt(fan_in)
        elif name.startswith("running_var"):
            random = rng.uniform(0.5, 1.5, value.shape)
        elif name.startswith("gamma"):
            random = 1 + 0.2 * random
        random = random.astype(value.dtype)
        store = model.params if name in model.params else model.buffers
        store[name] = random
    return model.eval()


def images(model, n, seed=1):
    return np.random.default_rng(seed).standard_normal((n, *model.input_shape)).astype(model.dtype)


__all__ = ["model_specs", "build", "images", "window2d"]
