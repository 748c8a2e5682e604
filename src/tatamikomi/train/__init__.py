"""Training: the book's ``Trainer``, a one-line ``fit``, callbacks, checkpoints, recipes.

The common case is one line (Keras-like)::

    from tatamikomi.train import fit
    history = fit(model, x_train, t_train, validation_data=(x_test, t_test), epochs=5)

One level down, the book's ``Trainer`` (its signature kept) with our additions::

    trainer = Trainer(model, x_train, t_train, x_test, t_test, epochs=10,
                      optimizer="Adam", optimizer_param={"lr": 0.001},
                      seed=0, schedule="cosine", augment_shift=2, checkpoint="run.npz",
                      callbacks=[MyCallback()])
    trainer.train()            # or, step by step as the book does: trainer.train_step()
    Trainer.resume("run.npz", x_train, t_train, x_test, t_test).train()

The modules, one idea each:

- :mod:`.loop`: :class:`Trainer` (``train()``, ``train_step()`` with no arguments: it takes
  the next mini-batch itself) and :func:`fit`;
- :mod:`.callbacks`: the :class:`Callback` protocol (``on_train_begin``, ``on_epoch_begin``,
  ``on_step_end``, ``on_epoch_end``, ``on_train_end``) and the built-in progress bar,
  checkpoint, Ctrl-C handling and divergence guard; ``trainer.stop_training = True`` stops
  after the current step;
- :mod:`.checkpoint`: saving the run, and :meth:`Trainer.resume`, which continues it exactly;
- :mod:`.recipes`: how ``tatamikomi train`` trains each model (``recipes.get("default")``).
"""

from . import callbacks, checkpoint, recipes
from .callbacks import (
    Callback,
    Checkpoint,
    CtrlC,
    DivergenceGuard,
    ProgressBar,
    TrainingDiverged,
    TrainingInterrupted,
)
from .loop import Trainer, fit
from .recipes import Recipe

__all__ = [
    "Trainer",
    "fit",
    "Callback",
    "Checkpoint",
    "CtrlC",
    "DivergenceGuard",
    "ProgressBar",
    "TrainingDiverged",
    "TrainingInterrupted",
    "Recipe",
    "callbacks",
    "checkpoint",
    "recipes",
]
