"""Training recipes: how ``tatamikomi train`` trains each model, usable from Python.

A :class:`Recipe` is a model (a name or a JSON spec file) and the settings measured to train
it well on MNIST (the README's accuracy table: SimpleConvNet 99.2 %, DeepConvNet 99.5 %)::

    from tatamikomi.data import load_dataset
    from tatamikomi.train import recipes

    recipe = recipes.get("SimpleConvNet")        # or "default", "DeepConvNet", "my.json"
    trainer = recipe.trainer(load_dataset("mnist"), checkpoint="model.npz")
    trainer.train()                              # what `tatamikomi train` does, bit for bit

    recipes.get("DeepConvNet").override(epochs=3, lr=None)   # None keeps the recipe's value
"""

from __future__ import annotations

import dataclasses
import os

from .. import i18n
from ..data import normalize_images
from ..models import get_model
from ..optim import check_lr, check_weight_decay
from .loop import Trainer


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A model and how to train it. ``model`` is a book network's name or a JSON spec file;
    the rest are the :class:`~tatamikomi.train.Trainer`'s settings (``schedule`` a name of
    :func:`tatamikomi.optim.get_schedule`, ``augment_shift`` in pixels)."""

    model: str
    epochs: int = 10
    batch_size: int = 100
    optimizer: str = "adam"
    lr: float = 0.001
    weight_decay: float = 0.0
    schedule: str = "cosine"
    augment_shift: int = 0
    seed: int = 0

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise i18n.error(
                    ValueError, "errors.recipes_least", name=name,
                    value=getattr(self, name),
                )
        check_lr(self.lr)
        check_weight_decay(self.weight_decay)
        if self.augment_shift < 0:
            raise i18n.error(
                ValueError, "errors.recipes_augment_shift_cannot",
                self_augment_shift=self.augment_shift,
            )
        if int(self.seed) < 0:
            raise i18n.error(ValueError, "errors.recipes_seed_more", self_seed=self.seed)

    def override(self, **changes) -> Recipe:
        """This recipe with ``changes``; a change that is None keeps the recipe's value (an
        option the user left unsaid)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def is_book_network(self) -> bool:
        """A network by name (its shapes follow the data), not a JSON spec (which fixes them)."""
        return not self.model.lower().endswith(".json")

    def build_model(self, input_shape, classes):
        """A new, untrained model for images of ``input_shape`` (C, H, W) and these
        ``classes``, initialised with the recipe's seed. A JSON spec fixes its own shapes."""
        if self.is_book_network:
            model = get_model(
                self.model, seed=self.seed, input_dim=tuple(input_shape), output_size=len(classes)
            )
        else:
            model = get_model(self.model, seed=self.seed)
        model.classes = list(classes)
        return model

    def trainer(self, data, **options) -> Trainer:
        """A Trainer of a new model on ``data`` (a :class:`tatamikomi.data.Dataset`, its pixels
        divided by its ``divide_by``, 255 for 0..255, as the model will remember). ``options``
        go to the Trainer (``checkpoint``, ``overwrite``, ``verbose``, ``callbacks``)."""
        model = self.build_model(data.x_train.shape[1:], data.classes)
        model.preprocess = {"divide_by": data.divide_by, "dataset": data.name}
        optimizer_param = {"lr": self.lr}
        if self.weight_decay:
            optimizer_param["weight_decay"] = self.weight_decay
        return Trainer(
            model,
            normalize_images(data.x_train, data.divide_by),
            data.t_train,
            normalize_images(data.x_test, data.divide_by),
            data.t_test,
            epochs=self.epochs,
            mini_batch_size=self.batch_size,
            optimizer=self.optimizer,
            optimizer_param=optimizer_param,
            seed=self.seed,
            schedule=self.schedule,
            augment_shift=self.augment_shift,
            **options,
        )


#: the measured recipes, by lower-case model name
RECIPES = {
    "simpleconvnet": Recipe("SimpleConvNet", lr=0.003, augment_shift=2),
    "deepconvnet": Recipe("DeepConvNet", lr=0.001, augment_shift=2),
}
DEFAULT = "SimpleConvNet"


def get(model: str = "default") -> Recipe:
    """The recipe of ``model``: ``"default"`` (SimpleConvNet's), a book network's name (any
    case), or a JSON spec file (trained with the plain recipe: 10 epochs, Adam 0.001, a cosine
    schedule, no shifts). Raises ValueError for an unknown name, FileNotFoundError for a
    missing spec file."""
    name = DEFAULT if str(model).lower() == "default" else str(model)
    if name.lower() in RECIPES:
        return RECIPES[name.lower()]
    if name.endswith(".json"):
        if not os.path.isfile(name):
            raise i18n.error(FileNotFoundError, "errors.spec_missing", name=name)
        return Recipe(name)
    names = ", ".join(recipe.model for recipe in RECIPES.values())
    raise i18n.error(ValueError, "errors.unknown_model", name=name, choices=names)
