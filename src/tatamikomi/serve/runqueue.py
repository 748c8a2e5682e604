"""A classroom's training runs, in the order they were asked for, at most ``concurrency`` at a
time (:class:`RunQueue`).

Why a queue: on a laptop's few cores, forty students' runs at once would each crawl, and the
drawing, prediction and layer requests of the room would wait behind them. A queued run is a
:class:`~tatamikomi.serve.training.TrainingRun` in the state ``"queued"`` whose thread has not
started; :meth:`RunQueue.position` is its place (1: next). A run the instructor starts goes
to the front. Stopping a waiting run takes it out of the queue.
"""

from __future__ import annotations

import threading


class RunQueue:
    """FIFO of waiting runs, started when one of ``concurrency`` slots is free. ``on_change()``
    is called (outside the lock) whenever a run starts, ends or leaves the queue."""

    def __init__(self, concurrency: int = 1, on_change=None):
        self.concurrency = max(1, int(concurrency))
        self.on_change = on_change
        self._waiting: list = []
        self._running: list = []
        self._guard = threading.Lock()

    def submit(self, run, *, first: bool = False):
        """Queue ``run`` (a TrainingRun, not started; its ``on_done`` must call :meth:`done`),
        at the end or, with ``first``, at the front; it starts at once when a slot is free."""
        run.wait_in_queue()
        with self._guard:
            self._waiting.insert(0 if first else len(self._waiting), run)
        self._dispatch()

    def set_concurrency(self, concurrency: int) -> None:
        self.concurrency = max(1, int(concurrency))
        self._dispatch()

    def position(self, run) -> int:
        """1 for the next run to start, 2 after it...; 0 for a run not waiting."""
        with self._guard:
            return self._waiting.index(run) + 1 if run in self._waiting else 0

    def cancel(self, run) -> bool:
        """Take a waiting ``run`` out of the queue (True), or False if it is not waiting."""
        with self._guard:
            if run not in self._waiting:
                return False
            self._waiting.remove(run)
        self._changed()
        return True

    def done(self, run) -> None:
        """``run``'s thread ended: its slot is free for the next one."""
        with self._guard:
            if run in self._running:
                self._running.remove(run)
        self._dispatch()

    @property
    def waiting(self) -> list:
        with self._guard:
            return list(self._waiting)

    @property
    def running(self) -> list:
        with self._guard:
            return list(self._running)

    def _dispatch(self) -> None:
        started = []
        with self._guard:
            while self._waiting and len(self._running) < self.concurrency:
                run = self._waiting.pop(0)
                if run.state != "queued":  # stopped while it waited
                    continue
                self._running.append(run)
                started.append(run)
        for run in started:
            run.start()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
