"""The studio's HTTP server: the standard library's ThreadingHTTPServer, JSON in and out, and
Server-Sent Events for a training run.

Safe by default: it binds 127.0.0.1; it serves only its own static files (a fixed list read at
start) and the models it was given or trained (by id, never by a path from the request; a
model's file is streamed, and only while it is a regular file); request bodies and images are
limited in size, a JSON body in nesting depth and in the digits of its numbers (NaN and
Infinity refused); a request must arrive within ``request_seconds``; POST bodies must be JSON
(which a page on another site cannot send without asking first); while the address it is bound
to is a loopback one (however it was spelled: ``127.1``, ``localhost``), a request with a foreign
Host header is refused (DNS rebinding). Every status, the HTTP layer's own included, is
answered ``{"error": "...", "status": N}`` in the request's language (``?lang=``, a body's
``"lang"``, else the studio's); an unexpected error gets a 500 with one line, a client that
left gets nothing (and no traceback), and the server stays up.

The JSON API is documented in docs/studio.md. Arrays in answers are nested lists, or for more
than ``PACK_OVER`` values ``{"shape": [...], "dtype": "float32", "base64": "..."}`` (little
endian); non-finite numbers (a max pooling's -inf padding) are ``null`` in lists.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import math
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import numpy as np

from .. import i18n, io
from . import api
from .api import RequestError, refused

#: the largest request body, for a model upload and for everything else
MAX_MODEL_BODY = 64 * 1024 * 1024
MAX_BODY = 8 * 1024 * 1024
#: models kept in memory at most (given, trained and uploaded together)
MAX_MODELS = 16
PACK_OVER = 1024
#: a JSON body's deepest nesting, and the most digits of a whole number in it
MAX_JSON_DEPTH = 32
MAX_DIGITS = 30
#: how much of a model's file is read and sent at a time
CHUNK = 1024 * 1024

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


# ---------------------------------------------------------------------------------------------
# JSON


def to_json(value):
    """``value`` with NumPy arrays and numbers made JSON-ready (see the module docstring)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.size > PACK_OVER and value.dtype.kind == "f":
            data = np.ascontiguousarray(value, dtype="<f4")
            return {
                "shape": list(value.shape),
                "dtype": "float32",
                "base64": base64.b64encode(data.tobytes()).decode("ascii"),
            }
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return _nulls(value.astype(object).tolist())
        return value.tolist()
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def parse_json(raw: bytes):
    """A request body's JSON, bounded before and while it is parsed: at most
    :data:`MAX_JSON_DEPTH` levels of nesting (counted first, outside strings), whole numbers of
    at most :data:`MAX_DIGITS` digits, only finite numbers (no NaN, Infinity or 1e400). Anything
    else is a :class:`RequestError` (400)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise refused("errors.studio_json_invalid", why=error) from None
    depth = _depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise refused("errors.studio_json_deep", depth=depth, limit=MAX_JSON_DEPTH)
    try:
        return json.loads(
            text, parse_int=_whole, parse_float=_finite, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise refused("errors.studio_json_invalid", why=error) from None
    except RecursionError:  # not reached after _depth; kept as a floor
        too_deep = refused(
            "errors.studio_json_deep", depth=f"> {MAX_JSON_DEPTH}", limit=MAX_JSON_DEPTH
        )
        raise too_deep from None


# an escape (backslash and the character after it) and then a string: each removed in one
# pass from left to right (no backtracking, so no body makes them slow)
_ESCAPE, _STRING = re.compile(rb"\\.", re.DOTALL), re.compile(rb'"[^"]*"')
_OPEN, _CLOSE = np.zeros(256, np.int8), np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_CLOSE[[ord("]"), ord("}")]] = 1


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets in JSON text ``raw`` outside its strings, counted in
    chunks (memory stays small whatever the body)."""
    opened = raw.count(b"[") + raw.count(b"{")
    if opened <= MAX_JSON_DEPTH:
        return opened  # at most this deep: enough to know
    bare = np.frombuffer(_STRING.sub(b"", _ESCAPE.sub(b"", raw)), np.uint8)
    depth = deepest = 0
    for start in range(0, len(bare), CHUNK):
        chunk = bare[start : start + CHUNK]
        running = depth + np.cumsum(_OPEN[chunk] - _CLOSE[chunk], dtype=np.int64)
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
    return deepest


def _whole(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise refused("errors.studio_json_digits", digits=digits, limit=MAX_DIGITS)
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise refused(
            "errors.studio_json_huge", value=text if len(text) <= 40 else text[:37] + "..."
        )
    return value


def _no_constant(text: str):
    raise refused("errors.studio_json_constant", value=text)


def is_loopback(address: str) -> bool:
    """Whether the IP address ``address`` (text) is a loopback one (127.0.0.0/8, ::1, and
    ::ffff:127.x.y.z); False for a name or anything else."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def _nulls(value):
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return None if isinstance(value, float) and not np.isfinite(value) else value


# ---------------------------------------------------------------------------------------------
# The models the studio serves


def _studio_strings() -> dict:
    """The studio's texts as the page looks them up, ``{key: {lang: template}}``."""
    tables = {lang: i18n.entries("studio.", lang) for lang in i18n.languages()}
    return {key: {lang: tables[lang][key] for lang in tables} for key in tables["en"]}


class Served:
    """A model the studio serves: ``id``, a ``name`` to show, where it came from (``source``:
    "pretrained", "given", "trained", "uploaded", "spec"), the file it is in (or None)."""

    def __init__(self, id, name, model, source, path=None):
        self.id, self.name, self.model, self.source, self.path = id, name, model, source, path
        self._info = None

    def info(self) -> dict:
        if self._info is None:
            self._info = api.describe(self.model)
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "file": self.path is not None,
            **self._info,
        }


class Studio:
    """What the server holds: the models by id, the training run, the folder models are saved
    in. The request handler asks it; tests may use it directly."""

    def __init__(self, models=(), *, save_dir=None, lang="en"):
        self.lang = lang
        self.save_dir = os.path.abspath(save_dir or os.getcwd())
        self._models: dict[str, Served] = {}
        self._next = 1
        self._guard = threading.Lock()
        self.training = None
        for name, model, source, path in models:
            self.add(name, model, source, path)

    def add(self, name, model, source, path=None) -> Served:
        with self._guard:
            if len(self._models) >= MAX_MODELS:
                raise refused("errors.studio_full", 409, limit=MAX_MODELS)
            served = Served(f"m{self._next}", name, model, source, path)
            self._next += 1
            self._models[served.id] = served
            return served

    def models(self) -> list[dict]:
        listed = [m.info() for m in list(self._models.values())]
        run = self.training
        if run is not None and run.active and run.model() is not None:
            listed.append(
                {
                    "id": "training",
                    "name": "training",
                    "source": "training",
                    "file": False,
                    **api.describe(run.model()),
                }
            )
        return listed

    def get(self, model_id) -> Served:
        if model_id is not None and not isinstance(model_id, str):
            raise refused("errors.studio_model_id", value=api.shown(model_id))
        if model_id is None and self._models:
            return next(iter(self._models.values()))
        if model_id == "training":
            run = self.training
            model = run.model() if run is not None else None
            if model is None:
                raise refused("errors.studio_no_training_model", 404)
            return Served("training", "training", model, "training")
        served = self._models.get(model_id)
        if served is None:
            known = ", ".join(self._models) or api.NOTHING
            raise refused("errors.studio_no_model", 404, id=repr(model_id), known=known)
        return served

    # -- training -----------------------------------------------------------------------------

    def start_training(self, options, data=None) -> dict:
        from .training import TrainingRun

        with self._guard:
            if self.training is not None and self.training.active:
                raise refused("errors.studio_training_running", 409)
            run = TrainingRun(options, self.save_dir, on_saved=self._saved, data=data)
            self.training = run
        run.start()
        return run.status()

    def _saved(self, path, model):
        self.add(os.path.basename(path), model, "trained", path)

    def shutdown(self, timeout=120.0) -> str | None:
        """Stop a running training (its trainer saves the model file); returns the file."""
        run = self.training
        if run is None or not run.active:
            return None
        run.stop()
        run.join(timeout)
        return run.path if run.path and os.path.exists(run.path) else None

    # -- uploads ------------------------------------------------------------------------------

    def open_model(self, request: dict) -> dict:
        """A new model from ``{"spec": {...}}``, ``{"builtin": "DeepConvNet"}`` or ``{"file":
        base64, "name": "..."}`` (a tatamikomi model file or the book's params.pkl)."""
        from ..models import STUDIO_BUDGET, from_spec, get_model, import_book_params, load

        given = [k for k in ("spec", "builtin", "file") if k in request]
        if len(given) != 1:
            raise refused("errors.studio_model_one_of")
        seed = request.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise refused("errors.studio_seed", value=repr(seed))
        label = os.path.basename(str(request.get("name") or ""))[:80]
        if given[0] == "spec":
            try:
                spec = request["spec"] if isinstance(request["spec"], (dict, str)) else None
                model = from_spec(spec, seed=seed, budget=STUDIO_BUDGET)
            except (ValueError, TypeError) as error:
                raise refused("errors.studio_spec", error=error) from None
            return self.add(label or "spec", model.eval(), "spec").info()
        if given[0] == "builtin":
            name = request["builtin"]
            if name not in ("SimpleConvNet", "DeepConvNet"):
                raise refused("errors.studio_builtin", value=repr(name))
            return self.add(f"{name} (random)", get_model(name, seed=seed).eval(), "spec").info()
        what = i18n.Said("errors.studio_model_file")
        data = api.decode_base64(request["file"], what, api.MAX_MODEL_BYTES)
        name = label or "uploaded.npz"
        folder = tempfile.mkdtemp(prefix="tatamikomi-studio-")
        path = os.path.join(folder, "model")
        try:
            with open(path, "wb") as f:
                f.write(data)
            if data[:1] == b"\x80":  # the book's params.pkl (read without running code)
                model = import_book_params(path)
            else:
                model = load(path)
        except (io.ModelFileError, ValueError, TypeError, KeyError) as error:
            raise _renamed(error, path, name) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        return self.add(name, model, "uploaded").info()


def _renamed(error: Exception, path: str, name: str) -> RequestError:
    """A model file's error as a :class:`RequestError` naming the file ``name`` the user gave,
    not the temporary ``path`` it was read from (said in the request's language when it can)."""
    said = getattr(error, "said", None)
    if said is not None:
        values = {k: name if v == path else v for k, v in said.values.items()}
        if path not in i18n.Said(said.key, **values).say("en"):
            return refused(said.key, **values)
    return RequestError(str(error).replace(path, name))


# ---------------------------------------------------------------------------------------------
# HTTP


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every file of the static folder, read once: the only files the server sends."""
    files = {}
    root = resources.files("tatamikomi.serve").joinpath("static")
    for entry in root.iterdir():
        suffix = os.path.splitext(entry.name)[1]
        if entry.is_file() and suffix in _TYPES:
            files[entry.name] = (entry.read_bytes(), _TYPES[suffix])
    return files


class Handler(BaseHTTPRequestHandler):
    server_version = "tatamikomi-studio"
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds a connection may stay silent (a body promised and not sent)
    studio: Studio
    static: dict
    quiet = True

    # -- plumbing -----------------------------------------------------------------------------

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def _head(self, status, content_type, length=None, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()

    def _send(self, status, body: bytes, content_type, extra=()):
        self._head(status, content_type, len(body), extra)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value, status=200):
        body = json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status, message):
        self._json({"error": message, "status": int(status)}, status)

    def _lang(self, chosen=None) -> str:
        """The language of this request's messages: ``chosen`` (a body's or the query's
        ``lang``) when it is one, else the studio's."""
        for lang in (chosen, getattr(self, "_query_lang", None), self.studio.lang):
            if lang in i18n.languages():
                return lang
        return "en"

    def send_error(self, code, message=None, explain=None):
        """The HTTP layer's own errors (a method it has no handler for, a request line or
        headers too long, malformed HTTP) as JSON like every other answer."""
        method = (getattr(self, "command", None) or "?")[:20]
        said = {
            501: ("errors.studio_method", {"method": method}),
            414: ("errors.studio_line_long", {"limit": 65536}),
            431: ("errors.studio_headers_long", {}),
        }.get(code)
        if said is None and code in (400, 505):
            said = ("errors.studio_bad_http", {"why": message or code})
        if said is None:
            said = ("errors.studio_http_error", {"status": code, "why": message or code})
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        if getattr(self, "request_version", "") in ("", "HTTP/0.9"):
            self.request_version = "HTTP/1.0"  # a status line and headers, whatever was asked
        with contextlib.suppress(OSError):
            self._error(code, i18n.Said(said[0], **said[1]).say(self._lang()))

    def handle_one_request(self):
        """One request, which must arrive (line, headers, body) within the server's
        ``request_seconds``; what it then computes or streams is not limited."""
        self._query_lang = None
        self.server.expect(self.connection)
        try:
            super().handle_one_request()
        finally:
            self.server.arrived(self.connection)

    def _arrived(self):
        """The request is in: its time limit ends; a 408 if it came too late."""
        if self.server.arrived(self.connection):
            self.close_connection = True
            raise refused("errors.studio_too_slow", 408, seconds=f"{self.server.request_seconds:g}")

    def _body(self, limit) -> dict:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise refused("errors.studio_chunked", 411)
        length = self.headers.get("Content-Length")
        if length is None:
            raise refused("errors.studio_no_length", 411)
        try:
            length = int(length)
        except ValueError:
            raise refused("errors.studio_length_number") from None
        if length < 0:
            raise refused("errors.studio_length_negative")
        if length > limit:
            self.close_connection = True  # the body is not read: the connection cannot go on
            raise refused("errors.studio_body_large", 413, length=length, limit=limit)
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        raw = self.rfile.read(length)
        self._arrived()
        if len(raw) < length:
            self.close_connection = True
            raise refused("errors.studio_body_short", got=len(raw), length=length)
        if kind != "application/json":
            given = kind or i18n.Said("errors.studio_no_content_type")
            raise refused("errors.studio_content_type", 415, kind=given)
        if not raw:
            return {}
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise refused("errors.studio_body_object")
        return body

    def _host_ok(self) -> bool:
        """While bound to a loopback address, the Host header must name this machine: a
        loopback IP address, ``localhost`` or the name the server was started with (a page
        whose DNS name was rebound to 127.0.0.1 sends its own name)."""
        if not getattr(self.server, "loopback_only", True):
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
        name = name.lower().rstrip(".")
        return name in self.server.own_names or is_loopback(name)

    def _handle(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self._query_lang = query.get("lang")
        lang = None
        try:
            if method != "POST":
                self._arrived()
            if not self._host_ok():
                raise refused("errors.studio_foreign_host", 403)
            route = ROUTES.get((method, url.path))
            if route is None:
                if method == "GET" and url.path.startswith("/api/models/"):
                    return self._model_route(url.path)
                if url.path == "/favicon.ico":
                    return self._send(204, b"", "image/x-icon")
                if method in ("GET", "HEAD") and (
                    url.path == "/" or url.path.startswith("/static/")
                ):
                    return self._static(url.path)
                allowed = sorted(m for m, p in ROUTES if p == url.path)
                if allowed:
                    methods = (
                        allowed[0]
                        if len(allowed) == 1
                        else i18n.Said("errors.studio_either", first=allowed[0], second=allowed[1])
                    )
                    raise refused(
                        "errors.studio_wrong_method",
                        405,
                        path=url.path,
                        methods=methods,
                        method=method,
                    )
                raise refused("errors.studio_no_page", 404, path=url.path)
            if method == "POST":
                limit = MAX_MODEL_BODY if url.path == "/api/models" else MAX_BODY
                body = self._body(limit)
                lang = body.get("lang")
            with i18n.use(self._lang(lang)):  # what the handlers say, they say in it
                return route(self, body if method == "POST" else query)
        except RequestError as error:
            with contextlib.suppress(OSError):
                self._error(error.status, i18n.say(error, self._lang(lang)))
        except (ConnectionError, TimeoutError):  # the client left, or stopped reading
            self.close_connection = True
        except Exception as error:  # a bug: one line for the page, the server carries on
            print(
                f"tatamikomi serve: {method} {url.path}: {type(error).__name__}: {error}",
                file=sys.stderr,
            )
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._error(500, f"internal error ({type(error).__name__}: {error})")

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- pages --------------------------------------------------------------------------------

    def _static(self, path):
        name = "index.html" if path == "/" else path[len("/static/") :]
        entry = self.static.get(name)
        if entry is None:
            raise refused("errors.studio_no_file", 404, path=path)
        self._send(200, entry[0], entry[1])

    def _model_route(self, path):
        parts = path.split("/")  # ["", "api", "models", id] or [..., id, "file"]
        if len(parts) == 4:
            return self._json(self.studio.get(parts[3]).info())
        if len(parts) == 5 and parts[4] == "file":
            served = self.studio.get(parts[3])
            if served.path is None:
                raise refused("errors.studio_memory_only", 404, id=served.id)
            return self._model_file(served)
        raise refused("errors.studio_no_endpoint", 404, path=path)

    def _model_file(self, served):
        """A model's file, streamed in chunks of :data:`CHUNK` bytes. Opened without blocking
        (a FIFO put in its place must not hold the thread) and sent only if what was opened is
        a regular file; its folder is never shown."""
        name = os.path.basename(served.path)
        said = {"id": served.id, "name": name}
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(served.path, flags | getattr(os, "O_BINARY", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise refused("errors.studio_file_gone", 404, **said) from None
        except OSError as error:
            raise refused(
                "errors.studio_file_unreadable", 404, why=error.strerror, **said
            ) from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise refused("errors.studio_file_special", 404, **said)
        with os.fdopen(fd, "rb", buffering=0) as f:
            safe = name.encode("ascii", "replace").decode().replace('"', "_")
            self._head(
                200,
                "application/octet-stream",
                info.st_size,
                [("Content-Disposition", f'attachment; filename="{safe}"')],
            )
            if self.command == "HEAD":
                return
            left = info.st_size
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:  # the file shrank meanwhile: the answer is short, end it
                    self.close_connection = True
                    return
                self.wfile.write(chunk)
                left -= len(chunk)

    # -- endpoints ----------------------------------------------------------------------------

    def strings(self, query):
        self._json(
            {"strings": _studio_strings(), "lang": self.studio.lang, "languages": i18n.languages()}
        )

    def list_models(self, query):
        self._json({"models": self.studio.models()})

    def open_model(self, body):
        self._json(self.studio.open_model(body), 201)

    def samples(self, query):
        served = self.studio.get(query.get("model"))
        self._json(api.sample_list(served.model))

    def predict(self, body):
        served = self.studio.get(body.get("model"))
        start = time.perf_counter()
        result = api.predict(served.model, api.image_from(body, served.model))
        self._json(
            {**result, "model": served.id, "ms": round(1000 * (time.perf_counter() - start), 2)}
        )

    def layers(self, body):
        served = self.studio.get(body.get("model"))
        start = time.perf_counter()
        channels = None if body.get("all_channels") else api.DEFAULT_CHANNELS
        result = api.layers(served.model, api.image_from(body, served.model), channels=channels)
        self._json(
            {**result, "model": served.id, "ms": round(1000 * (time.perf_counter() - start), 2)}
        )

    def explain(self, body):
        served = self.studio.get(body.get("model"))
        for key in ("layer", "channel", "position"):
            if key not in body:
                raise refused("errors.studio_explain_give", key=key)
        result = api.explain(
            served.model,
            api.image_from(body, served.model),
            body["layer"],
            body["channel"],
            body["position"],
        )
        self._json(result)

    def playground(self, body):
        known = {
            "input",
            "filter",
            "stride",
            "pad",
            "bias",
            "pool",
            "pool_stride",
            "pool_pad",
            "mode",
            "lang",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise refused("errors.studio_playground_unknown", unknown=unknown, known=sorted(known))
        settings = dict(body)
        lang = settings.pop("lang", None)
        if lang is not None and lang not in i18n.languages():
            choices = ", ".join(i18n.languages())
            raise refused("errors.unknown_language", given=api.shown(lang), choices=choices)
        self._json(api.playground(**settings))

    def train_status(self, query):
        run = self.studio.training
        self._json(run.status() if run is not None else {"state": "idle"})

    def train_start(self, body):
        self._json(self.studio.start_training(body), 202)

    def _run(self):
        run = self.studio.training
        if run is None:
            raise refused("errors.studio_not_started", 404)
        return run

    def train_pause(self, body):
        run = self._run()
        run.pause()
        self._json(run.status())

    def train_resume(self, body):
        run = self._run()
        run.resume()
        self._json(run.status())

    def train_stop(self, body):
        run = self._run()
        run.stop()
        self._json(run.status())

    def train_events(self, query):
        """Server-Sent Events: every event of the run after ``?after=ID`` (or Last-Event-ID),
        until the run ends or the page goes away."""
        run = self._run()
        try:
            last = int(self.headers.get("Last-Event-ID") or query.get("after", 0))
        except ValueError:
            raise refused("errors.studio_after") from None
        self.close_connection = True
        self._head(200, "text/event-stream; charset=utf-8")
        if self.command == "HEAD":
            return  # the headers only: the events are for GET
        stopping = self.server.stopping
        while not stopping.is_set():
            events = run.events_after(last, timeout=1.0)
            for event in events:
                data = json.dumps(to_json(event), separators=(",", ":"))
                self.wfile.write(f"id: {event['id']}\ndata: {data}\n\n".encode())
                last = event["id"]
            if not events:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()
            if not run.active and not events:
                break


ROUTES = {
    ("GET", "/api/strings"): Handler.strings,
    ("GET", "/api/models"): Handler.list_models,
    ("POST", "/api/models"): Handler.open_model,
    ("GET", "/api/samples"): Handler.samples,
    ("POST", "/api/predict"): Handler.predict,
    ("POST", "/api/layers"): Handler.layers,
    ("POST", "/api/explain"): Handler.explain,
    ("POST", "/api/playground"): Handler.playground,
    ("GET", "/api/train"): Handler.train_status,
    ("POST", "/api/train"): Handler.train_start,
    ("POST", "/api/train/pause"): Handler.train_pause,
    ("POST", "/api/train/resume"): Handler.train_resume,
    ("POST", "/api/train/stop"): Handler.train_stop,
    ("GET", "/api/train/events"): Handler.train_events,
}


class StudioServer(ThreadingHTTPServer):
    """The HTTP server around a :class:`Studio`; ``url`` is where it listens.

    ``loopback_only`` (the Host check, and no "anyone can reach" warning) is decided by the
    address the socket was bound to, not by how ``host`` was spelled (``127.1``,
    ``2130706433`` and ``localhost`` are the loopback too)."""

    daemon_threads = True
    allow_reuse_address = True
    #: connections the kernel queues before they are accepted (a class opening the page at once)
    request_queue_size = 256
    #: seconds a request (its line, headers and body) may take to arrive
    request_seconds = 120.0

    def __init__(self, studio: Studio, host="127.0.0.1", port=8000, *, quiet=True):
        handler = type(
            "StudioHandler",
            (Handler,),
            {"studio": studio, "static": _static_files(), "quiet": quiet},
        )
        if ":" in str(host):
            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)
        self.studio = studio
        self.loopback_only = is_loopback(self.server_address[0])
        self.own_names = {"localhost", str(host).lower().rstrip(".")}
        self.stopping = threading.Event()
        self._due: dict = {}  # connection -> when its request must have arrived (None: late)
        self._due_guard = threading.Lock()
        threading.Thread(target=self._watch, name="studio-deadlines", daemon=True).start()

    # -- time limits --------------------------------------------------------------------------

    def expect(self, connection) -> None:
        """A request starts to arrive on ``connection``: it has ``request_seconds``."""
        with self._due_guard:
            self._due[connection] = time.monotonic() + self.request_seconds

    def arrived(self, connection) -> bool:
        """The request on ``connection`` is in; True if it came too late (reading was cut)."""
        with self._due_guard:
            return self._due.pop(connection, 0.0) is None

    def _watch(self):
        """Every half second, stop reading from connections whose request is late: a client
        that sends a byte now and then cannot hold a thread for ever."""
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            with self._due_guard:
                late = [c for c, due in self._due.items() if due is not None and due < now]
                for connection in late:
                    self._due[connection] = None
            for connection in late:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RD)

    def server_close(self):
        self.stopping.set()  # and the deadline watcher ends
        super().server_close()

    def handle_error(self, request, client_address):
        """A client that left (reset, broken pipe) or was too slow is nothing to report; any
        other error outside a request's handler is one line, not a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        print(f"tatamikomi serve: {type(error).__name__}: {error}", file=sys.stderr)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[%s]' % host if ':' in host else host}:{port}/"

    def close(self) -> str | None:
        """Stop serving, stop a running training (which saves its model file), close the socket;
        returns the saved file, if any."""
        self.stopping.set()
        saved = self.studio.shutdown()
        self.shutdown()
        self.server_close()
        return saved


@contextlib.contextmanager
def running(studio: Studio, host="127.0.0.1", port=0):
    """A server on a free port in a background thread, stopped on leaving (tests, notebooks)."""
    server = StudioServer(studio, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(10)
