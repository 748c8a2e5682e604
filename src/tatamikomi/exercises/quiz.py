"""The exercises as a quiz in a terminal (``tatamikomi exercises``): one question at a time, a
hint on request, feedback on a wrong first try, the worked answer after a wrong second, and a
tally at the end. It reads answers line by line, so a script can pipe them in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from .. import i18n
from . import MAX_ANSWER, Quiz, level_name, parse_answer

#: what a person types instead of an answer
HINT, SKIP, QUIT = ("?", "？", "h", "hint", "ヒント"), ("s", "skip"), ("q", "quit", "exit")


@dataclass
class Tally:
    """How a quiz went: the keys right at the first try, at the second, shown, skipped."""

    first: list[str] = field(default_factory=list)
    second: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self, total: int) -> str:
        return i18n.text(
            "exercises.quiz_summary", count=total, first=len(self.first),
            second=len(self.second), shown=len(self.shown), skipped=len(self.skipped),
        )


def run_quiz(keys, stdin: TextIO, stdout: TextIO, lang: str | None = None) -> Tally:
    """Ask each exercise of ``keys`` in turn, reading answers from ``stdin``; stops early on
    ``q`` or at the end of the input. Returns the :class:`Tally` (also printed)."""
    quiz, tally = Quiz(lang), Tally()
    keys = list(keys)

    def say(text=""):
        print(text, file=stdout, flush=True)

    with i18n.use(lang):
        say(i18n.text("exercises.quiz_intro", count=len(keys)))
        for n, key in enumerate(keys, 1):
            say()
            say(i18n.text("exercises.quiz_heading", n=n, total=len(keys), level=level_name(key)))
            say(quiz.question(key))
            outcome = _ask(quiz, key, stdin, stdout, say)
            if outcome is None:
                tally.skipped.extend(keys[n - 1:])
                break
            getattr(tally, outcome).append(key)
        say()
        say(tally.summary(len(keys)))
    return tally


def _ask(quiz: Quiz, key: str, stdin: TextIO, stdout: TextIO, say) -> str | None:
    """One exercise until it is right, shown or skipped (None: quit or no more input)."""
    echo = not _is_terminal(stdin)  # piped answers: show them, so the transcript reads on
    while True:
        print(i18n.text("exercises.quiz_prompt"), end=" ", file=stdout, flush=True)
        line = stdin.readline()
        typed = line.strip()
        if echo or not line:
            say(typed[:MAX_ANSWER])
        if not line:
            return None
        if typed.lower() in QUIT:
            return None
        if typed.lower() in SKIP:
            return "skipped"
        if typed.lower() in HINT:
            say(i18n.text("exercises.quiz_hint", hint=quiz.hint(key)))
            continue
        if parse_answer(typed) is None:
            say(i18n.text("exercises.quiz_not_an_answer"))
            continue
        result = quiz.check(key, typed)
        say(result.message)
        if result.correct:
            return "first" if quiz.solved[key] == 1 else "second"
        if result.revealed:
            return "shown"


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
