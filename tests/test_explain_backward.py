"""The backward pass explained cell by cell (issue 22, item 4): every cell of dx and every tap of
dW, as the explanation sums them, equals the layer's own backward and PyTorch's autograd."""

import json

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import cli
from tatamikomi.explain import backward_pass, explain_backward
from tatamikomi.explain.backward import conv_dw_tap, conv_dx_cell, pool_dx_cell
from tatamikomi.serve import api

from .support import japanese_words_left

torch = pytest.importorskip("torch", reason="PyTorch (the test oracle) is not installed")

#: (C, H, W, FN, FH, FW, stride, pad): overlapping windows, strides that skip cells, padding
CONV_CASES = [
    (1, 4, 4, 1, 3, 3, (1, 1), (0, 0)),
    (2, 5, 6, 3, 3, 2, (1, 2), (1, 0)),
    (3, 7, 7, 2, 3, 3, (2, 2), (1, 1)),
    (1, 6, 5, 2, 4, 3, (3, 1), (2, 1)),
    (2, 5, 5, 1, 5, 5, (1, 1), (2, 2)),
]
#: (C, H, W, size, stride, pad, mode)
POOL_CASES = [
    (1, 4, 4, (2, 2), (2, 2), (0, 0), "max"),
    (2, 5, 5, (3, 3), (1, 1), (0, 0), "max"),
    (2, 6, 5, (3, 2), (2, 1), (1, 1), "max"),
    (1, 5, 6, (2, 3), (1, 2), (1, 0), "avg"),
    (3, 4, 4, (2, 2), (1, 1), (0, 0), "avg"),
]


def torch_conv(x, w, dout, stride, pad):
    xt = torch.from_numpy(x[None].copy()).requires_grad_()
    wt = torch.from_numpy(w.copy()).requires_grad_()
    out = torch.nn.functional.conv2d(xt, wt, stride=stride, padding=pad)
    out.backward(torch.from_numpy(dout[None].copy()))
    return xt.grad.numpy()[0], wt.grad.numpy()


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_every_cell_of_a_convolutions_dx_and_dw_is_its_sum_of_terms(case):
    c, h, w, fn, fh, fw, stride, pad = case
    rng = np.random.default_rng(sum(case[:6]))
    x = rng.standard_normal((c, h, w))
    weights = rng.standard_normal((fn, c, fh, fw))
    e = explain_backward(x, weights, stride=stride, pad=pad, dout=None)
    dout = rng.standard_normal(e.dout.shape)
    e = explain_backward(x, weights, stride=stride, pad=pad, dout=dout)
    dx_torch, dw_torch = torch_conv(x, weights, dout, stride, pad)
    layer = tk.layers.Convolution(weights, np.zeros(fn), stride, pad)
    layer.forward(x[None])
    dx_engine = layer.backward(dout[None])[0]
    np.testing.assert_allclose(e.dx, dx_engine, rtol=0, atol=0)
    mine = np.zeros_like(x)
    for cell in np.ndindex(*x.shape):
        part = conv_dx_cell(dout, weights, e.window, cell, dx_engine)
        mine[cell] = part.value
        # each term meets the tap the window put over the cell
        for term in part.terms:
            oi, oj = term.out
            _, ki, kj = term.tap
            assert oi * stride[0] + ki - pad[0] == cell[1]
            assert oj * stride[1] + kj - pad[1] == cell[2]
    np.testing.assert_allclose(mine, dx_engine, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine, dx_torch, rtol=1e-12, atol=1e-12)
    dw = np.zeros_like(weights)
    for tap in np.ndindex(*weights.shape):
        dw[tap] = conv_dw_tap(x, dout, e.window, tap, layer.dW).value
    np.testing.assert_allclose(dw, layer.dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw_torch, rtol=1e-12, atol=1e-12)


def test_overlapping_windows_add_their_terms():
    """col2im's +=: the lecture's centre cell is covered by all four windows, and its dx is the
    sum of four products, not the last one."""
    e = explain_backward()
    assert e.cell.cell == (0, 1, 1) and len(e.cell.terms) == 4
    assert [t.product for t in e.cell.terms] == [2.0, 0.0, 0.0, 1.0]
    assert e.cell.value == e.cell.engine == 3.0
    assert e.dx[0].tolist() == [[1, 1, 2, 2], [1, 3, 4, 2], [1, 4, 2, -1], [1, 2, 0, -1]]
    assert e.tap.value == e.tap.engine == 10.0  # 1 + 2 + 4 + 3: the top-left of each window


def test_cells_of_the_padding_never_appear_and_taps_over_it_add_zero():
    e = explain_backward(pad=1, cell=(0, 0, 0), tap=(0, 0, 0, 0))
    assert e.dx.shape == (1, 4, 4)  # the padded 6x6 is cut back to the input
    padded = [t for t in e.tap.terms if t.padded]
    assert len(padded) == 7 and all(t.product == 0 for t in padded)
    assert e.tap.value == e.tap.engine == 18.0


@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pooling_dx_cells_mark_the_maximum_and_match_torch(case):
    c, h, w, size, stride, pad, mode = case
    rng = np.random.default_rng(h * w)
    x = rng.standard_normal((c, h, w))
    e = explain_backward(x, pool=mode, size=size, stride=stride, pad=pad)
    dout = rng.standard_normal(e.dout.shape)
    e = explain_backward(x, pool=mode, size=size, stride=stride, pad=pad, dout=dout)
    xt = torch.from_numpy(x[None].copy()).requires_grad_()
    f = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
    f(xt, size, stride, pad).backward(torch.from_numpy(dout[None].copy()))
    mine = np.zeros_like(x)
    for cell in np.ndindex(*x.shape):
        part = pool_dx_cell(x, dout, e.window, mode, cell, e.dx)
        mine[cell] = part.value
        for mark in part.marks:
            if mode == "max":
                assert mark.is_max == (x[cell] == mark.values.max())  # no ties in random data
                assert mark.received == (mark.dout if mark.is_max else 0.0)
            else:
                assert mark.received == pytest.approx(mark.dout / (size[0] * size[1]))
    np.testing.assert_allclose(mine, e.dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mine, xt.grad.numpy()[0], rtol=1e-12, atol=1e-12)


def test_a_tie_sends_dout_to_the_first_maximum_as_torch_does():
    x = np.array([[2.0, 3.0], [3.0, 2.0]])
    e = explain_backward(x, pool="max", cell=(0, 1, 0))
    (mark,) = e.cell.marks
    assert mark.winner == (0, 1) and not mark.is_max and e.cell.value == 0
    xt = torch.tensor(x[None, None], requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    assert xt.grad.numpy()[0, 0].tolist() == [[0, 1], [0, 0]] == e.dx[0].tolist()


@pytest.fixture(scope="module")
def network():
    return tk.SimpleConvNet(
        input_dim=(1, 10, 10),
        conv_param={"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1},
        hidden_size=8, output_size=4, weight_init_std=0.5, seed=1, dtype=np.float64,
    )


def test_a_models_layer_is_explained_with_the_gradient_of_the_target_score(network):
    image = np.random.default_rng(2).random((1, 10, 10))
    before = {k: v.copy() for k, v in network.params.items()}
    run = backward_pass(network, image, target=2)
    # the gradient at the input, against torch autograd through the same weights
    xt = torch.tensor(image[None], requires_grad=True)
    conv = torch.nn.functional.conv2d(
        xt, torch.tensor(network.params["W1"]), torch.tensor(network.params["b1"]), padding=1
    )
    pooled = torch.nn.functional.max_pool2d(torch.relu(conv), 2)
    hidden = torch.relu(pooled.flatten(1) @ torch.tensor(network.params["W2"])
                        + torch.tensor(network.params["b2"]))
    scores = hidden @ torch.tensor(network.params["W3"]) + torch.tensor(network.params["b3"])
    scores[0, 2].backward()
    np.testing.assert_allclose(run.dxs["Conv1"], xt.grad.numpy()[0], rtol=1e-10, atol=1e-12)
    e = explain_backward(model=network, image=image, layer="Conv1", target=2, cell=(0, 4, 5))
    assert e.cell.value == pytest.approx(xt.grad.numpy()[0][0, 4, 5], abs=1e-12)
    assert e.source == {"model": "SimpleConvNet", "layer": "Conv1", "target": 2,
                        "of": "score", "image": "-"}
    pool = explain_backward(model=network, image=image, layer="Pool1", target=2)
    assert pool.cell.value == pytest.approx(pool.cell.engine)
    # the caller's model is as it was: same weights, no gradients left, modes unchanged
    assert all(np.array_equal(before[k], network.params[k]) for k in before)
    assert all(layer.training for layer in network.layers)


def test_the_loss_gradient_is_softmax_minus_one_hot(network):
    image = np.random.default_rng(3).random((1, 10, 10))
    run = backward_pass(network, image, target=1, loss=True)
    scores = run.scores
    p = np.exp(scores - scores.max())
    p /= p.sum()
    p[1] -= 1
    np.testing.assert_allclose(run.douts["Affine2"], p, rtol=1e-12)


def test_it_is_plain_data_and_speaks_both_languages():
    for e in (explain_backward(), explain_backward(pool="max"), explain_backward(pool="avg")):
        data = json.loads(json.dumps(e.to_dict()))
        assert data["cell"]["value"] == e.cell.value
        english, japanese = e.text("en"), e.text("ja")
        assert "layer.backward" in english and "=" in japanese
        # the symbols of the book's code may stay; no English prose may
        assert set(japanese_words_left(japanese)) <= {"dx", "dout", "dW", "db", "col2im"}


@pytest.mark.parametrize(
    "kwargs, says",
    [
        ({"cell": (0, 9, 9)}, "outside"),
        ({"cell": "1,2"}, "3 whole numbers"),
        ({"tap": (1, 0, 0, 0)}, "outside"),
        ({"dout": np.ones((3, 3))}, "dout has shape"),
        ({"pool": "min"}, "'max' or 'avg'"),
    ],
)
def test_bad_cells_and_shapes_are_one_clear_error(kwargs, says):
    with pytest.raises(ValueError, match=says):
        explain_backward(**kwargs)


def test_a_model_layer_that_is_not_conv_or_pool_names_those_that_are(network):
    with pytest.raises(ValueError, match="give one of: Conv1, Pool1"):
        explain_backward(model=network, image=np.zeros((1, 10, 10)), layer="Affine1")


def test_the_command_prints_the_sums_in_english_and_japanese(capsys):
    assert cli.main(["explain", "backward"]) == 0
    out = capsys.readouterr().out
    assert "dx[0,1,1] = 2+0+0+1 = 3" in out and "layer.backward gives the same" in out
    assert cli.main(["explain", "backward", "--pool", "max", "--cell", "0,1,0", "--lang",
                     "ja"]) == 0
    out = capsys.readouterr().out
    assert "最大値プーリングの逆伝播です" in out and "一致します" in out
    path = api.pretrained_path()
    assert cli.main(["explain", "backward", "--model", path, "--layer", "Pool1"]) == 0
    assert "mnist-mini #0" in capsys.readouterr().out


def test_a_drawing_from_a_file_is_explained_as_predict_reads_it(capsys, tmp_path):
    from tatamikomi.cli._common import photo_input
    from tatamikomi.data import load_mini

    pytest.importorskip("PIL", reason="the drawing is written as a PNG")
    from PIL import Image

    drawing = tmp_path / "seven.png"
    Image.fromarray(load_mini(split="test").x_test[0, 0].astype(np.uint8)).save(drawing)
    path = api.pretrained_path()
    args = ["explain", "backward", "--model", path, "--image", str(drawing), "--cell", "0,14,14"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    model = tk.load(path)
    image = photo_input(model, str(drawing))
    expected = explain_backward(model=model, image=image, cell="0,14,14", image_name=str(drawing))
    assert str(drawing) in out and out.strip() == expected.text().strip()
    assert cli.main([*args, "--loss", "--lang", "ja"]) == 1  # --loss needs the true class
    assert "--target で指定してください" in capsys.readouterr().err


@pytest.mark.parametrize("lang, says", [("en", "outside"), ("ja", "配列の外です")])
def test_a_bad_cell_is_one_line_and_exit_1(capsys, lang, says):
    assert cli.main(["explain", "backward", "--cell", "0,9,9", "--lang", lang]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
    path = api.pretrained_path()
    assert cli.main(["explain", "backward", "--model", path, "--layer", "Conv2",
                     "--lang", lang]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Conv1, Pool1" in err[0]


def test_a_dilated_convolution_is_refused_in_the_readers_language():
    from tatamikomi import i18n

    model = tk.models.from_spec(
        {"input_shape": [1, 8, 8], "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3, "dilation": 2},
            {"type": "Flatten"}, {"type": "Linear", "out_features": 2},
        ]},
        seed=0,
    )
    with pytest.raises(ValueError, match="cannot be explained cell by cell") as caught:
        explain_backward(model=model, image=np.zeros((1, 8, 8)))
    assert "dilation" in i18n.say(caught.value, "ja") and "説明できません" in i18n.say(
        caught.value, "ja"
    )


def test_a_models_explanation_is_plain_data_too(network):
    e = explain_backward(model=network, image=np.ones((1, 10, 10)), layer="Conv1", loss=True,
                         target=0)
    data = json.loads(json.dumps(e.to_dict()))
    assert data["source"]["of"] == "loss" and len(data["cell"]["terms"]) == len(e.cell.terms)
    assert np.allclose(data["dx"], e.dx)
