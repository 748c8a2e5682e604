"""The studio's "Why?" and backward endpoints in-process: /api/why gives each default method's
map (28x28 in [0, 1]) for the class /api/predict gives, the gradient map being saliency's own;
/api/backward gives one dx cell's terms, whose sum is the layer's own backward's; bad bodies are
refused with one catalog line in the request's language, never a 500."""

from __future__ import annotations

import http.client
import json
import re

import numpy as np
import pytest

from tatamikomi.explain import attribution
from tatamikomi.explain import backward as back
from tatamikomi.serve import api, server

from .studio_client import paper, png, post, request


def first(mini, digit):
    return int(np.flatnonzero(mini.t_test == digit)[0])


def model_input(model, body):
    image = api.image_from(body, model)
    return api.network_input(model, image["grey"])[1]


def test_why_gives_each_default_methods_map_for_the_predicted_class(url, model, mini):
    body = {"sample": first(mini, 7)}
    status, answer = post(url, "/api/why", body)
    assert status == 200
    _, predicted = post(url, "/api/predict", body)
    assert answer["prediction"] == predicted["prediction"] == answer["target"]
    assert answer["probability"] == pytest.approx(
        predicted["probabilities"][predicted["prediction"]], abs=1e-6
    )
    assert answer["runner_up"] != answer["prediction"]
    assert [m["method"] for m in answer["maps"]] == list(attribution.DEFAULT_METHODS)
    for entry in answer["maps"]:
        grid = np.array(entry["map"], dtype=float)
        assert grid.shape == (28, 28)
        assert grid.min() >= 0 and grid.max() == 1
        assert entry["region"] and 0 < entry["share"] <= 1
    expected = attribution.saliency(model, model_input(model, body), method="gradient")
    expected = np.maximum(expected, 0) / expected.max()
    gradient = np.array(answer["maps"][0]["map"])
    np.testing.assert_allclose(gradient, expected, atol=6e-4)


def test_why_explains_a_drawing_a_chosen_class_and_says_its_regions_in_japanese(url, mini):
    drawing = {"png": png(paper(mini.x_test[first(mini, 3), 0]))}
    status, answer = post(url, "/api/why", {**drawing, "target": 8, "methods": ["gradient"]})
    assert status == 200 and answer["target"] == 8 and len(answer["maps"]) == 1
    status, ja = request(url, "POST", "/api/why?lang=ja", drawing)
    assert status == 200
    regions = {"左上", "上", "右上", "左", "中央", "右", "左下", "下", "右下"}
    assert all(m["region"] in regions for m in ja["maps"])
    assert ja["maps"][0]["name"] == "勾配"


@pytest.mark.parametrize(
    "layer, cell", [("Conv1", [0, 14, 9]), ("Conv1", None), ("Pool1", [3, 10, 11])]
)
def test_a_backward_cells_sum_is_the_layers_own_dx(url, model, mini, layer, cell):
    body = {"sample": first(mini, 2), "layer": layer}
    if cell is not None:
        body["cell"] = cell
    status, answer = post(url, "/api/backward", body)
    assert status == 200 and answer["layer"] == layer
    run = back.backward_pass(model, model_input(model, body)[0])
    dx = np.asarray(run.dxs[layer], np.float64)
    c, i, j = answer["cell"]["cell"]
    assert answer["cell"]["value"] == pytest.approx(dx[c, i, j], abs=1e-5)
    shape = answer["dx"]["shape"] if isinstance(answer["dx"], dict) else np.shape(answer["dx"])
    assert list(shape) == list(dx.shape)
    if layer == "Conv1":
        terms = answer["cell"]["terms"]
        assert all(t["product"] == pytest.approx(t["dout"] * t["weight"]) for t in terms)
        assert all(t["product"] != 0 for t in terms)
        assert len(terms) == min(api.MAX_BACKWARD_TERMS, answer["cell"]["terms_nonzero"])
    else:
        (window,) = answer["cell"]["windows"]
        assert window["received"] == (window["dout"] if window["is_max"] else 0)


@pytest.mark.parametrize(
    "path, body, words",
    [
        ("/api/why", {}, "one of"),
        ("/api/why", {"sample": 0, "methods": ["magic"]}, "methods must be"),
        ("/api/why", {"sample": 0, "methods": "gradient"}, "methods must be"),
        ("/api/why", {"sample": 0, "target": 10}, "from 0 to 9"),
        ("/api/why", {"pixels": [[255] * 8] * 8}, "blank"),
        ("/api/backward", {"sample": 0}, '"layer"'),
        ("/api/backward", {"layer": "Conv1"}, "one of"),
        ("/api/backward", {"sample": 0, "layer": "Conv9"}, "no layer"),
        ("/api/backward", {"sample": 0, "layer": "Relu1"}, "neither a convolution"),
        ("/api/backward", {"sample": 0, "layer": "Conv1", "cell": [0, 28, 0]}, "outside"),
        ("/api/backward", {"sample": 0, "layer": "Conv1", "cell": [0, 1]}, "three whole"),
        ("/api/backward", {"sample": 0, "layer": "Conv1", "cell": [0, 1.5, 2]}, "three whole"),
        ("/api/backward", {"sample": 0, "layer": "Conv1", "target": "7"}, "from 0 to 9"),
        ("/api/backward", {"sample": 10**9, "layer": "Conv1"}, "sample"),
    ],
)
def test_bad_bodies_are_refused_with_one_line_in_the_requests_language(url, path, body, words):
    status, answer = post(url, path, body)
    assert 400 <= status < 500, answer
    assert words in answer["error"] and "\n" not in answer["error"]
    status, ja = request(url, "POST", path + "?lang=ja", body)
    assert 400 <= status < 500
    assert re.search("[\u3040-\u30ff]", ja["error"]), ja["error"]


@pytest.mark.parametrize("path", ["/api/why", "/api/backward"])
def test_a_huge_body_is_refused_from_its_header(url, path):
    connection = http.client.HTTPConnection("127.0.0.1", url, timeout=30)
    connection.putrequest("POST", path + "?lang=ja")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(server.MAX_BODY + 1))
    connection.endheaders()  # the body is never sent: the server answers from the header
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 413 and re.search("[\u3040-\u30ff]", answer["error"])
