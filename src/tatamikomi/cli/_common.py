"""What the commands share: the one-line error, messages, and finding models and data."""

from __future__ import annotations

import os
import sys

import numpy as np

from .. import i18n
from .._files import refuse_special
from ..data import (
    SOURCES,
    DataNotFoundError,
    cache_dir,
    load_dataset,
    load_mini,
    normalize_images,
)
from ..data.datasets import FILES
from ..images import ImageError, exact, prepare_image
from ..io import ModelFileError
from ..models import get_model, load


class CommandError(Exception):
    """An error to report in one line and exit with status 1."""


def say(text: str) -> None:
    """A message for the user (standard error; standard output is kept for results)."""
    print(text, file=sys.stderr)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def error_text(error) -> str:
    """A library error's message in ``lang`` (one raised with :func:`tatamikomi.i18n.error`;
    any other as it is)."""
    return i18n.say(error)


def problem(key: str, error) -> CommandError:
    """A CommandError for a library error: in English its own message, in another language a
    line that says what kind of problem it is and the fix (the text ``key``), then the message in
    that language."""
    return CommandError(i18n.text(key, detail=error_text(error)))


def load_model(path):
    """The model saved in ``path``, or a CommandError saying why not."""
    try:
        return load(path)
    except (FileNotFoundError, ModelFileError) as error:
        raise problem("cli.model_unreadable", error) from None


def model_by_name(name: str):
    """A saved model file, or a new model by name or JSON spec."""
    if os.path.isfile(name) and not name.endswith(".json"):
        return load_model(name)
    try:
        return get_model(name)
    except (ValueError, FileNotFoundError) as error:
        raise problem("cli.unknown_model", error) from None


def prepare(model, images):
    """Raw pixels (N, C, H, W) 0..255 -> the model's input."""
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    return normalize_images(images, divide_by).astype(model.dtype, copy=False)


def mnist_like(model, path):
    """The image file ``path`` as the model's (H, W) grey input, prepared as MNIST's were."""
    height = (model.input_shape or (1, 28, 28))[1]
    try:
        image = prepare_image(path, size=height, box=round(height * 20 / 28))
    except (OSError, ImageError, ValueError) as error:
        message = error_text(error)
        message = message if str(path) in message else f"{path}: {message}"
        raise problem("cli.image_problem", message) from None
    if not np.isfinite(image).all() or image.min() < 0 or image.max() > 255:
        raise CommandError(
            i18n.text(
                "cli.prepared_range",
                path=path,
                low=exact(np.nanmin(image)),
                high=exact(np.nanmax(image)),
            )
        )
    return image


def photo_input(model, path):
    """The image file ``path`` as one input of a grey model, (1, H, W) prepared as ``predict``
    prepares it (:func:`mnist_like`, then :func:`prepare`), or a CommandError saying why not."""
    if model.input_shape is None or model.input_shape[0] != 1:
        raise CommandError(i18n.text("cli.grey_only"))
    pixels = mnist_like(model, path)
    _, height, width = model.input_shape
    if pixels.shape != (height, width):
        raise CommandError(i18n.text("cli.image_size", height=height, width=width))
    return prepare(model, pixels[None, None])[0]


def finite_scores(scores, model, what: str, where: str):
    """``scores`` unless they hold NaN or infinity: then a CommandError that says why (the
    weights, or the preprocessing)."""
    if np.isfinite(scores).all():
        return scores
    bad = [name for name, value in model.params.items() if not np.isfinite(value).all()]
    why = (
        i18n.text("cli.weights_not_finite", names=", ".join(bad[:3]))
        if bad
        else i18n.text(
            "cli.scores_overflowed", divide_by=(model.preprocess or {}).get("divide_by", 255)
        )
    )
    raise CommandError(i18n.text("cli.scores_not_finite", where=where, what=what, why=why))


def dataset_of(args, model):
    """The name (or path) of the dataset to measure ``model`` on: --dataset, else the one it
    was trained on, by its stored absolute path when it was given by path."""
    if args.dataset:
        return args.dataset
    preprocess = model.preprocess or {}
    name, stored = preprocess.get("dataset"), preprocess.get("dataset_path")
    if stored and args.data_dir is None:
        if os.path.exists(stored):
            return stored
        raise CommandError(
            i18n.text(
                "cli.moved_dataset", path=args.model, stored=stored, base=os.path.basename(stored)
            )
        )
    if name == "mnist-mini" and args.data_dir is not None:
        raise CommandError(
            i18n.text("cli.mini_measure_dir", data_dir=args.data_dir, path=args.model)
        )
    return name or "mnist"


def test_set(args, model, *, image: int | None = None):
    """The test set of the dataset a saved model was trained on (or --dataset / --data-dir):
    only its test files are found, downloaded and read. For one ``image`` of it, when that
    dataset was not named and is not here and cannot be downloaded, the bundled mnist-mini's
    test set, with one line that says so."""
    name = dataset_of(args, model)
    try:
        return load_dataset(
            name,
            path=args.data_dir,
            download=not args.no_download,
            split="test",
            progress=image is None,
        )
    except DataNotFoundError as error:
        named = args.dataset or args.data_dir is not None or name.lower() not in SOURCES
        if image is None or named:
            raise _data_problem(error, name, args) from None
        files = ", ".join(FILES[role] + ".gz" for role in ("test_images", "test_labels"))
        say(
            i18n.text(
                "cli.test_image_fallback",
                name=name,
                why=missing_why(error),
                index=image,
                files=files,
                folder=os.path.join(cache_dir(), name.lower()),
            )
        )
        return load_mini(split="test")
    except (OSError, ValueError) as error:
        raise _data_problem(error, name, args) from None


def _data_problem(error, name: str, args) -> CommandError:
    """One line for a test set that cannot be read, with the mnist-mini hint for MNIST."""
    detail = str(problem("cli.data_problem", error))
    if isinstance(error, OSError) and name.lower() == "mnist" and args.data_dir is None:
        return CommandError(f"{i18n.clause(detail)}{i18n.text('cli.mini_hint')}")
    return CommandError(detail)


def missing_why(error) -> str:
    """Why a dataset could not be found or downloaded, short: the mirrors' answer, or that
    downloads are off, or the error's own words."""
    said = getattr(error, "said", None)
    key = said.key if said is not None else ""
    if key == "errors.download_failed":
        return said.values["why"]
    if key in ("errors.data_offline", "errors.data_no_download"):
        return i18n.text("cli.downloads_off")
    return i18n.clause(error_text(error).splitlines()[0])


def mnist_cache() -> str:
    """The folder tatamikomi looks in, and downloads into, for MNIST's files."""
    return os.path.join(cache_dir(), "mnist")


def test_scores(args, model, batch_size=500):
    """``(data, scores)``: the model's scores (N, classes) on its test set."""
    data = test_set(args, model)
    try:
        scores = model.predict(prepare(model, data.x_test), batch_size=batch_size)
    except ValueError as error:
        raise CommandError(
            i18n.text("cli.model_misfit", path=args.model, name=data.name, error=error_text(error))
        ) from None
    what = i18n.text("cli.the_test_set", name=data.name)
    return data, finite_scores(scores, model, what, args.model)


def source_text(data) -> str:
    """Where ``data`` came from: its path or address, or the bundled subset said in ``lang``."""
    return i18n.text("cli.mini_source") if data.name == "mnist-mini" else data.source


def check_output(path, *, force: bool, hint: str | None = None, given=None) -> None:
    """Refuse, before any work, an output file that cannot or may not be written: a folder,
    something that is not a regular file (a FIFO, a device, a link; even with ``--force``), an
    existing file without ``--force``, a missing or read-only folder. ``hint`` says what to do
    about an existing file (default: pass --force). ``given``: the ``-o`` that ``path`` is
    written beside (model.py beside model.pt), which a folder in its place is blamed on."""
    path = os.fspath(path)

    def refuse(key, **values):
        return CommandError(i18n.text(key, **values))

    if os.path.isdir(path) and given is not None:
        raise refuse("cli.companion_folder", path=path, given=os.fspath(given))
    if os.path.isdir(path):
        raise refuse("cli.is_folder", path=path, example=os.path.join(path, "model.npz"))
    try:
        refuse_special(path)
    except OSError as error:
        raise CommandError(error_text(error)) from None
    if os.path.exists(path) and not force:
        hint = hint if hint is not None else i18n.text("cli.exists_hint")
        raise refuse("cli.exists", path=path, hint=hint)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise refuse("cli.no_folder", folder=folder)
    if not os.access(folder, os.W_OK):
        raise refuse("cli.read_only", folder=folder)


def check_outputs(paths, *, force: bool, hint: str | None = None) -> None:
    """:func:`check_output` for every file a command writes, all before the first is written:
    a command with several outputs (``export -o model.pt`` writes model.pt and model.py) writes
    none of them when one cannot be written."""
    paths = list(paths)
    for index, path in enumerate(paths):
        given = paths[0] if index else None
        check_output(path, force=force, hint=hint, given=given)
