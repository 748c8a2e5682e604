"""The exercises themselves: what each asks, how the library solves it, and the wrong answers
that common mistakes give.

Each :class:`Exercise` names its catalog texts literally (the question, the hint, the options
of a conceptual question) and carries two functions: ``solve()`` returns the answer and the
working that gives it, computed with tatamikomi's own operations, and ``mistakes()`` returns
``{mistake: the answer that mistake gives}`` (forgetting the padding, not flooring, counting
the bias wrong, ...), each mistake named by an ``exercises.mistake_*`` catalog text that says
what went wrong without giving the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import i18n, lecture
from ..explain import explain_conv, explain_im2col, explain_pool, explain_shape, explain_shift
from ..explain import nested, size_formula
from ..functional.geometry import window2d

#: the levels, easiest first: 基本, 標準, 発展 (the next lecture's material is advanced)
LEVELS = ("basic", "standard", "advanced")

#: the im2col exercise's batch (N, C, H, W) (filter 3x3, stride 1, padding 1)
IM2COL_BATCH = (4, 3, 8, 8)

#: the channel-sum exercise: a 2-channel 3x3 input, one 2-channel 2x2 filter and its bias
CHANNEL_X = np.array([[[1, 2, 0], [0, 1, 3], [2, 1, 0]], [[0, 1, 1], [2, 0, 1], [1, 1, 2]]])
CHANNEL_W = np.array([[[1, 0], [0, 1]], [[2, 1], [0, -1]]])
CHANNEL_B = 3

#: the pooling backward exercise's gradient from above (one value per pooling output)
POOL_DOUT = np.array([[1, 2], [3, 4]])


@dataclass(frozen=True)
class Exercise:
    """One exercise: its ``level``, the catalog keys of its ``question`` and ``hint``, the
    ``options`` of a conceptual question (catalog keys; the answer is an option's number, or
    the sorted numbers of every right option when ``several``), ``solve() -> (answer,
    working)`` and ``mistakes() -> {mistake key: wrong answer}``; ``values()`` fills the
    question's numbers."""

    level: str
    question: str
    hint: str
    solve: Callable[[], tuple[object, str]]
    mistakes: Callable[[], dict[str, object]] = dict
    options: tuple[str, ...] = ()
    several: bool = False
    values: Callable[[], dict[str, str]] = field(default=dict)


# -- convolution -------------------------------------------------------------------------------


def _conv_element():
    step = explain_conv().steps[1]  # output (0, 1): the top-right of the 2x2 output
    return int(step.value), step.products()


def _conv_element_mistakes():
    window = np.asarray(lecture.INPUT)[0:3, 1:4]
    return {
        "exercises.mistake_bias_not_asked": _conv_element()[0] + 3,
        "exercises.mistake_no_products": int(window.sum()),
    }


def _size(h, fh, stride, pad):
    window = window2d((h, h), fh, stride=stride, padding=pad)
    return window.out_hw[0], size_formula(h, fh, stride, (pad, pad), 1, window.out_hw[0], "h")


def _output_size():
    oh, line = _size(4, 3, 1, 0)
    return (oh, oh), line


def _same_size():
    pad = next(p for p in range(3) if _size(4, 3, 1, p)[0] == 4)  # the engine's geometry
    return pad, _size(4, 3, 1, pad)[1]


def _oh():
    return _size(7, 3, 2, 0)


def _oh_mistakes():
    return {"exercises.mistake_no_plus_one": (7 - 3) // 2, "exercises.mistake_no_stride": 7 - 3 + 1}


def _stride_floor():
    return _size(8, 3, 2, 0)


def _stride_floor_mistakes():
    return {
        "exercises.mistake_no_floor": (8 - 3) / 2 + 1,
        "exercises.mistake_rounded_up": -(-(8 - 3) // 2) + 1,
        "exercises.mistake_no_plus_one": (8 - 3) // 2,
    }


def _padded():
    step = next(s for s in explain_conv(pad=1).steps if s.position == (0, 3))
    return int(step.value), step.products()


def _padded_mistakes():
    # the top-right window of the input without its border of 0s
    return {"exercises.mistake_forgot_padding": _conv_element()[0]}


def _channel_sum():
    e = explain_conv(CHANNEL_X, CHANNEL_W[None], bias=CHANNEL_B)
    step = e.steps[0]
    parts = [step.products(channel=c) for c in range(len(CHANNEL_X))]
    return int(step.value), "; ".join(parts) + f"; {i18n.text('exercises.plus_bias', b=CHANNEL_B)}"


def _channel_products():
    return [int((CHANNEL_X[c, 0:2, 0:2] * CHANNEL_W[c]).sum()) for c in range(len(CHANNEL_X))]


def _channel_sum_mistakes():
    first, second = _channel_products()
    return {
        "exercises.mistake_one_channel": first + CHANNEL_B,
        "exercises.mistake_other_channel": second + CHANNEL_B,
        "exercises.mistake_bias_missing": first + second,
        "exercises.mistake_bias_per_channel": first + second + 2 * CHANNEL_B,
    }


def _lecture_values():
    return {"x": nested(lecture.INPUT), "w": nested(lecture.FILTER)}


def _pool_backward_values():
    return {"x": nested(lecture.INPUT), "dout": nested(POOL_DOUT)}


def _channel_values():
    return {
        "x0": nested(CHANNEL_X[0]), "x1": nested(CHANNEL_X[1]),
        "w0": nested(CHANNEL_W[0]), "w1": nested(CHANNEL_W[1]), "b": str(CHANNEL_B),
    }


def _conv_params():
    fn, c, fh, fw = 30, 3, 5, 5
    total = fn * c * fh * fw + fn
    return total, f"{fn}*{c}*{fh}*{fw} + {fn} = {total}"


def _conv_params_mistakes():
    return {
        "exercises.mistake_bias_missing": 30 * 3 * 5 * 5,
        "exercises.mistake_forgot_channels": 30 * 5 * 5 + 30,
        "exercises.mistake_bias_per_weight": 2 * 30 * 3 * 5 * 5,
    }


# -- pooling -----------------------------------------------------------------------------------


def _pool(mode):
    e = explain_pool(mode=mode)
    return e.output[0].tolist(), "; ".join(s.formula(mode) for s in e.steps)


def _max_pool():
    return _pool("max")


def _avg_pool():
    return _pool("avg")


def _max_pool_mistakes():
    return {"exercises.mistake_average_not_max": _pool("avg")[0]}


def _avg_pool_mistakes():
    sums = (np.asarray(_pool("avg")[0]) * 4).tolist()
    return {"exercises.mistake_max_not_average": _pool("max")[0], "exercises.mistake_sum": sums}


def _pool_shift():
    e = explain_shift(shift=(0, 1))
    formulas = "; ".join(s.formula("max") for s in e.after.steps)
    return e.after.output[0].astype(int).tolist(), formulas


def _pool_shift_mistakes():
    return {"exercises.mistake_not_shifted": explain_shift(shift=(0, 1)).before.output[0].tolist()}


# -- shapes through a network ------------------------------------------------------------------


def _shape_path(model, input_shape, last):
    e = explain_shape(model, input_shape)
    names = [s.name for s in e.steps]
    steps = e.steps[: names.index(last) + 1]
    arrow = i18n.text("explain.arrow")
    path = "; ".join(f"{s.name} {s.input_shape} {arrow} {s.output_shape}" for s in steps)
    return tuple(steps[-1].output_shape), path, steps


def _shape():
    from ..models import SimpleConvNet

    shape, path, steps = _shape_path(SimpleConvNet(), (1, 28, 28), "Pool1")
    return shape, f"{path}; {steps[-1].describe()[1][0]}"


def _shape_mistakes():
    return {
        "exercises.mistake_forgot_pooling": (30, 24, 24),
        "exercises.mistake_channels": (1, 12, 12),
    }


def _small_network(pad=1):
    from ..layers import Conv2d, MaxPool2d, ReLU
    from ..models import Sequential

    return Sequential([
        Conv2d(1, 16, 3, padding=pad, seed=0), ReLU(), MaxPool2d(2, 2),
        Conv2d(16, 32, 3, seed=0), ReLU(), MaxPool2d(2, 2),
    ])


def _network_shape():
    shape, path, _ = _shape_path(_small_network(), (1, 28, 28), "Pool2")
    return shape, path


def _network_shape_mistakes():
    return {
        "exercises.mistake_forgot_padding": _small_network(0).output_shapes((1, 28, 28))[-1],
        "exercises.mistake_channels": (16, 6, 6),
    }


# -- im2col, parameter sharing -----------------------------------------------------------------


def _im2col(batch, fh, pad):
    n, c, h, w = batch
    e = explain_im2col(batch, fh, stride=1, pad=pad, max_rows=1)
    oh, ow = e.window.out_hw
    rows, cols = e.col.shape
    why = f"N*OH*OW = {n}*{oh}*{ow} = {rows}, C*FH*FW = {c}*{fh}*{fh} = {cols}"
    return (rows, cols), why


def _im2col_lecture():
    return _im2col(lecture.IM2COL_BATCH_SHAPE, lecture.IM2COL_FILTER[0], 0)


def _im2col_lecture_mistakes():
    (rows, cols), n = _im2col_lecture()[0], lecture.IM2COL_BATCH_SHAPE[0]
    return {
        "exercises.mistake_transposed": (cols, rows),
        "exercises.mistake_forgot_batch": (rows // n, cols),
        "exercises.mistake_forgot_channels": (rows, cols // lecture.IM2COL_BATCH_SHAPE[1]),
    }


def _im2col_padded():
    return _im2col(IM2COL_BATCH, 3, 1)


def _im2col_padded_mistakes():
    rows, cols = _im2col_padded()[0]
    return {
        "exercises.mistake_transposed": (cols, rows),
        "exercises.mistake_forgot_padding": (IM2COL_BATCH[0] * 6 * 6, cols),
        "exercises.mistake_forgot_channels": (rows, 9),
    }


def _sharing():
    from ..explain.why_cnn import parameter_sharing

    s = parameter_sharing()
    fn, c, fh, fw = s.filter_shape
    why = (
        f"{s.inputs} x {s.outputs} + {s.outputs} = {s.affine_params}; "
        f"Conv1 {fn}*{c}*{fh}*{fw} + {fn} = {s.conv_params}"
    )
    return s.affine_params, why


def _sharing_mistakes():
    return {"exercises.mistake_bias_missing": 784 * 30 * 24 * 24}


# -- the backward pass (the next lecture: advanced) --------------------------------------------


def _pool_backward():
    from ..layers import Pooling

    layer = Pooling(2, 2, stride=2)
    x = np.asarray(lecture.INPUT, np.float64)[None, None]
    layer.forward(x)
    dx = layer.backward(POOL_DOUT[None, None].astype(np.float64))[0, 0]
    return dx.astype(int).tolist(), i18n.text("exercises.why_pool_backward")


def _pool_backward_mistakes():
    spread = np.kron(POOL_DOUT / 4, np.ones((2, 2)))
    return {"exercises.mistake_spread": spread.tolist()}


def _col2im_overlap():
    from ..layers import Convolution

    layer = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1))
    layer.forward(np.zeros((1, 1, 4, 4)))
    dx = layer.backward(np.ones((1, 1, 2, 2)))[0, 0]
    value = int(dx[1, 1])
    return value, i18n.text("exercises.why_col2im", terms=" + ".join(["1x1"] * value), dx=value)


def _col2im_overlap_mistakes():
    return {"exercises.mistake_assigned": 1}


# -- conceptual questions ----------------------------------------------------------------------


def _choice(answer, key):
    def solve():
        return answer, i18n.text(key)

    return solve


#: every exercise, in the order of the lecture within its level
EXERCISES: dict[str, Exercise] = {
    # 基本 (basic)
    "conv_element": Exercise(
        "basic", "exercises.q_conv_element", "exercises.hint_conv_element", _conv_element,
        _conv_element_mistakes, values=_lecture_values),
    "output_size": Exercise(
        "basic", "exercises.q_output_size", "exercises.hint_output_size", _output_size,
        lambda: {"exercises.mistake_no_plus_one": (1, 1), "exercises.mistake_both_sizes": 2}),
    "same_size": Exercise(
        "basic", "exercises.q_same_size", "exercises.hint_same_size", _same_size,
        lambda: {"exercises.mistake_padding_both_sides": 2, "exercises.mistake_filter_size": 3}),
    "max_pool": Exercise(
        "basic", "exercises.q_max_pool", "exercises.hint_max_pool", _max_pool, _max_pool_mistakes,
        values=_lecture_values),
    "avg_pool": Exercise(
        "basic", "exercises.q_avg_pool", "exercises.hint_avg_pool", _avg_pool, _avg_pool_mistakes,
        values=_lecture_values),
    "why_padding": Exercise(
        "basic", "exercises.q_why_padding", "exercises.hint_why_padding",
        _choice(2, "exercises.why_why_padding"),
        lambda: {"exercises.mistake_padding_speed": 1, "exercises.mistake_padding_parameters": 3},
        options=(
            "exercises.opt_why_padding_1", "exercises.opt_why_padding_2",
            "exercises.opt_why_padding_3",
        )),
    "which_params": Exercise(
        "basic", "exercises.q_which_params", "exercises.hint_which_params",
        _choice([1, 4], "exercises.why_which_params"),
        lambda: {
            "exercises.mistake_pooling_params": [1, 3, 4],
            "exercises.mistake_relu_params": [1, 2, 4],
            "exercises.mistake_forgot_affine": [1],
        },
        options=(
            "exercises.opt_which_params_1", "exercises.opt_which_params_2",
            "exercises.opt_which_params_3", "exercises.opt_which_params_4",
        ),
        several=True),
    # 標準 (standard)
    "oh": Exercise("standard", "exercises.q_oh", "exercises.hint_oh", _oh, _oh_mistakes),
    "stride_floor": Exercise(
        "standard", "exercises.q_stride_floor", "exercises.hint_stride_floor", _stride_floor,
        _stride_floor_mistakes),
    "padded": Exercise(
        "standard", "exercises.q_padded", "exercises.hint_padded", _padded, _padded_mistakes,
        values=_lecture_values),
    "channel_sum": Exercise(
        "standard", "exercises.q_channel_sum", "exercises.hint_channel_sum", _channel_sum,
        _channel_sum_mistakes, values=_channel_values),
    "conv_params": Exercise(
        "standard", "exercises.q_conv_params", "exercises.hint_conv_params", _conv_params,
        _conv_params_mistakes),
    "pool_shift": Exercise(
        "standard", "exercises.q_pool_shift", "exercises.hint_pool_shift", _pool_shift,
        _pool_shift_mistakes, values=_lecture_values),
    "shift_concept": Exercise(
        "standard", "exercises.q_shift_concept", "exercises.hint_shift_concept",
        _choice(3, "exercises.why_shift_concept"),
        lambda: {"exercises.mistake_shift_never": 1, "exercises.mistake_shift_always": 2},
        options=(
            "exercises.opt_shift_concept_1", "exercises.opt_shift_concept_2",
            "exercises.opt_shift_concept_3",
        )),
    "shape": Exercise(
        "standard", "exercises.q_shape", "exercises.hint_shape", _shape, _shape_mistakes),
    "network_shape": Exercise(
        "standard", "exercises.q_network_shape", "exercises.hint_network_shape", _network_shape,
        _network_shape_mistakes),
    "im2col_lecture": Exercise(
        "standard", "exercises.q_im2col_lecture", "exercises.hint_im2col", _im2col_lecture,
        _im2col_lecture_mistakes),
    # 発展 (advanced: beyond the lecture, or the next one)
    "im2col": Exercise(
        "advanced", "exercises.q_im2col", "exercises.hint_im2col", _im2col_padded,
        _im2col_padded_mistakes),
    "sharing": Exercise(
        "advanced", "exercises.q_sharing", "exercises.hint_sharing", _sharing, _sharing_mistakes),
    "shuffle_concept": Exercise(
        "advanced", "exercises.q_shuffle_concept", "exercises.hint_shuffle_concept",
        _choice(2, "exercises.why_shuffle_concept"),
        lambda: {"exercises.mistake_shuffle_affine": 1, "exercises.mistake_shuffle_both": 3},
        options=(
            "exercises.opt_shuffle_concept_1", "exercises.opt_shuffle_concept_2",
            "exercises.opt_shuffle_concept_3",
        )),
    "pool_backward": Exercise(
        "advanced", "exercises.q_pool_backward", "exercises.hint_pool_backward", _pool_backward,
        _pool_backward_mistakes, values=_pool_backward_values),
    "col2im_overlap": Exercise(
        "advanced", "exercises.q_col2im_overlap", "exercises.hint_col2im_overlap",
        _col2im_overlap, _col2im_overlap_mistakes),
}

