"""The one translation home: every area complete in every language, and a clear error."""

import string

import numpy as np
import pytest

from tatamikomi import i18n
from tatamikomi.explain import localized


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("area", sorted(i18n.AREAS))
def test_every_language_has_every_text_with_the_same_fields(area):
    tables = i18n.AREAS[area]
    assert set(tables) == set(i18n.LANGUAGES)
    english = tables["en"]
    for lang in i18n.LANGUAGES:
        assert set(tables[lang]) == set(english), (area, lang)
        for name, template in tables[lang].items():
            assert fields(template) == fields(english[name]), (area, lang, name)


def test_text_fills_in_a_namespaced_key():
    assert i18n.text("explain.output", "en", shape="2x2", nested="[[1]]") == "Output (2x2): [[1]]"
    assert i18n.text("explain.output", "ja", shape="2x2", nested="[[1]]").endswith("(2x2): [[1]]")
    assert i18n.text("explain.channel", "ja", 3) == "  チャネル 3:"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_area_of_a_key_decides_which_text_it_is(lang):
    """A name used in several areas ("input", "filter", "channel", ...) is a different text in
    each; "area.name" finds the one of its area and language, a text without fields as written."""
    areas_of = {}
    for area in i18n.AREAS:
        for name in i18n.table(area, lang):
            areas_of.setdefault(name, []).append(area)
    shared = {name: areas for name, areas in areas_of.items() if len(areas) > 1}
    assert {"input", "filter", "channel"} <= set(shared)
    told_apart = 0  # names whose plain texts differ between areas: a lookup that ignored the
    for name, areas in shared.items():  # area, or took the wrong one, would fail on these
        plain = {area: i18n.table(area, lang)[name] for area in areas}
        plain = {area: t for area, t in plain.items() if not fields(t)}
        told_apart += len(set(plain.values())) > 1
        for area, template in plain.items():
            assert i18n.text(f"{area}.{name}", lang) == template, (area, name)
    assert told_apart >= 1


@pytest.mark.parametrize("call", [
    lambda: i18n.check_lang("fr"),
    lambda: i18n.text("explain.output", "de", shape="", nested=""),
    lambda: i18n.table("demo", "EN"),
    lambda: localized({"en": 1, "ja": 2}, "jp"),
])
def test_an_unknown_language_is_one_clear_error(call):
    with pytest.raises(ValueError, match=r"lang must be one of en, ja; got '\w+'"):
        call()


def test_unknown_keys_name_what_exists():
    with pytest.raises(KeyError, match="areas are explain, layer_names, demo"):
        i18n.text("nowhere.output", "en")
    with pytest.raises(KeyError, match="area.name"):
        i18n.text("output", "en")
    with pytest.raises(KeyError, match="no text 'missing'"):
        i18n.text("explain.missing", "en")


def test_the_explanations_and_the_demo_read_their_texts_from_i18n(monkeypatch):
    from tatamikomi import demo
    from tatamikomi.explain import explain_conv

    monkeypatch.setitem(i18n.EXPLAIN["ja"], "output", "OUT {shape} {nested}")
    monkeypatch.setitem(i18n.DEMO["ja"], "input", "IN")
    assert "OUT 2x2 [[12,14],[14,10]]" in explain_conv().text("ja")
    assert next(demo.lines("ja")) == "IN"


def test_the_module_docstrings_run():
    import doctest

    from tatamikomi import explain

    for module in (i18n, explain):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_an_error_speaks_english_and_says_itself_in_another_language():
    error = i18n.error(FileNotFoundError, "model_missing", path="m.npz")
    assert isinstance(error, FileNotFoundError)
    assert str(error) == "model file m.npz does not exist"  # the library's own words
    assert i18n.say(error, "ja") == "モデルファイル m.npz がありません"
    assert i18n.say(error, "en") == str(error)
    # an error inside another, and a text inside it, are said in the same language
    inner = i18n.error(ValueError, "image_blank")
    outer = i18n.error(ValueError, "in_file", path="a.png", error=inner)
    assert str(outer) == "a.png: the image is blank: no digit found"
    assert i18n.say(outer, "ja") == "a.png: 画像が空白で、数字が見つかりません"
    kind = i18n.Said("errors.kind_fifo")
    special = i18n.error(OSError, "not_regular", path="p", kind=kind)
    assert "but a FIFO (named pipe);" in str(special)
    assert "名前付きパイプ (FIFO)" in i18n.say(special, "ja")
    recast = i18n.recast(KeyError, outer)
    assert isinstance(recast, KeyError) and i18n.say(recast, "ja") == i18n.say(outer, "ja")
    # anything else is as it was
    assert i18n.say(ValueError("plain words"), "ja") == "plain words"
    assert i18n.say(3, "ja") == 3
    with pytest.raises(ValueError, match="lang must be one of"):
        i18n.say(error, "fr")


def test_library_errors_keep_their_english_and_carry_their_words(tmp_path):
    from tatamikomi.images import ImageError, prepare_image
    from tatamikomi.models import get_model, load

    with pytest.raises(FileNotFoundError) as missing:
        load(tmp_path / "gone.npz")
    assert str(missing.value) == f"model file {tmp_path / 'gone.npz'} does not exist"
    assert i18n.say(missing.value, "ja").startswith("モデルファイル ")
    with pytest.raises(ValueError) as unknown:
        get_model("Foo")
    assert i18n.say(unknown.value, "ja").startswith("'Foo' というモデルはありません。")
    blank = tmp_path / "blank.npy"
    np.save(blank, np.zeros((28, 28)))
    with pytest.raises(ImageError) as empty:
        prepare_image(blank)
    assert str(empty.value).startswith(f"{blank}: the image is blank: no digit found")
    assert i18n.say(empty.value, "ja").startswith(f"{blank}: 画像が空白で")


def test_the_engines_and_layers_errors_keep_their_english_and_carry_their_words():
    import tatamikomi as tk
    from tatamikomi import functional as F

    with pytest.raises(ValueError) as too_big:
        F.conv_output_size(3, 3, 1, 0, 2)
    assert str(too_big.value) == (
        "the window of size 3 (dilation 2 makes it span 5) does not fit in an input of size 3 "
        "padded by (0, 0) to 3: the output would be empty. Use a smaller window, more padding, "
        "or a larger input."
    )
    assert i18n.say(too_big.value, "ja").startswith(
        "大きさ 3(dilation=2 で 5 にわたる) のウィンドウが、大きさ 3 の入力を (0, 0) だけ"
    )
    with pytest.raises(ValueError) as padding:
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, 2, 2)
    assert str(padding.value).startswith("padding (2, 2) must be at most half the window (2, 2)")
    assert i18n.say(padding.value, "ja").startswith("パディング (2, 2) はウィンドウ (2, 2) の半分")
    with pytest.raises(ValueError) as shape:
        tk.Convolution(np.zeros((2, 1, 3, 3))).output_shape((1, 3))
    assert str(shape.value) == "Convolution needs input (C, H, W) per example; got (1, 3)"
    assert i18n.say(shape.value, "ja") == (
        "Convolution の入力は 1 つあたり (C, H, W) です。指定された形状: (1, 3)"
    )
