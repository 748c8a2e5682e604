"""Write the exercises' sections of docs/exercises.md and docs/exercises.ja.md from
:mod:`tatamikomi.exercises` (run after adding or changing an exercise).

    python scripts/make_exercise_pages.py

Each page keeps its own introduction (everything before its first ``## `` heading); the rest
is written here: a heading per level, and per exercise its question, its options, a folded
hint and a folded answer whose code block prints the library's check of the right answer.
tests/test_exercises.py runs every block and checks that the pages are what this writes.
"""
from __future__ import annotations

import contextlib
import io
import pathlib

from tatamikomi import exercises
from tatamikomi._files import atomic_write

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = {"en": ROOT / "docs/exercises.md", "ja": ROOT / "docs/exercises.ja.md"}
#: the page's own words, per language
WORDS = {
    "en": {
        "check": 'Check your answer with `exercises.check("{key}", your_answer)`.',
        "hint": "Hint",
        "answer": "Answer",
        "call": 'print(exercises.check("{key}", {answer}))',
    },
    "ja": {
        "check": '`exercises.check("{key}", 答え, lang="ja")` で答えを確かめます。',
        "hint": "ヒント",
        "answer": "答え",
        "call": 'print(exercises.check("{key}", {answer}, lang="ja"))',
    },
}


def _literal(value):
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sections(lang: str) -> str:
    words = WORDS[lang]
    out, number, namespace = [], 0, {"exercises": exercises}
    for level in exercises.LEVELS:
        keys = [key for key in exercises.KEYS if exercises.level(key) == level]
        out.append(f"## {exercises.level_name(keys[0], lang)}\n")
        for key in keys:
            number += 1
            out.append(f"### {number}. {exercises.question(key, lang, with_options=False)}\n")
            options = exercises.options(key, lang)
            if options:
                out.append("".join(f"{n}. {o}\n" for n, o in enumerate(options, 1)))
            out.append(words["check"].format(key=key) + "\n")
            out.append(f"<details><summary>{words['hint']}</summary>\n\n"
                       f"{exercises.hint(key, lang)}\n\n</details>\n")
            code = words["call"].format(key=key, answer=repr(_literal(exercises.answer(key))))
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
            out.append(f"<details><summary>{words['answer']}</summary>\n\n"
                       f"```python\n{code}\n```\n\n```text\n{printed.getvalue().rstrip()}\n```"
                       "\n\n</details>\n")
    return "\n".join(out)


def page(lang: str) -> str:
    """The page for ``lang``: its own introduction, then the exercises."""
    text = PAGES[lang].read_text("utf-8")
    start = text.index("\n## ") + 1
    return text[:start] + sections(lang)


def main() -> None:
    for lang, path in PAGES.items():
        text = page(lang)
        with atomic_write(path, overwrite=True) as f:
            f.write(text.encode("utf-8"))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
