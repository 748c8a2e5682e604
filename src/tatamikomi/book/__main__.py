"""``python -m tatamikomi.book [--limit N] SCRIPT.py [args]``: the same as ``tatamikomi book``."""

import sys

from .. import i18n
from .._argparse import Parser, language
from .runner import BookError, add_arguments, run_from_arguments


def main(argv=None) -> int:
    lang = language()  # the locale's: the script's own arguments may say --lang
    parser = Parser(prog="python -m tatamikomi.book", description=i18n.text("book.run", lang),
                    lang=lang)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
        args.lang = lang
        return run_from_arguments(args)
    except BookError as error:
        print(f"tatamikomi book: {i18n.say(error, lang)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
