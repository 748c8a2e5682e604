"""Callbacks: code the :class:`~tatamikomi.train.Trainer` calls at each step and epoch.

The protocol (every method optional; the default does nothing)::

    class Callback:
        def on_train_begin(self, trainer): ...
        def on_epoch_begin(self, trainer, epoch): ...     # epoch counts from 1; also called
                                                           # when a resumed run goes on mid-epoch
        def on_step_end(self, trainer, step, logs): ...    # logs: loss, epoch, step, lr
        def on_epoch_end(self, trainer, epoch, logs): ...  # logs: loss, train_acc, test_acc,
                                                           #       seconds, lr
        def on_train_end(self, trainer, logs): ...         # logs: epoch, step, test_acc, status

- ``on_step_end`` logs: ``{"loss": float, "epoch": int, "step": int, "lr": float}``; ``step``
  is global and 1-based (the same as the argument), ``loss`` the mini-batch's loss before the
  update, ``lr`` the learning rate the step used.
- ``on_epoch_end`` logs: ``{"loss": mean loss of the epoch, "train_acc", "test_acc",
  "seconds": the whole epoch, training and evaluation, "lr"}`` (also appended to
  ``trainer.history``).
- ``on_train_end`` logs: ``{"epoch": epochs completed, "step": steps completed, "test_acc":
  the last one or None, "status": "finished" | "stopped" | "interrupted" | "diverged" |
  "failed"}``; it is called however training ends, exceptions included.

A callback steers training through the trainer: ``trainer.stop_training = True`` stops after
the current step (the trainer saves its checkpoint, if it has one, and returns normally); a
callback that blocks inside ``on_step_end`` pauses training until it returns; one that raises
:class:`TrainingInterrupted` stops as Ctrl-C does. ``trainer.network`` is the model.

Built in, and added by the Trainer itself, in this order around the user's callbacks:
:class:`DivergenceGuard` (always), :class:`ProgressBar` (with ``verbose=True``),
:class:`Checkpoint` (with ``checkpoint=``), the user's ``callbacks``, :class:`CtrlC` (always,
last, so that every callback sees the step a Ctrl-C interrupts).
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time

import numpy as np

from .. import _progress
from .. import i18n
from .._files import RunLock, refuse_overwrite
from . import checkpoint as _checkpoint


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite (the message says when and what to change)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C; ``checkpoint`` is where its state was saved (or None)."""

    def __init__(self, message, checkpoint=None):
        super().__init__(message)
        self.checkpoint = checkpoint


class Callback:
    """Base class of the callbacks; override the methods you need (see the module docstring)."""

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_step_end(self, trainer, step, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer, logs):
        pass


class DivergenceGuard(Callback):
    """A NaN or infinite loss raises :class:`TrainingDiverged`. The step that produced it did
    not update the weights, and the checkpoint file is not touched: it keeps the last good
    epoch."""

    def on_step_end(self, trainer, step, logs):
        loss, lr = logs["loss"], logs["lr"]
        if math.isfinite(loss):
            return
        kept = (
            i18n.Said("errors.diverged_kept", path=trainer.checkpoint, epoch=trainer.current_epoch)
            if trainer.checkpoint is not None and trainer.current_epoch > 0
            else i18n.Said("errors.diverged_none")
        )
        where = i18n.Said("errors.diverged_at", epoch=logs["epoch"], step=trainer.step_in_epoch)
        bad = [k for k, v in trainer.network.params.items() if not np.isfinite(v).all()]
        if bad:  # the step that gave the NaN loss changed nothing: the weights were so before
            raise i18n.error(
                TrainingDiverged, "errors.diverged_weights", loss=loss, where=where,
                names=", ".join(bad[:3]), kept=kept,
            )
        raise i18n.error(
            TrainingDiverged,
            "errors.diverged",
            loss=loss,
            where=where,
            lr=lr,
            kept=kept,
            smaller=lr / 10,
        )


class CtrlC(Callback):
    """While training runs in the main thread, the first Ctrl-C asks for a clean stop: the
    current step finishes, then :class:`TrainingInterrupted` is raised (the trainer saves its
    checkpoint first). A second Ctrl-C interrupts at once. :meth:`request` does the same as
    the first Ctrl-C from code."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def request(self):
        self.requested = True

    def on_train_begin(self, trainer):
        self.requested = False
        if threading.current_thread() is threading.main_thread():

            def handler(signum, frame):
                if self.requested:
                    raise KeyboardInterrupt
                self.requested = True

            self._previous = signal.signal(signal.SIGINT, handler)

    def _check(self):
        if self.requested:
            raise TrainingInterrupted("Ctrl-C")

    def on_epoch_begin(self, trainer, epoch):
        self._check()

    def on_step_end(self, trainer, step, logs):
        self._check()

    def on_train_end(self, trainer, logs):
        self.requested = False
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class Checkpoint(Callback):
    """Save the model and the trainer's state to ``path`` after every epoch (atomically), so
    that :meth:`Trainer.resume` can continue exactly. An existing file is refused unless
    ``overwrite=True``.

    Nothing is lost to another writer: while training runs, the lock file ``PATH.lock``
    (holding the process id) is held, and a second training to the same ``path`` is refused
    at its start (:class:`tatamikomi._files.FileLockedError`); without ``overwrite`` the first
    save creates ``path`` exclusively, so a file that appeared there meanwhile is kept and the
    save fails with FileExistsError. Later saves replace this run's own file."""

    def __init__(self, path, *, overwrite=False):
        if not overwrite:
            refuse_overwrite(path, "Pass overwrite=True (--force), or resume from it.")
        self.path = path
        self.overwrite = overwrite
        self._lock = RunLock(path, what=i18n.Said("errors.run_training"))

    def save(self, trainer):
        _checkpoint.save(trainer, self.path, overwrite=self.overwrite)
        self.overwrite = True  # from now on the file is this run's own

    def on_train_begin(self, trainer):
        self._lock.acquire()

    def on_epoch_end(self, trainer, epoch, logs):
        self.save(trainer)

    def on_train_end(self, trainer, logs):
        self._lock.release()


class ProgressBar(Callback):
    """What ``verbose=True`` prints: on a terminal a bar with the loss and the speed, redrawn
    at most every 0.2 s; one line per epoch; the final test accuracy. ``bar=None`` draws the
    bar only when ``stream`` (default: standard error) is a terminal. ``lang`` is the
    language of the lines, ``"en"`` or ``"ja"`` (:mod:`tatamikomi.i18n`'s ``training`` area)."""

    def __init__(self, stream=None, *, bar=None, lang=None):
        self.stream = stream
        self.bar = bar
        self.lang = i18n.check_lang(lang or i18n.current())

    def _text(self, name, **values):
        return i18n.text(name, **values, lang=self.lang)

    def _out(self):
        return self.stream or sys.stderr

    def _show_bar(self) -> bool:
        if self.bar is not None:
            return bool(self.bar)
        return bool(getattr(self._out(), "isatty", lambda: False)())

    def _line(self, text):
        stream = self._out()
        if self._show_bar():
            _progress.clear(stream)
        stream.write(text + "\n")
        stream.flush()

    def on_epoch_begin(self, trainer, epoch):
        self._losses = []
        self._start = self._last_step = time.perf_counter()
        self._steps = 0
        self._shown = 0.0

    def on_step_end(self, trainer, step, logs):
        now = self._last_step = time.perf_counter()
        self._losses.append(logs["loss"])
        self._steps += 1
        if not self._show_bar() or (now - self._shown <= 0.2 and self._steps > 1):
            return
        self._shown = now
        done, total = trainer.step_in_epoch, trainer.steps_per_epoch
        images = len(trainer.x_train)
        rate = self._steps * trainer.batch_size / max(now - self._start, 1e-9)
        left = max(images - done * trainer.batch_size, 0) / max(rate, 1e-9)
        loss = sum(self._losses[-50:]) / len(self._losses[-50:])
        label = self._text("training.epoch_label", epoch=logs["epoch"], epochs=trainer.epochs)
        detail = self._text(
            "training.bar_detail", done=done, total=total, loss=loss, rate=rate, left=left
        )
        _progress.redraw(self._out(), _progress.progress_line(label, done, total, detail))

    def on_epoch_end(self, trainer, epoch, logs):
        evaluation = time.perf_counter() - self._last_step
        training = max(logs["seconds"] - evaluation, 1e-9)
        rate = len(trainer.x_train) / training
        self._line(
            self._text(
                "training.epoch_line",
                epoch=epoch,
                epochs=trainer.epochs,
                loss=logs["loss"],
                train_acc=logs["train_acc"],
                test_acc=logs["test_acc"],
                seconds=logs["seconds"],
                training=training,
                rate=rate,
                evaluation=evaluation,
            )
        )

    def on_train_end(self, trainer, logs):
        if logs["status"] in ("finished", "stopped") and logs["test_acc"] is not None:
            self._line(self._text("training.final", acc=logs["test_acc"]))
        elif self._show_bar():
            _progress.clear(self._out())
            self._out().flush()
