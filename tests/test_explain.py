"""The step-by-step explanations: the slides' arithmetic, checked against PyTorch."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tatamikomi as tk
from tatamikomi import cli, lecture
from tatamikomi import functional as F
from tatamikomi.explain import explain_conv, explain_im2col, explain_pool, explain_shape

LECTURE_SUMS = [
    "1x1+2x0+3x2+4x0+3x2+2x0+0x1+1x1+2x(-1) = 12",
    "2x1+3x0+4x2+3x0+2x2+1x0+1x1+2x1+3x(-1) = 14",
    "4x1+3x0+2x2+0x0+1x2+2x0+3x1+2x1+1x(-1) = 14",
    "3x1+2x0+1x2+1x0+2x2+3x0+2x1+1x1+2x(-1) = 10",
]


def explain(capsys, *args):
    code = cli.main(["explain", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def evaluate(products: str) -> float:
    """Work out a sum of products as printed (``2x(-1)`` and all) independently of the code."""
    left = products.partition(" = ")[0]
    terms = re.findall(r"\(?(-?[\d.]+)\)?x\(?(-?[\d.]+)\)?", left)
    assert "+".join(f"{a}x{b}" for a, b in terms) == left.replace("(", "").replace(")", "")
    return sum(float(a) * float(b) for a, b in terms)


# ---------------------------------------------------------------------------------------------
# The lecture's worked examples


def test_conv_prints_the_lecture_sums_and_output(capsys):
    code, out, _ = explain(capsys, "conv")
    assert code == 0
    for line in LECTURE_SUMS:
        assert line in out
    assert "[[12,14],[14,10]]" in out
    assert "OH = (H + 2P - FH) / S + 1 = (4 + 2*0 - 3) / 1 + 1 = 2" in out


def test_conv_typed_on_the_command_line_gives_the_same(capsys):
    code, out, _ = explain(
        capsys,
        "conv",
        "--input",
        "1,2,3,4;4,3,2,1;0,1,2,3;3,2,1,2",
        "--filter",
        "1,0,2;0,2,0;1,1,-1",
    )
    assert code == 0 and all(line in out for line in LECTURE_SUMS)
    assert "[[12,14],[14,10]]" in out


def test_conv_with_padding_shows_the_padded_grid_and_the_slide_sum(capsys):
    code, out, _ = explain(capsys, "conv", "--pad", "1")
    assert code == 0
    first = [line for line in out.splitlines() if line.strip().startswith("(0,0):")][0]
    assert first.endswith("0x1+0x0+0x2+0x0+1x2+2x0+0x1+4x1+3x(-1) = 3")
    assert "    0 0 0 0 0 0\n    0 1 2 3 4 0" in out
    assert "(4 + 2*1 - 3) / 1 + 1 = 4" in out
    assert lecture.CONV_OUTPUT_PAD1.tolist() == explain_conv(pad=1).output[0].tolist()


def test_conv_bias_and_stride(capsys):
    code, out, _ = explain(capsys, "conv", "--bias", "3", "--stride", "2", "--pad", "1")
    assert code == 0
    assert "0x1+0x0+0x2+0x0+1x2+2x0+0x1+4x1+3x(-1) = 3, 3 + 3 = 6" in out
    assert "= ⌊(4 + 2*1 - 3) / 2⌋ + 1 = 1 + 1 = 2  (3/2 rounded down)" in out
    expected = tk.functional.conv2d(
        lecture.INPUT[None, None], lecture.FILTER[None, None], np.array([3]), 2, 1
    )[0, 0]
    assert explain_conv(bias=3, stride=2, pad=1).output[0].tolist() == expected.tolist()


def test_pool_gives_the_lecture_result(capsys):
    code, out, _ = explain(capsys, "pool")
    assert code == 0
    assert "[[4,4],[3,3]]" in out
    assert "max(1, 2, 4, 3) = 4" in out
    code, out, _ = explain(capsys, "pool", "--mode", "avg")
    assert "(1+2+4+3)/4 = 2.5" in out and "[[2.5,2.5],[1.5,2]]" in out


def test_im2col_explains_the_lecture_shape(capsys):
    code, out, _ = explain(capsys, "im2col")
    assert code == 0
    assert "N*OH*OW = 10*3*3 = 90 rows" in out
    assert "C*FH*FW = 3*5*5 = 75 columns" in out
    assert "(90, 75)" in out
    code, out, _ = explain(capsys, "im2col", "--shape", "10,3,7,7", "--filter-size", "5")
    assert code == 0 and "(N*OH*OW, C*FH*FW) = (90, 75)" in out


def test_im2col_of_a_small_input_shows_every_row(capsys):
    code, out, _ = explain(
        capsys, "im2col", "--input", "1,2,3,4;4,3,2,1;0,1,2,3;3,2,1,2", "--filter-size", "3"
    )
    assert code == 0
    assert "0 image 0, window at (0, 0) | 1 2 3 4 3 2 0 1 2" in out
    assert "3 image 0, window at (1, 1) | 3 2 1 1 2 3 2 1 2" in out


def test_shape_of_simpleconvnet(capsys):
    code, out, _ = explain(capsys, "shape", "SimpleConvNet")
    assert code == 0
    assert "(1, 28, 28) -> (30, 24, 24)" in out
    assert "(28 + 2*0 - 5) / 1 + 1 = 24" in out
    assert "30*12*12 = 4320" in out
    assert "(24 + 2*0 - 2) / 2 + 1 = 12" in out


def test_japanese(capsys):
    for args in (["conv"], ["pool"], ["im2col"], ["shape", "DeepConvNet"]):
        code, out, _ = explain(capsys, *args, "--lang", "ja")
        assert code == 0
        assert re.search(r"[\u3040-\u30ff]", out), args
    _, out, _ = explain(capsys, "conv", "--lang", "ja")
    assert "積和" in out and "[[12,14],[14,10]]" in out
    _, out, _ = explain(capsys, "pool", "--lang", "ja")
    assert "プーリング" in out and "チャネル数" in out


def test_multichannel_sums_over_channels(capsys):
    code, out, _ = explain(
        capsys, "conv", "--input", "1,2;3,4|5,6;7,8", "--filter", "1,0;0,1|0,1;1,0", "--bias", "1"
    )
    assert code == 0
    assert "the 2 sums are added into one output value" in out
    assert "channel 0: 1x1+2x0+3x0+4x1 = 5" in out
    assert "channel 1: 5x0+6x1+7x1+8x0 = 13" in out
    assert "5+13+1 = 19" in out and "[[19]]" in out


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "args, message",
    [
        (["conv", "--input", "1,2;3"], "row 2 has 1 value but row 1 has 2"),
        (["conv", "--input", "1,a"], "is not a list of numbers"),
        (["conv", "--input", "1,2;3,4", "--filter", "1,2,3;4,5,6;7,8,9"], "does not fit"),
        (["conv", "--input", "1,2;3,4|5,6"], "channel 2 is 1x2 but channel 1 is 2x2"),
        (["conv", "--input", "missing.npy"], "missing.npy does not exist"),
        (["conv", "--input", "1,2;3,4|5,6;7,8", "--filter", "1|2|3"], "channel(s) but the input"),
        (["im2col", "--shape", "2,3,5,5"], "--filter-size"),
        (["im2col", "--shape", "2,3,5", "--filter-size", "3"], "(N, C, H, W)"),
        (["shape", "NoSuchNet"], "unknown model"),
        (["pool", "--size", "2", "--pad", "2"], "at most half the window"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, args, message):
    code, out, err = explain(capsys, *args)
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_npy_input(tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, lecture.INPUT)
    code, out, _ = explain(capsys, "conv", "--input", str(path))
    assert code == 0 and "[[12,14],[14,10]]" in out


# ---------------------------------------------------------------------------------------------
# Randomised: every step's arithmetic reproduces the library's output, which PyTorch checks


@settings(max_examples=40, deadline=None)
@given(
    c=st.integers(1, 3),
    fn=st.integers(1, 2),
    h=st.integers(3, 7),
    w=st.integers(3, 7),
    k=st.integers(1, 3),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_conv_steps_agree_with_pytorch(c, fn, h, w, k, stride, pad, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, 6, (c, h, w))
    filters = rng.integers(-3, 4, (fn, c, k, k))
    bias = rng.integers(-2, 3, fn)
    e = explain_conv(x, filters, stride=stride, pad=pad, bias=bias)
    expected = torch.nn.functional.conv2d(
        torch.tensor(x[None], dtype=torch.float64),
        torch.tensor(filters, dtype=torch.float64),
        torch.tensor(bias, dtype=torch.float64),
        stride=stride,
        padding=pad,
    )[0].numpy()
    np.testing.assert_array_equal(e.output, expected)
    assert len(e.steps) == expected.size
    for step in e.steps:
        assert step.value == expected[step.filter_index][step.position]
        assert step.value == step.channel_sums.sum() + step.bias
        for ch in range(c):
            assert evaluate(step.products(ch)) == step.channel_sums[ch]


@settings(max_examples=30, deadline=None)
@given(
    c=st.integers(1, 2),
    h=st.integers(2, 7),
    w=st.integers(2, 7),
    size=st.integers(1, 3),
    stride=st.integers(1, 3),
    pad=st.integers(0, 1),
    mode=st.sampled_from(["max", "avg"]),
    seed=st.integers(0, 2**16),
)
def test_pool_steps_agree_with_pytorch(c, h, w, size, stride, pad, mode, seed):
    torch = pytest.importorskip("torch")
    pad = min(pad, size // 2)
    if size > min(h, w) + 2 * pad:
        return
    x = np.random.default_rng(seed).integers(-9, 10, (c, h, w)).astype(np.float64)
    e = explain_pool(x, size, stride=stride, pad=pad, mode=mode)
    op = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
    expected = op(torch.tensor(x[None]), size, stride, pad)[0].numpy()
    np.testing.assert_allclose(e.output, expected, rtol=1e-12)
    for step in e.steps:
        reduce = np.max if mode == "max" else np.mean
        assert reduce(step.window) == pytest.approx(step.value, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(3, 6),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    pad=st.integers(0, 1),
)
def test_im2col_rows_are_the_windows_they_name(n, c, h, k, stride, pad):
    x = np.arange(n * c * h * h, dtype=np.float64).reshape(n, c, h, h)
    e = explain_im2col(x, k, stride=stride, pad=pad)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    assert e.col.shape == (n * e.window.out_hw[0] * e.window.out_hw[1], c * k * k)
    for row, (image, i, j) in zip(e.col, e.row_windows):
        window = padded[image, :, i * stride : i * stride + k, j * stride : j * stride + k]
        np.testing.assert_array_equal(row, window.ravel())


def test_shape_steps_match_the_model():
    for model in (tk.SimpleConvNet(), tk.DeepConvNet()):
        e = explain_shape(model)
        assert [step.output_shape for step in e.steps] == model.output_shapes()
        assert [step.name for step in e.steps] == list(model.layers.keys())
        for step in e.steps:
            for note in step.describe()[1]:
                match = re.search(r"= \((\d+) \+ 2\*(\d+) - (\d+)\) / (\d+) \+ 1 = (\d+)", note)
                if match:
                    size, p, f, s, out = map(int, match.groups())
                    assert (size + 2 * p - f) // s + 1 == out
                    assert out in step.output_shape


def test_explanations_do_not_touch_their_input():
    x = lecture.INPUT.copy()
    w = lecture.FILTER.copy()
    explain_conv(x, w, pad=1)
    explain_pool(x)
    explain_im2col(x, 3)
    assert (x == lecture.INPUT).all() and (w == lecture.FILTER).all()


def test_one_filter_serves_every_channel_of_a_colour_input():
    """The slide's 「1枚のフィルタですます」: a (FH, FW) filter on a 3-channel input is the same
    filter on each channel, the channel sums added into one output."""
    rgb = np.stack([lecture.INPUT, lecture.INPUT.T, 2 * lecture.INPUT])
    e = explain_conv(rgb, lecture.FILTER)
    assert e.shared and e.filters.shape == (1, 3, 3, 3)
    expected = sum(F.conv2d(c[None, None], lecture.FILTER[None, None]) for c in rgb)[0]
    assert np.array_equal(e.output, expected)
    assert "3x3 のフィルタ 1 枚で 3 チャネルすべてに済ませます" in e.text("ja")
    assert not explain_conv(rgb, np.stack([lecture.FILTER] * 3)).shared
