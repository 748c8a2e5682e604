"""The ``tatamikomi`` command line (also ``python -m tatamikomi``).

Commands, one module per group: :mod:`.train` (``train``, ``train --resume``), :mod:`.models`
(``evaluate``, ``predict``, ``summary``, ``import-book``), :mod:`.lecture` (``demo``,
``explain``, ``plot``), :mod:`.exercises` (``exercises``: the quiz), :mod:`.worksheet`
(``worksheet``: the printable worksheet and its answer key), :mod:`.book` (``book``: the
book's scripts unchanged); each has
``--help``. Errors print one clear line (what is wrong and what to do) and exit with 1: a
command raises :class:`CommandError`, never lets a traceback through. A library error is said
in the user's language by :func:`._common.error_text` (:func:`tatamikomi.i18n.say`).

Adding a command group is one module and one line: write ``cli/NAME.py`` with
``add_parser(commands)``, which adds its commands with ``_args.add_command(commands, ...)``
(the shared help style) and gives each ``set_defaults(handler=function)``, the function taking
the parsed arguments and returning the exit status; then add the module to ``GROUPS`` below.
Every text it shows is ``i18n.text(key)`` from the catalogs, in the language
:func:`main` resolves once from ``--lang`` or the locale (:func:`._args.language`:
``LANG=ja_JP.UTF-8`` makes it Japanese) and sets for the whole command with ``i18n.use``.
The argument helpers (``--stride``/``--pad``, ``--dataset``, ``--lang``, the model file) are in
:mod:`._args`, the shared model and data loading in :mod:`._common`.
"""

from __future__ import annotations

import argparse
import sys

from ..config import get_config

from .. import i18n
from .._version import __version__
from . import _args, book, exercises, export, lecture, models, serve, train, worksheet
from ._common import CommandError, error_text, say

#: the command groups, in the order ``--help`` lists them
GROUPS = (train, models, lecture, exercises, worksheet, export, serve, book)

__all__ = ["main", "build_parser", "CommandError", "GROUPS"]


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, its help and argparse's own words in ``lang`` (default: the
    language in effect)."""
    with i18n.use(lang):
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    parser = _args.Parser(prog="tatamikomi", description=i18n.text("cli.description"))
    parser.add_argument(
        "--version",
        action="version",
        version=f"tatamikomi {__version__}",
        help=i18n.text("cli.version"),
    )
    parser.add_argument("--debug", action="store_true", help=i18n.text("cli.debug"))
    parser.add_argument(
        "--lang", choices=tuple(i18n.languages()), default=None,
        help=i18n.text("cli.lang", languages=_args.language_choices()),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(commands)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _args.language(argv)  # before parsing: the help and argparse's errors speak it too
    with i18n.use(lang):  # the one place the command line chooses its language
        return _run(argv, lang)


def _run(argv, lang) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.lang = lang
    if args.command is None:
        parser.print_help()
        return 2
    try:
        get_config()  # a bad TATAMIKOMI_* environment value: one line now, not a traceback later
    except ValueError as error:
        say(f"tatamikomi {args.command}: {error_text(error)}")
        return 1
    try:
        return args.handler(args)
    except CommandError as error:
        say(f"tatamikomi {args.command}: {error}")
        return 1
    except KeyboardInterrupt:  # outside training (which saves a checkpoint first)
        say(f"tatamikomi {args.command}: " + i18n.text("cli.interrupted"))
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which has closed
        sys.stderr.close()
        return 0
    except Exception as error:  # a bug or a case not foreseen: still one line, unless --debug
        if args.debug:
            raise
        text = i18n.text(
            "cli.unexpected", kind=type(error).__name__, error=error, command=args.command
        )
        say(f"tatamikomi {args.command}: {text}")
        return 1
