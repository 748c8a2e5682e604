"""A training run in a child process (the classroom's runs).

A run training in the studio's own process shares its interpreter lock with every request: a
class of students drawing waits behind each training step's Python work. :class:`ProcessRun`
is a :class:`~tatamikomi.serve.training.TrainingRun` whose trainer runs in a spawned child
process at a lower CPU priority (``CHILD_NICE``) with one BLAS thread; the studio's process only
relays. The run's dataset is read in the child and freed when the run ends.

What crosses the pipe (our own processes, our own objects)::

    parent -> child   "pause" | "resume" | "stop" | "snapshot" (the weights are wanted)
    child -> parent   ("begin", {"path", "architecture", "dtype", "classes", "preprocess"})
                      ("snapshot", {name: array}, step)
                      ("event", {"type": "step" | "epoch" | "filters" | "state", ...})

The parent renumbers the events into its own list, so pages read a child's run exactly as a
thread's. The child's last event is its final state; the parent then reads the saved model file
(:func:`tatamikomi.models.load`) and serves it. A child that ends without one (killed, out of
memory) makes the run ``"failed"`` with its exit code. The child ignores Ctrl-C (the terminal
sends it to the whole process group): the studio stops its runs itself, and each saves its file.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time

import numpy as np

from .. import i18n
from .training import SNAPSHOT_SECONDS, TrainingRun

#: how much lower the child's CPU priority is than the studio's (Unix nice steps)
CHILD_NICE = 10
#: seconds the parent waits for a child to exit after its last message
EXIT_SECONDS = 30.0


class ProcessRun(TrainingRun):
    """A :class:`TrainingRun` whose trainer runs in a child process (same API and events)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._connection = None
        self._send_guard = threading.Lock()
        self._asked = 0.0  # when a snapshot was last asked for (0: none pending)
        self._snapshot_time = 0.0

    # -- steering: said here at once, and to the child -------------------------------------

    def pause(self):
        super().pause()
        self._tell("pause")

    def resume(self):
        super().resume()
        self._tell("resume")

    def stop(self):
        super().stop()
        self._tell("stop")

    def model(self):
        """The latest weights the child sent; a newer copy is asked for when this one is older
        than ``SNAPSHOT_SECONDS`` (it arrives after the child's current step)."""
        now = time.monotonic()
        stale = now - self._snapshot_time >= SNAPSHOT_SECONDS
        if stale and self._predictor is not None and now - self._asked >= SNAPSHOT_SECONDS:
            self._asked = now
            self._tell("snapshot")
        return super().model()

    def _tell(self, command: str) -> None:
        connection = self._connection
        if connection is None:
            return
        with self._send_guard, contextlib.suppress(OSError, ValueError):
            connection.send(command)

    # -- the relay (the run's thread in the parent) -----------------------------------------

    def _run(self):
        context = multiprocessing.get_context("spawn")
        here, there = context.Pipe()
        child = context.Process(
            target=_child,
            args=(there, self.options, self.save_dir, self.lang, self._data),
            name="tatamikomi-training",
            daemon=True,
        )
        self._data = None  # the child has its own copy now
        ended = False
        try:
            child.start()
            there.close()
            self._connection = here
            if self._stop:  # stopped while the child was starting
                self._tell("stop")
            while not ended:
                try:
                    message = here.recv()
                except (EOFError, OSError):
                    break
                ended = self._received(message)
            child.join(EXIT_SECONDS)
            if not ended:
                raise i18n.error(
                    RuntimeError, "errors.studio_training_process", code=child.exitcode
                )
        except BaseException as error:  # the page hears of it; the server stays up
            self.error = i18n.say(error, self.lang) or type(error).__name__
            self._set_state("failed", error=self.error)
        finally:
            self._connection = None
            here.close()
            if child.is_alive():
                child.terminate()
            self._ended()

    def _received(self, message) -> bool:
        """One message from the child; True for its last (the run's final state)."""
        if message[0] == "snapshot":
            self._snapshot, self._snapshot_time = (message[1], message[2]), time.monotonic()
            self._asked = 0.0
            return False
        if message[0] == "begin":
            self.path = message[1]["path"]
            self._predictor = _predictor(message[1])
            return False
        event = dict(message[1])
        event.pop("id", None)
        if event["type"] != "state":
            self._emit(event)
            return False
        state = event.pop("state")
        if state in ("finished", "stopped"):
            if event.get("saved"):  # a stopped run's file is renamed at its end
                self.path = os.path.join(self.save_dir, event["saved"])
            if self.path and os.path.exists(self.path) and self.on_saved is not None:
                from ..models import load

                self.on_saved(self.path, load(self.path))
            self._set_state(state, **event)
            return True
        if state == "failed":
            self.error = event.get("error")
            self._set_state(state, **event)
            return True
        if state != self.state:  # pause, resume and stop were said here already
            self._set_state(state, **event)
        return False


def _predictor(begun: dict):
    """The model predictions run on in the parent: the child's architecture, weights to come."""
    from ..models import build_model

    model = build_model(begun["architecture"], dtype=np.dtype(begun["dtype"]))
    model.classes, model.preprocess = begun["classes"], begun["preprocess"]
    return model.eval()


# -- the child --------------------------------------------------------------------------------


class _ChildRun(TrainingRun):
    """The run inside the child: its events and snapshots go down the pipe, commands come up."""

    def __init__(self, connection, options, save_dir, data):
        super().__init__(options, save_dir, data=data)
        self._connection = connection
        self._send_guard = threading.Lock()
        self._wanted = True
        threading.Thread(target=self._listen, name="tatamikomi-commands", daemon=True).start()

    def _listen(self):
        commands = {"pause": self.pause, "resume": self.resume, "stop": self.stop}
        while True:
            try:
                command = self._connection.recv()
            except (EOFError, OSError):  # the studio is gone: save and end
                self.stop()
                return
            if command == "snapshot":
                self._wanted = True
            elif command in commands:
                commands[command]()

    def _send(self, message) -> None:
        with self._send_guard, contextlib.suppress(OSError):  # the studio is gone: no one to tell
            self._connection.send(message)

    def on_train_begin(self, trainer):
        network = trainer.network
        self._send(
            (
                "begin",
                {
                    "path": self.path,
                    "architecture": network.architecture(),
                    "dtype": str(network.dtype),
                    "classes": network.classes,
                    "preprocess": network.preprocess,
                },
            )
        )
        self._take_snapshot(trainer, 0)
        self._set_state("paused" if not self._running.is_set() else "running")

    def _take_snapshot(self, trainer, step):
        self._last_snapshot = time.monotonic()
        if self._wanted:
            self._wanted = False
            weights = {k: np.array(a, copy=True) for k, a in trainer.network.state_dict().items()}
            self._send(("snapshot", weights, step))

    def _emit(self, event):
        self._send(("event", event))


def _child(connection, options, save_dir, lang, data):
    """The child process: train, telling the parent everything, at a lower CPU priority."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError):
        os.nice(CHILD_NICE)
    from threadpoolctl import threadpool_limits

    with i18n.use(lang), threadpool_limits(1):
        _ChildRun(connection, options, save_dir, data)._run()
    connection.close()


__all__ = ["CHILD_NICE", "ProcessRun"]
