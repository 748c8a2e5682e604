"""The command line in Japanese (issue 16): with --lang ja, or by default under a Japanese
locale, every command's help, output and errors are Japanese; English stays the default."""

import os
import pickle

import numpy as np
import pytest

from tatamikomi.cli._args import language

from .support import child_env, japanese_words_left, run_cli


def run(*args, cwd, lang_env="ja_JP.UTF-8", extra=None, module="tatamikomi"):
    """``run_cli`` offline in ``cwd`` under the locale ``lang_env`` (none: no locale at all)."""
    base = {
        key: value for key, value in os.environ.items()
        if key not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
    }
    env = child_env(
        base=base, TATAMIKOMI_OFFLINE="1", TATAMIKOMI_DATA="", XDG_CACHE_HOME=cwd / "cache",
        COLUMNS="100",
    )
    if lang_env is not None:
        env["LANG"] = lang_env
    env.update(extra or {})
    return run_cli(*args, cwd=cwd, env=env, timeout=300, module=module)


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
        "MNIST が手元になく、ダウンロードもできませんでした(ダウンロードしない設定です)。",
        "代わりに mnist-mini(tatamikomi に同梱の 6,000 枚)で学習します",
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
    ("export",), ("import",), ("serve",), ("book",), ("explain",), ("plot",), ("worksheet",),
    ("exercises",),
    *[
        ("explain", kind)
        for kind in ("conv", "pool", "im2col", "shape", "flatten", "shift", "backward", "why")
    ],
    *[
        ("plot", kind) for kind in (
            "filters", "feature-maps", "curves", "confusion", "errors", "im2col", "pool",
            "flatten", "channels", "slide", "top-images", "why",
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


def _bad_files(folder):
    """Files a student may give by mistake, in ``folder``."""
    np.save(folder / "blank.npy", np.zeros((28, 28)))
    np.save(folder / "nan.npy", np.full((28, 28), np.nan))
    with open(folder / "huge.npy", "wb") as f:  # a header that asks for 400 million pixels
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": (20000, 20000)}
        )
    (folder / "junk.npz").write_text("junk")
    (folder / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    (folder / "notes.txt").write_text("hello")
    (folder / "list.pkl").write_bytes(pickle.dumps([1, 2]))
    (folder / "bad.json").write_text("{")
    (folder / "odd.json").write_text('{"input_shape": [1, 28, 28], "layers": [{"type": "Foo"}]}')
    (folder / "script.py").write_text("print(1)")
    np.savez(folder / "flat.npz", x_train=np.zeros(10), t_train=np.arange(10),
             x_test=np.zeros(5), t_test=np.arange(5))
    np.savez(folder / "negative.npz", x_train=np.zeros((10, 28, 28)), t_train=np.arange(10),
             x_test=np.zeros((5, 28, 28)), t_test=np.arange(5) - 1)  # evaluate reads the test set


#: (arguments, the first line: the kind of problem, the Japanese detail)
LIBRARY_ERRORS = [
    (("evaluate", "gone.npz"), "モデルファイルを読み込めません。",
     "モデルファイル gone.npz がありません"),
    (("evaluate", "junk.npz"), "モデルファイルを読み込めません。",
     "junk.npz は tatamikomi のモデルファイルではありません(.npz 形式ではありません)"),
    (("evaluate", "list.pkl"), "モデルファイルを読み込めません。",
     "list.pkl は pickle ファイルで、tatamikomi のモデルファイルではありません。"),
    (("import-book", "list.pkl"), "モデルファイルを読み込めません。",
     "list.pkl に入っているのは配列の辞書ではありません"),
    (("import-book", "gone.pkl"), "モデルファイルを読み込めません。",
     "パラメータのファイル gone.pkl がありません"),
    (("train", "--model", "Foo"), "そのモデルはありません。", "'Foo' というモデルはありません。"),
    (("summary", "Foo"), "そのモデルはありません。", "'Foo' というモデルはありません。"),
    (("summary", "bad.json"), "そのモデルはありません。",
     "モデルの仕様が正しい JSON ではありません: 1 行 2 列目"),
    (("summary", "odd.json"), "そのモデルはありません。",
     "仕様の層 0({'type': 'Foo'}): 'Foo' という層の種類はありません。使える種類: "),
    (("explain", "shape", "gone.json"), "そのモデルはありません。",
     "モデルの仕様ファイル gone.json がありません"),
    (("predict", "model.npz", "blank.npy"), "画像を使えません。",
     "blank.npy: 画像が空白で、数字が見つかりません"),
    (("predict", "model.npz", "nan.npy"), "画像を使えません。",
     "nan.npy: 画素値のうち 784 個が NaN か無限大です"),
    (("predict", "model.npz", "huge.npy"), "画像を使えません。",
     "huge.npy: 画像は 20000x20000 = 400,000,000 画素で、上限の 50,000,000 画素"),
    (("predict", "model.npz", "junk.png"), "画像を使えません。",
     "junk.png: PNG ファイルにヘッダか画像データがありません"),
    (("predict", "model.npz", "notes.txt"), "画像を使えません。",
     "notes.txt: PNG、JPEG、PGM/PPM、.npy のどれでもありません"),
    (("predict", "model.npz", "gone.png"), "画像を使えません。", "画像 gone.png がありません"),
    (("train", "--dataset", "gone.npz", "-o", "new.npz"), "データを読み込めません: ",
     "データセット gone.npz がありません。"),
    (("train", "--dataset", "notes.txt", "-o", "new.npz"), "データを読み込めません: ",
     "notes.txt はテキストファイル(先頭は 'hello')で、データセットではありません。"),
    (("train", "--dataset", "flat.npz", "-o", "new.npz"), "データを読み込めません: ",
     "flat.npz: x_train の形状は (10,) です。画像は (N, H, W) か (N, C, H, W) です"),
    (("evaluate", "model.npz", "--dataset", "negative.npz"), "データを読み込めません: ",
     "negative.npz: t_test にラベル -1 があります。ラベルは 0 から始まるクラス番号です"),
    (("evaluate", "model.npz", "--dataset", "foo"), "データを読み込めません: ",
     "'foo' というデータセットはありません。"),
]

#: (arguments, the Japanese error) of settings and shapes a command refuses
REFUSALS = [
    (("train", "--lr", "-1", "-o", "new.npz"), "--lr は (0, inf) の範囲の有限の数にしてください。"),
    (("train", "--augment-shift", "40", "-o", "new.npz"), "--augment-shift は 0 から 27 にして"),
    (("evaluate", "model.npz", "--dataset", "mnist32.npz"),
     "model.npz は mnist32 に合いません: SimpleConvNet の入力は (N, 1, 28, 28) の画像です。"),
    (("explain", "pool", "--pad", "2"), "パディング (2, 2) はウィンドウ (2, 2) の半分以下にして"),
    (("explain", "flatten", "--pixel", "50,50"), "画素は (1, 28, 28) の中の (行, 列) か"),
    (("explain", "shape", "--input-shape", "3,28"), "Convolution の入力は 1 つあたり (C, H, W)"),
    (("export", "model.npz", "-o", "model.onnx", "--opset", "3"), "opset 3 は古すぎます。"),
]


@pytest.mark.parametrize("args, expected", REFUSALS, ids=lambda c: str(c)[:40])
def test_refused_settings_and_shapes_are_japanese(trained, args, expected):
    folder, _ = trained
    wide = np.zeros((10, 32, 32), np.uint8)
    np.savez(folder / "mnist32.npz", x_train=wide, t_train=np.arange(10), x_test=wide[:5],
             t_test=np.arange(5))
    result = run(*args, cwd=folder)
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr
    assert japanese_words_left(result.stdout + result.stderr) == [], result.stderr


@pytest.mark.parametrize("args, kind, detail", LIBRARY_ERRORS, ids=lambda c: str(c)[:40])
def test_library_errors_are_japanese_to_their_last_word(trained, args, kind, detail):
    folder, _ = trained
    _bad_files(folder)
    result = run(*args, cwd=folder)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"tatamikomi {args[0]}: {kind}"), result.stderr
    assert detail in result.stderr
    assert japanese_words_left(result.stderr) == [], result.stderr
    english = run(*args, cwd=folder, lang_env=None)  # and the library's English is the same
    assert english.returncode == 1 and japanese_words_left(english.stderr) != []


def test_settings_runs_files_and_the_book_say_japanese(trained):
    folder, _ = trained
    _bad_files(folder)
    (folder / "locked.npz.lock").write_text(f"{os.getpid()}\n")  # a live process holds it
    cases = [
        (("summary", "SimpleConvNet"), {"TATAMIKOMI_NUM_THREADS": "abc"},
         "TATAMIKOMI_NUM_THREADS には、スレッド数を表す正の整数(例えば 4)を指定してください。"),
        (("summary", "SimpleConvNet"), {"TATAMIKOMI_MEMORY_MB": "0"},
         "TATAMIKOMI_MEMORY_MB には、1 以上のメガバイト数(例えば 64)を指定してください。"),
        (("train", "-o", "locked.npz"), {}, "locked.npz には別の学習(プロセス番号 "),
        (("train", "-o", os.devnull), {}, "は普通のファイルではなくデバイスなので、そのまま残し"),
        (("train", "--lr", "1e30", "-o", "diverged.npz"), {},
         "学習が発散しました: エポック 1 のステップ "),
        (("explain", "conv", "--filter", "1,1,1,1,1;" * 4 + "1,1,1,1,1"), {},
         "大きさ 5 のウィンドウが、大きさ 4 の入力を (0, 0) だけパディングした 4 に収まりません"),
        (("explain", "conv", "--stride", "0"), {}, "`stride` は縦横とも 1 以上にしてください。"),
        (("explain", "conv", "--input", "1,2;3"), {}, "--input: 2 行目の値は 1 個ですが、1 行目は"),
        (("explain", "im2col", "--shape", "1,1,4,4"), {}, "フィルタの大きさを --filter-size で"),
        (("plot", "slide", "-o", "slide.png"), {}, "アニメーションは GIF で書き出します。"),
        (("plot", "curves", "model.npz", "-o", "curves.txt"), {}, "-o NAME.png(または .svg"),
        (("serve", "--port", "99999"), {}, "--port は 0 から 65535 の間にしてください。"),
        (("book", "gone.py"), {}, "gone.py がありません。書籍のスクリプトのパスを指定してください"),
        (("book", "--limit", "0", "script.py"), {}, "--limit は 1(枚)以上にしてください。"),
    ]
    for args, extra, expected in cases:
        result = run(*args, cwd=folder, extra=extra)
        assert result.returncode == 1, (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert japanese_words_left(result.stdout + result.stderr) == [], (args, result.stderr)
    assert not (folder / "diverged.npz").exists()


BOOK_SCRIPT = """\
from dataset.mnist import load_mnist
(x, t), (x_test, t_test) = load_mnist(flatten=False)
from simple_convnet import SimpleConvNet
network = SimpleConvNet()
network.save_params("params.pkl")
network.save_params("params.pkl")
"""


@pytest.mark.parametrize("module", ["tatamikomi", "tatamikomi.book"])
def test_a_book_run_notes_in_japanese(tmp_path, module):
    (tmp_path / "script.py").write_text(BOOK_SCRIPT)
    args = ("book",) if module == "tatamikomi" else ()
    result = run(*args, "--limit", "50", "script.py", cwd=tmp_path, module=module)
    assert result.returncode == 0, result.stderr
    for line in (
        "tatamikomi book: 代わりに mnist-mini(tatamikomi に同梱の MNIST の訓練画像 6,000 枚と",
        "tatamikomi book: --limit 50: 訓練画像 50 枚、テスト画像 50 枚\n",
        "tatamikomi book: params.pkl はすでにあるので、そのまま残しました。代わりに params.1.pkl "
        "に保存します",
    ):
        assert line in result.stderr
    assert japanese_words_left(result.stderr) == [], result.stderr
    assert (tmp_path / "params.1.pkl").exists()


def test_python_m_tatamikomi_book_speaks_the_locale(tmp_path):
    result = run("--help", cwd=tmp_path, module="tatamikomi.book")
    assert result.stdout.startswith("使い方: python -m tatamikomi.book")
    assert "書籍のリポジトリのスクリプトをそのまま実行します。" in result.stdout
    assert japanese_words_left(result.stdout) == []
    result = run("gone.py", cwd=tmp_path, module="tatamikomi.book")
    assert result.stderr == (
        "tatamikomi book: gone.py がありません。書籍のスクリプトのパスを指定してください"
        "(例: ch07/train_convnet.py)\n"
    )
    english = run("--help", cwd=tmp_path, module="tatamikomi.book", lang_env=None)
    assert english.stdout.startswith("usage: python -m tatamikomi.book")


def test_the_japanese_word_check_can_fail():
    assert japanese_words_left("使い方: tatamikomi train [-h] [--epochs EPOCHS] model.npz") == []
    assert japanese_words_left("エポック 1/1  loss 0.5") == ["loss"]
