"""``python -m tatamikomi.book [--limit N] SCRIPT.py [args]``: the same as ``tatamikomi book``."""

import argparse
import sys

from .runner import BookError, add_arguments, run_from_arguments


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tatamikomi.book",
                                     description="Run a script of the book's repository unchanged.")
    add_arguments(parser)
    try:
        return run_from_arguments(parser.parse_args(argv))
    except BookError as error:
        print(f"tatamikomi book: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
