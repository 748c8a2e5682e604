"""A classroom's training run in a child process (tatamikomi.serve.run_process): the same events
and steering as a run in a thread, predictions from the child's weights, a clear failure when
the child dies, and the child's priority and data its own."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time

import numpy as np

from tatamikomi.serve import api
from tatamikomi.serve.run_process import ProcessRun

from .support import small, until


def _small(mini, n=600):
    return small(mini, n)


def _wait(predicate, seconds=60):
    return until(predicate, seconds)


def _children():
    return [p for p in multiprocessing.active_children() if p.name == "tatamikomi-training"]


def test_a_run_trains_in_a_child_and_is_steered_like_a_thread(tmp_path, mini):
    saved, done = [], []
    run = ProcessRun(
        {"epochs": 50, "batch_size": 20}, str(tmp_path), data=_small(mini),
        on_saved=lambda path, model: saved.append((path, model)), on_done=done.append,
    ).start()
    assert _wait(lambda: run.state == "running")
    child = _children()
    assert len(child) == 1 and child[0].pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, child[0].pid) > os.getpriority(os.PRIO_PROCESS, 0)
    # predictions use the child's weights, sent when asked for
    assert _wait(lambda: run.model() is not None)
    image = api.image_from({"sample": 0}, run.model())
    assert len(api.predict(run.model(), image)["probabilities"]) == 10
    first = run._snapshot[1]
    assert _wait(lambda: (run.model(), run._snapshot[1])[1] > first)  # a newer copy arrives
    # paused: no steps arrive
    run.pause()
    assert run.state == "paused"
    time.sleep(0.5)
    count = len(run._events)
    time.sleep(0.5)
    assert [e for e in run._events[count:] if e["type"] == "step"] == []
    run.resume()
    assert _wait(lambda: any(e["type"] == "step" for e in run._events[count:]))
    run.stop()
    assert run.join(60) and run.state == "stopped"
    assert done == [run] and not _children()
    path, model = saved[0]
    assert path == run.path and os.path.exists(path) and model.classes == list(mini.classes)
    assert re.fullmatch(r"simpleconvnet-mnist-mini-\d+of50ep\.npz", os.path.basename(path))
    assert os.listdir(tmp_path) == [os.path.basename(path)]
    states = [e["state"] for e in run._events if e["type"] == "state"]
    assert states == ["loading", "running", "paused", "running", "stopping", "stopped"]
    ids = [e["id"] for e in run._events]
    assert ids[0] == 1 and ids == sorted(set(ids))  # one numbering, the parent's
    assert run._snapshot is None and run._predictor is None  # released: the file is served


def test_a_finished_run_reports_its_epochs_and_filters(tmp_path, mini):
    run = ProcessRun({"epochs": 1, "batch_size": 50}, str(tmp_path), data=_small(mini)).start()
    assert run.join(120) and run.state == "finished", run.error
    kinds = {e["type"] for e in run._events}
    assert kinds == {"state", "step", "epoch", "filters"}
    (filters,) = [e for e in run._events if e["type"] == "filters"]  # an ended run keeps its last
    assert np.asarray(filters["weights"]).ndim == 4 and run._sent == {}
    assert run.status()["saved"] == os.path.basename(run.path)


def test_a_child_that_dies_fails_the_run_with_its_exit_code(tmp_path, mini):
    run = ProcessRun({"epochs": 50, "batch_size": 20}, str(tmp_path), data=_small(mini)).start()
    assert _wait(lambda: run.state == "running")
    os.kill(_children()[0].pid, signal.SIGKILL)
    assert run.join(60) and run.state == "failed"
    assert "-9" in run.error and "start the run again" in run.error


def test_a_failure_in_the_child_is_said_in_the_run_language(tmp_path, monkeypatch):
    from tatamikomi import i18n

    for name in ("TATAMIKOMI_DATA", "XDG_CACHE_HOME"):  # the child inherits them: no MNIST
        (tmp_path / name).mkdir()
        monkeypatch.setenv(name, str(tmp_path / name))
    with i18n.use("ja"):
        run = ProcessRun({"dataset": "mnist"}, str(tmp_path)).start()
    assert run.join(120) and run.state == "failed"
    assert "mnist-mini" in run.error and "を選ぶ" in run.error
    assert run.status()["error"] == run.error
