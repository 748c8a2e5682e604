"""The studio's JSON API in-process: every endpoint, bad requests, limits, training with its
events, predictions while training. Servers listen on the loopback on a free port and stop by
themselves at the end of each test."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tatamikomi import explain as ex
from tatamikomi import i18n, lecture, models
from tatamikomi.images import to_mnist
from tatamikomi.serve import api, server

from .support import japanese_words_left, small, until

from .studio_client import paper, png, post, request



def unpack(value):
    if isinstance(value, dict) and "base64" in value:
        data = np.frombuffer(base64.b64decode(value["base64"]), "<f4")
        return data.reshape(value["shape"])
    return np.array(value, dtype=float)


def first(mini, digit):
    return int(np.flatnonzero(mini.t_test == digit)[0])


# ---------------------------------------------------------------------------------------------
# Strings, pages, models


def test_pages_and_strings_are_served(url):
    status, page = request(url, "GET", "/")
    assert status == 200 and b'<canvas id="pad"' in page
    status, script = request(url, "GET", "/static/app.js")
    assert status == 200 and b"import" in script
    status, answer = request(url, "GET", "/api/strings")
    studio = [key for key in i18n.catalog("en") if key.startswith("studio.")]
    assert status == 200 and answer["strings"] == {
        key: {lang: i18n.template(key, lang) for lang in i18n.languages()} for key in studio
    }


def test_only_the_client_module_reaches_the_server():
    """The panels call static/client.js, the one module with fetch and EventSource (another
    transport replaces it), and the language buttons come from /api/strings."""
    static = os.path.join(os.path.dirname(api.__file__), "static")
    for name in sorted(os.listdir(static)):
        if name.endswith(".js") and name != "client.js":
            with open(os.path.join(static, name), encoding="utf-8") as f:
                code = f.read()
            assert "fetch(" not in code and "EventSource" not in code, name
    with open(os.path.join(static, "index.html"), encoding="utf-8") as f:
        assert "data-lang=" not in f.read()


def test_models_are_listed_and_described(url, model):
    status, answer = request(url, "GET", "/api/models")
    assert status == 200
    (entry,) = answer["models"]
    assert entry["id"] == "m1" and entry["classes"] == [str(k) for k in range(10)]
    assert [layer["name"] for layer in entry["layers"]] == list(model.layers.keys())
    conv = entry["layers"][0]
    assert conv["output_shape"] == [30, 24, 24] and conv["explainable"]
    assert conv["notes_en"][0].endswith("(28 + 2*0 - 5) / 1 + 1 = 24")
    assert "フィルタ" in conv["kind_ja"]
    assert entry["test_accuracy"] > 0.98
    status, one = request(url, "GET", "/api/models/m1")
    assert status == 200 and one == entry
    status, data = request(url, "GET", "/api/models/m1/file")
    with open(api.pretrained_path(), "rb") as f:
        assert status == 200 and data == f.read()


def test_the_shipped_model_is_a_normal_model_file():
    model = models.load(api.pretrained_path())
    assert type(model).__name__ == "SimpleConvNet"
    assert model.history["test_acc"][-1] > 0.99  # measured on the full MNIST test set
    assert os.path.getsize(api.pretrained_path()) < 3 * 2**20


# ---------------------------------------------------------------------------------------------
# Predictions


def test_predict_a_test_seven_as_the_engine_does(url, model, mini):
    k = first(mini, 7)
    status, answer = post(url, "/api/predict", {"pixels": mini.x_test[k, 0].tolist()})
    assert status == 200 and answer["prediction"] == 7 and not answer["empty"]
    x = (mini.x_test[k : k + 1] / 255).astype(np.float32)
    scores = model.predict(x)[0].astype(np.float64)
    expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    np.testing.assert_allclose(answer["probabilities"], expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(answer["seen"], mini.x_test[k])


def test_predict_a_drawing_on_paper_and_an_off_centre_one(url, mini):
    seven = mini.x_test[first(mini, 7), 0].astype(float)
    for sheet in (paper(seven), paper(seven, corner=(10, 135))):
        status, answer = post(url, "/api/predict", {"png": png(sheet)})
        assert status == 200 and answer["prediction"] == 7
        seen = np.array(answer["seen"])[0]
        np.testing.assert_allclose(seen, to_mnist(sheet), atol=1e-9)
        rows, cols = np.nonzero(seen > 128)
        assert 8 <= rows.mean() <= 20 and 8 <= cols.mean() <= 20  # centred


def test_a_blank_canvas_is_an_empty_state_not_a_guess(url):
    status, answer = post(url, "/api/predict", {"png": png(np.full((280, 280), 255))})
    assert status == 200 and answer["empty"] is True and "prediction" not in answer
    status, answer = post(url, "/api/layers", {"pixels": [[0] * 28] * 28})
    assert status == 200 and answer["empty"] is True and answer["layers"] == []


def test_a_test_image_by_index_keeps_its_label(url, mini):
    status, answer = post(url, "/api/predict", {"sample": 5})
    assert status == 200 and answer["label"] == int(mini.t_test[5])


def test_samples_list_first_and_misclassified_images(url, model, mini):
    status, answer = request(url, "GET", "/api/samples?model=m1")
    assert status == 200 and answer["dataset"] == "mnist-mini"
    assert [s["index"] for s in answer["first"]] == list(range(24))
    for sample in answer["wrong"]:
        assert (
            sample["label"]
            != sample["predicted"]
            == int(
                np.argmax(model.predict(mini.x_test[sample["index"] : sample["index"] + 1] / 255))
            )
        )
    np.testing.assert_array_equal(answer["first"][0]["pixels"], mini.x_test[0, 0])


def test_layers_are_the_models_layers_in_order(url, model, mini):
    k = first(mini, 3)
    status, answer = post(url, "/api/layers", {"sample": k})
    assert status == 200 and answer["prediction"] == 3
    x = (mini.x_test[k : k + 1] / 255).astype(np.float32)
    names = list(model.layers.keys())
    assert [layer["name"] for layer in answer["layers"]] == names
    for layer, entry in zip(model.layers.values(), answer["layers"]):
        x = layer.forward(x)
        assert entry["shape"] == list(x.shape[1:])
        shown = unpack(entry["output"])
        expected = x[0][: api.DEFAULT_CHANNELS] if x.ndim == 4 else x[0]
        np.testing.assert_allclose(shown, expected, rtol=1e-6, atol=1e-6)
        assert entry["max"] == pytest.approx(float(x.max()), rel=1e-6)
    status, every = post(url, "/api/layers", {"sample": k, "all_channels": True})
    assert unpack(every["layers"][0]["output"]).shape == (30, 24, 24)
    assert answer["layers"][0]["channels"] == 30


# ---------------------------------------------------------------------------------------------
# Explanations


def test_explain_a_convolution_cell_as_explain_conv_does(url, model, mini):
    k = first(mini, 7)
    body = {"sample": k, "layer": "Conv1", "channel": 4, "position": [9, 11]}
    status, answer = post(url, "/api/explain", body)
    assert status == 200 and answer["kind"] == "conv"
    x = (mini.x_test[k, 0] / 255).astype(np.float32).astype(np.float64)
    conv = model.layers["Conv1"]
    expected = ex.explain_conv(x, conv.W[4].astype(np.float64), bias=float(conv.b[4]))
    step = expected.steps[9 * 24 + 11]
    assert answer["total"] == step.products()
    np.testing.assert_array_equal(answer["window"], step.window)
    np.testing.assert_array_equal(answer["window"][0], x[9:14, 11:16])
    assert answer["origin"] == [9, 11] and answer["bias"] == float(conv.b[4])
    assert answer["value"] == pytest.approx(answer["layer_value"], abs=1e-5)
    assert answer["size"][0].endswith("= 24")


def test_explain_a_pooling_cell(url, model, mini):
    k = first(mini, 7)
    status, answer = post(
        url, "/api/explain", {"sample": k, "layer": "Pool1", "channel": 1, "position": [5, 6]}
    )
    assert status == 200 and answer["kind"] == "max"
    x = (mini.x_test[k : k + 1] / 255).astype(np.float32)
    for name in ("Conv1", "Relu1"):
        x = model.layers[name].forward(x)
    window = x[0, 1, 10:12, 12:14]
    np.testing.assert_allclose(answer["window"][0], window, rtol=1e-6)
    assert answer["value"] == pytest.approx(float(window.max()), rel=1e-6)
    assert answer["total"].startswith("max(") and answer["origin"] == [10, 12]


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"layer": "Relu1", "channel": 0, "position": [0, 0]}, 400, "no windows"),
        ({"layer": "Conv9", "channel": 0, "position": [0, 0]}, 400, "no layer"),
        ({"layer": "Conv1", "channel": 30, "position": [0, 0]}, 400, "channel must be"),
        ({"layer": "Conv1", "channel": 0, "position": [24, 0]}, 400, "within the 24x24"),
        ({"layer": "Conv1", "channel": 0, "position": "x"}, 400, "position"),
        ({"layer": "Conv1", "channel": 0}, 400, '"position"'),
    ],
)
def test_explain_refuses_what_it_cannot_explain(url, body, status, words):
    code, answer = post(url, "/api/explain", {"sample": 0, **body})
    assert code == status and words in answer["error"]


# ---------------------------------------------------------------------------------------------
# The playground


def test_the_playground_reproduces_the_slides(url):
    status, answer = post(url, "/api/playground", {})
    assert status == 200
    np.testing.assert_array_equal(answer["conv"]["output"], lecture.CONV_OUTPUT)
    np.testing.assert_array_equal(answer["pool"]["output"], lecture.MAX_POOL_OUTPUT)
    assert answer["conv"]["steps"][0]["products"] == ex.explain_conv().steps[0].products()
    assert answer["conv"]["steps"][0]["products"].endswith("= 12")
    assert np.array(answer["im2col"]["col"]).shape == (4, 9)
    status, padded = post(url, "/api/playground", {"pad": 1})
    np.testing.assert_array_equal(padded["conv"]["output"], lecture.CONV_OUTPUT_PAD1)
    assert padded["conv"]["output"][0][0] == 3
    assert np.array(padded["conv"]["padded"]).shape == (6, 6)
    assert padded["conv"]["steps"][0]["origin"] == [-1, -1]
    status, ja = post(url, "/api/playground", {"lang": "ja", "stride": 2, "bias": 1, "mode": "avg"})
    assert status == 200 and "フィルタ" in ja["conv"]["text"]
    np.testing.assert_array_equal(ja["conv"]["output"], lecture.CONV_OUTPUT[::2, ::2] + 1)
    np.testing.assert_allclose(ja["pool"]["output"], [[2.5, 2.5], [1.5, 2]])


def test_the_studio_asks_the_exercises_and_the_page_counts_the_tries(url):
    from tatamikomi import exercises

    status, listed = request(url, "GET", "/api/exercises")
    assert status == 200 and [e["id"] for e in listed["exercises"]] == list(exercises.KEYS)
    assert listed["exercises"][0]["level"] == "basic"
    first = post(url, "/api/exercises/answer", {"id": "stride_floor", "answer": "3.5"})[1]
    assert first["feedback"] == exercises.check("stride_floor", 3.5).feedback  # no floor
    assert "hint" in first and "answer is" not in first["message"]
    second = post(url, "/api/exercises/answer", {"id": "stride_floor", "answer": "4", "tries": 2})
    assert second[0] == 200 and "the answer is 3" in second[1]["message"]
    right = post(url, "/api/exercises/answer", {"id": "which_params", "answer": "4 1"})[1]
    assert right["correct"] and right["tries"] == 1
    nothing = post(url, "/api/exercises/answer", {"id": "oh", "answer": "?", "lang": "ja"})[1]
    assert nothing["correct"] is False and nothing["message"] == i18n.text(
        "studio.class_answer_number", lang="ja")
    for body, code in (
        ({"id": "oh", "answer": 3, "tries": 0}, 400),
        ({"id": "oh", "answer": 3, "tries": "2"}, 400),
        ({"id": "nope", "answer": 3}, 404), ({"id": "oh"}, 400),
        ({"id": "oh", "answer": list(range(17))}, 400),
    ):
        status, answer = post(url, "/api/exercises/answer", {**body, "lang": "ja"})
        assert status == code and japanese_words_left(answer["error"]) == [], (body, answer)


def test_the_playground_pools_the_convolution_output_when_asked(url):
    status, answer = post(url, "/api/playground", {"pad": 1, "pool_on": "conv"})
    assert status == 200 and answer["pool"]["on"] == "conv"
    np.testing.assert_array_equal(answer["pool"]["input"], lecture.CONV_OUTPUT_PAD1)
    np.testing.assert_array_equal(answer["pool"]["output"], [[12, 14], [14, 11]])
    status, slides = post(url, "/api/playground", {})
    assert slides["pool"]["on"] == "input"  # the slides' example by default
    np.testing.assert_array_equal(slides["pool"]["input"], lecture.INPUT)
    # a 1x1 convolution output cannot be pooled 2x2: said, and the convolution still answered
    status, small = post(url, "/api/playground", {"stride": 3, "pool_on": "conv"})
    assert status == 200 and np.array(small["conv"]["output"]).shape == (1, 1)
    assert small["pool"]["error"] and "output" not in small["pool"]


@pytest.mark.parametrize(
    "body, words",
    [
        ({"stride": 0}, "stride must be"),
        ({"pad": -1}, "padding must be"),
        ({"filter": [[1] * 5] * 5}, "does not fit"),
        ({"input": [[1] * 13] * 13}, "at most 12x12"),
        ({"input": [[1, 2], [3]]}, "input"),
        ({"bias": "x"}, "bias"),
        ({"mode": "min"}, "mode"),
        ({"pool_on": "filter"}, "pooled"),
        ({"lang": "fr"}, "lang"),
        ({"colour": 1}, "unknown playground settings"),
    ],
)
def test_the_playground_refuses_bad_settings(url, body, words):
    status, answer = post(url, "/api/playground", body)
    assert status == 400 and words in answer["error"], answer


# ---------------------------------------------------------------------------------------------
# Bad requests and limits: a clear JSON error, and the server carries on


def test_bad_requests_are_refused_in_the_requests_language(url):
    """Each endpoint's refusals, asked for in Japanese, are Japanese: the English left is only
    names (of JSON keys, in 「」, paths, methods, formats), no English sentence."""
    cases = [
        request(url, "POST", "/api/predict?lang=ja", {"pixels": [[1, 2], [3]]}),
        request(url, "POST", "/api/predict?lang=ja", {"png": "x", "sample": 1}),
        request(url, "POST", "/api/predict?lang=ja", {"png": "***"}),
        request(url, "POST", "/api/predict?lang=ja", {"file": "aGVsbG8="}),  # not an image
        request(url, "POST", "/api/layers?lang=ja", {"sample": 10**6}),
        request(url, "POST", "/api/explain?lang=ja", {"sample": 0}),
        request(
            url,
            "POST",
            "/api/explain?lang=ja",
            {"sample": 0, "layer": "no", "channel": 0, "position": [0, 0]},
        ),
        request(
            url,
            "POST",
            "/api/explain?lang=ja",
            {"sample": 0, "layer": "Affine1", "channel": 0, "position": [0, 0]},
        ),
        request(url, "POST", "/api/playground", {"lang": "ja", "stride": 0}),
        request(url, "POST", "/api/playground", {"lang": "ja", "input": [[1] * 13] * 13}),
        request(url, "POST", "/api/playground?lang=ja", {"colour": 1}),
        request(url, "POST", "/api/models?lang=ja", {"builtin": "LeNet"}),
        request(url, "POST", "/api/train?lang=ja", {"epochs": 0}),
        request(url, "POST", "/api/train?lang=ja", {"dataset": "cifar"}),
        request(url, "POST", "/api/train/stop?lang=ja", {}),
        request(url, "GET", "/api/models/m99?lang=ja"),
        request(url, "GET", "/nothing?lang=ja"),
        request(url, "DELETE", "/api/models?lang=ja"),
        request(url, "POST", "/api/predict?lang=ja", raw=b"{}", headers={"Content-Type": "x/y"}),
    ]
    for status, answer in cases:
        assert 400 <= status < 500 and answer["status"] == status, answer
        message = answer["error"]
        prose = re.sub("「[^」]*」|base64|\\bm\\d+\\b", " ", message)  # names, a model's id
        assert not japanese_words_left(prose), message
        assert re.search("[\u3040-\u30ff]", message), message


def test_bad_requests_get_json_errors_and_the_server_stays_up(url):
    cases = [
        (request(url, "GET", "/nothing"), 404, "no such page"),
        (request(url, "GET", "/static/../server.py"), 404, "no such file"),
        (request(url, "GET", "/static/%2e%2e/api.py"), 404, "no such file"),
        (request(url, "GET", "/api/predict"), 405, "POST"),
        (request(url, "DELETE", "/api/models"), 405, "GET or POST"),
        (
            request(
                url, "POST", "/api/predict", raw=b"{", headers={"Content-Type": "application/json"}
            ),
            400,
            "not valid JSON",
        ),
        (
            request(
                url,
                "POST",
                "/api/predict",
                raw=b"[1]",
                headers={"Content-Type": "application/json"},
            ),
            400,
            "JSON object",
        ),
        (
            request(url, "POST", "/api/predict", raw=b"{}", headers={"Content-Type": "text/plain"}),
            415,
            "application/json",
        ),
        (post(url, "/api/predict", {}), 400, "exactly one of"),
        (post(url, "/api/predict", {"png": "!!!"}), 400, "not valid base64"),
        (
            post(url, "/api/predict", {"file": base64.b64encode(b"hello").decode()}),
            400,
            "not a PNG",
        ),
        (post(url, "/api/predict", {"file": ""}), 400, "empty"),
        (post(url, "/api/predict", {"pixels": [[1, 2], [3]]}), 400, "pixels"),
        (post(url, "/api/predict", {"sample": 10**6}), 400, "sample"),
        (post(url, "/api/predict", {"model": "m7", "sample": 1}), 404, "no model"),
        (post(url, "/api/predict", {"model": "training", "sample": 1}), 404, "no training"),
        (request(url, "GET", "/api/models/m5"), 404, "no model"),
        (request(url, "GET", "/api/train/events"), 404, "no training"),
        (post(url, "/api/train/pause", {}), 404, "no training"),
        (request(url, "GET", "/", headers={"Host": "evil.example:80"}), 403, "localhost"),
    ]
    for (status, answer), expected, words in cases:
        assert status == expected and words in answer["error"], answer
        assert answer["status"] == expected and "Traceback" not in answer["error"]
    status, answer = post(url, "/api/predict", {"sample": 1})
    assert status == 200


def test_size_limits(url):
    connection = http.client.HTTPConnection("127.0.0.1", url, timeout=30)
    connection.putrequest("POST", "/api/predict")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(server.MAX_BODY + 1))
    connection.endheaders()  # the body is never sent: the server answers from the header
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 413 and "at most" in answer["error"]
    connection.close()
    status, answer = request(
        url,
        "POST",
        "/api/predict",
        raw=b"",
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    assert status == 411
    huge = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    )
    status, answer = post(
        url, "/api/predict", {"file": base64.b64encode(huge + b"\0" * 8).decode()}
    )
    assert status == 413 and "100000x100000" in answer["error"]
    big = "A" * (api.MAX_IMAGE_BYTES * 4 // 3 + 8)
    status, answer = post(url, "/api/predict", {"file": big})
    assert status == 413
    assert post(url, "/api/predict", {"sample": 2})[0] == 200


# ---------------------------------------------------------------------------------------------
# Opening models


def test_open_a_model_file_a_spec_and_a_builtin(url, studio):
    with open(api.pretrained_path(), "rb") as f:
        encoded = base64.b64encode(f.read()).decode()
    status, answer = post(url, "/api/models", {"file": encoded, "name": "../../mine.npz"})
    assert status == 201 and answer["name"] == "mine.npz" and answer["source"] == "uploaded"
    predicted = post(url, "/api/predict", {"model": answer["id"], "sample": 0})[1]
    assert predicted["prediction"] == predicted["label"] == 0
    spec = {
        "input_shape": [1, 12, 12],
        "layers": [
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
            {"type": "Flatten"},
            {"type": "Linear", "out_features": 3},
        ],
    }
    status, small = post(url, "/api/models", {"spec": spec})
    assert (
        status == 201
        and small["input_shape"] == [1, 12, 12]
        and small["classes"] == ["0", "1", "2"]
    )
    status, seen = post(
        url, "/api/layers", {"model": small["id"], "pixels": (np.eye(40) * 255).tolist()}
    )
    assert status == 200 and np.array(seen["seen"]).shape == (1, 12, 12)
    assert [layer["shape"] for layer in seen["layers"]] == [[2, 10, 10], [200], [3]]
    status, deep = post(url, "/api/models", {"builtin": "DeepConvNet"})
    assert status == 201 and len(deep["layers"]) > 10
    for body, words in (
        ({"file": base64.b64encode(b"PK\x03\x04junk").decode()}, ""),
        ({"spec": {"layers": 3}}, "spec"),
        ({"builtin": "VGG"}, "builtin"),
        ({}, "exactly one"),
    ):
        status, answer = post(url, "/api/models", body)
        assert status == 400 and words in answer["error"], answer


# ---------------------------------------------------------------------------------------------
# Training


def _small(mini, n=300):
    return small(mini, n, test=100)


def _wait(predicate, seconds=120):
    return until(predicate, seconds, step=0.02)


def test_training_streams_events_and_saves_a_model_that_never_overwrites(
    url, studio, mini, tmp_path
):
    (tmp_path / "simpleconvnet-mnist-mini-2ep.npz").write_bytes(b"keep me")
    studio.start_training({"epochs": 2, "batch_size": 50}, data=_small(mini))
    status, again = post(url, "/api/train", {"epochs": 1})
    assert status == 409 and "already running" in again["error"]
    status, stream = request(url, "GET", "/api/train/events?after=0")
    assert status == 200
    events = [
        json.loads(line[5:]) for line in stream.decode().splitlines() if line.startswith("data:")
    ]
    kinds = [e["type"] for e in events]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    steps = [e for e in events if e["type"] == "step"]
    assert [e["step"] for e in steps] == list(range(1, 13)) and all(e["loss"] > 0 for e in steps)
    assert [e["epoch"] for e in events if e["type"] == "epoch"] == [1, 2]
    assert "filters" in kinds and unpack(
        next(e for e in events if e["type"] == "filters")["weights"]
    ).shape == (30, 1, 5, 5)
    assert events[-1] == {
        **events[-1],
        "type": "state",
        "state": "finished",
        "saved": "simpleconvnet-mnist-mini-2ep-2.npz",
    }
    assert (tmp_path / "simpleconvnet-mnist-mini-2ep.npz").read_bytes() == b"keep me"
    saved = models.load(tmp_path / "simpleconvnet-mnist-mini-2ep-2.npz")
    assert len(saved.history["test_acc"]) == 2
    status, listed = request(url, "GET", "/api/models")
    trained = [m for m in listed["models"] if m["source"] == "trained"]
    assert [m["name"] for m in trained] == ["simpleconvnet-mnist-mini-2ep-2.npz"]
    status, answer = post(url, "/api/predict", {"model": trained[0]["id"], "sample": 0})
    assert status == 200
    status, done = request(url, "GET", "/api/train")
    assert done["state"] == "finished" and done["saved"] == "simpleconvnet-mnist-mini-2ep-2.npz"


@pytest.mark.parametrize(
    "body, words",
    [
        ({"model": "VGG"}, "model must be"),
        ({"dataset": "cifar"}, "dataset must be"),
        ({"epochs": 0}, "epochs must be"),
        # a batch a checkpoint could not hold would make the run impossible to resume
        ({"batch_size": 1001}, "batch_size must be a whole number from 1 to 1000"),
        ({"lr": -1}, "lr must be"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"colour": 1}, "unknown training options"),
    ],
)
def test_training_options_are_checked(url, body, words):
    status, answer = post(url, "/api/train", body)
    assert status == 400 and words in answer["error"]


def test_predict_while_training_and_while_paused(url, studio, mini, tmp_path):
    run_status = studio.start_training({"epochs": 50, "batch_size": 20}, data=_small(mini, 600))
    assert run_status["state"] == "loading"
    run = studio.training
    assert _wait(lambda: run.model() is not None and run.state == "running")
    answers = []

    def draw():
        for _ in range(5):
            answers.append(post(url, "/api/layers", {"model": "training", "sample": 0})[0])
            answers.append(post(url, "/api/predict", {"model": "m1", "sample": 1})[0])

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [200] * 20
    assert post(url, "/api/train/pause", {})[1]["state"] == "paused"
    assert _wait(run.held.is_set)
    status, answer = post(url, "/api/predict", {"model": "training", "sample": 0})
    assert status == 200  # the paused training thread holds no lock predictions need
    events = len(run._events)
    time.sleep(0.3)
    assert [e for e in run._events[events:] if e["type"] == "step"] == []  # paused: no steps
    assert post(url, "/api/train/resume", {})[1]["state"] == "running"
    assert _wait(lambda: any(e["type"] == "step" for e in run._events[events:]))
    assert post(url, "/api/train/stop", {})[1]["state"] == "stopping"
    assert run.join(60) and run.state == "stopped"
    model, training = models.load_checkpoint(run.path)  # stopped mid-run: a resumable checkpoint
    assert training is not None and os.path.dirname(run.path) == str(tmp_path)
    # its name says how far it got, and the studio serves it under that name
    assert re.fullmatch(r"simpleconvnet-mnist-mini-\d+of50ep\.npz", os.path.basename(run.path))
    assert os.listdir(tmp_path) == [os.path.basename(run.path)]
    assert run.status()["saved"] == os.path.basename(run.path)
    assert any(m["name"] == os.path.basename(run.path) for m in studio.models())


def test_closing_the_server_stops_training_and_saves_its_checkpoint(studio, mini):
    running = server.running(studio)
    live = running.__enter__()
    try:
        studio.start_training({"epochs": 50, "batch_size": 20}, data=_small(mini, 600))
        assert _wait(lambda: studio.training.state == "running")
    finally:
        running.__exit__(None, None, None)
    assert not live.studio.training.active and studio.training.state == "stopped"
    model, training = models.load_checkpoint(studio.training.path)
    assert training is not None


def test_a_training_that_fails_says_why(url, studio):
    spec = {
        "input_shape": [1, 12, 12],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}],
    }
    status, answer = post(url, "/api/train", {"model": spec, "dataset": "mnist-mini"})
    assert status == 202
    run = studio.training
    assert run.join(120) and run.state == "failed"
    assert "28" in run.error and "Traceback" not in run.error  # the images do not fit the spec
    assert post(url, "/api/predict", {"sample": 0})[0] == 200
    status, answer = post(url, "/api/train?lang=ja", {"model": spec, "dataset": "mnist-mini"})
    assert status == 202
    run = studio.training
    assert run.join(120) and run.state == "failed"
    assert "28" in run.error and re.search("[\u3040-\u30ff]", run.error), run.error  # said in ja


# ---------------------------------------------------------------------------------------------
# The command


def test_tatamikomi_serve_starts_on_the_loopback_and_stops_cleanly_on_ctrl_c(tmp_path):
    from .support import SRC

    env = {**os.environ, "PYTHONPATH": str(SRC), "TATAMIKOMI_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "tatamikomi",
        "serve",
        "--port",
        "0",
        "--save-dir",
        str(tmp_path),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("tatamikomi studio: http://127.0.0.1:"), line
        port = int(line.split(":")[3].split("/")[0])
        status, answer = request(port, "GET", "/api/models")
        assert status == 200 and answer["models"][0]["source"] == "pretrained"
        assert answer["models"][0]["name"] == "SimpleConvNet (MNIST)"
        assert post(port, "/api/train", {"epochs": 5, "batch_size": 50})[0] == 202
        assert _wait(lambda: request(port, "GET", "/api/train")[1]["state"] == "running")
        process.send_signal(signal.SIGINT)
        assert process.wait(120) == 130
        errors = process.stderr.read()
        assert "Traceback" not in errors and "its checkpoint is in" in errors
        (saved,) = tmp_path.iterdir()
        model, training = models.load_checkpoint(saved)  # resumable: tatamikomi train --resume
        assert re.fullmatch(r"simpleconvnet-mnist-mini-\d+of5ep\.npz", saved.name)
        assert training is not None
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


def test_tatamikomi_serve_refuses_a_missing_model_in_one_line(tmp_path, capsys):
    from tatamikomi.cli import main

    assert main(["serve", str(tmp_path / "none.npz")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "none.npz does not exist" in error


def test_a_server_closed_before_it_served_does_not_wait(studio):
    """A Ctrl-C can come between the address printed and serve_forever: closing then must not
    wait for a serve_forever that never ran."""
    unserved = server.StudioServer(studio, "127.0.0.1", 0)
    closing = threading.Thread(target=unserved.close, daemon=True)
    closing.start()
    closing.join(10)
    assert not closing.is_alive()


def test_a_bug_is_one_line_in_the_request_language_and_the_server_carries_on(url, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(api, "predict", broken)
    status, answer = post(url, "/api/predict", {"sample": 0, "lang": "ja"})
    assert status == 500
    assert answer["error"].startswith("スタジオの内部エラーです（ZeroDivisionError")
    assert "\n" not in answer["error"] and "Traceback" not in answer["error"]
    monkeypatch.undo()
    assert post(url, "/api/predict", {"sample": 0})[0] == 200
