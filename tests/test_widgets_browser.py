"""The notebook widget in a real JupyterLab: a server started in a temporary folder with a
notebook written here, opened in headless Chromium (Playwright), its cells run; a real MNIST 7
drawn on the widget's canvas with the mouse, the 7 read in the widget and in the kernel
(``studio.prediction``), a convolution cell clicked and its products compared with
:func:`tatamikomi.serve.api.explain` in the kernel.

Skipped with the reason when JupyterLab, anywidget, Playwright or Chromium is missing, except
under CI (``CI`` set), where they must be there and the test fails instead (see
test_studio_browser.py). With ``TATAMIKOMI_SCREENSHOTS=docs/images`` the screenshot of
docs/studio.md is written there."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from tatamikomi import i18n
from tatamikomi.data import load_dataset
from tatamikomi.serve import api

from .test_studio_browser import CHROMIUM, trace
from .test_studio_browser import _missing as _no_browser

#: seconds any one wait may take (JupyterLab's first start on 2 busy cores is the longest)
WAIT = 60
CHANNEL, CELL = 2, (9, 13)
#: a test image of mnist-mini labelled 3 (and predicted as 3), for the second widget
THREE = 13

CELLS = [
    "from tatamikomi.widgets import Studio\nstudio = Studio(lang='en')\nstudio",
    "print('prediction:', studio.prediction, studio.image.shape)",
    "import json\n"
    "from tatamikomi.serve import api\n"
    f"shown = studio.explain('Conv1', {CHANNEL}, {list(CELL)})\n"
    "print('explain:', json.dumps(shown['total']))",
    f"from tatamikomi.widgets import Network\nsecond = Network(lang='ja', sample={THREE})\nsecond",
    "print('second:', second.prediction, studio.prediction)",
    "import tatamikomi as tk\nstudio.model = tk.SimpleConvNet(seed=1)",
    "from tatamikomi.widgets import Training\ntrainer = Training()\ntrainer",
    "print('history:', [e['epoch'] for e in trainer.history])",
]


def _missing() -> str | None:
    for module, extra in (("jupyterlab", "jupyterlab"), ("anywidget", "anywidget")):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install {extra})"
    return _no_browser()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook() -> dict:
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    return {
        "cells": [{**cell, "source": source} for source in CELLS],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server with the notebook, stopped when the module's tests are done."""
    why = _missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the notebook widget's browser test must run in CI: {why}")
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("lab")
    (folder / "studio.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".config"),
           "JUPYTER_RUNTIME_DIR": str(folder / ".runtime"), "TATAMIKOMI_LANG": "en"}
    log = open(folder / "lab.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         "--ip", "127.0.0.1", "--port", str(port), f"--ServerApp.token={token}",
         "--ServerApp.root_dir", str(folder), "--LabApp.news_url=",
         "--LabServerApp.workspaces_dir", str(folder / ".workspaces")],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start: " + (folder / "lab.log").read_text()[-2000:])
            time.sleep(0.3)
        yield f"{url}/lab/tree/studio.ipynb?token={token}"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="en-US")
        context.set_default_timeout(WAIT * 1000)
        tab = context.new_page()
        errors = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto(lab)
        tab.wait_for_selector(".jp-Notebook .jp-Cell")
        # JupyterLab may ask which kernel to start (the notebook's own is preselected)
        with contextlib.suppress(PlaywrightTimeout):
            tab.locator(".jp-Dialog .jp-mod-accept").click(timeout=5000)
        tab.wait_for_selector(".jp-Dialog", state="detached")
        tab.wait_for_function("document.body.innerText.includes('| Idle')")  # the kernel is up
        with contextlib.suppress(PlaywrightTimeout):  # "notified about official news?": no
            tab.locator(".jp-Notification-Toast-Close, .jp-toast-button >> text=No").first.click(
                timeout=3000
            )
        yield tab, errors
        context.close()
        browser.close()


def run_cell(tab, k: int) -> None:
    """Run notebook cell ``k`` (its editor clicked, then Shift+Enter)."""
    cell = tab.locator(".jp-Notebook .jp-Cell").nth(k)
    cell.locator(".jp-InputArea-editor").click()
    tab.keyboard.press("Shift+Enter")


def cell_text(tab, k: int, start: str) -> str:
    """The line of cell ``k``'s output that starts with ``start`` (waited for)."""
    output = tab.locator(".jp-Notebook .jp-Cell").nth(k).locator(".jp-OutputArea-output")
    output.filter(has_text=start).first.wait_for()
    text = output.filter(has_text=start).first.inner_text()
    return next(line for line in text.splitlines() if line.startswith(start))


def settle(tab):
    tab.wait_for_function("window.studio.pending === 0")  # the last widget's util.js state


def a_seven() -> np.ndarray:
    """A test image of mnist-mini labelled 7 that the pretrained model predicts as 7."""
    mini = load_dataset("mnist-mini")
    model = api.default_model()
    for k in np.flatnonzero(mini.t_test == 7)[2:]:
        x = mini.x_test[k : k + 1].astype(np.float32) / 255
        if int(np.argmax(model.predict(x)[0])) == 7:
            return mini.x_test[k, 0]
    raise AssertionError("no 7 of mnist-mini is predicted as 7")


def test_draw_a_seven_in_the_widget_and_explain_a_cell(page):
    tab, errors = page
    run_cell(tab, 0)
    widget = tab.locator(".tatamikomi-studio[data-ready=true]")
    widget.wait_for()
    shot = os.environ.get("TATAMIKOMI_SCREENSHOTS")
    tab.locator(".tatamikomi-studio #pad").scroll_into_view_if_needed()
    trace(tab, a_seven())  # Playwright's selectors see into the widget's (open) shadow root
    prediction = tab.locator(".tatamikomi-studio [data-testid=prediction]")
    assert prediction.inner_text() == "7"
    if shot:
        widget.screenshot(path=os.path.join(shot, "widget-jupyterlab.png"))
    run_cell(tab, 1)
    assert cell_text(tab, 1, "prediction:") == "prediction: 7 (28, 28)"

    tab.locator(".tatamikomi-studio [data-tab=network]").click()
    cell = tab.locator(
        f".tatamikomi-studio .layer[data-layer=Conv1] canvas.map[data-channel='{CHANNEL}']"
    )
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    i, j = CELL
    cell.click(position={"x": (j + 0.5) * box["width"] / 24, "y": (i + 0.5) * box["height"] / 24})
    total = tab.locator(".tatamikomi-studio [data-testid=explain-total]")
    total.wait_for()
    settle(tab)
    where = tab.locator(".tatamikomi-studio [data-testid=explain-where]").inner_text()
    assert where == f"Conv1, channel {CHANNEL}, ({i}, {j})"
    run_cell(tab, 2)
    expected = json.loads(cell_text(tab, 2, "explain:").removeprefix("explain: "))
    # the slides' one line (folded under the products' grid) is the kernel's, digit for digit
    line = tab.locator(".tatamikomi-studio [data-testid=explain-line]")
    assert line.text_content() == expected
    assert total.inner_text().endswith(expected.rsplit("=", 1)[1].strip())
    assert errors == [], errors


def test_a_second_widget_on_the_page_is_a_studio_of_its_own(page):
    """Each view loads its own copy of the modules: the second widget (the network panel alone,
    in Japanese, on a test 3 chosen from Python) shows its own image, and the first keeps its 7,
    its English and its tab; in the kernel each has its own prediction."""
    tab, errors = page
    first = tab.locator(".tatamikomi-studio").nth(0)
    run_cell(tab, 3)
    second = tab.locator(".tatamikomi-studio[data-ready=true]").nth(1)
    second.wait_for()
    second.locator(".layer[data-layer=Conv1]").wait_for()
    settle(tab)
    assert not second.locator("nav.tabs").is_visible()  # one panel alone
    assert second.locator("#tab-network .intro").first.inner_text() == i18n.template(
        "studio.network_intro", "ja"
    )
    assert second.locator("[data-testid=prediction]").text_content() == "3"
    assert first.locator("[data-testid=prediction]").text_content() == "7"  # on its draw tab
    # (text_content: JupyterLab leaves a cell scrolled out of view unrendered)
    assert first.locator("[data-tab=network]").text_content() == i18n.template(
        "studio.tab_network", "en"
    )
    assert first.locator("[data-tab=network]").get_attribute("class") == "active"
    run_cell(tab, 4)
    assert cell_text(tab, 4, "second:") == "second: 3 7"
    assert errors == [], errors


def test_setting_the_model_in_python_switches_the_widget(page):
    tab, errors = page
    run_cell(tab, 5)
    select = tab.locator(".tatamikomi-studio").nth(0).locator("#model-select")
    tab.wait_for_function(
        "s => s.value === 'm2' && s.options.length === 2", arg=select.element_handle()
    )
    settle(tab)
    assert select.locator("option").nth(1).text_content().startswith("SimpleConvNet")
    second = tab.locator(".tatamikomi-studio").nth(1).locator("#model-select")
    assert second.evaluate("s => s.options.length") == 1  # the other studio's models
    assert errors == [], errors


def test_train_one_epoch_in_the_training_panel(page):
    """The training runs in a thread of the kernel; its events reach the panel as messages."""
    tab, errors = page
    run_cell(tab, 6)
    panel = tab.locator(".tatamikomi-studio[data-ready=true]").nth(2)
    panel.wait_for()
    panel.locator("#train-dataset").select_option("mnist-mini")
    panel.locator("#train-epochs").fill("1")
    panel.locator("#train-start").click()
    panel.locator("[data-testid=train-saved]:not([hidden])").wait_for(timeout=3 * WAIT * 1000)
    saved = panel.locator("[data-testid=train-saved]").inner_text()
    assert "simpleconvnet-mnist-mini-1ep.npz" in saved
    assert panel.locator("[data-testid=epochs] tbody tr").count() == 1
    assert int(panel.locator("#loss-curve").get_attribute("data-points")) >= 5
    run_cell(tab, 7)
    assert cell_text(tab, 7, "history:") == "history: [1]"
    assert errors == [], errors
