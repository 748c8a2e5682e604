"""Exercises for class, each checked by the library: the answers come from the engine.

    >>> from tatamikomi import exercises
    >>> print(exercises.question("oh"))
    A 7x7 input, a 3x3 filter, padding 0, stride 2: what is the output height OH?
    >>> print(exercises.check("oh", 3))
    Right: 3. OH = ⌊(H + 2P - FH) / S⌋ + 1 = (7 + 2*0 - 3) / 2 + 1 = 3
    >>> exercises.check("oh", 2).correct
    False

``KEYS`` lists the exercises in the order of the lecture; ``question(key, lang)`` asks one,
``hint(key, lang)`` points the way, ``answer(key)`` computes its answer, and ``check(key,
given, lang)`` says right or wrong and why (its ``correct`` is True or False). The texts are in
:mod:`tatamikomi.i18n` (area ``"exercises"``), in English and Japanese; docs/exercises.md lists
them with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import i18n
from .explain import explain_conv, explain_im2col, explain_shape, explain_shift, size_formula
from .functional.geometry import window2d

#: the im2col exercise's batch (N, C, H, W), filter size, stride and padding
IM2COL_BATCH = (4, 3, 8, 8)


def _oh():
    window = window2d((7, 7), 3, stride=2, padding=0)
    line = size_formula(7, 3, 2, (0, 0), 1, window.out_hw[0], "h")
    return window.out_hw[0], line


def _padded():
    e = explain_conv(pad=1)
    step = next(s for s in e.steps if s.position == (0, 3))
    return int(step.value), step.products()


def _pool_shift():
    e = explain_shift(shift=(0, 1))
    formulas = "; ".join(s.formula("max") for s in e.after.steps)
    return e.after.output[0].astype(int).tolist(), formulas


def _shape():
    from .models import SimpleConvNet

    e = explain_shape(SimpleConvNet(), (1, 28, 28))
    names = [s.name for s in e.steps]
    steps = e.steps[: names.index("Pool1") + 1]
    arrow = i18n.text("explain.arrow")
    path = "; ".join(f"{s.name} {s.input_shape} {arrow} {s.output_shape}" for s in steps)
    return tuple(steps[-1].output_shape), f"{path}; {steps[-1].describe()[1][0]}"


def _im2col():
    n, c, h, w = IM2COL_BATCH
    e = explain_im2col(IM2COL_BATCH, 3, stride=1, pad=1, max_rows=1)
    oh, ow = e.window.out_hw
    why = f"N*OH*OW = {n}*{oh}*{ow} = {e.col.shape[0]}, C*FH*FW = {c}*3*3 = {e.col.shape[1]}"
    return tuple(e.col.shape), why


def _sharing():
    from .explain.why_cnn import parameter_sharing

    s = parameter_sharing()
    fn, c, fh, fw = s.filter_shape
    why = (
        f"{s.inputs} x {s.outputs} + {s.outputs} = {s.affine_params}; "
        f"Conv1 {fn}*{c}*{fh}*{fw} + {fn} = {s.conv_params}"
    )
    return s.affine_params, why


#: each exercise: the function that solves it (the answer and the working), its question, and a
#: hint that points the way without giving the answer
_EXERCISES = {
    "oh": (_oh, "exercises.q_oh", "exercises.hint_oh"),
    "padded": (_padded, "exercises.q_padded", "exercises.hint_padded"),
    "pool_shift": (_pool_shift, "exercises.q_pool_shift", "exercises.hint_pool_shift"),
    "shape": (_shape, "exercises.q_shape", "exercises.hint_shape"),
    "im2col": (_im2col, "exercises.q_im2col", "exercises.hint_im2col"),
    "sharing": (_sharing, "exercises.q_sharing", "exercises.hint_sharing"),
}
#: the exercises, in the order of the lecture
KEYS = tuple(_EXERCISES)


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
    if key not in _EXERCISES:
        raise i18n.error(ValueError, "errors.no_exercise", key=repr(key), keys=", ".join(KEYS))


def question(key: str, lang: str | None = None) -> str:
    """The exercise ``key`` as a question, in ``lang``."""
    _known(key)
    return i18n.text(_EXERCISES[key][1], lang=lang)


def hint(key: str, lang: str | None = None) -> str:
    """A hint for exercise ``key`` (the formula or the step to take), in ``lang``; it does not
    give the answer."""
    _known(key)
    return i18n.text(_EXERCISES[key][2], lang=lang)


def answer(key: str):
    """The answer to exercise ``key``, computed by the library (an int, a nested list, a
    shape tuple)."""
    _known(key)
    with i18n.use(i18n.SOURCE_LANGUAGE):
        return _EXERCISES[key][0]()[0]


def check(key: str, given, lang: str | None = None) -> Check:
    """Check ``given`` against the library's answer to exercise ``key``: right or wrong, and
    the working that gives the answer."""
    _known(key)
    with i18n.use(lang):
        return _check(key, given)


def _check(key: str, given) -> Check:
    expected, why = _EXERCISES[key][0]()
    try:
        correct = np.shape(given) == np.shape(expected) and bool(
            np.all(np.asarray(given) == np.asarray(expected))
        )
    except (TypeError, ValueError):
        correct = False
    shown = _shown(expected)
    if correct:
        message = i18n.text("exercises.right", answer=shown, why=why)
    else:
        message = i18n.text("exercises.wrong", given=_shown(given), answer=shown, why=why)
    return Check(key, given, expected, correct, message)


def _shown(value) -> str:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return str(value).replace(" ", "") if isinstance(value, list) else str(value)


__all__ = ["KEYS", "Check", "question", "hint", "answer", "check"]
