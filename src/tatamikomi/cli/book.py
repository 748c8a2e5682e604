"""``tatamikomi book SCRIPT.py [args]``: run a script of the book's repository unchanged, with
tatamikomi standing in for its ``dataset.mnist``, ``common.*``, ``simple_convnet`` and
``deep_convnet`` (see :mod:`tatamikomi.book`)."""

from __future__ import annotations

from .. import book, i18n
from . import _args
from ._common import CommandError, error_text


def add_parser(commands) -> None:
    parser = _args.add_command(
        commands,
        "book",
        help=i18n.text("cli.runbook_help"),
        description=i18n.text("cli.runbook_description"),
    )
    book.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    try:
        return book.run_from_arguments(args)
    except book.BookError as error:
        raise CommandError(error_text(error)) from None
