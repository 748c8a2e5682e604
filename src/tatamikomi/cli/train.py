"""``tatamikomi train``: train a model by its recipe, or continue a checkpoint (``--resume``).

Everything that can be checked without the data is checked first (the model, the numbers, the
output file), so a mistake costs no download and prints no data line.
"""

from __future__ import annotations

import os

from ..data import DataNotFoundError, load_dataset, normalize_images
from ..io import ModelFileError
from ..optim import OPTIMIZERS
from ..train import Trainer, TrainingDiverged, TrainingInterrupted, checkpoint, recipes
from . import _args
from ._common import CommandError, check_output, plural, say

DEFAULT_OUTPUT = "model.npz"


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


def _new_run(args):
    recipe = _recipe(args)
    check_output(
        args.output,
        force=args.force,
        hint=f"choose another --output, pass --force to replace it, or --resume {args.output} "
        f"to continue its training",
    )
    data = _training_data(args, args.dataset)
    _say_data(args, data)
    trainer = recipe.trainer(
        data, checkpoint=args.output, overwrite=args.force, verbose=not args.quiet
    )
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


def _resumed_run(args):
    path = args.resume
    if not os.path.exists(path):
        raise CommandError(f"cannot resume: {path} does not exist")
    check_output(path, force=True)  # a folder, a device, a read-only folder
    if args.epochs is not None and args.epochs < 1:
        raise CommandError(f"--epochs must be at least 1; got {args.epochs}")
    try:
        progress = checkpoint.progress(path)
    except ModelFileError as error:
        raise CommandError(str(error)) from None
    epochs = args.epochs or progress["epochs"]
    if progress["epoch"] >= epochs:
        raise CommandError(
            f"{path} has finished its {plural(progress['epochs'], 'epoch')}; pass --epochs N "
            f"(more than {progress['epoch']}) to train further"
        )
    # continue on the data the run began with, unless told otherwise
    dataset = args.dataset if args.dataset or args.data_dir else progress["dataset"]
    data = _training_data(args, dataset)
    _say_data(args, data)
    trainer = Trainer.resume(
        path,
        normalize_images(data.x_train),
        data.t_train,
        normalize_images(data.x_test),
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
    output = args.resume or args.output
    try:
        trainer = _resumed_run(args) if args.resume else _new_run(args)
        trainer.train()
    except TrainingInterrupted as stop:
        resume = f"\ncontinue with: tatamikomi train --resume {output}" if stop.checkpoint else ""
        say(f"{stop}{resume}")
        return 130
    except (TrainingDiverged, ValueError, ModelFileError, OSError) as error:
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
        default=recipes.DEFAULT,
        help="SimpleConvNet, DeepConvNet, or a JSON spec file",
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
    train.add_argument("-o", "--output", default=DEFAULT_OUTPUT, help="model file")
    _args.force_option(train)
    train.add_argument("--resume", metavar="CHECKPOINT", help="continue training from this file")
    train.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    train.set_defaults(handler=_train)
