"""How the studio refuses a request: :class:`RequestError`, whose message is a catalog text
(:func:`refused`) said in the request's language, and the small helpers its messages use."""

from __future__ import annotations

import json

import numpy as np

from .. import i18n


class RequestError(ValueError):
    """A request that cannot be served; the message says what is wrong and how to fix it (the
    server answers it with status 400, or ``status`` when given)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def refused(key: str, status: int = 400, /, **values) -> RequestError:
    """A :class:`RequestError` whose message is the catalogs' text ``key`` (in English; the
    server says it in the request's language)."""
    error = i18n.error(RequestError, key, **values)
    error.status = status
    return error


def image_refused(error: Exception, status: int, *, unwrap: bool = False) -> RequestError:
    """An image the library refused (:class:`~tatamikomi.images.ImageError`), as a
    :class:`RequestError` with ``status`` (400: a file that cannot be read as one; 422: an image
    with no digit to prepare) said in the request's language. ``unwrap``: an upload's error
    loses its "in that file" wrapper (the file is no name the user gave)."""
    said = getattr(error, "said", None)
    if unwrap and said is not None and said.key == "errors.in_file":
        error = said.values["error"]
    refusal = i18n.recast(RequestError, error)
    refusal.status = status
    return refusal


#: what a message says where nothing was given
NOTHING = i18n.Said("errors.studio_nothing")


def shown(value) -> str:
    """A request's value as JSON would write it, cut short (for a message)."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."


def is_whole(value) -> bool:
    """Whether ``value`` is a whole number (an int, not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
