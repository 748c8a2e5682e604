"""The worksheet on A4 paper, with reportlab: the same :class:`~.worksheet.Worksheet` laid out
with blanks (for the students) or with its answers (the key).

Japanese is set in a TrueType font found on this machine, embedded as a subset so that the PDF
looks the same on every printer; without one, in reportlab's built-in CID font
HeiseiKakuGo-W5, which needs no file here and which the PDF reader supplies. Either way the text
stays text: ``pdftotext`` gives back the sentences. A character the main font lacks (the floor
brackets of the output-size formula) is set in DejaVu Sans when that is installed, else written
with an ASCII stand-in.
"""

from __future__ import annotations

import importlib.util
import io
import os
from xml.sax.saxutils import escape

from .. import i18n
from ..explain import number

#: Where a Japanese TrueType font is commonly installed (Debian's fonts-ipaexfont and
#: fonts-takao, macOS, Windows); the one matplotlib-fontja brings is looked for first.
JAPANESE_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msgothic.ttc",
)
SYMBOL_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
CID_FONT = "HeiseiKakuGo-W5"
#: stand-ins for characters no font here has
ASCII = {"⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "→": "->", "−": "-"}

#: the page: A4 with 16 mm margins; grid cells in points
MARGIN_MM = 16
GIVEN_CELL, ANSWER_CELL = 17, 24


def _bundled_font():
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "fonts", "ipaexg.ttf")
    return path if os.path.isfile(path) else None


class _Fonts:
    """The fonts of one document: ``main`` for the text, ``mono`` for the arithmetic, and a
    way to set a character the main font lacks."""

    def __init__(self, lang: str, font: str | None):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfbase.ttfonts import TTFont

        self.mono = "Courier"
        self.symbol = None
        self.covers = _latin1
        if lang == "ja":
            self.main, self.covers = CID_FONT, _jis
            candidates = [] if font == "cid" else [font] if font else [
                _bundled_font(), *JAPANESE_FONTS
            ]
            for path in filter(None, candidates):
                if not os.path.isfile(path):
                    continue
                try:
                    registered = TTFont("TatamikomiJapanese", path, subfontIndex=0)
                except Exception:  # a font reportlab cannot embed (CFF outlines): try the next
                    continue
                pdfmetrics.registerFont(registered)
                self.main = "TatamikomiJapanese"
                self.covers = _in_font(registered)
                break
            else:
                pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
        else:
            self.main = "Helvetica"
        for path in SYMBOL_FONTS:
            if os.path.isfile(path):
                pdfmetrics.registerFont(TTFont("TatamikomiSymbols", path))
                self.symbol = "TatamikomiSymbols"
                break
        self.bold = "Helvetica-Bold" if self.main == "Helvetica" else self.main

    def markup(self, text: str, font: str | None = None) -> str:
        """``text`` as Paragraph markup for a paragraph in ``font`` (default: the main font):
        escaped, each character that font lacks set in the main font, else in the symbol font,
        else replaced by its ASCII stand-in."""
        font = font or self.main
        out = []
        for char in text:
            if self._covers(font, char):
                out.append(escape(char))
            elif self._covers(self.main, char):
                out.append(f'<font face="{self.main}">{escape(char)}</font>')
            elif self.symbol:
                out.append(f'<font face="{self.symbol}">{escape(char)}</font>')
            else:
                out.append(escape(ASCII.get(char, "?")))
        return "".join(out)

    def _covers(self, font: str, char: str) -> bool:
        return self.covers(char) if font == self.main else _latin1(char)


def _latin1(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _jis(char: str) -> bool:
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _in_font(font):
    table = font.face.charToGlyph
    return lambda char: ord(char) in table or char in "\n\t "


def render(sheet, *, key: bool, font: str | None = None) -> bytes:
    """One PDF of ``sheet``: the worksheet (``key=False``: blanks, empty grids, answer boxes)
    or the answer key (the same with every answer)."""
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate
    except ImportError:
        raise i18n.error(
            ImportError, "errors.common_installed_install_pip", module="reportlab",
            extra="worksheet",
        ) from None
    fonts = _Fonts(sheet.lang, font)
    layout = _Layout(sheet, fonts, key)
    buffer = io.BytesIO()
    title = sheet.key_title if key else sheet.title
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_MM * mm, rightMargin=MARGIN_MM * mm,
        topMargin=MARGIN_MM * mm, bottomMargin=MARGIN_MM * mm, title=title,
        author="tatamikomi", subject=sheet.source, lang=sheet.lang,
    )
    document.build(layout.story(), onFirstPage=layout.footer, onLaterPages=layout.footer)
    return buffer.getvalue()


class _Layout:
    """The flowables of one document, top to bottom."""

    def __init__(self, sheet, fonts: _Fonts, key: bool):
        from reportlab.lib.styles import ParagraphStyle

        self.sheet, self.fonts, self.key = sheet, fonts, key
        wrap = "CJK" if sheet.lang == "ja" else None
        base = dict(fontName=fonts.main, wordWrap=wrap)
        self.title = ParagraphStyle("title", fontSize=15, leading=20, spaceAfter=4, **{
            **base, "fontName": fonts.bold})
        self.small = ParagraphStyle("small", fontSize=8.5, leading=11, spaceAfter=3, **base)
        self.heading = ParagraphStyle(
            "heading", fontSize=12, leading=16, spaceBefore=9, spaceAfter=3,
            **{**base, "fontName": fonts.bold},
        )
        self.body = ParagraphStyle("body", fontSize=10, leading=14, spaceAfter=3, **base)
        self.sentence = ParagraphStyle(
            "sentence", fontSize=10, leading=19 if not key else 15, leftIndent=16,
            firstLineIndent=-16, spaceAfter=2, **base,
        )
        self.mono = ParagraphStyle("mono", fontName="Courier", fontSize=8, leading=10)
        self.answer = ParagraphStyle(
            "answer", fontSize=12, leading=15, alignment=1, textColor="#b00020", **base
        )
        self.label = ParagraphStyle("label", fontSize=9, leading=11, alignment=1, **base)

    def text(self, value: str, style) -> object:
        from reportlab.platypus import Paragraph

        return Paragraph(self.fonts.markup(value, style.fontName), style)

    def story(self) -> list:
        from reportlab.platypus import Spacer

        sheet = self.sheet
        found = [self.text(sheet.key_title if self.key else sheet.title, self.title)]
        found.append(self.text(sheet.source, self.small))
        found.append(self.text(sheet.key_note if self.key else sheet.name_line, self.body))
        found.append(Spacer(1, 4))
        found += self.fill_ins()
        for exercise in sheet.exercises:
            found += self.exercise(exercise)
        found += self.sizes()
        return found

    def fill_ins(self) -> list:
        from reportlab.platypus import Paragraph

        found = [self.text(self.sheet.fill_heading, self.heading)]
        found.append(self.text(self.sheet.fill_task, self.body))
        blank_font = self.fonts.main
        for index, fill_in in enumerate(self.sheet.fill_ins, 1):
            pieces = [f"{index}. "]
            for part in fill_in.parts:
                if isinstance(part, str):
                    pieces.append(self.fonts.markup(part))
                    continue
                label = f"({part.number})"
                if self.key:
                    pieces.append(
                        f'<font face="{blank_font}" color="#b00020"><u>{escape(label)} '
                        f"{self.fonts.markup(part.answer)}</u></font>"
                    )
                else:
                    # room to write in, sized to the answer: full-width low lines in Japanese
                    # (reportlab collapses ideographic spaces, and the CID font has no no-break
                    # space), underlined no-break spaces in English
                    if self.sheet.lang == "ja":
                        room = "\uff3f" * max(4, round(1.3 * len(part.answer)))
                        pieces.append(f"{escape(label)}{room}")
                    else:
                        room = "\u00a0" * max(10, 3 * len(part.answer))
                        pieces.append(f"<u>{escape(label)}{room}</u>")
            found.append(Paragraph("".join(pieces), self.sentence))
        return found

    def grid(self, grid):
        """One labelled grid: given values, or (on the worksheet) empty cells to fill in."""
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        show = grid.given or self.key
        size = GIVEN_CELL if grid.given else ANSWER_CELL
        rows = [[number(v) if show else "" for v in row] for row in grid.values]
        table = Table(rows, colWidths=size, rowHeights=size)
        colour = colors.black if grid.given else colors.HexColor("#b00020")
        table.setStyle(
            TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                ("FONTSIZE", (0, 0), (-1, -1), 9 if grid.given else 11),
                ("TEXTCOLOR", (0, 0), (-1, -1), colour),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ])
        )
        outer = Table([[self.text(grid.label, self.label)], [table]])
        outer.setStyle(TableStyle([
            ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ]))
        return outer

    def exercise(self, exercise) -> list:
        from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

        grids = [self.grid(g) for g in exercise.grids]
        arrow = self.text("→", self.label)
        cells = [grids[0]]
        for index, grid in enumerate(grids[1:], 1):
            between = exercise.operator if index == 1 else "→"
            cells += [self.text(between, self.label) if between != "→" else arrow, grid]
        row = Table([cells])
        row.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        found = [self.text(exercise.heading, self.heading), self.text(exercise.task, self.body)]
        found += [row, Spacer(1, 4)]
        if self.key:
            found.append(self.text(self.sheet.working_label, self.small))
            found += [self.text(line, self.mono) for line in exercise.working]
        return [KeepTogether(found)]

    def sizes(self) -> list:
        from reportlab.lib import colors
        from reportlab.platypus import KeepTogether, Table, TableStyle

        sheet = self.sheet
        width = 595.27 - 2 * MARGIN_MM * 72 / 25.4
        rows = []
        for index, question in enumerate(sheet.sizes, 1):
            asked = [self.text(question.question, self.body)]
            answer = ""
            if self.key:
                asked += [self.text(line, self.mono) for line in question.working]
                answer = self.text(question.answer, self.answer)
            rows.append([self.text(f"{index}", self.body), asked, answer])
        header = ["", "", self.text(sheet.answer_label, self.label)]
        answer_width = 90
        table = Table(
            [header, *rows], colWidths=(18, width - 18 - answer_width, answer_width),
            rowHeights=None if self.key else [14] + [36] * len(rows),
        )
        table.setStyle(TableStyle([
            ("GRID", (2, 1), (2, -1), 0.6, colors.black),
            ("LINEBELOW", (0, 1), (1, -1), 0.3, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        found = [self.text(sheet.size_heading, self.heading), self.text(sheet.size_task, self.body)]
        return [KeepTogether([*found, table])]

    def footer(self, canvas, document) -> None:
        from reportlab.lib.units import mm

        canvas.saveState()
        canvas.setFont(self.fonts.main, 8)
        title = self.sheet.key_title if self.key else self.sheet.title
        page = self.sheet.page_label.format(page=document.page)
        canvas.drawString(MARGIN_MM * mm, 9 * mm, title)
        canvas.drawRightString(595.27 - MARGIN_MM * mm, 9 * mm, page)
        canvas.restoreState()
