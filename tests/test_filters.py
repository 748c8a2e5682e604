"""What each filter looks for (issue 22, item 3): gradient ascent on the input with the library's
backward pass, the images that excite a channel most, and their commands."""

import warnings

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import cli
from tatamikomi.explain import maximise_channel, maximise_channels, receptive_field, top_images
from tatamikomi.explain.filters import blur
from tatamikomi.serve import api


@pytest.fixture(scope="module")
def deep():
    """Two convolutions with pooling between them, small enough for seconds."""
    return tk.models.from_spec(
        {
            "input_shape": [1, 12, 12],
            "layers": [
                {"type": "Conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1},
                {"type": "ReLU"},
                {"type": "MaxPool2d", "kernel_size": 2},
                {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2},
                {"type": "ReLU"},
                {"type": "Flatten"},
                {"type": "Linear", "out_features": 3},
            ],
        },
        seed=0,
    )


def names(model):
    return [name for name, layer in model.layers.items() if layer.kind == "conv"]


def test_gradient_ascent_raises_the_channels_mean_and_repeats_with_its_seed(deep):
    second = names(deep)[1]
    before = {k: v.copy() for k, v in deep.params.items()}
    state = np.random.get_state()
    result = maximise_channel(deep, second, 2, steps=30, seed=5)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # no global random state
    assert result.history[-1] > result.history[0] and result.gain > 0
    assert result.image.dtype == deep.dtype and result.image.shape == (1, 12, 12)
    assert 0 <= result.image.min() and result.image.max() <= 1
    again = maximise_channel(deep, second, 2, steps=30, seed=5)
    assert np.array_equal(again.image, result.image)
    other = maximise_channel(deep, second, 2, steps=30, seed=6)
    assert not np.array_equal(other.start, result.start)
    # the history is the channel's true mean activation, measured again here
    x = result.image[None]
    for layer in deep.layers.values()[: deep.layers.keys().index(second) + 1]:
        layer.eval()
        x = layer.forward(x)
    deep.train()
    assert x[0, 2].mean() == pytest.approx(result.history[-1], rel=1e-5)
    assert all(np.array_equal(before[k], deep.params[k]) for k in before)


def test_each_channel_alone_or_together_is_the_same(deep):
    first = names(deep)[0]
    together = maximise_channels(deep, first, steps=10, seed=1)
    alone = maximise_channel(deep, first, 1, steps=10, seed=1)
    np.testing.assert_allclose(together[1].image, alone.image, rtol=1e-5, atol=1e-6)
    centre = maximise_channel(deep, first, 0, steps=20, centre=True)
    assert centre.gain > 0 and centre.settings["centre"]


def test_the_blur_keeps_the_mean_shape_and_dtype():
    x = np.random.default_rng(0).random((2, 1, 9, 9)).astype(np.float32)
    y = blur(x, 0.8)
    assert y.dtype == x.dtype and y.shape == x.shape and y.std() < x.std()
    assert not np.shares_memory(x, y)


def test_top_images_are_the_true_maxima_with_the_patch_their_cell_sees(deep):
    second = names(deep)[1]
    images = np.random.default_rng(3).random((40, 1, 12, 12)).astype(np.float32)
    top = top_images(deep, second, 1, images, k=5, batch_size=16)
    # a direct loop: each image alone, its channel's largest output
    index = deep.layers.keys().index(second)
    direct, cells = [], []
    for image in images:
        x = image[None]
        for layer in deep.layers.values()[: index + 1]:
            layer.eval()
            x = layer.forward(x)
        direct.append(x[0, 1].max())
        cells.append(np.unravel_index(np.argmax(x[0, 1]), x[0, 1].shape))
    deep.train()
    order = np.argsort(-np.array(direct), kind="stable")[:5]
    assert top.indices.tolist() == order.tolist()
    np.testing.assert_allclose(top.scores, np.array(direct)[order], rtol=1e-6)
    assert top.cells == [tuple(int(v) for v in cells[i]) for i in order]
    # Conv (3x3, pad 1) -> ReLU -> Pool (2x2) -> Conv (3x3, stride 2): cell (i, j) of the last
    # sees rows 4i-1 .. 4i+6 of the input, clipped to it
    for (i, j), box, patch in zip(top.cells, top.boxes, top.patches):
        assert box == (max(4 * i - 1, 0), max(4 * j - 1, 0), min(4 * i + 7, 12), min(4 * j + 7, 12))
        assert patch.shape == (1, box[2] - box[0], box[3] - box[1])
    assert receptive_field(deep, 0, (0, 0), (1, 12, 12)) == (0, 0, 2, 2)


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda m: maximise_channel(m, "Conv9", 0), r"Conv1 \(0-2\), Conv2 \(0-3\)"),
        (lambda m: maximise_channel(m, "Relu1", 0), "no convolution layer 'Relu1'"),
        (lambda m: maximise_channel(m, "Conv2", 4), "give a channel from 0 to 3"),
        (lambda m: maximise_channel(m, "Conv2", 0, steps=0), "steps must be"),
        (lambda m: top_images(m, "Conv1", 0, np.zeros((3, 1, 12, 12)), k=4), "k must be"),
    ],
)
def test_bad_layers_channels_and_bounds_are_one_clear_error(deep, call, says):
    with pytest.raises(ValueError, match=says):
        call(deep)


MODEL = api.pretrained_path()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_plot_commands_write_their_pictures(tmp_path, capsys, lang):
    pytest.importorskip("matplotlib", reason="the viz extra (matplotlib) is not installed")
    maxima, top = tmp_path / "f.png", tmp_path / "t.png"
    args = ["--lang", lang]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.main(["plot", "filters", MODEL, "--layer", "Conv1", "--steps", "5",
                         "-o", str(maxima), *args]) == 0
        assert cli.main(["plot", "top-images", MODEL, "--channel", "5", "--count", "4",
                         "-o", str(top), *args]) == 0
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]
    capsys.readouterr()
    for path in (maxima, top):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("lang, says", [("en", "no convolution layer"), ("ja", "畳み込み層")])
def test_a_bad_layer_or_channel_is_one_line_and_exit_1(tmp_path, capsys, lang, says):
    pytest.importorskip("matplotlib", reason="the viz extra (matplotlib) is not installed")
    out = str(tmp_path / "x.png")
    for extra in (["--layer", "Conv2"], ["--channel", "30"], ["--count", "0"]):
        assert cli.main(["plot", "top-images", MODEL, *extra, "-o", out, "--lang", lang]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        if extra[0] == "--layer":
            assert says in err[0] and "Conv1 (0-29)" in err[0]
    assert cli.main(["plot", "filters", MODEL, "--layer", "Pool1", "-o", out, "--lang", lang]) == 1
    assert says in capsys.readouterr().err
