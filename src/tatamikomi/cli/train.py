"""``tatamikomi train``: train a model by its recipe, or continue a checkpoint (``--resume``).

Everything that can be checked without the data is checked first (the model, the numbers, the
output file), so a mistake costs no download and prints no data line.
"""

from __future__ import annotations

import os

from .. import i18n
from ..data import NAMES, DataError, DataNotFoundError, load_dataset, normalize_images
from ..data.augment import check_shift
from ..io import ModelFileError
from .._files import FileLockedError, RunLock
from ..optim import OPTIMIZERS, check_lr, check_weight_decay
from ..train import Trainer, TrainingDiverged, TrainingInterrupted, checkpoint, recipes
from . import _args
from ._common import (
    CommandError,
    check_output,
    error_text,
    missing_why,
    mnist_cache,
    problem,
    say,
    source_text,
)

DEFAULT_OUTPUT = "model.npz"


#: the options that set up a new run; --resume keeps the run's own (its checkpoint's config)
RUN_OPTIONS = {
    "model": "--model",
    "batch_size": "--batch-size",
    "optimizer": "--optimizer",
    "lr": "--lr",
    "weight_decay": "--weight-decay",
    "schedule": "--schedule",
    "augment_shift": "--augment-shift",
    "seed": "--seed",
    "output": "--output",
    "force": "--force",
}


def _check_numbers(args) -> None:
    """The numeric options, each named in its message (before any data is read)."""
    _args.at_least(args.epochs, 1, "--epochs")
    _args.at_least(args.batch_size, 1, "--batch-size")
    _args.at_least(args.augment_shift, 0, "--augment-shift")
    _args.at_least(args.seed, 0, "--seed")
    try:
        for key in ("epochs", "batch_size", "augment_shift", "seed"):
            if getattr(args, key) is not None:  # the same rules as a checkpoint's numbers
                checkpoint.check_run_number(getattr(args, key), key, "--" + key.replace("_", "-"))
        if args.lr is not None:
            check_lr(args.lr, "--lr")
        if args.weight_decay is not None:
            check_weight_decay(args.weight_decay, "--weight-decay")
    except ValueError as error:
        if getattr(error, "said", None) is not None and error.said.key == "errors.run_number":
            raise CommandError(error_text(error)) from None
        error = error_text(error)
        raise CommandError(i18n.text("cli.numbers_example", error=error)) from None


def _recipe(args) -> recipes.Recipe:
    """The model's recipe, with what the user said in place of what it says."""
    try:
        recipe = recipes.get(args.model).override(
            epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            lr=args.lr,
            weight_decay=args.weight_decay,
            schedule=args.schedule,
            augment_shift=args.augment_shift,
            seed=args.seed,
        )
        if not recipe.is_book_network:
            recipe.build_model((1, 1, 1), ())  # a broken spec fails now, not after the data
    except (ValueError, FileNotFoundError) as error:
        raise problem("cli.unknown_model", error) from None
    return recipe


def _training_data(args, dataset):
    name = dataset or "mnist"
    try:
        if name == "mnist-mini" and args.data_dir is not None:
            raise CommandError(i18n.text("cli.mini_data_dir", data_dir=args.data_dir))
        return load_dataset(
            name, path=args.data_dir, download=not args.no_download, progress=not args.quiet
        )
    except DataNotFoundError as error:
        if dataset is not None or args.data_dir is not None:
            raise problem("cli.data_problem", error) from None
        why = missing_why(error)
        say(i18n.text("cli.fallback", why=why, folder=mnist_cache()))
        return load_dataset("mnist-mini")
    except (OSError, ValueError) as error:
        raise problem("cli.data_problem", error) from None


def _say_data(args, data):
    if not args.quiet:
        say(
            i18n.text(
                "cli.data_line",
                name=data.name,
                source=source_text(data),
                train=len(data.x_train),
                test=len(data.x_test),
            )
        )


def _not_locked(path) -> None:
    """Refuse, before the data are read, a file another training is writing (the Trainer
    takes the lock itself when it starts)."""
    try:
        RunLock(path, what=i18n.Said("errors.run_training")).check()
    except FileLockedError as error:
        raise CommandError(error_text(error)) from None


def _dataset_path(name):
    """The absolute path of a dataset given by its path (a .npz, a folder), else None."""
    if name is None or name in NAMES:
        return None
    return os.path.abspath(name)


def _new_run(args):
    args.model = args.model or recipes.DEFAULT
    args.output = args.output or DEFAULT_OUTPUT
    recipe = _recipe(args)
    check_output(
        args.output,
        force=args.force,
        hint=i18n.text("cli.output_hint", output=args.output),
    )
    _not_locked(args.output)
    data = _training_data(args, args.dataset)
    _say_data(args, data)
    check_shift(recipe.augment_shift, data.x_train.shape, "--augment-shift")
    trainer = recipe.trainer(
        data, checkpoint=args.output, overwrite=args.force, verbose=not args.quiet
    )
    path = _dataset_path(args.dataset)
    if path is not None:  # resume and evaluate find it again, from any folder
        trainer.network.preprocess["dataset_path"] = path
    if not args.quiet:
        model = trainer.network
        count = sum(p.size for p in model.params.values())
        shift = recipe.augment_shift
        say(
            i18n.text(
                "cli.model_line",
                model=type(model).__name__,
                count=count,
                optimizer=trainer.optimizer,
                schedule=recipe.schedule,
                batch=recipe.batch_size,
                epochs=recipe.epochs,
                epoch_word=i18n.text("cli.epoch_count", count=recipe.epochs),
                shifts=i18n.text("cli.shifts", shift=shift) if shift else "",
            )
        )
    return trainer


def _refuse_run_options(args, config) -> None:
    """--resume continues the run as it was set up: an option that would change it is refused
    (with what the run keeps), not silently ignored."""
    given = [
        option for key, option in RUN_OPTIONS.items() if getattr(args, key) not in (None, False)
    ]
    if given:
        optimizer = config["optimizer"]
        raise CommandError(
            i18n.text(
                "cli.resume_refused",
                given=", ".join(given),
                optimizer=optimizer["name"],
                lr=optimizer["lr"],
                batch=config["batch_size"],
                schedule=config["schedule"]["name"],
                seed=config["seed"],
                path=args.resume,
            )
        )


def _resumed_data_name(args, progress):
    """The dataset a resumed run continues on: the one given, else the one it began with (by
    its stored path when that still exists)."""
    if args.dataset or args.data_dir:
        return args.dataset
    stored = progress.get("dataset_path")
    if stored and os.path.exists(stored):
        return stored
    if stored:
        raise CommandError(
            i18n.text(
                "cli.moved_dataset", path=args.resume, stored=stored, base=os.path.basename(stored)
            )
        )
    return progress["dataset"]


def _resumed_run(args):
    path = args.resume
    if not os.path.exists(path):
        raise CommandError(i18n.text("cli.no_resume", path=path))
    check_output(path, force=True)  # a folder, a device, a read-only folder
    _not_locked(path)
    try:
        progress = checkpoint.progress(path)
    except ModelFileError as error:
        raise problem("cli.model_unreadable", error) from None
    _refuse_run_options(args, progress["config"])
    epochs = args.epochs or progress["epochs"]
    if progress["epoch"] >= epochs:
        raise CommandError(
            i18n.text(
                "cli.finished",
                path=path,
                epochs=progress["epochs"],
                epoch_word=i18n.text("cli.epoch_count", count=progress["epochs"]),
                done=progress["epoch"],
            )
        )
    data = _training_data(args, _resumed_data_name(args, progress))
    _say_data(args, data)
    trainer = Trainer.resume(
        path,
        normalize_images(data.x_train, data.divide_by),
        data.t_train,
        normalize_images(data.x_test, data.divide_by),
        data.t_test,
        epochs=args.epochs,
        verbose=not args.quiet,
    )
    if not args.quiet:
        epoch, step = trainer.current_epoch + 1, trainer.step_in_epoch + 1
        say(i18n.text("cli.resuming", path=path, epoch=epoch, step=step))
    return trainer


def _train(args) -> int:
    _check_numbers(args)
    output = args.resume or args.output or DEFAULT_OUTPUT
    try:
        trainer = _resumed_run(args) if args.resume else _new_run(args)
        trainer.train()
    except TrainingInterrupted as stop:
        resume = i18n.text("cli.continue", output=output) if stop.checkpoint else ""
        say(f"{stop}{resume}")
        return 130
    except FileLockedError as error:
        raise CommandError(error_text(error)) from None
    except FileExistsError as error:  # appeared at the output while this run trained
        raise CommandError(i18n.text("cli.appeared", error=error)) from None
    except (TrainingDiverged, DataError, ValueError, ModelFileError, OSError) as error:
        raise CommandError(error_text(error)) from None
    accuracy = trainer.history["test_acc"][-1]
    epochs = trainer.current_epoch
    epoch_word = i18n.text("cli.epoch_count", count=epochs)
    print(
        i18n.text("cli.result", acc=accuracy, epochs=epochs, epoch_word=epoch_word, output=output)
    )
    if not args.quiet:
        say(i18n.text("cli.next", output=output))
    return 0


def add_parser(commands) -> None:
    simple, deep = recipes.get("SimpleConvNet"), recipes.get("DeepConvNet")

    train = _args.add_command(
        commands,
        "train",
        help=i18n.text("cli.train_help"),
        description=i18n.text(
            "cli.train_description",
            s_epochs=simple.epochs,
            s_lr=simple.lr,
            s_shift=simple.augment_shift,
            d_epochs=deep.epochs,
            d_lr=deep.lr,
            d_shift=deep.augment_shift,
            j_epochs=recipes.Recipe.epochs,
            j_lr=recipes.Recipe.lr,
        ),
    )
    train.add_argument("--model", help=i18n.text("cli.train_model", default=recipes.DEFAULT))
    _args.data_options(train, i18n.text("cli.train_dataset_default"))
    recipe = i18n.text("cli.recipe")
    train.add_argument("--epochs", type=int, help=i18n.text("cli.epochs", recipe=recipe))
    train.add_argument("--batch-size", type=int, help=i18n.text("cli.batch_size", recipe=recipe))
    train.add_argument(
        "--optimizer",
        type=str.lower,
        choices=tuple(OPTIMIZERS),
        help=i18n.text("cli.optimizer", recipe=recipe),
    )
    train.add_argument("--lr", type=float, help=i18n.text("cli.lr", recipe=recipe))
    train.add_argument(
        "--weight-decay", type=float, help=i18n.text("cli.weight_decay", recipe=recipe)
    )
    train.add_argument(
        "--schedule",
        type=str.lower,
        choices=("cosine", "constant"),
        help=i18n.text("cli.schedule", recipe=recipe),
    )
    train.add_argument(
        "--augment-shift",
        type=int,
        metavar="PIXELS",
        help=i18n.text("cli.augment_shift", recipe=recipe),
    )
    train.add_argument("--seed", type=int, help=i18n.text("cli.seed", recipe=recipe))
    train.add_argument("-o", "--output", help=i18n.text("cli.output", default=DEFAULT_OUTPUT))
    _args.force_option(train)
    train.add_argument("--resume", metavar="CHECKPOINT", help=i18n.text("cli.resume"))
    train.add_argument("-q", "--quiet", action="store_true", help=i18n.text("cli.quiet"))
    train.set_defaults(handler=_train)
