"""``tatamikomi export`` and ``tatamikomi import``: model files out to ONNX / PyTorch and back.

Registered by the main parser with :func:`add_parser`; each handler reports a problem in one
line (``tatamikomi export: ...``) and returns 1, never a traceback.
"""

from __future__ import annotations

import os
import sys

from .onnx import DEFAULT_OPSET

_TORCH_SUFFIXES = (".pt", ".pth")


def add_parser(subparsers) -> None:
    """Add the ``export`` and ``import`` commands to the main parser's subparsers."""
    export = subparsers.add_parser(
        "export",
        help="write a model as ONNX (.onnx) or PyTorch (.pt + .py)",
        description="Write a saved model for other tools: model.onnx (ONNX, with a dynamic "
        "batch axis; the classes and preprocessing as metadata), or model.pt (the PyTorch "
        "state_dict) with model.py beside it, which rebuilds the nn.Sequential. Needs "
        'pip install "tatamikomi[onnx]" or "tatamikomi[torch]".',
    )
    export.add_argument(
        "model", help="model file saved by `tatamikomi train` (or SimpleConvNet, DeepConvNet, "
        "spec.json: a new, untrained model)"
    )  # fmt: skip
    export.add_argument(
        "-o", "--output", required=True, help="model.onnx, or model.pt (model.py is written too)"
    )
    export.add_argument("--force", action="store_true", help="replace the output file(s)")
    export.add_argument(
        "--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default: {DEFAULT_OPSET})"
    )
    export.add_argument(
        "--softmax", action="store_true", help="ONNX: end with Softmax (probabilities, not scores)"
    )
    export.set_defaults(handler=_export)

    imports = subparsers.add_parser(
        "import",
        help="read an ONNX file or a model.pt into a tatamikomi model file",
        description="Read model.onnx (a chain of the supported operators) or model.pt (with the "
        "model.py that `tatamikomi export` wrote beside it) into a model file that evaluate, "
        "predict, summary, explain and plot take.",
    )
    imports.add_argument("source", help="model.onnx or model.pt")
    imports.add_argument("-o", "--output", help="model file to write (default: SOURCE.npz)")
    imports.add_argument("--force", action="store_true", help="replace the output file")
    imports.add_argument(
        "--input-shape", metavar="C,H,W", help="one example's shape, if the file does not say it"
    )
    imports.set_defaults(handler=_import)


def _fail(command: str, error: Exception) -> int:
    print(f"tatamikomi {command}: {error}", file=sys.stderr)
    return 1


def _load(name: str):
    from ..models import get_model, load

    if os.path.isfile(name) and not name.endswith(".json"):
        return load(name)
    return get_model(name)


def _export(args) -> int:
    from ..io import ModelFileError

    suffix = os.path.splitext(args.output)[1].lower()
    try:
        if suffix not in (".onnx", *_TORCH_SUFFIXES):
            raise ValueError(f"write {args.output!r} as .onnx or .pt (the output's suffix says "
                             f"which format)")  # fmt: skip
        model = _load(args.model)
        if suffix == ".onnx":
            from .onnx import to_onnx

            to_onnx(model, args.output, args.opset, args.softmax, overwrite=args.force)
            written = args.output
        else:
            from .torch import save_torch

            written = " and ".join(save_torch(model, args.output, overwrite=args.force))
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        return _fail("export", error)
    shape = ", ".join(map(str, model.input_shape))
    print(f"wrote {written}: {type(model).__name__}, input (N, {shape})")
    return 0


def _import(args) -> int:
    from ..io import ModelFileError
    from ..models import save

    suffix = os.path.splitext(args.source)[1].lower()
    output = args.output or os.path.splitext(os.path.basename(args.source))[0] + ".npz"
    try:
        shape = None
        if args.input_shape:
            try:
                shape = tuple(int(s) for s in args.input_shape.replace("x", ",").split(","))
            except ValueError:
                raise ValueError(f"--input-shape takes C,H,W such as 1,28,28; got "
                                 f"{args.input_shape!r}") from None  # fmt: skip
        if suffix == ".onnx":
            from .onnx import from_onnx

            model = from_onnx(args.source, input_shape=shape)
        elif suffix in _TORCH_SUFFIXES:
            from .torch import load_torch

            model = load_torch(args.source)
        else:
            raise ValueError(f"read {args.source!r} as .onnx or .pt (the suffix says which)")
        save(model, output, overwrite=args.force)
    except (ValueError, TypeError, OSError, ImportError, ModelFileError) as error:
        return _fail("import", error)
    print(f"wrote {output}: {len(model.layers)} layers, input (N, "
          f"{', '.join(map(str, model.input_shape))})")  # fmt: skip
    return 0
