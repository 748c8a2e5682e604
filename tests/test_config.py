"""Runtime settings (tatamikomi.config): scoped, per thread, read from the environment lazily, and
the memory budget really bounds the convolution's chunk. Also: writing a file leaves the process
umask alone."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import tatamikomi as tk
import tatamikomi.functional as F
from tatamikomi import _parallel
from tatamikomi.functional import _conv_engine

from .support import SRC


def test_a_block_changes_the_settings_and_restores_them():
    before = tk.get_config()
    with tk.config(threads=1, memory_mb=2, chunk_mb=0.5):
        inside = tk.get_config()
        assert (inside.threads, inside.memory_mb, inside.chunk_mb) == (1, 2, 0.5)
        assert tk.get_num_threads() == 1 and tk.get_memory_budget() == 2 << 20
        with tk.config(threads=3):  # blocks nest; what is left out is kept
            assert (tk.get_config().threads, tk.get_config().memory_mb) == (3, 2)
        assert tk.get_config().threads == 1
    assert tk.get_config() == before


def test_a_block_restores_the_settings_when_it_raises():
    before = tk.get_config()
    with pytest.raises(KeyError):
        with tk.config(threads=1, memory_mb=3):
            raise KeyError("boom")
    assert tk.get_config() == before


def test_another_thread_does_not_see_a_block():
    before = tk.get_config()
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other():
        entered.wait(10)
        seen["other, during the main thread's block"] = tk.get_config()
        with tk.config(memory_mb=5):
            seen["other, in its own block"] = tk.get_config()
            checked.set()
            threading.Event().wait(0.05)  # stay in the block while the main thread looks

    worker = threading.Thread(target=other)
    worker.start()
    with tk.config(threads=1, memory_mb=2):
        entered.set()
        checked.wait(10)
        mine = tk.get_config()
    worker.join()
    assert seen["other, during the main thread's block"] == before
    assert seen["other, in its own block"].memory_mb == 5
    assert (mine.threads, mine.memory_mb) == (1, 2)


def test_our_worker_threads_run_with_the_callers_settings(monkeypatch):
    monkeypatch.setattr(_parallel, "MIN_ELEMENTS_PER_THREAD", 1)
    seen = []
    with tk.config(threads=2, memory_mb=3):
        _parallel.over_batch(lambda part: seen.append(tk.get_config().memory_mb), 4, 1 << 20)
    assert seen == [3, 3]  # two slices, one in a worker thread


def test_process_wide_defaults_reach_other_threads_and_lose_to_a_block():
    saved = tk.get_num_threads()
    try:
        tk.set_num_threads(3)
        seen = []
        worker = threading.Thread(target=lambda: seen.append(tk.get_num_threads()))
        worker.start()
        worker.join()
        assert seen == [3]
        with tk.config(threads=1):
            assert tk.get_num_threads() == 1
        assert tk.get_num_threads() == 3
    finally:
        tk.set_num_threads(saved)


@pytest.mark.parametrize(
    "settings",
    [{"threads": 0}, {"threads": 1.5}, {"memory_mb": 0.5}, {"chunk_mb": 0}, {"chunk_mb": "8"}],
)
def test_settings_are_checked_before_the_block(settings):
    with pytest.raises(ValueError, match=next(iter(settings))):
        tk.config(**settings)


def _run(code, **environment):
    env = dict(os.environ, PYTHONPATH=str(SRC), **environment)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize(
    "variable, value, use",
    [
        ("TATAMIKOMI_NUM_THREADS", "many", "tk.get_num_threads()"),
        ("TATAMIKOMI_NUM_THREADS", "0", "tk.functional.relu_forward(np.ones((4, 4)))"),
        ("TATAMIKOMI_MEMORY_MB", "-3", "tk.get_memory_budget()"),
        ("TATAMIKOMI_MEMORY_MB", "lots", "tk.get_config()"),
    ],
)
def test_a_bad_environment_variable_is_a_clear_error_at_first_use_not_at_import(
    variable, value, use
):
    code = (
        "import numpy as np, tatamikomi as tk\n"
        "print('imported')\n"
        "try:\n"
        f"    {use}\n"
        "except ValueError as error:\n"
        "    print('ValueError:', error)\n"
    )
    result = _run(code, **{variable: value})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "imported"
    assert lines[1].startswith(f"ValueError: {variable} must be")
    assert repr(value) in lines[1] and "unset it" in lines[1]


def test_the_cli_help_works_with_a_bad_environment_variable():
    result = _run(
        "import sys, tatamikomi.cli as c; sys.exit(c.main(['--help']))",
        TATAMIKOMI_NUM_THREADS="many",
        TATAMIKOMI_MEMORY_MB="none",
    )
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


def test_a_process_default_or_a_block_overrides_a_bad_environment_variable():
    result = _run(
        "import numpy as np, tatamikomi as tk\n"
        "with tk.config(threads=1):\n"
        "    tk.functional.relu_forward(np.ones((4, 4)))\n"
        "    print(tk.get_num_threads())\n"
        "tk.set_num_threads(2)\n"
        "print(tk.get_num_threads())\n",
        TATAMIKOMI_NUM_THREADS="many",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "2"]


def _chunk_sizes_of_a_convolution(monkeypatch, x, w):
    sizes = []
    chunks = _parallel.chunks

    def spy(batch, per_chunk):
        sizes.append(per_chunk)
        return chunks(batch, per_chunk)

    monkeypatch.setattr(_parallel, "chunks", spy)
    out, cache = F.conv2d_forward(x, w, None, 1, 1)
    dx, dw, _ = F.conv2d_backward(np.ones_like(out), cache)
    monkeypatch.setattr(_parallel, "chunks", chunks)
    return sizes, out, cache, dx, dw


def test_the_memory_budget_bounds_the_convolutions_chunk(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4, 32, 32)).astype(np.float32)
    w = rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    # one image's windows: 4 channels * 9 taps * 32 rows * 34 (wide layout) * 4 bytes = 157 KB
    monkeypatch.setattr(_conv_engine, "BATCHED_MIN_CHANNELS", 5)  # this test is of "wide"
    with tk.config(threads=1):
        sizes, out, cache, dx, dw = _chunk_sizes_of_a_convolution(monkeypatch, x, w)
    assert set(sizes) == {8 * 2**20 // 156672} and cache.col is not None  # 8 MB chunks, kept
    with tk.config(threads=1, memory_mb=1):
        small, out_small, cache_small, dx_small, dw_small = _chunk_sizes_of_a_convolution(
            monkeypatch, x, w
        )
    assert set(small) == {2**20 // 156672}  # 6 images: the whole budget, for one thread
    assert cache_small.col is None  # 2.5 MB of windows do not fit a 1 MB budget: not kept
    with tk.config(threads=4, memory_mb=2):  # four threads share the budget
        assert _conv_engine.images_per_chunk(156672) == (2 << 20) // 4 // 156672
    with tk.config(threads=1, chunk_mb=0.5):
        assert _conv_engine.images_per_chunk(156672) == (2**20 // 2) // 156672
    # only the memory changes, not a bit of the results
    np.testing.assert_array_equal(out_small, out)
    np.testing.assert_array_equal(dx_small, dx)
    np.testing.assert_array_equal(dw_small, dw)


def test_the_batched_layouts_chunk_follows_the_budget_and_changes_only_the_rounding(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((24, 16, 8, 8)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    # one image's windows: 16 channels * 9 taps * 64 positions * 4 bytes = 36 KB
    with tk.config(threads=1):
        sizes, out, cache, dx, dw = _chunk_sizes_of_a_convolution(monkeypatch, x, w)
    assert cache.layout == "batched" and cache.col is None
    # the batched layout's own 4 MB: all 24 images at once; and so for dx, a convolution of
    # dout (8 channels: 18 KB an image)
    assert set(sizes) == {(4 << 20) // 36864, (4 << 20) // 18432}
    with tk.config(threads=1, chunk_mb=0.25):
        small, out_small, _, dx_small, dw_small = _chunk_sizes_of_a_convolution(monkeypatch, x, w)
    assert set(small) == {(2**20 // 4) // 36864, (2**20 // 4) // 18432}  # 7 and 14 images
    # products of other widths, which BLAS may block (and round) differently
    np.testing.assert_allclose(out_small, out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx_small, dx, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw_small, dw, rtol=1e-5, atol=1e-4)  # summed in other groups


def test_set_num_threads_leaves_the_pool_other_threads_use_running():
    pool = _parallel._pool(2)
    saved = tk.get_num_threads()
    try:
        tk.set_num_threads(1)
        tk.set_num_threads(saved)
    finally:
        tk.set_num_threads(saved)
    assert pool.submit(lambda: 42).result(timeout=10) == 42  # shut down, it would refuse
    larger = _parallel._pool(pool._max_workers + 1)
    assert pool.submit(lambda: 43).result(timeout=10) == 43  # replaced, still not shut down
    assert larger.submit(lambda: 44).result(timeout=10) == 44


def test_writing_a_file_leaves_the_umask_alone_and_applies_it(tmp_path):
    code = (
        "import os, stat, sys\n"
        "from tatamikomi._files import atomic_write\n"
        "os.umask(0o027)\n"
        "calls = []\n"
        "real = os.umask\n"
        "os.umask = lambda mask: calls.append(mask) or real(mask)\n"
        "path = os.path.join(sys.argv[1], 'model.npz')\n"
        "with atomic_write(path) as f:\n"
        "    f.write(b'data')\n"
        "print(oct(stat.S_IMODE(os.stat(path).st_mode)), calls, os.listdir(sys.argv[1]))\n"
        "print(open(path, 'rb').read())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["0o640 [] ['model.npz']", "b'data'"]


def test_only_a_training_mode_forward_pass_keeps_the_unrolled_windows():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 1, 12, 12)).astype(np.float32)
    layer = tk.Convolution(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), pad=1)
    dout = rng.standard_normal((3, 4, 12, 12)).astype(np.float32)
    out = layer.forward(x)
    assert layer._cache.col is not None  # a first layer's few windows, for backward
    dx = layer.backward(dout)
    dw = layer.dW.copy()
    layer.train(False)  # inference: nothing is kept, and a backward pass still works
    np.testing.assert_array_equal(layer.forward(x), out)
    assert layer._cache.col is None
    np.testing.assert_array_equal(layer.backward(dout), dx)
    np.testing.assert_array_equal(layer.dW, dw)
    assert F.conv2d_forward(x, layer.W, None, 1, 1, keep=False)[1].col is None
