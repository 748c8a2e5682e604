"""``tatamikomi book SCRIPT.py [args]``: run a script of the book's repository unchanged, with
tatamikomi standing in for its ``dataset.mnist``, ``common.*``, ``simple_convnet`` and
``deep_convnet`` (see :mod:`tatamikomi.book`)."""

from __future__ import annotations

from .. import book
from . import _args
from ._common import CommandError


def add_parser(commands, lang="en") -> None:
    parser = _args.add_command(
        commands,
        "book",
        help="run one of the book's scripts unchanged (ゼロから作るDeep Learning)",
        description="Run a script of the book's repository (e.g. ch07/train_convnet.py) unchanged: "
        "its imports of dataset.mnist, common.* (layers, functions, util, optimizer, trainer, "
        "gradient), simple_convnet and deep_convnet are served by tatamikomi (fast engine, MNIST "
        "from tatamikomi's mirrors or mnist-mini offline). Files the script saves never replace "
        "existing ones unless --overwrite is given. Options go before the script.",
    )
    book.add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    try:
        return book.run_from_arguments(args)
    except book.BookError as error:
        raise CommandError(str(error)) from None
