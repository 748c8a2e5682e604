"""The ``tatamikomi`` command line."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _demo(args) -> int:
    from .demo import lines

    for line in lines(args.lang):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tatamikomi",
        description="Convolutional neural networks from scratch in NumPy "
        "(畳み込みニューラルネット).",
    )
    parser.add_argument("--version", action="version", version=f"tatamikomi {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="compute and print the lecture's worked examples",
        description="Compute and print the lecture's worked examples: "
        "convolution, padding, stride, bias, pooling and im2col.",
    )
    demo.add_argument(
        "--lang",
        choices=("en", "ja"),
        default="en",
        help="language of the explanations (default: en)",
    )
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except BrokenPipeError:  # output piped into e.g. `head`, which has closed
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
