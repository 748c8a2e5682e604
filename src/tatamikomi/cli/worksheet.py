"""``tatamikomi worksheet``: the lecture's printable worksheet and its answer key, two A4 PDFs
(:mod:`tatamikomi.lesson`). Both files are checked before either is made, and each is written
whole or not at all; an existing one is kept unless ``--force``."""

from __future__ import annotations

import os

from .. import i18n
from .._files import atomic_writes
from . import _args
from ._common import CommandError, check_outputs, error_text


def key_path(output: str) -> str:
    """The answer key's default name: the worksheet's, with ``-key`` before ``.pdf``."""
    stem, suffix = os.path.splitext(output)
    return f"{stem}-key{suffix}"


def _worksheet(args) -> int:
    from ..lesson import worksheet_pdf

    output = args.output or f"worksheet-{args.lang}.pdf"
    key = args.key or key_path(output)
    for path in (output, key):
        if not path.lower().endswith(".pdf"):
            raise CommandError(i18n.text("cli.worksheet_pdf_only", output=path))
    if os.path.abspath(output) == os.path.abspath(key):
        raise CommandError(i18n.text("cli.worksheet_same_file", output=output))
    check_outputs([output, key], force=args.force)
    try:
        documents = worksheet_pdf(args.lang)
        with atomic_writes([output, key], overwrite=args.force) as files:
            for file, document in zip(files, documents):
                file.write(document)
    except ImportError as error:
        raise CommandError(error_text(error)) from None
    except OSError as error:  # the folder vanished, a file appeared meanwhile, the disk is full
        raise CommandError(error_text(error)) from None
    print(i18n.text("cli.worksheet_wrote", worksheet=output, key=key))
    return 0


def add_parser(commands) -> None:
    worksheet = _args.add_command(
        commands,
        "worksheet",
        help=i18n.text("cli.worksheet_help"),
        description=i18n.text("cli.worksheet_description"),
    )
    worksheet.add_argument(
        "-o", "--output", help=i18n.text("cli.worksheet_output", default="worksheet-LANG.pdf")
    )
    worksheet.add_argument(
        "--key", help=i18n.text("cli.worksheet_key", example=key_path("worksheet-LANG.pdf"))
    )
    _args.force_option(worksheet)
    _args.lang_option(worksheet)
    worksheet.set_defaults(handler=_worksheet)
