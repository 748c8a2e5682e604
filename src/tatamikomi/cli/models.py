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
from ._args import say_text


def _count_word(count: int, word: str, lang: str) -> str:
    """``epoch``/``image`` in ``lang``, singular or plural for ``count``."""
    return say_text(f"{word}_one" if count == 1 else f"{word}_many", lang)


def _evaluate(args) -> int:
    lang = args.lang
    _args.at_least(args.batch_size, 1, "--batch-size", lang)
    model = load_model(args.model, lang)
    run = _run(args.model)
    if run is not None and not run["finished"]:
        what = _unfinished(args.model, run, lang)
        say(say_text("unfinished_note", lang, path=args.model, what=what))
    data, scores = test_scores(args, model, batch_size=args.batch_size)
    t = data.t_test
    predicted = scores.argmax(axis=1)
    loss = softmax_cross_entropy(scores.astype(np.float64), t)
    classes = model.classes or data.classes
    source = source_text(data, lang)
    print(
        say_text(
            "evaluated", lang, path=args.model, name=data.name, count=len(t), source=source
        )
    )
    errors = int(np.sum(predicted != t))
    print(say_text("accuracy_line", lang, acc=np.mean(predicted == t), loss=loss, errors=errors))
    width = max(len(str(c)) for c in classes)
    for k, label in enumerate(classes):
        mask = t == k
        if mask.any():
            acc, count = np.mean(predicted[mask] == k), int(mask.sum())
            print(say_text("class_line", lang, label=str(label).ljust(width), acc=acc, count=count))
    return 0


def _predict(args) -> int:
    lang = args.lang
    _args.at_least(args.top, 1, "--top", lang)
    model = load_model(args.model, lang)
    if model.input_shape is None or model.input_shape[0] != 1:
        raise CommandError(say_text("grey_only", lang))
    _, height, width = model.input_shape
    classes = model.classes or [str(i) for i in range(10)]
    if args.show is not None:
        check_output(args.show, force=args.force, lang=lang)
    status, seen = 0, []
    for path in args.images:
        try:
            image = mnist_like(model, path, lang)
        except CommandError as error:
            say(f"tatamikomi predict: {error}")
            status = 1
            continue
        if image.shape != (height, width):
            raise CommandError(say_text("image_size", lang, height=height, width=width))
        seen.append(image)
        scores = finite_scores(
            model.predict(prepare(model, image[None, None])), model, path, args.model, lang
        )
        probabilities = softmax(scores.astype(np.float64))[0]
        order = np.argsort(-probabilities)[: max(1, args.top)]
        best = ", ".join(f"{classes[k]} {probabilities[k]:.1%}" for k in order)
        print(f"{path}: {classes[order[0]]}   ({best})")
        _, top = confidence(probabilities)
        if top < LOW_CONFIDENCE:
            unsure = say_text("unsure", lang, path=path, top=top, limit=LOW_CONFIDENCE)
            say(f"tatamikomi predict: {unsure}")
    if args.show is not None and seen:
        try:  # the images as the network saw them, side by side, 8 screen pixels a pixel
            write_png(args.show, np.hstack(seen), overwrite=args.force, scale=8)
        except (FileExistsError, OSError) as error:
            raise CommandError(error_text(error, args.lang)) from None
        count = len(seen)
        word = _count_word(count, "image", lang)
        say(say_text("wrote_seen", lang, path=args.show, count=count, image_word=word))
    return status


def _run(path):
    """What the checkpoint ``path`` says of its run, or None (a plain model, a name, a spec)."""
    if not os.path.isfile(path) or path.endswith(".json"):
        return None
    try:
        return checkpoint.progress(path)
    except ModelFileError:
        return None


def _unfinished(path, run, lang) -> str:
    return say_text(
        "unfinished",
        lang,
        done=run["epoch"],
        epochs=run["epochs"],
        epoch_word=_count_word(run["epochs"], "epoch", lang),
        steps=run["step_in_epoch"],
        path=path,
    )


def _summary(args) -> int:
    lang = args.lang
    model = model_by_name(args.model, lang)
    model.summary(lang=lang)
    run = _run(args.model)
    if run is not None:
        config = run["config"]
        optimizer = config["optimizer"]
        shift = config.get("augment_shift", 0)
        print(
            say_text(
                "trained_on",
                lang,
                dataset=run["dataset"] or say_text("arrays", lang),
                optimizer=optimizer["name"],
                lr=optimizer["lr"],
                schedule=config["schedule"]["name"],
                batch=config["batch_size"],
                epochs=config["epochs"],
                epoch_word=_count_word(config["epochs"], "epoch", lang),
                shifts=say_text("shifts", lang, shift=shift) if shift else "",
                seed=config["seed"],
            )
        )
        if not run["finished"]:
            print(_unfinished(args.model, run, lang))
    history = model.history or {}
    if history.get("epoch"):
        print("\n" + say_text("history_header", lang))
        for row in zip(
            *(history[k] for k in ("epoch", "loss", "train_acc", "test_acc", "seconds"))
        ):
            epoch, loss, train_acc, test_acc, seconds = row
            print(f"{epoch:5d}  {loss:7.4f}  {train_acc:9.2%}  {test_acc:8.2%}  {seconds:7.1f}")
    return 0


def _import_book(args) -> int:
    output = args.output or os.path.splitext(os.path.basename(args.params))[0] + ".npz"
    lang = args.lang
    check_output(output, force=args.force, lang=lang)
    try:
        model = import_book_params(args.params, args.model)
        save(model, output, overwrite=args.force)
    except FileExistsError as error:
        raise CommandError(say_text("replace_hint", lang, error=error)) from None
    except (FileNotFoundError, ModelFileError) as error:
        raise problem("model_unreadable", error, lang) from None
    name = type(model).__name__
    print(say_text("imported", lang, model=name, params=args.params, output=output))
    return 0


def add_parser(commands, lang="en") -> None:
    def help(name, **values):
        return say_text(name, lang, **values)

    evaluate = _args.add_command(
        commands,
        "evaluate",
        help=help("evaluate_help"),
        description=help("evaluate_description"),
    )
    _args.model_file_argument(evaluate)
    _args.data_options(evaluate, help("own_dataset"))
    evaluate.add_argument("--batch-size", type=int, default=500, help=help("eval_batch"))
    evaluate.set_defaults(handler=_evaluate)

    predict = _args.add_command(
        commands, "predict", help=help("predict_help"), description=help("predict_description")
    )
    _args.model_file_argument(predict)
    predict.add_argument("images", nargs="+", metavar="IMAGE", help=help("images"))
    predict.add_argument("--top", type=int, default=3, help=help("top"))
    predict.add_argument("--show", metavar="PNG", help=help("show"))
    _args.force_option(predict)
    predict.set_defaults(handler=_predict)

    summary = _args.add_command(
        commands, "summary", help=help("summary_help"), description=help("summary_description")
    )
    summary.add_argument("model", help=help("summary_model"))
    summary.set_defaults(handler=_summary)

    book = _args.add_command(
        commands, "import-book", help=help("book_help"), description=help("book_description")
    )
    book.add_argument("params", help=help("book_params"))
    book.add_argument(
        "--model", choices=("SimpleConvNet", "DeepConvNet"), help=help("book_model")
    )
    book.add_argument("-o", "--output", help=help("book_output"))
    _args.force_option(book)
    book.set_defaults(handler=_import_book)
