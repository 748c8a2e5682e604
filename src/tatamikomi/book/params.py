"""The book's ``save_params``/``load_params`` for the stand-in networks.

``.pkl``: written in the book's own format, a pickled dict of numpy arrays (``W1``, ``b1``...),
which the book's code and :func:`tatamikomi.import_book_params` read; read through
:func:`tatamikomi.io.load_book_params` (arrays only: no code in the file can run). Other names:
tatamikomi's safe ``.npz`` format.

The policy for files (the book's shipped ``params.pkl`` is never replaced without being asked):

- a relative name is read from the current folder, else from the script's folder (where the
  book keeps its weights), said on standard error;
- a relative name is written in the current folder; a file already there is kept and the new
  one is written under the first free name (``params.1.pkl``, ``params.2.pkl``...), said on
  standard error, unless the run was given ``--overwrite``. So training from the book's own
  ``ch07`` folder leaves its ``params.pkl`` as shipped.
"""

from __future__ import annotations

import os
import pickle

import numpy as np

from .. import i18n, io
from .._files import atomic_write
from ..models import fold_book_dropout
from . import session
from .session import BookError


def _free_name(path: str) -> str:
    stem, extension = os.path.splitext(path)
    number = 1
    while os.path.lexists(f"{stem}.{number}{extension}"):
        number += 1
    return f"{stem}.{number}{extension}"


def book_arrays(network) -> dict[str, np.ndarray]:
    """The network's weights as the book's code holds them (its test-time dropout undone from
    :func:`fold_book_dropout`), as float arrays by the book's names."""
    arrays = {name: np.array(value) for name, value in network.params.items()}
    factors = fold_book_dropout(network, {k: np.ones_like(v) for k, v in arrays.items()})
    return {name: arrays[name] / factors[name].astype(arrays[name].dtype) for name in arrays}


def save_params(network, file_name) -> str:
    """Save the network's weights (see the module docstring); returns the path written."""
    path = os.fspath(file_name)
    overwrite = session.current().overwrite
    if os.path.isdir(path):
        raise i18n.error(BookError, "errors.book_folder", path=path)
    if os.path.exists(path) and not overwrite:
        kept = path
        path = _free_name(path)
        session.say("book.kept", kept=kept, path=path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(folder, os.W_OK):
        raise i18n.error(BookError, "errors.book_read_only", path=path, folder=folder)
    if path.endswith(".pkl"):
        with atomic_write(path, overwrite=True) as f:
            pickle.dump(book_arrays(network), f)
    else:
        network.save_params_safely(path)
    return path


def find_params(file_name) -> str:
    """The file ``file_name`` names: as given, else (relative) in the script's folder."""
    path = os.fspath(file_name)
    if os.path.exists(path) or os.path.isabs(path):
        return path
    beside = os.path.join(session.current().script_dir, path)
    if os.path.exists(beside):
        session.say("book.beside", path=path, beside=beside)
        return beside
    return path


def load_params(network, file_name) -> None:
    """Load weights from a book ``.pkl`` or a tatamikomi file into ``network``."""
    path = find_params(file_name)
    try:
        network.load_params_safely(path)
    except (FileNotFoundError, io.ModelFileError, ValueError) as error:
        raise i18n.recast(BookError, error) from None
