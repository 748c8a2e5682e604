"""The ``tatamikomi`` command line (also ``python -m tatamikomi``).

Commands: ``train``, ``evaluate``, ``predict``, ``summary``, ``import-book``, ``demo``,
``explain`` and ``plot``; each
has ``--help``. Errors print one clear line (what is wrong and what to do) and exit with 1.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from ._version import __version__

DEFAULT_MODEL = "SimpleConvNet"
DEFAULT_OUTPUT = "model.npz"
#: each model's recipe, used for what --epochs, --lr and --augment-shift leave unsaid; measured
#: on the full MNIST (README, "Accuracy"): SimpleConvNet 99.2 %, DeepConvNet 99.5 %
RECIPES = {
    "simpleconvnet": {"epochs": 10, "lr": 0.003, "augment_shift": 2},
    "deepconvnet": {"epochs": 10, "lr": 0.001, "augment_shift": 2},
}
OTHER_RECIPE = {"epochs": 10, "lr": 0.001, "augment_shift": 0}


class CommandError(Exception):
    """An error to report in one line and exit with status 1."""


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ---------------------------------------------------------------------------------------------
# train


def _load_training_data(args):
    from .data import DataNotFoundError, load_dataset

    name = args.dataset or "mnist"
    try:
        data = load_dataset(
            name, path=args.data_dir, download=not args.no_download, progress=not args.quiet
        )
    except DataNotFoundError as error:
        if args.dataset is not None or args.data_dir is not None:
            raise CommandError(str(error)) from None
        first = str(error).splitlines()[0].rstrip(":. ")
        _say(
            f"MNIST was not found and could not be downloaded ({first}).\n"
            f"Training on mnist-mini instead: 6,000 real MNIST images bundled with tatamikomi, "
            f"so accuracy will be lower than with the full 60,000.\n"
            f"For the full MNIST, connect to the internet or set TATAMIKOMI_DATA to a folder "
            f"with its four files."
        )
        data = load_dataset("mnist-mini")
    return data


def _train(args) -> int:
    from . import io
    from .data import normalize_images
    from .models import get_model
    from .train import Trainer, TrainingDiverged, TrainingInterrupted

    if args.resume and not os.path.isfile(args.resume):
        raise CommandError(f"cannot resume: {args.resume} does not exist")
    if args.resume and args.dataset is None and args.data_dir is None:
        try:  # continue on the data the run began with
            meta, _ = io.read_archive(args.resume, with_arrays=False)
            args.dataset = (meta.get("preprocess") or {}).get("dataset")
        except io.ModelFileError as error:
            raise CommandError(str(error)) from None
    output = args.resume or args.output
    if not args.resume and os.path.exists(output) and not args.force:
        raise CommandError(
            f"{output} already exists and was left as it is; choose another --output, pass "
            f"--force to replace it, or --resume {output} to continue its training"
        )
    data = _load_training_data(args)
    x_train, x_test = normalize_images(data.x_train), normalize_images(data.x_test)
    if not args.quiet:
        _say(
            f"data: {data.name} from {data.source}: {len(x_train):,} training and "
            f"{len(x_test):,} test images"
        )
    common = dict(progress=None if not args.quiet else False, verbose=not args.quiet)
    try:
        if args.resume:
            trainer = Trainer.resume(
                args.resume,
                x_train,
                data.t_train,
                x_test,
                data.t_test,
                epochs=args.epochs,
                **common,
            )
            model = trainer.network
            if trainer.current_epoch >= trainer.epochs:
                raise CommandError(
                    f"{args.resume} has finished its {_plural(trainer.epochs, 'epoch')}; pass "
                    f"--epochs N "
                    f"(more than {trainer.epochs}) to train further"
                )
            if not args.quiet:
                _say(
                    f"resuming {args.resume} at epoch {trainer.current_epoch + 1}, step "
                    f"{trainer.step_in_epoch + 1}"
                )
        else:
            shape = tuple(data.x_train.shape[1:])
            try:
                model = get_model(
                    args.model, seed=args.seed, input_dim=shape, output_size=len(data.classes)
                )
            except TypeError:  # a JSON spec fixes its own shapes
                model = get_model(args.model, seed=args.seed)
            model.classes = list(data.classes)
            model.preprocess = {"divide_by": 255, "dataset": data.name}
            recipe = RECIPES.get(str(args.model).lower(), OTHER_RECIPE)
            for key, value in recipe.items():
                if getattr(args, key) is None:
                    setattr(args, key, value)
            optimizer_param = {"lr": args.lr}
            if args.weight_decay:
                optimizer_param["weight_decay"] = args.weight_decay
            trainer = Trainer(
                model,
                x_train,
                data.t_train,
                x_test,
                data.t_test,
                epochs=args.epochs,
                mini_batch_size=args.batch_size,
                optimizer=args.optimizer,
                optimizer_param=optimizer_param,
                seed=args.seed,
                schedule=args.schedule,
                checkpoint=output,
                overwrite=args.force,
                augment_shift=args.augment_shift,
                **common,
            )
            if not args.quiet:
                count = sum(p.size for p in model.params.values())
                _say(
                    f"model: {type(model).__name__}, {count:,} "
                    f"parameters; {trainer.optimizer}, {args.schedule} schedule, batch "
                    f"{args.batch_size}, {_plural(trainer.epochs, 'epoch')}"
                    + (f", shifts of up to {args.augment_shift} px" if args.augment_shift else "")
                )
        trainer.train()
    except TrainingInterrupted as stop:
        _say(
            f"{stop}\ncontinue with: tatamikomi train --resume {output}"
            if stop.checkpoint
            else str(stop)
        )
        return 130
    except TrainingDiverged as error:
        raise CommandError(str(error)) from None
    except (ValueError, io.ModelFileError) as error:
        raise CommandError(str(error)) from None
    accuracy = trainer.history["test_acc"][-1]
    epochs = _plural(trainer.current_epoch, "epoch")
    print(f"test accuracy {accuracy:.2%} after {epochs}; saved to {output}")
    if not args.quiet:
        _say(f"next: tatamikomi evaluate {output}   |   tatamikomi predict {output} IMAGE.png")
    return 0


# ---------------------------------------------------------------------------------------------
# evaluate, predict, summary, import-book


def _load_model(path):
    from . import io

    try:
        return io.load(path)
    except (FileNotFoundError, io.ModelFileError) as error:
        raise CommandError(str(error)) from None


def _prepare(model, images):
    """Raw pixels (N, C, H, W) 0..255 -> the model's input."""
    from .data import normalize_images

    divide_by = (model.preprocess or {}).get("divide_by", 255)
    return normalize_images(images, divide_by).astype(model.dtype, copy=False)


def _test_set(args, model):
    """The dataset a saved model was trained on (or --dataset / --data-dir)."""
    from .data import load_dataset

    name = args.dataset or (model.preprocess or {}).get("dataset") or "mnist"
    try:
        return load_dataset(name, path=args.data_dir, download=not args.no_download)
    except (OSError, ValueError) as error:
        raise CommandError(str(error)) from None


def _evaluate(args) -> int:
    from .functional import softmax_cross_entropy

    model = _load_model(args.model)
    data = _test_set(args, model)
    x = _prepare(model, data.x_test)
    t = data.t_test
    try:
        scores = model.predict(x, batch_size=args.batch_size)
    except ValueError as error:
        raise CommandError(f"{args.model} does not fit {data.name}: {error}") from None
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
    from .functional import softmax
    from .images import ImageError, read_image, to_mnist

    model = _load_model(args.model)
    if model.input_shape is None or model.input_shape[0] != 1:
        raise CommandError("predict reads grey images; this model does not take (1, H, W) input")
    _, height, width = model.input_shape
    classes = model.classes or [str(i) for i in range(10)]
    status = 0
    for path in args.images:
        try:
            image = to_mnist(read_image(path), size=height, box=round(height * 20 / 28))
        except (FileNotFoundError, ImageError) as error:
            _say(f"tatamikomi predict: {error}")
            status = 1
            continue
        if image.shape != (height, width):
            raise CommandError(f"the model takes {height}x{width} images")
        x = _prepare(model, image[None, None])
        probabilities = softmax(model.predict(x).astype(np.float64))[0]
        order = np.argsort(-probabilities)[: max(1, args.top)]
        best = ", ".join(f"{classes[k]} {probabilities[k]:.1%}" for k in order)
        print(f"{path}: {classes[order[0]]}   ({best})")
    return status


def _model_by_name(name: str):
    """A saved model file, or a new model by name or JSON spec."""
    from .models import get_model

    if os.path.isfile(name) and not name.endswith(".json"):
        return _load_model(name)
    try:
        return get_model(name)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def _summary(args) -> int:
    model = _model_by_name(args.model)
    model.summary()
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
    from . import io

    output = args.output or os.path.splitext(os.path.basename(args.params))[0] + ".npz"
    try:
        model = io.import_book_params(args.params, args.model)
        io.save(model, output, overwrite=args.force)
    except FileExistsError as error:
        raise CommandError(f"{error} (pass --force to replace it)") from None
    except (FileNotFoundError, io.ModelFileError) as error:
        raise CommandError(str(error)) from None
    print(f"imported the book's {type(model).__name__} from {args.params} into {output}")
    return 0


def _demo(args) -> int:
    from .demo import lines

    for line in lines(args.lang):
        print(line)
    return 0


# ---------------------------------------------------------------------------------------------
# explain


def parse_array(text: str, name: str) -> np.ndarray:
    """A small array from the command line, or the path of a ``.npy`` file.

    Rows are separated by ``;``, values by ``,`` and channels by ``|``:
    ``"1,2;3,4"`` is 2x2 and ``"1,2;3,4|5,6;7,8"`` is (2, 2, 2)."""
    if text.endswith(".npy"):
        try:
            array = np.load(text, allow_pickle=False)
        except FileNotFoundError:
            raise CommandError(f"{name} file {text} does not exist") from None
        except (OSError, ValueError) as error:
            raise CommandError(
                f"{name} file {text} is not a readable .npy array: {error}"
            ) from None
        if array.dtype.kind not in "biuf":
            raise CommandError(f"{name} file {text} holds {array.dtype}, not numbers")
        return array
    channels = []
    for c, channel in enumerate(text.split("|")):
        rows = []
        for r, row in enumerate(channel.split(";")):
            try:
                rows.append([float(v) for v in row.split(",")])
            except ValueError:
                raise CommandError(
                    f"{name}: row {r + 1} ({row.strip()!r}) is not a list of numbers; write rows "
                    f'separated by ";" and values by ",", e.g. "1,2,3;4,5,6"'
                ) from None
            if len(rows[-1]) != len(rows[0]):
                raise CommandError(
                    f"{name}: row {r + 1} has {_plural(len(rows[-1]), 'value')} but row 1 has "
                    f"{len(rows[0])}; every row needs the same number"
                )
        if channels and np.shape(rows) != np.shape(channels[0]):
            raise CommandError(
                f"{name}: channel {c + 1} is {len(rows)}x{len(rows[0])} but channel 1 is "
                f"{len(channels[0])}x{len(channels[0][0])}; channels must have the same size"
            )
        channels.append(rows)
    array = np.array(channels)
    return array[0] if len(channels) == 1 else array


def _explain(args) -> int:
    from . import explain

    try:
        if args.what == "conv":
            x = None if args.input is None else parse_array(args.input, "--input")
            w = None if args.filter is None else parse_array(args.filter, "--filter")
            result = explain.explain_conv(x, w, stride=args.stride, pad=args.pad, bias=args.bias)
        elif args.what == "pool":
            x = None if args.input is None else parse_array(args.input, "--input")
            result = explain.explain_pool(
                x, args.size, stride=args.stride, pad=args.pad, mode=args.mode
            )
        elif args.what == "im2col":
            if args.input is not None and args.shape is not None:
                raise CommandError("give --input or --shape, not both")
            x = parse_array(args.input, "--input") if args.input is not None else args.shape
            size = args.filter_size
            fh, fw = (size, size) if isinstance(size, int) else (size or (None, None))
            if x is not None and fh is None:
                raise CommandError("give the filter size with --filter-size, e.g. 3 or 5,5")
            result = explain.explain_im2col(
                x, fh, fw, stride=args.stride, pad=args.pad, max_rows=args.rows
            )
        elif args.what == "flatten":
            result = explain.explain_flatten(args.input_shape, args.pixel)
        elif args.what == "shift":
            x = None if args.input is None else parse_array(args.input, "--input")
            result = explain.explain_shift(
                x, args.shift, args.size, stride=args.stride, mode=args.mode
            )
        else:
            result = explain.explain_shape(_model_by_name(args.model), args.input_shape)
    except (ValueError, TypeError) as error:
        raise CommandError(str(error)) from None
    print(result.text(args.lang))
    return 0


def _pair_argument(text: str):
    """``3`` -> 3, ``"3,2"`` -> (3, 2)."""
    values = tuple(int(v) for v in text.split(","))
    if len(values) == 1:
        return values[0]
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"give one number or two (h,w); got {text!r}")
    return values


def _shape_argument(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.strip("()").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is numbers separated by commas; got {text!r}")


def _lang_option(parser) -> None:
    parser.add_argument(
        "--lang", choices=("en", "ja"), default="en", help="language: en or ja (default: en)"
    )


def _window_options(parser, stride_default=1) -> None:
    """--stride and --pad, each one number or h,w."""
    default = "the window size" if stride_default is None else stride_default
    parser.add_argument(
        "--stride", type=_pair_argument, default=stride_default, help=f"stride (default: {default})"
    )
    parser.add_argument("--pad", type=_pair_argument, default=0, help="padding (default: 0)")


def _explain_parser(commands) -> None:
    explain = commands.add_parser(
        "explain",
        help="explain convolution, pooling, im2col, flattening, a shift or a model's shapes step "
        "by step",
        description="Compute an operation and print every step as the lecture writes it: "
        "each output element as a sum of products, the output-size formula with the numbers "
        "filled in, each pooling window, the im2col matrix, the shape through a model. Arrays "
        'are typed with rows separated by ";", values by "," and channels by "|" '
        '(e.g. --input "1,2,3,4;4,3,2,1;0,1,2,3;3,2,1,2"), or read from a .npy file.',
    )
    kinds = explain.add_subparsers(dest="what", metavar="WHAT", required=True)

    conv = kinds.add_parser(
        "conv",
        help="a convolution, element by element",
        description="Explain a convolution of one image. Without --input and --filter, the "
        "lecture's 4x4 input and 3x3 filter. A multi-channel input sums over channels.",
    )
    conv.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    conv.add_argument(
        "--filter", help="the filter (FH, FW), (C, FH, FW) or (FN, C, FH, FW), as text or .npy"
    )
    _window_options(conv)
    conv.add_argument("--bias", type=float, help="bias added to every output (default: none)")
    _lang_option(conv)

    pool = kinds.add_parser(
        "pool",
        help="max or average pooling, window by window",
        description="Explain max or average pooling of one image (by default the lecture's "
        "4x4 input with a 2x2 window and stride 2).",
    )
    pool.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    pool.add_argument("--size", type=_pair_argument, default=2, help="window size (default: 2)")
    _window_options(pool, stride_default=None)
    pool.add_argument("--mode", choices=("max", "avg"), default="max", help="max or avg")
    _lang_option(pool)

    im2col = kinds.add_parser(
        "im2col",
        help="the im2col matrix and its shape",
        description="Explain im2col: which window each row comes from and why the matrix is "
        "(N*OH*OW, C*FH*FW). By default the lecture's example, a (10, 3, 7, 7) batch of random "
        "numbers with a 5x5 filter, which gives (90, 75).",
    )
    im2col.add_argument("--input", help="an image or batch, as text or .npy")
    im2col.add_argument(
        "--shape", type=_shape_argument, help="a batch shape N,C,H,W filled with random numbers"
    )
    im2col.add_argument(
        "--filter-size", type=_pair_argument, metavar="FH[,FW]", help="filter size, e.g. 5"
    )
    _window_options(im2col)
    im2col.add_argument("--rows", type=int, default=12, help="rows of the matrix to show (12)")
    _lang_option(im2col)

    shape = kinds.add_parser(
        "shape",
        help="how a model changes the shape, layer by layer",
        description="Explain the shape of one input through each layer of a model, with the "
        "output-size formula of each convolution and pooling layer.",
    )
    shape.add_argument(
        "model",
        nargs="?",
        default=DEFAULT_MODEL,
        help=f"model file, SimpleConvNet, DeepConvNet or spec.json (default: {DEFAULT_MODEL})",
    )
    shape.add_argument(
        "--input-shape", type=_shape_argument, help="one input's shape C,H,W (default: the model's)"
    )
    _lang_option(shape)

    flatten = kinds.add_parser(
        "flatten",
        help="where neighbouring pixels go when an Affine layer flattens its input",
        description="Explain flattening for an Affine layer: where a pixel and its neighbours "
        "land in the flattened vector (the pixel below is W places away), and the shape a "
        "convolution keeps instead.",
    )
    flatten.add_argument(
        "--input-shape",
        type=_shape_argument,
        default=(1, 28, 28),
        help="one input's shape C,H,W (default: 1,28,28)",
    )
    flatten.add_argument(
        "--pixel", type=_shape_argument, help="row,column (or channel,row,column); default: middle"
    )
    _lang_option(flatten)

    shift = kinds.add_parser(
        "shift",
        help="pooling of an input and of the same input shifted by a pixel",
        description="Explain how pooling takes a small shift of its input: the lecture's 4x4 "
        "input (or --input) and the same input moved by --shift pixels, window by window. Some "
        "outputs absorb the shift, some do not.",
    )
    shift.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    shift.add_argument(
        "--shift",
        type=_shape_argument,
        default=(0, 1),
        help="down,right in pixels, negative for up or left (--shift=-1,0); default: 0,1",
    )
    shift.add_argument("--size", type=_pair_argument, default=2, help="window size (default: 2)")
    shift.add_argument(
        "--stride", type=_pair_argument, default=None, help="stride (default: the window size)"
    )
    shift.add_argument("--mode", choices=("max", "avg"), default="max", help="max or avg")
    _lang_option(shift)
    explain.set_defaults(handler=_explain)


# ---------------------------------------------------------------------------------------------
# plot

PLOT_OUTPUTS = {
    "filters": "filters.png",
    "feature-maps": "feature-maps.png",
    "curves": "curves.png",
    "confusion": "confusion.png",
    "errors": "errors.png",
    "im2col": "im2col.png",
    "slide": "slide.gif",
}


def _test_scores(args, model):
    data = _test_set(args, model)
    try:
        scores = model.predict(_prepare(model, data.x_test), batch_size=500)
    except ValueError as error:
        raise CommandError(f"{args.model} does not fit {data.name}: {error}") from None
    return data, scores


def _figure(args):
    from . import viz

    lang = args.lang
    if args.what == "im2col":
        x = None if args.input is None else parse_array(args.input, "--input")
        return viz.im2col_figure(x, args.filter_size, stride=args.stride, pad=args.pad, lang=lang)
    model = _load_model(args.model)
    name = os.path.splitext(os.path.basename(args.model))[0]
    if args.what == "filters":
        from .models import build_model

        untrained = None if args.no_random else build_model(model.architecture(), seed=args.seed)
        return viz.filters_figure(model, untrained, lang=lang)
    if args.what == "curves":
        return viz.history_figure(model.history, model_name=name, lang=lang)
    if args.what == "feature-maps":
        if args.image is not None:
            from .images import ImageError, read_image, to_mnist

            height = (model.input_shape or (1, 28, 28))[1]
            try:
                pixels = to_mnist(read_image(args.image), size=height, box=round(height * 20 / 28))
            except (FileNotFoundError, ImageError) as error:
                raise CommandError(str(error)) from None
            pixels = pixels[None]
        else:
            data = _test_set(args, model)
            if not 0 <= args.index < len(data.x_test):
                raise CommandError(
                    f"--index must be between 0 and {len(data.x_test) - 1}; got {args.index}"
                )
            pixels = data.x_test[args.index]
        return viz.feature_maps_figure(model, _prepare(model, pixels[None])[0], lang=lang)
    data, scores = _test_scores(args, model)
    classes = model.classes or data.classes
    if args.what == "confusion":
        return viz.confusion_figure(data.t_test, scores.argmax(axis=1), classes, lang=lang)
    return viz.misclassified_figure(
        data.x_test, data.t_test, scores, classes, count=args.count, lang=lang
    )


def _plot(args) -> int:
    from . import viz

    output = args.output or PLOT_OUTPUTS[args.what]
    wanted = ".gif" if args.what == "slide" else ".png"
    if args.what == "slide" and not output.lower().endswith(".gif"):
        raise CommandError(f"the animation is written as a GIF; give -o NAME.gif, not {output}")
    if args.what != "slide" and not output.lower().endswith((".png", ".svg", ".pdf")):
        raise CommandError(f"give -o NAME{wanted} (or .svg, .pdf); got {output}")
    if os.path.exists(output) and not args.force:
        raise CommandError(f"{output} already exists; pass --force to replace it")
    try:
        if args.what == "slide":
            x = None if args.input is None else parse_array(args.input, "--input")
            w = None if args.filter is None else parse_array(args.filter, "--filter")
            viz.save_sliding_window_gif(
                output,
                x,
                w,
                stride=args.stride,
                pad=args.pad,
                bias=args.bias,
                lang=args.lang,
                duration=args.duration,
                overwrite=args.force,
            )
        else:
            viz.save_figure(_figure(args), output, overwrite=args.force, dpi=args.dpi)
    except (ImportError, viz.FontNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from None
    except FileExistsError as error:
        raise CommandError(f"{error} (pass --force to replace it)") from None
    print(f"wrote {output}")
    return 0


def _plot_parser(commands) -> None:
    plot = commands.add_parser(
        "plot",
        help="draw pictures: filters, feature maps, learning curves, confusion matrix, errors, "
        "im2col, the sliding window",
        description="Draw a picture into a PNG (the sliding window: an animated GIF). Needs "
        "the viz extra: pip install 'tatamikomi[viz]'. --lang ja draws Japanese labels in a "
        "Japanese font. An existing file is kept unless --force.",
    )
    kinds = plot.add_subparsers(dest="what", metavar="WHAT", required=True)

    def add(name, help, description, model=True):
        parser = kinds.add_parser(name, help=help, description=description)
        if model:
            parser.add_argument("model", help="model file saved by `tatamikomi train`")
        parser.add_argument("-o", "--output", help=f"file to write (default: {PLOT_OUTPUTS[name]})")
        parser.add_argument("--force", action="store_true", help="replace the file if it exists")
        _lang_option(parser)
        if name != "slide":
            parser.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
        parser.set_defaults(handler=_plot)
        return parser

    filters = add(
        "filters",
        "first-layer filters, random before training and learned after",
        "Draw the first convolution layer's filters: above, those of the same network freshly "
        "initialised (random); below, the trained ones.",
    )
    filters.add_argument("--no-random", action="store_true", help="draw only the trained filters")
    filters.add_argument("--seed", type=int, default=0, help="seed of the random filters (0)")

    maps = add(
        "feature-maps",
        "one image through each convolution and pooling layer",
        "Draw what each convolution and pooling layer makes of one image: a test image "
        "(--index) or an image file (--image, prepared as `predict` does).",
    )
    maps.add_argument("--index", type=int, default=0, help="test image number (default: 0)")
    maps.add_argument("--image", help="an image file instead of a test image")
    _data_options(maps, "default: the model's own")

    add(
        "curves",
        "learning curves from the model's saved history",
        "Draw the training loss and the train and test accuracy of each epoch, as saved in the "
        "model file.",
    )
    confusion = add(
        "confusion",
        "confusion matrix on the test set",
        "Draw the confusion matrix of the model on its test set (or --dataset).",
    )
    _data_options(confusion, "default: the model's own")
    errors = add(
        "errors",
        "a grid of misclassified test images",
        "Draw the test images the model gets wrong, the most confident mistakes first, "
        "with their true and predicted labels.",
    )
    errors.add_argument("--count", type=int, default=25, help="how many to draw (default: 25)")
    _data_options(errors, "default: the model's own")

    im2col = add(
        "im2col",
        "a diagram of im2col for a small example",
        "Draw the windows of a small input and the im2col matrix they become "
        "(default: the lecture's 4x4 input and a 3x3 filter).",
        model=False,
    )
    im2col.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    im2col.add_argument(
        "--filter-size",
        type=_pair_argument,
        default=3,
        metavar="FH[,FW]",
        help="filter size (default: 3)",
    )
    _window_options(im2col)

    slide = add(
        "slide",
        "an animated GIF of the filter window sliding over the input",
        "Animate a convolution: the filter window moves over the (padded) input, and "
        "each frame shows the sum of products and the output so far (default: the "
        "lecture's 4x4 input and 3x3 filter).",
        model=False,
    )
    slide.add_argument("--input", help="the image (H, W), as text or .npy")
    slide.add_argument("--filter", help="the filter (FH, FW), as text or .npy")
    _window_options(slide)
    slide.add_argument("--bias", type=float, help="bias (default: none)")
    slide.add_argument("--duration", type=int, default=900, help="ms per frame (default: 900)")


# ---------------------------------------------------------------------------------------------
# The parser


def _data_options(parser, default_text):
    parser.add_argument(
        "--dataset",
        help=f"mnist, fashion-mnist, mnist-mini, or a folder of IDX files / a .npz file "
        f"({default_text})",
    )
    parser.add_argument("--data-dir", help="folder that holds the dataset's four IDX files")
    parser.add_argument(
        "--no-download", action="store_true", help="never download (also: TATAMIKOMI_OFFLINE=1)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tatamikomi",
        description="Convolutional neural networks from scratch in NumPy "
        "(畳み込みニューラルネット).",
    )
    parser.add_argument("--version", action="version", version=f"tatamikomi {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a CNN on MNIST (or another dataset) and save it",
        description="Train a CNN and save it (architecture, weights, history) in one file. "
        "MNIST is found locally ($TATAMIKOMI_DATA, the cache) or downloaded; offline, the "
        "bundled mnist-mini subset is used. Ctrl-C saves a checkpoint; --resume continues it. "
        "What --epochs, --lr and --augment-shift leave unsaid comes from the model's recipe, "
        "measured on MNIST: SimpleConvNet 10 epochs, Adam 0.003, shifts of 2 px (99.2 %); "
        "DeepConvNet 10 epochs, Adam 0.001, shifts of 2 px (99.5 %). The learning rate "
        "follows a cosine.",
    )
    train.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"SimpleConvNet, DeepConvNet, or a JSON spec file (default: {DEFAULT_MODEL})",
    )
    _data_options(train, "default: mnist, else the bundled mnist-mini")
    train.add_argument(
        "--epochs",
        type=int,
        help="epochs to train (default: 10); with --resume, the new total, and a cosine "
        "schedule is stretched to it",
    )
    train.add_argument("--batch-size", type=int, default=100, help="mini-batch size (default: 100)")
    train.add_argument(
        "--optimizer",
        default="adam",
        choices=("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"),
        help="optimizer (default: adam)",
    )
    train.add_argument(
        "--lr", type=float, help="learning rate (default: 0.003 for SimpleConvNet, else 0.001)"
    )
    train.add_argument("--weight-decay", type=float, default=0.0, help="weight decay (default: 0)")
    train.add_argument(
        "--schedule",
        default="cosine",
        choices=("cosine", "constant"),
        help="learning-rate schedule (default: cosine, down to 0 at the end)",
    )
    train.add_argument(
        "--augment-shift",
        type=int,
        metavar="PIXELS",
        help="move each training image by up to this many pixels, at random "
        "(default: 2 for SimpleConvNet and DeepConvNet, else 0)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    train.add_argument(
        "-o", "--output", default=DEFAULT_OUTPUT, help=f"model file (default: {DEFAULT_OUTPUT})"
    )
    train.add_argument("--force", action="store_true", help="replace the output file if it exists")
    train.add_argument("--resume", metavar="CHECKPOINT", help="continue training from this file")
    train.add_argument("-q", "--quiet", action="store_true", help="print only the result")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="accuracy of a saved model on a test set",
        description="Measure a saved model's accuracy and loss on the test set it was trained "
        "for (or --dataset), overall and per class.",
    )
    evaluate.add_argument("model", help="model file saved by `tatamikomi train`")
    _data_options(evaluate, "default: the model's own")
    evaluate.add_argument("--batch-size", type=int, default=500, help="images per forward pass")
    evaluate.set_defaults(handler=_evaluate)

    predict = commands.add_parser(
        "predict",
        help="classify image files with a saved model",
        description="Classify images (PNG, PGM/PPM, .npy; JPEG with Pillow). Each is turned "
        "into a 28x28 grey image like MNIST's: a dark digit on light paper is inverted, cropped, "
        "scaled to 20 pixels and centred.",
    )
    predict.add_argument("model", help="model file saved by `tatamikomi train`")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    predict.add_argument("--top", type=int, default=3, help="how many classes to list (3)")
    predict.set_defaults(handler=_predict)

    summary = commands.add_parser(
        "summary",
        help="layers, output shapes and parameters of a model",
        description="Print each layer's output shape and parameter count, and the training "
        "history of a saved model. MODEL is a model file, a model name or a JSON spec.",
    )
    summary.add_argument("model", help="model file, SimpleConvNet, DeepConvNet or spec.json")
    summary.set_defaults(handler=_summary)

    book = commands.add_parser(
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
    book.add_argument("--force", action="store_true", help="replace the output file if it exists")
    book.set_defaults(handler=_import_book)

    demo = commands.add_parser(
        "demo",
        help="compute and print the lecture's worked examples",
        description="Compute and print the lecture's worked examples: "
        "convolution, padding, stride, bias, pooling and im2col.",
    )
    _lang_option(demo)
    demo.set_defaults(handler=_demo)
    _explain_parser(commands)
    _plot_parser(commands)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except CommandError as error:
        _say(f"tatamikomi {args.command}: {error}")
        return 1
    except KeyboardInterrupt:  # outside training (which saves a checkpoint first)
        _say(f"tatamikomi {args.command}: interrupted")
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which has closed
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
