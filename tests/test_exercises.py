"""The exercises: the library's answers are right (computed here another way), wrong answers are
called wrong, and the pages that list them run as written."""

import contextlib
import io
import re

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import exercises, lecture

from .support import ROOT

PAGES = ["docs/exercises.md", "docs/exercises.ja.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def by_hand(key):
    """Each answer worked out without tatamikomi's explanations."""
    if key == "oh":
        return (7 + 2 * 0 - 3) // 2 + 1
    if key == "padded":
        padded = np.pad(lecture.INPUT, 1)
        return int((padded[0:3, 3:6] * lecture.FILTER).sum())
    if key == "pool_shift":
        moved = np.pad(lecture.INPUT, ((0, 0), (1, 0)))[:, :4]
        return [[int(moved[i : i + 2, j : j + 2].max()) for j in (0, 2)] for i in (0, 2)]
    if key == "shape":
        return tk.SimpleConvNet().output_shapes((1, 28, 28))[2]
    if key == "im2col":
        return tk.im2col(np.zeros(exercises.IM2COL_BATCH), 3, 3, stride=1, pad=1).shape
    if key == "sharing":
        return 784 * (30 * 24 * 24) + 30 * 24 * 24
    raise AssertionError(key)


@pytest.mark.parametrize("key", exercises.KEYS)
def test_the_answers_are_right_and_wrong_ones_are_called_wrong(key):
    expected = by_hand(key)
    assert np.array_equal(np.asarray(exercises.answer(key)), np.asarray(expected))
    right = exercises.check(key, expected)
    assert right.correct and bool(right) and str(right).startswith("Right: ")
    assert exercises.check(key, expected, lang="ja").message.startswith("正解: ")
    for wrong in (0, "12", np.asarray(expected) + 1, [[1]]):
        result = exercises.check(key, wrong)
        assert not result.correct and str(result).startswith("Not quite: ")
        assert exercises.check(key, wrong, lang="ja").message.startswith("不正解: ")
    assert exercises.question(key).endswith("?") and exercises.question(key, "ja")


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(ValueError, match="the exercises are oh, padded"):
        exercises.check("ow", 3)
    with pytest.raises(ValueError, match="there is no catalog for the language 'fr'"):
        exercises.question("oh", "fr")


@pytest.mark.parametrize("page", PAGES)
def test_the_exercise_pages_run_and_print_what_they_show(page):
    text = (ROOT / page).read_text("utf-8")
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    namespace = {}
    runs = 0
    for k, (lang, code) in enumerate(found):
        if lang != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page} block {k}", "exec"), namespace)
        assert found[k + 1][0] == "text"
        assert out.getvalue().rstrip() == found[k + 1][1].rstrip(), (page, code)
        runs += 1
    assert runs == len(exercises.KEYS) + 1
    for key in exercises.KEYS:
        assert exercises.question(key, "ja" if page.endswith(".ja.md") else "en") in text
