"""``tatamikomi export`` and ``tatamikomi import``: model files out to ONNX / PyTorch and back.

Each handler reports a problem in one line (``tatamikomi export: ...``) and returns 1, never a
traceback. The formats themselves are :mod:`tatamikomi.export`.
"""

from __future__ import annotations

import os

import numpy as np

from ..export.onnx import DEFAULT_DTYPE, DEFAULT_OPSET, DTYPES
from ..io import ModelFileError
from ..models import save
from . import _args
from ._args import say_text
from ._common import CommandError, check_outputs, error_text, model_by_name, say

_TORCH_SUFFIXES = (".pt", ".pth")


def add_parser(subparsers, lang="en") -> None:
    """Add the ``export`` and ``import`` commands to the main parser's subparsers."""

    def help(name, **values):
        return say_text(name, lang, **values)

    export = _args.add_command(
        subparsers, "export", help=help("export_help"), description=help("export_description")
    )
    export.add_argument("model", help=help("export_model"))
    export.add_argument("-o", "--output", required=True, help=help("export_output"))
    export.add_argument("--force", action="store_true", help=help("export_force"))
    export.add_argument(
        "--opset", type=int, default=DEFAULT_OPSET, help=help("opset", default=DEFAULT_OPSET)
    )
    export.add_argument("--softmax", action="store_true", help=help("softmax"))
    export.add_argument(
        "--dtype", choices=DTYPES, default=DEFAULT_DTYPE, help=help("export_dtype")
    )
    export.set_defaults(handler=_export)

    imports = _args.add_command(
        subparsers, "import", help=help("import_help"), description=help("import_description")
    )
    imports.add_argument("source", help=help("import_source"))
    imports.add_argument("-o", "--output", help=help("import_output"))
    imports.add_argument("--force", action="store_true", help=help("force"))
    imports.add_argument("--input-shape", metavar="C,H,W", help=help("input_shape"))
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
        raise CommandError(say_text("export_suffix", args.lang, path=repr(args.output)))
    check_outputs(_outputs(args.output, suffix), force=args.force, lang=args.lang)
    model = model_by_name(args.model, args.lang)
    try:
        if suffix == ".onnx":
            from ..export.onnx import to_onnx

            to_onnx(
                model, args.output, args.opset, args.softmax, overwrite=args.force,
                dtype=args.dtype,
            )
            _say_dtype(np.dtype(model.dtype).name, args.dtype, args.lang)
            written = args.output
        else:
            from ..export.torch import save_torch

            files = save_torch(model, args.output, overwrite=args.force)
            written = say_text("and", args.lang).join(files)
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        raise CommandError(error_text(error, args.lang)) from None
    shape = ", ".join(map(str, model.input_shape))
    name = type(model).__name__
    print(say_text("exported", args.lang, written=written, model=name, shape=shape))
    return 0


def _say_dtype(model_dtype: str, dtype: str, lang: str) -> None:
    """One line when the ONNX file's numbers differ from the model's, or are float64."""
    if dtype == "float64":
        say(say_text("onnx_float64", lang))
    elif model_dtype != dtype:
        say(say_text("onnx_cast", lang, model_dtype=model_dtype, dtype=dtype))


def _input_shape(text, lang):
    if not text:
        return None
    try:
        return tuple(int(s) for s in text.replace("x", ",").split(","))
    except ValueError:
        raise CommandError(say_text("input_shape_form", lang, text=repr(text))) from None


def _import(args) -> int:
    suffix = os.path.splitext(args.source)[1].lower()
    output = args.output or os.path.splitext(os.path.basename(args.source))[0] + ".npz"
    if suffix not in (".onnx", *_TORCH_SUFFIXES):
        raise CommandError(say_text("import_suffix", args.lang, path=repr(args.source)))
    check_outputs([output], force=args.force, lang=args.lang)
    shape = _input_shape(args.input_shape, args.lang)
    try:
        if suffix == ".onnx":
            from ..export.onnx import from_onnx

            model = from_onnx(args.source, input_shape=shape)
        else:
            from ..export.torch import load_torch

            model = load_torch(args.source)
        save(model, output, overwrite=args.force)
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        raise CommandError(error_text(error, args.lang)) from None
    shape = ", ".join(map(str, model.input_shape))
    count = len(model.layers)
    print(say_text("imported_model", args.lang, output=output, count=count, shape=shape))
    return 0
