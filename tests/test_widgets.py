"""The notebook widget's kernel side (tatamikomi.widgets): every call the studio's panels make,
answered with the same JSON as the HTTP server; bad messages answered with one line; the state a
notebook reads (prediction, image, history) and sets (model); the static picture of a notebook
viewed without a kernel; the one-line failure without anywidget. No browser here (see
test_widgets_browser.py)."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import sys
import time

import numpy as np
import pytest

from tatamikomi import i18n, models
from tatamikomi.data import load_dataset
from tatamikomi.serve import api, routes
from tatamikomi.serve.http import to_json

try:
    from tatamikomi import widgets
except ImportError:  # no anywidget: only the test of that failure runs
    widgets = None

needs_anywidget = pytest.mark.skipif(
    widgets is None, reason='anywidget is not installed (pip install "tatamikomi[notebook]")'
)


@pytest.fixture(scope="module")
def mini():
    return load_dataset("mnist-mini")


@pytest.fixture
def studio(tmp_path):
    """A widget with no front end; what it sends is kept in ``studio.sent``."""
    widget = widgets.Studio(lang="en", save_dir=str(tmp_path))
    widget.sent = []
    widget.send = lambda content, buffers=None: widget.sent.append(content)
    yield widget
    widget.studio.shutdown(30)
    widget.close()


def ask(studio, call, *args, lang=None):
    """The widget's reply to one call of the front end (as its view sends it)."""
    studio.sent.clear()
    message = {"id": 7, "view": "v1", "call": call, "args": list(args)}
    if lang:
        message["lang"] = lang
    studio._received(studio, message, [])
    (reply,) = [m for m in studio.sent if m.get("reply") == 7]
    assert reply["view"] == "v1"
    return reply


def answer(studio, call, *args):
    reply = ask(studio, call, *args)
    assert "error" not in reply, reply
    return json.loads(reply["json"])


def sample_of(mini, digit):
    return int(np.flatnonzero(mini.t_test == digit)[0])


@needs_anywidget
def test_the_answers_are_the_http_handlers(studio, mini):
    registry = studio.studio
    assert answer(studio, "strings") == to_json(routes.strings_answer(registry))
    listed = answer(studio, "models")["models"]
    assert [m["id"] for m in listed] == ["m1"] and listed[0]["source"] == "pretrained"
    samples = answer(studio, "samples", "m1")
    assert samples["dataset"] == "mnist-mini" and len(samples["first"]) == 24
    k = sample_of(mini, 7)
    layers = answer(studio, "layers", {"model": "m1", "sample": k})
    assert layers["prediction"] == 7 and layers["layers"][0]["name"] == "Conv1"
    explained = answer(
        studio, "explain", {"model": "m1", "sample": k, "layer": "Conv1", "channel": 2,
                            "position": [9, 13]},
    )
    image = api.image_from({"sample": k}, api.default_model())
    expected = api.explain(api.default_model(), image, "Conv1", 2, [9, 13])
    assert explained["total"] == expected["total"]
    lecture = answer(studio, "playground", {"pad": 1})
    assert lecture == to_json(api.playground(pad=1))
    added = answer(studio, "openModel", {"builtin": "DeepConvNet"})
    assert added["id"] == "m2" and added["source"] == "spec"
    assert answer(studio, "trainStatus") == {"state": "idle"}


@needs_anywidget
def test_the_notebook_reads_the_prediction_the_image_and_explains_a_cell(studio, mini):
    assert studio.prediction is None and studio.image is None
    k = sample_of(mini, 7)
    answer(studio, "layers", {"model": "m1", "sample": k, "all_channels": True})
    assert studio.prediction == 7
    assert studio.image.shape == (28, 28)
    np.testing.assert_array_equal(studio.image, mini.x_test[k, 0])
    shown = studio.explain("Conv1", 2, (9, 13))
    image = api.image_from({"sample": k}, api.default_model())
    assert shown["total"] == api.explain(api.default_model(), image, "Conv1", 2, (9, 13))["total"]
    answer(studio, "layers", {"model": "m1", "pixels": [[255] * 28] * 28})  # blank paper
    assert studio.prediction is None and studio.image is None


@needs_anywidget
def test_setting_the_model_serves_it_and_tells_the_front_end(studio):
    model = models.get_model("SimpleConvNet", seed=3)
    studio.model = model
    assert studio.sent[-1] == {"select": "m2"}
    assert studio.model is model
    assert [m["id"] for m in answer(studio, "models")["models"]] == ["m1", "m2"]
    with pytest.raises(TypeError, match="tatamikomi model"):
        studio.model = "SimpleConvNet"


@needs_anywidget
def test_training_runs_in_a_thread_and_its_events_are_pushed(studio, mini, monkeypatch):
    small = dataclasses.replace(
        mini, x_train=mini.x_train[:200], t_train=mini.t_train[:200],
        x_test=mini.x_test[:100], t_test=mini.t_test[:100],
    )
    registry = studio.studio
    monkeypatch.setattr(
        registry, "start_training",
        functools.partial(type(registry).start_training, registry, data=small),
    )
    assert ask(studio, "trainCommand", "pause")["status"] == 404  # nothing started yet
    started = answer(studio, "train", {"epochs": 1, "batch_size": 50})
    assert started["state"] == "loading"
    studio._received(studio, {"id": 9, "view": "v1", "call": "trainEvents", "args": [0]}, [])
    answer(studio, "trainCommand", "pause")
    answer(studio, "trainCommand", "resume")
    assert ask(studio, "trainCommand", "jump")["error"].startswith("unknown training command")
    run = registry.training
    assert run.join(120)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pushed = [json.loads(m["json"]) for m in list(studio.sent) if m.get("stream") == 9]
        if any(e["type"] == "state" and e["state"] == "finished" for e in pushed):
            break
        time.sleep(0.05)
    types = {e["type"] for e in pushed}
    assert {"state", "step", "epoch"} <= types
    assert [e["epoch"] for e in studio.history] == [1]
    assert answer(studio, "trainStatus")["state"] == "finished"


@needs_anywidget
def test_a_bad_message_is_answered_with_one_line(studio, monkeypatch):
    cases = [
        ({"id": 7, "view": "v1", "call": "nope"}, "has no call \"nope\""),
        ({"id": 7, "view": "v1", "call": "layers", "args": "x"}, "arguments in a list"),
        ({"id": 7, "view": "v1", "call": "layers", "args": [5]}, "takes a JSON object"),
        ({"id": 7, "view": "v1", "call": "layers", "args": [{"sample": "x"}]}, "sample"),
        ({"id": 7, "view": "v1", "call": "samples", "args": ["m9"]}, "m9"),
    ]
    for message, words in cases:
        studio.sent.clear()
        studio._received(studio, message, [])
        (reply,) = studio.sent
        assert reply["reply"] == 7 and "\n" not in reply["error"] and words in reply["error"]
        assert reply["status"] in (400, 404, 422)
    for junk in (None, 5, "text", [1, 2]):
        reply = widgets.dispatch(studio.studio, junk)
        assert reply["status"] == 400 and "has no call" in reply["error"]
    monkeypatch.setitem(widgets.CALLS, "models", lambda studio, args: 1 / 0)
    reply = ask(studio, "models")
    assert reply["status"] == 500 and "Traceback" not in reply["error"]
    assert reply["error"].startswith("internal error in the studio widget (ZeroDivisionError")


@needs_anywidget
def test_a_refusal_is_said_in_the_front_ends_language(studio):
    reply = ask(studio, "nope", lang="ja")
    assert reply["error"] == i18n.text(
        "errors.widget_unknown_call", call='"nope"', known=", ".join(sorted(widgets.CALLS)),
        lang="ja",
    )


@needs_anywidget
def test_each_panel_alone_and_the_page_is_the_web_studios(studio):
    for kind, panel in [(widgets.Draw, "draw"), (widgets.Network, "network"),
                        (widgets.Playground, "playground"), (widgets.Training, "training")]:
        alone = kind(lang="ja", sample=13)
        assert alone._panel == panel and alone._lang == "ja" and alone.sample == 13
        alone.close()
    page = studio._page
    assert 'id="pad"' in page["markup"] and "<script" not in page["markup"]
    assert set(page["sources"]) >= {"app.js", "client.js", "util.js", "draw.js", "network.js",
                                    "playground.js", "training.js"}
    # the front end's client offers what the kernel answers, the panels' calls among them
    assert page["calls"] == sorted(widgets.CALLS)
    assert {"why", "backward", "exercises", "answer", "layers"} <= set(page["calls"])


@needs_anywidget
def test_without_a_kernel_the_widget_is_a_picture(studio, mini):
    data, _ = studio._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/html"].startswith('<figure><img src="data:image/png;base64,')
    assert "pip install" in data["text/html"]
    assert studio.picture()[:8] == b"\x89PNG\r\n\x1a\n"
    answer(studio, "layers", {"model": "m1", "sample": sample_of(mini, 3)})
    assert studio.picture() != widgets.Studio(lang="en").picture()  # the image last seen


def test_without_anywidget_the_import_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "anywidget", None)  # an import of it fails
    monkeypatch.delitem(sys.modules, "tatamikomi.widgets", raising=False)
    with pytest.raises(ImportError) as failed:
        importlib.import_module("tatamikomi.widgets")
    assert str(failed.value) == (
        'anywidget is not installed; install it with: pip install "tatamikomi[notebook]"'
    )
