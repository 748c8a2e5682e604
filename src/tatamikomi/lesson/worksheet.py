"""The worksheet's content as data: the slides' fill-in sentences, the grids to compute by hand,
the output-size questions, and every answer, computed by the library.

:func:`build` gathers it in one language into a :class:`Worksheet`; the layout
(:mod:`._pdf`) only places it on the page, once with blanks (the worksheet) and once with the
answers (the key), so that the two documents cannot disagree on a question.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from .. import i18n
from ..explain import explain_conv, explain_pool, size_lines
from ..functional.geometry import window2d
from ..lecture import FILTER, IM2COL_BATCH_SHAPE, IM2COL_FILTER, INPUT, im2col

#: The slides' sentences in the lecture's order, each a catalog key whose fields {a}, {b}, {c}
#: are the blanks, with the catalog keys of the terms that fill them.
FILL_INS = (
    ("worksheet.fill_layers", ("worksheet.term_pooling", "worksheet.term_deep_learning")),
    ("worksheet.fill_affine", ("worksheet.term_affine",)),
    ("worksheet.fill_shape_ignored", ("worksheet.term_shape", "worksheet.term_ignored")),
    ("worksheet.fill_spatial", ("worksheet.term_spatial",)),
    ("worksheet.fill_keep_shape", ("worksheet.term_keep_shape",)),
    ("worksheet.fill_sum_of_products", ("worksheet.term_sum_of_products",)),
    ("worksheet.fill_height_width", ("worksheet.term_height_width",)),
    ("worksheet.fill_window", ("worksheet.term_window", "worksheet.term_slide")),
    ("worksheet.fill_padding", ("worksheet.term_padding", "worksheet.term_zeros_around")),
    ("worksheet.fill_smaller", ("worksheet.term_smaller_than_input",)),
    ("worksheet.fill_stride", ("worksheet.term_stride", "worksheet.term_position_spacing")),
    ("worksheet.fill_stride_pad", ("worksheet.term_smaller", "worksheet.term_larger")),
    ("worksheet.fill_colour", ("worksheet.term_colour",)),
    ("worksheet.fill_channel", ("worksheet.term_channel",)),
    ("worksheet.fill_batch", ("worksheet.term_bundle",)),
    ("worksheet.fill_pooling", ("worksheet.term_pooling_ja", "worksheet.term_smaller")),
    ("worksheet.fill_pool_same", ("worksheet.term_same",)),
    ("worksheet.fill_max_pool", ("worksheet.term_max", "worksheet.term_average")),
    (
        "worksheet.fill_pool_traits",
        ("worksheet.term_none", "worksheet.term_unchanged", "worksheet.term_robust"),
    ),
    ("worksheet.fill_im2col", ("worksheet.term_im2col",)),
    ("worksheet.fill_two_d", ("worksheet.term_two_d", "worksheet.term_consume")),
    ("worksheet.fill_affine_again", ("worksheet.term_affine_layer",)),
)

#: The output-size questions: (kind, input (H, W), window (FH, FW), stride, padding). The first
#: two are the slides' examples, the fourth and fifth SimpleConvNet's first layers on MNIST.
SIZE_QUESTIONS = (
    ("conv", (4, 4), (3, 3), 1, 0),
    ("conv", (4, 4), (3, 3), 1, 1),
    ("conv", (7, 7), (3, 3), 2, 0),
    ("conv", (28, 28), (5, 5), 1, 0),
    ("pool", (24, 24), (2, 2), 2, 0),
)

#: The pooling the slides compute by hand: a 2x2 window with stride 2.
POOL_SIZE, POOL_STRIDE = 2, 2


@dataclass(frozen=True)
class Blank:
    """One blank of a sentence: its number on the sheet and the term that fills it."""

    number: int
    answer: str


@dataclass(frozen=True)
class FillIn:
    """A slide's sentence: text pieces and :class:`Blank` s in reading order."""

    parts: tuple

    @property
    def blanks(self) -> list[Blank]:
        return [part for part in self.parts if isinstance(part, Blank)]

    def text(self, answers: bool = True) -> str:
        """The sentence as plain text: with the answers filled in, or with ``(n)`` for each
        blank."""
        return "".join(
            (part.answer if answers else f"({part.number})") if isinstance(part, Blank) else part
            for part in self.parts
        )


@dataclass(frozen=True)
class Grid:
    """A grid on the sheet: its label and values; ``given`` grids are printed filled on the
    worksheet too, the others only on the key (empty cells on the worksheet)."""

    label: str
    values: np.ndarray
    given: bool = False


@dataclass(frozen=True)
class SizeQuestion:
    """An output-size question, its answer and the working (the formula with the numbers)."""

    question: str
    answer: str
    working: tuple[str, ...]


@dataclass(frozen=True)
class Exercise:
    """A computation by hand: a heading, the task, the grids (in the order the slide puts
    them, with ``×`` between input and filter and ``→`` before the output), and the working the
    answer key shows (each output element's sum of products, or each pooling window)."""

    heading: str
    task: str
    grids: tuple[Grid, ...]
    working: tuple[str, ...]
    operator: str = "×"


@dataclass(frozen=True)
class Worksheet:
    """Everything the two documents say, in one language (``lang``)."""

    lang: str
    title: str
    key_title: str
    source: str
    name_line: str
    key_note: str
    fill_heading: str
    fill_task: str
    fill_ins: tuple[FillIn, ...]
    exercises: tuple[Exercise, ...]
    size_heading: str
    size_task: str
    sizes: tuple[SizeQuestion, ...]
    answer_label: str
    working_label: str
    page_label: str

    @property
    def terms(self) -> list[Blank]:
        """Every blank of every sentence, in order (the key's list of answers)."""
        return [blank for fill_in in self.fill_ins for blank in fill_in.blanks]


def _fill_in(key: str, term_keys, first: int) -> FillIn:
    """The sentence ``key`` cut at its fields into text and numbered blanks."""
    answers = {field: i18n.text(term) for field, term in zip("abc", term_keys)}
    parts, number = [], first
    for literal, field, _, _ in string.Formatter().parse(i18n.template(key)):
        if literal:
            parts.append(literal)
        if field is not None:
            parts.append(Blank(number, answers[field]))
            number += 1
    return FillIn(tuple(parts))


def _fill_ins() -> tuple[FillIn, ...]:
    found, number = [], 1
    for key, terms in FILL_INS:
        fill_in = _fill_in(key, terms, number)
        number += len(fill_in.blanks)
        found.append(fill_in)
    return tuple(found)


def _conv_exercises() -> tuple[Exercise, ...]:
    plain = explain_conv(INPUT, FILTER)
    padded = explain_conv(INPUT, FILTER, pad=1)
    (h, w), (fh, fw) = INPUT.shape, FILTER.shape
    oh, ow = plain.output.shape[1:]
    labels = {
        "input": i18n.text("worksheet.input_label"),
        "filter": i18n.text("worksheet.filter_label"),
    }
    output = i18n.text("worksheet.output_label")
    conv = Exercise(
        i18n.text("worksheet.conv_heading"),
        i18n.text("worksheet.conv_task", h=h, w=w, fh=fh, fw=fw, oh=oh, ow=ow),
        (
            Grid(labels["input"], INPUT, given=True),
            Grid(labels["filter"], FILTER, given=True),
            Grid(output, plain.output[0]),
        ),
        tuple(step.products() for step in plain.steps),
    )
    ph, pw = padded.padded.shape[1:]
    pad = Exercise(
        i18n.text("worksheet.pad_heading"),
        i18n.text(
            "worksheet.pad_task", ph=ph, pw=pw, oh=padded.output.shape[1],
            ow=padded.output.shape[2],
        ),
        (
            Grid(i18n.text("worksheet.padded_label"), padded.padded[0], given=True),
            Grid(labels["filter"], FILTER, given=True),
            Grid(output, padded.output[0]),
        ),
        tuple(step.products() for step in padded.steps),
    )
    return conv, pad


def _pool_exercise() -> Exercise:
    found = {
        mode: explain_pool(INPUT, POOL_SIZE, stride=POOL_STRIDE, mode=mode)
        for mode in ("max", "avg")
    }
    max_label, avg_label = i18n.text("worksheet.max_label"), i18n.text("worksheet.avg_label")
    working = [step.formula(mode) for mode in ("max", "avg") for step in found[mode].steps]
    return Exercise(
        i18n.text("worksheet.pool_heading"),
        i18n.text(
            "worksheet.pool_task", h=INPUT.shape[0], w=INPUT.shape[1], size=POOL_SIZE,
            stride=POOL_STRIDE,
        ),
        (
            Grid(i18n.text("worksheet.input_label"), INPUT, given=True),
            Grid(max_label, found["max"].output[0]),
            Grid(avg_label, found["avg"].output[0]),
        ),
        tuple(working),
        operator="→",
    )


def _size_questions() -> tuple[SizeQuestion, ...]:
    found = []
    for kind, (h, w), (fh, fw), stride, pad in SIZE_QUESTIONS:
        window = window2d((h, w), (fh, fw), stride, pad)
        oh, ow = window.out_hw
        key = "worksheet.size_conv" if kind == "conv" else "worksheet.size_pool"
        question = i18n.text(key, h=h, w=w, fh=fh, fw=fw, stride=stride, pad=pad)
        found.append(SizeQuestion(question, f"{oh}x{ow}", tuple(size_lines(window))))
    n, c, h, w = IM2COL_BATCH_SHAPE
    fh, fw = IM2COL_FILTER
    rows, columns = im2col(np.zeros(IM2COL_BATCH_SHAPE), fh, fw).shape
    oh, ow = window2d((h, w), (fh, fw)).out_hw
    found.append(
        SizeQuestion(
            i18n.text("worksheet.size_im2col", n=n, c=c, h=h, w=w, fh=fh, fw=fw),
            f"({rows}, {columns})",
            (
                i18n.text("worksheet.im2col_rows", n=n, oh=oh, ow=ow, rows=rows),
                i18n.text("worksheet.im2col_columns", c=c, fh=fh, fw=fw, columns=columns),
            ),
        )
    )
    return tuple(found)


def build(lang: str | None = None) -> Worksheet:
    """The worksheet and its answers in ``lang`` (default: the language in effect)."""
    with i18n.use(lang):
        return Worksheet(
            lang=i18n.current(),
            title=i18n.text("worksheet.title"),
            key_title=i18n.text("worksheet.key_title"),
            source=i18n.text("worksheet.source"),
            name_line=i18n.text("worksheet.name_line"),
            key_note=i18n.text("worksheet.key_note"),
            fill_heading=i18n.text("worksheet.fill_heading"),
            fill_task=i18n.text("worksheet.fill_task"),
            fill_ins=_fill_ins(),
            exercises=(*_conv_exercises(), _pool_exercise()),
            size_heading=i18n.text("worksheet.size_heading"),
            size_task=i18n.text("worksheet.size_task"),
            sizes=_size_questions(),
            answer_label=i18n.text("worksheet.answer_label"),
            working_label=i18n.text("worksheet.working_label"),
            page_label=i18n.template("worksheet.page_label"),
        )


def worksheet_pdf(lang: str | None = None, *, font: str | None = None) -> tuple[bytes, bytes]:
    """The worksheet and its answer key as two A4 PDFs (bytes), in ``lang``.

    Needs reportlab (``pip install "tatamikomi[worksheet]"``; ImportError saying so without
    it). Japanese is set in a TrueType font found on this machine (embedded, so the PDF prints
    the same anywhere), else in reportlab's built-in CID font HeiseiKakuGo-W5, which the PDF
    reader supplies; ``font`` (a .ttf path, or ``"cid"``) chooses."""
    from ._pdf import render

    sheet = build(lang)
    return render(sheet, key=False, font=font), render(sheet, key=True, font=font)
