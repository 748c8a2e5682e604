"""`tatamikomi worksheet`: two A4 PDFs, the worksheet with the slides' blanks and the answer key
with the library's answers, in Japanese and English; files kept unless --force."""

import re
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("reportlab", reason="the worksheet needs reportlab (the 'worksheet' extra)")

from tatamikomi import lecture  # noqa: E402
from tatamikomi.cli import main  # noqa: E402
from tatamikomi.explain import explain_conv, explain_pool, number  # noqa: E402
from tatamikomi.lesson import build, worksheet_pdf  # noqa: E402
from tatamikomi.lesson.worksheet import Blank  # noqa: E402

from .support import child_env  # noqa: E402

A4 = (595.2756, 841.8898)  # points


def pdf_text(path) -> str:
    """The PDF's text in reading order (pdftotext -raw), or a skip without poppler."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def squeezed(text: str) -> str:
    """Without whitespace: the line breaks of the layout fall anywhere in a sentence."""
    return re.sub(r"\s+", "", text)


def page_sizes(data: bytes):
    boxes = re.findall(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]", data)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def run(capsys, *args):
    status = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module", params=["ja", "en"])
def written(request, tmp_path_factory):
    """Both PDFs, written by the command in one language."""
    folder = tmp_path_factory.mktemp(f"worksheet-{request.param}")
    name = "配布.pdf" if request.param == "ja" else "worksheet.pdf"
    status = main(["worksheet", "--lang", request.param, "-o", str(folder / name)])
    assert status == 0
    key = folder / name.replace(".pdf", "-key.pdf")
    return request.param, folder / name, key


def test_the_worksheet_and_its_key_are_two_a4_pdfs(written):
    _, worksheet, key = written
    for path in (worksheet, key):
        data = path.read_bytes()
        assert data.startswith(b"%PDF-")
        sizes = page_sizes(data)
        assert len(sizes) >= 2
        assert all(size == pytest.approx(A4, abs=0.01) for size in sizes)
    assert worksheet.read_bytes() != key.read_bytes()


def test_the_worksheet_holds_every_sentence_with_numbered_blanks(written):
    lang, worksheet, _ = written
    sheet = build(lang)
    text = squeezed(pdf_text(worksheet))
    assert squeezed(sheet.title) in text and squeezed(sheet.fill_task) in text
    for fill_in in sheet.fill_ins:
        for part in fill_in.parts:
            piece = f"({part.number})" if isinstance(part, Blank) else squeezed(part)
            assert piece in text, (lang, piece)
    for exercise in sheet.exercises:
        assert squeezed(exercise.task) in text
    for question in sheet.sizes:
        assert squeezed(question.question) in text
    assert "(90,75)" not in text and "1x1+2x0" not in text  # the answers are the key's
    if lang == "ja":
        for answer in ("全結合層", "空間情報", "形状を維持する", "頑強"):
            assert answer not in text


def test_the_key_holds_the_answers_the_library_computes(written):
    lang, _, key = written
    sheet = build(lang)
    raw = pdf_text(key)
    text = squeezed(raw)
    for blank in sheet.terms:
        assert f"({blank.number}){squeezed(blank.answer)}" in text, blank
    lines = {line.strip() for line in raw.splitlines()}
    conv = explain_conv()
    assert conv.output[0].tolist() == lecture.CONV_OUTPUT.tolist() == [[12, 14], [14, 10]]
    for explained in (conv, explain_conv(pad=1)):
        for row in explained.output[0]:
            assert " ".join(number(v) for v in row) in lines
        for step in explained.steps:
            assert squeezed(step.products()) in text
    for mode in ("max", "avg"):
        pool = explain_pool(lecture.INPUT, 2, stride=2, mode=mode)
        for row in pool.output[0]:
            assert " ".join(number(v) for v in row) in lines
        for step in pool.steps:
            assert squeezed(step.formula(mode)) in text
    assert [q.answer for q in sheet.sizes] == ["2x2", "4x4", "3x3", "24x24", "12x12", "(90, 75)"]
    for question in sheet.sizes:
        assert squeezed(question.answer) in text


def test_the_default_names_say_the_language_and_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "worksheet", "--lang", "en")
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "worksheet-en-key.pdf", "worksheet-en.pdf"
    ]
    assert out == "wrote worksheet-en.pdf (worksheet) and worksheet-en-key.pdf (answer key)\n"


@pytest.mark.parametrize("existing", ["worksheet", "key"])
def test_an_existing_file_is_kept_without_force(tmp_path, capsys, existing):
    worksheet, key = tmp_path / "w.pdf", tmp_path / "answers.pdf"
    mine = tmp_path / ("w.pdf" if existing == "worksheet" else "answers.pdf")
    mine.write_bytes(b"the teacher's own file")
    status, out, err = run(capsys, "worksheet", "-o", worksheet, "--key", key, "--lang", "ja")
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "--force" in err and "Traceback" not in err
    assert err.startswith(f"tatamikomi worksheet: {mine} はすでにあるので")
    assert mine.read_bytes() == b"the teacher's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name]  # neither was written
    status, _, _ = run(capsys, "worksheet", "-o", worksheet, "--key", key, "--force")
    assert status == 0
    assert worksheet.read_bytes().startswith(b"%PDF-") and key.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "notes.txt"], "tatamikomi worksheet: notes.txt is not a PDF: give a name that"),
        (["-o", "a.pdf", "--key", "a.pdf"], "tatamikomi worksheet: the worksheet and its answer"),
        (["-o", "no/such/folder/a.pdf"], "tatamikomi worksheet: "),
    ],
)
def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "--lang", "en", "worksheet", *args)
    assert status == 1 and err.startswith(message) and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_without_reportlab_one_line_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    for name in [n for n in sys.modules if n == "reportlab" or n.startswith("reportlab.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "reportlab", None)
    status, _, err = run(capsys, "worksheet", "-o", tmp_path / "w.pdf", "--lang", "en")
    assert status == 1
    assert err == (
        'tatamikomi worksheet: reportlab is not installed; install it with: pip install '
        '"tatamikomi[worksheet]"\n'
    )
    assert list(tmp_path.iterdir()) == []


def test_the_package_and_the_command_line_import_without_reportlab():
    code = (
        "import sys; sys.modules['reportlab'] = None\n"
        "import tatamikomi, tatamikomi.lesson, tatamikomi.cli\n"
        "print(len(tatamikomi.lesson.build('ja').terms))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env()
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(build("en").terms) > 30


def test_the_cid_font_needs_no_font_file_and_keeps_the_text(tmp_path):
    worksheet, _ = worksheet_pdf("ja", font="cid")
    assert b"HeiseiKakuGo-W5" in worksheet
    path = tmp_path / "cid.pdf"
    path.write_bytes(worksheet)
    text = squeezed(pdf_text(path))
    assert "データの(4)" in text and "が(5)" in text and "されていることです。" in text
