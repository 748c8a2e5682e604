"""Runtime settings: threads, memory budget and the convolution's chunk size, in one place.

Three settings change how fast tatamikomi runs and how much memory it takes, never what it
computes:

``threads``
    How many threads split a large element-wise pass or matrix product over the batch (see
    :mod:`tatamikomi._parallel`). Default: the number of cores, at most 8;
    ``TATAMIKOMI_NUM_THREADS`` changes it.
``memory_mb``
    The working-memory budget, in megabytes (default 64; ``TATAMIKOMI_MEMORY_MB``). It bounds
    exactly two things: ``predict`` (and ``accuracy``) run a large batch in slices so that no
    layer's output for one slice exceeds the budget, and a convolution unrolls its windows
    (im2col) in chunks of at most ``min(chunk_mb, memory_mb / threads)`` per thread, so that
    all threads together hold at most ``memory_mb`` of unrolled windows; windows are kept from
    forward to backward only when the whole batch's fit in ``min(16 MB, memory_mb)``. It does
    not bound the layer outputs of a training batch, the caches a backward pass needs, or the
    input itself.
``chunk_mb``
    How many megabytes of unrolled windows a convolution multiplies at once, per thread
    (default 8: small enough to stay near the caches, large enough that NumPy's fixed cost per
    call does not dominate; see docs/performance.md). The memory budget may make it smaller.

Change them for a block, for the calling thread only::

    with tatamikomi.config(threads=1, memory_mb=32):
        model.predict(x)

or process-wide, for every thread that has no block of its own, with :func:`set_num_threads`
and :func:`set_memory_budget`. :func:`get_config` reads the settings in effect.

Why :mod:`contextvars` and not :class:`threading.local`: a context variable is per thread too
(a new thread starts from the process-wide defaults, not from the block of the thread that
started it), and it is also per asyncio task, so that two requests served concurrently by
one event loop (the browser studio) cannot see each other's block. tatamikomi's own worker
threads run each slice in a copy of the caller's context, so the caller's block holds there.

The engine reads the settings through :func:`threads`, :func:`memory_budget`,
:func:`chunk_bytes` and :func:`rows_within_budget`. Note: ``tatamikomi.config`` is the class
(``import tatamikomi.config as c`` gives it too); the module is
``sys.modules["tatamikomi.config"]``, and ``from tatamikomi.config import ...`` imports from it
as usual.

An environment variable that does not parse raises a ValueError naming the variable and the
fix when the setting is first used (not at import: ``tatamikomi --help`` always works).

BLAS's own threads are another matter: tatamikomi limits them (to one, while its own threads
multiply matrices) through threadpoolctl, and that limit is process-wide; see
:mod:`tatamikomi._blas`.
"""

from __future__ import annotations

import contextvars
import os
import threading
from dataclasses import dataclass

from . import i18n

__all__ = [
    "config",
    "get_config",
    "Settings",
    "get_num_threads",
    "set_num_threads",
    "get_memory_budget",
    "set_memory_budget",
]

_MB = 1 << 20
DEFAULT_MEMORY_BYTES = 64 * _MB
DEFAULT_CHUNK_BYTES = 8 * _MB
MAX_DEFAULT_THREADS = 8


@dataclass(frozen=True)
class Settings:
    """The settings in effect: ``threads`` (int), ``memory_mb`` and ``chunk_mb`` (megabytes)."""

    threads: int
    memory_mb: float
    chunk_mb: float


# Values are kept as ints: threads, and bytes for the two sizes.
_NAMES = {"threads": "threads", "memory_mb": "memory_bytes", "chunk_mb": "chunk_bytes"}
_process: dict[str, int] = {}  # explicit process-wide values and parsed environment values
_process_lock = threading.Lock()
_scoped: contextvars.ContextVar[dict[str, int]] = contextvars.ContextVar(
    "tatamikomi_config", default={}
)


def _environment_error(variable: str, text: str, expected: str) -> ValueError:
    """``expected`` names a text of i18n's ``errors`` area (``env_threads``)."""
    expected = i18n.Said(expected)
    return i18n.error(
        ValueError, "errors.environment", variable=variable, text=text, expected=expected
    )


def _threads_from_environment() -> int:
    text = os.environ.get("TATAMIKOMI_NUM_THREADS", "").strip()
    if not text:
        return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_THREADS))
    expected = "errors.env_threads"
    try:
        value = int(text)
    except ValueError:
        raise _environment_error("TATAMIKOMI_NUM_THREADS", text, expected) from None
    if value < 1:
        raise _environment_error("TATAMIKOMI_NUM_THREADS", text, expected)
    return value


def _memory_from_environment() -> int:
    text = os.environ.get("TATAMIKOMI_MEMORY_MB", "").strip()
    if not text:
        return DEFAULT_MEMORY_BYTES
    expected = "errors.env_memory"
    try:
        megabytes = float(text)
    except ValueError:
        raise _environment_error("TATAMIKOMI_MEMORY_MB", text, expected) from None
    if not megabytes >= 1 or megabytes == float("inf"):
        raise _environment_error("TATAMIKOMI_MEMORY_MB", text, expected)
    return int(megabytes * _MB)


_FROM_ENVIRONMENT = {
    "threads": _threads_from_environment,
    "memory_bytes": _memory_from_environment,
    "chunk_bytes": lambda: DEFAULT_CHUNK_BYTES,
}


def _value(key: str) -> int:
    """The value in effect for the caller: its innermost block, else the process-wide one."""
    scoped = _scoped.get()
    if key in scoped:
        return scoped[key]
    value = _process.get(key)
    if value is None:
        value = _FROM_ENVIRONMENT[key]()  # raises while the variable is wrong, every time
        with _process_lock:
            value = _process.setdefault(key, value)
    return value


def threads() -> int:
    """The number of threads in effect (see the module's docstring)."""
    return _value("threads")


def memory_budget() -> int:
    """The memory budget in effect, in bytes."""
    return _value("memory_bytes")


def chunk_bytes() -> int:
    """The ``chunk_mb`` setting in effect, in bytes (before the memory budget is applied)."""
    return _value("chunk_bytes")


def _check_threads(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise i18n.error(ValueError, "errors.config_threads_positive_int", n=n)
    return n


def _check_megabytes(value, name: str, minimum: float) -> int:
    """Megabytes (at least ``minimum``, or more than 0 when it is 0) as bytes."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not (value >= minimum if minimum else value > 0) or value == float("inf"):
        least = f"at least {minimum}" if minimum else "more than 0"
        raise i18n.error(
            ValueError, "errors.config_finite_number_megabytes", name=name, least=least,
            value=value,
        )
    return max(1, int(value * _MB))


class config:
    """Settings for a block, in the calling thread (or asyncio task) only::

        with tatamikomi.config(threads=1, memory_mb=32, chunk_mb=2):
            ...

    Settings left out (None) keep their current value. On exit the previous values return,
    also when the block raises; blocks nest. The arguments are checked at once (a ValueError
    before the block runs). Outside a ``with`` statement it changes nothing: for process-wide
    values use :func:`set_num_threads` and :func:`set_memory_budget`.

    ``threads``: a positive int. ``memory_mb``: at least 1 (megabytes). ``chunk_mb``: more
    than 0 (megabytes of unrolled windows per thread; a chunk holds at least one image).
    """

    def __init__(
        self,
        threads: int | None = None,
        memory_mb: float | None = None,
        chunk_mb: float | None = None,
    ):
        changes = {}
        if threads is not None:
            changes["threads"] = _check_threads(threads)
        if memory_mb is not None:
            changes["memory_bytes"] = _check_megabytes(memory_mb, "memory_mb", 1)
        if chunk_mb is not None:
            changes["chunk_bytes"] = _check_megabytes(chunk_mb, "chunk_mb", 0)
        self._changes = changes
        self._tokens: list[contextvars.Token] = []

    def __enter__(self) -> "config":
        self._tokens.append(_scoped.set({**_scoped.get(), **self._changes}))
        return self

    def __exit__(self, *exc) -> bool:
        _scoped.reset(self._tokens.pop())
        return False

    def __repr__(self) -> str:
        inverse = {key: name for name, key in _NAMES.items()}
        shown = {
            inverse[key]: value if key == "threads" else value / _MB
            for key, value in self._changes.items()
        }
        return "config(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def get_config() -> Settings:
    """The settings in effect for the caller (its innermost ``with config(...)`` block, else the
    process-wide values)."""
    return Settings(
        threads=threads(),
        memory_mb=memory_budget() / _MB,
        chunk_mb=chunk_bytes() / _MB,
    )


def get_num_threads() -> int:
    """The number of threads tatamikomi splits work over, as in effect for the caller: the
    innermost ``with config(threads=...)`` block of this thread, else the process-wide default
    (:func:`set_num_threads`, ``TATAMIKOMI_NUM_THREADS``, or the cores, at most 8)."""
    return threads()


def set_num_threads(n: int) -> None:
    """Set the process-wide default number of threads, for every thread outside a
    ``with config(threads=...)`` block. Work already running is not disturbed. BLAS's own
    threads are not affected (see :mod:`tatamikomi._blas`)."""
    value = _check_threads(n)
    with _process_lock:
        _process["threads"] = value


def get_memory_budget() -> int:
    """The working-memory budget in bytes, as in effect for the caller: the innermost
    ``with config(memory_mb=...)`` block, else the process-wide default. What it bounds: see
    :mod:`tatamikomi.config`."""
    return memory_budget()


def set_memory_budget(nbytes: int) -> None:
    """Set the process-wide default memory budget in bytes (at least 1 MB), for every thread
    outside a ``with config(memory_mb=...)`` block. What it bounds: see
    :mod:`tatamikomi.config`."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < _MB:
        raise i18n.error(ValueError, "errors.config_memory_budget_number", nbytes=nbytes)
    with _process_lock:
        _process["memory_bytes"] = nbytes


def rows_within_budget(bytes_per_row: int) -> int:
    """How many rows (images) of ``bytes_per_row`` fit the memory budget (at least one)."""
    return max(1, memory_budget() // max(1, bytes_per_row))


def run_in_context(function):
    """``function`` wrapped to run in a copy of the calling thread's settings, for handing work
    to another thread (each call takes its own copy: a context runs in one thread at a time)."""
    context = contextvars.copy_context()
    return lambda *args: context.run(function, *args)
