"""Exercises for class, each checked by the library: the answers come from the engine.

    >>> from tatamikomi import exercises
    >>> print(exercises.question("oh"))
    A 7x7 input, a 3x3 filter, padding 0, stride 2: what is the output height OH?
    >>> print(exercises.check("oh", 3))
    Right: 3. OH = ⌊(H + 2P - FH) / S⌋ + 1 = (7 + 2*0 - 3) / 2 + 1 = 3
    >>> wrong = exercises.check("oh", 2)        # a wrong first try: feedback and a hint
    >>> print(wrong.feedback)
    You forgot the + 1 at the end: the first window counts too.
    >>> exercises.check("oh", 2, tries=2).revealed  # the second: the answer, worked
    True

``KEYS`` lists the exercises, easiest level first (``LEVELS``: basic 基本, standard 標準,
advanced 発展, the last for what goes beyond the lecture or belongs to the next one);
``level(key)`` says which, ``question(key, lang)`` asks one (with its ``options(key, lang)``
when it is a conceptual question answered by an option's number), ``hint(key, lang)`` points
the way without the answer, ``answer(key)`` computes the answer, and ``check(key, given, lang,
tries=1)`` says right or wrong: a wrong first try gets feedback on the likely mistake
(forgetting the padding, not flooring, counting the bias wrong, ...) and the hint, a wrong
second try gets the answer and its working. :class:`Quiz` counts the tries for you (a notebook,
the terminal quiz ``tatamikomi exercises``). The same exercises are the studio's and the
classroom's. The texts are in :mod:`tatamikomi.i18n` (area ``"exercises"``); the questions live
in :mod:`.bank`, the terminal quiz in :mod:`.quiz`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import i18n
from .bank import EXERCISES, IM2COL_BATCH, LEVELS

#: the exercises, easiest level first, each level in the order of the lecture
KEYS = tuple(sorted(EXERCISES, key=lambda k: LEVELS.index(EXERCISES[k].level)))
#: an answer as typed: numbers, with brackets for nesting (3, "30, 12, 12", "[[4, 3], [3, 2]]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: the most characters a typed answer may have
MAX_ANSWER = 200


@dataclass(frozen=True)
class Check:
    """The verdict on one answer: ``correct``, the ``expected`` answer, the ``message`` (what
    to read), the ``mistake`` it looks like (a catalog key, or None) with its ``feedback``, the
    ``hint`` (given with a wrong first try) and whether the message ``revealed`` the answer."""

    key: str
    given: object
    expected: object
    correct: bool
    message: str
    mistake: str | None = None
    feedback: str = ""
    hint: str = ""
    revealed: bool = False

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return self.message


def _known(key: str) -> None:
    if key not in EXERCISES:
        raise i18n.error(ValueError, "errors.no_exercise", key=repr(key), keys=", ".join(KEYS))


def level(key: str) -> str:
    """The level of exercise ``key``: "basic", "standard" or "advanced"."""
    _known(key)
    return EXERCISES[key].level


def level_name(key: str, lang: str | None = None) -> str:
    """The level of exercise ``key`` in words (基本, 標準, 発展)."""
    names = {
        "basic": "exercises.level_basic",
        "standard": "exercises.level_standard",
        "advanced": "exercises.level_advanced",
    }
    return i18n.text(names[level(key)], lang=lang)


def options(key: str, lang: str | None = None) -> list[str]:
    """The options of a conceptual question, in order (answer with an option's number); an
    empty list for the other exercises."""
    _known(key)
    return [i18n.text(option, lang=lang) for option in EXERCISES[key].options]


def question(key: str, lang: str | None = None, *, with_options: bool = True) -> str:
    """The exercise ``key`` as a question, in ``lang``; a conceptual question's options follow
    it on lines of their own (``with_options=False``: the question alone)."""
    _known(key)
    exercise = EXERCISES[key]
    text = i18n.text(exercise.question, lang=lang, **exercise.values())
    if with_options and exercise.options:
        text += "".join(f"\n  {n}) {o}" for n, o in enumerate(options(key, lang), 1))
    return text


def hint(key: str, lang: str | None = None) -> str:
    """A hint for exercise ``key`` (the formula or the step to take); it does not give the
    answer."""
    _known(key)
    return i18n.text(EXERCISES[key].hint, lang=lang)


def answer(key: str):
    """The answer to exercise ``key``, computed by the library (an int, a nested list, a
    shape tuple, an option's number or a sorted list of them)."""
    _known(key)
    with i18n.use(i18n.SOURCE_LANGUAGE):
        return EXERCISES[key].solve()[0]


def parse_answer(text: str):
    """An answer as a person types it: ``"3"`` -> 3, ``"30, 12, 12"`` or ``"(30 12 12)"`` ->
    [30, 12, 12], ``"[[4, 3], [3, 2]]"`` -> [[4, 3], [3, 2]] (brackets keep their nesting;
    full-width brackets and commas too). None when it holds no number."""
    text = str(text)[:MAX_ANSWER].strip()
    text = text.translate(str.maketrans("(（)），、", "[[]],,"))
    numbers = _NUMBER.findall(text)
    if not numbers:
        return None
    if "[" not in text:
        values = [_value(n) for n in numbers]
        return values[0] if len(values) == 1 else values
    stack: list[list] = [[]]
    for token in re.findall(r"\[|\]|-?\d+(?:\.\d+)?", text):
        if token == "[":
            stack.append([])
        elif token == "]":
            if len(stack) > 1:
                inner = stack.pop()
                stack[-1].append(inner)
        else:
            stack[-1].append(_value(token))
    while len(stack) > 1:
        inner = stack.pop()
        stack[-1].append(inner)
    result = stack[0]
    return result[0] if len(result) == 1 and isinstance(result[0], list) else result


def _value(token: str):
    return float(token) if "." in token else int(token)


def check(key: str, given, lang: str | None = None, *, tries: int = 1) -> Check:
    """Check ``given`` (a number, a list, a shape, or the text a person typed) against the
    library's answer to exercise ``key``. ``tries`` is which try this is: a wrong answer on
    the first says what the mistake looks like and gives the hint; from the second on, it
    gives the answer and the working."""
    _known(key)
    with i18n.use(lang):
        return _check(key, given, tries)


def _check(key: str, given, tries: int) -> Check:
    exercise = EXERCISES[key]
    expected, why = exercise.solve()
    if isinstance(given, str):
        given = parse_answer(given)
    hint = i18n.text(exercise.hint)
    if given is None:
        return Check(key, None, expected, False, i18n.text("exercises.no_answer"), hint=hint)
    if _same(given, expected, exercise.several):
        message = i18n.text("exercises.right", answer=_shown(expected), why=why)
        return Check(key, given, expected, True, message)
    mistake = next(
        (name for name, wrong in exercise.mistakes().items()
         if _same(given, wrong, exercise.several)),
        None,
    )
    feedback = i18n.text(mistake) if mistake else ""
    if tries < 2:
        message = i18n.text(
            "exercises.wrong_first", given=_shown(given), feedback=_sentence(feedback), hint=hint
        )
        return Check(key, given, expected, False, message, mistake, feedback, hint=hint)
    message = i18n.text(
        "exercises.wrong", given=_shown(given), answer=_shown(expected),
        why=_sentence(feedback) + why,
    )
    return Check(key, given, expected, False, message, mistake, feedback, revealed=True)


def _sentence(text: str) -> str:
    return f"{text}{i18n.text('exercises.sentence_gap')}" if text else ""


def _same(given, expected, several: bool = False) -> bool:
    """Equal as numbers and in shape (a tuple and a list of the same numbers are the same); a
    question with several right options takes them in any order."""
    try:
        given_array = np.asarray(given, dtype=np.float64)
        expected_array = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if several and given_array.ndim == 1 and expected_array.ndim == 1:
        given_array = np.unique(given_array)
    return given_array.shape == expected_array.shape and bool(
        np.allclose(given_array, expected_array, rtol=0, atol=1e-6)
    )


def _shown(value) -> str:
    """An answer as the messages write it: whole floats as ints, lists without spaces."""
    value = _plain(value.tolist() if isinstance(value, np.ndarray) else value)
    return str(value).replace(" ", "") if isinstance(value, list) else str(value)


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Quiz:
    """A run through the exercises that counts each one's tries, so that a wrong answer gets
    the hint first and the worked answer the second time (for a notebook: ``quiz =
    exercises.Quiz(lang="ja")`` then ``print(quiz.check("oh", answer))``)."""

    def __init__(self, lang: str | None = None):
        self.lang = lang
        self.tries: dict[str, int] = {}
        self.solved: dict[str, int] = {}

    def question(self, key: str) -> str:
        return question(key, self.lang)

    def hint(self, key: str) -> str:
        return hint(key, self.lang)

    def check(self, key: str, given) -> Check:
        """Check an answer to ``key``; no answer yet (None) is not counted as a try, nor is
        anything after the exercise was solved."""
        result = check(key, given, self.lang, tries=self.tries.get(key, 0) + 1)
        if result.given is not None and key not in self.solved:
            self.tries[key] = self.tries.get(key, 0) + 1
            if result.correct:
                self.solved[key] = self.tries[key]
        return result


__all__ = [
    "KEYS", "LEVELS", "IM2COL_BATCH", "Check", "Quiz", "level", "level_name", "options",
    "question", "hint", "answer", "check", "parse_answer",
]
