"""Exercises for class, each checked by the library: the answers come from the engine.

    >>> from tatamikomi import exercises
    >>> print(exercises.question("oh"))
    A 7x7 input, a 3x3 filter, padding 0, stride 2: what is the output height OH?
    >>> print(exercises.check("oh", 3))
    Right: 3. OH = (H + 2P - FH) / S + 1 = (7 + 2*0 - 3) / 2 + 1 = 3
    >>> exercises.check("oh", 2).correct
    False

``KEYS`` lists the exercises in the order of the lecture; ``question(key, lang)`` asks one,
``answer(key)`` computes its answer, and ``check(key, given, lang)`` says right or wrong and
why (its ``correct`` is True or False). The texts are in :mod:`tatamikomi.i18n` (area
``"exercises"``), in English and Japanese; docs/exercises.md lists them with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import i18n
from .explain import explain_conv, explain_im2col, explain_shape, explain_shift, size_formula
from .functional.geometry import window2d

#: the exercises, in the order of the lecture
KEYS = ("oh", "padded", "pool_shift", "shape", "im2col")

#: the im2col exercise's batch (N, C, H, W), filter size, stride and padding
IM2COL_BATCH = (4, 3, 8, 8)


def _oh(lang):
    window = window2d((7, 7), 3, stride=2, padding=0)
    line = size_formula(7, 3, 2, (0, 0), 1, window.out_hw[0], "h", lang)
    return window.out_hw[0], line


def _padded(lang):
    e = explain_conv(pad=1)
    step = next(s for s in e.steps if s.position == (0, 3))
    return int(step.value), step.products(lang=lang)


def _pool_shift(lang):
    e = explain_shift(shift=(0, 1))
    formulas = "; ".join(s.formula("max") for s in e.after.steps)
    return e.after.output[0].astype(int).tolist(), formulas


def _shape(lang):
    from .models import SimpleConvNet

    e = explain_shape(SimpleConvNet(), (1, 28, 28))
    names = [s.name for s in e.steps]
    steps = e.steps[: names.index("Pool1") + 1]
    arrow = i18n.text("explain.arrow", lang)
    path = "; ".join(f"{s.name} {s.input_shape} {arrow} {s.output_shape}" for s in steps)
    return tuple(steps[-1].output_shape), f"{path}; {steps[-1].describe(lang)[1][0]}"


def _im2col(lang):
    n, c, h, w = IM2COL_BATCH
    e = explain_im2col(IM2COL_BATCH, 3, stride=1, pad=1, max_rows=1)
    oh, ow = e.window.out_hw
    why = f"N*OH*OW = {n}*{oh}*{ow} = {e.col.shape[0]}, C*FH*FW = {c}*3*3 = {e.col.shape[1]}"
    return tuple(e.col.shape), why


_SOLVERS = {
    "oh": _oh,
    "padded": _padded,
    "pool_shift": _pool_shift,
    "shape": _shape,
    "im2col": _im2col,
}


@dataclass(frozen=True)
class Check:
    """The verdict on one answer: ``correct``, the ``expected`` answer and the ``message``
    (right or wrong, and why)."""

    key: str
    given: object
    expected: object
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message


def _known(key: str) -> None:
    if key not in _SOLVERS:
        raise ValueError(f"no exercise {key!r}; the exercises are {', '.join(KEYS)}")


def question(key: str, lang: str = "en") -> str:
    """The exercise ``key`` as a question, in ``lang``."""
    _known(key)
    return i18n.text(f"exercises.q_{key}", lang)


def answer(key: str):
    """The answer to exercise ``key``, computed by the library (an int, a nested list, a
    shape tuple)."""
    _known(key)
    return _SOLVERS[key]("en")[0]


def check(key: str, given, lang: str = "en") -> Check:
    """Check ``given`` against the library's answer to exercise ``key``: right or wrong, and
    the working that gives the answer."""
    _known(key)
    expected, why = _SOLVERS[key](lang)
    try:
        correct = np.shape(given) == np.shape(expected) and bool(
            np.all(np.asarray(given) == np.asarray(expected))
        )
    except (TypeError, ValueError):
        correct = False
    shown = _shown(expected)
    if correct:
        message = i18n.text("exercises.right", lang, answer=shown, why=why)
    else:
        message = i18n.text("exercises.wrong", lang, given=_shown(given), answer=shown, why=why)
    return Check(key, given, expected, correct, message)


def _shown(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return str(value).replace(" ", "") if isinstance(value, list) else str(value)


__all__ = ["KEYS", "Check", "question", "answer", "check"]
