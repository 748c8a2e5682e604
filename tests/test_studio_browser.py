"""The studio in a real browser: headless Chromium (Debian's, /usr/bin/chromium) driven by
Playwright (``pip install playwright``; its own browser download is not used).

Skipped with the reason when Chromium or Playwright is missing, except under CI (``CI`` set),
where they must be there and the tests fail instead. With ``TATAMIKOMI_SCREENSHOTS=docs/images``
the screenshots of the README and docs/studio.md are written there (else into a temporary
folder)."""

from __future__ import annotations

import base64
import os
import shutil

import numpy as np
import pytest

from tatamikomi import explain as ex
from tatamikomi import i18n, models
from tatamikomi.data import load_dataset
from tatamikomi.serve import api, server



CHROMIUM = os.environ.get("TATAMIKOMI_CHROMIUM", "/usr/bin/chromium")
CANVAS = 280


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    return tmp_path_factory.mktemp("studio-models")


@pytest.fixture(scope="module")
def studio_url(browser, saved):
    studio = server.Studio(
        [("SimpleConvNet (MNIST)", api.default_model(), "pretrained", api.pretrained_path())],
        save_dir=str(saved),
    )
    with server.running(studio) as running:
        yield running.url


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("TATAMIKOMI_SCREENSHOTS")
    return folder if folder else str(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def page(browser, studio_url):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(studio_url + "?lang=en")
    tab.wait_for_selector("body[data-ready=true]")
    yield tab
    context.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def mini():
    return load_dataset("mnist-mini")


def settle(page):
    page.wait_for_function("window.studio.pending === 0")


def trace(page, image, scale=10, top=0, left=0):
    """Draw ``image`` (28x28, bright digit) on the pad with the mouse: one stroke along each run
    of ink in each row, ``scale`` canvas pixels a pixel, from (top, left)."""
    box = page.locator("#pad").bounding_box()
    ratio = box["width"] / CANVAS
    for r, row in enumerate(image > 100):
        ink = np.flatnonzero(row)
        if not ink.size:
            continue
        runs = np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1)
        y = box["y"] + (top + (r + 0.5) * scale) * ratio
        for run in runs:
            x0 = box["x"] + (left + (run[0] + 0.5) * scale) * ratio
            x1 = box["x"] + (left + (run[-1] + 0.5) * scale) * ratio
            page.mouse.move(x0, y)
            page.mouse.down()
            page.mouse.move(x1, y, steps=3)
            page.mouse.up()
    settle(page)


def first(mini, digit):
    return int(np.flatnonzero(mini.t_test == digit)[0])


def test_draw_a_seven_and_an_off_centre_seven(page, mini, shots):
    assert page.locator("[data-testid=empty]").is_visible()  # nothing drawn: no guess
    prompt = i18n.template("studio.draw_prompt", "en")
    assert page.locator("[data-testid=empty]").inner_text() == prompt
    seven = mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0]  # test image 11: a plain 7
    trace(page, seven)
    assert page.locator("[data-testid=prediction]").inner_text() == "7"
    top = page.locator(".bar.top").get_attribute("data-class")
    assert top == "7"
    page.screenshot(path=os.path.join(shots, "studio.png"))
    page.click("#clear")
    assert page.locator("[data-testid=empty]").is_visible()
    trace(page, seven, scale=6, top=112, left=112)  # small, in the bottom right corner
    assert page.locator("[data-testid=prediction]").inner_text() == "7"
    page.click("#undo")  # one stroke fewer: still a prediction, from the page's own request
    settle(page)
    assert page.locator("[data-testid=prediction]").is_visible()


def test_upload_an_image_file(page, mini, tmp_path):
    from .studio_client import paper, png

    three = mini.x_test[first(mini, 3), 0].astype(float)
    path = tmp_path / "three.png"
    path.write_bytes(base64.b64decode(png(paper(three)).split(",")[1]))
    page.set_input_files("#image-file", str(path))
    page.wait_for_selector("[data-testid=prediction]:visible")
    settle(page)
    assert page.locator("[data-testid=prediction]").inner_text() == "3"


def test_click_a_convolution_cell_shows_explain_conv(page, mini, shots):
    k = next(i for i in range(24) if mini.t_test[i] == 7)
    page.click(f"#samples-first canvas[data-index='{k}']")
    settle(page)
    assert page.locator("[data-testid=prediction]").inner_text() == "7"
    page.click("[data-tab=network]")
    channel, (i, j) = 2, (9, 13)
    cell = page.locator(f".layer[data-layer=Conv1] canvas.map[data-channel='{channel}']")
    box = cell.bounding_box()
    cell.click(position={"x": (j + 0.5) * box["width"] / 24, "y": (i + 0.5) * box["height"] / 24})
    page.wait_for_selector("[data-testid=explain-total]")
    settle(page)
    model = api.default_model()
    conv = model.layers["Conv1"]
    x = (mini.x_test[k, 0] / 255).astype(np.float32).astype(np.float64)
    step = ex.explain_conv(
        x, conv.W[channel].astype(np.float64), bias=float(conv.b[channel])
    ).steps[i * 24 + j]
    assert (
        page.locator("[data-testid=explain-where]").inner_text()
        == f"Conv1, channel {channel}, ({i}, {j})"
    )
    # the products as a grid (input × weight over each product), the sum, the bias and the value
    grid = page.locator("#explain [data-testid=products-grid] td .product").all_inner_texts()
    assert len(grid) == 25
    total = page.locator("[data-testid=explain-total]").inner_text()
    assert total.endswith(f"= {ex.number(step.value)}")
    assert f"+ {i18n.template('studio.bias', 'en')} ({ex.number(step.bias)})" in total
    # and the slides' one line, folded away
    assert page.locator("[data-testid=explain-line]").text_content() == step.products()
    assert step.products().endswith(f"= {ex.number(step.value)}")
    page.screenshot(path=os.path.join(shots, "studio-network.png"))


def test_the_playground_with_padding_one(page, shots):
    page.click("[data-tab=playground]")
    output = page.locator("[data-testid=pg-output] td")
    page.wait_for_function("document.querySelectorAll('#pg-output td').length === 4")
    assert output.all_inner_texts() == ["12", "14", "14", "10"]  # the slides
    # pooling on the convolution's output, as in a network; on the input (the slides) as asked
    assert page.locator("[data-testid=pg-pool-output] td").all_inner_texts() == ["14"]
    page.select_option("[data-testid=pg-pool-on]", "input")
    page.wait_for_function("document.querySelectorAll('#pg-pool-output td').length === 4")
    assert page.locator("[data-testid=pg-pool-output] td").all_inner_texts() == ["4", "4", "3", "3"]
    page.select_option("[data-testid=pg-pool-on]", "conv")
    page.wait_for_function("document.querySelectorAll('#pg-pool-output td').length === 1")
    page.fill("#pg-pad", "1")
    page.dispatch_event("#pg-pad", "change")
    page.wait_for_function("document.querySelectorAll('#pg-output td').length === 16")
    assert output.first.inner_text() == "3"
    assert [int(v) for v in output.all_inner_texts()] == [
        3,
        9,
        10,
        11,
        11,
        12,
        14,
        10,
        7,
        14,
        10,
        11,
        8,
        8,
        9,
        6,
    ]
    assert page.locator("#pg-padded td.pad").count() == 6 * 6 - 4 * 4
    page.click("#pg-step")  # the window on the first cell, and its products
    assert page.locator("[data-testid=pg-products]").inner_text().startswith("(0,0): ")
    assert page.locator("[data-testid=pg-products]").inner_text().endswith("= 3")
    page.screenshot(path=os.path.join(shots, "studio-playground.png"))


def test_switch_to_japanese(page, mini, shots):
    from tatamikomi import i18n

    # one button per catalog, named in its own language
    buttons = page.locator("[data-lang]")
    assert buttons.all_inner_texts() == list(i18n.languages().values())
    page.click("#lang-ja")
    settle(page)
    for tab, key in (
        ("draw", "studio.tab_draw"),
        ("network", "studio.tab_network"),
        ("playground", "studio.tab_playground"),
        ("training", "studio.tab_training"),
    ):
        assert page.locator(f"[data-tab={tab}]").inner_text() == i18n.template(key, "ja")
    assert page.evaluate("document.documentElement.lang") == "ja"
    prompt = i18n.template("studio.draw_prompt", "ja")
    assert page.locator("[data-testid=empty]").inner_text() == prompt
    trace(page, mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0])
    assert page.locator("[data-testid=prediction]").inner_text() == "7"
    assert i18n.template("studio.prediction", "ja") in page.locator("#answer").inner_text()
    page.screenshot(path=os.path.join(shots, "studio.ja.png"))
    page.click("[data-tab=playground]")
    assert "パディング" in page.locator(".pg-controls").inner_text()
    assert "フィルタ" in page.locator("#pg-text").text_content()
    page.screenshot(path=os.path.join(shots, "studio-playground.ja.png"))
    # the server's refusals come in the page's language too (the client sends it)
    refused = page.evaluate(
        "import('/static/client.js').then((m) => m.client.samples('m99')).catch((e) => e.message)"
    )
    assert "'m99'" in refused and "ありません" in refused, refused
    page.click("#lang-en")
    assert page.locator("[data-tab=draw]").inner_text() == i18n.template("studio.tab_draw", "en")


def test_train_one_epoch_of_mnist_mini(page, saved, shots):
    page.click("[data-tab=training]")
    page.select_option("#train-dataset", "mnist-mini")
    page.fill("#train-epochs", "1")
    page.click("#train-start")
    page.wait_for_function(
        "Number(document.getElementById('loss-curve').dataset.points || 0) >= 5", timeout=60000
    )
    page.wait_for_selector("[data-testid=train-saved]:not([hidden])", timeout=180000)
    text = page.locator("[data-testid=train-saved]").inner_text()
    name = "simpleconvnet-mnist-mini-1ep.npz"
    assert name in text
    assert page.locator("[data-testid=epochs] tbody tr").count() == 1
    assert page.locator("#filters canvas").count() == 30
    model = models.load(saved / name)
    assert len(model.history["test_acc"]) == 1 and model.history["test_acc"][0] > 0.5
    page.screenshot(path=os.path.join(shots, "studio-training.png"))
    page.click("[data-testid=train-saved] button")  # draw with the new model
    settle(page)
    assert name in page.locator("#model-select option:checked").inner_text()


def test_the_pad_sends_grey_levels_that_predict_as_its_png(page, mini):
    """The pad sends its canvas box-averaged to 70x70 grey levels (the server reads them ten times
    faster than it decodes a 280x280 PNG): the same digit for the network, the same answer."""
    compare = """async () => {
        const {client} = await import('/static/client.js');
        const {pixelsOf} = await import('/static/draw.js');
        const pad = document.getElementById('pad');
        const model = window.studio.model;
        const pixels = pixelsOf(pad);
        const sent = window.studio.image;
        const fromPng = await client.layers({model, png: pad.toDataURL('image/png')});
        const fromPixels = await client.layers({model, pixels});
        return {shape: [pixels.length, pixels[0].length], sent: Object.keys(sent),
                same: JSON.stringify(sent.pixels) === JSON.stringify(pixels),
                ints: pixels.flat().every((v) => Number.isInteger(v) && v >= 0 && v <= 255),
                png: [fromPng.prediction, fromPng.probabilities],
                pixels: [fromPixels.prediction, fromPixels.probabilities]};
    }"""
    for digit, scale, top, left in ((7, 10, 0, 0), (3, 10, 0, 0), (4, 8, 30, 20), (0, 6, 100, 100)):
        page.click("#clear")
        trace(page, mini.x_test[first(mini, digit), 0], scale=scale, top=top, left=left)
        answer = page.evaluate(compare)
        assert answer["shape"] == [70, 70] and answer["sent"] == ["pixels"] and answer["same"]
        assert answer["ints"]
        assert answer["pixels"][0] == answer["png"][0] == digit
        difference = np.abs(np.array(answer["pixels"][1]) - np.array(answer["png"][1])).max()
        assert difference < 1e-2, (digit, difference)


def test_the_exercises_tab_in_the_studio_gives_feedback_a_hint_then_the_answer(page, shots):
    from tatamikomi import exercises

    page.click("[data-tab=exercises]")
    page.wait_for_selector("[data-exercise=stride_floor] input")
    cards = page.locator("article.exercise")
    assert cards.count() == len(exercises.KEYS)
    assert page.locator("[data-exercise=why_padding] .options li").count() == 3
    for typed in ("3.5", "4"):  # not floored (feedback and a hint), then rounded up (the answer)
        page.fill("#answer-stride_floor", typed)
        page.click("[data-exercise=stride_floor] button")
        settle(page)
        if typed == "3.5":
            assert page.locator("[data-testid=mistake-stride_floor]").inner_text() == (
                exercises.check("stride_floor", 3.5).feedback)
            assert page.locator("[data-testid=hint-stride_floor]").is_visible()
            assert page.locator("[data-testid=worked-stride_floor]").count() == 0
    assert "the answer is 3" in page.locator("[data-testid=worked-stride_floor]").inner_text()
    page.fill("#answer-which_params", "4, 1")  # several options, any order
    page.press("#answer-which_params", "Enter")
    settle(page)
    assert "right" in page.locator("[data-testid=feedback-which_params]").get_attribute("class")
    page.click("[data-lang=ja]")  # the questions follow the language; the tries are kept
    page.wait_for_function(
        "document.querySelector('[data-exercise=oh] .question').textContent.includes('求めなさい')"
    )
    assert page.locator("[data-exercise=which_params] button").is_disabled()
    page.screenshot(path=os.path.join(shots, "studio-exercises.ja.png"))
