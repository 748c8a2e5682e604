"""The command line's argument helpers, in one place: commands with one help style, the
int-or-pair ``--stride``/``--pad``, shapes, arrays typed on the command line, and the options
that several commands share (model file, dataset, language, output), and the language the
command line speaks.

Every text a command prints or shows in its help is looked up in :mod:`tatamikomi.i18n`'s
``cli`` area (:func:`say_text`), in the language :func:`language` resolves (``--lang``, else
the locale). argparse's own words ("usage:", "options", its error messages) come from
:class:`Parser`; both are in :mod:`tatamikomi._argparse`, low in the package, so that
``python -m tatamikomi.book`` speaks the same way.
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
    say_text,
)
from ._common import CommandError

def add_command(commands, name, help, description):
    """A command (or a kind of ``explain``/``plot``) with the shared help style (the parser
    class of ``commands``, a :class:`Parser` in its parent's language)."""
    return commands.add_parser(
        name, help=help, description=description, formatter_class=HelpFormatter
    )


def pair_argument(text: str, lang: str = "en"):
    """``3`` -> 3, ``"3,2"`` -> (3, 2)."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(say_text("pair", lang, text=repr(text)))
    if len(values) == 1:
        return values[0]
    if len(values) != 2:
        raise argparse.ArgumentTypeError(say_text("pair_count", lang, text=repr(text)))
    return values


def shape_argument(text: str, lang: str = "en") -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.strip("()").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(say_text("shape", lang, text=repr(text)))


def parse_array(text: str, name: str, lang: str = "en") -> np.ndarray:
    """A small array from the command line, or the path of a ``.npy`` file.

    Rows are separated by ``;``, values by ``,`` and channels by ``|``:
    ``"1,2;3,4"`` is 2x2 and ``"1,2;3,4|5,6;7,8"`` is (2, 2, 2)."""
    if text.endswith(".npy"):
        try:
            array = np.load(text, allow_pickle=False)
        except FileNotFoundError:
            raise CommandError(say_text("array_missing", lang, name=name, text=text)) from None
        except (OSError, ValueError) as error:
            raise CommandError(
                say_text("array_unreadable", lang, name=name, text=text, error=error)
            ) from None
        if array.dtype.kind not in "biuf":
            dtype = array.dtype
            raise CommandError(say_text("array_dtype", lang, name=name, text=text, dtype=dtype))
        return array
    channels = []
    for c, channel in enumerate(text.split("|")):
        rows = []
        for r, row in enumerate(channel.split(";")):
            try:
                rows.append([float(v) for v in row.split(",")])
            except ValueError:
                raise CommandError(
                    say_text("array_row", lang, name=name, row=r + 1, text=row.strip())
                ) from None
            if len(rows[-1]) != len(rows[0]):
                count = len(rows[-1])
                number = "array_value_one" if count == 1 else "array_value_many"
                values = say_text(number, lang, count=count)
                raise CommandError(
                    say_text(
                        "array_row_size", lang, name=name, row=r + 1, values=values,
                        first=len(rows[0]),
                    )
                )
        if channels and np.shape(rows) != np.shape(channels[0]):
            size = f"{len(rows)}x{len(rows[0])}"
            first = f"{len(channels[0])}x{len(channels[0][0])}"
            raise CommandError(
                say_text("array_channel", lang, name=name, channel=c + 1, size=size, first=first)
            )
        channels.append(rows)
    array = np.array(channels)
    return array[0] if len(channels) == 1 else array


def optional_array(text, name, lang: str = "en"):
    """``parse_array``, or None when the option was not given."""
    return None if text is None else parse_array(text, name, lang)


def _lang(parser) -> str:
    return getattr(parser, "lang", "en")


def window_options(parser, stride_default=1) -> None:
    """--stride and --pad, each one number or h,w."""
    lang = _lang(parser)
    stride_help = say_text("stride" if stride_default is not None else "stride_window", lang)
    pair = functools.partial(pair_argument, lang=lang)
    parser.add_argument("--stride", type=pair, default=stride_default, help=stride_help)
    parser.add_argument("--pad", type=pair, default=0, help=say_text("pad", lang))


def lang_option(parser) -> None:
    """--lang on a command: given here or before the command, else the locale's (the value
    is resolved once, by :func:`language`, into ``args.lang``)."""
    parser.add_argument(
        "--lang", choices=i18n.LANGUAGES, default=argparse.SUPPRESS,
        help=say_text("lang", _lang(parser)),
    )


def model_file_argument(parser) -> None:
    parser.add_argument("model", help=say_text("model_file", _lang(parser)))


def at_least(value, minimum: int, option: str, lang: str = "en"):
    """``value`` (None when the option was not given) unless it is below ``minimum``."""
    if value is not None and value < minimum:
        raise CommandError(
            say_text("at_least", lang, option=option, minimum=minimum, value=value)
        )
    return value


def force_option(parser) -> None:
    parser.add_argument("--force", action="store_true", help=say_text("force", _lang(parser)))


def data_options(parser, default_text) -> None:
    """--dataset, --data-dir, --no-download."""
    lang = _lang(parser)
    parser.add_argument("--dataset", help=say_text("dataset", lang, default=default_text))
    parser.add_argument("--data-dir", help=say_text("data_dir", lang))
    parser.add_argument("--no-download", action="store_true", help=say_text("no_download", lang))
