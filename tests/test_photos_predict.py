"""Issue 20, finding 1 and the photo set: photos of handwritten digits (MNIST *test* digits
rendered by scripts/make_photo_set.py) go through ``tatamikomi predict`` end to end, none of them
refused (a prepared image off by float rounding used to end in "lie in [0, 255], not in
0..255"), and the shipped model reads them right."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys

import pytest

from tests.mnist_files import MNIST_DIR, needs_mnist

pytest.importorskip("PIL", reason="the photos are made with Pillow: pip install pillow")

from .support import ROOT

MODEL = ROOT / "src" / "tatamikomi" / "serve" / "models" / "simple_convnet_mnist.npz"
KINDS = ("photo", "jpeg", "chalk", "small", "corner")


@needs_mnist
@pytest.mark.parametrize("kind", KINDS)
def test_photos_of_each_kind_through_predict(tmp_path, kind):
    script = runpy.run_path(str(ROOT / "scripts" / "make_photo_set.py"))  # not as __main__
    folder = tmp_path / kind
    script["make_set"](folder, kind=kind, count=6, seed=3, data_dir=MNIST_DIR)
    rows = (folder / "labels.csv").read_text().split()[1:]
    names = [row.split(",")[0] for row in rows]
    labels = [int(row.split(",")[1]) for row in rows]
    result = subprocess.run(
        [sys.executable, "-m", "tatamikomi", "predict", str(MODEL), *names],
        capture_output=True, text=True, timeout=300, cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    assert result.returncode == 0, result.stderr
    assert "not in 0..255" not in result.stderr and "Traceback" not in result.stderr
    # one line per image: "name: digit   (...)"
    predicted = {
        line.split(":")[0]: int(line.split(":")[1].split()[0])
        for line in result.stdout.splitlines()
        if ":" in line and line.split(":")[0] in names
    }
    assert sorted(predicted) == sorted(names), result.stdout
    right = sum(predicted[name] == label for name, label in zip(names, labels))
    assert right >= 5, (result.stdout, labels)  # >= 98 % over the benchmark's 500
