"""argparse in the user's language: the language a command line speaks (``--lang``, else the
locale), and a parser whose titles, ``-h``, "usage:" and error messages are in it, from
:mod:`tatamikomi.i18n`'s ``cli`` area.

Scoped to the parsers it builds: no process-wide ``gettext`` is installed. Low in the package so
that every entry point (``tatamikomi``, ``python -m tatamikomi.book``) speaks the same way; the
commands themselves are in :mod:`tatamikomi.cli`.

Defaults are written one way in every help text, ``(default: X)``, by :class:`HelpFormatter`
from the parser's own default; an option whose default comes from elsewhere (a recipe, the
model file) says so in its help.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys

from . import i18n


#: the locale variables, in the order POSIX consults them for messages
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language(argv=(), environ=None) -> str:
    """The language the command line speaks: ``--lang X`` (or ``--lang=X``) in ``argv`` when X
    is one of :data:`tatamikomi.i18n.LANGUAGES`, else ``"ja"`` when the locale's first set
    variable of :data:`LOCALE_VARIABLES` names Japanese (``ja_JP.UTF-8``), else ``"en"``."""
    argv = list(argv)
    given = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            given = argv[i + 1]
        elif word.startswith("--lang="):
            given = word.partition("=")[2]
    if given in i18n.LANGUAGES:
        return given
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        if environ.get(name):
            return "ja" if environ[name].lower().startswith("ja") else "en"
    return "en"


def say_text(name: str, lang: str, /, **values) -> str:
    """The command line's text ``name`` (``cli.name`` in :mod:`tatamikomi.i18n`) in ``lang``."""
    return i18n.text(f"cli.{name}", lang, **values)


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option that has a default worth telling, and writes
    argparse's "usage:" in the parser's language (``lang``, set by :class:`Parser`)."""

    lang = "en"

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        unsaid = default is None or default is False or default == argparse.SUPPRESS
        if "(default" in text or "(既定値" in text or unsaid or action.nargs == 0:
            return text
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        return f"{text} " + say_text("default", self.lang, default=default)

    def add_usage(self, usage, actions, groups, prefix=None):
        if prefix is None:
            prefix = say_text("usage", self.lang)
        super().add_usage(usage, actions, groups, prefix)


#: argparse's error messages (Python 3.10 to 3.13) and their names in the ``cli`` area
_ARGPARSE_ERRORS = [
    (re.compile(r"argument (?P<name>\S+?): (?P<message>.*)", re.S), "argument"),
    (re.compile(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)"),
     "invalid_choice"),
    (re.compile(r"invalid (?P<type>\S+) value: (?P<value>.*)"), "invalid_value"),
    (re.compile(r"expected one argument"), "expected_one"),
    (re.compile(r"the following arguments are required: (?P<names>.*)"), "required"),
    (re.compile(r"unrecognized arguments: (?P<names>.*)"), "unrecognized"),
]


def _argparse_error(message: str, lang: str) -> str:
    """One of argparse's English error messages in ``lang`` (as it is when not known)."""
    for pattern, name in _ARGPARSE_ERRORS:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = _argparse_error(values["message"], lang)
            return say_text(name, lang, **values)
    return message


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks ``lang``: its titles, ``-h``, "usage:" and error messages,
    and those of the subcommands added under it."""

    def __init__(self, *args, lang="en", add_help=True, **kwargs):
        self.lang = i18n.check_lang(lang)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = say_text("positionals", lang)
        self._optionals.title = say_text("optionals", lang)
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS,
                help=say_text("help", lang),
            )

    def _get_formatter(self):
        formatter = super()._get_formatter()
        formatter.lang = self.lang
        return formatter

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", functools.partial(Parser, lang=self.lang))
        return super().add_subparsers(**kwargs)

    def error(self, message):
        self.print_usage(sys.stderr)
        message = _argparse_error(message, self.lang)
        self.exit(2, f"{self.prog}: {say_text('error', self.lang)}: {message}\n")


__all__ = ["LOCALE_VARIABLES", "language", "say_text", "HelpFormatter", "Parser"]
