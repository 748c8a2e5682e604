"""Splitting element-wise work over the batch across threads.

NumPy runs an element-wise pass (a copy, a comparison, an addition) on one core, but it releases
the GIL while it does so. Large passes over a batch are therefore split into contiguous slices of
the batch axis, one per thread; each slice writes only its own part of a preallocated output, so
an element-wise result is identical to the single-threaded one (a matrix product of fewer rows
may be blocked differently by BLAS, and round differently).

Work that also multiplies matrices (``blas=True``) runs its products inside the threads with BLAS
limited to one thread each (see :mod:`._blas`), so that BLAS's own workers neither compete with
ours nor keep spinning afterwards; where BLAS threads cannot be limited, such work is not split.
A split inside a worker thread runs inline. The number of threads is the ``threads`` setting in
effect for the caller (:mod:`tatamikomi.config`); each slice runs in a copy of the caller's
settings.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from . import _blas
from .config import run_in_context, threads as configured_threads

# Below this many elements per thread the hand-off costs more than it saves.
MIN_ELEMENTS_PER_THREAD = 1 << 17

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_local = threading.local()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of at least ``workers`` threads. A larger one replaces it without shutting it
    down: another thread may still be handing work to it (its idle threads end once nobody
    refers to it). ThreadPoolExecutor starts its threads only as work arrives."""
    global _executor
    with _lock:
        if _executor is None or _executor._max_workers < workers:  # noqa: SLF001
            _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tatamikomi")
        return _executor


#: working arrays larger than this are not kept between calls
SCRATCH_KEEP_BYTES = 64 << 20


def scratch(key: str, shape, dtype) -> np.ndarray:
    """A working array for the calling thread, reused from call to call.

    Fresh memory of a few megabytes costs the kernel's page faults and zeroing on every
    allocation, about as much as filling it; a kept buffer is already mapped and often still in
    cache. Its content is undefined, and it is valid only until this thread asks for ``key``
    again, so it must never be returned to a caller."""
    dtype = np.dtype(dtype)
    size = 1
    for extent in shape:
        size *= int(extent)
    if size * dtype.itemsize > SCRATCH_KEEP_BYTES:
        return np.empty(shape, dtype)
    store = getattr(_local, "scratch", None)
    if store is None:
        store = _local.scratch = {}
    buffer = store.get((key, dtype))
    if buffer is None or buffer.size < size:
        buffer = store[(key, dtype)] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


def chunks(batch: slice, per_chunk: int):
    """Split a slice into consecutive slices of at most ``per_chunk`` items."""
    for start in range(batch.start, batch.stop, max(1, per_chunk)):
        yield slice(start, min(start + max(1, per_chunk), batch.stop))


def _in_worker(work: Callable[[slice], None]) -> Callable[[slice], None]:
    def run(part: slice) -> None:
        _local.inside = True
        try:
            work(part)
        finally:
            _local.inside = False

    return run


def over_batch(
    work: Callable[[slice], None], batch: int, elements: int, *, blas: bool = False
) -> None:
    """Call ``work(batch_slice)`` on contiguous slices covering ``range(batch)``.

    ``elements`` is the size of the pass (number of array elements touched); small passes run in
    the calling thread. ``work`` must write only to the part of its outputs that its slice owns.
    ``blas``: the work multiplies matrices (see the module's docstring).
    """
    threads = min(configured_threads(), batch, max(1, elements // MIN_ELEMENTS_PER_THREAD))
    if threads <= 1 or getattr(_local, "inside", False) or (blas and not _blas.available()):
        # A small product runs on one BLAS thread too: else OpenBLAS's workers would wake up
        # for it and then spin, slowing the next split work (DeepConvNet's step by 12 %).
        small = blas and elements < 2 * MIN_ELEMENTS_PER_THREAD
        with _blas.single_threaded() if small else contextlib.nullcontext():
            work(slice(0, batch))
        return
    step, extra = divmod(batch, threads)
    bounds = [0]
    for i in range(threads):
        bounds.append(bounds[-1] + step + (1 if i < extra else 0))
    slices = [slice(bounds[i], bounds[i + 1]) for i in range(threads)]
    run = _in_worker(work)
    pool = _pool(threads - 1)
    with _blas.single_threaded() if blas else contextlib.nullcontext():
        futures = [pool.submit(run_in_context(run), s) for s in slices[1:]]
        try:
            run(slices[0])
        finally:
            for future in futures:
                future.result()
