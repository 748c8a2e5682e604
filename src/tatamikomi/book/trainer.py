"""Stands in for the book's ``common/trainer.py``: :class:`tatamikomi.train.Trainer` (each epoch
a new order of the training set, not batches drawn with replacement), printing the book's final
test accuracy line."""

from __future__ import annotations

from ..train import Trainer as _Trainer

__all__ = ["Trainer"]


class Trainer(_Trainer):
    """The book's ``Trainer(network, x_train, t_train, x_test, t_test, epochs=20,
    mini_batch_size=100, optimizer='SGD', optimizer_param={'lr': 0.01},
    evaluate_sample_num_per_epoch=None, verbose=True)``."""

    def train(self):
        history = super().train()
        if self.verbose:
            test_acc = self.network.accuracy(self.x_test, self.t_test)
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(test_acc))
        return history
