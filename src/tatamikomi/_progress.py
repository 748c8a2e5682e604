"""The one progress bar: training (:class:`tatamikomi.train.callbacks.ProgressBar`) and
downloads (:mod:`tatamikomi.data.download`) both draw through :func:`progress_line`.

It lives at the bottom of the package because ``data`` sits below ``train`` and may not
import it.
"""

from __future__ import annotations

WIDTH = 24


def progress_line(label: str, done: float, total: float | None, detail: str = "") -> str:
    """One line of progress, without the carriage return that redraws it::

        progress_line("epoch 1/10", 150, 600, "loss 0.2301")
        -> 'epoch 1/10 [######..................] loss 0.2301'

    ``done / total`` fills ``WIDTH`` cells with ``#`` (rounded down); with no ``total`` (a
    download of unknown size) there is no bar, only ``label`` and ``detail``."""
    if not total:
        return f"{label} {detail}"
    filled = min(WIDTH, max(0, int(WIDTH * done / total)))
    return f"{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {detail}"


def redraw(stream, text: str) -> None:
    """Draw ``text`` over the current terminal line."""
    stream.write("\r" + text)
    stream.flush()


def clear(stream, width: int = 100) -> None:
    """Blank the current terminal line (before a line that must stay)."""
    stream.write("\r" + " " * width + "\r")
