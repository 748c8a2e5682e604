"""The library's errors in Japanese (issue 24): every error a learner or a command-line user can
meet is a catalog text, so ``i18n.say(error, "ja")`` and ``tatamikomi --lang ja`` leave no English
sentence, while ``str(error)`` stays the English it always was."""

import json
import types
import zipfile

import numpy as np
import pytest

from tatamikomi import i18n, init, optim
from tatamikomi.layers import (
    AvgPool2d, Conv2d, Convolution, Dropout, Flatten, MaxPool2d, Pooling, Relu,
)

from .support import NOT_PROSE, cli_names, english_words, japanese_words_left, run_cli

#: code names a Japanese message keeps as they are (arguments, array names, dtypes)
CODE_NAMES = (
    "in_channels", "out_channels", "dropout_ratio", "padding_mode", "float32", "astype",
    "np", "asarray", "dtype", "x_shape", "Conv2d", "MaxPool2d", "AvgPool2d", "Relu", "Dropout",
    "Flatten", "SGD", "None", "padding", "stride", "dilation", "groups", "ceil_mode",
    "count_include_pad", "False", "lr", "init", "logits", "labels", "one-hot", "backward",
    "forward", "xavier", "pytorch", "he", "Adam", "AdamW", "Momentum", "Nesterov", "AdaGrad",
    "RMSprop", "mode", "Pad", "input", "kB", "sgd", "adam", "adamw", "momentum", "nesterov",
    "adagrad", "rmsprop", "affine",
)


def english_left(text: str) -> list[str]:
    """The English words of a Japanese ``text`` outside code names, options, paths and quoted
    values (what ``japanese_words_left`` leaves, less the names the message quotes)."""
    return english_words(NOT_PROSE.sub(" ", text), (*cli_names(), *CODE_NAMES))


def _raised(call):
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def _corrupt_dataset(path):
    """An .npz whose x_test declares more values than it holds (a damaged download)."""
    np.savez(path, x_train=np.zeros((4, 1, 28, 28), np.float32), t_train=np.arange(4),
             t_test=np.arange(2))
    header = {"descr": "<f4", "fortran_order": False, "shape": (2, 1, 28, 28)}
    with zipfile.ZipFile(path, "a") as archive, archive.open("x_test.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
        member.write(b"\0" * 16)


def _calls(tmp_path):
    """(label, call that raises a library error); each label names what the learner did."""
    conv = Conv2d(1, 2, 3)
    fake_node = types.SimpleNamespace(name="conv0", op_type="Conv")
    from tatamikomi.data import load_dataset
    from tatamikomi.export import _common, _onnx_read
    from tatamikomi.functional import losses

    _corrupt_dataset(tmp_path / "cut.npz")
    return [
        ("groups that divide no channels", lambda: Conv2d(3, 4, 3, groups=2)),
        ("padding that is no padding",
         lambda: Conv2d(1, 4, 3, padding="oops").output_shape((1, 8, 8))),
        ("'same' with a stride",
         lambda: Conv2d(1, 4, 3, padding="same", stride=2).output_shape((1, 8, 8))),
        ("a zero stride", lambda: Conv2d(1, 4, 3, stride=0).output_shape((1, 8, 8))),
        ("a wrong padding mode", lambda: Conv2d(1, 4, 3, padding=1, padding_mode="mirror")),
        ("pooling padding past half the window",
         lambda: MaxPool2d(2, padding=2).output_shape((1, 8, 8))),
        ("average pooling with dilation", lambda: Pooling(2, 2, mode="avg", dilation=2)),
        ("an unknown pooling mode", lambda: Pooling(2, 2, mode="min")),
        ("a dropout ratio of 1.5", lambda: Dropout(1.5)),
        ("a negative learning rate", lambda: optim.SGD(lr=-1)),
        ("an unknown optimizer", lambda: optim.get_optimizer("foo")),
        ("an unknown init", lambda: init.initial_weight((2, 2), 2, method="foo")),
        ("one image where a batch is asked", lambda: conv.forward(np.zeros((28, 28)))),
        ("backward before forward", lambda: Convolution(np.ones((2, 1, 3, 3))).backward(None)),
        ("flatten without a batch", lambda: Flatten().forward(np.float32(1))),
        ("1-D logits", lambda: losses.softmax_cross_entropy_forward(np.zeros(3), np.zeros(3))),
        ("labels out of range", lambda: losses.softmax_cross_entropy_forward(
            np.zeros((2, 3)), np.array([0, 5]))),
        ("a corrupt .npz dataset", lambda: load_dataset(str(tmp_path / "cut.npz"))),
        ("a missing dataset", lambda: load_dataset(str(tmp_path / "gone"))),
        ("an unexportable layer", lambda: (_ for _ in ()).throw(_common.refuse(
            "conv1", i18n.Said("errors.refuse_layer_type", kind="Sigmoid"), "ONNX"))),
        ("an unimportable ONNX node", lambda: (_ for _ in ()).throw(_onnx_read.refuse_node(
            fake_node, i18n.Said("errors.refuse_pad_node_before")))),
    ]


def test_library_errors_keep_their_english_and_say_it_all_in_japanese(tmp_path):
    for label, call in _calls(tmp_path):
        error = _raised(call)
        said = getattr(error, "said", None)
        assert said is not None, (label, error)  # made by i18n.error from a catalog text
        assert i18n.say(error, "en") == str(error), label
        japanese = i18n.say(error, "ja")
        assert english_left(japanese) == [], (label, japanese)
        assert english_left(str(error)) != [], (label, str(error))  # the check can fail


def test_the_english_messages_are_those_of_before():
    assert str(_raised(lambda: Conv2d(3, 4, 3, groups=2))) == (
        "groups=2 must divide both the input channels, in_channels (3), and the number of "
        "filters, out_channels (4)"
    )
    assert str(_raised(lambda: Conv2d(1, 2, 3).forward(np.zeros((28, 28))))) == (
        "input must be a 4-D array (N, C, H, W); got shape (28, 28) with 2 dimensions. "
        "For one single-channel image of shape (H, W) use input[None, None]."
    )
    assert str(_raised(lambda: optim.get_optimizer("foo"))).startswith(
        "unknown optimizer 'foo'; choose one of sgd"
    )


def test_why_a_cell_cannot_be_explained_is_said_in_japanese():
    reasons = [
        Relu().cell_explanation_unsupported(),
        Conv2d(1, 2, 3, dilation=2).cell_explanation_unsupported(),
        Conv2d(1, 2, 3, padding=1, padding_mode="reflect").cell_explanation_unsupported(),
        MaxPool2d(2, ceil_mode=True).cell_explanation_unsupported(),
        AvgPool2d(2, padding=1, count_include_pad=False).cell_explanation_unsupported(),
    ]
    assert str(reasons[0]) == (
        "Relu has no windows to explain; pick a convolution or pooling layer"
    )
    for reason in reasons:
        assert isinstance(reason, i18n.Said) and str(reason).startswith(("explaining", "Relu"))
        assert english_left(i18n.say(reason, "ja")) == [], reason
    assert Conv2d(1, 2, 3).cell_explanation_unsupported() is None
    assert MaxPool2d(2).cell_explanation_unsupported() is None


SPECS = {
    "groups.json": {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2},
    "dropout.json": {"type": "Dropout", "p": 1.5},
    "same.json": {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": "same",
                  "stride": 2},
    "pad.json": {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": "oops"},
}


@pytest.mark.parametrize("name, detail", [
    ("groups.json", "の両方を割り切る数にしてください"),
    ("dropout.json", "dropout_ratio は [0, 1) の範囲にしてください。指定された値: 1.5"),
    ("same.json", "padding='same' にはストライド 1 が要ります"),
    ("pad.json", "padding は整数、整数の組、'valid' か 'same' にしてください。"),
])
def test_a_bad_spec_is_refused_in_japanese_on_the_command_line(tmp_path, name, detail):
    spec = {"input_shape": [3, 28, 28], "layers": [SPECS[name]]}
    (tmp_path / name).write_text(json.dumps(spec))
    result = run_cli("--lang", "ja", "summary", name, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert detail in result.stderr, result.stderr
    assert english_left(result.stderr) == [], result.stderr


def test_a_corrupt_dataset_is_refused_in_japanese_on_the_command_line(tmp_path):
    _corrupt_dataset(tmp_path / "cut.npz")
    result = run_cli("--lang", "ja", "train", "--dataset", "cut.npz", "-o", "new.npz",
                     cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "ファイルが壊れています。保存し直してください" in result.stderr, result.stderr
    assert english_left(result.stderr) == [], result.stderr
    assert japanese_words_left(result.stderr) == ["float32", "kB"]  # a dtype and a unit
    english = run_cli("--lang", "en", "train", "--dataset", "cut.npz", "-o", "new.npz",
                      cwd=tmp_path)
    assert "the file is damaged; save it again" in english.stderr, english.stderr
