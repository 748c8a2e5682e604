"""What every explanation shares: rendering in a language, and reading one image."""

from __future__ import annotations

import numpy as np

from .. import i18n
from .._checks import as_array


class Explanation:
    """Shared rendering: ``text(lang)`` joins ``lines(lang)``, each in ``lang`` (default: the
    language in effect, :func:`tatamikomi.i18n.use`); ``str()`` is the English text."""

    def _lines(self) -> list[str]:  # pragma: no cover - each subclass has one
        raise NotImplementedError

    def lines(self, lang: str | None = None) -> list[str]:
        with i18n.use(lang):
            return self._lines()

    def text(self, lang: str | None = None) -> str:
        return "\n".join(self.lines(lang))

    def __str__(self) -> str:
        return self.text(i18n.SOURCE_LANGUAGE)


def as_image(x, name: str, default) -> np.ndarray:
    """(H, W), (C, H, W) or (1, C, H, W) -> (C, H, W), as float64 for exact arithmetic."""
    array = as_array(default if x is None else x, name)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise i18n.error(ValueError, "errors.base_one_image_h", name=name, array_shape=array.shape)
    if array.size == 0:
        raise i18n.error(ValueError, "errors.base_empty_shape", name=name, array_shape=array.shape)
    return array.astype(np.float64)
