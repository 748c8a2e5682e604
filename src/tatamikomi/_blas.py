"""Limiting the threads of the BLAS library under NumPy, through threadpoolctl.

Why: after a multi-threaded matrix product, OpenBLAS's worker threads keep spinning for a while
(its THREAD_TIMEOUT) and occupy the other cores. Element-wise passes that tatamikomi splits over
the batch would then compete with them. So where work is split over the batch, each thread
runs its own matrix products with BLAS limited to one thread, and BLAS's workers stay asleep;
small products that are not split run on one BLAS thread too.

The limit is **process-wide**: BLAS has one thread count per process, so while any thread is
inside :class:`single_threaded`, BLAS products of every thread (NumPy's, and any other library's
that threadpoolctl finds, e.g. PyTorch's) run on one thread. The count is restored when the
last such block, in any thread, has exited. Where threadpoolctl finds no BLAS whose threads it
can set, :func:`available` is False and callers leave BLAS alone.

A ``ThreadpoolController`` is made once (it inspects the loaded libraries, about 2 ms) and its
``limit()`` is entered once per outermost block (about 15 us, against about 550 us for
``threadpool_limits``, which inspects the libraries again on every call).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_controller = None  # threadpoolctl's controller of the BLAS libraries, once made
_searched = False


def _blas_controller():
    global _controller, _searched
    if not _searched:
        with _lock:
            if not _searched:
                import numpy  # noqa: F401  (loads NumPy's BLAS, so that threadpoolctl sees it)
                from threadpoolctl import ThreadpoolController

                blas = ThreadpoolController().select(user_api="blas")
                _controller = blas if blas.lib_controllers else None
                _searched = True
    return _controller


def available() -> bool:
    """Whether BLAS threads can be limited in this process."""
    return _blas_controller() is not None


_users = 0  # blocks inside single_threaded, across all threads
_limiter = None  # threadpoolctl's limit while _users > 0


class single_threaded:
    """Context manager: BLAS runs on one thread inside, and as before once the last such block
    (in any thread) has exited. BLAS calls of other threads meanwhile run on one thread too
    (the limit is process-wide)."""

    def __enter__(self):
        global _users, _limiter
        controller = _blas_controller()
        if controller is not None:
            with _lock:
                if _users == 0:
                    _limiter = controller.limit(limits=1)
                _users += 1
        return self

    def __exit__(self, *exc):
        global _users, _limiter
        if _blas_controller() is not None:
            with _lock:
                _users -= 1
                if _users == 0:
                    _limiter.restore_original_limits()
                    _limiter = None
        return False
