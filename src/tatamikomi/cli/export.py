"""``tatamikomi export`` and ``tatamikomi import``: model files out to ONNX / PyTorch and back.

Each handler reports a problem in one line (``tatamikomi export: ...``) and returns 1, never a
traceback. The formats themselves are :mod:`tatamikomi.export`.
"""

from __future__ import annotations

import os

import numpy as np

from .. import i18n
from ..export.onnx import DEFAULT_DTYPE, DEFAULT_OPSET, DTYPES
from ..io import ModelFileError
from ..models import save
from . import _args
from ._common import CommandError, check_outputs, error_text, model_by_name, say

_TORCH_SUFFIXES = (".pt", ".pth")


def add_parser(subparsers) -> None:
    """Add the ``export`` and ``import`` commands to the main parser's subparsers."""


    export = _args.add_command(
        subparsers,
        "export",
        help=i18n.text("cli.export_help"),
        description=i18n.text("cli.export_description"),
    )
    export.add_argument("model", help=i18n.text("cli.export_model"))
    export.add_argument("-o", "--output", required=True, help=i18n.text("cli.export_output"))
    export.add_argument("--force", action="store_true", help=i18n.text("cli.export_force"))
    export.add_argument(
        "--opset",
        type=int,
        default=DEFAULT_OPSET,
        help=i18n.text("cli.opset", default=DEFAULT_OPSET),
    )
    export.add_argument("--softmax", action="store_true", help=i18n.text("cli.softmax"))
    export.add_argument(
        "--dtype", choices=DTYPES, default=DEFAULT_DTYPE, help=i18n.text("cli.export_dtype")
    )
    export.set_defaults(handler=_export)

    imports = _args.add_command(
        subparsers,
        "import",
        help=i18n.text("cli.import_help"),
        description=i18n.text("cli.import_description"),
    )
    imports.add_argument("source", help=i18n.text("cli.import_source"))
    imports.add_argument("-o", "--output", help=i18n.text("cli.import_output"))
    imports.add_argument("--force", action="store_true", help=i18n.text("cli.force"))
    imports.add_argument("--input-shape", metavar="C,H,W", help=i18n.text("cli.input_shape"))
    imports.set_defaults(handler=_import)


def _outputs(output: str, suffix: str) -> list[str]:
    """Every file ``export -o output`` writes (model.pt brings model.py)."""
    if suffix == ".onnx":
        return [output]
    from ..export.torch import output_paths

    return list(output_paths(output))


def _export(args) -> int:
    suffix = os.path.splitext(args.output)[1].lower()
    if suffix not in (".onnx", *_TORCH_SUFFIXES):
        raise CommandError(i18n.text("cli.export_suffix", path=repr(args.output)))
    check_outputs(_outputs(args.output, suffix), force=args.force)
    model = model_by_name(args.model)
    try:
        if suffix == ".onnx":
            from ..export.onnx import to_onnx

            to_onnx(
                model,
                args.output,
                args.opset,
                args.softmax,
                overwrite=args.force,
                dtype=args.dtype,
            )
            _say_dtype(np.dtype(model.dtype).name, args.dtype)
            written = args.output
        else:
            from ..export.torch import save_torch

            files = save_torch(model, args.output, overwrite=args.force)
            written = i18n.text("cli.and").join(files)
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        raise CommandError(error_text(error)) from None
    shape = ", ".join(map(str, model.input_shape))
    name = type(model).__name__
    print(i18n.text("cli.exported", written=written, model=name, shape=shape))
    return 0


def _say_dtype(model_dtype: str, dtype: str) -> None:
    """One line when the ONNX file's numbers differ from the model's, or are float64."""
    if dtype == "float64":
        say(i18n.text("cli.onnx_float64"))
    elif model_dtype != dtype:
        say(i18n.text("cli.onnx_cast", model_dtype=model_dtype, dtype=dtype))


def _input_shape(text):
    if not text:
        return None
    try:
        return tuple(int(s) for s in text.replace("x", ",").split(","))
    except ValueError:
        raise CommandError(i18n.text("cli.input_shape_form", text=repr(text))) from None


def _import(args) -> int:
    suffix = os.path.splitext(args.source)[1].lower()
    output = args.output or os.path.splitext(os.path.basename(args.source))[0] + ".npz"
    if suffix not in (".onnx", *_TORCH_SUFFIXES):
        raise CommandError(i18n.text("cli.import_suffix", path=repr(args.source)))
    check_outputs([output], force=args.force)
    shape = _input_shape(args.input_shape)
    try:
        if suffix == ".onnx":
            from ..export.onnx import from_onnx

            model = from_onnx(args.source, input_shape=shape)
        else:
            from ..export.torch import load_torch

            model = load_torch(args.source)
        save(model, output, overwrite=args.force)
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        raise CommandError(error_text(error)) from None
    shape = ", ".join(map(str, model.input_shape))
    count = len(model.layers)
    print(i18n.text("cli.imported_model", output=output, count=count, shape=shape))
    return 0
