"""Material for the teacher: a printable worksheet of the lecture and its answer key.

- :mod:`.worksheet`: what the worksheet asks and what the answers are, as data. The sentences
  are the slides' own, with the terms the slides leave blank (全結合層, 形状, 無視, 空間情報,
  形状を維持する, 積和計算, 縦・横, ウィンドウ, スライド ...) taken out; their texts live in the
  catalogs (``worksheet.`` keys), so a language is a catalog. Every number of the answer key is
  computed by the library (:func:`tatamikomi.explain.explain_conv`, :func:`~tatamikomi.explain.
  explain_pool`, the output-size geometry, :func:`tatamikomi.lecture.im2col`), never typed.
- :mod:`._pdf`: the A4 layout with reportlab (the optional ``worksheet`` extra, imported only
  when a PDF is made, so the package imports without it).

``tatamikomi worksheet`` writes the two PDFs; in Python::

    from tatamikomi.lesson import worksheet_pdf
    student, key = worksheet_pdf("ja")     # the bytes of each PDF
"""

from .worksheet import Blank, FillIn, Grid, SizeQuestion, Worksheet, build, worksheet_pdf

__all__ = ["build", "worksheet_pdf", "Worksheet", "FillIn", "Blank", "Grid", "SizeQuestion"]
