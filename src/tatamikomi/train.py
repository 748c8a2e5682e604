"""Training: the book's ``Trainer``, with shuffled epochs, history, progress, checkpoints.

``Trainer(network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
optimizer='SGD', optimizer_param={'lr': 0.01}, evaluate_sample_num_per_epoch=None,
verbose=True)`` and ``train()`` work as in the book. Beyond the book:

- each epoch visits every training example once, in a new random order (the book draws
  mini-batches with replacement);
- after each epoch the test accuracy is measured on the whole test set (or the first
  ``evaluate_sample_num_per_epoch`` examples), ``eval_batch_size`` images at a time, and the
  training accuracy on a fixed sample of up to ``train_eval_samples`` training images;
- ``history`` (also ``network.history``) holds per epoch the mean loss, both accuracies, the
  learning rate and the time; ``train_loss_list`` the loss of every step, as in the book;
- ``seed`` fixes the order of the examples and the dropout masks: the same seed gives the same
  run;
- ``schedule`` sets the learning rate of each step (see :mod:`tatamikomi.optim`);
- ``augment_shift=2`` moves each training image by up to 2 pixels each way, a new random
  shift every time it is used (:func:`tatamikomi.data.augment.random_shift`);
- with ``checkpoint`` (a file path), the model, the optimizer and the trainer's state are saved
  there after every epoch. Ctrl-C finishes the current step, saves the checkpoint and raises
  :class:`TrainingInterrupted`; :meth:`Trainer.resume` continues exactly where it stopped.
- a loss that becomes NaN or infinite stops training with :class:`TrainingDiverged`; the
  checkpoint file keeps the last good epoch.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time

import numpy as np

from . import io
from . import models
from ._checks import NonFiniteError
from ._files import refuse_overwrite
from .data.augment import random_shift
from .optim import get_optimizer, get_schedule


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite (the message says when and what to change)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on Ctrl-C; ``checkpoint`` is where its state was saved (or None)."""

    def __init__(self, message, checkpoint=None):
        super().__init__(message)
        self.checkpoint = checkpoint


class Trainer:
    """Train ``network`` on (x_train, t_train), measuring on (x_test, t_test). See the module
    docstring; the first arguments are the book's."""

    def __init__(
        self,
        network,
        x_train,
        t_train,
        x_test,
        t_test,
        epochs=20,
        mini_batch_size=100,
        optimizer="SGD",
        optimizer_param={"lr": 0.01},
        evaluate_sample_num_per_epoch=None,
        verbose=True,
        *,
        seed=None,
        schedule=None,
        checkpoint=None,
        overwrite=False,
        progress=None,
        eval_batch_size=500,
        train_eval_samples=10000,
        augment_shift=0,
        stream=None,
    ):
        if len(x_train) != len(t_train) or len(x_test) != len(t_test):
            raise ValueError(
                f"images and labels differ in number: x_train {len(x_train)}, t_train "
                f"{len(t_train)}, x_test {len(x_test)}, t_test {len(t_test)}"
            )
        if len(x_train) == 0:
            raise ValueError("x_train is empty; there is nothing to train on")
        if int(epochs) < 1 or int(mini_batch_size) < 1:
            raise ValueError(
                f"epochs and mini_batch_size must be at least 1; got {epochs}, {mini_batch_size}"
            )
        self.network = network
        self.x_train, self.t_train = x_train, np.asarray(t_train)
        self.x_test, self.t_test = x_test, np.asarray(t_test)
        self.epochs, self.batch_size = int(epochs), int(mini_batch_size)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.optimizer = get_optimizer(optimizer, **(optimizer_param or {}))
        self.steps_per_epoch = math.ceil(len(x_train) / self.batch_size)
        total = self.epochs * self.steps_per_epoch
        self.schedule = get_schedule(schedule, self.optimizer.lr, total)
        self.augment_shift = int(augment_shift)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        if seed is not None:
            for i, layer in enumerate(network.dropout_layers):
                layer.rng = np.random.default_rng([seed, i])
        self.checkpoint, self.overwrite = checkpoint, overwrite
        if checkpoint is not None and not overwrite:
            refuse_overwrite(checkpoint, "Pass overwrite=True (--force), or resume from it.")
        self.progress = progress
        self.eval_batch_size, self.train_eval_samples = eval_batch_size, train_eval_samples
        self.stream = stream
        # the book's lists
        self.train_loss_list: list[float] = []
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []
        self.history: dict[str, list] = {
            "epoch": [],
            "loss": [],
            "train_acc": [],
            "test_acc": [],
            "lr": [],
            "seconds": [],
        }
        self.current_epoch = 0  # epochs completed
        self.step_in_epoch = 0  # steps of the current epoch completed
        self.global_step = 0
        self._order = None
        self._epoch_losses: list[float] = []
        self._stop = False
        choice = np.random.default_rng(0 if seed is None else seed + 1)
        count = min(len(x_train), train_eval_samples)
        self._train_sample = np.sort(choice.choice(len(x_train), count, replace=False))

    # -- running ------------------------------------------------------------------------------

    def train(self):
        """Train until ``epochs`` are done; returns ``history``."""
        with self._ctrl_c():
            while self.current_epoch < self.epochs:
                self._run_epoch()
        if self.verbose:
            self._print(f"final test accuracy: {self.history['test_acc'][-1]:.2%}")
        return self.history

    def _run_epoch(self):
        if self._order is None:
            self._order = self.rng.permutation(len(self.x_train))
            self._epoch_losses = []
            self._epoch_elapsed = 0.0
        start = time.perf_counter()
        shown = 0.0
        epoch = self.current_epoch + 1
        while self.step_in_epoch < self.steps_per_epoch:
            if self._stop:
                self._interrupt(time.perf_counter() - start)
            i = self.step_in_epoch * self.batch_size
            batch = self._order[i : i + self.batch_size]
            x_batch = random_shift(self.x_train[batch], self.augment_shift, self.rng)
            loss = self.train_step(x_batch, self.t_train[batch])
            if not np.isfinite(loss):
                self._diverged(loss, epoch)
            now = time.perf_counter()
            if self._show_progress() and (now - shown > 0.2 or self.step_in_epoch == 1):
                shown = now
                self._progress_bar(epoch, now - start + self._epoch_elapsed)
        seconds = time.perf_counter() - start + self._epoch_elapsed
        self._end_epoch(epoch, seconds)

    def train_step(self, x_batch, t_batch) -> float:
        """One optimizer step on a batch; returns the batch's loss (before the update)."""
        self.optimizer.lr = self.schedule(self.global_step)
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            try:
                grads = self.network.gradient(x_batch, t_batch)
                loss = float(self.network.last_layer.loss)
            except NonFiniteError:  # the scores themselves overflowed
                grads, loss = None, float("nan")
            if np.isfinite(loss):
                self.optimizer.update(self.network.params, grads)
        self.train_loss_list.append(loss)
        self._epoch_losses.append(loss)
        self.step_in_epoch += 1
        self.global_step += 1
        return loss

    def _end_epoch(self, epoch, seconds):
        x_test, t_test = self.x_test, self.t_test
        x_train, t_train = self.x_train[self._train_sample], self.t_train[self._train_sample]
        if self.evaluate_sample_num_per_epoch is not None:
            n = int(self.evaluate_sample_num_per_epoch)
            x_test, t_test, x_train, t_train = x_test[:n], t_test[:n], x_train[:n], t_train[:n]
        train_acc = self.network.accuracy(x_train, t_train, self.eval_batch_size)
        test_acc = self.network.accuracy(x_test, t_test, self.eval_batch_size)
        mean_loss = float(np.mean(self._epoch_losses))
        for key, value in (
            ("epoch", epoch),
            ("loss", mean_loss),
            ("train_acc", train_acc),
            ("test_acc", test_acc),
            ("lr", self.optimizer.lr),
            ("seconds", round(seconds, 3)),
        ):
            self.history[key].append(value)
        self.train_acc_list.append(train_acc)
        self.test_acc_list.append(test_acc)
        self.network.history = self.history
        self.current_epoch, self.step_in_epoch, self._order = epoch, 0, None
        if self.checkpoint is not None:
            self.save_checkpoint(self.checkpoint)
        if self.verbose:
            rate = len(self.x_train) / max(seconds, 1e-9)
            self._print(
                f"epoch {epoch}/{self.epochs}  loss {mean_loss:.4f}  train acc {train_acc:.2%}  "
                f"test acc {test_acc:.2%}  {seconds:.1f} s ({rate:,.0f} images/s)",
                clear=self._show_progress(),
            )

    def _diverged(self, loss, epoch):
        kept = (
            f"{self.checkpoint} keeps epoch {self.current_epoch}, the last good one"
            if self.checkpoint is not None and self.current_epoch > 0
            else "no checkpoint had been written yet"
        )
        raise TrainingDiverged(
            f"training diverged: the loss became {loss} at epoch {epoch}, step "
            f"{self.step_in_epoch} (learning rate {self.optimizer.lr:g}); {kept}. Try a smaller "
            f"learning rate, e.g. {self.optimizer.lr / 10:g}."
        )

    def _interrupt(self, elapsed):
        self._epoch_elapsed += elapsed
        saved = None
        if self.checkpoint is not None:
            self.save_checkpoint(self.checkpoint)
            saved = self.checkpoint
        where = f"epoch {self.current_epoch + 1}, step {self.step_in_epoch}/{self.steps_per_epoch}"
        message = f"training interrupted at {where}"
        message += f"; the checkpoint is in {saved}" if saved else "; no checkpoint file was set"
        if self.verbose:
            self._print(message, clear=self._show_progress())
        raise TrainingInterrupted(message, saved)

    def request_stop(self):
        """Stop after the current step, save the checkpoint and raise TrainingInterrupted (what
        Ctrl-C does)."""
        self._stop = True

    @contextlib.contextmanager
    def _ctrl_c(self):
        """While training runs in the main thread, the first Ctrl-C asks for a clean stop after
        the current step; a second one interrupts at once."""
        previous = None
        if threading.current_thread() is threading.main_thread():

            def handler(signum, frame):
                if self._stop:
                    raise KeyboardInterrupt
                self._stop = True

            previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            self._stop = False
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    # -- checkpoints ----------------------------------------------------------------------------

    def config(self) -> dict:
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "optimizer": {**self.optimizer.config(), "lr": self.schedule.base_lr},
            "schedule": self.schedule.config(),
            "seed": self.seed,
            "evaluate_sample_num_per_epoch": self.evaluate_sample_num_per_epoch,
            "train_eval_samples": self.train_eval_samples,
            "augment_shift": self.augment_shift,
        }

    def save_checkpoint(self, path) -> None:
        """Save the model with everything needed to resume (atomically)."""
        meta = {
            "config": self.config(),
            "state": {
                "epoch": self.current_epoch,
                "step_in_epoch": self.step_in_epoch,
                "global_step": self.global_step,
                "epoch_elapsed": getattr(self, "_epoch_elapsed", 0.0),
                "shuffle_rng": self.rng.bit_generator.state,
                "dropout_rngs": [d.rng.bit_generator.state for d in self.network.dropout_layers],
                "book_lists": {"train_acc": self.train_acc_list, "test_acc": self.test_acc_list},
            },
        }
        arrays = {f"optimizer/{k}": v for k, v in self.optimizer.state_dict().items()}
        arrays["trainer/train_loss"] = np.asarray(self.train_loss_list, np.float64)
        arrays["trainer/epoch_losses"] = np.asarray(self._epoch_losses, np.float64)
        if self._order is not None:
            arrays["trainer/order"] = self._order
        self.network.history = self.history
        models.save(self.network, path, overwrite=True, training={"meta": meta, "arrays": arrays})

    @classmethod
    def resume(cls, path, x_train, t_train, x_test, t_test, *, epochs=None, **options):
        """A Trainer that continues the run saved in the checkpoint ``path`` (saving there
        again). ``epochs`` may raise the number of epochs to train in all; a cosine schedule
        is then stretched to end at the new last step."""
        model, training = models.load_checkpoint(path)
        if training is None:
            raise io.ModelFileError(f"{path} is a model without training state; it cannot resume")
        config, state = training["meta"]["config"], training["meta"]["state"]
        schedule = dict(config["schedule"])
        if epochs and epochs != config["epochs"]:
            schedule.pop("total_steps", None)  # training further: a cosine ends at the new end
        optimizer = config["optimizer"]
        name = optimizer.pop("name")
        trainer = cls(
            model,
            x_train,
            t_train,
            x_test,
            t_test,
            epochs=epochs or config["epochs"],
            mini_batch_size=config["batch_size"],
            optimizer=name,
            optimizer_param=optimizer,
            evaluate_sample_num_per_epoch=config["evaluate_sample_num_per_epoch"],
            seed=config["seed"],
            schedule=schedule,
            checkpoint=path,
            overwrite=True,
            train_eval_samples=config["train_eval_samples"],
            augment_shift=config.get("augment_shift", 0),
            **options,
        )
        arrays = training["arrays"]
        trainer.optimizer.load_state_dict(io.section(arrays, "optimizer/"))
        trainer.current_epoch = state["epoch"]
        trainer.step_in_epoch = state["step_in_epoch"]
        trainer.global_step = state["global_step"]
        trainer._epoch_elapsed = state.get("epoch_elapsed", 0.0)
        trainer.rng.bit_generator.state = state["shuffle_rng"]
        for layer, rng_state in zip(model.dropout_layers, state["dropout_rngs"]):
            layer.rng.bit_generator.state = rng_state
        trainer.train_loss_list = arrays["trainer/train_loss"].tolist()
        trainer._epoch_losses = arrays["trainer/epoch_losses"].tolist()
        trainer._order = arrays.get("trainer/order")
        trainer.train_acc_list = list(state["book_lists"]["train_acc"])
        trainer.test_acc_list = list(state["book_lists"]["test_acc"])
        trainer.history = {k: list(v) for k, v in model.history.items()} or trainer.history
        if len(trainer._order if trainer._order is not None else ()) not in (0, len(x_train)):
            raise ValueError(
                f"the checkpoint was made with {len(trainer._order)} training images; "
                f"got {len(x_train)}: resume with the same dataset"
            )
        model.train()
        return trainer

    # -- output ---------------------------------------------------------------------------------

    def _out(self):
        return self.stream or sys.stderr

    def _show_progress(self) -> bool:
        if self.progress is not None:
            return bool(self.progress)
        stream = self._out()
        return self.verbose and hasattr(stream, "isatty") and stream.isatty()

    def _progress_bar(self, epoch, elapsed):
        done, total = self.step_in_epoch, self.steps_per_epoch
        width = 24
        filled = int(width * done / total)
        images = min(done * self.batch_size, len(self.x_train))
        rate = images / max(elapsed, 1e-9)
        left = (len(self.x_train) - images) / max(rate, 1e-9)
        loss = np.mean(self._epoch_losses[-50:])
        self._out().write(
            f"\repoch {epoch}/{self.epochs} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done}/{total}  loss {loss:.4f}  {rate:,.0f} images/s  {left:.0f} s left  "
        )
        self._out().flush()

    def _print(self, text, clear=False):
        stream = self._out()
        if clear:
            stream.write("\r" + " " * 100 + "\r")
        stream.write(text + "\n")
        stream.flush()
