"""``tatamikomi serve [MODEL ...] [--port N] [--host H] [--lang ja|en] [--open]``."""

from __future__ import annotations

import argparse
import os
import sys

from .. import i18n
from . import _args
from ._common import error_text

HOST = "127.0.0.1"
PORT = 8000


def add_parser(commands) -> None:

    serve = _args.add_command(
        commands,
        "serve",
        help=i18n.text("cli.serve_help"),
        description=i18n.text("cli.serve_description"),
    )
    serve.add_argument("models", nargs="*", metavar="MODEL", help=i18n.text("cli.serve_models"))
    serve.add_argument("--port", type=int, default=PORT, help=i18n.text("cli.port", default=PORT))
    serve.add_argument("--host", default=None, help=i18n.text("cli.host", default=HOST))
    serve.add_argument(
        "--lang",
        choices=tuple(i18n.languages()),
        default=argparse.SUPPRESS,
        help=i18n.text("cli.page_lang"),
    )
    serve.add_argument("--open", action="store_true", help=i18n.text("cli.open"))
    serve.add_argument("--save-dir", default=".", help=i18n.text("cli.save_dir"))
    serve.add_argument("--classroom", action="store_true", help=i18n.text("cli.serve_classroom"))
    serve.set_defaults(handler=run)


def _load(name: str):
    """(label, model, source, path) for a command-line MODEL."""
    from ..models import from_spec, get_model, import_book_params, load

    if name in ("SimpleConvNet", "DeepConvNet"):
        return f"{name} (random)", get_model(name, seed=0).eval(), "spec", None
    if not os.path.isfile(name):
        raise i18n.error(ValueError, "errors.serve_no_model", name=name)
    if name.endswith(".json"):
        with open(name, encoding="utf-8") as f:
            return os.path.basename(name), from_spec(f.read(), seed=0).eval(), "spec", None
    with open(name, "rb") as f:
        pickled = f.read(1) == b"\x80"
    model = import_book_params(name) if pickled else load(name)
    return os.path.basename(name), model, "given", os.path.abspath(name)


def run(args) -> int:
    from .. import io
    from ..serve import api
    from ..serve.server import StudioServer, Studio

    def fail(message):
        print(f"tatamikomi serve: {message}", file=sys.stderr)
        return 1

    try:
        models = [_load(name) for name in args.models]
    except (ValueError, TypeError, FileNotFoundError, io.ModelFileError) as error:
        return fail(error_text(error))
    if not 0 <= args.port <= 65535:
        return fail(i18n.text("cli.port_range", port=args.port))
    if not models:
        models = [
            ("SimpleConvNet (MNIST)", api.default_model(), "pretrained", api.pretrained_path())
        ]
    if not os.path.isdir(args.save_dir):
        return fail(i18n.text("cli.not_a_folder", path=args.save_dir))
    if args.classroom:
        return _classroom(args, models, fail)
    host = args.host or HOST
    studio = Studio(models, save_dir=args.save_dir)
    try:
        server = StudioServer(studio, host, args.port)
    except OSError as error:
        return fail(i18n.text("cli.cannot_listen", host=host, port=args.port, why=error.strerror))
    if not server.loopback_only:
        print(i18n.text("cli.open_to_all", host=host), file=sys.stderr)
    try:  # a Ctrl-C from here on closes the studio properly, even before it is served
        print(i18n.text("cli.studio_at", url=server.url), flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print(i18n.text("cli.stopping"), file=sys.stderr)
        saved = server.close()
        if saved:
            print(i18n.text("cli.studio_stopped", path=saved), file=sys.stderr)
        return 130 if saved else 0
    return 0


def _classroom(args, models, fail) -> int:
    """``serve --classroom``: listen on every address (unless --host), print the student URL
    with its QR code and the instructor URL, and on Ctrl-C end the class (runs saved, the
    class's export written)."""
    from ..serve import lan
    from ..serve.class_routes import ClassServer
    from ..serve.classroom import Classroom

    host = args.host or "0.0.0.0"
    classroom = Classroom(models, save_dir=args.save_dir, lang=i18n.current())
    try:
        server = ClassServer(classroom, host, args.port)
    except OSError as error:
        os.rmdir(classroom.folder)  # made for the class, still empty
        return fail(i18n.text("cli.cannot_listen", host=host, port=args.port, why=error.strerror))
    urls = classroom.urls
    try:  # a Ctrl-C from here on ends the class properly, even before it is served
        try:
            print(lan.qr_terminal(urls["student"]), end="")
        except ImportError:
            print(i18n.text("cli.class_qr_hint", hint=lan.QR_HINT))
        print(i18n.text("cli.class_student", url=urls["student"]))
        if urls["others"]:
            print(i18n.text("cli.class_also", urls=", ".join(urls["others"])))
        print(i18n.text("cli.class_instructor", url=urls["instructor"]))
        print(i18n.text("cli.class_folder", folder=classroom.folder), flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print(i18n.text("cli.stopping"), file=sys.stderr)
        written = server.close()
        print(i18n.text("cli.class_ended", paths=", ".join(written)), file=sys.stderr)
    return 0
