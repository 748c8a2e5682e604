"""``python -m tatamikomi.book [--limit N] SCRIPT.py [args]``: the same as ``tatamikomi book``."""

import sys

from .. import i18n
from .._argparse import Parser, language
from .runner import BookError, add_arguments, run_from_arguments


def main(argv=None) -> int:
    with i18n.use(language()):  # the locale's: the script's own arguments may say --lang
        parser = Parser(prog="python -m tatamikomi.book", description=i18n.text("book.run"))
        add_arguments(parser)
        try:
            return run_from_arguments(parser.parse_args(argv))
        except BookError as error:
            print(f"tatamikomi book: {i18n.say(error)}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
