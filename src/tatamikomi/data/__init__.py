"""Data: the IDX format, MNIST and Fashion-MNIST (found locally or downloaded), the bundled
mnist-mini subset, and the user's own IDX or ``.npz`` files. See :mod:`.datasets`.

Every problem is a :class:`DataError` (its subclasses :class:`DataNotFoundError`,
:class:`IDXError`, :class:`DownloadError`, :class:`DataLimitError`) with a one-line message;
the limits are in :mod:`.errors`."""

from .arrays import Dataset, from_arrays, image_layout
from .datasets import (
    download_dataset,
    load_dataset,
    load_mini,
    load_mnist,
    normalize_images,
)
from .errors import DataError, DataLimitError, DataNotFoundError, DownloadError, IDXError
from .idx import idx_bytes, parse_idx, read_idx
from .sources import NAMES, SOURCES, cache_dir, offline

__all__ = [
    "image_layout",
    "NAMES",
    "SOURCES",
    "Dataset",
    "DataError",
    "DataLimitError",
    "DataNotFoundError",
    "DownloadError",
    "IDXError",
    "cache_dir",
    "download_dataset",
    "from_arrays",
    "idx_bytes",
    "load_dataset",
    "load_mini",
    "load_mnist",
    "normalize_images",
    "offline",
    "parse_idx",
    "read_idx",
]
