"""Every text a learner reads, in the language chosen once: the catalogs and the way to use them.

The texts are data: one catalog per language, ``catalogs/<code>.json`` in this package, each a
flat JSON object from a key ``"area.name"`` to a :meth:`str.format` template. The area is the
part of tatamikomi that says it (``explain``, ``cli``, ``studio``, ``errors``); the studio's
JavaScript reads the same catalog. A catalog names its language in its own words
(``"language.name": "日本語"``), which is what the ``--lang`` help and the studio's switch show.

The language is chosen once, by whoever starts the work (the command line's entry point, the
studio per request, ``Trainer(lang=...)``), and everything below reads it from the context::

    >>> from tatamikomi import i18n
    >>> with i18n.use("ja"):
    ...     i18n.text("explain.output", shape="2x2", nested="[[12,14],[14,10]]")
    '出力データ (2x2): [[12,14],[14,10]]'
    >>> i18n.text("explain.the_filter")                 # outside any block: English
    'filter'
    >>> i18n.text("explain.steps", count=2), i18n.text("explain.steps", count=1)
    ('2 steps', 'one step')

A template that depends on a number is an object of plural forms, ``{"one": ..., "other": ...}``,
chosen by the value ``count`` (:func:`plural_form`, the one place that rule lives); a language
without plurals writes a plain string.

To add a text: put its key in every catalog and use the key as a literal in the code (a test
reads the code and the catalogs and fails on a key used but missing, a key no code uses, or two
languages whose templates ask for different ``{fields}``). To add a language: add one catalog
file, here or in a folder named by ``TATAMIKOMI_CATALOGS`` (the command line's ``--lang``, the
locale and the studio find it; a key it lacks is said in English).

The library's errors that a learner meets are raised with :func:`error`: their message is the
English text, and they keep its key and values, so that whoever shows them says them in the
user's language with :func:`say`::

    >>> missing = i18n.error(FileNotFoundError, "errors.model_missing", path="m.npz")
    >>> str(missing)
    'model file m.npz does not exist'
    >>> i18n.say(missing, "ja")
    'モデルファイル m.npz がありません'

The lecture's own terms are kept where it has them: フィルタ, 積和計算, 特徴マップ, チャネル,
パディング, ストライド, プーリング.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import re
import string
from pathlib import Path

#: the language every catalog falls back to, and the one the library's exceptions speak
SOURCE_LANGUAGE = "en"
#: a folder list (``os.pathsep``-separated) searched for catalogs after the package's own
CATALOGS_VARIABLE = "TATAMIKOMI_CATALOGS"
_PACKAGE_CATALOGS = Path(__file__).with_name("catalogs")
_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tatamikomi_language", default=None
)


class CatalogError(ValueError):
    """A catalog file that is not a JSON object of texts (said in English: it is the catalog
    that cannot be trusted)."""


def _catalog_folders() -> tuple[Path, ...]:
    extra = os.environ.get(CATALOGS_VARIABLE, "")
    return (_PACKAGE_CATALOGS, *(Path(p) for p in extra.split(os.pathsep) if p))


@functools.lru_cache(maxsize=8)
def _catalogs(folders: tuple[Path, ...]) -> dict[str, dict]:
    found = {}
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            if _CODE.fullmatch(path.stem) and path.stem not in found:
                found[path.stem] = _read_catalog(path)
    if SOURCE_LANGUAGE not in found:
        raise CatalogError(f"no {SOURCE_LANGUAGE}.json among the catalogs in {_PACKAGE_CATALOGS}")
    return found


def _read_catalog(path: Path) -> dict:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogError(f"the catalog {path} cannot be read as UTF-8 JSON: {error}") from None
    if not isinstance(entries, dict) or not isinstance(entries.get("language.name"), str):
        raise CatalogError(
            f"the catalog {path} is not a JSON object with a \"language.name\" text"
        )
    for key, template in entries.items():
        plural = isinstance(template, dict) and "other" in template
        parts = template.values() if plural else [template]
        if "." not in key or not all(isinstance(part, str) for part in parts):
            raise CatalogError(
                f"the catalog {path} has {key!r}: a key is \"area.name\" and a text is a string "
                "or an object of plural forms with \"other\""
            )
    return entries


def _found() -> dict[str, dict]:
    """Every catalog there is, by language (read once per set of folders)."""
    return _catalogs(_catalog_folders())


def _checked(found: dict[str, dict], lang) -> dict:
    """The catalog of ``lang`` among ``found``, else a ValueError naming the choices."""
    if not isinstance(lang, str) or lang not in found:
        raise error(ValueError, "errors.unknown_language", given=repr(lang),
                    choices=", ".join(languages()))
    return found[lang]


def catalog(lang: str) -> dict:
    """The catalog of ``lang`` as it is in its file, ``{key: template}``."""
    return _checked(_found(), lang)


def languages() -> dict[str, str]:
    """Every language there is a catalog for, ``{code: its own name}``, English first."""
    found = _found()
    codes = sorted(found, key=lambda code: (code != SOURCE_LANGUAGE, code))
    return {code: found[code]["language.name"] for code in codes}


def check_lang(lang) -> str:
    """``lang`` if there is a catalog for it, else a ValueError naming the choices."""
    _checked(_found(), lang)
    return lang


def language_of_locale(value: str) -> str | None:
    """The language a locale setting names (``ja_JP.UTF-8`` → ``"ja"``, ``pt_BR`` → ``"pt-BR"``
    or ``"pt"``), when there is a catalog for it."""
    found = _found()
    name = re.split(r"[.@]", value.strip())[0]
    language, _, region = name.partition("_")
    for code in (f"{language.lower()}-{region}" if region else None, language.lower()):
        if code in found:
            return code
    return None


def current() -> str:
    """The language chosen by the innermost :func:`use` block of this context, else English."""
    return _language.get() or SOURCE_LANGUAGE


@contextlib.contextmanager
def use(lang: str | None):
    """Speak ``lang`` inside the block (this thread or task only; ``None`` keeps the language
    in effect)::

        with i18n.use("ja"):
            print(explain.conv(x, w))
    """
    token = _language.set(check_lang(lang)) if lang is not None else None
    try:
        yield current()
    finally:
        if token is not None:
            _language.reset(token)


def plural_form(count) -> str:
    """The plural form a number asks for: ``"one"`` for exactly 1, else ``"other"``."""
    return "one" if count == 1 else "other"


def template(key: str, lang: str | None = None) -> str:
    """The template of ``key`` in ``lang`` (default: the current language), English when that
    catalog lacks it; plural forms come back as their object."""
    area, dot, name = key.partition(".")
    if not (dot and area and name):
        raise KeyError(f"a text key is 'area.name' (e.g. 'explain.output'); got {key!r}")
    found = _found()
    entries = _checked(found, lang or current())
    if key in entries:
        return entries[key]
    if key in found[SOURCE_LANGUAGE]:
        return found[SOURCE_LANGUAGE][key]
    raise KeyError(f"no text {key!r} in the catalogs")


def text(key: str, /, *args, lang: str | None = None, **values) -> str:
    """The text ``key`` in ``lang`` (default: the current language), filled in with
    ``template.format(*args, **values)``; values that are :class:`Said` or errors from
    :func:`error` are said in the same language."""
    lang = lang or current()
    chosen = template(key, lang)
    if isinstance(chosen, dict):
        chosen = chosen.get(plural_form(values.get("count")), chosen["other"])
    args = [say(value, lang) for value in args]
    values = {name: say(value, lang) for name, value in values.items()}
    return chosen.format(*args, **_without_doubled_stops(chosen, values))


def entries(prefix: str, lang: str | None = None) -> dict[str, object]:
    """Every text whose key starts with ``prefix`` (``"studio."``), ``{key: template}``, in
    ``lang`` with English for what its catalog lacks: what a web page looks texts up in."""
    found = _found()
    chosen = _checked(found, lang or current())
    merged = {**found[SOURCE_LANGUAGE], **chosen}
    return {key: value for key, value in merged.items() if key.startswith(prefix)}


#: sentence ends, and the punctuation after which a value's own sentence end would be doubled
_STOPS = ".。"
_PUNCTUATION = tuple(".。;；,，、:：)）」!！?？")


def _without_doubled_stops(template: str, values: dict) -> dict:
    """``values``, each text value that the template follows with punctuation ("{first}. Pick",
    "{detail}。") without its own final stop: a message composed of parts never says "..", "。。"
    or ".;" in any language."""
    fields = list(string.Formatter().parse(template))
    values = dict(values)
    for (_, field, _, _), (after, _, _, _) in zip(fields, fields[1:]):
        value = values.get(field) if field else None
        if isinstance(value, str) and after.startswith(_PUNCTUATION):
            values[field] = value.rstrip(_STOPS) or value
    return values


def clause(text: str) -> str:
    """``text`` without its final stop (``.`` or ``。``), to be followed by punctuation when a
    message is composed in code rather than in a template."""
    return str(text).rstrip(_STOPS) or str(text)


class Said:
    """A text to be said later, in the language of the moment: ``Said("area.name", **values)``.

    ``str()`` gives it in English; :meth:`say` in the current language or the one asked. An
    error's message is built from one, so that the library speaks English and whoever shows the
    error the user's language.
    """

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values

    def say(self, lang: str | None = None) -> str:
        return text(self.key, lang=lang or current(), **self.values)

    def __str__(self) -> str:
        return self.say(SOURCE_LANGUAGE)

    def __repr__(self) -> str:
        return f"Said({self.key!r}, {self.values!r})"


def error(kind: type[BaseException], key: str, /, **values) -> BaseException:
    """An exception ``kind`` whose message is the text ``key`` in English, filled in with
    ``values``; it keeps them (as ``.said``), so that :func:`say` can give it in another
    language::

        raise i18n.error(ModelFileError, "errors.model_missing", path=path)
    """
    said = Said(key, **values)
    exception = kind(str(said))
    exception.said = said
    return exception


def recast(kind: type[BaseException], exception: BaseException) -> BaseException:
    """``exception``'s message (and what :func:`say` makes of it) in an exception ``kind``."""
    said = getattr(exception, "said", None)
    new = kind(str(exception))
    if said is not None:
        new.said = said
    return new


def say(value, lang: str | None = None):
    """``value`` in ``lang`` (default: the current language) when it is a :class:`Said` or an
    exception made by :func:`error`; any other value as it is (an exception: its message)."""
    said = value if isinstance(value, Said) else getattr(value, "said", None)
    if isinstance(said, Said):
        return said.say(lang or current())
    return str(value) if isinstance(value, BaseException) else value


__all__ = [
    "SOURCE_LANGUAGE", "CATALOGS_VARIABLE", "CatalogError", "catalog", "languages", "check_lang",
    "language_of_locale", "current", "use", "plural_form", "template", "text", "entries", "clause",
    "Said", "error", "recast", "say",
]
