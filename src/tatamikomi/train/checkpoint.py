"""Checkpoints: one model file that also holds what resuming needs, and :func:`resume`.

A checkpoint is a model file (:func:`tatamikomi.models.save`) with a ``training`` part: the
trainer's :meth:`~tatamikomi.train.Trainer.config` (its constructor's arguments) and
:meth:`~tatamikomi.train.Trainer.state_dict` (the position in the run, the random generators'
states, the optimizer's buffers, the losses so far). Resuming rebuilds the trainer from the
config and loads the state, so the run ends exactly as it would have without the stop.
"""

from __future__ import annotations

import math

from .. import i18n
from ..io import ModelFileError, read_archive
from ..models import load_checkpoint
from ..models import save as save_model
from ..optim import OPTIMIZERS

#: the whole numbers of a run and the range each may take: the command line's options
#: (``--epochs``, ``--batch-size``...), a recipe's, and a checkpoint's config are checked by
#: these same rules before they are used (a batch of a million images is a gigabyte at once)
RUN_NUMBERS = {
    "epochs": (1, 10_000),
    "batch_size": (1, 1_000),
    "augment_shift": (0, 64),
    "seed": (0, 2**63 - 1),
    "evaluate_sample_num_per_epoch": (1, 10**9),
    "train_eval_samples": (0, 10**9),
}


def check_run_number(value, key: str, name: str | None = None):
    """``value`` if it is a whole number in the range :data:`RUN_NUMBERS` gives ``key``, else a
    ValueError naming it as ``name`` (an option such as ``--batch-size``; default ``key``)."""
    low, high = RUN_NUMBERS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise i18n.error(
            ValueError, "errors.run_number", name=name or key, low=low, high=high, value=value
        )
    return value


def _checked(training, path) -> dict:
    """The ``training`` part of the checkpoint ``path`` with every number checked by the rules
    of :data:`RUN_NUMBERS` (and the optimizer's, the position's), before any is used."""
    def edited(what):
        return i18n.error(ModelFileError, "errors.checkpoint_edited", path=path, what=what)

    if not isinstance(training, dict):
        raise edited("training")
    config, state = training.get("config"), training.get("state")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise edited("config, state")
    for key, (low, high) in RUN_NUMBERS.items():
        value = config.get(key)
        if value is None and key in ("seed", "evaluate_sample_num_per_epoch"):
            continue
        if key == "augment_shift" and key not in config:
            continue
        try:
            check_run_number(value, key)
        except ValueError:
            raise i18n.error(
                ModelFileError,
                "errors.checkpoint_number",
                path=path,
                name=key,
                value=value,
                low=low,
                high=high,
            ) from None
    optimizer, schedule = config.get("optimizer"), config.get("schedule")
    if (
        not isinstance(optimizer, dict)
        or str(optimizer.get("name", "")).lower() not in OPTIMIZERS
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for k, v in optimizer.items()
            if k != "name"
        )
    ):
        raise edited("optimizer")
    if not isinstance(schedule, dict) or not isinstance(schedule.get("name"), str):
        raise edited("schedule")
    steps = schedule.get("total_steps")
    if steps is not None and (
        isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10**12
    ):
        raise edited("schedule")
    for key in ("epoch", "step_in_epoch", "global_step"):
        value = state.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
            raise i18n.error(
                ModelFileError,
                "errors.checkpoint_number",
                path=path,
                name=key,
                value=value,
                low=0,
                high=10**12,
            )
    return training


def save(trainer, path, *, overwrite=True) -> None:
    """Save ``trainer.network`` with everything needed to resume, to ``path`` (atomically;
    ``overwrite=False`` creates the file exclusively, refusing one that exists)."""
    meta, arrays = trainer.state_dict()
    trainer.network.history = trainer.history
    save_model(
        trainer.network,
        path,
        overwrite=overwrite,
        training={"meta": {"config": trainer.config(), "state": meta}, "arrays": arrays},
    )


def progress(path) -> dict:
    """How far the run in the checkpoint ``path`` got, read without its arrays:
    ``{"epoch": epochs completed, "step_in_epoch", "epochs": epochs planned, "finished": bool,
    "dataset": the dataset's name or None, "dataset_path": its absolute path when it was given
    by path (a .npz, a folder), "config": the trainer's config}``. Raises
    ModelFileError for a file without training state."""
    meta, _ = read_archive(path, with_arrays=False)
    training = meta.get("training")
    if training is None:
        raise _no_training_state(path)
    training = _checked(training, path)
    state = training["state"]
    return {
        "epoch": state["epoch"],
        "step_in_epoch": state["step_in_epoch"],
        "epochs": training["config"]["epochs"],
        "finished": state["epoch"] >= training["config"]["epochs"] and not state["step_in_epoch"],
        "dataset": (meta.get("preprocess") or {}).get("dataset"),
        "dataset_path": (meta.get("preprocess") or {}).get("dataset_path"),
        "config": training["config"],
    }


def resume(trainer_class, path, x_train, t_train, x_test, t_test, *, epochs=None, **options):
    """A ``trainer_class`` (a :class:`~tatamikomi.train.Trainer`) that continues the run saved
    in the checkpoint ``path``, saving there again. ``epochs`` may raise the number of epochs
    to train in all; a cosine schedule is then stretched to end at the new last step.
    ``options`` are passed to the constructor (``verbose``, ``callbacks``)."""
    model, training = load_checkpoint(path)
    if training is None:
        raise _no_training_state(path)
    config = _checked(training["meta"], path)["config"]
    schedule = dict(config["schedule"])
    if epochs and epochs != config["epochs"]:
        schedule.pop("total_steps", None)  # training further: a cosine ends at the new end
    optimizer = dict(config["optimizer"])
    name = optimizer.pop("name")
    trainer = trainer_class(
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
        train_eval_samples=config["train_eval_samples"],
        augment_shift=config.get("augment_shift", 0),
        checkpoint=path,
        overwrite=True,
        **options,
    )
    trainer.load_state_dict(training["meta"]["state"], training["arrays"])
    trainer.history = {k: list(v) for k, v in model.history.items()} or trainer.history
    model.train()
    return trainer


def _no_training_state(path) -> ModelFileError:
    return ModelFileError(f"{path} is a model without training state; it cannot resume")
