"""The studio on a phone, on a projector and by keyboard, in headless Chromium (skipped, with
the reason, where tests/test_studio_browser.py skips; under CI they must run): no horizontal
scroll on any panel at 390 px and 1920 px, the prediction and a cell's explanation on screen
after drawing and tapping, a prediction and an explanation reached with the keyboard alone,
and axe-core (tests/vendor/axe-core) finding no serious or critical violation on any panel in
English or Japanese. With ``TATAMIKOMI_SCREENSHOTS=docs/images`` the phone and projector
screenshots of docs/studio.md are written there."""

from __future__ import annotations

import os

import numpy as np
import pytest

from . import test_studio_browser as studio
from .support import serious_violations

# the browser tests' fixtures and helpers: one Chromium and one studio server for both files' rules
browser, saved, studio_url, shots, mini = (
    studio.browser,
    studio.saved,
    studio.studio_url,
    studio.shots,
    studio.mini,
)
settle, trace = studio.settle, studio.trace

PANELS = ("draw", "network", "playground", "training")


def open_studio(browser, url, width, height, lang="en", touch=False):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="ja-JP" if lang == "ja" else "en-US",
        has_touch=touch,
        is_mobile=touch,
        device_scale_factor=1,
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}?lang={lang}")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#samples-first button")
    return context, page, errors


def no_sideways_scroll(page, where):
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{where}: {width[0]} px wide in a {width[1]} px window"


def on_screen(page, selector):
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    return box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"] and box["x"] >= 0


def show(page, tab):
    page.click(f"[data-tab={tab}]")
    settle(page)


def explain_a_cell(page, tap):
    """Tap (or click) cell (9, 13) of Conv1's channel 2; the explanation must be on screen."""
    cell = page.locator(".layer[data-layer=Conv1] .map-button[data-channel='2']")
    cell.scroll_into_view_if_needed()
    box = cell.locator("canvas").bounding_box()
    where = {"x": 13.5 * box["width"] / 24, "y": 9.5 * box["height"] / 24}
    (cell.tap if tap else cell.click)(position=where)
    page.wait_for_selector("[data-testid=explain-total]")
    settle(page)
    assert page.locator("[data-testid=explain-where]").inner_text().endswith("(9, 13)")
    assert page.locator("[data-testid=explained-cell]").count() == 1  # marked on its map
    assert page.locator("#explain [data-testid=products-grid] td").count() == 25
    assert on_screen(page, "[data-testid=explain-where]"), "the explanation is off screen"


@pytest.mark.parametrize(
    "name, width, height, lang, touch",
    [
        ("phone", 390, 844, "en", True),
        ("phone", 390, 844, "ja", True),
        ("projector", 1920, 1080, "en", False),
        ("projector", 1920, 1080, "ja", False),
    ],
)
def test_every_panel_fits_and_answers_on_screen(
    browser, studio_url, mini, shots, name, width, height, lang, touch
):
    context, page, errors = open_studio(browser, studio_url, width, height, lang, touch)
    suffix = "" if lang == "en" else f".{lang}"
    seven = mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0]
    trace(page, seven)
    assert page.locator("[data-testid=prediction]").inner_text() == "7"
    # the answer beside (or under) the pad, within the first screen, without scrolling
    assert page.evaluate("window.scrollY") == 0
    assert on_screen(page, "[data-testid=quick]")
    assert "7" in page.locator("[data-testid=quick]").inner_text()
    no_sideways_scroll(page, "draw")
    page.screenshot(path=os.path.join(shots, f"studio-{name}{suffix}.png"))
    show(page, "network")
    no_sideways_scroll(page, "network")
    explain_a_cell(page, tap=touch)
    no_sideways_scroll(page, "network, a cell explained")
    page.screenshot(path=os.path.join(shots, f"studio-{name}-network{suffix}.png"))
    for tab in ("playground", "training"):
        show(page, tab)
        no_sideways_scroll(page, tab)
    if touch:  # every button and field at least 44 px high on a touch screen
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, select, input:not([type=file])')]
                .filter((e) => e.offsetParent !== null)
                .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect().height])
                .filter(([, h]) => h < 44)"""
        )
        assert small == [], small
    context.close()
    assert errors == [], errors


def test_a_prediction_and_an_explanation_by_keyboard_alone(browser, studio_url):
    context, page, errors = open_studio(browser, studio_url, 1360, 900)

    def tab_until(selector, back=False, limit=120):
        for _ in range(limit):
            page.keyboard.press("Shift+Tab" if back else "Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    # upload: a real button that clicks the hidden file input (its chooser held back here)
    page.evaluate(
        """() => document.getElementById('image-file').addEventListener('click', (event) => {
            window.uploadOpened = true; event.preventDefault(); })"""
    )
    tab_until("#image-file-button")
    page.keyboard.press("Enter")
    assert page.evaluate("window.uploadOpened === true")
    tab_until("#samples-first button")
    page.keyboard.press("Enter")
    settle(page)
    assert page.locator("[data-testid=prediction]").is_visible()
    label = page.evaluate("document.activeElement.dataset.index")
    assert label is not None
    tab_until("[role=tab][aria-selected=true]", back=True)
    page.keyboard.press("ArrowRight")  # the tabs: arrows move and select
    assert page.locator("[data-tab=network]").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.dataset.tab") == "network"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.dataset.tab") == "exercises"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-network").is_visible()
    tab_until(".layer[data-layer=Conv1] .map-button")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    page.wait_for_selector("[data-testid=explain-total]")
    settle(page)
    assert page.locator("[data-testid=explain-where]").inner_text() == "Conv1, channel 0, (3, 4)"
    page.keyboard.press("Enter")  # Enter explains too, the same cell
    settle(page)
    assert page.locator("[data-testid=explain-where]").inner_text() == "Conv1, channel 0, (3, 4)"
    tab_until("#explain-body [data-move=right]")  # the neighbour buttons step the cell
    page.keyboard.press("Enter")
    settle(page)
    assert page.locator("[data-testid=explain-where]").inner_text() == "Conv1, channel 0, (3, 5)"
    assert page.evaluate("document.activeElement.dataset.move") == "right"  # focus kept
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_serious_accessibility_violation_on_any_panel(browser, studio_url, lang):
    context, page, errors = open_studio(browser, studio_url, 1360, 900, lang)
    page.click("#samples-first button >> nth=0")
    settle(page)
    found = {}
    for panel in PANELS:
        show(page, panel)
        if panel == "network":
            explain_a_cell(page, tap=False)
        violations = serious_violations(page)
        if violations:
            found[panel] = violations
    context.close()
    assert found == {}, found
    assert errors == [], errors


def test_large_text_at_360_px_fits_and_is_remembered(browser, studio_url):
    context, page, errors = open_studio(browser, studio_url, 360, 740, "ja", touch=True)
    size = "parseFloat(getComputedStyle(document.body).fontSize)"
    normal = page.evaluate(size)
    page.tap("#large-text")
    assert page.locator("#large-text").get_attribute("aria-pressed") == "true"
    assert page.evaluate(size) > 1.2 * normal
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.body.classList.contains('large-text')")  # remembered
    page.tap("#samples-first button >> nth=0")
    settle(page)
    for tab in PANELS:
        show(page, tab)
        no_sideways_scroll(page, f"{tab}, large text at 360 px")
    context.close()
    assert errors == [], errors


def test_the_loss_chart_is_logarithmic_with_epochs_and_labels_outside_the_curve(
    browser, studio_url
):
    """A DeepConvNet-like run (first loss 7.1, then 2.3 falling to 0.05 over 3 epochs), fed
    through client.replaceClient: the later points spread over the plot instead of lying flat
    under the first, each epoch has its tick, and no label lies inside the plot area."""
    context, page, errors = open_studio(browser, studio_url, 1360, 900)
    show(page, "training")
    page.evaluate(
        """async () => {
            const {replaceClient} = await import('/static/client.js');
            replaceClient({
                train: async () => ({state: 'running'}),
                trainStatus: async () => ({state: 'running'}),
                trainEvents(after, onEvent) {
                    const events = [{type: 'state', state: 'running'}];
                    for (let step = 1; step <= 90; step++) {
                        const loss = step === 1 ? 7.1 : 2.3 * Math.exp(-step / 24);
                        events.push({type: 'step', step, loss});
                        if (step % 30 === 0) events.push({type: 'epoch', epoch: step / 30,
                            loss, train_acc: 0.8 + step / 1000, test_acc: 0.78 + step / 1000});
                    }
                    setTimeout(() => events.forEach(onEvent), 0);
                    return {close() {}};
                },
            });
        }"""
    )
    page.click("#train-start")
    page.wait_for_function("document.getElementById('loss-curve').dataset.points === '90'")
    chart = page.evaluate(
        """() => {
            const svg = document.getElementById('loss-curve');
            const ys = svg.querySelector('polyline').getAttribute('points').split(' ')
                .map((p) => Number(p.split(',')[1]));
            const later = ys.slice(1);
            const texts = [...svg.querySelectorAll('text')].map((t) => {
                const b = t.getBBox();
                const [x0, y0] = [b.x, b.y];
                return {text: t.textContent, x0, x1: x0 + b.width, y0, y1: y0 + b.height};
            });
            return {spread: Math.max(...later) - Math.min(...later), texts,
                    epochLines: svg.querySelectorAll('.epoch-line').length,
                    label: svg.getAttribute('aria-label')};
        }"""
    )
    assert chart["spread"] > 0.5 * (138 - 8), chart["spread"]  # not flattened by the 7.1
    assert chart["epochLines"] == 3
    assert {"1", "2", "3"} <= {t["text"] for t in chart["texts"]}
    inside = [
        t
        for t in chart["texts"]
        if t["x0"] > 46 and t["x1"] < 394 and t["y0"] > 8 and t["y1"] < 138
    ]
    assert inside == [], inside  # the plot area holds the curve and grid lines only
    assert "7.1" in chart["label"]
    assert page.locator("[data-testid=epochs] tbody tr").count() == 3
    context.close()
    assert errors == [], errors
