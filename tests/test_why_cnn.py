"""``tatamikomi explain why-cnn``: the parameter counts, the three convolutions agreeing, the
pixel-shuffle experiment's effect, and the command in both languages."""

import re

import numpy as np
import pytest

from tatamikomi import functional
from tatamikomi.explain import why_cnn
from tatamikomi.models import SimpleConvNet

from .support import japanese_words_left, run_cli


def test_the_parameter_counts_come_from_conv1():
    s = why_cnn.parameter_sharing()
    assert s.filter_shape == (30, 1, 5, 5)
    assert s.conv_params == 780 == 30 * 1 * 5 * 5 + 30
    assert s.output_shape == (30, 24, 24) and s.inputs == 784 and s.outputs == 17280
    assert s.affine_params == 13_564_800 == 784 * 17280 + 17280
    # another Conv1 (10 filters of 3x3) is counted from its own shapes
    other = why_cnn.parameter_sharing(
        SimpleConvNet(conv_param={"filter_num": 10, "filter_size": 3, "pad": 0, "stride": 1})
    )
    assert other.conv_params == 10 * 9 + 10
    assert other.affine_params == 784 * (10 * 26 * 26) + 10 * 26 * 26


def test_the_three_convolutions_agree():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 9, 8)).astype(np.float32)
    W = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    loop = why_cnn.loop_conv(x, W, b)
    assert loop.shape == (3, 4, 7, 6)
    # one output element by hand: the window times the filter, summed, plus the bias
    assert np.isclose(loop[1, 2, 3, 4], (x[1, :, 3:6, 4:7] * W[2]).sum() + b[2], atol=1e-5)
    np.testing.assert_allclose(why_cnn.im2col_conv(x, W, b), loop, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(functional.conv2d(x, W, b), loop, rtol=1e-5, atol=1e-5)


def test_the_timing_measures_three_methods_that_agree():
    t = why_cnn.time_convolutions(quick=True)
    assert set(t.seconds) == {"loop", "im2col", "fast"}
    assert all(s > 0 for s in t.seconds.values())
    assert t.agree and t.max_difference < 1e-4
    assert t.input_shape == (10, 1, 28, 28) and t.filter_shape == (30, 1, 5, 5)
    assert t.cpu and t.blas


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffling_the_pixels_hurts_the_cnn_more_than_the_affine_network(seed):
    r = why_cnn.shuffle_experiment(quick=True, seed=seed)
    assert (r.train_images, r.test_images, r.epochs, r.seed) == (2000, 1000, 1, seed)
    values = [r.accuracy[n][p] for n in ("affine", "cnn") for p in ("original", "shuffled")]
    assert all(0 <= v <= 1 for v in values)
    assert abs(r.drop("affine")) < 0.06  # about unchanged: the order means nothing to it
    assert r.drop("cnn") > r.drop("affine") + 0.08


NUMBER = re.compile(r"\d")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_command_prints_three_parts_with_numbers(lang):
    result = run_cli("explain", "why-cnn", "--quick", "--lang", lang)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "780" in out and "13,564,800" in out
    parts = [line for line in out.splitlines() if re.match(r"^[abc]\. ", line)]
    assert len(parts) == 3
    assert out.count(" %") >= 4 and " ms" in out and "CPU" in out and "BLAS" in out
    if lang == "ja":
        prose = "\n".join(line for line in out.splitlines() if "BLAS" not in line)  # the machine
        # what may stay: the names and symbols of any Japanese output, Adam's lr, the unit ms
        assert [w for w in japanese_words_left(prose) if w not in ("lr", "ms")] == []
        assert "一致します" in out and "パラメータ 780 個" in out
    else:
        assert "The three outputs agree" in out


def test_the_help_is_japanese():
    result = run_cli("--lang", "ja", "explain", "why-cnn", "--help")
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout and "シャッフル" in result.stdout
    assert japanese_words_left(result.stdout) == []
