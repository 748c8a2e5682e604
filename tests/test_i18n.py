"""The catalogs: one per language, complete, used by the code both ways, and a language added
by a file alone."""

import json
import re
import string
import threading

import numpy as np
import pytest

from tatamikomi import i18n

from .support import SRC, child_env, run_cli

LANGUAGES = tuple(i18n.languages())
#: a key as the code writes it: a literal "area.name" (or 'area.name') whose area is a catalog's
KEY = re.compile(r"""["']([a-z_]+\.[A-Za-z0-9_]+)["']""")
#: file names that look like keys (the default output "errors.png" of `plot errors`)
FILE_SUFFIXES = ("png", "npz", "json", "onnx", "pt", "py")


def fields(template) -> set[str]:
    parts = template.values() if isinstance(template, dict) else [template]
    return {
        name for part in parts for _, name, _, _ in string.Formatter().parse(part)
        if name is not None
    }


def keys_in_code() -> set[str]:
    areas = {key.partition(".")[0] for key in i18n.catalog("en")}
    found = set()
    package = SRC / "tatamikomi"
    for path in [*package.rglob("*.py"), *package.rglob("*.js"), *package.rglob("*.html")]:
        found |= {key for key in KEY.findall(path.read_text(encoding="utf-8"))
                  if key.partition(".")[0] in areas and key.partition(".")[2] not in FILE_SUFFIXES}
    return found


def test_every_key_the_code_uses_is_in_the_catalogs_and_every_key_there_is_used():
    english = set(i18n.catalog("en"))
    used = keys_in_code()
    assert sorted(used - english) == []  # said in code, missing from the catalog
    assert sorted(english - used) == []  # in the catalog, said by no code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_text_with_the_same_fields(lang):
    english, catalog = i18n.catalog("en"), i18n.catalog(lang)
    assert sorted(set(english) ^ set(catalog)) == []
    for key, template in catalog.items():
        assert fields(template) == fields(english[key]), (lang, key)


def test_the_shipped_catalogs_are_json_objects_of_texts_and_name_their_language():
    for path in (SRC / "tatamikomi" / "catalogs").glob("*.json"):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        assert catalog["language.name"] and path.stem in LANGUAGES
    assert i18n.languages() == {"en": "English", "ja": "日本語"}


def test_text_fills_in_a_key_in_the_language_in_effect():
    assert i18n.text("explain.output", shape="2x2", nested="[[1]]") == "Output (2x2): [[1]]"
    with i18n.use("ja"):
        assert i18n.text("explain.output", shape="2x2", nested="[[1]]").endswith("(2x2): [[1]]")
        assert i18n.text("explain.channel", 3) == "  チャネル 3:"
        assert i18n.text("explain.channel", 3, lang="en") == "  channel 3:"
    assert i18n.current() == "en"


def test_plural_forms_are_chosen_by_count_in_one_place():
    assert [i18n.text("explain.steps", count=n) for n in (1, 2)] == ["one step", "2 steps"]
    assert i18n.text("cli.epoch_count", count=1) == "epoch"
    assert i18n.text("cli.epoch_count", count=3) == "epochs"
    with i18n.use("ja"):  # a language without plural forms writes one text
        assert [i18n.text("explain.steps", count=n) for n in (1, 2)] == ["1 つ", "2 つ"]


def test_the_language_is_scoped_to_its_block_and_thread():
    seen = {}
    with i18n.use("ja"):
        worker = threading.Thread(target=lambda: seen.update(other=i18n.current()))
        worker.start()
        worker.join()
        with i18n.use(None):  # None keeps the language in effect
            seen["inner"] = i18n.current()
        seen["block"] = i18n.current()
    assert seen == {"other": "en", "inner": "ja", "block": "ja"} and i18n.current() == "en"


@pytest.mark.parametrize("call", [
    lambda: i18n.check_lang("fr"),
    lambda: i18n.text("explain.output", lang="de", shape="", nested=""),
    lambda: i18n.use("EN").__enter__(),
])
def test_an_unknown_language_is_one_clear_error(call):
    with pytest.raises(
        ValueError, match=r"there is no catalog for the language '\w+'; the languages are en, ja"
    ):
        call()


def test_unknown_keys_name_what_exists():
    with pytest.raises(KeyError, match="no text 'explain.nothing'"):
        i18n.text("explain.nothing")
    with pytest.raises(KeyError, match="'area.name'"):
        i18n.text("output")


THROWAWAY = "eo"  # Esperanto: a language tatamikomi does not ship


@pytest.fixture
def throwaway_catalog(tmp_path, monkeypatch):
    """A new language as a translator would add it: one catalog file (here in a folder named by
    TATAMIKOMI_CATALOGS), each text of English marked, one left out (said in English)."""
    english = i18n.catalog("en")
    texts = {
        key: (
            {form: "«" + t + "»" for form, t in value.items()}
            if isinstance(value, dict)
            else "«" + value + "»"
        )
        for key, value in english.items()
    }
    texts["language.name"] = "Esperanto"
    del texts["demo.bias"]
    (tmp_path / f"{THROWAWAY}.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
    monkeypatch.setenv(i18n.CATALOGS_VARIABLE, str(tmp_path))
    return tmp_path


def test_a_language_is_one_catalog_file_the_command_line_finds(throwaway_catalog):
    assert i18n.languages()[THROWAWAY] == "Esperanto"
    demo = run_cli("--lang", THROWAWAY, "demo")
    assert demo.returncode == 0, demo.stderr
    lines = demo.stdout.splitlines()
    assert lines[0] == "«" + i18n.text("demo.input") + "»"
    assert i18n.text("demo.bias") in lines  # the text it lacks, in English
    helped = run_cli("--lang", THROWAWAY, "--help")
    assert "«" + i18n.text("cli.description") + "»" in helped.stdout
    assert "eo (Esperanto)" in " ".join(helped.stdout.split())  # --lang: each in its own words
    refused = run_cli("--lang", THROWAWAY, "explain", "conv", "--stride", "0")
    assert refused.returncode == 1 and refused.stderr.count("«") >= 1
    located = run_cli("demo", env=child_env(LC_ALL="", LC_MESSAGES="", LANG="eo_XX.UTF-8"))
    assert located.stdout.splitlines()[0] == lines[0]  # the locale finds it too


def test_a_language_is_one_catalog_file_the_studio_finds(throwaway_catalog):
    from tatamikomi.serve import server

    import http.client

    with server.running(server.Studio()) as httpd:
        connection = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=10)
        connection.request("GET", "/api/strings")
        strings = json.loads(connection.getresponse().read())
        assert strings["languages"][THROWAWAY] == "Esperanto"
        assert strings["strings"]["studio.tab_draw"][THROWAWAY].startswith("«")
        connection.request(
            "POST",
            f"/api/predict?lang={THROWAWAY}",
            body=b"{",
            headers={"Content-Type": "application/json"},
        )
        answer = connection.getresponse()
        error = json.loads(answer.read())["error"]
        assert answer.status == 400 and error.startswith("«")


def test_the_module_docstrings_run():
    import doctest

    from tatamikomi import explain

    for module in (i18n, explain):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_an_error_speaks_english_and_says_itself_in_another_language():
    error = i18n.error(FileNotFoundError, "errors.model_missing", path="m.npz")
    assert isinstance(error, FileNotFoundError)
    assert str(error) == "model file m.npz does not exist"  # the library's own words
    assert i18n.say(error, "ja") == "モデルファイル m.npz がありません"
    assert i18n.say(error, "en") == str(error)
    # an error inside another, and a text inside it, are said in the same language
    inner = i18n.error(ValueError, "errors.image_blank")
    outer = i18n.error(ValueError, "errors.in_file", path="a.png", error=inner)
    assert str(outer) == "a.png: the image is blank: no digit found"
    assert i18n.say(outer, "ja") == "a.png: 画像が空白で、数字が見つかりません"
    kind = i18n.Said("errors.kind_fifo")
    special = i18n.error(OSError, "errors.not_regular", path="p", kind=kind)
    assert "but a FIFO (named pipe);" in str(special)
    assert "名前付きパイプ (FIFO)" in i18n.say(special, "ja")
    recast = i18n.recast(KeyError, outer)
    assert isinstance(recast, KeyError) and i18n.say(recast, "ja") == i18n.say(outer, "ja")
    # anything else is as it was
    assert i18n.say(ValueError("plain words"), "ja") == "plain words"
    assert i18n.say(3, "ja") == 3
    with pytest.raises(ValueError, match="there is no catalog for the language 'fr'"):
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
