"""``explain backward``, ``plot filters --layer`` and ``plot top-images``: the backward pass cell
by cell, and what a convolution channel looks for. The work is done by
:mod:`tatamikomi.explain.backward`, :mod:`tatamikomi.explain.filters` and
:mod:`tatamikomi.viz.learned`; :mod:`.lecture` adds these to its ``explain`` and ``plot``."""

from __future__ import annotations

from .. import i18n
from . import _args
from ._common import CommandError, error_text, model_by_name, photo_input, prepare

#: gradient ascent's steps for ``plot filters --layer`` (the library's bound is the most)
STEPS = 200
#: the test images ``plot top-images`` and ``explain backward --model`` take by default
DEFAULT_DATASET = "mnist-mini"


# ---------------------------------------------------------------------------------------------
# explain backward


def add_explain_backward(add) -> None:
    """``explain backward``; ``add(name, help_key, description_key)`` makes its parser."""
    parser = add("backward", "cli.explain_backward_help", "cli.explain_backward_description")
    parser.add_argument("--input", help=i18n.text("cli.arg_image"))
    parser.add_argument("--filter", help=i18n.text("cli.explain_conv_filter"))
    parser.add_argument("--dout", help=i18n.text("cli.explain_backward_dout"))
    parser.add_argument(
        "--stride", type=_args.pair_argument, help=i18n.text("cli.explain_backward_stride")
    )
    parser.add_argument("--pad", type=_args.pair_argument, default=0, help=i18n.text("cli.pad"))
    parser.add_argument(
        "--pool", choices=("max", "avg"), help=i18n.text("cli.explain_backward_pool")
    )
    parser.add_argument(
        "--size", type=_args.pair_argument, default=2, help=i18n.text("cli.window_size")
    )
    parser.add_argument("--cell", help=i18n.text("cli.explain_backward_cell"))
    parser.add_argument("--tap", help=i18n.text("cli.explain_backward_tap"))
    parser.add_argument("--model", help=i18n.text("cli.explain_backward_model"))
    parser.add_argument(
        "--index", type=int, default=0, help=i18n.text("cli.explain_backward_index")
    )
    parser.add_argument("--image", help=i18n.text("cli.explain_backward_image"))
    parser.add_argument("--layer", help=i18n.text("cli.explain_backward_layer"))
    parser.add_argument("--target", type=int, help=i18n.text("cli.explain_backward_target"))
    parser.add_argument("--loss", action="store_true", help=i18n.text("cli.explain_backward_loss"))
    _args.lang_option(parser)
    parser.set_defaults(handler=explain_backward)


def _test_image(model, index: int):
    """Test image ``index`` of mnist-mini as the model's input, its label and its name."""
    from ..data import load_mini

    data = load_mini(split="test")
    if not 0 <= index < len(data.x_test):
        raise CommandError(
            i18n.text("cli.index_range", last=len(data.x_test) - 1, value=index)
        )
    pixels = prepare(model, data.x_test[index : index + 1])[0]
    return pixels, int(data.t_test[index]), f"{DEFAULT_DATASET} #{index}"


def explain_backward(args) -> int:
    from ..explain import explain_backward as explain

    try:
        if args.model is not None:
            model = model_by_name(args.model)
            if args.image is not None:  # a photo or drawing, prepared as predict prepares it
                image, label, name = photo_input(model, args.image), None, args.image
            else:
                image, label, name = _test_image(model, args.index)
            if args.loss and args.target is None and label is None:
                raise CommandError(i18n.text("cli.explain_backward_loss_target"))
            target = args.target if args.target is not None or not args.loss else label
            result = explain(
                model=model, image=image, layer=args.layer, target=target, loss=args.loss,
                cell=args.cell, tap=args.tap, image_name=name,
            )
        else:
            result = explain(
                _args.optional_array(args.input, "--input"),
                _args.optional_array(args.filter, "--filter"),
                dout=_args.optional_array(args.dout, "--dout"),
                stride=args.stride, pad=args.pad, pool=args.pool, size=args.size,
                cell=args.cell, tap=args.tap,
            )
    except (ValueError, TypeError) as error:
        raise CommandError(error_text(error)) from None
    print(result.text())
    return 0


# ---------------------------------------------------------------------------------------------
# plot filters --layer, plot top-images


def add_filters_options(parser) -> None:
    """``plot filters --layer NAME --steps N``."""
    from ..explain.filters import MAX_STEPS

    parser.add_argument("--layer", help=i18n.text("cli.plot_filters_layer"))
    parser.add_argument(
        "--steps", type=int, default=STEPS,
        help=i18n.text("cli.plot_filters_steps", most=MAX_STEPS),
    )
    parser.add_argument(
        "--centre", action="store_true", help=i18n.text("cli.plot_filters_centre")
    )


def add_top_images(add) -> None:
    """``plot top-images``; ``add(name, help_key, description_key)`` makes its parser."""
    from ..explain.filters import MAX_K

    parser = add("top-images", "cli.plot_filters_top_help", "cli.plot_filters_top_description")
    parser.add_argument("--layer", help=i18n.text("cli.plot_filters_top_layer"))
    parser.add_argument(
        "--channel", type=int, default=0, help=i18n.text("cli.plot_filters_top_channel")
    )
    parser.add_argument(
        "--count", type=int, default=9, help=i18n.text("cli.plot_filters_top_k", most=MAX_K)
    )
    _args.data_options(parser, i18n.text("cli.plot_filters_top_default"))


def _bounded(value: int, option: str, most: int) -> None:
    if not 1 <= value <= most:
        raise CommandError(
            i18n.text("errors.filters_bound", name=option, value=value, low=1, high=most)
        )


def _first_conv(model) -> str | None:
    from ..explain.filters import conv_layers

    found = conv_layers(model)
    return found[0][0] if found else None


def maxima_figure(args, model):
    """``plot filters --layer``: each channel's maximising input (the first convolution's
    weights under them)."""
    from .. import viz
    from ..explain import maximise_channels

    from ..explain.filters import MAX_STEPS

    _bounded(args.steps, "--steps", MAX_STEPS)
    low, high = 0.0, 1.0  # the model's input: pixels divided by 255
    try:
        maxima = maximise_channels(model, args.layer, steps=args.steps, seed=args.seed,
                                   low=low, high=high, centre=args.centre)
    except ValueError as error:
        raise CommandError(error_text(error)) from None
    weights = None
    if args.layer == _first_conv(model):
        weights = dict(model.layers.items())[args.layer].W
    return viz.channel_maxima_figure(maxima, model_name=type(model).__name__, weights=weights)


def top_images_figure(args, model):
    """``plot top-images``: the test images that excite one channel most."""
    from .. import viz
    from ..explain import top_images
    from ._common import test_set

    from ..explain.filters import MAX_K

    _bounded(args.count, "--count", MAX_K)
    if args.dataset is None and args.data_dir is None:
        args.dataset = DEFAULT_DATASET
    layer = args.layer or _first_conv(model)
    data = test_set(args, model)
    try:
        top = top_images(model, layer, args.channel, prepare(model, data.x_test), k=args.count)
    except ValueError as error:
        raise CommandError(error_text(error)) from None
    return viz.top_images_figure(
        top, model_name=type(model).__name__, dataset=data.name, total=len(data.x_test)
    )
