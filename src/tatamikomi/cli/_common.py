"""What the commands share: the one-line error, messages, and finding models and data."""

from __future__ import annotations

import os
import sys

from ..data import load_dataset, normalize_images
from ..images import ImageError, read_image, to_mnist
from ..io import ModelFileError
from ..models import get_model, load


class CommandError(Exception):
    """An error to report in one line and exit with status 1."""


def say(text: str) -> None:
    """A message for the user (standard error; standard output is kept for results)."""
    print(text, file=sys.stderr)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def load_model(path):
    """The model saved in ``path``, or a CommandError saying why not."""
    try:
        return load(path)
    except (FileNotFoundError, ModelFileError) as error:
        raise CommandError(str(error)) from None


def model_by_name(name: str):
    """A saved model file, or a new model by name or JSON spec."""
    if os.path.isfile(name) and not name.endswith(".json"):
        return load_model(name)
    try:
        return get_model(name)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def prepare(model, images):
    """Raw pixels (N, C, H, W) 0..255 -> the model's input."""
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    return normalize_images(images, divide_by).astype(model.dtype, copy=False)


def mnist_like(model, path):
    """The image file ``path`` as the model's (H, W) grey input, prepared as MNIST's were."""
    height = (model.input_shape or (1, 28, 28))[1]
    try:
        return to_mnist(read_image(path), size=height, box=round(height * 20 / 28))
    except (FileNotFoundError, ImageError) as error:
        raise CommandError(str(error)) from None


def test_set(args, model):
    """The dataset a saved model was trained on (or --dataset / --data-dir)."""
    name = args.dataset or (model.preprocess or {}).get("dataset") or "mnist"
    try:
        return load_dataset(name, path=args.data_dir, download=not args.no_download)
    except (OSError, ValueError) as error:
        raise CommandError(str(error)) from None


def test_scores(args, model, batch_size=500):
    """``(data, scores)``: the model's scores (N, classes) on its test set."""
    data = test_set(args, model)
    try:
        scores = model.predict(prepare(model, data.x_test), batch_size=batch_size)
    except ValueError as error:
        raise CommandError(f"{args.model} does not fit {data.name}: {error}") from None
    return data, scores


def check_output(path, *, force: bool, hint: str = "pass --force to replace it") -> None:
    """Refuse, before any work, an output file that cannot or may not be written: a folder,
    something that is not a regular file, an existing file without ``--force``, a missing or
    read-only folder."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CommandError(
            f"{path} is a folder; give a file name, e.g. {os.path.join(path, 'model.npz')}"
        )
    if os.path.exists(path) and not os.path.isfile(path):
        raise CommandError(f"{path} is not a regular file; give the name of a file to write")
    if os.path.exists(path) and not force:
        raise CommandError(f"{path} already exists and was left as it is; {hint}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(
            f"the folder {folder} does not exist; create it first: mkdir -p {folder}"
        )
    if not os.access(folder, os.W_OK):
        raise CommandError(f"cannot write in {folder} (permission denied); choose another folder")
