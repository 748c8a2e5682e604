"""The studio's HTTP server: the standard library's ThreadingHTTPServer, JSON in and out, and
Server-Sent Events for a training run.

Safe by default: it binds 127.0.0.1; it serves only its own static files (a fixed list read at
start) and the models it was given or trained (by id, never by a path from the request);
request bodies and images are limited in size; POST bodies must be JSON (which a page on
another site cannot send without asking first); a request with a foreign Host header is refused
while bound to the loopback (DNS rebinding). Every bad request gets ``{"error": "..."}`` with a
4xx status; an unexpected error gets a 500 with one line, and the server stays up.

The JSON API is documented in docs/studio.md. Arrays in answers are nested lists, or for more
than ``PACK_OVER`` values ``{"shape": [...], "dtype": "float32", "base64": "..."}`` (little
endian); non-finite numbers (a max pooling's -inf padding) are ``null`` in lists.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
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
from .api import RequestError

#: the largest request body, for a model upload and for everything else
MAX_MODEL_BODY = 64 * 1024 * 1024
MAX_BODY = 8 * 1024 * 1024
#: models kept in memory at most (given, trained and uploaded together)
MAX_MODELS = 16
PACK_OVER = 1024
LOOPBACK = ("127.0.0.1", "localhost", "::1")

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


def _nulls(value):
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return None if isinstance(value, float) and not np.isfinite(value) else value


# ---------------------------------------------------------------------------------------------
# The models the studio serves


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
                raise RequestError(
                    f"the studio holds {MAX_MODELS} models already; restart it to open more", 409
                )
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
        if model_id is None and self._models:
            return next(iter(self._models.values()))
        if model_id == "training":
            run = self.training
            model = run.model() if run is not None else None
            if model is None:
                raise RequestError(
                    "no training is running (or it has not made its first step yet)", 404
                )
            return Served("training", "training", model, "training")
        served = self._models.get(model_id)
        if served is None:
            known = ", ".join(self._models) or "none"
            raise RequestError(f"no model {model_id!r}; the studio serves: {known}", 404)
        return served

    # -- training -----------------------------------------------------------------------------

    def start_training(self, options, data=None) -> dict:
        from .training import TrainingRun

        with self._guard:
            if self.training is not None and self.training.active:
                raise RequestError("a training is already running; stop it first", 409)
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
            raise RequestError('give exactly one of "spec", "builtin" or "file"')
        seed = request.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise RequestError(f'"seed" must be a whole number of at least 0; got {seed!r}')
        label = os.path.basename(str(request.get("name") or ""))[:80]
        if given[0] == "spec":
            try:
                model = from_spec(
                    request["spec"] if isinstance(request["spec"], (dict, str)) else None, seed=seed,
                    budget=STUDIO_BUDGET,
                )
            except (ValueError, TypeError) as error:
                raise RequestError(f"the spec: {error}") from None
            return self.add(label or "spec", model.eval(), "spec").info()
        if given[0] == "builtin":
            name = request["builtin"]
            if name not in ("SimpleConvNet", "DeepConvNet"):
                raise RequestError(f'"builtin" must be SimpleConvNet or DeepConvNet; got {name!r}')
            return self.add(f"{name} (random)", get_model(name, seed=seed).eval(), "spec").info()
        data = api.decode_base64(request["file"], "the model file", api.MAX_MODEL_BYTES)
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
            raise RequestError(str(error).replace(path, name)) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        return self.add(name, model, "uploaded").info()


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

    def _send(self, status, body: bytes, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, value, status=200):
        body = json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, status, message):
        self._json({"error": message, "status": int(status)}, status)

    def _body(self, limit) -> dict:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise RequestError("send the body with a Content-Length, not chunked", 411)
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError("a POST needs a Content-Length header and a JSON body", 411)
        try:
            length = int(length)
        except ValueError:
            raise RequestError("Content-Length must be a number") from None
        if length < 0:
            raise RequestError("Content-Length must not be negative")
        if length > limit:
            self.close_connection = True  # the body is not read: the connection cannot go on
            raise RequestError(
                f"the request body is {length:,} bytes; at most {limit:,} are accepted", 413
            )
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        raw = self.rfile.read(length)
        if kind != "application/json":
            raise RequestError(
                f"send the body as application/json; got {kind or 'no Content-Type'}", 415
            )
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RequestError(f"the body is not valid JSON ({error})") from None
        if not isinstance(body, dict):
            raise RequestError("the body must be a JSON object")
        return body

    def _host_ok(self) -> bool:
        if not getattr(self.server, "loopback_only", True):
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
        return name in LOOPBACK

    def _handle(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if not self._host_ok():
                raise RequestError(
                    "this studio answers only to localhost (the Host header was foreign)", 403
                )
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
                    raise RequestError(
                        f"{url.path} takes {' or '.join(allowed)}, not {method}", 405
                    )
                raise RequestError(f"no such page or endpoint: {url.path}", 404)
            if method == "POST":
                limit = MAX_MODEL_BODY if url.path == "/api/models" else MAX_BODY
                return route(self, self._body(limit))
            return route(self, query)
        except RequestError as error:
            self._error(error.status, str(error))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # a bug: one line for the page, the server carries on
            print(
                f"tatamikomi serve: {method} {url.path}: {type(error).__name__}: {error}",
                file=sys.stderr,
            )
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
            raise RequestError(f"no such file: {path}", 404)
        self._send(200, entry[0], entry[1])

    def _model_route(self, path):
        parts = path.split("/")  # ["", "api", "models", id] or [..., id, "file"]
        if len(parts) == 4:
            return self._json(self.studio.get(parts[3]).info())
        if len(parts) == 5 and parts[4] == "file":
            served = self.studio.get(parts[3])
            if served.path is None:
                raise RequestError(f"model {served.id} has no file (it lives in memory only)", 404)
            with open(served.path, "rb") as f:
                body = f.read()
            name = os.path.basename(served.path)
            return self._send(
                200,
                body,
                "application/octet-stream",
                [("Content-Disposition", f'attachment; filename="{name}"')],
            )
        raise RequestError(f"no such endpoint: {path}", 404)

    # -- endpoints ----------------------------------------------------------------------------

    def strings(self, query):
        self._json({"strings": i18n.by_key("studio"), "lang": self.studio.lang})

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
                raise RequestError(f'give "{key}" (the layer\'s name, the channel, [row, column])')
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
            raise RequestError(f"unknown playground settings {unknown}; known: {sorted(known)}")
        self._json(api.playground(**body))

    def train_status(self, query):
        run = self.studio.training
        self._json(run.status() if run is not None else {"state": "idle"})

    def train_start(self, body):
        self._json(self.studio.start_training(body), 202)

    def _run(self):
        run = self.studio.training
        if run is None:
            raise RequestError("no training has been started", 404)
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
            raise RequestError("after must be an event id (a whole number)") from None
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
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
    """The HTTP server around a :class:`Studio`; ``url`` is where it listens."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, studio: Studio, host="127.0.0.1", port=8000, *, quiet=True):
        handler = type(
            "StudioHandler",
            (Handler,),
            {"studio": studio, "static": _static_files(), "quiet": quiet},
        )
        super().__init__((host, port), handler)
        self.studio = studio
        self.loopback_only = host in LOOPBACK
        self.stopping = threading.Event()

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
