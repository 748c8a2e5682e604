"""``tatamikomi demo``, ``explain`` and ``plot``: the lecture's examples, computed, explained and
drawn. The work is done by the public :mod:`tatamikomi.explain` and :mod:`tatamikomi.viz`."""

from __future__ import annotations

import functools

from . import _args
from ._args import say_text
from ._common import (
    CommandError,
    check_output,
    error_text,
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
            x = _args.optional_array(args.input, "--input", args.lang)
            w = _args.optional_array(args.filter, "--filter", args.lang)
            result = explain.explain_conv(x, w, stride=args.stride, pad=args.pad, bias=args.bias)
        elif args.what == "pool":
            x = _args.optional_array(args.input, "--input", args.lang)
            result = explain.explain_pool(
                x, args.size, stride=args.stride, pad=args.pad, mode=args.mode
            )
        elif args.what == "im2col":
            if args.input is not None and args.shape is not None:
                raise CommandError(say_text("input_or_shape", args.lang))
            x = args.shape
            if args.input is not None:
                x = _args.parse_array(args.input, "--input", args.lang)
            size = args.filter_size
            fh, fw = (size, size) if isinstance(size, int) else (size or (None, None))
            if x is not None and fh is None:
                raise CommandError(say_text("need_filter_size", args.lang))
            result = explain.explain_im2col(
                x, fh, fw, stride=args.stride, pad=args.pad, max_rows=args.rows
            )
        elif args.what == "flatten":
            result = explain.explain_flatten(args.input_shape, args.pixel)
        elif args.what == "shift":
            x = _args.optional_array(args.input, "--input", args.lang)
            result = explain.explain_shift(
                x, args.shift, args.size, stride=args.stride, mode=args.mode
            )
        else:
            model = model_by_name(args.model, args.lang)
            result = explain.explain_shape(model, args.input_shape)
    except (ValueError, TypeError) as error:
        raise CommandError(error_text(error, args.lang)) from None
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
        x = _args.optional_array(args.input, "--input", args.lang)
        return viz.im2col_figure(x, args.filter_size, stride=args.stride, pad=args.pad, lang=lang)
    if args.what == "pool":
        x = _args.optional_array(args.input, "--input", args.lang)
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
    model = load_model(args.model, lang)
    if args.what == "filters":
        from ..models import build_model

        untrained = None if args.no_random else build_model(model.architecture(), seed=args.seed)
        return viz.filters_figure(model, untrained, lang=lang)
    if args.what == "curves":
        return viz.history_figure(model.history, model_name=type(model).__name__, lang=lang)
    if args.what == "feature-maps":
        if args.max_channels < 0:
            raise CommandError(say_text("max_channels", lang, value=args.max_channels))
        if args.image is not None:
            pixels = mnist_like(model, args.image, lang)[None]
        else:
            data = test_set(args, model, image=args.index)
            if not 0 <= args.index < len(data.x_test):
                raise CommandError(
                    say_text("index_range", lang, last=len(data.x_test) - 1, value=args.index)
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
        raise CommandError(say_text("gif_only", args.lang, output=output))
    if args.what != "slide" and not output.lower().endswith((".png", ".svg", ".pdf")):
        raise CommandError(say_text("picture_suffix", args.lang, wanted=wanted, output=output))
    check_output(output, force=args.force, lang=args.lang)
    try:
        if args.what == "slide":
            x = _args.optional_array(args.input, "--input", args.lang)
            w = _args.optional_array(args.filter, "--filter", args.lang)
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
        raise CommandError(error_text(error, args.lang)) from None
    except FileExistsError as error:
        raise CommandError(say_text("replace_hint", args.lang, error=error)) from None
    print(say_text("wrote", args.lang, output=output))
    return 0


def _explain_parser(commands, lang="en") -> None:
    explain = _args.add_command(
        commands,
        "explain",
        help=say_text("explain_help", lang),
        description=say_text("explain_description", lang),
    )
    kinds = explain.add_subparsers(dest="what", metavar="WHAT", required=True)
    pair = functools.partial(_args.pair_argument, lang=lang)
    shape_of = functools.partial(_args.shape_argument, lang=lang)

    def add(name):
        return _args.add_command(
            kinds,
            name,
            help=say_text(f"explain_{name}_help", lang),
            description=say_text(f"explain_{name}_description", lang),
        )

    def pool_options(parser):
        parser.add_argument("--size", type=pair, default=2, help=say_text("window_size", lang))

    def mode_option(parser):
        parser.add_argument(
            "--mode", choices=("max", "avg"), default="max", help=say_text("pool_mode", lang)
        )

    conv = add("conv")
    conv.add_argument("--input", help=say_text("arg_image", lang))
    conv.add_argument("--filter", help=say_text("explain_conv_filter", lang))
    _args.window_options(conv)
    conv.add_argument("--bias", type=float, help=say_text("explain_bias", lang))
    _args.lang_option(conv)

    pool = add("pool")
    pool.add_argument("--input", help=say_text("arg_image", lang))
    pool_options(pool)
    _args.window_options(pool, stride_default=None)
    mode_option(pool)
    _args.lang_option(pool)

    im2col = add("im2col")
    im2col.add_argument("--input", help=say_text("explain_im2col_input", lang))
    im2col.add_argument("--shape", type=shape_of, help=say_text("explain_im2col_shape", lang))
    im2col.add_argument(
        "--filter-size", type=pair, metavar="FH[,FW]", help=say_text("explain_filter_size", lang)
    )
    _args.window_options(im2col)
    im2col.add_argument("--rows", type=int, default=12, help=say_text("explain_rows", lang))
    _args.lang_option(im2col)

    shape = add("shape")
    shape.add_argument(
        "model", nargs="?", default=DEFAULT_MODEL, help=say_text("summary_model", lang)
    )
    shape.add_argument(
        "--input-shape", type=shape_of, help=say_text("explain_shape_input", lang)
    )
    _args.lang_option(shape)

    flatten = add("flatten")
    flatten.add_argument(
        "--input-shape", type=shape_of, default=(1, 28, 28),
        help=say_text("explain_flatten_input", lang),
    )
    flatten.add_argument("--pixel", type=shape_of, help=say_text("explain_pixel", lang))
    _args.lang_option(flatten)

    shift = add("shift")
    shift.add_argument("--input", help=say_text("arg_image", lang))
    shift.add_argument(
        "--shift", type=shape_of, default=(0, 1), help=say_text("explain_shift", lang)
    )
    pool_options(shift)
    shift.add_argument("--stride", type=pair, default=None, help=say_text("stride_window", lang))
    mode_option(shift)
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
    pair = functools.partial(_args.pair_argument, lang=lang)
    shape_of = functools.partial(_args.shape_argument, lang=lang)
    own = say_text("own_dataset", lang)

    def add(name, key=None, model=True):
        key = key or name
        parser = _args.add_command(
            kinds,
            name,
            help=say_text(f"plot_{key}_help", lang),
            description=say_text(f"plot_{key}_description", lang),
        )
        if model:
            _args.model_file_argument(parser)
        parser.add_argument(
            "-o", "--output", help=say_text("plot_output", lang, default=PLOT_OUTPUTS[name])
        )
        _args.force_option(parser)
        _args.lang_option(parser)
        if name != "slide":
            parser.add_argument("--dpi", type=int, default=100, help=say_text("dpi", lang))
        parser.set_defaults(handler=_plot)
        return parser

    filters = add("filters")
    filters.add_argument(
        "--no-random", action="store_true", help=say_text("plot_no_random", lang)
    )
    filters.add_argument("--seed", type=int, default=0, help=say_text("plot_seed", lang))

    maps = add("feature-maps", "maps")
    maps.add_argument("--index", type=int, default=0, help=say_text("plot_index", lang))
    maps.add_argument("--image", help=say_text("plot_image", lang))
    maps.add_argument(
        "--max-channels", type=int, default=12, help=say_text("plot_max_channels", lang)
    )
    _args.data_options(maps, own)

    add("curves")
    confusion = add("confusion")
    _args.data_options(confusion, own)
    errors = add("errors")
    errors.add_argument("--count", type=int, default=25, help=say_text("plot_count", lang))
    _args.data_options(errors, own)

    im2col = add("im2col", model=False)
    im2col.add_argument("--input", help=say_text("arg_image", lang))
    im2col.add_argument(
        "--filter-size", type=pair, default=3, metavar="FH[,FW]",
        help=say_text("filter_size", lang),
    )
    _args.window_options(im2col)

    pool = add("pool", model=False)
    pool.add_argument("--input", help=say_text("arg_image_2d", lang))
    pool.add_argument("--size", type=pair, default=2, help=say_text("window_size", lang))
    _args.window_options(pool, stride_default=None)
    pool.add_argument(
        "--mode", choices=("max", "avg"), default="max", help=say_text("pool_mode", lang)
    )

    flatten = add("flatten", model=False)
    flatten.add_argument(
        "--pixel", type=shape_of, default=(1, 1), help=say_text("plot_pixel", lang)
    )

    channels = add("channels", model=False)
    channels.add_argument(
        "--input-shape", type=shape_of, default=(3, 7, 7),
        help=say_text("plot_channels_input", lang),
    )
    channels.add_argument("--filters", type=int, default=2, help=say_text("plot_filters", lang))
    channels.add_argument(
        "--filter-size", type=int, default=3, help=say_text("plot_filter_fh", lang)
    )
    _args.window_options(channels)

    slide = add("slide", model=False)
    slide.add_argument("--input", help=say_text("arg_image_2d", lang))
    slide.add_argument("--filter", help=say_text("plot_slide_filter", lang))
    _args.window_options(slide)
    slide.add_argument("--bias", type=float, help=say_text("plot_bias", lang))
    slide.add_argument(
        "--duration", type=int, default=900, help=say_text("plot_duration", lang)
    )


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
