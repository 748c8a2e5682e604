"""Writing files so that nothing the user had is lost: all or nothing, never over a file unasked."""

from __future__ import annotations

import contextlib
import os
import tempfile


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
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; give normal rights
        if not overwrite:
            refuse_overwrite(path, hint)  # appeared while we wrote
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
