"""Why did it say 7 (issue 22): saliency maps against PyTorch's autograd and direct loops, the
sanity checks (and that they fail a map which ignores the model), the model and the image left
as they were, and ``explain why`` / ``plot why`` in English and Japanese."""

import importlib.util

import numpy as np
import pytest

from tatamikomi import from_spec
from tatamikomi.data import load_mini
from tatamikomi.explain import attribution, explain_why, saliency, sanity_report
from tatamikomi.images import write_png

from .builders import SPEC
from .support import SRC, japanese_words_left

torch = pytest.importorskip("torch", reason="PyTorch (the test oracle) is not installed")
from tatamikomi.export import to_torch  # noqa: E402

STUDIO_MODEL = SRC / "tatamikomi" / "serve" / "models" / "simple_convnet_mnist.npz"


@pytest.fixture(scope="module")
def digits():
    """The first test images of mnist-mini in [0, 1] and their labels (a 7 is index 3)."""
    data = load_mini(split="test")
    return (data.x_test[:12] / np.float32(255)).astype(np.float32), data.t_test[:12]


def torch_input_gradient(model, image, target):
    module = to_torch(model).eval().double()
    x = torch.from_numpy(image[None].astype(np.float64)).requires_grad_()
    module(x)[0, target].backward()
    return x.grad.numpy()[0]


def torch_grad_cam(model, image, target, layer_name):
    module = to_torch(model).eval().double()
    kept = {}
    getattr(module, layer_name).register_forward_hook(lambda m, i, out: kept.update(a=out))
    x = torch.from_numpy(image[None].astype(np.float64))
    score = module(x)[0, target]
    (grad,) = torch.autograd.grad(score, kept["a"])
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * kept["a"]).sum(dim=1, keepdim=True))
    up = torch.nn.functional.interpolate(cam, size=image.shape[1:], mode="bilinear",
                                         align_corners=False)
    return up.detach().numpy()[0, 0]


# -- against PyTorch and direct loops -------------------------------------------------------


@pytest.mark.parametrize("target", [None, 3])
def test_the_gradient_map_is_torch_autograds_gradient(model, digits, target):
    x = digits[0][3]
    chosen = int(np.argmax(model.predict(x[None]))) if target is None else target
    expected = np.abs(torch_input_gradient(model, x, chosen)).max(axis=0)
    got = saliency(model, x, target, "gradient")
    assert got.shape == (28, 28) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_grad_cam_is_torchs_on_the_last_convolutions_activation(model, digits):
    x = digits[0][3]
    expected = torch_grad_cam(model, x, 7, "Relu1")  # Conv1, then its ReLU
    got = saliency(model, x, 7, "grad-cam")
    assert expected.max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * expected.max())


def test_grad_cam_on_a_deeper_model_with_batch_norm_and_dropout():
    model = from_spec(SPEC, seed=0).eval()
    x = np.random.default_rng(0).random((1, 12, 12), dtype=np.float32)
    for target in range(3):
        expected = torch_grad_cam(model, x, target, "Tanh1")  # Conv2, then its Tanh
        got = saliency(model, x, target, "grad-cam")
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * max(expected.max(), 1))
        gradient = np.abs(torch_input_gradient(model, x, target)).max(axis=0)
        np.testing.assert_allclose(
            saliency(model, x, target), gradient, rtol=1e-4, atol=1e-6 * gradient.max()
        )


@pytest.mark.parametrize("size", [(3, 5, 7, 11), (24, 24, 28, 28), (4, 4, 2, 3)])
def test_the_bilinear_upsampling_is_torchs(size):
    h, w, height, width = size
    maps = np.random.default_rng(1).random((2, h, w))
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(maps[None]), size=(height, width), mode="bilinear", align_corners=False
    ).numpy()[0]
    np.testing.assert_allclose(attribution.upsample_bilinear(maps, height, width), expected,
                               rtol=1e-12, atol=1e-12)


def test_occlusion_is_the_mean_score_drop_of_a_direct_loop(model, digits):
    x = digits[0][3]
    patch, stride, fill, target = 5, 3, 0.5, 7
    base = model.predict(x[None])[0, target]
    total, count = np.zeros((28, 28)), np.zeros((28, 28))
    starts = list(range(0, 28 - patch + 1, stride))
    starts += [] if starts[-1] == 28 - patch else [28 - patch]
    for r in starts:
        for c in starts:
            covered = x.copy()
            covered[:, r : r + patch, c : c + patch] = fill
            drop = base - model.predict(covered[None])[0, target]
            total[r : r + patch, c : c + patch] += drop
            count[r : r + patch, c : c + patch] += 1
    got = saliency(model, x, target, "occlusion", patch=patch, stride=stride, fill=fill)
    assert count.min() >= 1
    np.testing.assert_allclose(got, total / count, rtol=1e-4, atol=1e-4)


def test_smoothgrad_is_the_mean_gradient_map_of_its_noisy_copies(model, digits):
    x = digits[0][3]
    state = np.random.get_state()
    n, sigma, seed = 6, 0.2, 11
    got = saliency(model, x, 7, "smoothgrad", n=n, sigma=sigma, seed=seed)
    noise = np.random.default_rng(seed).standard_normal((n, *x.shape)) * sigma * (x.max() - x.min())
    expected = np.mean(
        [saliency(model, (x + e).astype(np.float32), 7, "gradient") for e in noise], axis=0
    )
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(got, saliency(model, x, 7, "smoothgrad", n=n, sigma=sigma,
                                                seed=seed))
    assert not np.allclose(got, saliency(model, x, 7, "smoothgrad", n=n, sigma=sigma, seed=12))
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])  # global RNG untouched


def test_rank_correlation_is_scipys():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, 200).astype(float)  # many ties
    b = a + rng.random(200) * 3
    assert attribution.spearman(a, b) == pytest.approx(scipy_stats.spearmanr(a, b)[0], abs=1e-12)
    np.testing.assert_allclose(attribution.rank(a), scipy_stats.rankdata(a))
    assert attribution.spearman(np.zeros(5), np.arange(5)) == 0.0


# -- the caller's model and image -------------------------------------------------------------


def test_the_model_and_the_image_are_left_as_they_were(model, digits):
    x = digits[0][3].copy()
    kept = x.copy()
    model.train(True)
    try:
        before = [{k: id(v) for k, v in vars(layer).items()} for layer in model.layers]
        params = {k: v.copy() for k, v in model.params.items()}
        maps = {m: saliency(model, x, None, m) for m in attribution.METHODS}
        explain_why(model, x)
        sanity_report(model, x[None], ["gradient"], random_orders=1, deletion_steps=4)
        assert all(layer.training for layer in model.layers)
        assert [{k: id(v) for k, v in vars(layer).items()} for layer in model.layers] == before
        for name, value in model.params.items():
            np.testing.assert_array_equal(value, params[name])
    finally:
        model.eval()
    np.testing.assert_array_equal(x, kept)
    for method, expected in maps.items():  # (H, W), (C, H, W), (1, C, H, W): the same map
        for shaped in (x[0], x, x[None]):
            np.testing.assert_allclose(saliency(model, shaped, None, method), expected,
                                       rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "call, key",
    [
        (lambda m, x: saliency(m, x, method="lime"), "errors.attribution_method"),
        (lambda m, x: saliency(m, x, method="smoothgrad", n=0), "errors.attribution_value"),
        (lambda m, x: saliency(m, x, method="smoothgrad", n=10**6), "errors.attribution_value"),
        (lambda m, x: saliency(m, x, method="smoothgrad", sigma=float("nan")),
         "errors.attribution_value"),
        (lambda m, x: saliency(m, x, method="gradient", n=5), "errors.attribution_option"),
        (lambda m, x: saliency(m, x, method="occlusion", patch=40), "errors.attribution_patch"),
        (lambda m, x: saliency(m, x, method="occlusion", patch=4, stride=5),
         "errors.attribution_patch"),
        (lambda m, x: saliency(m, x, method="occlusion", patch=1, stride=1, fill=0),
         None),  # 784 patches: allowed
        (lambda m, x: saliency(m, x, target=10), "errors.attribution_target"),
        (lambda m, x: saliency(m, x, target=1.5), "errors.attribution_target"),
        (lambda m, x: saliency(m, x[:, :20]), "errors.attribution_image_shape"),
        (lambda m, x: saliency(m, np.stack([x, x])), "errors.attribution_image"),
        (lambda m, x: saliency(m, x * np.nan), "errors.attribution_not_finite"),
    ],
)
def test_bad_arguments_are_one_clear_error(model, digits, call, key):
    x = digits[0][3]
    if key is None:
        assert call(model, x).shape == (28, 28)
        return
    with pytest.raises(ValueError) as caught:
        call(model, x)
    assert caught.value.said.key == key
    assert "\n" not in str(caught.value)


def test_explain_why_needs_a_method(model, digits):
    with pytest.raises(ValueError) as caught:
        explain_why(model, digits[0][3], methods=[])
    assert caught.value.said.key == "errors.attribution_no_methods"


def test_grad_cam_refuses_a_model_without_convolutions():
    model = from_spec(
        {"input_shape": [1, 6, 6], "layers": [{"type": "Flatten"},
                                              {"type": "Linear", "out_features": 3}]}, seed=0
    )
    with pytest.raises(ValueError, match="convolution"):
        saliency(model, np.zeros((6, 6), np.float32), method="grad-cam")
    assert saliency(model, np.zeros((6, 6), np.float32)).shape == (6, 6)


# -- the sanity checks ----------------------------------------------------------------------


def edges(model, image, target):
    """A map of the image's own edges: it ignores the model entirely."""
    gy, gx = np.gradient(np.asarray(image, dtype=np.float64)[0])
    return np.hypot(gx, gy)


def noise(model, image, target):
    """A map that ignores both the model and the image."""
    return np.random.default_rng(0).random(np.shape(image)[-2:])


@pytest.fixture(scope="module")
def report(model, digits):
    return sanity_report(model, digits[0][:6], ["gradient", "grad-cam", edges, noise])


def test_cascading_randomisation_passes_the_maps_and_fails_a_map_of_the_image(report):
    by_name = {m.method: m for m in report.methods}
    assert report.cascade_layers == ["Affine2", "Affine1", "Conv1"]
    for method in ("gradient", "grad-cam"):
        assert by_name[method].cascade[-1] < attribution.CASCADE_LIMIT, by_name[method]
        assert by_name[method].passes_cascade
    assert by_name["edges"].cascade == pytest.approx([1.0, 1.0, 1.0])
    assert not by_name["edges"].passes_cascade and not by_name["edges"].passes


def test_deleting_the_salient_pixels_first_drops_the_probability_faster(report, model, digits):
    by_name = {m.method: m for m in report.methods}
    for method in ("gradient", "grad-cam"):
        m = by_name[method]
        assert m.passes_deletion and m.deletion_auc < attribution.DELETION_RATIO * m.random_auc
    assert not by_name["noise"].passes_deletion  # a random map deletes no faster than random
    x = digits[0][3]
    curve = attribution.deletion_curve(model, x, 7, np.argsort(-x.ravel()), steps=10)
    assert len(curve) == 11 and curve[0] > 0.99 and curve[-1] < 0.5
    assert attribution.area_under([1, 1, 1]) == 1.0 and attribution.area_under([1, 0]) == 0.5


def test_data_randomisation_separates_true_from_shuffled_labels(digits):
    true_model, shuffled_model, x_test, t_test = attribution.data_randomisation_models(
        train_images=1000, steps=60
    )
    assert true_model.accuracy(x_test[:300], t_test[:300]) > 0.6
    assert shuffled_model.accuracy(x_test[:300], t_test[:300]) < 0.3
    result = sanity_report(true_model, digits[0][:3], ["grad-cam", edges],
                           data_models=(true_model, shuffled_model))
    by_name = {m.method: m for m in result.methods}
    assert by_name["edges"].data_randomisation == pytest.approx(1.0)
    assert not by_name["edges"].passes_data
    assert by_name["grad-cam"].data_randomisation < attribution.DATA_LIMIT
    assert "grad-cam" in result.text("en") and "合格" in result.text("ja")


# -- explain why, plot why ----------------------------------------------------------------------


def test_explain_why_says_the_class_the_runner_up_and_where(model, digits):
    why = explain_why(model, digits[0][3], source="seven.png")
    assert why.predicted == 7 and set(why.maps) == set(attribution.DEFAULT_METHODS)
    assert why.probabilities.sum() == pytest.approx(1.0)
    english = why.text("en")
    assert english.startswith("seven.png: 7 with probability")
    assert "runner-up" in english and "Grad-CAM" in english
    japanese = why.text("ja")
    assert "確率" in japanese and "次点" in japanese and "勾配" in japanese
    shares = attribution.region_shares(why.maps["gradient"])
    assert shares.shape == (3, 3) and shares.sum() == pytest.approx(1.0)


@pytest.fixture
def seven(tmp_path, digits):
    path = tmp_path / "seven.png"
    write_png(path, np.round(digits[0][3][0] * 255).astype(np.uint8))
    return path


def test_explain_why_on_the_command_line_in_english_and_japanese(cli, seven):
    result = cli("explain", "why", str(STUDIO_MODEL), str(seven))
    assert result.returncode == 0, result.stderr
    assert "seven.png: 7 with probability" in result.stdout and "runner-up" in result.stdout
    assert "%" in result.stdout and "gradient:" in result.stdout
    result = cli("explain", "why", str(STUDIO_MODEL), str(seven), "--lang", "ja",
                 "--methods", "gradient,smoothgrad,grad-cam,occlusion")
    assert result.returncode == 0, result.stderr
    assert "7（確率" in result.stdout and "次点" in result.stdout
    assert "遮蔽" in result.stdout
    assert japanese_words_left(result.stdout) == [], result.stdout


def test_a_bad_method_is_one_clear_line(cli, seven):
    for lang, words in (("en", "no saliency method lime"), ("ja", "lime という手法はありません")):
        result = cli("explain", "why", str(STUDIO_MODEL), str(seven), "--methods", "lime",
                     "--lang", lang)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "grad-cam" in lines[0], result.stderr


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                    reason="matplotlib (the viz extra) is not installed")
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_plot_why_writes_a_png(cli, seven, tmp_path, lang):
    result = cli("plot", "why", str(STUDIO_MODEL), str(seven), "-o", "why.png", "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "why.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
