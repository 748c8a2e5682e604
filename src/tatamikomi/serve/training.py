"""A training run in a background thread, watched and steered through the Trainer's callbacks.

:class:`TrainingRun` is a :class:`~tatamikomi.train.callbacks.Callback`: ``on_step_end`` records
the loss for the curve, keeps a copy of the weights for predictions (at most every
``SNAPSHOT_SECONDS``), blocks while the run is paused, and sets ``trainer.stop_training`` when
asked to stop (the trainer then saves its checkpoint, the run's model file). Predictions during
training use that copy (:meth:`TrainingRun.model`), never the weights being updated, and never
wait for a step to finish.

Events (for the page's Server-Sent Events) are dictionaries with a growing ``"id"``:
``{"type": "state", "state": "loading" | "running" | "paused" | "stopping" | "finished" |
"stopped" | "failed" | "queued", ...}``, ``{"type": "step", "step", "epoch", "loss", "lr"}``,
``{"type": "epoch", "epoch", "loss", "train_acc", "test_acc", "seconds", "lr"}`` and
``{"type": "filters", "layer", "weights": (FN, C, FH, FW)}`` (the first convolution's).
"""

from __future__ import annotations

import os
import re
import threading
import time

import numpy as np

from .. import i18n
from ..train import Trainer
from ..train.callbacks import Callback
from ..train.checkpoint import RUN_NUMBERS
from .api import _lock, clone
from .errors import refused
from .http import sse_message

MODELS = ("SimpleConvNet", "DeepConvNet")
DATASETS = ("mnist-mini", "mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SNAPSHOT_SECONDS = 0.25
FILTER_SECONDS = 1.0
#: the states a run ends in
ENDED = ("finished", "stopped", "failed")
#: the studio keeps at most this many step events (the curve is thinned beyond it)
MAX_STEP_EVENTS = 20000


def _check_options(options: dict) -> dict:
    """The run's options with defaults filled in; a RequestError names a wrong one."""
    if not isinstance(options, dict):
        raise refused("errors.studio_training_object")
    known = {"model", "dataset", "epochs", "batch_size", "optimizer", "lr", "seed", "augment_shift"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise refused("errors.studio_training_unknown", unknown=unknown, known=sorted(known))
    model = options.get("model", "SimpleConvNet")
    if isinstance(model, str) and model not in MODELS:
        raise refused("errors.studio_training_model", names=", ".join(MODELS), value=repr(model))
    if not isinstance(model, (str, dict)):
        raise refused("errors.studio_training_model_kind")
    if isinstance(model, dict):  # sized now (the studio's budget), not after the data are read
        from ..models import STUDIO_BUDGET, from_spec

        try:
            from_spec(model, budget=STUDIO_BUDGET)
        except (ValueError, TypeError) as error:
            raise refused("errors.studio_spec", error=error) from None
    dataset = options.get("dataset", "mnist-mini")
    if dataset not in DATASETS:
        raise refused(
            "errors.studio_one_of", name="dataset", names=", ".join(DATASETS), value=repr(dataset)
        )
    optimizer = str(options.get("optimizer", "adam")).lower()
    if optimizer not in OPTIMIZERS:
        raise refused(
            "errors.studio_one_of",
            name="optimizer",
            names=", ".join(OPTIMIZERS),
            value=repr(optimizer),
        )

    def whole(name, default, low, high):
        value = options.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise refused("errors.studio_whole", name=name, low=low, high=high, value=repr(value))
        return value

    lr = options.get("lr", 0.003 if model == "SimpleConvNet" else 0.001)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= 10:
        raise refused("errors.studio_lr", value=repr(lr))
    return {
        "model": model,
        "dataset": dataset,
        "epochs": whole("epochs", 1, 1, 100),
        # within what a checkpoint may hold, so that a studio run resumes at the command line
        "batch_size": whole("batch_size", 100, *RUN_NUMBERS["batch_size"]),
        "optimizer": optimizer,
        "lr": float(lr),
        "seed": whole("seed", 0, 0, 2**31 - 1),
        "augment_shift": whole("augment_shift", 0, 0, 4),
    }


def fresh_path(folder: str, stem: str) -> str:
    """``folder/stem.npz``, or ``stem-2.npz``, ``stem-3.npz``... : the first that does not exist
    (the trainer refuses to overwrite, should one appear meanwhile)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "model"
    path, n = os.path.join(folder, f"{stem}.npz"), 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(folder, f"{stem}-{n}.npz")
    return path


class TrainingRun(Callback):
    """One training run: ``start()`` it, watch ``events_after(id)``, ``pause()``, ``resume()``,
    ``stop()``; predictions use :meth:`model` (a copy of the latest weights)."""

    def __init__(
        self, options: dict, save_dir: str, *, on_saved=None, on_done=None, data=None, owner=None
    ):
        self.options = _check_options(options)
        self.owner = owner  # who started it (a classroom's student or instructor), else None
        self.on_done = on_done  # called with the run when its thread ends, whatever the end
        if not os.path.isdir(save_dir):
            raise refused("errors.studio_save_dir", 500, folder=save_dir)
        self.save_dir = save_dir
        self.lang = i18n.current()  # the starting request's: a failure is said in it
        self.on_saved = on_saved  # called with (path, model) once the model file is written
        self._data = data  # a Dataset, to skip loading (tests)
        self.state = "loading"
        self.path = None
        self.error = None
        self._events: list[dict] = []
        self._sent: dict[int, bytes] = {}  # each event as an SSE message, made once for all readers
        self._changed = threading.Condition()
        self._running = threading.Event()
        self._running.set()
        self.held = threading.Event()  # set while the training thread waits, paused
        self._stop = False
        self._snapshot = None  # (weights copied at a step's end, step)
        self._predictor = None  # the copy predictions run on, and the step its weights are from
        self._predictor_step = -1
        self._last_snapshot = self._last_filters = 0.0
        self._thread = threading.Thread(target=self._run, name="tatamikomi-training", daemon=True)

    # -- steering (any thread) ----------------------------------------------------------------

    def start(self):
        self._set_state("loading", options=self._public_options())
        self._thread.start()
        return self

    def wait_in_queue(self):
        """Announce the run as waiting for a free core (a classroom's queue starts it later)."""
        self._set_state("queued")
        return self

    def pause(self):
        if self.state == "running":
            self._running.clear()
            self._set_state("paused")

    def resume(self):
        if self.state == "paused":
            self._set_state("running")
            self._running.set()

    def stop(self):
        """Stop after the current step; the trainer saves the model file. A run still waiting in
        a queue is stopped at once (it never started)."""
        self._stop = True
        if self.state == "queued":
            self._set_state("stopped")
            return
        if self.state in ("loading", "running", "paused"):
            self._set_state("stopping")
        self._running.set()

    def join(self, timeout=None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def active(self) -> bool:
        return self.state == "queued" or self._thread.is_alive()

    def status(self) -> dict:
        epochs = [e for e in self._events if e["type"] == "epoch"]
        return {
            "state": self.state,
            "options": self._public_options(),
            "saved": os.path.basename(self.path)
            if self.path and self.state in ("finished", "stopped")
            else None,
            "error": self.error,
            "last_event": self._events[-1]["id"] if self._events else 0,
            "epochs": epochs,
        }

    def events_after(self, last_id: int, timeout: float = 15.0) -> list[dict]:
        """The events after ``last_id``, waiting up to ``timeout`` seconds for one."""
        with self._changed:
            if not self._events or self._events[-1]["id"] <= last_id:
                self._changed.wait(timeout)
            return [e for e in self._events if e["id"] > last_id]

    def messages_after(self, last_id: int, timeout: float = 15.0) -> list[tuple[int, bytes]]:
        """:meth:`events_after` as ``(id, SSE message)``: each event is made into its message once,
        however many pages watch the run (a class watching the instructor's training)."""
        events = self.events_after(last_id, timeout)
        with self._changed:
            return [(e["id"], self._sent.get(e["id"]) or self._message(e)) for e in events]

    def _message(self, event) -> bytes:
        message = self._sent[event["id"]] = sse_message(event)
        return message

    def model(self):
        """A model with the weights of the latest snapshot (None before the first step)."""
        snapshot, predictor = self._snapshot, self._predictor
        if snapshot is None or predictor is None or self.state in ENDED:
            return None  # an ended run's model is served from its file
        weights, step = snapshot
        with _lock(predictor):  # the lock its predictions take too
            if self._predictor_step != step:
                predictor.load_state_dict(weights)
                self._predictor_step = step
            return predictor

    # -- the callback (training thread) -------------------------------------------------------

    def on_train_begin(self, trainer):
        self._predictor = clone(trainer.network)
        self._take_snapshot(trainer, 0)
        self._set_state("paused" if not self._running.is_set() else "running")

    def on_step_end(self, trainer, step, logs):
        self._emit({"type": "step", **_floats(logs)})
        now = time.monotonic()
        if now - self._last_snapshot >= SNAPSHOT_SECONDS:
            self._take_snapshot(trainer, step)
        if now - self._last_filters >= FILTER_SECONDS:
            self._emit_filters(trainer)
        while not self._running.is_set():  # paused: block the training thread here
            self._take_snapshot(trainer, step)
            self.held.set()
            self._running.wait(0.5)
        self.held.clear()
        if self._stop:
            trainer.stop_training = True

    def on_epoch_end(self, trainer, epoch, logs):
        self._emit({"type": "epoch", "epoch": epoch, **_floats(logs)})
        self._take_snapshot(trainer, trainer.global_step)
        self._emit_filters(trainer)

    # -- inside -------------------------------------------------------------------------------

    def _run(self):
        try:
            trainer = self._trainer()
            if self._stop:
                self._set_state("stopped")
                return
            trainer.train()
            model = trainer.network
            finished = trainer.current_epoch >= trainer.epochs
            if not finished and os.path.exists(self.path):
                self._name_as_stopped(trainer.current_epoch, trainer.epochs)
            if os.path.exists(self.path) and self.on_saved is not None:
                self.on_saved(self.path, clone(model))
            state = "finished" if finished else "stopped"
            self._set_state(
                state, saved=os.path.basename(self.path) if os.path.exists(self.path) else None
            )
        except BaseException as error:  # the page hears of it; the server stays up
            self.error = i18n.say(error, self.lang) or type(error).__name__
            self._set_state("failed", error=self.error)
        finally:
            self._ended()

    def _ended(self) -> None:
        """The run's thread ends: the saved model is served from now on (the copies go), the
        events keep what a page shows of an ended run (every state, step and epoch, and the last
        filters only: a class remembers hundreds of runs), then ``on_done``."""
        self._snapshot = self._predictor = None
        with self._changed:
            filters = [e["id"] for e in self._events if e["type"] == "filters"]
            if len(filters) > 1:
                dropped = set(filters[:-1])
                self._events = [e for e in self._events if e["id"] not in dropped]
            self._sent.clear()
        if self.on_done is not None:
            self.on_done(self)

    def _name_as_stopped(self, done: int, epochs: int) -> None:
        """A stopped run's file says so: ``…-3ep.npz`` becomes ``…-1of3ep.npz`` (1 of its 3
        epochs done), never replacing another file; it keeps its name if it cannot move."""
        target = fresh_path(self.save_dir, f"{self._stem}-{done}of{epochs}ep")
        try:
            os.link(self.path, target)  # fails rather than replace a file made meanwhile
            os.unlink(self.path)
        except OSError:
            return
        self.path = target

    def _trainer(self):
        from ..data import DataNotFoundError, load_dataset, normalize_images
        from ..models import STUDIO_BUDGET, from_spec, get_model

        o = self.options
        data = self._data
        if data is None:
            try:
                data = load_dataset(o["dataset"], download=False, progress=False)
            except DataNotFoundError as error:
                first = i18n.say(error, self.lang).splitlines()[0]
                raise i18n.error(RuntimeError, "errors.studio_no_dataset", first=first) from None
        shape = tuple(data.x_train.shape[1:])
        if isinstance(o["model"], dict):
            model = from_spec(o["model"], seed=o["seed"], budget=STUDIO_BUDGET)
            name = "model"
        else:
            model = get_model(
                o["model"], seed=o["seed"], input_dim=shape, output_size=len(data.classes)
            )
            name = o["model"].lower()
        model.classes = list(data.classes)
        model.preprocess = {"divide_by": 255, "dataset": data.name}
        self._stem = f"{name}-{data.name}"
        self.path = fresh_path(self.save_dir, f"{self._stem}-{o['epochs']}ep")
        return Trainer(
            model,
            normalize_images(data.x_train),
            data.t_train,
            normalize_images(data.x_test),
            data.t_test,
            epochs=o["epochs"],
            mini_batch_size=o["batch_size"],
            optimizer=o["optimizer"],
            optimizer_param={"lr": o["lr"]},
            seed=o["seed"],
            schedule="cosine",
            checkpoint=self.path,
            augment_shift=o["augment_shift"],
            verbose=False,
            callbacks=[self],
        )

    def _take_snapshot(self, trainer, step):
        weights = {name: np.array(a, copy=True) for name, a in trainer.network.state_dict().items()}
        self._snapshot = (weights, step)
        self._last_snapshot = time.monotonic()

    def _emit_filters(self, trainer):
        self._last_filters = time.monotonic()
        for name, layer in trainer.network.layers.items():
            if hasattr(layer, "W") and np.ndim(layer.W) == 4:
                weights = np.array(layer.W[:32], dtype=np.float32, copy=True)
                self._emit({"type": "filters", "layer": name, "weights": weights})
                return

    def _set_state(self, state, **extra):
        self.state = state
        self._emit({"type": "state", "state": state, **extra})

    def _emit(self, event):
        with self._changed:
            event["id"] = (self._events[-1]["id"] + 1) if self._events else 1
            self._events.append(event)
            steps = (
                [i for i, e in enumerate(self._events) if e["type"] == "step"]
                if (len(self._events) > MAX_STEP_EVENTS * 1.5)
                else []
            )
            if steps:  # keep every other old step event: the curve keeps its shape
                drop = set(steps[: len(steps) // 2 : 2])
                for i in drop:
                    self._sent.pop(self._events[i]["id"], None)
                self._events = [e for i, e in enumerate(self._events) if i not in drop]
            self._changed.notify_all()

    def _public_options(self):
        options = dict(self.options)
        if isinstance(options["model"], dict):
            options["model"] = "spec"
        return options


def _floats(logs: dict) -> dict:
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in logs.items()}
