"""MNIST, Fashion-MNIST, the bundled mnist-mini, and the user's own files.

Where the files of ``"mnist"`` and ``"fashion-mnist"`` come from, in this order:

1. an explicit ``path`` (a folder with the four IDX files, ``.gz`` or not);
2. the folder in ``$TATAMIKOMI_DATA`` (the files in it, or in its ``mnist/`` or ``fashion-mnist/``);
3. the user cache, ``$XDG_CACHE_HOME/tatamikomi/<name>`` (``~/.cache/tatamikomi/<name>``);
4. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package (/usr/share/datasets);
5. a download from the public mirrors into the cache (not when ``download=False`` or
   ``$TATAMIKOMI_OFFLINE`` is 1, true or yes).

Every file is checked against its known md5 (of the file as the mirrors serve it, or of its
decompressed content) and its IDX header; a corrupt file gives an error that names it. A user's
own files are checked up front: labels against the classes, images for their layout (NCHW),
dtype, finiteness and range. Every problem is a :class:`~.errors.DataError` with a one-line
message.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from importlib import resources

import numpy as np

from .. import i18n
from .arrays import Dataset, _assemble, _four, _test_only
from .download import DownloadError, fetch
from .errors import DataError, DataNotFoundError, IDXError
from .files import _load_path, _read_folder
from .idx import parse_idx, read_idx
from .sources import (
    FILES,
    MINI,
    MNIST_CREDIT,
    NAMES,
    ROLES,
    SOURCES,
    SPLITS,
    Source,
    _find_files,
    cache_dir,
    offline,
)


# ---------------------------------------------------------------------------------------------
# Known datasets and where they are found


def load_mini(split=None) -> Dataset:
    """The bundled mnist-mini: 6,000 training and 1,000 test images of the real MNIST
    (``split="test"``: the test images alone, the training set left empty)."""
    roles = _roles(split)
    folder = resources.files("tatamikomi.data") / "mnist_mini"
    arrays = {}
    for role in roles:
        resource = folder / (FILES[role] + ".gz")
        arrays[role] = parse_idx(resource.read_bytes(), f"mnist-mini {role}")
    where = "the mnist-mini subset bundled with tatamikomi"
    data = _assemble(MINI, _four(arrays), SOURCES["mnist"].classes, where, MNIST_CREDIT)
    return _test_only(data, roles)


def _roles(split) -> tuple[str, ...]:
    if split not in SPLITS:
        raise i18n.error(ValueError, "errors.datasets_split_none_all", split=split)
    return SPLITS[split]


def load_dataset(name="mnist", *, path=None, download=True, progress=True, split=None) -> Dataset:
    """A dataset by name (``"mnist"``, ``"fashion-mnist"``, ``"mnist-mini"``) or by path (a
    folder of IDX files or a ``.npz``), found as the module docstring describes.

    ``split="test"`` finds, downloads and reads the test set alone (what showing or measuring
    a trained model needs; the training set is then empty).

    Raises :class:`~.errors.DataNotFoundError` when a known dataset is found nowhere and cannot
    be downloaded (also when the cache folder cannot be used), and another
    :class:`~.errors.DataError` for anything wrong with the files or settings."""
    name, roles = os.fspath(name), _roles(split)
    if name == MINI:
        return load_mini(split)
    source = SOURCES.get(name.lower())
    if source is None:
        if os.path.lexists(name) or os.sep in name or name.endswith(".npz"):
            return _load_path(name, None, roles)
        raise i18n.error(DataError, "errors.data_unknown", name=name, choices=", ".join(NAMES))
    if path is not None:
        return _load_path(os.fspath(path), source, roles)
    looked = []
    environment = os.environ.get("TATAMIKOMI_DATA")
    if environment:
        for directory in (os.path.join(environment, source.name), environment):
            files = _find_files(directory, roles)
            if files and not _other_dataset(files, source):
                return _from_folder(source, files, f"{directory} ($TATAMIKOMI_DATA)", roles)
        looked.append(f"$TATAMIKOMI_DATA={environment}")
    cache = os.path.join(cache_dir(), source.name)
    files = _find_files(cache, roles)
    if files:
        try:
            return _from_folder(source, files, cache, roles)
        except IDXError as error:  # our own cache: drop the bad file and fetch it again
            print(f"tatamikomi: {error}; it will be downloaded again", file=sys.stderr)
            for role, cached in files.items():
                try:
                    read_idx(cached, md5s=source.md5s[role])
                except IDXError:
                    with contextlib.suppress(OSError):
                        os.remove(cached)
    looked.append(cache)
    for directory in source.system_dirs:
        files = _find_files(directory, roles)
        if files:
            return _from_folder(source, files, directory, roles)
        looked.append(directory)
    if not download or offline():
        raise i18n.error(
            DataNotFoundError, "errors.data_offline" if download else "errors.data_no_download",
            name=source.name, looked="; ".join(looked),
        )
    download_dataset(source.name, cache, progress=progress, split=split)
    return _from_folder(source, _find_files(cache, roles), cache, roles)


def _other_dataset(files: dict[str, str], source: Source) -> bool:
    """True if the folder holds another known dataset (its labels file says so)."""
    role = "train_labels" if "train_labels" in files else "test_labels"
    for candidate in (source, *(s for s in SOURCES.values() if s is not source)):
        try:
            read_idx(files[role], md5s=candidate.md5s[role])
            return candidate is not source
        except DataError:
            continue
    return False


def _from_folder(source: Source, files: dict[str, str], where: str, roles=ROLES) -> Dataset:
    arrays = _read_folder(files, source)
    data = _assemble(source.name, arrays, source.classes, where, source.credit)
    return _test_only(data, roles)


def download_dataset(
    name: str, directory=None, *, mirrors=None, progress=True, split=None
) -> str:
    """Download the four files of ``name`` (``split="test"``: its two test files) into
    ``directory`` (default: the user cache) from its mirrors (or the given ``mirrors``, base
    URLs ending in ``/``); returns the folder. Files already there and intact are kept; a
    download that fails leaves nothing behind, not even the folders it made. A folder that
    cannot be created or written raises :class:`~.errors.DataNotFoundError` that says so (the
    caller may fall back to mnist-mini)."""
    source = SOURCES[name]
    directory = directory or os.path.join(cache_dir(), name)
    made = _missing_folders(directory)
    try:
        for role in _roles(split):
            stem = FILES[role]
            target = os.path.join(directory, stem + ".gz")
            if os.path.isfile(target):
                try:
                    read_idx(target, md5s=source.md5s[role])
                    continue
                except DataError:
                    pass
            os.makedirs(directory, exist_ok=True)
            urls = [base + stem + ".gz" for base in (mirrors or source.mirrors)]
            fetch(
                stem + ".gz", urls, target, source.md5s[role], progress=progress,
                label=f"{name} {stem}.gz",
            )
    except DownloadError as error:
        _remove_empty(made)
        raise i18n.recast(DataNotFoundError, error) from None
    except OSError as error:
        _remove_empty(made)
        reason = error.strerror or str(error)
        raise i18n.error(
            DataNotFoundError, "errors.datasets_cache_folder_cannot", directory=directory,
            reason=reason, name=name,
        ) from None
    return directory


def _missing_folders(directory: str) -> list[str]:
    """The folders above and including ``directory`` that do not exist yet, deepest first."""
    missing, folder = [], os.path.abspath(directory)
    while not os.path.lexists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing


def _remove_empty(folders: list[str]) -> None:
    """Remove ``folders`` (deepest first) where they are still empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def normalize_images(images, divide_by=255) -> np.ndarray:
    """Pixels as the networks take them: float32 ``images / divide_by`` (0..255 -> 0..1; use
    a dataset's ``divide_by``, which is 1 for images already in [0, 1])."""
    try:
        scale = float(divide_by)
    except (TypeError, ValueError):
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise i18n.error(DataError, "errors.datasets_divide_positive_number", divide_by=divide_by)
    return np.asarray(images).astype(np.float32) / np.float32(scale)


def load_mnist(
    normalize=True, flatten=True, one_hot_label=False, *, dataset="mnist", path=None, download=True
):
    """The book's ``load_mnist``: ``(x_train, t_train), (x_test, t_test)``.

    ``normalize``: pixels as float32 in [0, 1] (else uint8 0..255); ``flatten``: images as
    (N, 784) (else (N, 1, 28, 28)); ``one_hot_label``: labels as (N, 10) one-hot float32 (else
    (N,) class indices). ``dataset`` may also be ``"fashion-mnist"`` or ``"mnist-mini"``.
    """
    data = load_dataset(dataset, path=path, download=download)
    out = []
    for x, t in ((data.x_train, data.t_train), (data.x_test, data.t_test)):
        if normalize:
            x = normalize_images(x, data.divide_by)
        if flatten:
            x = x.reshape(len(x), -1)
        if one_hot_label:
            t = np.eye(len(data.classes), dtype=np.float32)[t]
        out.append((x, t))
    return tuple(out)
