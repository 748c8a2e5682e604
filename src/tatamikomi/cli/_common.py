"""What the commands share: the one-line error, messages, and finding models and data."""

from __future__ import annotations

import os
import sys

import numpy as np

from .. import i18n
from .._files import refuse_special
from ..data import load_dataset, normalize_images
from ..images import ImageError, prepare_image
from ..io import ModelFileError
from ..models import get_model, load


class CommandError(Exception):
    """An error to report in one line and exit with status 1."""


def say(text: str) -> None:
    """A message for the user (standard error; standard output is kept for results)."""
    print(text, file=sys.stderr)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def problem(kind: str, error, lang: str = "en") -> CommandError:
    """A CommandError for a library error: in English its own message, in another language a
    line that says what kind of problem it is and the fix (``cli.KIND``), then the message."""
    return CommandError(i18n.text(f"cli.{kind}", lang, detail=str(error)))


def load_model(path, lang: str = "en"):
    """The model saved in ``path``, or a CommandError saying why not."""
    try:
        return load(path)
    except (FileNotFoundError, ModelFileError) as error:
        raise problem("model_unreadable", error, lang) from None


def model_by_name(name: str, lang: str = "en"):
    """A saved model file, or a new model by name or JSON spec."""
    if os.path.isfile(name) and not name.endswith(".json"):
        return load_model(name, lang)
    try:
        return get_model(name)
    except (ValueError, FileNotFoundError) as error:
        raise problem("unknown_model", error, lang) from None


def prepare(model, images):
    """Raw pixels (N, C, H, W) 0..255 -> the model's input."""
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    return normalize_images(images, divide_by).astype(model.dtype, copy=False)


def mnist_like(model, path, lang: str = "en"):
    """The image file ``path`` as the model's (H, W) grey input, prepared as MNIST's were."""
    height = (model.input_shape or (1, 28, 28))[1]
    try:
        image = prepare_image(path, size=height, box=round(height * 20 / 28))
    except (OSError, ImageError, ValueError) as error:
        message = str(error)
        message = message if str(path) in message else f"{path}: {message}"
        raise problem("image_problem", message, lang) from None
    if not np.isfinite(image).all() or image.min() < 0 or image.max() > 255:
        raise CommandError(
            f"{path}: its pixels after preparation lie in [{image.min():g}, {image.max():g}], "
            f"not in 0..255; give an 8-bit image (PNG, JPEG) or a .npy of values 0..255"
        )
    return image


def finite_scores(scores, model, what: str, where: str):
    """``scores`` unless they hold NaN or infinity: then a CommandError that says why (the
    weights, or the preprocessing)."""
    if np.isfinite(scores).all():
        return scores
    bad = [name for name, value in model.params.items() if not np.isfinite(value).all()]
    why = (
        f"its weights {', '.join(bad[:3])} hold NaN or infinity (a diverged or damaged model; "
        f"train or import it again)"
        if bad
        else "the scores overflowed (check the model's preprocessing, divide_by "
        f"{(model.preprocess or {}).get('divide_by', 255)!r})"
    )
    raise CommandError(f"{where} gives NaN or infinite scores for {what}: {why}")


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
            f"{args.model} was trained on {stored}, which no longer exists; pass --dataset with "
            f"where {os.path.basename(stored)} is now"
        )
    if name == "mnist-mini" and args.data_dir is not None:
        raise CommandError(
            f"--data-dir {args.data_dir} is not used by mnist-mini, the dataset {args.model} was "
            f"trained on (bundled with tatamikomi); to measure it on the dataset in that folder "
            f"pass --dataset {args.data_dir}"
        )
    return name or "mnist"


def test_set(args, model):
    """The dataset a saved model was trained on (or --dataset / --data-dir)."""
    name = dataset_of(args, model)
    try:
        return load_dataset(name, path=args.data_dir, download=not args.no_download)
    except (OSError, ValueError) as error:
        lang = getattr(args, "lang", "en")
        hint = ""
        if isinstance(error, OSError) and name.lower() == "mnist" and args.data_dir is None:
            hint = i18n.text("cli.mini_hint", lang)
        raise CommandError(f"{problem('data_problem', error, lang)}{hint}") from None


def test_scores(args, model, batch_size=500):
    """``(data, scores)``: the model's scores (N, classes) on its test set."""
    data = test_set(args, model)
    try:
        scores = model.predict(prepare(model, data.x_test), batch_size=batch_size)
    except ValueError as error:
        raise CommandError(f"{args.model} does not fit {data.name}: {error}") from None
    return data, finite_scores(scores, model, f"the {data.name} test set", args.model)


def source_text(data, lang: str = "en") -> str:
    """Where ``data`` came from: its path or address, or the bundled subset said in ``lang``."""
    return i18n.text("cli.mini_source", lang) if data.name == "mnist-mini" else data.source


def check_output(path, *, force: bool, hint: str | None = None, lang: str = "en") -> None:
    """Refuse, before any work, an output file that cannot or may not be written: a folder,
    something that is not a regular file (a FIFO, a device, a link; even with ``--force``), an
    existing file without ``--force``, a missing or read-only folder. ``hint`` says what to do
    about an existing file (default: pass --force)."""
    path = os.fspath(path)

    def refuse(name, **values):
        return CommandError(i18n.text(f"cli.{name}", lang, **values))

    if os.path.isdir(path):
        raise refuse("is_folder", path=path, example=os.path.join(path, "model.npz"))
    try:
        refuse_special(path)
    except OSError as error:
        raise CommandError(str(error)) from None
    if os.path.exists(path) and not force:
        hint = hint if hint is not None else i18n.text("cli.exists_hint", lang)
        raise refuse("exists", path=path, hint=hint)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise refuse("no_folder", folder=folder)
    if not os.access(folder, os.W_OK):
        raise refuse("read_only", folder=folder)
