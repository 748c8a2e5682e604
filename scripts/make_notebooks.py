"""Make the Colab notebooks in examples/ from the tutorials in docs/ (run after editing them).

    python scripts/make_notebooks.py

Prose becomes markdown cells (its links rewritten to lead from examples/) and each ``python``
block a code cell; the ``text`` blocks (the printed output the tutorial shows) are not copied:
every code cell is run, in order in one namespace (in a scratch folder, for the files the
tutorial writes), and stored with what it printed and, when it ends with a figure, the figure
as a PNG, so that the notebooks show their results before anyone runs them. A first code cell
installs tatamikomi with its pictures' packages from a wheel uploaded to Colab (tatamikomi is
not on PyPI yet; the line for when it is stands commented beside it), after a cell saying how
(neither is run here). tests/test_tutorials.py checks that the notebooks hold exactly the
tutorials' code and that their outputs are what the tutorials print. Run it with this
checkout's tatamikomi importable (``pip install -e .``).
"""
from __future__ import annotations

import ast
import base64
import contextlib
import io
import json
import os
import pathlib
import posixpath
import re
import tempfile

from tatamikomi._files import atomic_write

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAIRS = {
    "docs/tutorial.md": "examples/tutorial.ipynb",
    "docs/tutorial.ja.md": "examples/tutorial.ja.ipynb",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
LINK = re.compile(r"\]\(([^)#:]+)\)")
#: how to install, per language: a markdown cell saying how, then the install cell
INSTALL = {
    "en": (
        "**Install.** tatamikomi is not on PyPI yet. Build its wheel from a checkout "
        "(`pip install build && python -m build`: `dist/tatamikomi-*.whl`), upload that file "
        "with Colab's file panel (the folder icon on the left), then run the next cell. Once "
        "tatamikomi is published, `%pip install \"tatamikomi[viz]\"` does it in one line.",
        '%pip install --quiet ./tatamikomi-*.whl matplotlib matplotlib-fontja\n'
        '# once tatamikomi is on PyPI, this line replaces the one above:\n'
        '# %pip install --quiet "tatamikomi[viz]"',
    ),
    "ja": (
        "**インストール** tatamikomi はまだ PyPI にありません。チェックアウトから wheel を作り"
        "(`pip install build && python -m build` で `dist/tatamikomi-*.whl` ができます)、"
        "Colab のファイル欄(左のフォルダのアイコン)からアップロードして、次のセルを実行して"
        "ください。公開後は `%pip install \"tatamikomi[viz]\"` の 1 行で入ります。",
        '%pip install --quiet ./tatamikomi-*.whl matplotlib matplotlib-fontja\n'
        '# PyPI で公開されたら、上の行の代わりにこの行を使います:\n'
        '# %pip install --quiet "tatamikomi[viz]"',
    ),
}


def _lines(text: str) -> list[str]:
    """A cell's source as notebooks store it: lines that keep their newline, but the last."""
    lines = text.strip("\n").split("\n")
    return [line + "\n" for line in lines[:-1]] + lines[-1:]


def cells(markdown: str, lang: str = "en") -> list[dict]:
    result, position = [], 0
    for match in FENCE.finditer(markdown):
        for prose in re.split(r"\n(?=## )", markdown[position : match.start()]):
            if prose.strip():
                result.append(_markdown(prose))
            if len(result) == 1:  # after the introduction
                how, install = INSTALL[lang]
                result += [_markdown(how), _code(install)]
        if match.group(1) == "python":
            result.append(_code(match.group(2)))
        position = match.end()
    if markdown[position:].strip():
        result.append(_markdown(markdown[position:]))
    return result


def _from_examples(match: re.Match) -> str:
    """A link of a page in docs/ as seen from examples/: a tutorial's link to the other
    tutorial leads to its notebook, any other to the same file."""
    target = match.group(1)
    notebook = PAIRS.get(f"docs/{target}")
    if notebook:
        return f"]({posixpath.basename(notebook)})"
    return f"]({posixpath.normpath('../docs/' + target)})"


def _markdown(source: str) -> dict:
    source = LINK.sub(_from_examples, source)
    return {"cell_type": "markdown", "metadata": {}, "source": _lines(source)}


def _code(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": _lines(source),
    }


def run(cells_: list[dict]) -> None:
    """Run the code cells (but the install) in order and store their outputs."""
    namespace = {"__name__": "__notebook__"}
    code_cells = [
        c for c in cells_ if c["cell_type"] == "code" and not c["source"][0].startswith("%pip")
    ]
    for count, cell in enumerate(code_cells, 1):
        code = "".join(cell["source"])
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, f"cell {count}", "exec"), namespace)
            value = None
            if last is not None:
                expression = compile(ast.Expression(last.value), f"cell {count}", "eval")
                value = eval(expression, namespace)
        outputs = []
        if printed.getvalue():
            text = _lines(printed.getvalue().rstrip("\n") + "\n")
            outputs.append({"name": "stdout", "output_type": "stream", "text": text})
        if value is not None and hasattr(value, "savefig"):  # a figure, shown as a PNG
            png = io.BytesIO()
            value.savefig(png, format="png", dpi=72, bbox_inches="tight")
            encoded = base64.b64encode(png.getvalue()).decode()
            data = {"image/png": encoded, "text/plain": ["<Figure>"]}
            outputs.append({"data": data, "metadata": {}, "output_type": "display_data"})
        elif value is not None:
            outputs.append(
                {
                    "data": {"text/plain": _lines(repr(value))},
                    "execution_count": count,
                    "metadata": {},
                    "output_type": "execute_result",
                }
            )
        cell["outputs"] = outputs
        cell["execution_count"] = count


def notebook(markdown: str, lang: str = "en") -> dict:
    return {
        "cells": cells(markdown, lang),
        "metadata": {
            "colab": {"provenance": []},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    for source, target in PAIRS.items():
        lang = "ja" if source.endswith(".ja.md") else "en"
        book = notebook((ROOT / source).read_text("utf-8"), lang)
        here = os.getcwd()
        with tempfile.TemporaryDirectory() as scratch:
            os.chdir(scratch)
            try:
                run(book["cells"])
            finally:
                os.chdir(here)
        for k, cell in enumerate(book["cells"]):
            cell["id"] = f"cell-{k}"
        text = json.dumps(book, ensure_ascii=False, indent=1) + "\n"
        with atomic_write(ROOT / target, overwrite=True) as f:
            f.write(text.encode("utf-8"))
        print(f"wrote {target} ({len(book['cells'])} cells)")


if __name__ == "__main__":
    main()
