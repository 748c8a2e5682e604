"""The data area's errors and limits: one base, :class:`DataError`, for every problem with a
dataset, its files, its download or its settings.

Every message is one line: what is wrong, in which file or option, and the fix. A command line
catches :class:`DataError` and prints ``tatamikomi <command>: <message>``.

The limits keep a small or hostile file from making the reader allocate more than the data
justifies; each is checked before the memory is taken (see docs/training.md, "Limits and
safety").
"""

from __future__ import annotations

from .. import i18n

#: the most bytes of values one IDX file, one .npz member or one whole dataset may declare
MAX_DATA_BYTES = 2 << 30
#: above this many bytes in all, the values of a compressed dataset (a .npz, a .gz IDX file) may
#: not be more than MAX_DATA_RATIO times the file's size: MNIST's compress about 5 to 1,
#: Fashion-MNIST's 2 to 1; 200 to 1 is a file of zeros, a decompression bomb
DATA_RATIO_FROM_BYTES = 64 << 20
MAX_DATA_RATIO = 20
#: the most bytes a download may have (the largest known file, Fashion-MNIST's training images,
#: has 26 MB)
MAX_DOWNLOAD_BYTES = 256 << 20
#: seconds a whole download may take, and seconds one read may wait for the next bytes
DOWNLOAD_TIMEOUT_S = 600
READ_TIMEOUT_S = 20
#: the most classes inferred from the labels alone (more must be declared by name)
MAX_INFERRED_CLASSES = 100
#: the most classes a dataset may declare
MAX_CLASSES = 100_000


class DataError(ValueError):
    """A dataset, data file, download or data setting that cannot be used (the message names
    it and says what to do)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """The dataset was found nowhere and could not be downloaded (the message says where we
    looked and what to do)."""


class IDXError(DataError):
    """A file that is not valid IDX data (the message names the file and the problem)."""


class DownloadError(DataError, OSError):
    """Every mirror failed; the message lists each mirror and why, and what to do instead."""


class DataLimitError(DataError):
    """A file or dataset declares more than a documented limit (the message names the limit)."""


def size_text(nbytes: int):
    """``nbytes`` for a message: ``"47.0 MB"``, ``"2.1 GB"``, ``"7.9e+28 bytes"`` (a count of
    bytes is an :class:`~tatamikomi.i18n.Said`, said in the message's language)."""
    if nbytes < 1e3:
        return i18n.Said("errors.size_bytes", value=nbytes)
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        if nbytes < scale * 1e3:
            return f"{nbytes / scale:.1f} {unit}"
    return i18n.Said("errors.size_bytes_e", value=nbytes)


def check_limit(nbytes: int, what: str, limit: int, fix: str = "") -> None:
    """Raise :class:`DataLimitError` if ``nbytes`` is over ``limit``."""
    if nbytes > limit:
        raise i18n.error(
            DataLimitError, "errors.data_limit", what=what, size=size_text(nbytes),
            limit=size_text(limit), fix=fix or i18n.Said("errors.data_limit_fix"),
        )


def check_ratio(nbytes: int, size: int, path) -> None:
    """Raise :class:`DataLimitError` if ``nbytes`` of values, declared by a file of ``size``
    bytes, are over :data:`MAX_DATA_RATIO` times that (from :data:`DATA_RATIO_FROM_BYTES` on):
    a decompression bomb, refused before anything is inflated."""
    if nbytes > DATA_RATIO_FROM_BYTES and nbytes > MAX_DATA_RATIO * size:
        raise i18n.error(
            DataLimitError, "errors.data_ratio", path=path, total=size_text(nbytes),
            size=size_text(size), ratio=MAX_DATA_RATIO,
        )
