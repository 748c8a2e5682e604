"""The number of threads of the BLAS library that NumPy uses (OpenBLAS), where it can be set.

Why: after a multi-threaded matrix product, OpenBLAS's worker threads keep spinning for a while
(its THREAD_TIMEOUT) and occupy the other cores. Element-wise passes that tatamikomi splits over
the batch would then compete with them. So where work is split over the batch, each thread
runs its own matrix products with BLAS limited to one thread, and OpenBLAS's workers stay
asleep. NumPy has no public call for this; OpenBLAS exports one, found here the way
threadpoolctl finds it. Where no OpenBLAS is found (MKL, Accelerate, another OS),
:func:`available` is False and callers leave BLAS alone.
"""

from __future__ import annotations

import ctypes
import threading

_lock = threading.Lock()
_functions: tuple | None = None
_searched = False

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "_64", "")


def _loaded_openblas_paths() -> list[str]:
    try:
        with open("/proc/self/maps") as maps:
            paths = {
                line.split(maxsplit=5)[-1].strip() for line in maps if "openblas" in line.lower()
            }
    except OSError:
        return []
    return sorted(p for p in paths if ".so" in p)


def _find() -> tuple | None:
    import numpy  # noqa: F401  (loads NumPy's BLAS, so that it is in the process maps)

    for path in _loaded_openblas_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, set_.argtypes = ctypes.c_int, [ctypes.c_int]
                    return get, set_
    return None


def _get_functions() -> tuple | None:
    global _functions, _searched
    if not _searched:
        with _lock:
            if not _searched:
                _functions = _find()
                _searched = True
    return _functions


def available() -> bool:
    """Whether BLAS threads can be limited in this process."""
    return _get_functions() is not None


_users = 0  # contexts inside single_threaded, across all threads
_saved: int | None = None


class single_threaded:
    """Context manager: BLAS runs on one thread inside, and as before once the last such context
    (in any thread) has exited. BLAS calls of other threads meanwhile run on one thread too."""

    def __enter__(self):
        global _users, _saved
        functions = _get_functions()
        if functions is not None:
            with _lock:
                if _users == 0:
                    _saved = functions[0]()
                    if _saved != 1:
                        functions[1](1)
                _users += 1
        return self

    def __exit__(self, *exc):
        global _users
        functions = _get_functions()
        if functions is not None:
            with _lock:
                _users -= 1
                if _users == 0 and _saved is not None and _saved != 1:
                    functions[1](_saved)
        return False
