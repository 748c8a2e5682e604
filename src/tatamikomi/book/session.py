"""The settings of the book run in progress (scoped: set by :func:`..runner.run_script` for the
run and reset after it)."""

from __future__ import annotations

import contextvars
import dataclasses
import os
import sys

from .. import i18n


class BookError(Exception):
    """A problem of the run (not of the script's own code), reported in one line."""


@dataclasses.dataclass(frozen=True)
class Session:
    #: the folder of the script being run (where the book keeps its weights)
    script_dir: str
    #: only the first ``limit`` training and test images (a quick run), or all of them
    limit: int | None = None
    #: replace existing files the script saves (else they are kept and a free name is used)
    overwrite: bool = False
    #: the language of the run's own notes (the script's output is its own)
    lang: str = "en"


_CURRENT: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "book_session", default=None
)


def current() -> Session:
    """The running session, or defaults (the current folder) outside a run."""
    return _CURRENT.get() or Session(script_dir=os.getcwd())


def say(key: str, /, lang: str | None = None, **values) -> None:
    """The run's note ``key`` (``"book.saved"``) on standard error, in ``lang`` (default: the
    session's)."""
    print(f"tatamikomi book: {i18n.text(key, lang=lang or current().lang, **values)}",
          file=sys.stderr)


def begin(session: Session):
    return _CURRENT.set(session)


def end(token) -> None:
    _CURRENT.reset(token)
