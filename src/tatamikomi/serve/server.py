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

The parts, one job each: :mod:`.http` (JSON in and out, body limits, Host check, SSE, errors),
:mod:`.registry` (:class:`Studio`, the models served and the training run), :mod:`.routes` (the
endpoints and ``ROUTES``), :mod:`.api` (the computations, no HTTP); this module holds the server
(:class:`StudioServer`, its request deadlines) and :func:`running`, and keeps the names the
others define importable from here.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer

from .errors import RequestError, refused  # noqa: F401 (where they were)
from .http import (  # noqa: F401 (the names tests and notebooks import from here)
    CHUNK,
    MAX_BODY,
    MAX_DIGITS,
    MAX_JSON_DEPTH,
    PACK_OVER,
    JSONHandler,
    is_loopback,
    parse_json,
    static_files,
    to_json,
)
from .registry import MAX_MODELS, Served, Studio  # noqa: F401
from .routes import MAX_MODEL_BODY, ROUTES, Handler  # noqa: F401


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
            {"studio": studio, "static": static_files(), "quiet": quiet},
        )
        if ":" in str(host):
            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)
        self.studio = studio
        self.loopback_only = is_loopback(self.server_address[0])
        self.own_names = {"localhost", str(host).lower().rstrip(".")}
        self.stopping = threading.Event()
        self._serving = threading.Event()  # set while serve_forever runs
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

    def serve_forever(self, poll_interval=0.5):
        self._serving.set()
        try:
            super().serve_forever(poll_interval)
        finally:
            self._serving.clear()

    def shutdown(self):
        """Stop :meth:`serve_forever` and wait for it; at once where it is not running (a Ctrl-C
        that came before it began would otherwise wait for ever)."""
        if self._serving.is_set():
            super().shutdown()

    def close(self):
        """Stop serving, end the work (:meth:`end_work`), close the socket; returns what
        :meth:`end_work` saved."""
        self.stopping.set()
        saved = self.end_work()
        self.shutdown()
        self.server_close()
        return saved

    def end_work(self) -> str | None:
        """Stop a running training (which saves its model file); returns the file, if any."""
        return self.studio.shutdown()


@contextlib.contextmanager
def running(studio: Studio, host="127.0.0.1", port=0):
    """A server on a free port in a background thread, stopped on leaving (tests, notebooks)."""
    with in_background(StudioServer(studio, host, port)) as server:
        yield server


@contextlib.contextmanager
def in_background(server: StudioServer):
    """Serve ``server`` in a background thread until leaving, then :meth:`~StudioServer.close`
    it."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    server._serving.wait(10)  # a close() before it serves would find nothing to stop
    try:
        yield server
    finally:
        server.close()
        thread.join(10)
