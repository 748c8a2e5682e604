"""Writing files so that nothing the user had is lost: all or nothing, never over a file unasked.

- :func:`atomic_write` writes a temporary file beside the target and puts it in place in one
  step; the target is only ever a regular file (a folder, a FIFO, a device or a link is
  refused, even with ``overwrite``). :func:`atomic_writes` writes several files so: every
  target is checked before the first is written. Without ``overwrite`` the final name is created
  exclusively (a hard link, which fails if the name exists), so a file that appeared while
  we wrote is never replaced.
- Temporaries are named ``.NAME.<pid>.<random>.tmp``. A writer killed mid-save (``kill -9``)
  leaves its temporary behind; the next write to the same target removes every such file whose
  process no longer runs.
- :class:`RunLock` (``NAME.lock``, locked with ``flock`` and holding the writer's pid) marks a
  file that a running process will write again (a training's checkpoint): a second run to the
  same file is refused while the first runs; a lock whose process is gone is taken over, in one
  atomic step.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat

from . import i18n

TEMPORARY_SUFFIX = ".tmp"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotRegularFileError(OSError):
    """The target exists and is not a regular file (a folder, FIFO, device, socket or link)."""


class FileLockedError(OSError):
    """Another running process holds the file's lock (the message names it and its pid)."""


def refuse_overwrite(path, hint: str = "") -> None:
    """Raise FileExistsError if ``path`` exists (``hint`` says how to allow it)."""
    if os.path.lexists(path):
        raise i18n.error(
            FileExistsError, "errors.files_already_exists_was", path=path,
            hint=hint or i18n.Said("errors.files_choose_another"),
        )


def refuse_special(path) -> None:
    """Raise NotRegularFileError unless ``path`` is absent or a regular file (not a link)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = (
        "errors.kind_folder"
        if stat.S_ISDIR(mode)
        else "errors.kind_link"
        if stat.S_ISLNK(mode)
        else "errors.kind_fifo"
        if stat.S_ISFIFO(mode)
        else "errors.kind_device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "errors.kind_socket"
        if stat.S_ISSOCK(mode)
        else "errors.kind_other"
    )
    kind = i18n.Said(kind)
    raise i18n.error(NotRegularFileError, "errors.not_regular", path=path, kind=kind)


def _check_target(path: str, overwrite: bool, hint: str) -> str:
    """Refuse ``path`` as a file to write (not a regular file; an existing one without
    ``overwrite``; a missing folder); return its folder."""
    refuse_special(path)
    if not overwrite:
        refuse_overwrite(path, hint)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise i18n.error(FileNotFoundError, "errors.files_folder_does_exist", directory=directory)
    return directory


@contextlib.contextmanager
def atomic_write(path, *, overwrite: bool = False, hint: str = ""):
    """Yield a binary file object; on success it becomes ``path`` in one step, on any error it
    is removed and ``path`` is untouched. A reader never sees a partial file.

    ``overwrite=False``: the final name is created exclusively, so an existing file (even one
    that appeared while we wrote) raises FileExistsError. Anything at ``path`` that is not a
    regular file raises :class:`NotRegularFileError`, whatever ``overwrite`` says."""
    path = os.fspath(path)
    directory = _check_target(path, overwrite, hint)
    remove_stale_temporaries(path)
    fd, temporary = _create_beside(path, directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        refuse_special(path)  # appeared while we wrote
        if overwrite:
            os.replace(temporary, path)
        else:
            _create_exclusively(temporary, path, hint)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic_writes(paths, *, overwrite: bool = False, hint: str = ""):
    """Several files written as :func:`atomic_write` writes one (yields one binary file object
    per path), checked together: every target is refused or accepted before the first byte of
    any is written, and none is put in place until all have been written. A folder or a link
    in the place of the second file leaves the first one as it was."""
    paths = [os.fspath(p) for p in paths]
    for path in paths:
        _check_target(path, overwrite, hint)
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(atomic_write(path, overwrite=overwrite, hint=hint))
            for path in paths
        ]


def _create_exclusively(temporary: str, path: str, hint: str) -> None:
    """Give ``temporary`` the name ``path`` only if no file has it (and remove ``temporary``)."""
    try:
        os.link(temporary, path)  # atomic, and fails if path exists
    except FileExistsError:
        refuse_overwrite(path, hint)
        raise
    except OSError as error:  # a file system without hard links: check, then rename
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        refuse_overwrite(path, hint)
        os.replace(temporary, path)
        return
    os.unlink(temporary)


def _temporary_pattern(path: str) -> re.Pattern:
    name = re.escape(os.path.basename(path))
    return re.compile(rf"\.{name}\.(\d+)\.[0-9a-f]+{re.escape(TEMPORARY_SUFFIX)}\Z")


def _create_beside(path: str, directory: str) -> tuple[int, str]:
    """A new, empty temporary file in ``directory``: ``(fd, its path)``.

    Created with mode 0o666, so that the process umask (and a default ACL) gives it the rights
    any new file gets, as ``open(path, "wb")`` would; reading the umask would mean changing it,
    for every thread. O_EXCL: never an existing file, whoever else writes beside us."""
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    base = os.path.basename(path)
    while True:
        name = f".{base}.{os.getpid()}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
        temporary = os.path.join(directory, name)
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs (True where it cannot be told: never remove a live one's
    files)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it runs, as another user
        return True
    return True


def remove_stale_temporaries(path) -> list[str]:
    """Remove the temporaries of ``path`` left by writers that no longer run; their paths."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = _temporary_pattern(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match and not process_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
                removed.append(os.path.join(directory, name))
    return removed


class RunLock:
    """``with RunLock(path):`` holds ``path + ".lock"`` for as long as the block runs; a second
    holder is refused with :class:`FileLockedError`, whose message names the holder's pid.

    The lock is an exclusive ``flock`` on the lock file, held on its open descriptor for the
    lock's whole life: the kernel gives it to one process only and takes it back when that
    process ends, however it ends. Taking over a lock left by a dead process is therefore one
    atomic step (the next ``flock`` succeeds), never check, remove and create, which let two
    processes in at once. The file holds the holder's pid, for the message; a holder removes it
    on release. A lock file that is not locked but names another process that runs (a lock
    written by hand, or by an older tatamikomi) still counts as held."""

    #: tries of a refused ``flock`` (a :meth:`check` in another process holds it for a moment)
    TRIES = 5

    def __init__(self, path, *, what=i18n.Said("errors.run_process")):
        self.path = os.fspath(path)
        self.lock_path = self.path + ".lock"
        self.what = what
        self._fd = None

    def acquire(self) -> None:
        import fcntl
        import time

        for attempt in range(self.TRIES):
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if attempt + 1 < self.TRIES:
                    time.sleep(0.01)
                    continue
                raise self._locked(self._owner()) from None
            except BaseException:
                os.close(fd)
                raise
            if not self._same_file(fd):  # released (removed) after we opened it: open again
                os.close(fd)
                continue
            try:
                pid = self._read_pid(fd)
                if pid is not None and pid != os.getpid() and process_alive(pid):
                    raise self._locked(pid)  # a lock file nobody locks, naming a running process
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            return
        raise i18n.error(FileLockedError, "errors.lock_taken", lock=self.lock_path)

    def check(self) -> None:
        """Raise :class:`FileLockedError` if a running process holds the lock (a look before
        long work: :meth:`acquire` still decides)."""
        import fcntl

        try:
            fd = os.open(self.lock_path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._locked(self._read_pid(fd)) from None
            fcntl.flock(fd, fcntl.LOCK_UN)
            pid = self._read_pid(fd)
            if pid is not None and pid != os.getpid() and process_alive(pid):
                raise self._locked(pid)
        finally:
            os.close(fd)

    def _locked(self, pid) -> FileLockedError:
        who = (
            i18n.Said("errors.who_pid", pid=pid)
            if pid is not None
            else i18n.Said("errors.who_unknown")
        )
        return i18n.error(
            FileLockedError, "errors.locked", path=self.path, what=self.what, who=who,
            lock=self.lock_path,
        )

    def _same_file(self, fd) -> bool:
        """Whether ``fd`` is still the file named ``lock_path`` (not one removed meanwhile)."""
        try:
            named = os.stat(self.lock_path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    @staticmethod
    def _read_pid(fd):
        try:
            return int(os.pread(fd, 32, 0).strip())
        except (OSError, ValueError):
            return None  # empty (being written) or not ours

    def _owner(self):
        try:
            with open(self.lock_path, "rb") as f:
                return int(f.read(32).strip())
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # removed while still locked, so that the next holder makes a fresh file
            if self._same_file(fd):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.lock_path)
            os.close(fd)  # and the lock goes with it

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
