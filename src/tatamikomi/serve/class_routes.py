"""The classroom's server (``tatamikomi serve --classroom``): the studio's endpoints, each for the
student who asks, and the instructor's under ``/api/class``.

Every request is admitted first (:meth:`ClassHandler._admit`): a student is known by the session
cookie that ``POST /api/join`` set, the instructor by ``Authorization: Bearer TOKEN``; nobody
else reaches more than the pages, the texts and the join. A state-changing request whose
``Origin`` is another site's is refused (a page elsewhere cannot start a run here), a student
sending faster than their :class:`~tatamikomi.serve.classroom.RateBucket` allows is told to slow
down (429), and a Host header that names another machine is refused (DNS rebinding; an IP
address is always accepted, since a rebinding attack needs a name). The server
(:class:`ClassServer`) holds at most ``max_connections`` connections and cuts off a client
silent for ``timeout`` seconds, so slow or idle clients cannot hold its threads.

The API is documented in docs/studio.md ("The classroom").
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
from http.cookies import CookieError, SimpleCookie

from .. import i18n
from . import api, lan
from .class_limits import STREAM_SECONDS, STREAMS_PER_STUDENT
from .classroom import Classroom
from .errors import refused
from .http import MAX_BODY
from .routes import MAX_MODEL_BODY, ROUTES, Handler, _studio_strings
from .server import StudioServer, in_background

COOKIE = "tatamikomi_session"
#: a student's request body at most (a drawing is a few kB; an image upload up to this)
STUDENT_BODY = 2 * 1024 * 1024
#: who may call the pages and texts without having joined
OPEN = {("GET", "/api/strings"), ("POST", "/api/join")}


class ClassHandler(Handler):
    classroom: Classroom
    keep_alive_seconds = 10.0
    stream_seconds = STREAM_SECONDS
    timeout = 30  # seconds a connection may stay silent, or a reader not read

    # -- who is asking --------------------------------------------------------------------------

    def _admit(self, method, path):
        self.student = self.instructor = None
        classroom = self.classroom
        authorization = self.headers.get("Authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not classroom.is_instructor(token.strip()):
                raise refused("errors.class_bad_token", 401)
            self.instructor = True
        else:
            self.student = classroom.student_of(self._cookie())
        if method in ("POST", "DELETE", "PUT"):
            self._check_origin()
        if not path.startswith("/api/") or (method, path) in OPEN:
            self.studio = self.student.studio if self.student else classroom.shared
            return
        if path == "/api/class" or path.startswith("/api/class/"):
            if not self.instructor:
                raise refused("errors.class_instructor_only", 403 if self.student else 401)
        elif not (self.student or self.instructor):
            raise refused("errors.class_join_first", 401)
        if self.student is not None and not self.student.bucket.take():
            raise refused("errors.class_too_fast", 429)
        self.studio = self.student.studio if self.student else classroom.shared

    def _stream(self, messages_after, active, last: int):
        """An event stream, at most ``STREAMS_PER_STUDENT`` open at once for one student."""
        student = self.student
        if student is None:
            return super()._stream(messages_after, active, last)
        if not student.streams.acquire(blocking=False):
            raise refused("errors.class_too_many_streams", 429, limit=STREAMS_PER_STUDENT)
        try:
            super()._stream(messages_after, active, last)
        finally:
            student.streams.release()

    def _cookie(self):
        try:
            jar = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel is not None else None

    def _check_origin(self):
        """A browser says where the page that sends a request came from: it must be this
        server (same scheme, host and port as the request's Host)."""
        origin = self.headers.get("Origin")
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise refused("errors.class_foreign_origin", 403, origin=origin or site)
        if origin is not None and origin != f"http://{self.headers.get('Host', '')}":
            raise refused("errors.class_foreign_origin", 403, origin=origin)

    def _host_ok(self) -> bool:
        name = self._host_name()
        with contextlib.suppress(ValueError):
            ipaddress.ip_address(name.split("%")[0])
            return True
        return name in self.server.own_names

    def _body_limit(self, path) -> int:
        if self.instructor:
            return super()._body_limit(path)
        return MAX_MODEL_BODY // 4 if path == "/api/models" else STUDENT_BODY

    # -- paths with an id -----------------------------------------------------------------------

    def _dynamic(self, method, path):
        parts = path.split("/")
        if path.startswith("/api/models/") and len(parts) >= 4:
            model = parts[3]
            if method == "DELETE" and len(parts) == 4:
                return lambda h, _: h._json(h._own_studio().delete(model))
            if method == "POST" and parts[4:] == ["pin"]:
                return lambda h, body: h._json(h._own_studio().pin(model, body.get("pinned")))
        if method == "POST" and path.startswith("/api/class/runs/") and parts[5:] == ["stop"]:
            run = parts[4]
            return lambda h, _: h._json(h.classroom.stop_run(h.classroom.find_run(run)))
        return super()._dynamic(method, path)

    def _unrouted(self, method, path):
        if method in ("GET", "HEAD") and path == "/instructor":
            return self._static("/static/instructor.html")
        return super()._unrouted(method, path)

    def _own_studio(self):
        if self.student is None:
            raise refused("errors.class_students_only", 403)
        return self.student.studio

    # -- the studio's endpoints, for the one who asks -------------------------------------------

    def strings(self, query):
        self._json(
            {
                "strings": _studio_strings(),
                "lang": self.classroom.lang,
                "languages": i18n.languages(),
                "classroom": True,
            }
        )

    def _prediction(self, body, *, layers):
        result = super()._prediction(body, layers=layers)
        if self.student is not None:
            self.classroom.seen_drawing(self.student, result)
        return result

    def train_start(self, body):
        if self.instructor:
            return self._json(self.classroom.start_class_run(body), 202)
        self._json(self.studio.start_training(body), 202)

    def _run(self, which=None):
        """The asker's own run; one named by ``which`` only if it is theirs (another's is not
        found)."""
        run = self.studio.training
        if which is not None and (run is None or which != run.run_id):
            raise refused("errors.class_no_run", 404, run=api.shown(which))
        return super()._run()

    def _watched(self, query):
        """The asker's own run, or with ``?run=class`` the instructor's."""
        which = query.get("run")
        if which == "class":
            return self.classroom.shared.training
        if which in (None, "own"):
            return self.studio.training
        return self._run(which)

    def _run_status(self, run) -> dict:
        return self.classroom.run_status(run)

    def _stop(self, run) -> None:
        self.classroom.stop_run(run)  # a waiting run leaves the queue

    # -- the class, for students ----------------------------------------------------------------

    def join(self, body):
        student = self.classroom.join(body.get("name"), self._cookie())
        cookie = f"{COOKIE}={student.session}; Path=/; HttpOnly; SameSite=Strict"
        self._json(
            {"student": student.id, "name": student.name}, 201, [("Set-Cookie", cookie)]
        )

    def me(self, query):
        if self.instructor:
            return self._json({"student": None, "name": None, "instructor": True})
        self._json({"student": self.student.id, "name": self.student.name, "classroom": True})

    def prompt(self, query):
        self._json(self.classroom.prompt or {"text": None, "digit": None, "id": 0})

    def events(self, query):
        self._stream(self.classroom.messages_after, lambda: True, self._after(query))

    def drawing(self, body):
        student = self.student
        if student is None:
            raise refused("errors.class_students_only", 403)
        if "digit" not in body:
            raise refused("errors.studio_explain_give", key="digit")
        image = {k: v for k, v in body.items() if k != "digit"}
        result = super()._prediction(image, layers=False)
        if result.get("empty"):
            raise refused("errors.class_empty_drawing")
        entry = self.classroom.labelled_drawing(student, body["digit"], result)
        correct = entry["digit"] == entry["prediction"]
        self._json({**result, "digit": entry["digit"], "correct": correct})

    def exercise_list(self, query):
        student = self.student
        if student is None:
            raise refused("errors.class_students_only", 403)
        self._json({"exercises": self.classroom.exercise_list(student)})

    def exercise_answer(self, body):
        student = self.student
        if student is None:
            raise refused("errors.class_students_only", 403)
        if "id" not in body or "answer" not in body:
            raise refused("errors.studio_exercise_give")
        self._json(self.classroom.answer(student, body["id"], body["answer"]))

    # -- the instructor's -----------------------------------------------------------------------

    def overview(self, query):
        self._json({**self.classroom.overview(), "qr_svg": self.classroom.qr_svg()})

    def set_prompt(self, body):
        self._json(self.classroom.set_prompt(body))

    def set_limits(self, body):
        self._json(self.classroom.set_limits(body))

    def class_train(self, body):
        self._json(self.classroom.start_class_run(body), 202)

    def export(self, query):
        if query.get("format") == "csv":
            data, kind, name = self.classroom.export_csv().encode(), "text/csv", "class.csv"
        else:
            from .http import to_json

            text = json.dumps(to_json(self.classroom.export()), ensure_ascii=False, indent=1)
            data, kind, name = text.encode(), "application/json", "class.json"
        self._send(
            200,
            data,
            f"{kind}; charset=utf-8",
            [("Content-Disposition", f'attachment; filename="{name}"')],
        )


CLASS_ROUTES = {
    **ROUTES,
    ("POST", "/api/join"): ClassHandler.join,
    ("GET", "/api/me"): ClassHandler.me,
    ("GET", "/api/prompt"): ClassHandler.prompt,
    ("GET", "/api/events"): ClassHandler.events,
    ("POST", "/api/drawings"): ClassHandler.drawing,
    ("GET", "/api/exercises"): ClassHandler.exercise_list,
    ("POST", "/api/exercises/answer"): ClassHandler.exercise_answer,
    ("GET", "/api/class"): ClassHandler.overview,
    ("POST", "/api/class/prompt"): ClassHandler.set_prompt,
    ("POST", "/api/class/limits"): ClassHandler.set_limits,
    ("POST", "/api/class/train"): ClassHandler.class_train,
    ("GET", "/api/class/export"): ClassHandler.export,
    # the studio's own, answered for the one who asks
    ("GET", "/api/strings"): ClassHandler.strings,
    ("POST", "/api/train"): ClassHandler.train_start,
}
ClassHandler.routes = CLASS_ROUTES


class ClassServer(StudioServer):
    """The classroom's HTTP server: a :class:`StudioServer` around a :class:`Classroom`, with
    at most ``max_connections`` open connections (more are answered 503 at once, without a
    thread) and a shorter time for a request to arrive."""

    request_seconds = 20.0
    #: a browser holds up to 6 connections to a server, two of them a page's event streams:
    #: 60 students at most 360, 120 pages (two tabs each) 720
    max_connections = 800

    def __init__(
        self, classroom: Classroom, host="0.0.0.0", port=8000, *, quiet=True, max_connections=None
    ):
        self.classroom = classroom
        if max_connections is not None:
            self.max_connections = int(max_connections)
        self._slots = threading.BoundedSemaphore(self.max_connections)
        super().__init__(classroom.shared, host, port, quiet=quiet)
        self.RequestHandlerClass = type(
            "ClassroomHandler",
            (ClassHandler,),
            {
                "classroom": classroom,
                "studio": classroom.shared,
                "static": self.RequestHandlerClass.static,
                "quiet": quiet,
            },
        )
        self.own_names = lan.host_names() | {str(host).lower().rstrip(".")}
        found = lan.urls(host if host not in (None, "") else "0.0.0.0", self.server_address[1])
        classroom.urls = {
            "student": found[0],
            "instructor": f"{found[0]}instructor?token={classroom.token}",
            "others": found[1:],
        }

    @property
    def instructor_url(self) -> str:
        return self.classroom.urls["instructor"]

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                message = i18n.text("errors.class_busy", lang=self.classroom.lang)
                body = json.dumps({"error": message, "status": 503}).encode()
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    b"Connection: close\r\nRetry-After: 2\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def end_work(self) -> list[str]:
        """End the class: runs stopped and saved, the export written; returns the files."""
        return self.classroom.shutdown()


@contextlib.contextmanager
def running(classroom: Classroom, host="127.0.0.1", port=0, **options):
    """A classroom server on a free port in a background thread, ended on leaving (tests);
    ``options`` go to :class:`ClassServer`."""
    with in_background(ClassServer(classroom, host, port, **options)) as server:
        yield server


__all__ = ["COOKIE", "ClassHandler", "ClassServer", "Classroom", "running", "MAX_BODY"]
