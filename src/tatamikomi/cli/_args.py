"""The command line's argument helpers, in one place: commands with one help style, the
int-or-pair ``--stride``/``--pad``, shapes, arrays typed on the command line, and the options
that several commands share (model file, dataset, language, output), and the language the
command line speaks.

Every text a command prints or shows in its help is looked up in :mod:`tatamikomi.i18n`'s
``cli`` area (:func:`say_text`), in the language :func:`language` resolves (``--lang``, else
the locale). argparse's own words ("usage:", "options", its error messages) come from
:class:`Parser`, scoped to the parsers it builds: no process-wide ``gettext`` is installed.

Defaults are written one way in every help text, ``(default: X)``, by :class:`HelpFormatter`
from the parser's own default; an option whose default comes from elsewhere (a recipe, the
model file) says so in its help.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys

import numpy as np

from .. import i18n
from ._common import CommandError, plural

#: the locale variables, in the order POSIX consults them for messages
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language(argv=(), environ=None) -> str:
    """The language the command line speaks: ``--lang X`` (or ``--lang=X``) in ``argv`` when X
    is one of :data:`tatamikomi.i18n.LANGUAGES`, else ``"ja"`` when the locale's first set
    variable of :data:`LOCALE_VARIABLES` names Japanese (``ja_JP.UTF-8``), else ``"en"``."""
    argv = list(argv)
    given = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            given = argv[i + 1]
        elif word.startswith("--lang="):
            given = word.partition("=")[2]
    if given in i18n.LANGUAGES:
        return given
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        if environ.get(name):
            return "ja" if environ[name].lower().startswith("ja") else "en"
    return "en"


def say_text(name: str, lang: str, /, **values) -> str:
    """The command line's text ``name`` (``cli.name`` in :mod:`tatamikomi.i18n`) in ``lang``."""
    return i18n.text(f"cli.{name}", lang, **values)


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option that has a default worth telling, and writes
    argparse's "usage:" in the parser's language (``lang``, set by :class:`Parser`)."""

    lang = "en"

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        unsaid = default is None or default is False or default == argparse.SUPPRESS
        if "(default" in text or "(既定値" in text or unsaid or action.nargs == 0:
            return text
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        return f"{text} " + say_text("default", self.lang, default=default)

    def add_usage(self, usage, actions, groups, prefix=None):
        if prefix is None:
            prefix = say_text("usage", self.lang)
        super().add_usage(usage, actions, groups, prefix)


#: argparse's error messages (Python 3.10 to 3.13) and their names in the ``cli`` area
_ARGPARSE_ERRORS = [
    (re.compile(r"argument (?P<name>\S+?): (?P<message>.*)", re.S), "argument"),
    (re.compile(r"invalid choice: (?P<value>.*?) \(choose from (?P<choices>.*)\)"),
     "invalid_choice"),
    (re.compile(r"invalid (?P<type>\S+) value: (?P<value>.*)"), "invalid_value"),
    (re.compile(r"expected one argument"), "expected_one"),
    (re.compile(r"the following arguments are required: (?P<names>.*)"), "required"),
    (re.compile(r"unrecognized arguments: (?P<names>.*)"), "unrecognized"),
]


def _argparse_error(message: str, lang: str) -> str:
    """One of argparse's English error messages in ``lang`` (as it is when not known)."""
    for pattern, name in _ARGPARSE_ERRORS:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = _argparse_error(values["message"], lang)
            return say_text(name, lang, **values)
    return message


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that speaks ``lang``: its titles, ``-h``, "usage:" and error messages,
    and those of the subcommands added under it."""

    def __init__(self, *args, lang="en", add_help=True, **kwargs):
        self.lang = i18n.check_lang(lang)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = say_text("positionals", lang)
        self._optionals.title = say_text("optionals", lang)
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS,
                help=say_text("help", lang),
            )

    def _get_formatter(self):
        formatter = super()._get_formatter()
        formatter.lang = self.lang
        return formatter

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", functools.partial(Parser, lang=self.lang))
        return super().add_subparsers(**kwargs)

    def error(self, message):
        self.print_usage(sys.stderr)
        message = _argparse_error(message, self.lang)
        self.exit(2, f"{self.prog}: {say_text('error', self.lang)}: {message}\n")


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
