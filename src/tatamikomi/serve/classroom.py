"""A class in one studio (``tatamikomi serve --classroom``): the instructor's shared models and
run, each student's own studio, the queue of runs, the prompt, the wall of drawings, the class's
confusion matrix and its exercise answers. No HTTP here (:mod:`.class_routes` serves it).

Who is who: a student joins with a nickname and gets a session (a random cookie value); the
instructor holds the class's secret ``token``. A student sees the shared models and their own,
and reads, pauses, stops or deletes only their own runs and models: another student's id is
not found. Everything is held in memory with a bound (students, models per student, drawings,
events), and the only files written go into the class folder: the models students train (under
a disk quota checked before a run starts) and the class's export at the end.
"""

from __future__ import annotations

import collections
import datetime
import os
import secrets
import threading
import time

import numpy as np

from .. import exercises
from . import api
from .errors import refused
from .http import sse_message, to_json
from .registry import Served, Studio
from .class_limits import (
    STREAMS_PER_STUDENT,
    RateBucket,
    file_estimate,
    fresh_folder,
    megabytes,
    checked_whole,
    checked_limits,
    default_limits,
    folder_bytes,
)
from .runqueue import RunQueue

#: students a class holds at most, and the longest nickname
MAX_STUDENTS = 300
MAX_NAME = 24
#: labelled drawings kept for the confusion matrix and the export (each 28x28 bytes)
MAX_DRAWINGS = 5000
#: class events kept for pages that reconnect (prompts, the class run, the queue)
MAX_EVENTS = 256
#: runs the class remembers (an ended one keeps its status, its curve and its last filters)
MAX_RUNS = 500
#: the most common wrong answers shown per exercise
COMMON_WRONG = 3


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


class Student:
    """One student: ``id`` ("s3"), ``name``, their session, their studio, their answers."""

    def __init__(self, classroom, number: int, name: str):
        self.id = f"s{number}"
        self.name = name
        self.session = secrets.token_urlsafe(24)
        self.joined = _now()
        self.seen = time.time()
        self.tries: dict[str, int] = {}
        self.solved: set[str] = set()
        self.studio = StudentStudio(classroom, self)
        self.bucket = RateBucket()
        self.streams = threading.BoundedSemaphore(STREAMS_PER_STUDENT)  # open event streams


class StudentStudio(Studio):
    """A student's studio: the class's shared models (read only) and their own (at most the
    class's ``models_per_student``, the oldest unpinned released first), their own run (queued
    for the cores, within the class's limits), and the class run to watch."""

    def __init__(self, classroom, student):
        self.classroom = classroom
        self.student = student
        self.pinned: set[str] = set()
        super().__init__((), save_dir=classroom.folder, lang=classroom.lang)
        self.save_dir = os.path.join(classroom.folder, student.id)

    def add(self, name, model, source, path=None) -> Served:
        with self._guard:
            served = Served(f"{self.student.id}-m{self._next}", name, model, source, path)
            self._next += 1
            self._models[served.id] = served
            limit = self.classroom.limits["models_per_student"]
            while len(self._models) > limit:
                unpinned = [i for i in self._models if i not in self.pinned and i != served.id]
                oldest = unpinned[0] if unpinned else next(iter(self._models))
                self._models.pop(oldest)
                self.pinned.discard(oldest)
            return served

    def models(self) -> list[dict]:
        shared = [{**m, "shared": True} for m in self.classroom.shared.models()]
        own = [
            {**m, "shared": False, "pinned": m["id"] in self.pinned}
            for m in Studio.models(self)
        ]
        return shared + own

    def get(self, model_id) -> Served:
        if model_id is None:
            return self.classroom.shared.get(None)
        if isinstance(model_id, str) and model_id in self._models:
            return self._models[model_id]
        if model_id == "training":
            return Studio.get(self, model_id)
        if model_id == "class-run":
            return self.classroom.shared.get("training")
        if isinstance(model_id, str) and model_id in self.classroom.shared._models:
            return self.classroom.shared._models[model_id]
        if model_id is not None and not isinstance(model_id, str):
            raise refused("errors.studio_model_id", value=api.shown(model_id))
        known = ", ".join(m["id"] for m in self.models()) or api.NOTHING
        raise refused("errors.studio_no_model", 404, id=repr(model_id), known=known)

    def own(self, model_id) -> Served:
        """One of the student's own models; a shared one is refused (403), another's not found."""
        if isinstance(model_id, str) and model_id in self._models:
            return self._models[model_id]
        if isinstance(model_id, str) and model_id in self.classroom.shared._models:
            raise refused("errors.class_shared_model", 403, id=model_id)
        raise refused("errors.studio_no_model", 404, id=repr(model_id), known=api.NOTHING)

    def delete(self, model_id) -> dict:
        served = self.own(model_id)
        with self._guard:
            self._models.pop(served.id, None)
            self.pinned.discard(served.id)
        return {"deleted": served.id}

    def pin(self, model_id, pinned) -> dict:
        served = self.own(model_id)
        if not isinstance(pinned, bool):
            raise refused("errors.class_pinned", value=api.shown(pinned))
        (self.pinned.add if pinned else self.pinned.discard)(served.id)
        return {**served.info(), "shared": False, "pinned": pinned}

    def start_training(self, options, data=None) -> dict:
        classroom = self.classroom
        options = classroom.student_options(options)
        with self._guard:
            if self.training is not None and self.training.active:
                raise refused("errors.class_one_run", 409)
            run = classroom.new_run(options, self.save_dir, self._saved, self.student, data)
            self.training = run
        classroom.queue.submit(run)
        return classroom.run_status(run)


class Classroom:
    """The class: ``shared`` (the instructor's :class:`Studio`), ``students`` by id, the
    ``queue`` of runs, the ``limits``, the ``prompt``, the wall and the answers.

    ``folder`` is the class folder (made inside ``save_dir``, named for the time the class
    started); ``token`` the instructor's secret (random unless given)."""

    def __init__(self, models=(), *, save_dir=None, lang="en", token=None, limits=None, data=None):
        self.lang = lang
        self.token = token or secrets.token_urlsafe(18)
        self.started = _now()
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = os.path.abspath(save_dir or os.getcwd())
        self.folder = fresh_folder(os.path.join(base, f"class-{stamp}"))
        self.limits = checked_limits(default_limits(), limits or {})
        self.shared = Studio(models, save_dir=self.folder, lang=lang)
        self.students: dict[str, Student] = {}
        self._sessions: dict[str, Student] = {}
        self._names: set[str] = set()
        self._guard = threading.Lock()
        self._data = data  # a Dataset for every run (tests), else each run loads its own
        self.queue = RunQueue(self.limits["concurrency"], on_change=self._queue_changed)
        # the class's runs, in order (the instructor's list, the export), the latest MAX_RUNS
        self.runs: collections.deque = collections.deque(maxlen=MAX_RUNS)
        self._run_numbers = 0
        self.prompt = None
        self.wall: dict[str, dict] = {}
        self.drawings: collections.deque = collections.deque(maxlen=MAX_DRAWINGS)
        self.answers: dict[str, dict] = {
            key: {"right": 0, "wrong": 0, "wrong_answers": collections.Counter()}
            for key in exercises.KEYS
        }
        self._events: collections.deque = collections.deque(maxlen=MAX_EVENTS)
        self._next_event = 1
        self._changed = threading.Condition()
        self.urls = {"student": None, "instructor": None, "others": []}

    # -- people ---------------------------------------------------------------------------------

    def join(self, name, session=None) -> Student:
        """A student joins as ``name`` (or renames, with their ``session``)."""
        if not isinstance(name, str) or not name.strip():
            raise refused("errors.class_name", limit=MAX_NAME)
        name = " ".join(name.split())[:MAX_NAME]
        with self._guard:
            student = self._sessions.get(session) if session else None
            if student is not None:
                self._names.discard(student.name)
            elif len(self.students) >= MAX_STUDENTS:
                raise refused("errors.class_full", 503, limit=MAX_STUDENTS)
            unique, n = name, 1
            while unique in self._names:
                n += 1
                unique = f"{name} ({n})"
            self._names.add(unique)
            if student is not None:
                student.name = unique
                return student
            student = Student(self, len(self.students) + 1, unique)
            self.students[student.id] = student
            self._sessions[student.session] = student
        self.emit({"type": "joined", "count": len(self.students)})
        return student

    def student_of(self, session) -> Student | None:
        student = self._sessions.get(session) if isinstance(session, str) else None
        if student is not None:
            student.seen = time.time()
        return student

    def is_instructor(self, token) -> bool:
        return isinstance(token, str) and secrets.compare_digest(token, self.token)

    # -- runs -----------------------------------------------------------------------------------

    def student_options(self, options) -> dict:
        """A student's training options within the class's limits (dataset and epochs)."""
        if not isinstance(options, dict):
            raise refused("errors.studio_training_object")
        options = {k: v for k, v in options.items() if k != "lang"}
        allowed = self.limits["datasets"]
        options.setdefault("dataset", allowed[0])
        if options["dataset"] not in allowed:
            raise refused(
                "errors.class_dataset_limit",
                403,
                value=api.shown(options["dataset"]),
                allowed=", ".join(allowed),
            )
        epochs = options.setdefault("epochs", 1)
        limit = self.limits["max_epochs"]
        if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > limit:
            raise refused("errors.class_epochs_limit", 403, value=epochs, limit=limit)
        return options

    def new_run(self, options, folder, on_saved, owner, data=None):
        """A run, checked against the class's disk quota before anything starts."""
        from .run_process import ProcessRun
        from .training import _check_options

        used, need = folder_bytes(self.folder), file_estimate(_check_options(options))
        quota = self.limits["quota_mb"] * 1024 * 1024
        if used + need > quota:
            raise refused(
                "errors.class_quota",
                507,
                used=megabytes(used),
                need=megabytes(need),
                quota=self.limits["quota_mb"],
            )
        os.makedirs(folder, exist_ok=True)
        run = ProcessRun(  # in a child process: the class's requests keep this one's interpreter
            options,
            folder,
            on_saved=on_saved,
            on_done=self._run_done,
            data=data if data is not None else self._data,
            owner=owner,
        )
        with self._guard:
            self._run_numbers += 1
            run.run_id = f"r{self._run_numbers}"
            self.runs.append(run)
        return run

    def start_class_run(self, options) -> dict:
        """The instructor's run: first in the queue, watched by every student."""
        shared = self.shared
        with shared._guard:
            if shared.training is not None and shared.training.active:
                raise refused("errors.studio_training_running", 409)
            run = self.new_run(options, self.folder, shared._saved, None)
            shared.training = run
        self.queue.submit(run, first=True)
        self.emit({"type": "class_run", "state": run.state})
        return self.run_status(run)

    def find_run(self, run_id):
        for run in list(self.runs):
            if _run_id(run) == run_id:
                return run
        raise refused("errors.class_no_run", 404, run=api.shown(run_id))

    def stop_run(self, run) -> dict:
        self.queue.cancel(run)
        run.stop()
        return self.run_status(run)

    def run_status(self, run) -> dict:
        status = run.status()
        owner = run.owner
        return {
            **status,
            "run": _run_id(run),
            "student": owner.id if owner is not None else None,
            "name": owner.name if owner is not None else None,
            "queue": self.queue.position(run),
            "epoch": len(status["epochs"]),
        }

    def _run_done(self, run):
        self.queue.done(run)
        if run.owner is None:
            self.emit({"type": "class_run", "state": run.state})

    def _queue_changed(self):
        self.emit({"type": "queue"})
        run = self.shared.training
        if run is not None and run.state in ("loading", "running"):
            self.emit({"type": "class_run", "state": run.state})

    def set_limits(self, given) -> dict:
        self.limits = checked_limits(self.limits, given)
        self.queue.set_concurrency(self.limits["concurrency"])
        return self.limits

    # -- the room -------------------------------------------------------------------------------

    def set_prompt(self, request) -> dict:
        text, digit = request.get("text"), request.get("digit")
        if not isinstance(text, str) or not 0 < len(text.strip()) <= 200:
            raise refused("errors.class_prompt_text", limit=200)
        if digit is not None:
            digit = checked_whole(digit, "digit", 0, 9)
        self.prompt = self.emit({"type": "prompt", "text": text.strip(), "digit": digit})
        return self.prompt

    def seen_drawing(self, student, result) -> None:
        """A student's latest prediction, for the instructor's wall."""
        if result.get("empty"):
            return
        self.wall[student.id] = {
            "student": student.id,
            "name": student.name,
            "seen": _tile(result["seen"]),
            "prediction": result["prediction"],
            "confidence": round(float(np.max(result["probabilities"])), 4),
            "at": time.time(),
        }

    def labelled_drawing(self, student, digit, result) -> dict:
        """A drawing the student labelled ``digit``: into the confusion matrix (and the
        misclassified ones when the prediction is another class)."""
        count = len(result["classes"])
        digit = checked_whole(digit, "digit", 0, count - 1)
        self.seen_drawing(student, result)
        entry = {
            "student": student.id,
            "name": student.name,
            "digit": digit,
            "prediction": result["prediction"],
            "confidence": round(float(np.max(result["probabilities"])), 4),
            "seen": _tile(result["seen"]),
            "at": _now(),
        }
        self.drawings.append(entry)
        return entry

    def confusion(self) -> list[list[int]]:
        matrix = np.zeros((10, 10), np.int64)
        for d in list(self.drawings):
            if d["digit"] < 10 and d["prediction"] < 10:
                matrix[d["digit"], d["prediction"]] += 1
        return matrix.tolist()

    # -- exercises ------------------------------------------------------------------------------

    def exercise_list(self, student) -> list[dict]:
        return [
            api.exercise_entry(key, student.tries.get(key, 0), key in student.solved)
            for key in exercises.KEYS
        ]

    def answer(self, student, key, given) -> dict:
        """A student's answer (numbers as JSON, or the text they typed): the verdict of
        :func:`api.exercise_verdict` on their own count of tries, tallied for the class."""
        given = api.exercise_given(key, given)
        if given is None:
            return api.exercise_verdict(key, None, student.tries.get(key, 0))
        tries = student.tries[key] = student.tries.get(key, 0) + 1
        verdict = api.exercise_verdict(key, given, tries)
        tally = self.answers[key]
        if verdict["correct"]:
            if key not in student.solved:
                tally["right"] += 1
            student.solved.add(key)
            return verdict
        tally["wrong"] += 1
        shown = api.shown(given)[:60]
        if len(tally["wrong_answers"]) < 500 or shown in tally["wrong_answers"]:
            tally["wrong_answers"][shown] += 1
        return verdict

    def answer_tally(self) -> dict:
        return {
            key: {
                "question": exercises.question(key, with_options=False),
                "right": t["right"],
                "wrong": t["wrong"],
                "common_wrong": t["wrong_answers"].most_common(COMMON_WRONG),
            }
            for key, t in self.answers.items()
        }

    # -- events ---------------------------------------------------------------------------------

    def emit(self, event: dict) -> dict:
        with self._changed:
            event = {**event, "id": self._next_event}
            self._next_event += 1
            self._events.append((event, sse_message(event)))
            self._changed.notify_all()
        return event

    def messages_after(self, last_id: int, timeout: float = 15.0) -> list[tuple[int, bytes]]:
        with self._changed:
            if not self._events or self._events[-1][0]["id"] <= last_id:
                self._changed.wait(timeout)
            return [(e["id"], m) for e, m in self._events if e["id"] > last_id]

    # -- the instructor's view and the export ---------------------------------------------------

    def qr_svg(self) -> str | None:
        """The student URL's QR code as SVG (made once), or None without ``segno``."""
        url = self.urls["student"]
        if url and getattr(self, "_qr", (None,))[0] != url:
            from . import lan

            try:
                self._qr = (url, lan.qr_svg(url))
            except ImportError:
                self._qr = (url, None)
        return self._qr[1] if url else None

    def overview(self) -> dict:
        return {
            "students": [
                {
                    "student": s.id,
                    "name": s.name,
                    "joined": s.joined,
                    "seen": round(time.time() - s.seen, 1),
                    "run": _run_id(s.studio.training) if s.studio.training is not None else None,
                }
                for s in list(self.students.values())
            ],
            "wall": sorted(self.wall.values(), key=lambda tile: -tile["at"]),
            "confusion": self.confusion(),
            "misclassified": [d for d in list(self.drawings) if d["digit"] != d["prediction"]][
                -48:
            ],
            "answers": self.answer_tally(),
            "runs": [self.run_status(run) for run in list(self.runs)[-100:]],
            "limits": self.limits,
            "prompt": self.prompt,
            "urls": self.urls,
            "folder": self.folder,
        }

    def export(self) -> dict:
        """The class as one JSON-ready dict (nicknames, labelled drawings with their pixels, the
        confusion matrix, the answers, the runs)."""
        answers = self.answer_tally()
        for key, tally in answers.items():
            tally["wrong_answers"] = dict(self.answers[key]["wrong_answers"])
        return {
            "class": {"started": self.started, "exported": _now(), "limits": self.limits},
            "students": [
                {
                    "name": s.name,
                    "joined": s.joined,
                    "solved": sorted(s.solved),
                    "tries": s.tries,
                    "models": [m.name for m in s.studio._models.values()],
                }
                for s in list(self.students.values())
            ],
            "drawings": list(self.drawings),
            "confusion": self.confusion(),
            "answers": answers,
            "runs": [
                {k: v for k, v in self.run_status(run).items() if k != "last_event"}
                for run in list(self.runs)
            ],
        }

    def export_csv(self) -> str:
        """The labelled drawings, one row each (name, digit, prediction, confidence, time)."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "digit", "prediction", "confidence", "at"])
        for d in list(self.drawings):
            name = d["name"]
            if name[:1] in ("=", "+", "-", "@"):  # a spreadsheet would read it as a formula
                name = "'" + name
            writer.writerow([name, d["digit"], d["prediction"], d["confidence"], d["at"]])
        return out.getvalue()

    def shutdown(self, timeout=120.0) -> list[str]:
        """End the class: stop every run (each running one saves its checkpoint), then write the
        class's export into the class folder; returns the files written."""
        for run in self.queue.waiting:
            self.stop_run(run)
        running = [run for run in list(self.runs) if run.active]
        for run in running:
            run.stop()
        saved = []
        for run in running:
            run.join(timeout)
            if run.path and os.path.exists(run.path):
                saved.append(run.path)
        saved.append(self.write_export())
        return saved

    def write_export(self) -> str:
        """The export as ``class-export.json`` in the class folder, written atomically (a
        fresh name if one is there)."""
        import json

        from .. import _files

        path, n = os.path.join(self.folder, "class-export.json"), 1
        while os.path.exists(path):
            n += 1
            path = os.path.join(self.folder, f"class-export-{n}.json")
        text = json.dumps(to_json(self.export()), ensure_ascii=False, indent=1)
        with _files.atomic_write(path) as f:
            f.write(text.encode("utf-8"))
        return path


def _run_id(run) -> str:
    return run.run_id


def _tile(seen) -> list:
    """The first channel of what the network saw, as 0..255 ints (H, W)."""
    grey = np.asarray(seen)
    grey = grey[0] if grey.ndim == 3 else grey
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8).tolist()
