"""Stands in for the book's ``dataset/mnist.py``: ``load_mnist`` with the book's signature.

MNIST is found as :func:`tatamikomi.data.load_dataset` finds it ($TATAMIKOMI_DATA, the user
cache, the system folders, or a download from tatamikomi's mirrors checked by md5). When it can
be found nowhere (offline), the 6,000 + 1,000 images of the bundled mnist-mini are used, with a
note on standard error. ``tatamikomi book --limit N`` keeps the first N images of each set.
"""

from __future__ import annotations

from .. import data
from . import session

__all__ = ["load_mnist", "init_mnist", "download_mnist", "img_dim", "img_size"]

img_dim = (1, 28, 28)
img_size = 784


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """``(x_train, t_train), (x_test, t_test)`` as the book's ``load_mnist`` gives them.

    ``normalize``: pixels float32 in [0, 1] (else uint8 0..255); ``flatten``: images (N, 784)
    (else (N, 1, 28, 28)); ``one_hot_label``: labels (N, 10) (else (N,) class indices)."""
    try:
        train, test = data.load_mnist(normalize, flatten, one_hot_label)
    except data.DataNotFoundError as error:
        session.say("book.mini", error=error)
        train, test = data.load_mnist(normalize, flatten, one_hot_label, dataset=data.datasets.MINI)
    limit = session.current().limit
    if limit is not None:
        train, test = [(x[:limit], t[:limit]) for x, t in (train, test)]
        session.say("book.limited", limit=limit, train=len(train[0]), test=len(test[0]))
    return train, test


def download_mnist():
    """Download MNIST into tatamikomi's cache (from its mirrors, md5-checked)."""
    data.download_dataset("mnist")


init_mnist = download_mnist
