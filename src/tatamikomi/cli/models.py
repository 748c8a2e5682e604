"""``tatamikomi evaluate``, ``predict``, ``summary``, ``import-book``: using saved models."""

from __future__ import annotations

import os

import numpy as np

from .. import i18n
from ..functional import softmax, softmax_cross_entropy
from ..images import LOW_CONFIDENCE, confidence, write_png
from ..io import ModelFileError
from ..models import import_book_params, save
from ..train import checkpoint
from . import _args
from ._common import (
    CommandError,
    check_output,
    error_text,
    finite_scores,
    load_model,
    mnist_like,
    model_by_name,
    prepare,
    say,
    problem,
    source_text,
    test_scores,
)


def _evaluate(args) -> int:
    _args.at_least(args.batch_size, 1, "--batch-size")
    model = load_model(args.model)
    run = _run(args.model)
    if run is not None and not run["finished"]:
        what = _unfinished(args.model, run)
        say(i18n.text("cli.unfinished_note", path=args.model, what=what))
    data, scores = test_scores(args, model, batch_size=args.batch_size)
    t = data.t_test
    predicted = scores.argmax(axis=1)
    loss = softmax_cross_entropy(scores.astype(np.float64), t)
    classes = model.classes or data.classes
    source = source_text(data)
    print(
        i18n.text("cli.evaluated", path=args.model, name=data.name, count=len(t), source=source)
    )
    errors = int(np.sum(predicted != t))
    print(i18n.text("cli.accuracy_line", acc=np.mean(predicted == t), loss=loss, errors=errors))
    width = max(len(str(c)) for c in classes)
    for k, label in enumerate(classes):
        mask = t == k
        if mask.any():
            acc, count = np.mean(predicted[mask] == k), int(mask.sum())
            print(i18n.text("cli.class_line", label=str(label).ljust(width), acc=acc, count=count))
    return 0


def _predict(args) -> int:
    _args.at_least(args.top, 1, "--top")
    model = load_model(args.model)
    if model.input_shape is None or model.input_shape[0] != 1:
        raise CommandError(i18n.text("cli.grey_only"))
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
            raise CommandError(i18n.text("cli.image_size", height=height, width=width))
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
            unsure = i18n.text("cli.unsure", path=path, top=top, limit=LOW_CONFIDENCE)
            say(f"tatamikomi predict: {unsure}")
    if args.show is not None and seen:
        try:  # the images as the network saw them, side by side, 8 screen pixels a pixel
            write_png(args.show, np.hstack(seen), overwrite=args.force, scale=8)
        except (FileExistsError, OSError) as error:
            raise CommandError(error_text(error)) from None
        count = len(seen)
        word = i18n.text("cli.image_count", count=count)
        say(i18n.text("cli.wrote_seen", path=args.show, count=count, image_word=word))
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
    return i18n.text(
        "cli.unfinished",
        done=run["epoch"],
        epochs=run["epochs"],
        epoch_word=i18n.text("cli.epoch_count", count=run["epochs"]),
        steps=run["step_in_epoch"],
        path=path,
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
            i18n.text(
                "cli.trained_on",
                dataset=run["dataset"] or i18n.text("cli.arrays"),
                optimizer=optimizer["name"],
                lr=optimizer["lr"],
                schedule=config["schedule"]["name"],
                batch=config["batch_size"],
                epochs=config["epochs"],
                epoch_word=i18n.text("cli.epoch_count", count=config["epochs"]),
                shifts=i18n.text("cli.shifts", shift=shift) if shift else "",
                seed=config["seed"],
            )
        )
        if not run["finished"]:
            print(_unfinished(args.model, run))
    history = model.history or {}
    if history.get("epoch"):
        print("\n" + i18n.text("cli.history_header"))
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
        raise CommandError(i18n.text("cli.replace_hint", error=error)) from None
    except (FileNotFoundError, ModelFileError) as error:
        raise problem("cli.model_unreadable", error) from None
    name = type(model).__name__
    print(i18n.text("cli.imported", model=name, params=args.params, output=output))
    return 0


def add_parser(commands) -> None:

    evaluate = _args.add_command(
        commands,
        "evaluate",
        help=i18n.text("cli.evaluate_help"),
        description=i18n.text("cli.evaluate_description"),
    )
    _args.model_file_argument(evaluate)
    _args.data_options(evaluate, i18n.text("cli.own_dataset"))
    evaluate.add_argument("--batch-size", type=int, default=500, help=i18n.text("cli.eval_batch"))
    evaluate.set_defaults(handler=_evaluate)

    predict = _args.add_command(
        commands,
        "predict",
        help=i18n.text("cli.predict_help"),
        description=i18n.text("cli.predict_description"),
    )
    _args.model_file_argument(predict)
    predict.add_argument("images", nargs="+", metavar="IMAGE", help=i18n.text("cli.images"))
    predict.add_argument("--top", type=int, default=3, help=i18n.text("cli.top"))
    predict.add_argument("--show", metavar="PNG", help=i18n.text("cli.show"))
    _args.force_option(predict)
    predict.set_defaults(handler=_predict)

    summary = _args.add_command(
        commands,
        "summary",
        help=i18n.text("cli.summary_help"),
        description=i18n.text("cli.summary_description"),
    )
    summary.add_argument("model", help=i18n.text("cli.summary_model"))
    summary.set_defaults(handler=_summary)

    book = _args.add_command(
        commands,
        "import-book",
        help=i18n.text("cli.book_help"),
        description=i18n.text("cli.book_description"),
    )
    book.add_argument("params", help=i18n.text("cli.book_params"))
    book.add_argument(
        "--model", choices=("SimpleConvNet", "DeepConvNet"), help=i18n.text("cli.book_model")
    )
    book.add_argument("-o", "--output", help=i18n.text("cli.book_output"))
    _args.force_option(book)
    book.set_defaults(handler=_import_book)
