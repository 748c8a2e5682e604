"""Splitting element-wise work over the batch across threads.

NumPy runs an element-wise pass (a copy, a comparison, an addition) on one core, but it releases
the GIL while it does so. Large passes over a batch are therefore split into contiguous slices of
the batch axis, one per thread; each slice writes only its own part of a preallocated output, so
an element-wise result is identical to the single-threaded one (a matrix product of fewer rows
may be blocked differently by BLAS, and round differently).

Work that also multiplies matrices (``blas=True``) runs its products inside the threads with BLAS
limited to one thread each (see :mod:`._blas`), so that BLAS's own workers neither compete with
ours nor keep spinning afterwards; where BLAS threads cannot be limited, such work is not split.
A split inside a worker thread runs inline.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from . import _blas

# Below this many elements per thread the hand-off costs more than it saves.
MIN_ELEMENTS_PER_THREAD = 1 << 17

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_local = threading.local()


def _default_num_threads() -> int:
    configured = os.environ.get("TATAMIKOMI_NUM_THREADS", "")
    if configured.strip():
        try:
            value = int(configured)
        except ValueError:
            raise ValueError(
                f"TATAMIKOMI_NUM_THREADS must be a positive integer; got {configured!r}"
            ) from None
        if value < 1:
            raise ValueError(f"TATAMIKOMI_NUM_THREADS must be at least 1; got {value}")
        return value
    return max(1, min(os.cpu_count() or 1, 8))


_num_threads = _default_num_threads()


def get_num_threads() -> int:
    """The number of threads tatamikomi uses for element-wise passes over a batch."""
    return _num_threads


def set_num_threads(n: int) -> None:
    """Set the number of threads for element-wise passes (BLAS threads are not affected)."""
    global _num_threads, _executor
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"number of threads must be a positive int; got {n!r}")
    with _lock:
        _num_threads = n
        if _executor is not None:
            _executor.shutdown(wait=True)
            _executor = None


def _pool(workers: int) -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None or _executor._max_workers < workers:  # noqa: SLF001
            if _executor is not None:
                _executor.shutdown(wait=True)
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
    threads = min(_num_threads, batch, max(1, elements // MIN_ELEMENTS_PER_THREAD))
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
    with _blas.single_threaded() if blas else contextlib.nullcontext():
        futures = [_pool(threads - 1).submit(run, s) for s in slices[1:]]
        try:
            run(slices[0])
        finally:
            for future in futures:
                future.result()
