"""The command line's argument helpers, in one place: commands with one help style, the
int-or-pair ``--stride``/``--pad``, shapes, arrays typed on the command line, and the options
that several commands share (model file, dataset, language, output), and the language the
command line speaks.

Every text a command prints or shows in its help is looked up in :mod:`tatamikomi.i18n`'s
``cli`` area, in the language :func:`language` resolves (``--lang``, else the locale) and the
entry point sets for the whole command (``i18n.use``). argparse's own words ("usage:",
"options", its error messages) come from :class:`Parser`; both are in
:mod:`tatamikomi._argparse`, low in the package, so that ``python -m tatamikomi.book`` speaks
the same way.
"""

from __future__ import annotations

import argparse
import functools

import numpy as np

from .. import i18n
from .._argparse import (  # noqa: F401 (the commands take them from here, with the rest)
    LOCALE_VARIABLES,
    HelpFormatter,
    Parser,
    language,
)
from ._common import CommandError


def add_command(commands, name, help, description):
    """A command (or a kind of ``explain``/``plot``) with the shared help style (the parser
    class of ``commands``, a :class:`Parser` in its parent's language)."""
    return commands.add_parser(
        name, help=help, description=description, formatter_class=HelpFormatter
    )


def pair_argument(text: str):
    """``3`` -> 3, ``"3,2"`` -> (3, 2)."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(i18n.text("cli.pair", text=repr(text)))
    if len(values) == 1:
        return values[0]
    if len(values) != 2:
        raise argparse.ArgumentTypeError(i18n.text("cli.pair_count", text=repr(text)))
    return values


def shape_argument(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.strip("()").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(i18n.text("cli.shape", text=repr(text)))


def parse_array(text: str, name: str) -> np.ndarray:
    """A small array from the command line, or the path of a ``.npy`` file.

    Rows are separated by ``;``, values by ``,`` and channels by ``|``:
    ``"1,2;3,4"`` is 2x2 and ``"1,2;3,4|5,6;7,8"`` is (2, 2, 2)."""
    if text.endswith(".npy"):
        try:
            array = np.load(text, allow_pickle=False)
        except FileNotFoundError:
            raise CommandError(i18n.text("cli.array_missing", name=name, text=text)) from None
        except (OSError, ValueError) as error:
            raise CommandError(
                i18n.text("cli.array_unreadable", name=name, text=text, error=error)
            ) from None
        if array.dtype.kind not in "biuf":
            dtype = array.dtype
            raise CommandError(i18n.text("cli.array_dtype", name=name, text=text, dtype=dtype))
        return array
    channels = []
    for c, channel in enumerate(text.split("|")):
        rows = []
        for r, row in enumerate(channel.split(";")):
            try:
                rows.append([float(v) for v in row.split(",")])
            except ValueError:
                raise CommandError(
                    i18n.text("cli.array_row", name=name, row=r + 1, text=row.strip())
                ) from None
            if len(rows[-1]) != len(rows[0]):
                count = len(rows[-1])
                values = i18n.text("cli.array_values", count=count)
                raise CommandError(
                    i18n.text(
                        "cli.array_row_size",
                        name=name,
                        row=r + 1,
                        values=values,
                        first=len(rows[0]),
                    )
                )
        if channels and np.shape(rows) != np.shape(channels[0]):
            size = f"{len(rows)}x{len(rows[0])}"
            first = f"{len(channels[0])}x{len(channels[0][0])}"
            raise CommandError(
                i18n.text("cli.array_channel", name=name, channel=c + 1, size=size, first=first)
            )
        channels.append(rows)
    array = np.array(channels)
    return array[0] if len(channels) == 1 else array


def optional_array(text, name):
    """``parse_array``, or None when the option was not given."""
    return None if text is None else parse_array(text, name)


def window_options(parser, stride_default=1) -> None:
    """--stride and --pad, each one number or h,w."""
    stride_help = i18n.text("cli.stride" if stride_default is not None else "cli.stride_window")
    pair = functools.partial(pair_argument)
    parser.add_argument("--stride", type=pair, default=stride_default, help=stride_help)
    parser.add_argument("--pad", type=pair, default=0, help=i18n.text("cli.pad"))


def lang_option(parser) -> None:
    """--lang on a command: given here or before the command, else the locale's (the value
    is resolved once, by :func:`language`, into ``args.lang``)."""
    parser.add_argument(
        "--lang",
        choices=tuple(i18n.languages()),
        default=argparse.SUPPRESS,
        help=i18n.text("cli.lang", languages=language_choices()),
    )


def language_choices() -> str:
    """Every language there is a catalog for, each as its code and its own name."""
    return ", ".join(f"{code} ({name})" for code, name in i18n.languages().items())


def model_file_argument(parser) -> None:
    parser.add_argument("model", help=i18n.text("cli.model_file"))


def at_least(value, minimum: int, option: str):
    """``value`` (None when the option was not given) unless it is below ``minimum``."""
    if value is not None and value < minimum:
        raise CommandError(i18n.text("cli.at_least", option=option, minimum=minimum, value=value))
    return value


def force_option(parser) -> None:
    parser.add_argument("--force", action="store_true", help=i18n.text("cli.force"))


def data_options(parser, default_text) -> None:
    """--dataset, --data-dir, --no-download."""
    parser.add_argument("--dataset", help=i18n.text("cli.dataset", default=default_text))
    parser.add_argument("--data-dir", help=i18n.text("cli.data_dir"))
    parser.add_argument("--no-download", action="store_true", help=i18n.text("cli.no_download"))
