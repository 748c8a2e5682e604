"""The studio's HTTP plumbing, knowing nothing of models: JSON out (NumPy arrays packed) and in
(bounded in size, nesting and digits), the request body read under a deadline, the Host check
against DNS rebinding, Server-Sent Events, and every error as ``{"error", "status"}`` in the
request's language. :class:`JSONHandler` is the base of the studio's request handler
(:mod:`~tatamikomi.serve.routes`)."""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import math
import os
import re
import time
from http.server import BaseHTTPRequestHandler
from importlib import resources

import numpy as np

from .. import i18n
from .errors import refused

#: the largest request body (a model upload may send more, see routes.MAX_MODEL_BODY)
MAX_BODY = 8 * 1024 * 1024
PACK_OVER = 1024
#: a JSON body's deepest nesting, and the most digits of a whole number in it
MAX_JSON_DEPTH = 32
MAX_DIGITS = 30
#: how much of a file is read and sent at a time
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
        return json.loads(text, parse_int=_whole, parse_float=_finite, parse_constant=_no_constant)
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


def static_files() -> dict[str, tuple[bytes, str]]:
    """Every file of the static folder, read once: the only files the server sends."""
    files = {}
    root = resources.files("tatamikomi.serve").joinpath("static")
    for entry in root.iterdir():
        suffix = os.path.splitext(entry.name)[1]
        if entry.is_file() and suffix in _TYPES:
            files[entry.name] = (entry.read_bytes(), _TYPES[suffix])
    return files


def sse_message(event: dict) -> bytes:
    """One Server-Sent Event (a dict with an ``"id"``) as the bytes sent for it."""
    data = json.dumps(to_json(event), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['id']}\ndata: {data}\n\n".encode()


class JSONHandler(BaseHTTPRequestHandler):
    """A request handler that answers in JSON: the subclass gives ``_handle(method)`` (the
    dispatch) and ``default_lang()`` (the language when a request names none)."""

    server_version = "tatamikomi-studio"
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without this a small answer waits for the
    # client's delayed ACK (about 40 ms on loopback; measured by benchmarks/bench_classroom.py)
    disable_nagle_algorithm = True
    timeout = 120  # seconds a connection may stay silent (a body promised and not sent)
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

    def _json(self, value, status=200, extra=()):
        body = json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode()
        self._send(status, body, "application/json; charset=utf-8", extra)

    def _error(self, status, message):
        self._json({"error": message, "status": int(status)}, status)

    def _lang(self, chosen=None) -> str:
        """The language of this request's messages: ``chosen`` (a body's or the query's
        ``lang``) when it is one, else the studio's."""
        for lang in (chosen, getattr(self, "_query_lang", None), self.default_lang()):
            if isinstance(lang, str) and lang in i18n.languages():
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
        self._body_read = True
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
        name = self._host_name()
        return name in self.server.own_names or is_loopback(name)

    def _host_name(self) -> str:
        """The Host header's name or address, without its port (lower case, no final dot)."""
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
        return name.lower().rstrip(".")

    def default_lang(self) -> str:
        return "en"

    def _handle(self, method):
        raise NotImplementedError

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

    #: seconds between the comment lines that keep a quiet event stream open
    keep_alive_seconds = 1.0
    #: seconds one event stream lasts at most (None: as long as the run); the page's
    #: EventSource then reconnects from the last event it read (Last-Event-ID)
    stream_seconds: float | None = None

    def _stream(self, messages_after, active, last: int):
        """Server-Sent Events: each ``(id, message)`` that ``messages_after(last, timeout)``
        gives (made by :func:`sse_message`), as it comes, until ``active()`` is False and none is
        left, the server stops or ``stream_seconds`` have passed; a comment line keeps the
        connection alive meanwhile. A reader that stops reading is cut off by the socket's
        timeout once its buffers are full, else at ``stream_seconds``."""
        self.close_connection = True
        self._head(200, "text/event-stream; charset=utf-8")
        if self.command == "HEAD":
            return  # the headers only: the events are for GET
        stopping = self.server.stopping
        end = time.monotonic() + self.stream_seconds if self.stream_seconds else math.inf
        while not stopping.is_set() and time.monotonic() < end:
            wait = min(self.keep_alive_seconds, max(0.0, end - time.monotonic()))
            messages = messages_after(last, timeout=wait)
            for last, message in messages:
                self.wfile.write(message)
            if not messages:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()
            if not active() and not messages:
                break
