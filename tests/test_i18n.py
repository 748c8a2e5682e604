"""The one translation home: every area complete in every language, and a clear error."""

import string

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
    assert i18n.text("explain.channel", "ja", 3) == "  チャネル 3:"
    assert i18n.text("figures.epoch", "ja") == "エポック"
    assert i18n.table("diagrams", "en")["filter"] == "filter"


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
