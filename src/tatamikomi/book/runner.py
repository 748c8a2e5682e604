"""Run one of the book's scripts unchanged, with the stand-ins, as ``python SCRIPT.py args`` would
run it (``__name__ == "__main__"``, ``sys.argv``, the script's folder first on ``sys.path``)."""

from __future__ import annotations

import os
import runpy
import sys

from .. import i18n
from . import session
from .finder import TOP_LEVEL, StandInFinder
from .session import BookError

__all__ = ["run_script", "BookError", "add_arguments", "run_from_arguments"]


def _run_modules() -> dict:
    return {n: m for n, m in sys.modules.items() if n.split(".")[0] in TOP_LEVEL}


def run_script(path, args=(), *, limit=None, overwrite=False, figures=None, lang=None) -> int:
    """Run the book's script ``path`` with ``args``; returns its exit status.

    ``limit``: the first ``limit`` training and test images only (a quick run: the script's
    epochs stay as written). ``overwrite``: files the script saves replace existing ones (else
    an existing file is kept and the new one gets a free name, said on standard error).
    ``figures``: a folder where the matplotlib figures still open at the end are saved
    (``figure-1.png``...), for runs without a screen (``MPLBACKEND=Agg``). ``lang``: the
    language of the run's own notes (default: the language in effect; the script prints what it
    prints).

    Everything the run changes is put back afterwards: the import hook, ``sys.argv``,
    ``sys.path``, and the modules of the book's names in ``sys.modules``."""
    path = os.fspath(path)
    lang = i18n.check_lang(lang or i18n.current())
    if not os.path.isfile(path):
        raise i18n.error(BookError, "errors.book_no_script", path=path)
    if limit is not None and int(limit) < 1:
        raise i18n.error(BookError, "errors.book_limit", limit=limit)
    script_dir = os.path.dirname(os.path.abspath(path))
    if figures is not None and not os.path.isdir(figures):
        raise i18n.error(BookError, "errors.book_no_folder", folder=figures)
    if not os.access(os.getcwd(), os.W_OK):  # e.g. the book's shared, read-only folder
        session.say("book.read_only", lang, folder=os.getcwd())
    finder = StandInFinder([script_dir, os.path.dirname(script_dir)])
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    saved_modules = _run_modules()
    for name in saved_modules:  # the book's real modules, imported before, give way for the run
        del sys.modules[name]
    token = session.begin(session.Session(script_dir, None if limit is None else int(limit),
                                          bool(overwrite), lang))
    sys.meta_path.insert(0, finder)
    sys.argv = [path, *map(str, args)]
    sys.path.insert(0, script_dir)
    status = 0
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if not isinstance(exit_.code, (int, type(None))):
            print(exit_.code, file=sys.stderr)
    finally:
        sys.meta_path.remove(finder)
        session.end(token)
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        for name in _run_modules():
            del sys.modules[name]
        sys.modules.update(saved_modules)
    if figures is not None:
        _save_figures(figures, lang)
    return status


def _save_figures(folder: str, lang: str) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in pyplot.get_fignums():
        target = os.path.join(folder, f"figure-{number}.png")
        pyplot.figure(number).savefig(target)
        session.say("book.saved", lang, path=target)


def add_arguments(parser) -> None:
    """The options of ``tatamikomi book`` (and ``python -m tatamikomi.book``): one home. Their
    help is in the language in effect."""
    parser.add_argument("--limit", type=int, metavar="N", help=i18n.text("book.limit"))
    parser.add_argument("--overwrite", action="store_true", help=i18n.text("book.overwrite"))
    parser.add_argument("--save-figures", metavar="DIR", help=i18n.text("book.save_figures"))
    parser.add_argument("script", help=i18n.text("book.script"))
    parser.add_argument("args", nargs="...", help=i18n.text("book.args"))


def run_from_arguments(args) -> int:
    return run_script(args.script, args.args, limit=args.limit, overwrite=args.overwrite,
                      figures=args.save_figures)
