"""The pictures: every `tatamikomi plot` command writes a real image, in English and Japanese."""

import sys
import warnings

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import cli

pytest.importorskip("matplotlib", reason="the viz extra (matplotlib) is not installed")
Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) is missing")

from tatamikomi import viz  # noqa: E402
from tatamikomi.viz import _backend  # noqa: E402

MODEL_KINDS = ("filters", "feature-maps", "curves", "confusion", "errors")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A SimpleConvNet trained for one epoch on the bundled mnist-mini, saved with its history."""
    data = tk.load_dataset("mnist-mini")
    x_train = data.x_train.astype(np.float32) / 255
    x_test = data.x_test.astype(np.float32) / 255
    model = tk.SimpleConvNet(seed=0)
    model.preprocess = {"divide_by": 255, "dataset": "mnist-mini"}
    trainer = tk.Trainer(
        model,
        x_train,
        data.t_train,
        x_test,
        data.t_test,
        epochs=2,
        mini_batch_size=100,
        optimizer="adam",
        optimizer_param={"lr": 0.003},
        verbose=False,
        seed=0,
    )
    trainer.train()
    path = tmp_path_factory.mktemp("viz") / "model.npz"
    tk.save(model, path)
    return str(path)


def check_image(path, min_size=200):
    """A valid image of a sensible size that is not one flat colour."""
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert min(image.size) >= min_size, image.size
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    assert pixels.std() > 5, "the image is (nearly) blank"
    return pixels


def plot(capsys, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli.main(["plot", *args])
    captured = capsys.readouterr()
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing  # a glyph drawn as an empty box
    return code, captured.out, captured.err


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_each_model_picture_is_written(tmp_path, capsys, model_file, kind, lang):
    output = tmp_path / f"{kind}.png"
    code, out, err = plot(capsys, kind, model_file, "-o", str(output), "--lang", lang)
    assert code == 0, err
    assert out.strip() == (f"wrote {output}" if lang == "en" else f"{output} に書き出しました")
    check_image(output)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_im2col_diagram(tmp_path, capsys, lang):
    output = tmp_path / "im2col.png"
    code, _, err = plot(capsys, "im2col", "-o", str(output), "--lang", lang)
    assert code == 0, err
    check_image(output)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_sliding_window_gif_has_a_frame_per_output_element(tmp_path, capsys, lang):
    output = tmp_path / "slide.gif"
    code, _, err = plot(capsys, "slide", "--pad", "1", "-o", str(output), "--lang", lang)
    assert code == 0, err
    with Image.open(output) as gif:
        assert gif.format == "GIF" and gif.n_frames == 16  # 4x4 output with padding 1
        frames = []
        for k in (0, 15):
            gif.seek(k)
            frames.append(np.asarray(gif.convert("L"), dtype=np.float64))
    assert np.abs(frames[0] - frames[1]).mean() > 0.1  # the window moved
    check_image(output)


def test_existing_file_is_kept_unless_forced(tmp_path, capsys):
    output = tmp_path / "im2col.png"
    output.write_bytes(b"mine")
    code, _, err = plot(capsys, "im2col", "-o", str(output))
    assert code == 1 and "already exists" in err and "--force" in err
    assert output.read_bytes() == b"mine"
    code, _, _ = plot(capsys, "im2col", "-o", str(output), "--force")
    assert code == 0
    check_image(output)


def test_a_failed_plot_leaves_no_file(tmp_path, capsys, model_file):
    output = tmp_path / "maps.png"
    code, _, err = plot(capsys, "feature-maps", model_file, "--index", "99999", "-o", str(output))
    assert code == 1 and "--index must be between 0 and 999" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["slide", "-o", "x.png"], "GIF"),
        (["im2col", "-o", "x.txt"], ".png"),
        (["slide", "--input", "1,2;3,4|5,6;7,8", "--filter", "1|1"], "one channel and one filter"),
        (["im2col", "--input", ";".join(["1,2,3,4,5,6,7,8,9"] * 9)], "too big"),
        (["curves", "missing.npz"], "missing.npz"),
    ],
)
def test_bad_requests_are_one_clear_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = plot(capsys, *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_feature_maps_of_an_image_file(tmp_path, capsys, model_file):
    digit = np.zeros((40, 40), np.uint8)
    digit[8:32, 18:23] = 255  # a "1"
    source = tmp_path / "one.npy"
    np.save(source, digit)
    output = tmp_path / "maps.png"
    code, _, err = plot(
        capsys, "feature-maps", model_file, "--image", str(source), "-o", str(output)
    )
    assert code == 0, err
    check_image(output)


def test_curves_need_a_history(tmp_path, capsys):
    path = tmp_path / "untrained.npz"
    tk.save(tk.SimpleConvNet(seed=0), path)
    code, _, err = plot(capsys, "curves", str(path), "-o", str(tmp_path / "c.png"))
    assert code == 1 and "no training history" in err


# ---------------------------------------------------------------------------------------------
# The functions under the commands


def test_figures_are_returned_and_nothing_global_changes(model_file):
    import matplotlib

    before = dict(matplotlib.rcParams)
    model = tk.load(model_file)
    figures = [
        viz.filters_figure(model, tk.SimpleConvNet(seed=1), lang="ja"),
        viz.history_figure(model.history, lang="ja"),
        viz.im2col_figure(lang="ja"),
        viz.sliding_window_figure(step=2, lang="ja"),
    ]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figures)
    assert figures[0]._repr_png_().startswith(b"\x89PNG")  # how Jupyter and Colab show it
    assert dict(matplotlib.rcParams) == before


def test_layer_outputs_are_the_conv_and_pool_outputs():
    model = tk.DeepConvNet(seed=0)
    image = np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)
    outputs = viz.layer_outputs(model, image)
    names = [name for name, _ in outputs]
    assert names == [n for n in model.layers.keys() if n.startswith(("Conv", "Pool"))]
    shapes = dict(zip(model.layers.keys(), model.output_shapes()))
    assert all(out.shape == shapes[name] for name, out in outputs)
    x = image[None]
    for name, layer in model.layers.items():
        x = layer.forward(x)
        if name == names[-1]:
            np.testing.assert_array_equal(outputs[-1][1], x[0])
            break


def test_layer_outputs_put_back_the_mode_they_found():
    model = tk.DeepConvNet(seed=0)
    image = np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)
    model.train()
    dropout = next(layer for layer in model.layers.values() if isinstance(layer, tk.layers.Dropout))
    dropout.eval()  # a mixed state comes back as it was, layer by layer
    found = [layer.training for layer in model.layers.values()]
    viz.layer_outputs(model, image)
    assert [layer.training for layer in model.layers.values()] == found
    assert any(found) and not all(found)
    model.eval()
    viz.layer_outputs(model, image)
    assert not any(layer.training for layer in model.layers.values())


def test_confusion_colour_bar_is_labelled_with_ticks_between_the_powers_of_ten():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    labels = np.repeat(np.arange(3), 40)
    predicted = labels.copy()
    predicted[:3] = 1  # a rare mistake, which the log scale shows
    fig = viz.confusion_figure(labels, predicted, ["a", "b", "c"], lang="ja")
    FigureCanvasAgg(fig).draw()
    bar = fig.axes[1]
    assert bar.get_ylabel() == "画像の枚数(対数目盛)"
    low, high = bar.get_ylim()
    shown = [t.get_text() for t in bar.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert shown == ["1", "2", "5", "10", "20"]


def test_feature_maps_can_show_every_channel_and_curves_need_no_file_name():
    model = tk.SimpleConvNet(seed=0)
    image = np.zeros((1, 28, 28), np.float32)
    every = viz.feature_maps_figure(model, image, max_channels=None)
    some = viz.feature_maps_figure(model, image)
    # one image axis per channel shown, one label axis per row, the input image and its label
    assert len(every.axes) == 2 + 2 * (1 + 30) and len(some.axes) == 2 + 2 * (1 + 12)
    history = {"epoch": [1, 2], "loss": [1.0, 0.5], "train_acc": [0.8, 0.9], "test_acc": [0.8, 0.9]}
    assert viz.history_figure(history)._suptitle.get_text() == "Learning curves"
    assert viz.history_figure(history, lang="ja")._suptitle.get_text() == "学習曲線"
    titled = viz.history_figure(history, model_name="SimpleConvNet")
    assert titled._suptitle.get_text() == "Learning curves of SimpleConvNet"


def test_pool_figure_marks_each_windows_maximum():
    from tatamikomi.explain import explain_pool
    from tatamikomi.viz.diagrams import pool_winners

    e = explain_pool()  # the lecture's 4x4 input, 2x2 windows, stride 2
    winners = pool_winners(e)
    assert winners == [(1, 0), (0, 3), (3, 0), (2, 3)]
    assert [e.padded[0][w] for w in winners] == e.output[0].ravel().tolist() == [4, 4, 3, 3]
    fig = viz.pool_figure(lang="ja")
    assert fig._suptitle.get_text().startswith("最大値プーリング: 2x2 のウィンドウ")
    assert [ax.get_title() for ax in fig.axes] == ["入力特徴マップ", "出力特徴マップ"]
    assert fig._repr_png_().startswith(b"\x89PNG")
    assert viz.pool_figure(size=3, stride=1, pad=1, mode="avg").axes[0].get_title() == (
        "input feature map (padded)"
    )
    with pytest.raises(ValueError, match="one channel"):
        viz.pool_figure(np.ones((2, 4, 4)))


def test_flatten_figure_marks_a_pixel_and_the_one_below_w_apart():
    fig = viz.flatten_figure(lang="ja")  # the lecture's 4x4 input, pixel (1, 1)
    assert fig._suptitle.get_text().endswith("真下の画素は 4 個先")
    flat = fig.axes[1]
    assert flat.get_title() == "16 個の値の列"
    assert sorted(t.get_text() for t in flat.texts if t.get_position()[1] < -1) == ["5", "9"]
    with pytest.raises(ValueError, match="one \\(H, W\\) image"):
        viz.flatten_figure(np.ones((1, 4, 4)))


def test_channels_figure_gives_the_shapes_of_the_lecture():
    from tatamikomi import functional as F

    fig = viz.channels_figure((3, 7, 7), filters=2, filter_size=3, pad=1, lang="ja")
    texts = [t.get_text() for t in fig.axes[0].texts]
    out = F.conv2d(np.zeros((1, 3, 7, 7)), np.zeros((2, 3, 3, 3)), padding=1).shape[1:]
    assert "入力特徴マップ\n(C, H, W) = (3, 7, 7)" in texts
    assert "フィルタ\n(FN, C, FH, FW) = (2, 3, 3, 3)" in texts
    assert f"出力特徴マップ\n(FN, OH, OW) = {out}" in texts and out == (2, 7, 7)
    # one sheet per input channel, C per filter, one per output channel
    assert len(fig.axes[0].patches) == 3 + 2 * 3 + 2


def test_confusion_matrix_counts():
    counts = viz.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_misclassified_figure_puts_the_most_confident_mistakes_first():
    images = np.zeros((4, 1, 8, 8))
    labels = np.array([0, 1, 0, 1])
    scores = np.array([[0.0, 5.0], [0.0, 1.0], [0.0, 1.0], [9.0, 0.0]])  # 0, 2, 3 wrong
    fig = viz.misclassified_figure(images, labels, scores, ["a", "b"], count=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("true b\npred a (100%)") and titles[1].startswith("true a\npred b")
    assert "2 of 3 errors in 4" in fig._suptitle.get_text()


def test_missing_japanese_font_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(_backend, "JAPANESE_FONTS", ("No Such Font",))
    monkeypatch.setattr(_backend, "_bundled_japanese_font", lambda: None)
    with pytest.raises(viz.FontNotFoundError, match="fonts-noto-cjk"):
        viz.im2col_figure(lang="ja")
    code, _, err = plot(capsys, "im2col", "--lang", "ja", "-o", str(tmp_path / "x.png"))
    assert code == 1 and "matplotlib-fontja" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_gives_the_install_hint(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"tatamikomi\[viz\]"):
        _backend.matplotlib()
    code, _, err = plot(capsys, "im2col", "-o", str(tmp_path / "x.png"))
    assert code == 1 and "pip install 'tatamikomi[viz]'" in err


def test_core_import_does_not_load_matplotlib():
    import subprocess

    from .support import SRC

    code = "import sys, tatamikomi, tatamikomi.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(SRC)}
    )
    assert result.stdout.strip() == "False", result.stderr


def test_plot_feature_maps_draws_all_channels_on_request(tmp_path, capsys, monkeypatch, model_file):
    asked = []
    drawn = viz.feature_maps_figure

    def recording(*args, **kwargs):
        asked.append(kwargs["max_channels"])
        return drawn(*args, **kwargs)

    monkeypatch.setattr(viz, "feature_maps_figure", recording)
    for flag, expected in (([], 12), (["--max-channels", "0"], None), (["--max-channels", "5"], 5)):
        output = tmp_path / f"maps{len(asked)}.png"
        code, _, err = plot(capsys, "feature-maps", model_file, *flag, "-o", str(output))
        assert code == 0, err
        assert asked[-1] == expected
        check_image(output)
    code, _, err = plot(capsys, "feature-maps", model_file, "--max-channels", "-1")
    assert code == 1 and "--max-channels must be 0 (all) or more" in err
