"""Writing files so that nothing the user had is lost: all or nothing, never over a file unasked."""

from __future__ import annotations

import contextlib
import os
import secrets


def refuse_overwrite(path, hint: str = "") -> None:
    """Raise FileExistsError if ``path`` exists (``hint`` says how to allow it)."""
    if os.path.exists(path):
        raise FileExistsError(
            f"{path} already exists; it was left as it is. "
            f"{hint or 'Choose another file name, or allow overwriting.'}"
        )


@contextlib.contextmanager
def atomic_write(path, *, overwrite: bool = False, hint: str = ""):
    """Yield a binary file object; on success it replaces ``path`` in one step (``os.replace``),
    on any error it is removed and ``path`` is untouched. A reader never sees a partial file."""
    path = os.fspath(path)
    if not overwrite:
        refuse_overwrite(path, hint)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"the folder {directory} does not exist; create it first")
    fd, temporary = _create_beside(path, directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if not overwrite:
            refuse_overwrite(path, hint)  # appeared while we wrote
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_beside(path: str, directory: str) -> tuple[int, str]:
    """A new, empty temporary file in ``directory``: ``(fd, its path)``.

    Created with mode 0o666, so that the process umask (and a default ACL) gives it the rights
    any new file gets, as ``open(path, "wb")`` would; reading the umask would mean changing it,
    for every thread. O_EXCL: never an existing file, whoever else writes beside us."""
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
