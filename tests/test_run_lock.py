"""RunLock (issue 20, finding 9): taking over a lock left by a dead process lets exactly one
process in, however many are released on it at once; a live holder is refused with its pid."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from tatamikomi._files import FileLockedError, RunLock

WORKERS = 8
ROUNDS = 25


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, timeout=60,
    )
    return int(child.stdout)  # reaped: no such process any more


def _worker(path, dead, start, end, inside, peak, holders, refused):
    for _ in range(ROUNDS):
        if start.wait(timeout=60) == 0:  # one of us lays a fresh stale lock for the round
            with open(path + ".lock", "w") as f:
                f.write(f"{dead}\n")
        start.wait(timeout=60)  # ... and all start together on it
        lock = RunLock(path)
        try:
            lock.acquire()
        except FileLockedError:
            with refused.get_lock():
                refused.value += 1
        else:
            with inside.get_lock():
                inside.value += 1
                peak.value = max(peak.value, inside.value)
                holders.value += 1
            time.sleep(0.02)  # hold it a moment, so an overlap would be seen
            with inside.get_lock():
                inside.value -= 1
            lock.release()
        end.wait(timeout=60)


def test_a_stale_lock_is_taken_over_by_one_process_at_a_time(tmp_path):
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    path = str(tmp_path / "run.npz")
    start, end = context.Barrier(WORKERS), context.Barrier(WORKERS)
    inside, peak = context.Value("i", 0), context.Value("i", 0)
    holders, refused = context.Value("i", 0), context.Value("i", 0)
    dead = _dead_pid()
    workers = [
        context.Process(
            target=_worker, args=(path, dead, start, end, inside, peak, holders, refused)
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    for worker in workers:
        if worker.is_alive():
            worker.kill()
    assert [w.exitcode for w in workers] == [0] * WORKERS
    assert peak.value == 1, f"{peak.value} processes held the lock at once"
    assert holders.value >= ROUNDS  # every round someone took the stale lock over
    assert holders.value + refused.value == WORKERS * ROUNDS
    assert not os.path.exists(path + ".lock")  # the last holder removed it


def test_a_live_holder_is_refused_with_its_pid_and_the_lock_is_free_after(tmp_path):
    path = tmp_path / "run.npz"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[1]);"
         "from tatamikomi._files import RunLock\n"
         "with RunLock(sys.argv[2]):\n"
         "    print('held', flush=True); sys.stdin.readline()",
         os.path.join(os.path.dirname(__file__), "..", "src"), str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for look in (RunLock(path).check, RunLock(path).acquire):
            with pytest.raises(FileLockedError, match=rf"another process \(pid {holder.pid};"):
                look()
    finally:
        holder.communicate("\n", timeout=60)
    assert not os.path.exists(str(path) + ".lock")
    with RunLock(path):  # free again
        assert open(str(path) + ".lock").read() == f"{os.getpid()}\n"


def test_a_killed_holder_leaves_a_lock_that_is_taken_over(tmp_path):
    path = tmp_path / "run.npz"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[1]);"
         "from tatamikomi._files import RunLock\n"
         "lock = RunLock(sys.argv[2]); lock.acquire(); print('held', flush=True); time.sleep(60)",
         os.path.join(os.path.dirname(__file__), "..", "src"), str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait(timeout=60)
    assert os.path.exists(str(path) + ".lock")  # left behind, naming a dead process
    RunLock(path).check()
    with RunLock(path):
        with pytest.raises(FileLockedError):  # a second holder in this same process
            RunLock(path).acquire()
