"""The command line's argument helpers, in one place: commands with one help style, the
int-or-pair ``--stride``/``--pad``, shapes, arrays typed on the command line, and the options
that several commands share (model file, dataset, language, output).

Defaults are written one way in every help text, ``(default: X)``, by :class:`HelpFormatter`
from the parser's own default; an option whose default comes from elsewhere (a recipe, the
model file) says so in its help.
"""

from __future__ import annotations

import argparse

import numpy as np

from ._common import CommandError, plural


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option that has a default worth telling."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        unsaid = default is None or default is False or default == argparse.SUPPRESS
        if "(default" in text or unsaid or action.nargs == 0:
            return text
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        return f"{text} (default: {default})"


def add_command(commands, name, help, description):
    """A command (or a kind of ``explain``/``plot``) with the shared help style."""
    return commands.add_parser(
        name, help=help, description=description, formatter_class=HelpFormatter
    )


def pair_argument(text: str):
    """``3`` -> 3, ``"3,2"`` -> (3, 2)."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"give one whole number or two (h,w); got {text!r}")
    if len(values) == 1:
        return values[0]
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"give one number or two (h,w); got {text!r}")
    return values


def shape_argument(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.strip("()").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is numbers separated by commas; got {text!r}")


def parse_array(text: str, name: str) -> np.ndarray:
    """A small array from the command line, or the path of a ``.npy`` file.

    Rows are separated by ``;``, values by ``,`` and channels by ``|``:
    ``"1,2;3,4"`` is 2x2 and ``"1,2;3,4|5,6;7,8"`` is (2, 2, 2)."""
    if text.endswith(".npy"):
        try:
            array = np.load(text, allow_pickle=False)
        except FileNotFoundError:
            raise CommandError(f"{name} file {text} does not exist") from None
        except (OSError, ValueError) as error:
            raise CommandError(
                f"{name} file {text} is not a readable .npy array: {error}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise CommandError(f"{name} file {text} holds {array.dtype}, not numbers")
        return array
    channels = []
    for c, channel in enumerate(text.split("|")):
        rows = []
        for r, row in enumerate(channel.split(";")):
            try:
                rows.append([float(v) for v in row.split(",")])
            except ValueError:
                raise CommandError(
                    f"{name}: row {r + 1} ({row.strip()!r}) is not a list of numbers; write rows "
                    f'separated by ";" and values by ",", e.g. "1,2,3;4,5,6"'
                ) from None
            if len(rows[-1]) != len(rows[0]):
                raise CommandError(
                    f"{name}: row {r + 1} has {plural(len(rows[-1]), 'value')} but row 1 has "
                    f"{len(rows[0])}; every row needs the same number"
                )
        if channels and np.shape(rows) != np.shape(channels[0]):
            raise CommandError(
                f"{name}: channel {c + 1} is {len(rows)}x{len(rows[0])} but channel 1 is "
                f"{len(channels[0])}x{len(channels[0][0])}; channels must have the same size"
            )
        channels.append(rows)
    array = np.array(channels)
    return array[0] if len(channels) == 1 else array


def optional_array(text, name):
    """``parse_array``, or None when the option was not given."""
    return None if text is None else parse_array(text, name)


def window_options(parser, stride_default=1) -> None:
    """--stride and --pad, each one number or h,w."""
    stride_help = "stride" if stride_default is not None else "stride (default: the window size)"
    parser.add_argument("--stride", type=pair_argument, default=stride_default, help=stride_help)
    parser.add_argument("--pad", type=pair_argument, default=0, help="padding")


def lang_option(parser) -> None:
    parser.add_argument("--lang", choices=("en", "ja"), default="en", help="language: en or ja")


def model_file_argument(parser) -> None:
    parser.add_argument("model", help="model file saved by `tatamikomi train`")


def at_least(value, minimum: int, option: str):
    """``value`` (None when the option was not given) unless it is below ``minimum``."""
    if value is not None and value < minimum:
        raise CommandError(f"{option} must be at least {minimum}; got {value}")
    return value


def force_option(parser) -> None:
    parser.add_argument("--force", action="store_true", help="replace the output file if it exists")


def data_options(parser, default_text) -> None:
    """--dataset, --data-dir, --no-download."""
    parser.add_argument(
        "--dataset",
        help=f"mnist, fashion-mnist, mnist-mini, or a folder of IDX files / a .npz file "
        f"(default: {default_text})",
    )
    parser.add_argument("--data-dir", help="folder that holds the dataset's four IDX files")
    parser.add_argument(
        "--no-download", action="store_true", help="never download (also: TATAMIKOMI_OFFLINE=1)"
    )
