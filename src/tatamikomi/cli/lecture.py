"""``tatamikomi demo``, ``explain`` and ``plot``: the lecture's examples, computed, explained and
drawn. The work is done by the public :mod:`tatamikomi.explain` and :mod:`tatamikomi.viz`."""

from __future__ import annotations

import functools

from .. import i18n
from . import _args, _learned
from ._common import (
    CommandError,
    check_output,
    error_text,
    load_model,
    mnist_like,
    model_by_name,
    photo_input,
    prepare,
    test_scores,
    test_set,
)

DEFAULT_MODEL = "SimpleConvNet"


def _demo(args) -> int:
    from ..demo import lines

    for line in lines():
        print(line)
    return 0


def _why(args):
    """``explain why`` and ``plot why``: the model, its image prepared as ``predict`` prepares
    it, and the WhyExplanation of the methods asked for."""
    from ..explain import explain_why

    model = load_model(args.model)
    image = photo_input(model, args.image)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        return model, explain_why(model, image, methods, args.target, source=args.image)
    except (ValueError, TypeError) as error:
        raise CommandError(error_text(error)) from None


def _why_options(parser) -> None:
    from ..explain import DEFAULT_METHODS, METHODS

    parser.add_argument("image", metavar="IMAGE", help=i18n.text("cli.explain_why_image"))
    parser.add_argument(
        "--methods", default=",".join(DEFAULT_METHODS),
        help=i18n.text("cli.explain_why_methods", methods=",".join(METHODS)),
    )
    parser.add_argument("--target", type=int, help=i18n.text("cli.explain_why_target"))


def _explain(args) -> int:
    from .. import explain

    if args.what == "why":
        print(_why(args)[1].text())
        return 0
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
                raise CommandError(i18n.text("cli.input_or_shape"))
            x = args.shape
            if args.input is not None:
                x = _args.parse_array(args.input, "--input")
            size = args.filter_size
            fh, fw = (size, size) if isinstance(size, int) else (size or (None, None))
            if x is not None and fh is None:
                raise CommandError(i18n.text("cli.need_filter_size"))
            result = explain.explain_im2col(
                x, fh, fw, stride=args.stride, pad=args.pad, max_rows=args.rows
            )
        elif args.what == "flatten":
            result = explain.explain_flatten(args.input_shape, args.pixel)
        elif args.what == "why-cnn":
            result = explain.explain_why_cnn(args.quick)
        elif args.what == "shift":
            if len(args.shift) != 2:
                given = ",".join(map(str, args.shift))
                raise CommandError(i18n.text("cli.shift_two", given=given))
            x = _args.optional_array(args.input, "--input")
            result = explain.explain_shift(
                x, args.shift, args.size, stride=args.stride, mode=args.mode
            )
        else:
            model = model_by_name(args.model)
            try:
                result = explain.explain_shape(model, args.input_shape)
            except ValueError:
                built = getattr(model, "input_shape", None)
                given = args.input_shape
                if given is None or len(given) != 3 or not built or tuple(given) == built:
                    raise
                raise CommandError(
                    i18n.text(
                        "cli.input_shape_model",
                        model=args.model,
                        built=",".join(map(str, built)),
                        given=",".join(map(str, args.input_shape)),
                    )
                ) from None
    except (ValueError, TypeError) as error:
        raise CommandError(error_text(error)) from None
    print(result.text())
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
    "why": "why.png",
    "top-images": "top-images.png",
}


def _figure(args):
    from .. import viz
    if args.what == "im2col":
        x = _args.optional_array(args.input, "--input")
        return viz.im2col_figure(x, args.filter_size, stride=args.stride, pad=args.pad)
    if args.what == "pool":
        x = _args.optional_array(args.input, "--input")
        return viz.pool_figure(
            x, args.size, stride=args.stride, pad=args.pad, mode=args.mode
        )
    if args.what == "flatten":
        return viz.flatten_figure(pixel=args.pixel)
    if args.what == "channels":
        return viz.channels_figure(
            args.input_shape, args.filters, args.filter_size, stride=args.stride, pad=args.pad,
        )
    if args.what == "why":
        model, why = _why(args)
        return viz.why_figure(model, why.image, explanation=why)
    model = load_model(args.model)
    if args.what == "filters" and args.layer is not None:
        return _learned.maxima_figure(args, model)
    if args.what == "top-images":
        return _learned.top_images_figure(args, model)
    if args.what == "filters":
        from ..models import build_model

        untrained = None if args.no_random else build_model(model.architecture(), seed=args.seed)
        return viz.filters_figure(model, untrained)
    if args.what == "curves":
        return viz.history_figure(model.history, model_name=type(model).__name__)
    if args.what == "feature-maps":
        if args.max_channels < 0:
            raise CommandError(i18n.text("cli.max_channels", value=args.max_channels))
        if args.image is not None:
            pixels = mnist_like(model, args.image)[None]
        else:
            data = test_set(args, model, image=args.index)
            if not 0 <= args.index < len(data.x_test):
                raise CommandError(
                    i18n.text("cli.index_range", last=len(data.x_test) - 1, value=args.index)
                )
            pixels = data.x_test[args.index]
        return viz.feature_maps_figure(
            model, prepare(model, pixels[None])[0], max_channels=args.max_channels or None,
        )
    data, scores = test_scores(args, model)
    classes = model.classes or data.classes
    if args.what == "confusion":
        return viz.confusion_figure(data.t_test, scores.argmax(axis=1), classes)
    return viz.misclassified_figure(
        data.x_test, data.t_test, scores, classes, count=args.count
    )


def _plot(args) -> int:
    from .. import viz

    output = args.output or PLOT_OUTPUTS[args.what]
    wanted = ".gif" if args.what == "slide" else ".png"
    if args.what == "slide" and not output.lower().endswith(".gif"):
        raise CommandError(i18n.text("cli.gif_only", output=output))
    if args.what != "slide" and not output.lower().endswith((".png", ".svg", ".pdf")):
        raise CommandError(i18n.text("cli.picture_suffix", wanted=wanted, output=output))
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
                duration=args.duration,
                overwrite=args.force,
            )
        else:
            viz.save_figure(_figure(args), output, overwrite=args.force, dpi=args.dpi)
    except (ImportError, viz.FontNotFoundError, ValueError) as error:
        raise CommandError(error_text(error)) from None
    except FileExistsError as error:
        raise CommandError(i18n.text("cli.replace_hint", error=error)) from None
    print(i18n.text("cli.wrote", output=output))
    return 0


def _explain_parser(commands) -> None:
    explain = _args.add_command(
        commands,
        "explain",
        help=i18n.text("cli.explain_help"),
        description=i18n.text("cli.explain_description"),
    )
    kinds = explain.add_subparsers(dest="what", metavar="WHAT", required=True)
    pair = functools.partial(_args.pair_argument)
    shape_of = functools.partial(_args.shape_argument)

    def add(name, help_key, description_key):
        return _args.add_command(
            kinds, name, help=i18n.text(help_key), description=i18n.text(description_key)
        )

    def pool_options(parser):
        parser.add_argument("--size", type=pair, default=2, help=i18n.text("cli.window_size"))

    def mode_option(parser):
        parser.add_argument(
            "--mode", choices=("max", "avg"), default="max", help=i18n.text("cli.pool_mode")
        )

    conv = add("conv", "cli.explain_conv_help", "cli.explain_conv_description")
    conv.add_argument("--input", help=i18n.text("cli.arg_image"))
    conv.add_argument("--filter", help=i18n.text("cli.explain_conv_filter"))
    _args.window_options(conv)
    conv.add_argument("--bias", type=float, help=i18n.text("cli.explain_bias"))
    _args.lang_option(conv)

    pool = add("pool", "cli.explain_pool_help", "cli.explain_pool_description")
    pool.add_argument("--input", help=i18n.text("cli.arg_image"))
    pool_options(pool)
    _args.window_options(pool, stride_default=None)
    mode_option(pool)
    _args.lang_option(pool)

    im2col = add("im2col", "cli.explain_im2col_help", "cli.explain_im2col_description")
    im2col.add_argument("--input", help=i18n.text("cli.explain_im2col_input"))
    im2col.add_argument("--shape", type=shape_of, help=i18n.text("cli.explain_im2col_shape"))
    im2col.add_argument(
        "--filter-size", type=pair, metavar="FH[,FW]", help=i18n.text("cli.explain_filter_size")
    )
    _args.window_options(im2col)
    im2col.add_argument("--rows", type=int, default=12, help=i18n.text("cli.explain_rows"))
    _args.lang_option(im2col)

    shape = add("shape", "cli.explain_shape_help", "cli.explain_shape_description")
    shape.add_argument(
        "model", nargs="?", default=DEFAULT_MODEL, help=i18n.text("cli.summary_model")
    )
    shape.add_argument(
        "--input-shape", type=shape_of, help=i18n.text("cli.explain_shape_input")
    )
    _args.lang_option(shape)

    flatten = add("flatten", "cli.explain_flatten_help", "cli.explain_flatten_description")
    flatten.add_argument(
        "--input-shape", type=shape_of, default=(1, 28, 28),
        help=i18n.text("cli.explain_flatten_input"),
    )
    flatten.add_argument("--pixel", type=shape_of, help=i18n.text("cli.explain_pixel"))
    _args.lang_option(flatten)

    shift = add("shift", "cli.explain_shift_help", "cli.explain_shift_description")
    shift.add_argument("--input", help=i18n.text("cli.arg_image"))
    shift.add_argument(
        "--shift", type=shape_of, default=(0, 1), help=i18n.text("cli.explain_shift")
    )
    pool_options(shift)
    shift.add_argument("--stride", type=pair, default=None, help=i18n.text("cli.stride_window"))
    mode_option(shift)
    _args.lang_option(shift)

    why = add("why-cnn", "cli.explain_why_cnn_help", "cli.explain_why_cnn_description")
    why.add_argument("--quick", action="store_true", help=i18n.text("cli.explain_why_cnn_quick"))
    _args.lang_option(why)

    why_model = add("why", "cli.explain_why_help", "cli.explain_why_description")
    _args.model_file_argument(why_model)
    _why_options(why_model)
    _args.lang_option(why_model)

    _learned.add_explain_backward(add)
    explain.set_defaults(handler=_explain)


def _plot_parser(commands) -> None:
    plot = _args.add_command(
        commands,
        "plot",
        help=i18n.text("cli.plot_help"),
        description=i18n.text("cli.plot_description"),
    )
    kinds = plot.add_subparsers(dest="what", metavar="WHAT", required=True)
    pair = functools.partial(_args.pair_argument)
    shape_of = functools.partial(_args.shape_argument)
    own = i18n.text("cli.own_dataset")

    def add(name, help_key, description_key, model=True):
        parser = _args.add_command(
            kinds, name, help=i18n.text(help_key), description=i18n.text(description_key)
        )
        if model:
            _args.model_file_argument(parser)
        parser.add_argument(
            "-o", "--output", help=i18n.text("cli.plot_output", default=PLOT_OUTPUTS[name])
        )
        _args.force_option(parser)
        _args.lang_option(parser)
        if name != "slide":
            parser.add_argument("--dpi", type=int, default=100, help=i18n.text("cli.dpi"))
        parser.set_defaults(handler=_plot)
        return parser

    filters = add("filters", "cli.plot_filters_help", "cli.plot_filters_description")
    filters.add_argument(
        "--no-random", action="store_true", help=i18n.text("cli.plot_no_random")
    )
    filters.add_argument("--seed", type=int, default=0, help=i18n.text("cli.plot_seed"))
    _learned.add_filters_options(filters)
    _learned.add_top_images(add)

    maps = add("feature-maps", "cli.plot_maps_help", "cli.plot_maps_description")
    maps.add_argument("--index", type=int, default=0, help=i18n.text("cli.plot_index"))
    maps.add_argument("--image", help=i18n.text("cli.plot_image"))
    maps.add_argument(
        "--max-channels", type=int, default=12, help=i18n.text("cli.plot_max_channels")
    )
    _args.data_options(maps, own)

    add("curves", "cli.plot_curves_help", "cli.plot_curves_description")
    confusion = add("confusion", "cli.plot_confusion_help", "cli.plot_confusion_description")
    _args.data_options(confusion, own)
    errors = add("errors", "cli.plot_errors_help", "cli.plot_errors_description")
    errors.add_argument("--count", type=int, default=25, help=i18n.text("cli.plot_count"))
    _args.data_options(errors, own)

    im2col = add("im2col", "cli.plot_im2col_help", "cli.plot_im2col_description", model=False)
    im2col.add_argument("--input", help=i18n.text("cli.arg_image"))
    im2col.add_argument(
        "--filter-size", type=pair, default=3, metavar="FH[,FW]",
        help=i18n.text("cli.filter_size"),
    )
    _args.window_options(im2col)

    pool = add("pool", "cli.plot_pool_help", "cli.plot_pool_description", model=False)
    pool.add_argument("--input", help=i18n.text("cli.arg_image_2d"))
    pool.add_argument("--size", type=pair, default=2, help=i18n.text("cli.window_size"))
    _args.window_options(pool, stride_default=None)
    pool.add_argument(
        "--mode", choices=("max", "avg"), default="max", help=i18n.text("cli.pool_mode")
    )

    flatten = add("flatten", "cli.plot_flatten_help", "cli.plot_flatten_description", model=False)
    flatten.add_argument(
        "--pixel", type=shape_of, default=(1, 1), help=i18n.text("cli.plot_pixel")
    )

    channels = add(
        "channels", "cli.plot_channels_help", "cli.plot_channels_description", model=False
    )
    channels.add_argument(
        "--input-shape",
        type=shape_of,
        default=(3, 7, 7),
        help=i18n.text("cli.plot_channels_input"),
    )
    channels.add_argument("--filters", type=int, default=2, help=i18n.text("cli.plot_filters"))
    channels.add_argument(
        "--filter-size", type=int, default=3, help=i18n.text("cli.plot_filter_fh")
    )
    _args.window_options(channels)

    slide = add("slide", "cli.plot_slide_help", "cli.plot_slide_description", model=False)
    slide.add_argument("--input", help=i18n.text("cli.arg_image_2d"))
    slide.add_argument("--filter", help=i18n.text("cli.plot_slide_filter"))
    _args.window_options(slide)
    slide.add_argument("--bias", type=float, help=i18n.text("cli.plot_bias"))
    slide.add_argument("--duration", type=int, default=900, help=i18n.text("cli.plot_duration"))

    why = add("why", "cli.plot_why_help", "cli.plot_why_description")
    _why_options(why)


def add_parser(commands) -> None:
    demo = _args.add_command(
        commands,
        "demo",
        help=i18n.text("cli.demo_help"),
        description=i18n.text("cli.demo_description"),
    )
    _args.lang_option(demo)
    demo.set_defaults(handler=_demo)
    _explain_parser(commands)
    _plot_parser(commands)
