"""matplotlib for the pictures: imported on demand, a Japanese font found, figures saved safely.

Figures are made with :class:`matplotlib.figure.Figure` directly, never with pyplot, so nothing
global changes (no backend switch, no rcParams left behind) and they display in Jupyter and
Colab as they are.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os

from .. import i18n

#: Japanese fonts looked for among those installed, best first
JAPANESE_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "Source Han Sans JP",
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Yu Gothic",
    "Meiryo",
    "MS Gothic",
    "TakaoGothic",
    "VL Gothic",
)


class FontNotFoundError(RuntimeError):
    """No font that can draw Japanese is installed."""


def matplotlib():
    """The matplotlib module, or an ImportError that says how to install it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise i18n.error(ImportError, "errors.viz_install_hint") from None
    return matplotlib


_FIGURE_CLASS = None


def new_figure(**options):
    """A Figure that belongs to no pyplot state. It shows itself as a PNG in Jupyter and Colab
    (``_repr_png_``), since without pyplot no display hook knows it."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:

        class Figure(matplotlib().figure.Figure):
            def _repr_png_(self):
                return figure_bytes(self)

        _FIGURE_CLASS = Figure
    return _FIGURE_CLASS(**options)


def _bundled_japanese_font() -> str | None:
    """The IPAex Gothic file of the matplotlib-fontja package, found without importing it (its
    import would switch every figure of the process to that font)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "fonts", "ipaexg.ttf")
        if os.path.isfile(path):
            return path
    return None


def japanese_font() -> str:
    """The family name of an installed font that draws Japanese.

    Looks for the fonts in :data:`JAPANESE_FONTS`, then for the one the ``viz`` extra brings
    (matplotlib-fontja); raises :class:`FontNotFoundError` with what to install."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in JAPANESE_FONTS:
        if name in installed:
            return name
    path = _bundled_japanese_font()
    if path is not None:
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    raise i18n.error(FontNotFoundError, "errors.no_cjk_font")


def needs_cjk_font(lang: str | None = None) -> bool:
    """Whether ``lang``'s texts are written in Chinese characters or kana (its catalog's own
    name is: 日本語), which matplotlib's DejaVu Sans cannot draw."""
    name = i18n.text("language.name", lang=lang)
    return any("\u2e80" <= character <= "\u9fff" for character in name)


@contextlib.contextmanager
def style(lang: str | None = None):
    """rcParams for the pictures while a figure is built and saved, and ``lang`` (default: the
    language in effect) for its words; text in Chinese characters or kana in a font that has
    them (Latin text falls back to DejaVu Sans)."""
    mpl = matplotlib()
    settings = {"figure.dpi": 100, "savefig.dpi": 100, "axes.titlesize": "medium"}
    with i18n.use(lang):
        if needs_cjk_font():
            settings["font.family"] = [japanese_font(), "DejaVu Sans"]
        with mpl.rc_context(settings):
            yield


def figure_bytes(fig, fmt: str = "png", dpi=None) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig, path, *, overwrite: bool = False, dpi=None) -> str:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by the extension) atomically; an existing file
    is kept unless ``overwrite``."""
    from .._files import atomic_write

    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf"):
        raise i18n.error(ValueError, "errors.backend_figure_saved_png", path=path)
    data = figure_bytes(fig, fmt, dpi)
    with atomic_write(path, overwrite=overwrite, hint="Pass overwrite=True (--force).") as f:
        f.write(data)
    return path
