"""The ``tatamikomi`` command line (also ``python -m tatamikomi``).

Commands, one module per group: :mod:`.train` (``train``, ``train --resume``), :mod:`.models`
(``evaluate``, ``predict``, ``summary``, ``import-book``), :mod:`.lecture` (``demo``,
``explain``, ``plot``), :mod:`.book` (``book``: the book's scripts unchanged); each has
``--help``. Errors print one clear line (what is wrong and what to do) and exit with 1: a
command raises :class:`CommandError`, never lets a traceback through. A library error is said
in the user's language by :func:`._common.error_text` (:func:`tatamikomi.i18n.say`).

Adding a command group is one module and one line: write ``cli/NAME.py`` with
``add_parser(commands, lang)``, which adds its commands with ``_args.add_command(commands, ...)``
(the shared help style) and gives each ``set_defaults(handler=function)``, the function taking
the parsed arguments and returning the exit status; then add the module to ``GROUPS`` below.
Every text it shows is ``_args.say_text(name, lang)`` from :mod:`tatamikomi.i18n`'s ``cli``
area; ``args.lang`` is the language resolved from ``--lang`` or the locale
(:func:`._args.language`: ``LANG=ja_JP.UTF-8`` makes it Japanese).
The argument helpers (``--stride``/``--pad``, ``--dataset``, ``--lang``, the model file) are in
:mod:`._args`, the shared model and data loading in :mod:`._common`.
"""

from __future__ import annotations

import argparse
import sys

from ..config import get_config

from .. import i18n
from .._version import __version__
from . import _args, book, export, lecture, models, serve, train
from ._args import say_text
from ._common import CommandError, error_text, say

#: the command groups, in the order ``--help`` lists them
GROUPS = (train, models, lecture, export, serve, book)

__all__ = ["main", "build_parser", "CommandError", "GROUPS"]


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The whole command line, its help and argparse's own words in ``lang``."""
    parser = _args.Parser(prog="tatamikomi", description=say_text("description", lang), lang=lang)
    parser.add_argument(
        "--version",
        action="version",
        version=f"tatamikomi {__version__}",
        help=say_text("version", lang),
    )
    parser.add_argument("--debug", action="store_true", help=say_text("debug", lang))
    parser.add_argument(
        "--lang", choices=i18n.LANGUAGES, default=None, help=say_text("lang", lang)
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(commands, lang)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _args.language(argv)  # before parsing: the help and argparse's errors speak it too
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    args.lang = lang
    if args.command is None:
        parser.print_help()
        return 2
    try:
        get_config()  # a bad TATAMIKOMI_* environment value: one line now, not a traceback later
    except ValueError as error:
        say(f"tatamikomi {args.command}: {error_text(error, lang)}")
        return 1
    try:
        return args.handler(args)
    except CommandError as error:
        say(f"tatamikomi {args.command}: {error}")
        return 1
    except KeyboardInterrupt:  # outside training (which saves a checkpoint first)
        say(f"tatamikomi {args.command}: {say_text('interrupted', lang)}")
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which has closed
        sys.stderr.close()
        return 0
    except Exception as error:  # a bug or a case not foreseen: still one line, unless --debug
        if args.debug:
            raise
        text = say_text(
            "unexpected", lang, kind=type(error).__name__, error=error, command=args.command
        )
        say(f"tatamikomi {args.command}: {text}")
        return 1
