"""``tatamikomi exercises``: the lecture's exercises as a quiz in the terminal, or their list.
The exercises, their checks and their texts are :mod:`tatamikomi.exercises`."""

from __future__ import annotations

import sys

from .. import exercises, i18n
from ..exercises.quiz import run_quiz
from . import _args
from ._common import CommandError


def _exercises(args) -> int:
    keys = list(args.keys) or [
        key for key in exercises.KEYS if args.level is None or exercises.level(key) == args.level
    ]
    unknown = [key for key in keys if key not in exercises.KEYS]
    if unknown:
        raise CommandError(i18n.text(
            "errors.no_exercise", key=unknown[0], keys=", ".join(exercises.KEYS)))
    if args.list:
        for key in keys:
            print(i18n.text(
                "cli.exercises_list_line", key=key, level=exercises.level_name(key),
                question=exercises.question(key, with_options=False),
            ))
        return 0
    run_quiz(keys, sys.stdin, sys.stdout)
    return 0


def add_parser(commands) -> None:
    parser = _args.add_command(
        commands,
        "exercises",
        help=i18n.text("cli.exercises_help"),
        description=i18n.text("cli.exercises_description"),
    )
    parser.add_argument("keys", nargs="*", metavar="KEY", help=i18n.text("cli.exercises_keys"))
    parser.add_argument(
        "--level", choices=exercises.LEVELS, default=None, help=i18n.text("cli.exercises_level")
    )
    parser.add_argument("--list", action="store_true", help=i18n.text("cli.exercises_list"))
    _args.lang_option(parser)
    parser.set_defaults(handler=_exercises)
