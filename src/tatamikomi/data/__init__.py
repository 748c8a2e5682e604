"""Data: the IDX format, MNIST and Fashion-MNIST (found locally or downloaded), the bundled
mnist-mini subset, and the user's own IDX or ``.npz`` files. See :mod:`.datasets`."""

from .datasets import (
    NAMES,
    SOURCES,
    DataNotFoundError,
    Dataset,
    cache_dir,
    download_dataset,
    load_dataset,
    load_mini,
    load_mnist,
    normalize_images,
)
from .download import DownloadError
from .idx import IDXError, idx_bytes, parse_idx, read_idx

__all__ = [
    "NAMES",
    "SOURCES",
    "Dataset",
    "DataNotFoundError",
    "DownloadError",
    "IDXError",
    "cache_dir",
    "download_dataset",
    "idx_bytes",
    "load_dataset",
    "load_mini",
    "load_mnist",
    "normalize_images",
    "parse_idx",
    "read_idx",
]
