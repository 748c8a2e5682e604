"""``tatamikomi evaluate``, ``predict``, ``summary``, ``import-book``: using saved models."""

from __future__ import annotations

import os

import numpy as np

from ..functional import softmax, softmax_cross_entropy
from ..images import LOW_CONFIDENCE, confidence, write_png
from ..io import ModelFileError
from ..models import import_book_params, save
from ..train import checkpoint
from . import _args
from ._common import (
    CommandError,
    check_output,
    finite_scores,
    load_model,
    mnist_like,
    model_by_name,
    plural,
    prepare,
    say,
    test_scores,
)


def _evaluate(args) -> int:
    _args.at_least(args.batch_size, 1, "--batch-size")
    model = load_model(args.model)
    run = _run(args.model)
    if run is not None and not run["finished"]:
        say(f"note: {args.model} is {_unfinished(args.model, run)}")
    data, scores = test_scores(args, model, batch_size=args.batch_size)
    t = data.t_test
    predicted = scores.argmax(axis=1)
    loss = softmax_cross_entropy(scores.astype(np.float64), t)
    classes = model.classes or data.classes
    print(f"{args.model} on {data.name} test set ({len(t):,} images, from {data.source})")
    print(
        f"accuracy {np.mean(predicted == t):.2%}   loss {loss:.4f}   "
        f"errors {int(np.sum(predicted != t))}"
    )
    width = max(len(str(c)) for c in classes)
    for k, label in enumerate(classes):
        mask = t == k
        if mask.any():
            print(
                f"  {str(label).ljust(width)}  {np.mean(predicted[mask] == k):7.2%}  "
                f"({int(mask.sum())} images)"
            )
    return 0


def _predict(args) -> int:
    _args.at_least(args.top, 1, "--top")
    model = load_model(args.model)
    if model.input_shape is None or model.input_shape[0] != 1:
        raise CommandError("predict reads grey images; this model does not take (1, H, W) input")
    _, height, width = model.input_shape
    classes = model.classes or [str(i) for i in range(10)]
    if args.show is not None:
        check_output(args.show, force=args.force)
    status, seen = 0, []
    for path in args.images:
        try:
            image = mnist_like(model, path)
        except CommandError as error:
            say(f"tatamikomi predict: {error}")
            status = 1
            continue
        if image.shape != (height, width):
            raise CommandError(f"the model takes {height}x{width} images")
        seen.append(image)
        scores = finite_scores(
            model.predict(prepare(model, image[None, None])), model, path, args.model
        )
        probabilities = softmax(scores.astype(np.float64))[0]
        order = np.argsort(-probabilities)[: max(1, args.top)]
        best = ", ".join(f"{classes[k]} {probabilities[k]:.1%}" for k in order)
        print(f"{path}: {classes[order[0]]}   ({best})")
        _, top = confidence(probabilities)
        if top < LOW_CONFIDENCE:
            say(
                f"tatamikomi predict: {path}: only {top:.0%} sure (below {LOW_CONFIDENCE:.0%}); "
                f"look at what the network saw with --show seen.png, and write the digit larger "
                f"and darker, alone on plain paper"
            )
    if args.show is not None and seen:
        try:  # the images as the network saw them, side by side, 8 screen pixels a pixel
            write_png(args.show, np.hstack(seen), overwrite=args.force, scale=8)
        except (FileExistsError, OSError) as error:
            raise CommandError(str(error)) from None
        say(f"wrote {args.show}: what the network saw ({plural(len(seen), 'image')}, 28x28 each)")
    return status


def _run(path):
    """What the checkpoint ``path`` says of its run, or None (a plain model, a name, a spec)."""
    if not os.path.isfile(path) or path.endswith(".json"):
        return None
    try:
        return checkpoint.progress(path)
    except ModelFileError:
        return None


def _unfinished(path, run) -> str:
    return (
        f"unfinished: {run['epoch']} of {plural(run['epochs'], 'epoch')} done, "
        f"{run['step_in_epoch']} steps into the next; continue with: tatamikomi train --resume "
        f"{path}"
    )


def _summary(args) -> int:
    model = model_by_name(args.model)
    model.summary()
    run = _run(args.model)
    if run is not None:
        config = run["config"]
        optimizer = config["optimizer"]
        shift = config.get("augment_shift", 0)
        print(
            f"trained on {run['dataset'] or 'arrays'}: {optimizer['name']} (lr "
            f"{optimizer['lr']:g}), {config['schedule']['name']} schedule, batch "
            f"{config['batch_size']}, {plural(config['epochs'], 'epoch')}"
            + (f", shifts of up to {shift} px" if shift else "")
            + f", seed {config['seed']}"
        )
        if not run["finished"]:
            print(_unfinished(args.model, run))
    history = model.history or {}
    if history.get("epoch"):
        print("\nepoch   loss     train acc  test acc  seconds")
        for row in zip(
            *(history[k] for k in ("epoch", "loss", "train_acc", "test_acc", "seconds"))
        ):
            epoch, loss, train_acc, test_acc, seconds = row
            print(f"{epoch:5d}  {loss:7.4f}  {train_acc:9.2%}  {test_acc:8.2%}  {seconds:7.1f}")
    return 0


def _import_book(args) -> int:
    output = args.output or os.path.splitext(os.path.basename(args.params))[0] + ".npz"
    check_output(output, force=args.force)
    try:
        model = import_book_params(args.params, args.model)
        save(model, output, overwrite=args.force)
    except FileExistsError as error:
        raise CommandError(f"{error} (pass --force to replace it)") from None
    except (FileNotFoundError, ModelFileError) as error:
        raise CommandError(str(error)) from None
    print(f"imported the book's {type(model).__name__} from {args.params} into {output}")
    return 0


def add_parser(commands, lang="en") -> None:
    evaluate = _args.add_command(
        commands,
        "evaluate",
        help="accuracy of a saved model on a test set",
        description="Measure a saved model's accuracy and loss on the test set it was trained "
        "for (or --dataset), overall and per class.",
    )
    _args.model_file_argument(evaluate)
    _args.data_options(evaluate, "the model's own")
    evaluate.add_argument("--batch-size", type=int, default=500, help="images per forward pass")
    evaluate.set_defaults(handler=_evaluate)

    predict = _args.add_command(
        commands,
        "predict",
        help="classify image files with a saved model",
        description="Classify images (PNG, PGM/PPM, .npy; JPEG, BMP, GIF, WebP and TIFF with "
        "Pillow), photos of handwriting too. Each is turned into a 28x28 grey image like "
        "MNIST's: the paper's uneven light divided away, a dark digit on light paper inverted, "
        "the digit found, scaled to 20 pixels and centred by its centre of mass. A prediction "
        "under 80 %% sure is flagged.",
    )
    _args.model_file_argument(predict)
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument("--top", type=int, default=3, help="how many classes to list")
    predict.add_argument(
        "--show", metavar="PNG", help="save the 28x28 images the network saw, side by side"
    )
    _args.force_option(predict)
    predict.set_defaults(handler=_predict)

    summary = _args.add_command(
        commands,
        "summary",
        help="layers, output shapes and parameters of a model",
        description="Print each layer's output shape and parameter count, and the training "
        "history of a saved model. MODEL is a model file, a model name or a JSON spec.",
    )
    summary.add_argument("model", help="model file, SimpleConvNet, DeepConvNet or spec.json")
    summary.set_defaults(handler=_summary)

    book = _args.add_command(
        commands,
        "import-book",
        help="import a params.pkl saved by the book's code",
        description="Import the weights of the book's SimpleConvNet or DeepConvNet from its "
        "params.pkl. The pickle is read without running code: only a dict of numeric arrays is "
        "accepted.",
    )
    book.add_argument("params", help="the book's params.pkl")
    book.add_argument(
        "--model",
        choices=("SimpleConvNet", "DeepConvNet"),
        help="the network (default: recognised from the arrays)",
    )
    book.add_argument("-o", "--output", help="model file to write (default: PARAMS.npz)")
    _args.force_option(book)
    book.set_defaults(handler=_import_book)
