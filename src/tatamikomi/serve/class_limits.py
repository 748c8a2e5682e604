"""What a classroom allows and how it keeps within it: the instructor's limits (datasets,
epochs, models per student, the disk quota, runs at once), checked when changed; a student's
request rate (:class:`RateBucket`); the bytes the class folder holds and a run's file will take
(checked before a run starts)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from . import api
from .errors import refused

#: event streams one student may hold open at once (a page holds two: the class's and a run's)
STREAMS_PER_STUDENT = 6
#: seconds a classroom event stream lasts before the page reconnects (a reader that never reads
#: holds its thread no longer than this)
STREAM_SECONDS = 120.0


def default_limits() -> dict:
    """What students may do, until the instructor changes it: mnist-mini, at most 3 epochs, two
    models each, 1 GiB of saved models for the class, and runs one at a time on a 2-core laptop
    (one core stays free for the room's drawings; the concurrency is the core count minus one)."""
    return {
        "datasets": ["mnist-mini"],
        "max_epochs": 3,
        "models_per_student": 2,
        "quota_mb": 1024,
        "concurrency": max(1, (os.cpu_count() or 2) - 1),
    }


def checked_whole(value, name, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refused("errors.studio_whole", name=name, low=low, high=high, value=repr(value))
    return value


def checked_limits(old: dict, given: dict) -> dict:
    """``old`` with the instructor's changes ``given`` (each checked; unknown names refused)."""
    from .training import DATASETS

    if not isinstance(given, dict):
        raise refused("errors.studio_not_object")
    given = {k: v for k, v in given.items() if k != "lang"}
    unknown = sorted(set(given) - set(old))
    if unknown:
        raise refused("errors.studio_training_unknown", unknown=unknown, known=sorted(old))
    new = dict(old)
    if "datasets" in given:
        datasets = given["datasets"]
        if (
            not isinstance(datasets, list)
            or not datasets
            or any(d not in DATASETS for d in datasets)
        ):
            raise refused(
                "errors.studio_one_of",
                name="datasets",
                names=", ".join(DATASETS),
                value=api.shown(datasets),
            )
        new["datasets"] = list(dict.fromkeys(datasets))
    bounds = {
        "max_epochs": (1, 100),
        "models_per_student": (1, 16),
        "quota_mb": (1, 1_000_000),
        "concurrency": (1, 64),
    }
    for name, (low, high) in bounds.items():
        if name in given:
            new[name] = checked_whole(given[name], name, low, high)
    return new


class RateBucket:
    """At most ``burst`` requests at once and ``per_second`` on average (a token bucket)."""

    burst = 60.0
    per_second = 15.0

    def __init__(self):
        self.tokens, self.at = self.burst, time.monotonic()
        self._guard = threading.Lock()

    def take(self) -> bool:
        with self._guard:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


def fresh_folder(path: str) -> str:
    candidate, n = path, 1
    while True:
        try:
            os.makedirs(candidate)
            return candidate
        except FileExistsError:
            n += 1
            candidate = f"{path}-{n}"


def folder_bytes(folder: str, limit: int = 100_000) -> int:
    """The bytes of the regular files under ``folder`` (at most ``limit`` files looked at)."""
    total = 0
    for count, (root, _, names) in enumerate(os.walk(folder)):
        for name in names:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += info.st_size
        if count > limit:
            break
    return total


def file_estimate(options: dict) -> int:
    """About the bytes of a run's checkpoint: the weights and two optimizer moments (Adam's),
    float32, with room for the file's own data."""
    from ..models import STUDIO_BUDGET, from_spec, get_model

    model = options["model"]
    if isinstance(model, dict):
        network = from_spec(model, budget=STUDIO_BUDGET)
    else:
        network = get_model(model)
    params = sum(int(np.size(p)) for p in network.state_dict().values())
    return 3 * 4 * params + 256 * 1024


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}"
