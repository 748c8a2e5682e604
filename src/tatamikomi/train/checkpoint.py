"""Checkpoints: one model file that also holds what resuming needs, and :func:`resume`.

A checkpoint is a model file (:func:`tatamikomi.models.save`) with a ``training`` part: the
trainer's :meth:`~tatamikomi.train.Trainer.config` (its constructor's arguments) and
:meth:`~tatamikomi.train.Trainer.state_dict` (the position in the run, the random generators'
states, the optimizer's buffers, the losses so far). Resuming rebuilds the trainer from the
config and loads the state, so the run ends exactly as it would have without the stop.
"""

from __future__ import annotations

from ..io import ModelFileError, read_archive
from ..models import load_checkpoint
from ..models import save as save_model


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
    config = training["meta"]["config"]
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
