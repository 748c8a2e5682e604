"""Where the tests find the real MNIST files: ``$TATAMIKOMI_DATA`` (its ``mnist`` subfolder or
itself, as tatamikomi looks), else ``../shared/data/mnist`` beside the checkout. One home for
every MNIST-dependent test; ``needs_mnist`` skips with the places looked in."""

import os

import pytest

from .support import SHARED_DATA
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def _candidates():
    environment = os.environ.get("TATAMIKOMI_DATA")
    if environment:
        yield os.path.join(environment, "mnist")
        yield environment
    yield os.path.join(SHARED_DATA, "mnist")


def _complete(folder):
    return all(
        any(os.path.isfile(os.path.join(folder, name + ext)) for ext in ("", ".gz"))
        for name in FILES
    )


LOOKED = list(_candidates())
#: the folder with the four MNIST files, or None
MNIST_DIR = next((os.path.abspath(f) for f in LOOKED if _complete(f)), None)
HAVE_MNIST = MNIST_DIR is not None
needs_mnist = pytest.mark.skipif(
    not HAVE_MNIST, reason=f"the real MNIST files are in none of {', '.join(LOOKED)}"
)
