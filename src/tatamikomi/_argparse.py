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
import sys

from . import i18n


#: the locale variables, in the order POSIX consults them for messages
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language(argv=(), environ=None) -> str:
    """The language the command line speaks: ``--lang X`` (or ``--lang=X``) in ``argv`` when
    there is a catalog for X, else the one the locale's first set variable of
    :data:`LOCALE_VARIABLES` names (``ja_JP.UTF-8``) when there is a catalog for it, else
    English."""
    argv = list(argv)
    given = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            given = argv[i + 1]
        elif word.startswith("--lang="):
            given = word.partition("=")[2]
    if given in i18n.languages():
        return given
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        if environ.get(name):
            return i18n.language_of_locale(environ[name]) or i18n.SOURCE_LANGUAGE
    return i18n.SOURCE_LANGUAGE


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option that has a default worth telling, and writes
    argparse's "usage:" in the parser's language (``lang``, set by :class:`Parser`)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        unsaid = default is None or default is False or default == argparse.SUPPRESS
        if "(default" in text or "(既定値" in text or unsaid or action.nargs == 0:
            return text
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        return f"{text} " + i18n.text("cli.default", default=default)

    def add_usage(self, usage, actions, groups, prefix=None):
        if prefix is None:
            prefix = i18n.text("cli.usage")
        super().add_usage(usage, actions, groups, prefix)


class _ArgumentError(argparse.ArgumentError):
    """An argument's error, said as ``cli.argument`` in the language of the moment."""

    def __str__(self):
        if self.argument_name is None:
            return self.message
        return i18n.text("cli.argument", name=self.argument_name, message=self.message)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks ``lang``: its titles, ``-h``, "usage:" and error messages,
    and those of the subcommands added under it."""

    def __init__(self, *args, lang=None, add_help=True, **kwargs):
        self.lang = i18n.check_lang(lang or i18n.current())
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = i18n.text("cli.positionals")
        self._optionals.title = i18n.text("cli.optionals")
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS,
                help=i18n.text("cli.help"),
            )

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", functools.partial(Parser))
        return super().add_subparsers(**kwargs)

    # argparse's own messages are English (gettext, process-wide); the few a learner meets are
    # raised here in the parser's language instead, from the methods that detect them.

    def parse_known_args(self, args=None, namespace=None):
        with i18n.use(self.lang):
            return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        with i18n.use(self.lang):
            args, extra = self.parse_known_args(args, namespace)
            if extra:
                self.error(i18n.text("cli.unrecognized", names=" ".join(extra)))
            return args

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(repr, action.choices))
            raise _ArgumentError(
                action, i18n.text("cli.invalid_choice", value=repr(value), choices=choices)
            )

    def _get_value(self, action, arg_string):
        type_func = self._registry_get("type", action.type, action.type)
        if not callable(type_func):  # a mistake in the parser, not the user's: argparse's words
            return super()._get_value(action, arg_string)
        try:
            return type_func(arg_string)
        except argparse.ArgumentTypeError as error:
            raise _ArgumentError(action, str(error)) from None
        except (TypeError, ValueError):
            if action.type in (int, float):  # said in words, not as a Python type's name
                key = "cli.invalid_integer" if action.type is int else "cli.invalid_number"
                option = action.option_strings[-1] if action.option_strings else action.dest
                raise _ArgumentError(
                    action, i18n.text(key, value=repr(arg_string), option=option)
                ) from None
            name = getattr(action.type, "__name__", repr(action.type))
            raise _ArgumentError(
                action, i18n.text("cli.invalid_value", type=name, value=repr(arg_string))
            ) from None

    def _match_argument(self, action, arg_strings_pattern):
        try:
            return super()._match_argument(action, arg_strings_pattern)
        except argparse.ArgumentError as error:
            if action.nargs is None:
                raise _ArgumentError(action, i18n.text("cli.expected_one")) from None
            raise error

    def error(self, message):
        with i18n.use(self.lang):
            required = argparse._("the following arguments are required: %s").partition("%s")[0]
            if message.startswith(required):  # raised inside _parse_known_args, no hook
                message = i18n.text("cli.required", names=message[len(required):])
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog}: " + i18n.text("cli.error") + f": {message}\n")

    def format_help(self):
        with i18n.use(self.lang):
            return super().format_help()

    def format_usage(self):
        with i18n.use(self.lang):
            return super().format_usage()


__all__ = ["LOCALE_VARIABLES", "language", "HelpFormatter", "Parser"]
