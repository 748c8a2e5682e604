"""The exercises (issue 25): the library's answers are right (computed here another way), the
common mistakes get feedback aimed at them, a wrong first try gets a hint and not the answer,
the terminal quiz runs from a scripted stdin, and the pages that list them run as written."""

import contextlib
import io
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import exercises, lecture
from tatamikomi.exercises import bank

from .support import ROOT, child_env, japanese_words_left, run_cli

PAGES = ["docs/exercises.md", "docs/exercises.ja.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
INPUT = np.asarray(lecture.INPUT)
FILTER = np.asarray(lecture.FILTER)


def conv_at(x, w, i, j):
    fh, fw = w.shape[-2:]
    return int((x[..., i : i + fh, j : j + fw] * w).sum())


def pool(x, reduce):
    return [[float(reduce(x[i : i + 2, j : j + 2])) for j in (0, 2)] for i in (0, 2)]


def by_hand(key):
    """Each answer worked out without tatamikomi's explanations."""
    if key == "conv_element":
        return conv_at(INPUT, FILTER, 0, 1)
    if key == "output_size":
        return (4 - 3 + 1, 4 - 3 + 1)
    if key == "same_size":
        return next(p for p in range(4) if 4 + 2 * p - 3 + 1 == 4)
    if key == "max_pool":
        return pool(INPUT, np.max)
    if key == "avg_pool":
        return pool(INPUT, np.mean)
    if key == "why_padding":
        return 2
    if key == "which_params":
        return [1, 4]
    if key == "oh":
        return (7 + 2 * 0 - 3) // 2 + 1
    if key == "stride_floor":
        return len(range(0, 8 - 3 + 1, 2))  # the window's starting rows
    if key == "padded":
        return conv_at(np.pad(INPUT, 1), FILTER, 0, 3)
    if key == "channel_sum":
        return conv_at(bank.CHANNEL_X, bank.CHANNEL_W, 0, 0) + bank.CHANNEL_B
    if key == "conv_params":
        return 30 * 3 * 5 * 5 + 30
    if key == "pool_shift":
        moved = np.pad(INPUT, ((0, 0), (1, 0)))[:, :4]
        return pool(moved, np.max)
    if key == "shift_concept":
        return 3
    if key == "shape":
        return tk.SimpleConvNet().output_shapes((1, 28, 28))[2]
    if key == "network_shape":
        size = 28
        size = (size + 2 - 3 + 1) // 2
        size = (size - 3 + 1) // 2
        return (32, size, size)
    if key == "im2col_lecture":
        return (10 * 3 * 3, 3 * 5 * 5)
    if key == "im2col":
        return tk.im2col(np.zeros(exercises.IM2COL_BATCH), 3, 3, stride=1, pad=1).shape
    if key == "sharing":
        return 784 * (30 * 24 * 24) + 30 * 24 * 24
    if key == "shuffle_concept":
        return 2
    if key == "pool_backward":
        dx = np.zeros((4, 4))
        for a, i in enumerate((0, 2)):
            for b, j in enumerate((0, 2)):
                window = INPUT[i : i + 2, j : j + 2]
                r, c = np.unravel_index(window.argmax(), window.shape)
                dx[i + r, j + c] = bank.POOL_DOUT[a, b]
        return dx.tolist()
    if key == "col2im_overlap":
        return sum(1 for i in range(2) for j in range(2) if i <= 1 < i + 3 and j <= 1 < j + 3)
    raise AssertionError(key)


def test_there_are_fifteen_or_more_in_three_levels_with_conceptual_questions():
    assert len(exercises.KEYS) >= 15
    levels = [exercises.level(key) for key in exercises.KEYS]
    assert levels == sorted(levels, key=exercises.LEVELS.index)  # easiest first
    assert {level: levels.count(level) >= 4 for level in exercises.LEVELS} == dict.fromkeys(
        exercises.LEVELS, True)
    conceptual = [key for key in exercises.KEYS if exercises.options(key)]
    assert len(conceptual) >= 3
    assert [exercises.level_name(k, "ja") for k in ("conv_element", "oh", "sharing")] == [
        "基本", "標準", "発展"]


@pytest.mark.parametrize("key", exercises.KEYS)
def test_the_answers_are_right_and_wrong_ones_are_called_wrong(key):
    expected = by_hand(key)
    assert np.array_equal(np.asarray(exercises.answer(key)), np.asarray(expected))
    right = exercises.check(key, expected)
    assert right.correct and bool(right) and str(right).startswith("Right: ")
    assert exercises.check(key, expected, lang="ja").message.startswith("正解: ")
    for wrong in (0, np.asarray(expected) + 1, [[1]]):
        first = exercises.check(key, wrong)
        assert not first.correct and str(first).startswith("Not quite: ")
        assert not first.revealed and first.hint == exercises.hint(key)
        second = exercises.check(key, wrong, tries=2)
        assert second.revealed and exercises.check(key, wrong, "ja", tries=2).message.startswith(
            "不正解: ")
    assert exercises.question(key).rstrip().endswith(("?", ".")) or exercises.options(key)
    assert japanese_words_left(exercises.question(key, "ja")) == []
    assert japanese_words_left(exercises.hint(key, "ja")) == []


@pytest.mark.parametrize("key", exercises.KEYS)
def test_a_wrong_first_try_gives_the_hint_not_the_answer(key):
    expected = exercises.answer(key)
    hidden = exercises.check(key, 987654)
    assert exercises.hint(key) in hidden.message
    shown = exercises._shown(expected)
    assert shown not in hidden.message.replace("987654", "").replace(exercises.hint(key), "")
    assert shown in exercises.check(key, 987654, tries=2).message


MISTAKES = [
    (key, mistake, wrong)
    for key, exercise in bank.EXERCISES.items()
    for mistake, wrong in exercise.mistakes().items()
]


@pytest.mark.parametrize(
    "key, mistake, wrong", MISTAKES, ids=[f"{k}-{m.rpartition('_')[2]}" for k, m, _ in MISTAKES]
)
def test_each_common_mistake_gets_its_own_feedback(key, mistake, wrong):
    assert not np.array_equal(np.asarray(wrong, float), np.asarray(exercises.answer(key), float))
    result = exercises.check(key, wrong)
    assert result.mistake == mistake and result.feedback and result.feedback in result.message
    assert exercises.check(key, wrong, "ja").feedback  # said in Japanese too


def test_the_named_mistakes_cover_padding_flooring_and_the_bias():
    named = {mistake for _, mistake, _ in MISTAKES}
    assert {
        "exercises.mistake_forgot_padding", "exercises.mistake_no_floor",
        "exercises.mistake_bias_missing", "exercises.mistake_bias_per_channel",
    } <= named
    assert exercises.check("stride_floor", 3.5).mistake == "exercises.mistake_no_floor"
    assert exercises.check("padded", 14).mistake == "exercises.mistake_forgot_padding"


def test_typed_answers_are_read_as_numbers_lists_and_grids():
    cases = {
        "3": 3, " 12 ": 12, "4, 256, 27": [4, 256, 27], "4 256 27": [4, 256, 27],
        "(30, 12, 12)": [30, 12, 12], "[256 27]": [256, 27], "[[4, 3], [3, 2]]": [[4, 3], [3, 2]],
        "[[4 3] [3 2]]": [[4, 3], [3, 2]], "30，12，12": [30, 12, 12],
        "（30、12、12）": [30, 12, 12],
        "-1.5": -1.5, "no idea": None, "": None,
    }
    assert {text: exercises.parse_answer(text) for text in cases} == cases
    assert exercises.check("max_pool", "[[4 4] [3 3]]").correct
    assert exercises.check("which_params", "4, 1").correct  # several options in any order


def test_a_quiz_counts_tries_and_none_is_no_answer_yet():
    quiz = exercises.Quiz()
    waiting = quiz.check("oh", None)
    assert not waiting.correct and "None" in waiting.message and quiz.tries == {}
    assert not quiz.check("oh", 2).revealed
    assert quiz.check("oh", 2).revealed
    assert quiz.check("oh", 3).correct and quiz.solved == {"oh": 3}
    japanese = exercises.Quiz(lang="ja")
    assert japanese.check("oh", 3).message.startswith("正解: ")


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(ValueError, match="the exercises are conv_element, output_size"):
        exercises.check("ow", 3)
    with pytest.raises(ValueError, match="there is no catalog for the language 'fr'"):
        exercises.question("oh", "fr")


def quiz(*args, answers: str):
    return subprocess.run(
        [sys.executable, "-m", "tatamikomi", "exercises", *args], input=answers,
        capture_output=True, text=True, timeout=120, env=child_env(),
    )


def test_the_terminal_quiz_runs_from_a_scripted_stdin_in_japanese():
    # conv_element: a hint, the slide's bias added (feedback), then right; output_size: two
    # wrong answers (the worked answer); same_size: skipped; then q
    result = quiz("--lang", "ja", "--level", "basic", answers="?\n17\n14\n3\n3\ns\nq\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("7 問あります。") and "[1/7] 基本" in out
    assert "ヒント: " + exercises.hint("conv_element", "ja") in out
    assert exercises.check("conv_element", 17, "ja").feedback in out
    assert "正解: 14。" in out
    assert "不正解: 3 ではなく (2, 2) です。" in out
    assert out.rstrip().endswith(
        "7 問のうち、1 回目で正解 0 問、2 回目で正解 1 問、答えを表示 1 問、"
        "飛ばした問題 5 問でした。"
    )
    assert japanese_words_left(out.replace("Enter", "")) == []  # the key's name stays


def test_the_quiz_takes_chosen_exercises_and_lists_them():
    result = quiz("padded", "which_params", answers="11\n1 4\n")
    assert result.returncode == 0, result.stderr
    assert "1) Convolution" in result.stdout and result.stdout.count("Right: ") == 2
    assert result.stdout.rstrip().endswith("2 exercises: 2 right at the first try, 0 at the "
                                           "second, 0 answers shown, 0 skipped.")
    listed = run_cli("exercises", "--list", "--level", "advanced")
    assert listed.returncode == 0
    assert [line.split(" ")[0] for line in listed.stdout.splitlines()] == [
        key for key in exercises.KEYS if exercises.level(key) == "advanced"]
    bad = run_cli("exercises", "ow", "--lang", "ja")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "練習問題 ow はありません" in bad.stderr


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
    assert runs >= len(exercises.KEYS)
    lang = "ja" if page.endswith(".ja.md") else "en"
    for key in exercises.KEYS:
        assert exercises.question(key, lang, with_options=False) in text


def test_the_pages_are_what_the_script_writes():
    script = runpy.run_path(str(ROOT / "scripts" / "make_exercise_pages.py"))
    for lang, path in script["PAGES"].items():
        assert path.read_text("utf-8") == script["page"](lang), "run scripts/make_exercise_pages.py"
