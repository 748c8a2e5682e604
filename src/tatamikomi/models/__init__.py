"""Models: :class:`Sequential` (layers in order, with the book's methods), models from a JSON
spec, the book's :class:`SimpleConvNet` and :class:`DeepConvNet` with the import of its trained
weights, and model files.

- :mod:`.sequential`: the model itself (predict, loss, gradient, params, summary);
- :mod:`.spec`: ``from_spec`` and ``build_layer``, from the layers' own spec entries;
- :mod:`.book`: the book's networks and ``import_book_params``;
- :mod:`.files`: ``save``/``load``/``load_checkpoint`` and models by name.
"""

from ..io import ModelFileError
from .book import BOOK_INPUT_DIM, BOOK_MODELS, DeepConvNet, SimpleConvNet, import_book_params
from .files import build_model, get_model, load, load_checkpoint, save
from .sequential import Layers, Sequential, execution_order, fold_book_dropout
from .spec import BUDGET, ENGINES, STUDIO_BUDGET, Budget, SpecLimitError, build_layer, from_spec

#: the book's networks by name (kept under its earlier name)
MODELS = BOOK_MODELS

__all__ = [
    "Sequential",
    "Layers",
    "SimpleConvNet",
    "DeepConvNet",
    "from_spec",
    "build_layer",
    "build_model",
    "get_model",
    "save",
    "load",
    "load_checkpoint",
    "import_book_params",
    "fold_book_dropout",
    "execution_order",
    "ModelFileError",
    "BOOK_INPUT_DIM",
    "BOOK_MODELS",
    "MODELS",
    "ENGINES",
    "BUDGET",
    "STUDIO_BUDGET",
    "Budget",
    "SpecLimitError",
]
