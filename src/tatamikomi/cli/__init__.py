"""The ``tatamikomi`` command line (also ``python -m tatamikomi``).

Commands, one module per group: :mod:`.train` (``train``, ``train --resume``), :mod:`.models`
(``evaluate``, ``predict``, ``summary``, ``import-book``), :mod:`.lecture` (``demo``,
``explain``, ``plot``), :mod:`.book` (``book``: the book's scripts unchanged); each has ``--help``. Errors print one clear line (what is wrong and
what to do) and exit with 1: a command raises :class:`CommandError`, never lets a traceback
through.

Adding a command group is one module and one line: write ``cli/NAME.py`` with
``add_parser(commands)``, which adds its commands with ``_args.add_command(commands, ...)``
(the shared help style) and gives each ``set_defaults(handler=function)``, the function taking
the parsed arguments and returning the exit status; then add the module to ``GROUPS`` below.
The argument helpers (``--stride``/``--pad``, ``--dataset``, ``--lang``, the model file) are in
:mod:`._args`, the shared model and data loading in :mod:`._common`.
"""

from __future__ import annotations

import argparse
import sys

from ..config import get_config

from .._version import __version__
from . import _args, book, export, lecture, models, serve, train
from ._common import CommandError, say

#: the command groups, in the order ``--help`` lists them
GROUPS = (train, models, lecture, export, serve, book)

__all__ = ["main", "build_parser", "CommandError", "GROUPS"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tatamikomi",
        description="Convolutional neural networks from scratch in NumPy "
        "(畳み込みニューラルネット).",
        formatter_class=_args.HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tatamikomi {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the Python traceback of an unexpected error (else it is one line)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parser(commands)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        get_config()  # a bad TATAMIKOMI_* environment value: one line now, not a traceback later
    except ValueError as error:
        say(f"tatamikomi {args.command}: {error}")
        return 1
    try:
        return args.handler(args)
    except CommandError as error:
        say(f"tatamikomi {args.command}: {error}")
        return 1
    except KeyboardInterrupt:  # outside training (which saves a checkpoint first)
        say(f"tatamikomi {args.command}: interrupted")
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which has closed
        sys.stderr.close()
        return 0
    except Exception as error:  # a bug or a case not foreseen: still one line, unless --debug
        if args.debug:
            raise
        say(
            f"tatamikomi {args.command}: {type(error).__name__}: {error} (unexpected; rerun "
            f"with tatamikomi --debug {args.command} ... to see the traceback)"
        )
        return 1
