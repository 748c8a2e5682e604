"""The book's own scripts (../shared/book, unchanged) run through ``tatamikomi book``, and the
stand-in layers agree with the book's ``common/layers.py``."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from tatamikomi.io import load_book_params

from .mnist_files import MNIST_DIR, needs_mnist
from .support import ROOT, SRC

BOOK = os.path.abspath(os.path.join(ROOT, "..", "shared", "book"))
pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(BOOK, "common", "layers.py")),
    reason=f"the book's code is not in {BOOK} (see its SOURCE.md)",
)


def _book(args, cwd, **env):
    environment = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg",
                   "TATAMIKOMI_OFFLINE": "1", "TATAMIKOMI_DATA": "",
                   "XDG_CACHE_HOME": str(cwd / "cache"), **env}
    return subprocess.run([sys.executable, "-m", "tatamikomi", "book", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_train_convnet_offline_saves_the_books_pickle_and_keeps_existing_files(tmp_path):
    script = os.path.join(BOOK, "ch07", "train_convnet.py")
    (tmp_path / "params.pkl").write_bytes(b"mine")
    result = _book(["--limit", "300", script], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "using mnist-mini instead" in result.stderr
    kept = "params.pkl already exists and was left as it is; saving to params.1.pkl"
    assert kept in result.stderr
    assert "Saved Network Parameters!" in result.stdout
    accuracy = float(result.stdout.split("test acc:")[-1].split()[0])
    assert 0.5 < accuracy <= 1  # 20 epochs on 300 images: well above chance (0.1)
    assert (tmp_path / "params.pkl").read_bytes() == b"mine"
    with open(tmp_path / "params.1.pkl", "rb") as f:  # the book's format: a dict of arrays
        saved = pickle.load(f)
    assert sorted(saved) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert saved["W1"].shape == (30, 1, 5, 5) and saved["W2"].shape == (4320, 100)
    safe = load_book_params(tmp_path / "params.1.pkl")
    assert all(np.array_equal(safe[k], saved[k]) for k in saved)


def test_overwrite_is_asked_for(tmp_path):
    script = os.path.join(BOOK, "ch07", "train_convnet.py")
    (tmp_path / "params.pkl").write_bytes(b"mine")
    result = _book(["--limit", "100", "--overwrite", script], tmp_path)
    assert result.returncode == 0, result.stderr
    names = sorted(load_book_params(tmp_path / "params.pkl"))
    assert names == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert not (tmp_path / "params.1.pkl").exists()


def test_visualize_filter_reads_the_shipped_weights_beside_the_script(tmp_path):
    (tmp_path / "figures").mkdir()
    script = os.path.join(BOOK, "ch07", "visualize_filter.py")
    result = _book(["--save-figures", "figures", script], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"reading {os.path.join(BOOK, 'ch07', 'params.pkl')}" in result.stderr
    pictures = sorted(os.listdir(tmp_path / "figures"))
    assert pictures == ["figure-1.png", "figure-2.png"]  # random filters, then trained ones
    first, second = [(tmp_path / "figures" / p).read_bytes() for p in pictures]
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first != second


@needs_mnist
def test_misclassified_mnist_gives_the_books_accuracy(tmp_path):
    script = os.path.join(BOOK, "ch08", "misclassified_mnist.py")
    result = _book([script], tmp_path, TATAMIKOMI_DATA=MNIST_DIR)
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("test accuracy:")[1].split()[0])
    assert abs(accuracy - 0.9797) <= 0.0005  # the book's code gives 0.9797 (SOURCE.md)
    assert "misclassified result" in result.stdout


def test_a_missing_script_is_one_line(tmp_path):
    result = _book(["ch07/nothing.py"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "tatamikomi book: ch07/nothing.py does not exist; give the path of one of the book's "
        "scripts, e.g. ch07/train_convnet.py"
    ]


def test_the_hook_is_scoped_to_the_run(tmp_path):
    """After a run, neither the finder nor the book's module names remain in the process."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys, os\nsys.path.append(os.pardir)\nfrom common.layers import Pooling\n"
        "from dataset.mnist import load_mnist\nprint(Pooling.__module__)\n"
    )
    code = (
        "import sys, json\nfrom tatamikomi.book import run_script\nbefore = list(sys.meta_path)\n"
        f"status = run_script({str(script)!r})\n"
        "print(json.dumps([status, sys.meta_path == before, "
        "sorted(n for n in sys.modules if n.split('.')[0] in ('common', 'dataset'))]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code],
                            env={**os.environ, "PYTHONPATH": str(SRC)},
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "tatamikomi.book.layers"
    assert json.loads(lines[1]) == [0, True, []]


# The book's layers, imported from its real common/layers.py the book's way, against the stand-ins.
AGREEMENT = r'''
import json, os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from common import layers as book
sys.path.remove(sys.argv[1])
del sys.modules["common"], sys.modules["common.layers"], sys.modules["common.functions"], \
    sys.modules["common.util"]
from tatamikomi.book import layers as ours

rng = np.random.default_rng(0)
x = rng.standard_normal((4, 3, 8, 8))
W, b = rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
report = {}

def check(name, mine, theirs, inputs, douts, **forward):
    out_m, out_b = mine.forward(inputs, **forward), theirs.forward(inputs.copy(), **forward)
    dout = douts(out_b.shape)
    dx_m, dx_b = mine.backward(dout.copy()), theirs.backward(dout.copy())
    err = [float(np.max(np.abs(out_m - out_b))), float(np.max(np.abs(dx_m - dx_b)))]
    for grad in ("dW", "db", "dgamma", "dbeta"):
        if getattr(theirs, grad, None) is not None:
            err.append(float(np.max(np.abs(getattr(mine, grad) - getattr(theirs, grad)))))
    report[name] = max(err)

douts = lambda shape: rng.standard_normal(shape)
for stride, pad in ((1, 0), (2, 1)):
    check(f"Convolution s{stride} p{pad}", ours.Convolution(W, b, stride, pad),
          book.Convolution(W, b, stride, pad), x, douts)
check("Pooling 2x2 s2", ours.Pooling(2, 2, stride=2), book.Pooling(2, 2, stride=2), x, douts)
check("Pooling defaults", ours.Pooling(2, 2), book.Pooling(2, 2), x, douts)
check("Pooling 3x3 s1", ours.Pooling(3, 3, stride=1), book.Pooling(3, 3, stride=1), x, douts)
check("Relu", ours.Relu(), book.Relu(), x, douts)
check("Sigmoid", ours.Sigmoid(), book.Sigmoid(), x, douts)
A, c = rng.standard_normal((192, 7)), rng.standard_normal(7)
check("Affine", ours.Affine(A, c), book.Affine(A, c), x, douts)
g, be = rng.standard_normal(192), rng.standard_normal(192)
check("BatchNormalization", ours.BatchNormalization(g, be), book.BatchNormalization(g, be), x,
      douts)
mine, theirs = ours.Dropout(0.3), book.Dropout(0.3)
report["Dropout test"] = float(np.max(np.abs(mine.forward(x, False) - theirs.forward(x, False))))
np.random.seed(1); out_m = mine.forward(x, True)
np.random.seed(1); out_b = theirs.forward(x, True)
dout = douts(x.shape)
report["Dropout train"] = max(float(np.max(np.abs(out_m - out_b))),
                              float(np.max(np.abs(mine.backward(dout) - theirs.backward(dout)))))
s, t = rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
mine, theirs = ours.SoftmaxWithLoss(), book.SoftmaxWithLoss()
report["SoftmaxWithLoss"] = max(abs(float(mine.forward(s, t)) - float(theirs.forward(s, t))),
                                float(np.max(np.abs(mine.backward(1) - theirs.backward(1)))))
print(json.dumps(report))
'''


def test_the_books_layers_agree_with_the_stand_ins(tmp_path):
    result = subprocess.run([sys.executable, "-c", AGREEMENT, BOOK],
                            env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report) == 12
    # the book's loss adds 1e-7 inside the log; tatamikomi's is the exact log-softmax
    tolerance = {"SoftmaxWithLoss": 1e-5}
    bad = {name: error for name, error in report.items() if not error < tolerance.get(name, 1e-9)}
    assert not bad, f"largest differences from the book's layers: {bad}"
