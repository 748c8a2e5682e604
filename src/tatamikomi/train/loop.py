"""The training loop: the book's ``Trainer``, and :func:`fit` for the one-line case.

Data flows one way: the epoch's shuffled order -> a mini-batch (shifted at random with
``augment_shift``) -> ``network.gradient`` (forward, loss, backward) -> optimizer update ->
callbacks (progress, divergence, checkpoint, the user's own).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .. import i18n
from .._checks import NonFiniteError, check_finite
from ..data import image_layout
from ..data.augment import check_shift, random_shift
from ..io import section
from ..optim import get_optimizer, get_schedule
from . import checkpoint as _checkpoint
from .callbacks import (
    Checkpoint,
    CtrlC,
    DivergenceGuard,
    ProgressBar,
    TrainingDiverged,
    TrainingInterrupted,
)


class Trainer:
    """Train ``network`` on (x_train, t_train), measuring on (x_test, t_test) after each epoch.

    The first eleven arguments, ``train()`` and the book's lists (``train_loss_list``,
    ``train_acc_list``, ``test_acc_list``) are the book's. Beyond the book:

    - every epoch visits each training example once, in a new random order (the book draws
      mini-batches with replacement); ``train_step()`` takes the next mini-batch of it;
    - ``seed`` fixes the order and the dropout masks: the same seed gives the same run;
    - ``schedule`` sets each step's learning rate (a name, a config dict or a schedule object,
      see :mod:`tatamikomi.optim`);
    - ``augment_shift=2`` moves each training image by up to 2 pixels each way, a new random
      shift each time it is used (:func:`tatamikomi.data.augment.random_shift`);
    - the test accuracy is measured on the whole test set (or the first
      ``evaluate_sample_num_per_epoch`` examples), the training accuracy on a fixed sample of
      ``train_eval_samples`` training images, ``eval_batch_size`` images at a time;
    - ``history`` (also ``network.history``) holds per epoch the mean loss, both accuracies,
      the learning rate and the seconds (training and evaluation);
    - ``checkpoint`` (a path) saves everything needed to resume after every epoch, on Ctrl-C
      and on ``stop_training``; an existing file is refused unless ``overwrite=True`` (the
      first save creates it exclusively), and ``PATH.lock`` is held while training runs, so
      a second training to the same file is refused (see
      :class:`~tatamikomi.train.callbacks.Checkpoint`); :meth:`resume` continues exactly;
    - ``callbacks``: see :mod:`tatamikomi.train.callbacks`. A callback sets
      ``trainer.stop_training = True`` to stop after the current step.

    Raises :class:`TrainingDiverged` when the loss becomes NaN or infinite and
    :class:`TrainingInterrupted` on Ctrl-C (after saving the checkpoint).
    """

    eval_batch_size = 500  # images per forward pass when measuring accuracy

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
        optimizer_param={"lr": 0.01},  # the book's default; never mutated
        evaluate_sample_num_per_epoch=None,
        verbose=True,
        *,
        seed=None,
        schedule=None,
        augment_shift=0,
        train_eval_samples=10000,
        checkpoint=None,
        overwrite=False,
        callbacks=(),
        lang=None,
    ):
        if len(x_train) != len(t_train) or len(x_test) != len(t_test):
            raise i18n.error(
                ValueError, "errors.loop_images_labels_differ", len_x_train=len(x_train),
                len_t_train=len(t_train), len_x_test=len(x_test), len_t_test=len(t_test),
            )
        if len(x_train) == 0:
            raise i18n.error(ValueError, "errors.loop_x_train_empty")
        x_train = image_layout(x_train, "x_train", "Trainer")
        x_test = image_layout(x_test, "x_test", "Trainer")
        for name, images in (("x_train", x_train), ("x_test", x_test)):
            # NaN images make a NaN loss, which would otherwise be blamed on the learning rate
            check_finite(
                np.asarray(images),
                name,
                i18n.Said("errors.loop_finite_pixels"),
            )
        if int(epochs) < 1 or int(mini_batch_size) < 1:
            raise i18n.error(
                ValueError, "errors.loop_epochs_mini_batch", epochs=epochs,
                mini_batch_size=mini_batch_size,
            )
        self.network = network
        self.x_train, self.t_train = x_train, np.asarray(t_train)
        self.x_test, self.t_test = x_test, np.asarray(t_test)
        self.epochs, self.batch_size = int(epochs), int(mini_batch_size)
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.verbose = verbose
        self.optimizer = get_optimizer(optimizer, **(optimizer_param or {}))
        self.steps_per_epoch = math.ceil(len(x_train) / self.batch_size)
        total_steps = self.epochs * self.steps_per_epoch
        self.schedule = get_schedule(schedule, self.optimizer.lr, total_steps)
        self.augment_shift = check_shift(augment_shift, self.x_train.shape)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        if seed is not None:
            for i, layer in enumerate(network.dropout_layers):
                layer.rng = np.random.default_rng([seed, i])
        self.train_eval_samples = train_eval_samples
        choice = np.random.default_rng(0 if seed is None else seed + 1)
        count = min(len(x_train), train_eval_samples)
        self._train_sample = np.sort(choice.choice(len(x_train), count, replace=False))

        self.checkpoint = checkpoint
        self._ctrl_c = CtrlC()
        self.callbacks = [DivergenceGuard()]
        # of what it prints and of its interruption message: the language in effect, unless given
        self.lang = i18n.check_lang(lang or i18n.current())
        if verbose:
            self.callbacks.append(ProgressBar(lang=self.lang))
        if checkpoint is not None:
            self.callbacks.append(Checkpoint(checkpoint, overwrite=overwrite))
        self.callbacks += [*callbacks, self._ctrl_c]
        # the trainer's own Checkpoint (or the first among the user's) also saves on a stop
        savers = [c for c in self.callbacks if isinstance(c, Checkpoint)]
        self._saver = savers[0] if savers else None
        self.checkpoint = self._saver.path if savers else None
        self.stop_training = False

        self.train_loss_list: list[float] = []  # the book's lists
        self.train_acc_list: list[float] = []
        self.test_acc_list: list[float] = []
        self.history: dict[str, list] = {
            key: [] for key in ("epoch", "loss", "train_acc", "test_acc", "lr", "seconds")
        }
        self.current_epoch = 0  # epochs completed
        self.step_in_epoch = 0  # steps of the current epoch completed
        self.global_step = 0  # steps completed in all
        self._order = None  # this epoch's order of the examples; None between epochs
        self._epoch_losses: list[float] = []
        self._epoch_elapsed = 0.0  # seconds of training in this epoch so far
        self._epoch_begun = False  # on_epoch_begin was called for the current epoch

    # -- running ------------------------------------------------------------------------------

    def train(self):
        """Train until ``epochs`` are done (or a callback stops it); returns ``history``."""
        self.stop_training = False
        status = "failed"
        try:
            self._call("on_train_begin")  # inside: a refusal (a held lock) still ends the run
            while self.current_epoch < self.epochs and not self.stop_training:
                self.train_step()
            if self.stop_training and self.step_in_epoch > 0 and self.checkpoint is not None:
                self._saver.save(self)  # at an epoch's end it already was
            status = "stopped" if self.current_epoch < self.epochs else "finished"
        except TrainingInterrupted:
            status = "interrupted"
            if self.step_in_epoch == self.steps_per_epoch:  # stopped in the epoch's last step
                self._end_epoch()
            raise self._interrupted() from None
        except TrainingDiverged:
            status = "diverged"
            raise
        except KeyboardInterrupt:  # a second Ctrl-C: at once, nothing saved
            status = "interrupted"
            raise
        finally:
            test_acc = self.history["test_acc"][-1] if self.history["test_acc"] else None
            logs = {"epoch": self.current_epoch, "step": self.global_step, "test_acc": test_acc}
            self._call("on_train_end", {**logs, "status": status})
        return self.history

    def train_step(self) -> float:
        """One optimizer step on the next mini-batch; returns its loss (before the update).

        The first step of an epoch draws the epoch's order; the last one measures the
        accuracies and ends the epoch (history, ``on_epoch_end``)."""
        if not self._epoch_begun:  # also when a resumed run goes on in the middle of one
            self._call("on_epoch_begin", self.current_epoch + 1)
            self._epoch_begun = True
        if self._order is None:
            self._order = self.rng.permutation(len(self.x_train))
            self._epoch_losses, self._epoch_elapsed = [], 0.0
        start = time.perf_counter()
        first = self.step_in_epoch * self.batch_size
        batch = self._order[first : first + self.batch_size]
        x_batch = random_shift(self.x_train[batch], self.augment_shift, self.rng)
        lr = self.optimizer.lr = self.schedule(self.global_step)
        loss = self._update(x_batch, self.t_train[batch])
        self.train_loss_list.append(loss)
        self._epoch_losses.append(loss)
        self.step_in_epoch += 1
        self.global_step += 1
        self._epoch_elapsed += time.perf_counter() - start
        logs = {"loss": loss, "epoch": self.current_epoch + 1, "step": self.global_step, "lr": lr}
        self._call("on_step_end", self.global_step, logs)
        if self.step_in_epoch == self.steps_per_epoch:
            self._end_epoch()
        return loss

    def _update(self, x_batch, t_batch) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # DivergenceGuard reports it
            try:
                grads = self.network.gradient(x_batch, t_batch)
                loss = float(self.network.last_layer.loss)
            except NonFiniteError:  # the scores themselves overflowed
                grads, loss = None, float("nan")
            if np.isfinite(loss):
                self.optimizer.update(self.network.params, grads)
        return loss

    def _end_epoch(self):
        start = time.perf_counter()
        epoch = self.current_epoch + 1
        x_test, t_test = self.x_test, self.t_test
        x_train, t_train = self.x_train[self._train_sample], self.t_train[self._train_sample]
        if self.evaluate_sample_num_per_epoch is not None:
            n = int(self.evaluate_sample_num_per_epoch)
            x_test, t_test, x_train, t_train = x_test[:n], t_test[:n], x_train[:n], t_train[:n]
        train_acc = self.network.accuracy(x_train, t_train, self.eval_batch_size)
        test_acc = self.network.accuracy(x_test, t_test, self.eval_batch_size)
        seconds = self._epoch_elapsed + time.perf_counter() - start
        logs = {
            "loss": float(np.mean(self._epoch_losses)),
            "train_acc": train_acc,
            "test_acc": test_acc,
            "seconds": round(seconds, 3),
            "lr": self.optimizer.lr,
        }
        for key, value in {"epoch": epoch, **logs}.items():
            self.history[key].append(value)
        self.train_acc_list.append(train_acc)
        self.test_acc_list.append(test_acc)
        self.network.history = self.history
        self.current_epoch, self.step_in_epoch, self._order = epoch, 0, None
        self._epoch_elapsed, self._epoch_begun = 0.0, False
        self._call("on_epoch_end", epoch, logs)

    def _interrupted(self) -> TrainingInterrupted:
        """Save the checkpoint; the exception that says where training stopped and goes on."""
        if self.checkpoint is not None:
            self._saver.save(self)
        def say(name, **values):
            return i18n.text(name, **values, lang=self.lang)

        if self.global_step == 0:
            where = say("training.before_first")
        elif self.step_in_epoch == 0:
            where = say("training.after_epoch", epoch=self.current_epoch)
        else:
            where = say(
                "training.after_step",
                step=self.step_in_epoch,
                steps=self.steps_per_epoch,
                epoch=self.current_epoch + 1,
            )
        message = say("training.interrupted", where=where)
        if self.checkpoint is None:
            message += say("training.no_checkpoint")
        else:
            message += say(
                "training.checkpoint_kept",
                path=self.checkpoint,
                epoch=self.current_epoch + 1,
                step=self.step_in_epoch + 1,
            )
        return TrainingInterrupted(message, self.checkpoint)

    def request_stop(self):
        """Stop after the current step, save the checkpoint and raise TrainingInterrupted
        (what Ctrl-C does)."""
        self._ctrl_c.request()

    def _call(self, method, *arguments):
        for callback in self.callbacks:
            getattr(callback, method, _ignore)(self, *arguments)

    # -- checkpoints ----------------------------------------------------------------------------

    def config(self) -> dict:
        """The constructor's arguments that shape the run, JSON-ready (saved in checkpoints)."""
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

    def state_dict(self) -> tuple[dict, dict]:
        """``(state, arrays)``: where the run is (JSON-ready) and its arrays (the optimizer's
        buffers, the losses, this epoch's order), for :func:`checkpoint.save`."""
        state = {
            "epoch": self.current_epoch,
            "step_in_epoch": self.step_in_epoch,
            "global_step": self.global_step,
            "epoch_elapsed": self._epoch_elapsed,
            "shuffle_rng": self.rng.bit_generator.state,
            "dropout_rngs": [d.rng.bit_generator.state for d in self.network.dropout_layers],
            "book_lists": {"train_acc": self.train_acc_list, "test_acc": self.test_acc_list},
        }
        arrays = {f"optimizer/{k}": v for k, v in self.optimizer.state_dict().items()}
        arrays["trainer/train_loss"] = np.asarray(self.train_loss_list, np.float64)
        arrays["trainer/epoch_losses"] = np.asarray(self._epoch_losses, np.float64)
        if self._order is not None:
            arrays["trainer/order"] = self._order
        return state, arrays

    def load_state_dict(self, state: dict, arrays: dict) -> None:
        """Continue from what :meth:`state_dict` gave."""
        order = arrays.get("trainer/order")
        if order is not None and len(order) != len(self.x_train):
            raise i18n.error(
                ValueError, "errors.loop_checkpoint_was_made", len_order=len(order),
                len_self_x_train=len(self.x_train),
            )
        self.optimizer.load_state_dict(section(arrays, "optimizer/"))
        self.current_epoch = state["epoch"]
        self.step_in_epoch = state["step_in_epoch"]
        self.global_step = state["global_step"]
        self._epoch_elapsed = state.get("epoch_elapsed", 0.0)
        self.rng.bit_generator.state = state["shuffle_rng"]
        for layer, rng_state in zip(self.network.dropout_layers, state["dropout_rngs"]):
            layer.rng.bit_generator.state = rng_state
        self.train_loss_list = arrays["trainer/train_loss"].tolist()
        self._epoch_losses = arrays["trainer/epoch_losses"].tolist()
        self._order = order
        self.train_acc_list = list(state["book_lists"]["train_acc"])
        self.test_acc_list = list(state["book_lists"]["test_acc"])

    def save_checkpoint(self, path) -> None:
        """Save the model with everything needed to resume (atomically)."""
        _checkpoint.save(self, path)

    @classmethod
    def resume(cls, path, x_train, t_train, x_test, t_test, *, epochs=None, **options):
        """A Trainer that continues the run saved in the checkpoint ``path`` (saving there
        again). ``epochs`` may raise the number of epochs to train in all; a cosine schedule
        is then stretched to end at the new last step. See :func:`checkpoint.resume`."""
        return _checkpoint.resume(
            cls, path, x_train, t_train, x_test, t_test, epochs=epochs, **options
        )


def _ignore(*arguments):
    pass


def fit(
    model,
    x,
    t,
    *,
    validation_data,
    epochs=10,
    batch_size=100,
    optimizer="adam",
    lr=0.001,
    callbacks=(),
    verbose=True,
    **options,
):
    """Train ``model`` in one line, Keras-like; returns the history::

        history = fit(model, x_train, t_train, validation_data=(x_test, t_test), epochs=5)

    ``validation_data`` is the ``(x_test, t_test)`` measured after each epoch. ``options`` are
    the :class:`Trainer`'s own (``seed``, ``schedule``, ``augment_shift``, ``checkpoint``,
    ``overwrite``...); ``optimizer`` is a name (any case, with ``lr``) or an optimizer object
    (with its own learning rate)."""
    x_test, t_test = validation_data
    trainer = Trainer(
        model,
        x,
        t,
        x_test,
        t_test,
        epochs=epochs,
        mini_batch_size=batch_size,
        optimizer=optimizer,
        optimizer_param={"lr": lr},
        verbose=verbose,
        callbacks=callbacks,
        **options,
    )
    return trainer.train()
