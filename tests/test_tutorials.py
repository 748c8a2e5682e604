"""The tutorials run end to end: every ``python`` block in order, in one namespace, and the
``text`` block after a code block must be exactly what that code printed. The notebooks in
examples/ must hold the same code, stored with its outputs and figures."""

import base64
import contextlib
import io
import json
import re

import pytest

from .support import ROOT

TUTORIALS = ["docs/tutorial.md", "docs/tutorial.ja.md"]
NOTEBOOKS = {
    "docs/tutorial.md": "examples/tutorial.ipynb",
    "docs/tutorial.ja.md": "examples/tutorial.ja.ipynb",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def blocks(path):
    """(language, code, expected output or None) for each code block of a markdown file."""
    found = [(m.group(1), m.group(2)) for m in FENCE.finditer((ROOT / path).read_text("utf-8"))]
    result = []
    for k, (lang, code) in enumerate(found):
        if lang == "text":
            continue
        assert lang == "python", f"{path}: a {lang or 'plain'} block; only python and text run"
        following = found[k + 1] if k + 1 < len(found) else None
        expected = following[1] if following and following[0] == "text" else None
        result.append((code, expected))
    return result


@pytest.mark.parametrize("path", TUTORIALS)
def test_tutorial_runs_and_prints_what_it_shows(path, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="the tutorial's last part draws pictures")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__tutorial__"}
    steps = blocks(path)
    assert len(steps) >= 20
    for number, (code, expected) in enumerate(steps, start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"{path} block {number}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{path}, block {number} raised {error!r}:\n{code}")
        if expected is not None:
            assert out.getvalue().rstrip() == expected.rstrip(), f"{path}, block {number}"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "confusion.png",
        "curves.png",
        "errors.png",
        "feature-maps.png",
        "filters.png",
        "mnist-cnn.npz",
        "slide.gif",
    ]


def test_both_tutorials_have_the_same_code():
    english = [code for code, _ in blocks(TUTORIALS[0])]
    japanese = [code for code, _ in blocks(TUTORIALS[1])]

    def strip(code):  # comments, the words in strings and the pictures' language may differ
        code = re.sub(r',?\s*lang="ja"', "", re.sub(r"#.*", "", code))
        return "".join(re.sub(r'"[^"\n]*"', '""', code).split())

    assert [strip(c) for c in english] == [strip(c) for c in japanese]


def ends_with_a_figure(code: str) -> bool:
    return code.rstrip().splitlines()[-1].split("#")[0].strip() == "fig"


@pytest.mark.parametrize("path", TUTORIALS)
def test_notebook_matches_its_tutorial(path):
    notebook = json.loads((ROOT / NOTEBOOKS[path]).read_text("utf-8"))
    assert notebook["nbformat"] == 4
    code_cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code_cells[0].startswith("%pip install")
    assert code_cells[1:] == [code.rstrip("\n") for code, _ in blocks(path)], (
        f"{NOTEBOOKS[path]} is out of date: run python scripts/make_notebooks.py"
    )
    # stored with their outputs: what the tutorial prints, and every figure a cell ends with
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"][1:]
    figures = 0
    for cell, (code, expected) in zip(cells, blocks(path)):
        printed = "".join(
            "".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream"
        )
        if expected is not None:
            assert printed.rstrip() == expected.rstrip(), (
                f"{NOTEBOOKS[path]}: stored outputs are out of date: run "
                f"python scripts/make_notebooks.py\n{code}"
            )
        images = [o for o in cell["outputs"] if "image/png" in o.get("data", {})]
        assert len(images) == ends_with_a_figure(code), code
        for image in images:
            assert base64.b64decode(image["data"]["image/png"]).startswith(b"\x89PNG")
        figures += len(images)
    assert figures == 5  # filters, feature maps, curves, confusion matrix, errors
