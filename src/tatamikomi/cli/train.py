"""``tatamikomi train``: train a model by its recipe, or continue a checkpoint (``--resume``).

Everything that can be checked without the data is checked first (the model, the numbers, the
output file), so a mistake costs no download and prints no data line.
"""

from __future__ import annotations

import os

from ..data import NAMES, DataError, DataNotFoundError, load_dataset, normalize_images
from ..data.augment import check_shift
from ..io import ModelFileError
from .._files import FileLockedError, RunLock
from ..optim import OPTIMIZERS, check_lr, check_weight_decay
from ..train import Trainer, TrainingDiverged, TrainingInterrupted, checkpoint, recipes
from . import _args
from ._common import CommandError, check_output, plural, say

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
        if args.lr is not None:
            check_lr(args.lr, "--lr")
        if args.weight_decay is not None:
            check_weight_decay(args.weight_decay, "--weight-decay")
    except ValueError as error:
        raise CommandError(f"{error}, e.g. --lr 0.001 or --weight-decay 0.0001") from None


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
        raise CommandError(str(error)) from None
    return recipe


def _training_data(args, dataset):
    name = dataset or "mnist"
    try:
        if name == "mnist-mini" and args.data_dir is not None:
            raise CommandError(
                f"--data-dir {args.data_dir} is not used by mnist-mini (bundled with tatamikomi); "
                f"to use the dataset in that folder pass --dataset {args.data_dir}"
            )
        return load_dataset(
            name, path=args.data_dir, download=not args.no_download, progress=not args.quiet
        )
    except DataNotFoundError as error:
        if dataset is not None or args.data_dir is not None:
            raise CommandError(str(error)) from None
        first = str(error).splitlines()[0].rstrip(":. ")
        say(
            f"MNIST was not found and could not be downloaded ({first}).\n"
            f"Training on mnist-mini instead: 6,000 real MNIST images bundled with tatamikomi, "
            f"so accuracy will be lower than with the full 60,000.\n"
            f"For the full MNIST, connect to the internet or set TATAMIKOMI_DATA to a folder "
            f"with its four files."
        )
        return load_dataset("mnist-mini")
    except (OSError, ValueError) as error:
        raise CommandError(str(error)) from None


def _say_data(args, data):
    if not args.quiet:
        say(
            f"data: {data.name} from {data.source}: {len(data.x_train):,} training and "
            f"{len(data.x_test):,} test images"
        )


def _not_locked(path) -> None:
    """Refuse, before the data are read, a file another training is writing (the Trainer
    takes the lock itself when it starts)."""
    try:
        RunLock(path, what="training").check()
    except FileLockedError as error:
        raise CommandError(str(error)) from None


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
        hint=f"choose another --output, pass --force to replace it, or --resume {args.output} "
        f"to continue its training",
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
        shifts = f", shifts of up to {recipe.augment_shift} px" if recipe.augment_shift else ""
        say(
            f"model: {type(model).__name__}, {count:,} parameters; {trainer.optimizer}, "
            f"{recipe.schedule} schedule, batch {recipe.batch_size}, "
            f"{plural(recipe.epochs, 'epoch')}{shifts}"
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
            f"{', '.join(given)} cannot change a resumed run: it keeps its own settings "
            f"({optimizer['name']} lr {optimizer['lr']:g}, batch {config['batch_size']}, "
            f"{config['schedule']['name']} schedule, seed {config['seed']}) and saves back into "
            f"{args.resume}. With --resume only --epochs, --dataset/--data-dir/--no-download and "
            f"--quiet apply; to keep the checkpoint as it is, copy it first and resume the copy"
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
            f"{args.resume} was trained on {stored}, which no longer exists; pass --dataset "
            f"with where {os.path.basename(stored)} is now"
        )
    return progress["dataset"]


def _resumed_run(args):
    path = args.resume
    if not os.path.exists(path):
        raise CommandError(f"cannot resume: {path} does not exist")
    check_output(path, force=True)  # a folder, a device, a read-only folder
    _not_locked(path)
    try:
        progress = checkpoint.progress(path)
    except ModelFileError as error:
        raise CommandError(str(error)) from None
    _refuse_run_options(args, progress["config"])
    epochs = args.epochs or progress["epochs"]
    if progress["epoch"] >= epochs:
        raise CommandError(
            f"{path} has finished its {plural(progress['epochs'], 'epoch')}; pass --epochs N "
            f"(more than {progress['epoch']}) to train further"
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
        say(
            f"resuming {path} at epoch {trainer.current_epoch + 1}, step "
            f"{trainer.step_in_epoch + 1}"
        )
    return trainer


def _train(args) -> int:
    _check_numbers(args)
    output = args.resume or args.output or DEFAULT_OUTPUT
    try:
        trainer = _resumed_run(args) if args.resume else _new_run(args)
        trainer.train()
    except TrainingInterrupted as stop:
        resume = f"\ncontinue with: tatamikomi train --resume {output}" if stop.checkpoint else ""
        say(f"{stop}{resume}")
        return 130
    except FileLockedError as error:
        raise CommandError(str(error)) from None
    except FileExistsError as error:  # appeared at the output while this run trained
        raise CommandError(
            f"{error} It appeared while this run trained and was kept; this run's model was "
            f"not saved"
        ) from None
    except (TrainingDiverged, DataError, ValueError, ModelFileError, OSError) as error:
        raise CommandError(str(error)) from None
    accuracy = trainer.history["test_acc"][-1]
    epochs = plural(trainer.current_epoch, "epoch")
    print(f"test accuracy {accuracy:.2%} after {epochs}; saved to {output}")
    if not args.quiet:
        say(f"next: tatamikomi evaluate {output}   |   tatamikomi predict {output} IMAGE.png")
    return 0


def add_parser(commands) -> None:
    simple, deep = recipes.get("SimpleConvNet"), recipes.get("DeepConvNet")
    train = _args.add_command(
        commands,
        "train",
        help="train a CNN on MNIST (or another dataset) and save it",
        description="Train a CNN and save it (architecture, weights, history) in one file. "
        "MNIST is found locally ($TATAMIKOMI_DATA, the cache) or downloaded; offline, the "
        "bundled mnist-mini subset is used. Ctrl-C saves a checkpoint; --resume continues it. "
        "What the options leave unsaid comes from the model's recipe "
        "(tatamikomi.train.recipes), measured on MNIST: "
        f"SimpleConvNet {simple.epochs} epochs, Adam {simple.lr}, shifts of "
        f"{simple.augment_shift} px (99.2 %); DeepConvNet {deep.epochs} epochs, Adam {deep.lr}, "
        f"shifts of {deep.augment_shift} px (99.5 %); a JSON spec {recipes.Recipe.epochs} epochs, "
        f"Adam {recipes.Recipe.lr}, no shifts. All: batch 100, a cosine schedule, seed 0.",
    )
    train.add_argument(
        "--model",
        help=f"SimpleConvNet, DeepConvNet, or a JSON spec file (default: {recipes.DEFAULT})",
    )
    _args.data_options(train, "mnist, else the bundled mnist-mini")
    recipe = "(default: the model's recipe)"
    train.add_argument(
        "--epochs",
        type=int,
        help=f"epochs to train {recipe}; with --resume, the new total, and a cosine schedule "
        "is stretched to it",
    )
    train.add_argument("--batch-size", type=int, help=f"mini-batch size {recipe}")
    train.add_argument(
        "--optimizer",
        type=str.lower,
        choices=tuple(OPTIMIZERS),
        help=f"optimizer, any case {recipe}",
    )
    train.add_argument("--lr", type=float, help=f"learning rate {recipe}")
    train.add_argument("--weight-decay", type=float, help=f"weight decay {recipe}")
    train.add_argument(
        "--schedule",
        type=str.lower,
        choices=("cosine", "constant"),
        help=f"learning-rate schedule; cosine goes down to 0 at the end {recipe}",
    )
    train.add_argument(
        "--augment-shift",
        type=int,
        metavar="PIXELS",
        help=f"move each training image by up to this many pixels, at random {recipe}",
    )
    train.add_argument("--seed", type=int, help=f"random seed {recipe}")
    train.add_argument("-o", "--output", help=f"model file (default: {DEFAULT_OUTPUT})")
    _args.force_option(train)
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue training from this file, with its own settings and saving back into it "
        "(only --epochs and the data options apply)",
    )
    train.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    train.set_defaults(handler=_train)
