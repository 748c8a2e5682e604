"""The studio's endpoints and its route table: each reads its request (a query or a JSON body),
asks the :class:`~tatamikomi.serve.registry.Studio` and :mod:`~tatamikomi.serve.api`, and answers
JSON. The request's language (``?lang=``, a body's ``"lang"``, else the studio's) is set once, with
:func:`tatamikomi.i18n.use`, around the endpoint: nothing below passes it on."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from urllib.parse import parse_qs, urlsplit

from .. import exercises, i18n
from . import api
from .errors import RequestError, refused
from .http import CHUNK, MAX_BODY, JSONHandler
from .registry import Studio

#: the largest request body of a model upload
MAX_MODEL_BODY = 64 * 1024 * 1024


def _studio_strings() -> dict:
    """The studio's texts as the page looks them up, ``{key: {lang: template}}``."""
    tables = {lang: i18n.entries("studio.", lang) for lang in i18n.languages()}
    return {key: {lang: tables[lang][key] for lang in tables} for key in tables["en"]}


# -- the answers, for any transport: the HTTP handler below, the notebook widget -------------
# (tatamikomi.widgets); each takes the studio and the request's query or body, and returns the
# answer (NumPy arrays in it, made JSON by http.to_json) or raises a RequestError.


def strings_answer(studio: Studio) -> dict:
    """``GET /api/strings``: the texts, the studio's language, the languages."""
    return {"strings": _studio_strings(), "lang": studio.lang, "languages": i18n.languages()}


def prediction(studio: Studio, body: dict, *, layers: bool) -> dict:
    """The answer of ``/api/predict`` (or, with ``layers``, ``/api/layers``): the prediction,
    and every layer's output."""
    served = studio.get(body.get("model"))
    start = time.perf_counter()
    image = api.image_from(body, served.model)
    if layers:
        channels = None if body.get("all_channels") else api.DEFAULT_CHANNELS
        result = api.layers(served.model, image, channels=channels)
    else:
        result = api.predict(served.model, image)
    return {**result, "model": served.id, "ms": round(1000 * (time.perf_counter() - start), 2)}


def explanation(studio: Studio, body: dict) -> dict:
    """``POST /api/explain``: one output cell's window, products, sum and bias."""
    served = studio.get(body.get("model"))
    for key in ("layer", "channel", "position"):
        if key not in body:
            raise refused("errors.studio_explain_give", key=key)
    return api.explain(
        served.model,
        api.image_from(body, served.model),
        body["layer"],
        body["channel"],
        body["position"],
    )


def exercise_list() -> dict:
    """``GET /api/exercises``: every exercise (the studio keeps no tries: the page counts them)."""
    return {"exercises": [api.exercise_entry(key) for key in exercises.KEYS]}


def exercise_answer(body: dict) -> dict:
    """``POST /api/exercises/answer`` ``{id, answer, tries}``: the verdict on the page's try
    number ``tries`` (1: feedback and a hint if wrong; 2 and more: the worked answer)."""
    if "id" not in body or "answer" not in body:
        raise refused("errors.studio_exercise_give")
    tries = body.get("tries", 1)
    if isinstance(tries, bool) or not isinstance(tries, int) or not 1 <= tries <= api.MAX_TRIES:
        raise refused("errors.studio_tries", most=api.MAX_TRIES)
    return api.exercise_verdict(body["id"], api.exercise_given(body["id"], body["answer"]), tries)


def why_answer(studio: Studio, body: dict) -> dict:
    """``POST /api/why``: why the model answers what it does for the drawing (optional
    ``target``, ``methods``): each method's map in [0, 1] and where its evidence lies."""
    served = studio.get(body.get("model"))
    image = api.image_from(body, served.model)
    answer = api.why(served.model, image, methods=body.get("methods"), target=body.get("target"))
    return {**answer, "model": served.id}


def backward_answer(studio: Studio, body: dict) -> dict:
    """``POST /api/backward``: one cell of a convolution or pooling layer's dx for the drawing
    (``layer``, optional ``cell`` (c, i, j) and ``target``), its terms and sum, and the
    layer's whole dx."""
    served = studio.get(body.get("model"))
    if "layer" not in body:
        raise refused("errors.studio_explain_give", key="layer")
    image = api.image_from(body, served.model)
    answer = api.backward(
        served.model, image, body["layer"], body.get("cell"), target=body.get("target")
    )
    return {**answer, "model": served.id}


#: what a playground request may set
PLAYGROUND_KEYS = frozenset(
    {"input", "filter", "stride", "pad", "bias", "pool", "pool_stride", "pool_pad", "mode"}
    | {"pool_on", "lang"}
)


def playground_answer(body: dict) -> dict:
    """``POST /api/playground``: the lecture's convolution and pooling, step by step."""
    unknown = sorted(set(body) - PLAYGROUND_KEYS)
    if unknown:
        raise refused(
            "errors.studio_playground_unknown", unknown=unknown, known=sorted(PLAYGROUND_KEYS)
        )
    settings = dict(body)
    lang = settings.pop("lang", None)
    if lang is not None and lang not in i18n.languages():
        choices = ", ".join(i18n.languages())
        raise refused("errors.unknown_language", given=api.shown(lang), choices=choices)
    return api.playground(**settings)


def studio_run(studio: Studio):
    """The studio's training run, for a command (pause, resume, stop); 404 before the first."""
    run = studio.training
    if run is None:
        raise refused("errors.studio_not_started", 404)
    return run


class Handler(JSONHandler):
    studio: Studio
    static: dict
    routes: dict  # (method, path) -> endpoint: ROUTES, set below

    def default_lang(self) -> str:
        return self.studio.lang

    def _handle(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self._query_lang = query.get("lang")
        lang = None
        self._body_read = False
        try:
            if method != "POST":
                self._arrived()
            if not self._host_ok():
                raise refused("errors.studio_foreign_host", 403)
            self._admit(method, url.path)
            route = self.routes.get((method, url.path)) or self._dynamic(method, url.path)
            if route is None:
                return self._unrouted(method, url.path)
            if method == "POST":
                body = self._body(self._body_limit(url.path))
                lang = body.get("lang")
            with i18n.use(self._lang(lang)):  # what the handlers say, they say in it
                return route(self, body if method == "POST" else query)
        except RequestError as error:
            if method in ("POST", "PUT", "DELETE") and not self._body_read:
                self.close_connection = True  # its body, unread, would be the next request
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
                said = i18n.text(
                    "errors.studio_internal", kind=type(error).__name__, error=error,
                    lang=self._lang(lang),
                )
                self._error(500, said)

    # -- what a subclass may change (the classroom's handler does) ---------------------------

    def _admit(self, method, path) -> None:
        """Refuse the request (raise a RequestError) before anything else is done: here nothing
        is refused."""

    def _body_limit(self, path) -> int:
        return MAX_MODEL_BODY if path == "/api/models" else MAX_BODY

    def _dynamic(self, method, path):
        """The endpoint of a path with an id in it (``/api/models/<id>``), or None."""
        if method == "GET" and path.startswith("/api/models/"):
            return lambda handler, query: handler._model_route(path)
        return None

    def _unrouted(self, method, path):
        """A path no endpoint has: the icon, a page or a static file, else a 405 or a 404."""
        if path == "/favicon.ico":
            return self._send(204, b"", "image/x-icon")
        if method in ("GET", "HEAD") and (path == "/" or path.startswith("/static/")):
            return self._static(path)
        allowed = sorted(m for m, p in self.routes if p == path)
        if allowed:
            methods = (
                allowed[0]
                if len(allowed) == 1
                else i18n.Said("errors.studio_either", first=allowed[0], second=allowed[1])
            )
            raise refused(
                "errors.studio_wrong_method", 405, path=path, methods=methods, method=method
            )
        raise refused("errors.studio_no_page", 404, path=path)

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
        self._json(strings_answer(self.studio))

    def list_models(self, query):
        self._json({"models": self.studio.models()})

    def open_model(self, body):
        self._json(self.studio.open_model(body), 201)

    def samples(self, query):
        served = self.studio.get(query.get("model"))
        self._json(api.sample_list(served.model))

    def predict(self, body):
        self._json(self._prediction(body, layers=False))

    def layers(self, body):
        self._json(self._prediction(body, layers=True))

    def _prediction(self, body, *, layers: bool) -> dict:
        return prediction(self.studio, body, layers=layers)

    def explain(self, body):
        self._json(explanation(self.studio, body))

    def exercise_list(self, query):
        self._json(exercise_list())

    def exercise_answer(self, body):
        self._json(exercise_answer(body))

    def why(self, body):
        self._json(why_answer(self.studio, body))

    def backward(self, body):
        self._json(backward_answer(self.studio, body))

    def playground(self, body):
        self._json(playground_answer(body))

    # -- the training run (the classroom's handler says whose, and how it is stopped) ----------

    def _run(self, which=None):
        """The run a command is for (the studio has one; ``which``, a run the request names, is
        for the classroom's handler to check)."""
        return studio_run(self.studio)

    def _watched(self, query):
        """The run a page watches, or None."""
        return self.studio.training

    def _run_status(self, run) -> dict:
        return run.status()

    def _stop(self, run) -> None:
        run.stop()

    def _after(self, query) -> int:
        """The last event a page has seen: its Last-Event-ID (a reconnection), else ``?after``."""
        try:
            return int(self.headers.get("Last-Event-ID") or query.get("after", 0))
        except ValueError:
            raise refused("errors.studio_after") from None

    def train_status(self, query):
        run = self._watched(query)
        self._json(self._run_status(run) if run is not None else {"state": "idle"})

    def train_start(self, body):
        self._json(self.studio.start_training(body), 202)

    def train_pause(self, body):
        run = self._run(body.get("run"))
        run.pause()
        self._json(self._run_status(run))

    def train_resume(self, body):
        run = self._run(body.get("run"))
        run.resume()
        self._json(self._run_status(run))

    def train_stop(self, body):
        run = self._run(body.get("run"))
        self._stop(run)
        self._json(self._run_status(run))

    def train_events(self, query):
        """Server-Sent Events: every event of the run after ``?after=ID`` (or Last-Event-ID),
        until the run ends or the page goes away."""
        run = self._watched(query)
        if run is None:
            raise refused("errors.studio_not_started", 404)
        self._stream(run.messages_after, lambda: run.active, self._after(query))


ROUTES = {
    ("GET", "/api/strings"): Handler.strings,
    ("GET", "/api/models"): Handler.list_models,
    ("POST", "/api/models"): Handler.open_model,
    ("GET", "/api/samples"): Handler.samples,
    ("POST", "/api/predict"): Handler.predict,
    ("POST", "/api/layers"): Handler.layers,
    ("POST", "/api/explain"): Handler.explain,
    ("GET", "/api/exercises"): Handler.exercise_list,
    ("POST", "/api/exercises/answer"): Handler.exercise_answer,
    ("POST", "/api/why"): Handler.why,
    ("POST", "/api/backward"): Handler.backward,
    ("POST", "/api/playground"): Handler.playground,
    ("GET", "/api/train"): Handler.train_status,
    ("POST", "/api/train"): Handler.train_start,
    ("POST", "/api/train/pause"): Handler.train_pause,
    ("POST", "/api/train/resume"): Handler.train_resume,
    ("POST", "/api/train/stop"): Handler.train_stop,
    ("GET", "/api/train/events"): Handler.train_events,
}
Handler.routes = ROUTES
