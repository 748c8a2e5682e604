"""The studio's "Why?" panel and backward view in headless Chromium (skipped, with the reason,
where tests/test_studio_browser.py skips; under CI they must run): a drawn digit gets one map
per default method and the sentence with its runner-up; in the network tab the backward view's
dx map answers a click (and the keyboard) with the cell's terms, whose sum is the API's; axe
finds no serious violation with both open, in English and Japanese, on a phone and a laptop.
Screenshots go to ``TATAMIKOMI_WHY_SHOTS`` (default: a temporary folder)."""

from __future__ import annotations

import json
import os

import pytest

from tatamikomi.explain.attribution import DEFAULT_METHODS

from . import test_studio_browser as studio
from .support import serious_violations

# the browser tests' fixtures and helpers: one Chromium and one studio server
browser, saved, studio_url, mini = studio.browser, studio.saved, studio.studio_url, studio.mini
settle, trace, first = studio.settle, studio.trace, studio.first

VIEWS = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def why_shots(tmp_path_factory):
    folder = os.environ.get("TATAMIKOMI_WHY_SHOTS") or str(tmp_path_factory.mktemp("why-shots"))
    os.makedirs(folder, exist_ok=True)
    return folder


def open_studio(browser, url, view, lang):
    width, height = VIEWS[view]
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1,
        locale="ja-JP" if lang == "ja" else "en-US",
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}?lang={lang}")
    page.wait_for_selector("body[data-ready=true]")
    return context, page, errors


def api_backward(page, layer, cell):
    """The /api/backward answer for the page's current image, asked by the page itself."""
    return page.evaluate(
        """async ([layer, cell]) => {
            const body = {model: window.studio.model, ...window.studio.image, layer, cell};
            const response = await fetch('/api/backward', {method: 'POST',
              body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}});
            return response.json();
        }""",
        [layer, cell],
    )


def shown_cell(page):
    total = page.locator("[data-testid=backward-sum]")
    return [int(v) for v in total.get_attribute("data-cell").split(",")], float(
        total.get_attribute("data-value")
    )


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_why_and_backward_panels(browser, studio_url, mini, why_shots, view, lang):
    context, page, errors = open_studio(browser, studio_url, view, lang)
    try:
        trace(page, mini.x_test[first(mini, 7), 0])
        figures = "document.querySelectorAll('[data-testid=why-figure]').length"
        page.wait_for_function(f"{figures} === {len(DEFAULT_METHODS)}")
        settle(page)
        sentence = page.locator("[data-testid=why-sentence]").inner_text()
        predicted = page.locator("[data-testid=prediction]").inner_text()
        assert predicted in sentence and "%" in sentence
        assert ("runner-up" in sentence) == (lang == "en")
        assert ("次点" in sentence) == (lang == "ja")
        regions = page.locator(".why-region").all_inner_texts()
        assert len(regions) == len(DEFAULT_METHODS) and all(regions)
        page.locator("#why").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(why_shots, f"why-{view}-{lang}.png"))
        assert serious_violations(page) == []

        page.click("#tabbutton-network")
        page.click("[data-testid=backward-toggle]")
        page.wait_for_selector("[data-testid=backward-map]")
        settle(page)
        toggle = page.locator("[data-testid=backward-toggle]")
        assert toggle.get_attribute("aria-expanded") == "true"
        page.locator("[data-testid=backward-map]").scroll_into_view_if_needed()
        box = page.locator("[data-testid=backward-map] canvas").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
        page.wait_for_function(
            "document.querySelector('[data-testid=backward-sum]') && "
            "document.querySelector('[data-testid=backward-sum]').dataset.cell === '0,15,12'"
        )
        settle(page)
        cell, value = shown_cell(page)
        rows = page.locator("[data-testid=backward-terms] tr").count() - 1
        answer = api_backward(page, "Conv1", cell)
        assert value == pytest.approx(answer["cell"]["value"], abs=1e-9)
        assert rows == len(answer["cell"]["terms"])
        page.locator("#backward").scroll_into_view_if_needed()
        page.screenshot(path=os.path.join(why_shots, f"backward-{view}-{lang}.png"))
        assert serious_violations(page) == []

        # the keyboard: the focus stays on the map; an arrow moves its cell, Enter shows it
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "document.querySelector('[data-testid=backward-sum]').dataset.cell === '0,15,13'"
        )
        settle(page)
        # pooling: whether the cell was its window's maximum
        page.select_option("[data-testid=backward-layer]", "Pool1")
        page.wait_for_selector("[data-testid=backward-windows] li")
        settle(page)
        cell, value = shown_cell(page)
        answer = api_backward(page, "Pool1", cell)
        assert value == pytest.approx(answer["cell"]["value"], abs=1e-9)
        marks = page.locator("[data-testid=backward-windows] li")
        assert [marks.nth(k).get_attribute("data-max") for k in range(marks.count())] == [
            json.dumps(w["is_max"]) for w in answer["cell"]["windows"]
        ]
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        assert serious_violations(page) == []
    finally:
        context.close()
    assert errors == [], errors
