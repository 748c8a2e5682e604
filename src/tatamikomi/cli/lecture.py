"""``tatamikomi demo``, ``explain`` and ``plot``: the lecture's examples, computed, explained and
drawn. The work is done by the public :mod:`tatamikomi.explain` and :mod:`tatamikomi.viz`."""

from __future__ import annotations


from . import _args
from ._args import say_text
from ._common import (
    CommandError,
    check_output,
    load_model,
    mnist_like,
    model_by_name,
    prepare,
    test_scores,
    test_set,
)

DEFAULT_MODEL = "SimpleConvNet"


def _demo(args) -> int:
    from ..demo import lines

    for line in lines(args.lang):
        print(line)
    return 0


def _explain(args) -> int:
    from .. import explain

    try:
        if args.what == "conv":
            x = _args.optional_array(args.input, "--input")
            w = _args.optional_array(args.filter, "--filter")
            result = explain.explain_conv(x, w, stride=args.stride, pad=args.pad, bias=args.bias)
        elif args.what == "pool":
            x = _args.optional_array(args.input, "--input")
            result = explain.explain_pool(
                x, args.size, stride=args.stride, pad=args.pad, mode=args.mode
            )
        elif args.what == "im2col":
            if args.input is not None and args.shape is not None:
                raise CommandError("give --input or --shape, not both")
            x = _args.parse_array(args.input, "--input") if args.input is not None else args.shape
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
            x = _args.optional_array(args.input, "--input")
            result = explain.explain_shift(
                x, args.shift, args.size, stride=args.stride, mode=args.mode
            )
        else:
            result = explain.explain_shape(model_by_name(args.model), args.input_shape)
    except (ValueError, TypeError) as error:
        raise CommandError(str(error)) from None
    print(result.text(args.lang))
    return 0


PLOT_OUTPUTS = {
    "filters": "filters.png",
    "feature-maps": "feature-maps.png",
    "curves": "curves.png",
    "confusion": "confusion.png",
    "errors": "errors.png",
    "im2col": "im2col.png",
    "pool": "pool.png",
    "flatten": "flatten.png",
    "channels": "channels.png",
    "slide": "slide.gif",
}


def _figure(args):
    from .. import viz

    lang = args.lang
    if args.what == "im2col":
        x = _args.optional_array(args.input, "--input")
        return viz.im2col_figure(x, args.filter_size, stride=args.stride, pad=args.pad, lang=lang)
    if args.what == "pool":
        x = _args.optional_array(args.input, "--input")
        return viz.pool_figure(
            x, args.size, stride=args.stride, pad=args.pad, mode=args.mode, lang=lang
        )
    if args.what == "flatten":
        return viz.flatten_figure(pixel=args.pixel, lang=lang)
    if args.what == "channels":
        return viz.channels_figure(
            args.input_shape, args.filters, args.filter_size, stride=args.stride, pad=args.pad,
            lang=lang,
        )
    model = load_model(args.model)
    if args.what == "filters":
        from ..models import build_model

        untrained = None if args.no_random else build_model(model.architecture(), seed=args.seed)
        return viz.filters_figure(model, untrained, lang=lang)
    if args.what == "curves":
        return viz.history_figure(model.history, model_name=type(model).__name__, lang=lang)
    if args.what == "feature-maps":
        if args.max_channels < 0:
            raise CommandError(f"--max-channels must be 0 (all) or more; got {args.max_channels}")
        if args.image is not None:
            pixels = mnist_like(model, args.image)[None]
        else:
            data = test_set(args, model)
            if not 0 <= args.index < len(data.x_test):
                raise CommandError(
                    f"--index must be between 0 and {len(data.x_test) - 1}; got {args.index}"
                )
            pixels = data.x_test[args.index]
        return viz.feature_maps_figure(
            model, prepare(model, pixels[None])[0], max_channels=args.max_channels or None,
            lang=lang,
        )
    data, scores = test_scores(args, model)
    classes = model.classes or data.classes
    if args.what == "confusion":
        return viz.confusion_figure(data.t_test, scores.argmax(axis=1), classes, lang=lang)
    return viz.misclassified_figure(
        data.x_test, data.t_test, scores, classes, count=args.count, lang=lang
    )


def _plot(args) -> int:
    from .. import viz

    output = args.output or PLOT_OUTPUTS[args.what]
    wanted = ".gif" if args.what == "slide" else ".png"
    if args.what == "slide" and not output.lower().endswith(".gif"):
        raise CommandError(f"the animation is written as a GIF; give -o NAME.gif, not {output}")
    if args.what != "slide" and not output.lower().endswith((".png", ".svg", ".pdf")):
        raise CommandError(f"give -o NAME{wanted} (or .svg, .pdf); got {output}")
    check_output(output, force=args.force)
    try:
        if args.what == "slide":
            x = _args.optional_array(args.input, "--input")
            w = _args.optional_array(args.filter, "--filter")
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


def _explain_parser(commands, lang="en") -> None:
    explain = _args.add_command(
        commands,
        "explain",
        help=say_text("explain_help", lang),
        description=say_text("explain_description", lang),
    )
    kinds = explain.add_subparsers(dest="what", metavar="WHAT", required=True)

    conv = _args.add_command(
        kinds,
        "conv",
        help="a convolution, element by element",
        description="Explain a convolution of one image. Without --input and --filter, the "
        "lecture's 4x4 input and 3x3 filter. A multi-channel input sums over channels.",
    )
    conv.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    conv.add_argument(
        "--filter", help="the filter (FH, FW), (C, FH, FW) or (FN, C, FH, FW), as text or .npy"
    )
    _args.window_options(conv)
    conv.add_argument("--bias", type=float, help="bias added to every output (default: none)")
    _args.lang_option(conv)

    pool = _args.add_command(
        kinds,
        "pool",
        help="max or average pooling, window by window",
        description="Explain max or average pooling of one image (by default the lecture's "
        "4x4 input with a 2x2 window and stride 2).",
    )
    pool.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    pool.add_argument("--size", type=_args.pair_argument, default=2, help="window size")
    _args.window_options(pool, stride_default=None)
    pool.add_argument("--mode", choices=("max", "avg"), default="max", help="max or avg")
    _args.lang_option(pool)

    im2col = _args.add_command(
        kinds,
        "im2col",
        help="the im2col matrix and its shape",
        description="Explain im2col: which window each row comes from and why the matrix is "
        "(N*OH*OW, C*FH*FW). By default the lecture's example, a (10, 3, 7, 7) batch of random "
        "numbers with a 5x5 filter, which gives (90, 75).",
    )
    im2col.add_argument("--input", help="an image or batch, as text or .npy")
    im2col.add_argument(
        "--shape",
        type=_args.shape_argument,
        help="a batch shape N,C,H,W filled with random numbers",
    )
    im2col.add_argument(
        "--filter-size", type=_args.pair_argument, metavar="FH[,FW]", help="filter size, e.g. 5"
    )
    _args.window_options(im2col)
    im2col.add_argument("--rows", type=int, default=12, help="rows of the matrix to show")
    _args.lang_option(im2col)

    shape = _args.add_command(
        kinds,
        "shape",
        help="how a model changes the shape, layer by layer",
        description="Explain the shape of one input through each layer of a model, with the "
        "output-size formula of each convolution and pooling layer.",
    )
    shape.add_argument(
        "model",
        nargs="?",
        default=DEFAULT_MODEL,
        help="model file, SimpleConvNet, DeepConvNet or spec.json",
    )
    shape.add_argument(
        "--input-shape",
        type=_args.shape_argument,
        help="one input's shape C,H,W (default: the model's)",
    )
    _args.lang_option(shape)

    flatten = _args.add_command(
        kinds,
        "flatten",
        help="where neighbouring pixels go when an Affine layer flattens its input",
        description="Explain flattening for an Affine layer: where a pixel and its neighbours "
        "land in the flattened vector (the pixel below is W places away), and the shape a "
        "convolution keeps instead.",
    )
    flatten.add_argument(
        "--input-shape", type=_args.shape_argument, default=(1, 28, 28), help="one input's C,H,W"
    )
    flatten.add_argument(
        "--pixel",
        type=_args.shape_argument,
        help="row,column (or channel,row,column); default: the middle",
    )
    _args.lang_option(flatten)

    shift = _args.add_command(
        kinds,
        "shift",
        help="pooling of an input and of the same input shifted by a pixel",
        description="Explain how pooling takes a small shift of its input: the lecture's 4x4 "
        "input (or --input) and the same input moved by --shift pixels, window by window. Some "
        "outputs absorb the shift, some do not.",
    )
    shift.add_argument("--input", help="the image (H, W) or (C, H, W), as text or .npy")
    shift.add_argument(
        "--shift",
        type=_args.shape_argument,
        default=(0, 1),
        help="down,right in pixels, negative for up or left (--shift=-1,0)",
    )
    shift.add_argument("--size", type=_args.pair_argument, default=2, help="window size")
    shift.add_argument(
        "--stride", type=_args.pair_argument, default=None, help="stride (default: the window size)"
    )
    shift.add_argument("--mode", choices=("max", "avg"), default="max", help="max or avg")
    _args.lang_option(shift)
    explain.set_defaults(handler=_explain)


def _plot_parser(commands, lang="en") -> None:
    plot = _args.add_command(
        commands,
        "plot",
        help=say_text("plot_help", lang),
        description=say_text("plot_description", lang),
    )
    kinds = plot.add_subparsers(dest="what", metavar="WHAT", required=True)

    def add(name, help, description, model=True):
        parser = _args.add_command(kinds, name, help, description)
        if model:
            _args.model_file_argument(parser)
        parser.add_argument("-o", "--output", help=f"file to write (default: {PLOT_OUTPUTS[name]})")
        _args.force_option(parser)
        _args.lang_option(parser)
        if name != "slide":
            parser.add_argument("--dpi", type=int, default=100, help="resolution in dots per inch")
        parser.set_defaults(handler=_plot)
        return parser

    filters = add(
        "filters",
        "first-layer filters, random before training and learned after",
        "Draw the first convolution layer's filters: above, those of the same network freshly "
        "initialised (random); below, the trained ones.",
    )
    filters.add_argument("--no-random", action="store_true", help="draw only the trained filters")
    filters.add_argument("--seed", type=int, default=0, help="seed of the random filters")

    maps = add(
        "feature-maps",
        "one image through each convolution and pooling layer",
        "Draw what each convolution and pooling layer makes of one image: a test image "
        "(--index) or an image file (--image, prepared as `predict` does).",
    )
    maps.add_argument("--index", type=int, default=0, help="test image number")
    maps.add_argument("--image", help="an image file instead of a test image")
    maps.add_argument(
        "--max-channels", type=int, default=12, help="channels to draw per layer (0: all of them)"
    )
    _args.data_options(maps, "the model's own")

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
    _args.data_options(confusion, "the model's own")
    errors = add(
        "errors",
        "a grid of misclassified test images",
        "Draw the test images the model gets wrong, the most confident mistakes first, "
        "with their true and predicted labels.",
    )
    errors.add_argument("--count", type=int, default=25, help="how many to draw")
    _args.data_options(errors, "the model's own")

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
        type=_args.pair_argument,
        default=3,
        metavar="FH[,FW]",
        help="filter size",
    )
    _args.window_options(im2col)

    pool = add(
        "pool",
        "pooling's windows and their maxima on the lecture's input",
        "Draw max (or average) pooling: each window over the input feature map in its own "
        "colour, the value that wins, and the output feature map (default: the lecture's 4x4 "
        "input, 2x2 windows, stride 2).",
        model=False,
    )
    pool.add_argument("--input", help="the image (H, W), as text or .npy")
    pool.add_argument("--size", type=_args.pair_argument, default=2, help="window size")
    _args.window_options(pool, stride_default=None)
    pool.add_argument("--mode", choices=("max", "avg"), default="max", help="max or avg")

    flatten = add(
        "flatten",
        "an image flattened for an Affine layer: neighbours end up W apart",
        "Draw the lecture's 4x4 input flattened into one row, each image row in its own "
        "colour, a pixel and the one below it outlined in both.",
        model=False,
    )
    flatten.add_argument(
        "--pixel", type=_args.shape_argument, default=(1, 1), help="row,column to outline"
    )

    channels = add(
        "channels",
        "channels as blocks: (C, H, W) with (FN, C, FH, FW) filters gives (FN, OH, OW)",
        "Draw an input of several channels, the filters (one FH x FW slice per input channel) "
        "and the output, one channel per filter, with every shape labelled.",
        model=False,
    )
    channels.add_argument(
        "--input-shape", type=_args.shape_argument, default=(3, 7, 7), help="C,H,W of the input"
    )
    channels.add_argument("--filters", type=int, default=2, help="number of filters FN")
    channels.add_argument("--filter-size", type=int, default=3, help="filter size FH = FW")
    _args.window_options(channels)

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
    _args.window_options(slide)
    slide.add_argument("--bias", type=float, help="bias (default: none)")
    slide.add_argument("--duration", type=int, default=900, help="milliseconds per frame")


def add_parser(commands, lang="en") -> None:
    demo = _args.add_command(
        commands,
        "demo",
        help=say_text("demo_help", lang),
        description=say_text("demo_description", lang),
    )
    _args.lang_option(demo)
    demo.set_defaults(handler=_demo)
    _explain_parser(commands, lang)
    _plot_parser(commands, lang)
