"""Stands in for the book's ``common/gradient.py``.

The book's ``numerical_gradient(f, x)`` changes ``x`` itself, one entry at a time (``h = 1e-4``),
and calls ``f(x)``: its networks pass ``lambda w: self.loss(x, t)``, which ignores its argument
and reads the perturbed weights from the network. :func:`tatamikomi.gradcheck.numerical_gradient`
perturbs a copy instead, so the book's contract is kept here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "numerical_gradient_2d"]


def numerical_gradient(f, x, h=1e-4):
    """Central differences of ``f`` at ``x``, perturbing ``x`` in place (restored after)."""
    grad = np.zeros_like(x)
    iterator = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not iterator.finished:
        index = iterator.multi_index
        original = x[index]
        x[index] = original + h
        plus = f(x)
        x[index] = original - h
        minus = f(x)
        grad[index] = (plus - minus) / (2 * h)
        x[index] = original
        iterator.iternext()
    return grad


def numerical_gradient_2d(f, X):
    """The same, row by row for a 2-D ``X`` (the book's chapter 4 version)."""
    return numerical_gradient(f, X)
