"""What the demo and the explanations teach: each point shown with numbers that can be wrong."""

import re

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import demo, i18n, lecture
from tatamikomi import functional as F
from tatamikomi.explain import (
    explain_conv,
    explain_im2col,
    explain_pool,
    explain_shape,
    size_formula,
)

from .support import CLI_NAMES, ROOT, english_words, unwrapped


def demo_text(lang="en"):
    return "\n".join(demo.lines(lang))


def test_the_demo_labels_padding_with_stride_and_shows_stride_shrinking():
    en, ja = demo_text("en"), demo_text("ja")
    padded = F.conv2d(lecture.INPUT[None, None], lecture.FILTER[None, None], padding=1, stride=2)
    assert padded[0, 0].tolist() == [[3, 10], [7, 10]]
    assert "Padding 1 and stride 2" in en and "     3 10\n     7 10" in en
    assert "5x5 with stride 1, 3x3 with stride 2" in en
    assert "パディング 1、ストライド 2" in ja
    assert "ストライド 1 なら 5x5、ストライド 2 なら 3x3" in ja
    # the sizes printed are the library's
    x7 = np.zeros((1, 1, 7, 7))
    assert F.conv2d(x7, lecture.FILTER[None, None], stride=2).shape[2:] == (3, 3)
    assert F.conv2d(x7, lecture.FILTER[None, None], stride=1).shape[2:] == (5, 5)


# ---------------------------------------------------------------------------------------------
# The native reader's Japanese (issue 14), each fix where it is printed


def test_rounding_down_is_shown_as_arithmetic_that_holds():
    ja = explain_conv(stride=2).text("ja")
    assert "⌊(4 + 2*0 - 3) / 2⌋ + 1 = 0 + 1 = 1 です（1/2 の小数点以下を切り捨てます）" in ja
    assert "OH = ⌊(H + 2P - FH) / S⌋ + 1 = " in ja
    assert "rounded" not in ja
    en = explain_conv(stride=2).text("en")
    assert "⌊(4 + 2*0 - 3) / 2⌋ + 1 = 0 + 1 = 1  (1/2 rounded down)" in en
    floor = re.compile(r"([⌊⌈])\((\d+) \+ 2\*(\d+) - (\d+)\) / (\d+)[⌋⌉] \+ 1 = (\d+) \+ 1 = (\d+)")
    for size in range(3, 9):
        for stride in (2, 3):
            for pad in (0, 1):
                text = explain_conv(np.ones((size, size)), stride=stride, pad=pad).text()
                for bracket, h, p, k, s, q, out in floor.findall(text):
                    h, p, k, s, q, out = map(int, (h, p, k, s, q, out))
                    assert bracket == "⌊" and q == (h + 2 * p - k) // s and out == q + 1
                    assert out == tk.conv_output_size(h, k, stride=s, pad=p)


def test_ceil_mode_is_shown_rounded_up():
    line = size_formula(5, 2, 2, (0, 0), 1, 3, "h")
    assert line.endswith("⌈(5 + 2*0 - 2) / 2⌉ + 1 = 2 + 1 = 3  (3/2 rounded up, as ceil_mode asks)")
    assert size_formula(4, 2, 2, (0, 0), 1, 2, "h").endswith("(4 + 2*0 - 2) / 2 + 1 = 2")


def test_the_sum_of_products_then_the_bias_in_japanese():
    ja = explain_conv(bias=3).text("ja")
    assert "総和を求め（積和計算）、さらにバイアスを加えます。" in ja
    assert "= 12、12 + 3 = 15" in ja
    assert "総和を求めます（積和計算）。" in explain_conv().text("ja")
    assert "= 12, 12 + 3 = 15" in explain_conv(bias=3).text("en")


def test_the_japanese_labels_read_as_the_reader_asked():
    conv = explain_conv().text("ja")
    assert (
        "出力サイズ(H, W:入力の高さ・幅/FH, FW:フィルタの高さ・幅/P:パディング/S:ストライド):"
        in conv
    )
    assert "ウィンドウを 1 つずつスライド" in conv
    assert "(0,0) が左上の要素(スライドの 1 行 1 列目)" in conv
    shape = explain_shape(tk.SimpleConvNet()).text("ja")
    assert "1 つの入力 (1, 28, 28) の形状が" in shape
    assert "チャネル数は変わらない(30)、パラメータなし" in shape
    assert "→" in shape and "->" not in shape
    assert "画像 10 枚 × 位置 3x3 = 90 行、3 チャネル × 5x5 = 75 列" in demo_text("ja")
    for text in (conv, shape, explain_pool().text("ja"), explain_im2col().text("ja")):
        # Japanese sentences take 、 (ASCII commas stay only between numbers and symbols)
        assert not re.search(r", [\u3040-\u30ff\u4e00-\u9fff]", text)


def test_the_im2col_picture_says_rows_are_windows_in_japanese():
    """The col panel of the im2col picture has one row per window (as many as the engine's
    output positions) and says so in the lecture's words, in Japanese."""
    pytest.importorskip("matplotlib")
    from tatamikomi import viz

    fig = viz.im2col_figure(lang="ja")  # the lecture's 4x4 input, a 3x3 filter
    (col,) = [ax for ax in fig.axes if ax.get_title().startswith("col")]
    title = col.get_title()
    assert "ウィンドウ" in title and "行" in title and "列" in title and "要素" in title
    assert english_words(title) == []
    windows = [t.get_text() for t in col.texts if re.fullmatch(r"\(\d+,\d+\)", t.get_text())]
    oh, ow = F.conv2d(lecture.INPUT[None, None], lecture.FILTER[None, None]).shape[2:]
    assert len(windows) == oh * ow == F.im2col(lecture.INPUT[None, None], 3, 3).shape[0]


def test_the_japanese_tutorial_and_readme_read_as_the_reader_asked():
    """What the Japanese tutorial says (the lecture's order and terms), wherever its lines
    break, and that the phrasings readers found wrong are gone."""
    tutorial = unwrapped((ROOT / "docs/tutorial.ja.md").read_text("utf-8"))
    for new, old in [
        ("講義「畳み込みニューラルネット(1)」と同じ順序で進みます", "を同じ順に進みます"),
        ("ここに示したとおりの結果", "読んだとおりの結果"),
        ("逆伝播に必要な値（入力や im2col の結果）を保持します", "必要なものを覚えておきます"),
        ("出力サイズは次の式で求めます（割り切れないときは小数点以下を切り捨てます）。",
         "出力サイズは "),
        ("プーリングは微小な位置変化に対して頑強 (robust) です。", "位置変化に強い:"),
        ("エッジ(濃淡の境目)のような模様", "線や縁のような模様"),
        ("(0, 0) がスライドの 1 行 1 列目", None),
    ]:
        assert new in tutorial, new
        assert old is None or old not in tutorial, old
    for term in ("フィルタ", "積和計算", "入力特徴マップ", "パディング", "ストライド"):
        assert term in tutorial, term  # the lecture's terms (プーリング: above)
    assert "test accuracy above" not in tutorial
    readme = unwrapped((ROOT / "README.md").read_text("utf-8"))
    assert "データの形状は" in readme and "データの形は" not in readme


# ---------------------------------------------------------------------------------------------
# What was only asserted, now shown: flattening, a shift under pooling, im2col's memory


def test_flatten_puts_the_pixel_below_one_row_away():
    from tatamikomi.explain import explain_flatten

    e = explain_flatten()  # MNIST's (1, 28, 28), the middle pixel
    assert e.pixel == (0, 14, 14)
    assert e.index == np.ravel_multi_index((0, 14, 14), (1, 28, 28)) == 406
    gaps = {name: index - e.index for name, _, index in e.neighbours}
    assert gaps == {"flat_right": 1, "flat_below": 28, "flat_diagonal": 29}
    assert e.conv_shape == F.conv2d(np.zeros((1, 1, 28, 28)), np.zeros((1, 1, 5, 5))).shape[2:]
    text = e.text()
    assert "(15, 14) -> position 434: the pixel below, 28 apart" in text
    assert "(FN, 24, 24)" in text and "spatial information is lost" in text
    assert "真下の画素、位置の差は 28" in e.text("ja") and "空間情報が失われます" in e.text("ja")
    colour = explain_flatten((3, 4, 5), (1, 2))
    for name, at, index in colour.neighbours:
        assert index == np.ravel_multi_index(at, (3, 4, 5)), name
    assert dict((n, i - colour.index) for n, _, i in colour.neighbours)["flat_channel"] == 20


def test_a_shift_is_absorbed_by_some_pooling_windows_and_not_others():
    from tatamikomi.explain import explain_shift
    from tatamikomi.explain.shift import shifted

    e = explain_shift()  # the lecture's input, one pixel to the right
    assert e.before.output[0].tolist() == lecture.MAX_POOL_OUTPUT.tolist() == [[4, 4], [3, 3]]
    assert e.after.output[0].tolist() == [[4, 3], [3, 2]]
    assert e.same[0].tolist() == [[True, False], [True, False]]
    moved = np.pad(lecture.INPUT, ((0, 0), (1, 0)))[:, :4]  # independently: a 0 column comes in
    np.testing.assert_array_equal(e.after.x[0], moved)
    np.testing.assert_array_equal(e.after.output, F.max_pool2d(moved[None, None], 2)[0])
    assert "2 of the 4 outputs absorb the shift and 2 do not" in e.text()
    assert "できない場合もある" in e.text("ja")
    x = np.arange(1, 31).reshape(2, 3, 5)
    for down in range(-3, 4):
        for right in range(-5, 6):
            expected = np.zeros_like(x)
            for r in range(3):
                for c in range(5):
                    if 0 <= r - down < 3 and 0 <= c - right < 5:
                        expected[:, r, c] = x[:, r - down, c - right]
            np.testing.assert_array_equal(shifted(x, down, right), expected)


def test_im2col_says_what_it_costs_in_memory():
    e = explain_im2col()
    assert e.col.size == 6750 and e.x.size == 1470
    assert "col holds 90*75 = 6,750 values, the input 10*3*7*7 = 1,470, 4.6 times" in e.text()
    assert "6,750 個、入力は 10*3*7*7 = 1,470 個で、4.6 倍" in e.text("ja")


def test_the_new_explanations_on_the_command_line(capsys):
    from tatamikomi import cli

    assert cli.main(["explain", "flatten", "--input-shape", "1,4,4", "--pixel", "1,1"]) == 0
    out = capsys.readouterr().out
    assert "(2, 1) -> position 9: the pixel below, 4 apart" in out
    assert cli.main(["explain", "shift", "--shift=1,0", "--lang", "ja"]) == 0
    out = capsys.readouterr().out
    assert "下に 1 画素ずらした" in out and "ずらした後 [[2,4],[4,3]]" in out
    for args, message in [
        (["flatten", "--pixel", "30,1"], "inside (1, 28, 28)"),
        (["flatten", "--input-shape", "1,2,3,4"], "(C, H, W)"),
        (["shift", "--shift", "1,2,3"], "--shift takes two numbers of pixels, down and right"),
    ]:
        assert cli.main(["explain", *args]) == 1
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err
        assert len(captured.err.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# No English left in Japanese

def japanese_outputs():
    """(what, text, names it may keep) for every explanation and the demo, in Japanese."""
    from tatamikomi.explain import explain_flatten, explain_shift

    rng = np.random.default_rng(0)
    texts = [
        ("demo", demo_text("ja")),
        ("conv", explain_conv().text("ja")),
        ("conv pad", explain_conv(pad=1).text("ja")),
        ("conv stride", explain_conv(stride=2, pad=(1, 0)).text("ja")),
        ("conv bias", explain_conv(bias=3).text("ja")),
        ("conv channels", explain_conv(rng.random((2, 3, 3)), rng.random((2, 2, 2, 2))).text("ja")),
        ("pool", explain_pool().text("ja")),
        ("pool avg", explain_pool(mode="avg", pad=1, stride=1).text("ja")),
        ("pool channels", explain_pool(rng.random((2, 4, 4)), 2).text("ja")),
        ("im2col", explain_im2col().text("ja")),
        ("im2col small", explain_im2col(lecture.INPUT, 3, pad=1, stride=2).text("ja")),
        ("flatten", explain_flatten().text("ja")),
        ("flatten channels", explain_flatten((3, 5, 5)).text("ja")),
        ("shift", explain_shift().text("ja")),
        ("shift avg", explain_shift(shift=(-1, 2), mode="avg").text("ja")),
        ("shift all", explain_shift(np.ones((4, 4)), shift=(0, 0)).text("ja")),
    ]
    out = [(what, text, ()) for what, text in texts]
    for model in (tk.SimpleConvNet(), tk.DeepConvNet()):
        names = (type(model).__name__, *model.layers.keys())
        out.append((f"shape {names[0]}", explain_shape(model).text("ja"), names))
    from tatamikomi import exercises

    for key in exercises.KEYS:
        names = ("SimpleConvNet", "Conv1", "Relu1", "Pool1", "--lang", "--quick", *CLI_NAMES)
        out.append((f"exercise {key}", exercises.question(key, "ja"), names))
        out.append((f"answer {key}", exercises.check(key, 0, lang="ja").message, names))
    for area in ("figures", "diagrams"):  # the pictures' labels, without their {fields}
        for key, template in i18n.entries(f"{area}.", "ja").items():
            out.append((key, re.sub(r"\{[^}]*\}", " ", template), ()))
    return out


def test_no_english_word_is_left_in_japanese():
    left = {what: english_words(text, names) for what, text, names in japanese_outputs()}
    assert {what: words for what, words in left.items() if words} == {}


def test_the_english_word_check_can_fail():
    assert english_words("最大値 Max プーリング (values shown)") == ["Max", "values", "shown"]
    assert english_words("  Relu1  ReLU: (16, 28, 28) → (16, 28, 28)", ["Relu1"]) == []
    assert english_words("OH = ⌊(4 + 2*0 - 3) / 2⌋ + 1 = 0 + 1 = 1(1/2 は切り捨て) 2x(-1)") == []
    assert english_words("(3/2 rounded down)") == ["rounded", "down"]


def test_the_tutorials_teach_what_the_lecture_says():
    """The lecture's points and terms in both tutorials, wherever their lines break, and the
    numbers they quote as the engine computes them."""
    x = np.zeros(lecture.IM2COL_BATCH_SHAPE)
    col = F.im2col(x, *lecture.IM2COL_FILTER)
    ratio = f"{col.size / x.size:.1f}"  # im2col's memory: 6750 values for 1470, 4.6 times
    for path, phrases in {
        "docs/tutorial.md": [
            "the basis of deep learning, used in image recognition, speech recognition",
            "spatial information (空間情報)",
            "input feature map (入力特徴マップ)",
            "and sometimes it cannot",
            "Caffe and Chainer",
            f"{ratio} times as many values as the input",
            f"{col.size} {x.size} {ratio}",
            "book's GitHub repository defaults to stride 2 whatever the window",
            "(since its commit 77a0807",
            "the printed book's listing to `stride=1`",
            "the last row and column are dropped",
        ],
        "docs/tutorial.ja.md": [
            "ディープラーニングの基礎で、画像認識、音声認識",
            "元々ある空間情報を捨てている",
            "入力は入力特徴マップ、出力は出力特徴マップ",
            "できない場合もあります",
            "Caffe や Chainer",
            f"入力の {ratio} 倍",
            f"{col.size} {x.size} {ratio}",
            "書籍の GitHub リポジトリではウィンドウの大きさによらず 2 です",
            "(2020 年 9 月のコミット 77a0807",
            "印刷された書籍のリストでは `stride=1` です",
            "最後の行と列は使われません",
        ],
    }.items():
        text = unwrapped((ROOT / path).read_text("utf-8"))
        for phrase in phrases:
            assert phrase in text, (path, phrase)


def test_the_notebooks_links_lead_somewhere():
    import json

    for name in ("tutorial.ipynb", "tutorial.ja.ipynb"):
        notebook = json.loads((ROOT / "examples" / name).read_text("utf-8"))
        cells = notebook["cells"]
        prose = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        links = [link for link in re.findall(r"\]\(([^)]+)\)", prose) if "://" not in link]
        assert links, name
        for link in links:
            assert (ROOT / "examples" / link).resolve().exists(), (name, link)


def test_the_tutorials_walk_through_the_layers_and_end_with_every_exercise():
    from tatamikomi import exercises

    for path in ("docs/tutorial.md", "docs/tutorial.ja.md"):
        text = (ROOT / path).read_text("utf-8")
        for phrase in (
            "inspect.getsource(lecture.im2col)",
            "col_W = W.reshape(FN, -1).T",
            "col @ col_W + b",
            ".reshape(10, 3, 3, -1).transpose(0, 3, 1, 2)",
            "col.max(axis=1), col.argmax(axis=1)",
            "lecture.Convolution(filters, b).forward(batch)",
            "tk.Convolution(filters, b).forward(batch)",
            "lecture/im2col.py",
        ):
            assert phrase in text, (path, phrase)
        for key in exercises.KEYS:  # asked, not answered: the reader writes the answer
            assert f'quiz.check("{key}", answer)' in text, (path, key)
        assert text.count("answer = None") == len(exercises.KEYS)
    ja = (ROOT / "docs/tutorial.ja.md").read_text("utf-8")
    assert "積和計算をまとめて行い" in ja and "出力特徴マップのチャネル" in ja
