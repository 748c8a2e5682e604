"""The working-memory budget: how large the arrays of one step of inference may grow.

``predict`` splits a large batch so that no layer's output for one slice exceeds the budget,
and a convolution unrolls its windows (im2col) a few images at a time, never more than the
budget at once. Default 64 MB; ``TATAMIKOMI_MEMORY_MB`` or :func:`set_memory_budget` change it.
"""

from __future__ import annotations

import os

DEFAULT_BYTES = 64 << 20


def _from_environment() -> int:
    text = os.environ.get("TATAMIKOMI_MEMORY_MB", "").strip()
    if not text:
        return DEFAULT_BYTES
    try:
        megabytes = float(text)
    except ValueError:
        raise ValueError(
            f"TATAMIKOMI_MEMORY_MB must be a number of megabytes; got {text!r}"
        ) from None
    if megabytes <= 0:
        raise ValueError(f"TATAMIKOMI_MEMORY_MB must be positive; got {text!r}")
    return int(megabytes * (1 << 20))


_budget = _from_environment()


def get_memory_budget() -> int:
    """The working-memory budget in bytes."""
    return _budget


def set_memory_budget(nbytes: int) -> None:
    """Set the working-memory budget in bytes (at least 1 MB)."""
    global _budget
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < (1 << 20):
        raise ValueError(f"the memory budget is a number of bytes of at least 1 MB; got {nbytes!r}")
    _budget = nbytes


def rows_within_budget(bytes_per_row: int) -> int:
    """How many rows (images) of ``bytes_per_row`` fit the budget (at least one)."""
    return max(1, _budget // max(1, bytes_per_row))
