"""Limiting the threads of the BLAS library under NumPy, through threadpoolctl.

Why: after a multi-threaded matrix product, OpenBLAS's worker threads keep spinning for a while
(its THREAD_TIMEOUT) and occupy the other cores. Element-wise passes that tatamikomi splits over
the batch would then compete with them. So where work is split over the batch, each thread
runs its own matrix products with BLAS limited to one thread, and BLAS's workers stay asleep;
small products that are not split run on one BLAS thread too.

The limit is **process-wide**: BLAS has one thread count per process, so while any thread is
inside :class:`single_threaded`, BLAS products of every thread (NumPy's, and any other library's
that threadpoolctl found when first asked, e.g. PyTorch's) run on one thread. The count is
restored when the last such block, in any thread, has exited. A ``threadpool_limits`` of the
caller's own that is active meanwhile is overridden for that time, and what it set is restored.
Where threadpoolctl finds no BLAS whose threads it can set, :func:`available` is False and
callers leave BLAS alone.

A ``ThreadpoolController`` is made once (it inspects the loaded libraries, a few ms), and the
outermost block reads and sets the thread count through its library controllers
(``get_num_threads``/``set_num_threads``). Measured with timeit on a 2-core Linux machine with
OpenBLAS, entering and leaving a block costs about 11 us (the direct ctypes calls used before:
4 us; the controller's ``limit()``, which also collects every library's version: 20 us;
``threadpool_limits``, which inspects the loaded libraries again: 1 ms). Small products enter
it on every call, so the difference shows.
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
_saved: list[int] = []  # each library's thread count before the outermost block


class single_threaded:
    """Context manager: BLAS runs on one thread inside, and as before once the last such block
    (in any thread) has exited. BLAS calls of other threads meanwhile run on one thread too
    (the limit is process-wide)."""

    def __enter__(self):
        global _users
        controller = _blas_controller()
        if controller is not None:
            with _lock:
                if _users == 0:
                    _saved[:] = [lib.get_num_threads() for lib in controller.lib_controllers]
                    for lib, threads in zip(controller.lib_controllers, _saved):
                        if threads != 1:
                            _set_num_threads(lib, 1)
                _users += 1
        return self

    def __exit__(self, *exc):
        global _users
        controller = _blas_controller()
        if controller is not None:
            with _lock:
                _users -= 1
                if _users == 0:
                    for lib, threads in zip(controller.lib_controllers, _saved):
                        if threads != 1:
                            _set_num_threads(lib, threads)
        return False


def _set_num_threads(lib, threads: int) -> None:
    """Set one library's thread count from whichever thread calls (holding ``_lock``).

    threadpoolctl 3.6 and later let only one Python thread, the first to set OpenBLAS's
    (pthreads) count, change it, and silently ignore the others, so that threads do not fight
    over it. Ours do not fight (``_lock`` and the count of blocks), but the thread that restores
    the count is often not the one that lowered it: it takes control first."""
    clear = getattr(type(lib), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)
    lib.set_num_threads(threads)


def cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo, else platform.processor()), to print with
    timings."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_kernel() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernel and threads (read only;
    nothing is changed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "-"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return (
        "; ".join(
            f"{i['internal_api']} {i.get('version')} kernel={i.get('architecture')} "
            f"threads={i['num_threads']}"
            for i in blas
        )
        or "-"
    )
