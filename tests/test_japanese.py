"""The Japanese texts read as Japanese (issue 25): no sentence of the Japanese docs ends in an
ASCII colon or breaks its line mid-sentence, and no English prose is left in what the commands,
their refusals and the studio say in Japanese. Each check is also run on a text it must reject."""

import json
import re

import pytest

from tatamikomi import i18n

from .support import CLI_NAMES, ROOT, english_words, japanese_words_left, run_cli

#: the Japanese pages, and where README.md's Japanese part begins
JA_DOCS = sorted((ROOT / "docs").glob("*.ja.md"))
README_JA = "## 日本語"
#: a sentence's last word (です, ます, ました, ません, ください, ある, ...) before an ASCII colon
COLON_END = re.compile(r"[すたんるうい]:")
WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def prose_lines(text: str):
    """(number, line) of each prose line: outside code blocks, no heading or table row."""
    fence = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence or not line.strip() or line.lstrip().startswith(("#", "|")):
            continue
        yield number, line


def colon_endings(text: str) -> list[str]:
    """The prose lines with a Japanese sentence ending in an ASCII colon."""
    return [f"{n}: {line}" for n, line in prose_lines(text) if COLON_END.search(line)]


def broken_sentences(text: str) -> list[str]:
    """Lines of a paragraph that end in Japanese and go on on the next line (a line break
    inside a Japanese sentence renders as a stray space)."""
    lines = text.split("\n")
    prose = dict(prose_lines(text))
    broken = []
    for n, line in prose.items():
        following = prose.get(n + 1)
        if following is None or re.match(r"\s*([-*+] |\d+\. )", following):
            continue
        if WIDE.match(line.rstrip()[-1:]) or WIDE.match(following.strip()[:1]):
            broken.append(f"{n}: {lines[n - 1]}")
    return broken


def japanese_page(name: str) -> str:
    """A Japanese page of docs/, or README.md's Japanese part."""
    if name == "README.md":
        readme = (ROOT / name).read_text("utf-8")
        return readme[readme.index(README_JA):]
    return (ROOT / "docs" / name).read_text("utf-8")


@pytest.mark.parametrize("name", [*(path.name for path in JA_DOCS), "README.md"])
def test_japanese_sentences_end_in_a_full_stop_and_do_not_break(name):
    text = japanese_page(name)
    assert colon_endings(text) == [], name
    assert broken_sentences(text) == [], name


def test_the_docs_checks_can_fail():
    assert colon_endings("畳み込み層の入出力は「特徴マップ」と呼ばれます: 入力は") != []
    assert colon_endings("逆伝播は数値微分と一致します:\n\n```python\nx: int\n```\n") != []
    assert colon_endings("# チュートリアル: 一歩ずつ\n\n| 行: 列 |\n(行: 正解の数字)") == []
    assert broken_sentences("右側のウィンドウは最大値が隣のウィンドウへ\n移ってしまいます。") != []
    assert broken_sentences("- 一つ目です。\n- 二つ目です。\n\n段落です。") == []


# ---------------------------------------------------------------------------------------------
# English left in what tatamikomi says in Japanese

EXPLAIN_TOPICS = ["conv", "pool", "im2col", "flatten", "shape", "shift"]
#: bad inputs (issue 25), each answered in Japanese with the fix
BAD_INPUTS = [
    ("explain", "shape", "DeepConvNet", "--input-shape", "1,8,8"),
    ("explain", "shift", "--shift", "9"),
    ("explain", "conv", "--bias", "x"),
    ("explain", "conv", "--stride", "x"),
]
#: Python's own words that must not reach a Japanese reader
PYTHON_WORDS = re.compile(r"\b(float|int|str|NoneType|Traceback|Error)\b")


@pytest.mark.parametrize("topic", EXPLAIN_TOPICS)
def test_every_explanation_is_japanese(topic):
    result = run_cli("explain", topic, "--lang", "ja")
    assert result.returncode == 0, result.stderr
    assert japanese_words_left(result.stdout) == [], result.stdout


def test_the_help_is_japanese():
    for args in (["--help"], ["explain", "--help"], ["explain", "shift", "--help"]):
        result = run_cli("--lang", "ja", *args)
        assert result.returncode == 0, result.stderr
        assert japanese_words_left(result.stdout) == [], (args, result.stdout)


@pytest.mark.parametrize("args", BAD_INPUTS, ids=" ".join)
def test_bad_inputs_are_refused_in_one_japanese_line_with_the_fix(args):
    result = run_cli(*args, "--lang", "ja")
    assert result.returncode in (1, 2) and result.stdout == ""
    message = result.stderr.strip().splitlines()[-1]  # argparse puts its usage above
    assert "してください" in message, message  # says what to do
    assert not PYTHON_WORDS.search(message), message
    assert japanese_words_left(message) == [], message


#: what the studio's Japanese may keep beside the command line's names: the keys of the keyboard,
#: a unit, the MNIST authors' names, the softmax formula's symbols, the 「training」 model's name
STUDIO_NAMES = (
    "Tab", "Enter", "Escape", "ms", "Yann LeCun", "Corinna Cortes", "Christopher J. C. Burges",
    "p_k", "z_k", "z_j", "exp", "training",
)


def test_the_studio_texts_are_japanese():
    texts = i18n.entries("studio.", "ja")
    left = {}
    for key, text in texts.items():
        if isinstance(text, str):
            text = re.sub(r"\{[^}]*\}", " ", text)  # the placeholders
            for name in STUDIO_NAMES:
                text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", text)
            left[key] = japanese_words_left(text)
    assert {key: words for key, words in left.items() if words} == {}


def test_the_output_size_formula_is_said_in_the_requests_language():
    from tatamikomi.serve import playground

    with i18n.use("ja"):
        answer = playground.playground(stride=2, pad=1, pool=3, pool_stride=2, pool_on="input")
    lines = [*answer["conv"]["size"], *answer["pool"]["size"]]
    assert any("⌊" in line and "切り捨てます" in line for line in lines), lines
    for line in lines:
        assert english_words(line) == [], line
        assert not re.search(r"\d[（(]", line), line  # '2(3/2 ...' reads as a product


def test_the_english_checks_can_fail():
    assert english_words("種類 Max Average") == ["Max", "Average"]
    assert english_words("OH = 2(3/2 rounded down)") == ["rounded", "down"]
    assert PYTHON_WORDS.search("値が正しくありません(`float`): 'x'")


#: what the Japanese notebook's outputs may keep: Python's values, the names of the objects the
#: code prints (tk.Pooling, ...), and the book's im2col printed as source (inspect.getsource)
NOTEBOOK_NAMES = (
    "True", "False", "None", "lecture.Convolution", "tk.Convolution", "tk.Pooling",
    "Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2", "MaxPooling",
)


def notebook_outputs(path):
    """(cell number, printed text) of each code cell's printed output."""
    notebook = json.loads((ROOT / path).read_text("utf-8"))
    for number, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                yield number, "".join(output["text"])


def test_the_japanese_notebook_prints_japanese():
    left = {
        number: english_words(text, (*CLI_NAMES, *NOTEBOOK_NAMES))
        for number, text in notebook_outputs("examples/tutorial.ja.ipynb")
        if not text.startswith("def ")  # the book's code, shown as it is
    }
    assert {number: words for number, words in left.items() if words} == {}
    assert english_words("label: 0 (10, 30, 3, 3) the same", NOTEBOOK_NAMES) != []
