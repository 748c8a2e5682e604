"""The command line in Japanese (issue 16): with --lang ja, or by default under a Japanese
locale, every command's help, output and errors are Japanese; English stays the default."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from tatamikomi.cli._args import language
from tatamikomi.data.datasets import FILES
from tatamikomi.layers import LAYER_TYPES

from .test_teaching import english_words

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"

#: names a Japanese text may keep (issue 16): the library's, the models', formats, tools
NAMES = (
    "SimpleConvNet", "DeepConvNet", "Convolution", "MaxPooling", "Relu", "Adam", "SGD", "PNG",
    "JPEG", "ONNX", "PyTorch", "tatamikomi", "mnist-mini", "fashion-mnist", "mnist", "NumPy",
    "Python", "Pillow", "WebP", "pickle", "Ctrl-C", "cosine", "constant", "mkdir", "px",
    "Affine", "Conv", "Pool", "MNIST", "ReLU", "im2col",
    "Deep Learning", "Softmax", "opset", "state_dict", "pip install", "install", "matplotlib",
    "simple_convnet", "deep_convnet", "en", "ja",
    # the commands' own names
    "import-book", "train", "evaluate", "predict", "summary", "demo", "explain", "plot",
    "export", "import", "serve", "book",
    # the kinds of explain and plot
    "conv", "pool", "im2col", "shape", "flatten", "shift", "filters", "feature-maps", "curves",
    "confusion", "errors", "channels", "slide",
    # positional arguments as the usage line names them
    "model", "models", "params", "images", "source", "script", "args",
    # values and array names a message quotes
    "NaN", "nan", "x_train", "t_train", "x_test", "t_test", "y_train", "y_test", "classes",
    # the layer types a spec names, the files of an IDX dataset
    *LAYER_TYPES, *FILES.values(),
)
#: what is not prose: options, paths and file names, metavars and environment variables
#: (capitals), {choices}, quoted values, the optimizer's own repr (lr=0.003, beta1=0.9)
NOT_PROSE = re.compile(  # ASCII classes: Japanese runs on without spaces
    r"(?<![\w-])--?[\w-]+|[\w./$*~+:-]*[/.$][\w./$*~+:-]*|\b[A-Z][A-Z0-9_]+\b|\{[^}]*\}"
    r"|'[^']*'|\"[^\"]*\"|`[^`]*`|\w+=[\w.+-]+",
    re.ASCII,
)


def japanese_words_left(text):
    """The English words of ``text`` outside options, paths and allowed names."""
    return english_words(NOT_PROSE.sub(" ", text), NAMES)


def run(*args, cwd, lang_env="ja_JP.UTF-8", extra=None):
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
    }
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        TATAMIKOMI_OFFLINE="1",
        TATAMIKOMI_DATA="",
        XDG_CACHE_HOME=str(cwd / "cache"),
        COLUMNS="100",
    )
    if lang_env is not None:
        env["LANG"] = lang_env
    env.update(extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tatamikomi", *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=cwd,
    )


def test_the_language_comes_from_lang_then_the_locale():
    assert language([], {}) == "en"
    assert language([], {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert language([], {"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}) == "en"  # LC_ALL first
    assert language([], {"LANG": "C", "LC_MESSAGES": "ja_JP.UTF-8"}) == "ja"
    assert language([], {"LANG": "ja_JP.UTF-8", "LC_ALL": ""}) == "ja"  # empty: not set
    assert language(["--lang", "en"], {"LANG": "ja_JP.UTF-8"}) == "en"
    assert language(["train", "--lang=ja"], {}) == "ja"
    assert language(["--", "--lang", "ja"], {}) == "en"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``(folder, output of LANG=ja_JP.UTF-8 tatamikomi train --epochs 1)`` on mnist-mini."""
    folder = tmp_path_factory.mktemp("ja")
    result = run("train", "--epochs", "1", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, result.stdout + result.stderr


def test_train_talks_japanese_from_start_to_end(trained):
    _, out = trained
    for line in (
        "MNIST が見つからず、ダウンロードもできませんでした(探した場所: ",
        "代わりに mnist-mini で学習します",
        "データ: mnist-mini(tatamikomi に同梱の MNIST の一部): 訓練画像 6,000 枚、"
        "テスト画像 1,000 枚",
        "モデル: SimpleConvNet、パラメータ 433,890 個。",
        "エポック 1/1  損失 ",
        "最終的なテストデータの認識精度: ",
        "(1 エポック学習後)。model.npz に保存しました",
        "次は: tatamikomi evaluate model.npz",
    ):
        assert line in out
    assert japanese_words_left(out) == []


def test_the_default_stays_english_without_a_japanese_locale(tmp_path):
    for lang_env in (None, "C.UTF-8", "en_US.UTF-8"):
        result = run("train", "--epochs", "0", cwd=tmp_path, lang_env=lang_env)
        assert result.stderr == "tatamikomi train: --epochs must be at least 1; got 0\n"
    result = run("--help", cwd=tmp_path, lang_env="ja_JP.UTF-8", extra={"LC_ALL": "C"})
    assert result.stdout.startswith("usage: tatamikomi") and "show this help" in result.stdout
    result = run("--lang", "en", "train", "--epochs", "0", cwd=tmp_path)
    assert result.stderr == "tatamikomi train: --epochs must be at least 1; got 0\n"


#: every command and every kind of explain and plot
COMMANDS = [
    (), ("train",), ("evaluate",), ("predict",), ("summary",), ("import-book",), ("demo",),
    ("export",), ("import",), ("serve",), ("book",), ("explain",), ("plot",),
    *[("explain", kind) for kind in ("conv", "pool", "im2col", "shape", "flatten", "shift")],
    *[
        ("plot", kind) for kind in (
            "filters", "feature-maps", "curves", "confusion", "errors", "im2col", "pool",
            "flatten", "channels", "slide",
        )
    ],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_every_help_is_japanese(tmp_path, command):
    result = run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("使い方: tatamikomi")
    assert "オプション:" in result.stdout and "このヘルプを表示して終了する" in result.stdout
    assert japanese_words_left(result.stdout) == []
    english = run(*command, "--help", cwd=tmp_path, lang_env=None)
    assert english.stdout.startswith("usage: tatamikomi")


def test_results_and_errors_of_each_command_are_japanese(trained):
    folder, _ = trained
    cases = {
        ("evaluate", "model.npz"): "認識精度 ",
        ("summary", "model.npz"): "学習に使ったデータ mnist-mini: Adam(学習率 0.003)",
        ("train", "--epochs", "1"): "model.npz はすでにあるので、そのまま残しました。",
        ("train", "--epochs", "0"): "--epochs は 1 以上にしてください。指定された値: 0",
        ("train", "--optimizer", "foo"): "エラー: 引数 --optimizer: 選べない値です: 'foo'",
        ("train", "--resume", "gone.npz"): "再開できません: gone.npz がありません",
        ("train", "--output", "no/such/model.npz"): "フォルダ ",
        ("evaluate",): "エラー: 次の引数が必要です: model",
        ("export", "model.npz", "-o", "model.txt"): "'model.txt' は .onnx か .pt として書き出",
        ("import", "x.onnx", "--input-shape", "a"): "--input-shape には 1,28,28 のように C,H,W",
        ("import-book", "model.npz", "-o", "model.npz"): "model.npz はすでにあるので",
        ("serve", "--save-dir", "no/such"): "--save-dir no/such はフォルダではありません",
        ("frobnicate",): "エラー: 引数 COMMAND: 選べない値です: 'frobnicate'",
    }
    for args, expected in cases.items():
        result = run(*args, cwd=folder)
        out = result.stdout + result.stderr
        assert expected in out, (args, out)
        assert japanese_words_left(out) == [], (args, out)


def test_library_errors_get_a_japanese_line_before_their_detail(trained):
    folder, _ = trained
    np.save(folder / "blank.npy", np.zeros((28, 28)))
    (folder / "junk.npz").write_text("junk")
    cases = {
        ("train", "--model", "Foo"): "tatamikomi train: そのモデルはありません。",
        ("summary", "Foo"): "tatamikomi summary: そのモデルはありません。",
        ("evaluate", "junk.npz"): "tatamikomi evaluate: モデルファイルを読み込めません。",
        ("predict", "model.npz", "blank.npy"): "tatamikomi predict: 画像を使えません。",
    }
    for args, expected in cases.items():
        result = run(*args, cwd=folder)
        assert result.returncode == 1 and result.stderr.startswith(expected), (args, result.stderr)


def test_the_japanese_word_check_can_fail():
    assert japanese_words_left("使い方: tatamikomi train [-h] [--epochs EPOCHS] model.npz") == []
    assert japanese_words_left("エポック 1/1  loss 0.5") == ["loss"]
