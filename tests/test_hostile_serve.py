"""The studio's HTTP edges under hostile requests (issue 20): each is answered with a 4xx (or
501) JSON error in one line, in the request's language, and nothing blocks, floods stderr or
holds memory. Servers listen on the loopback on a free port (in-process, as in
tests/test_serve_api.py); every request goes to the loopback; every loop is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from tatamikomi import i18n, images
from tatamikomi.serve import api, server

from .studio_client import png, post, request

JSON = {"Content-Type": "application/json"}


def raw_post(port, path, data: bytes, headers=None):
    return request(port, "POST", path, raw=data, headers={**JSON, **(headers or {})})


def one_line_error(status, answer, expected):
    assert status == expected, answer
    assert isinstance(answer, dict) and answer["status"] == expected, answer
    message = answer["error"]
    assert "\n" not in message and "Traceback" not in message and "internal" not in message
    return message


def said(key, lang="en", **values):
    return i18n.text(f"errors.{key}", lang=lang, **values)


def exchange(port, data: bytes, timeout=20) -> bytes:
    """What the server answers to the raw bytes ``data`` (until it closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def json_of(answer: bytes):
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    assert b"application/json" in head, head
    return status, json.loads(body)


def reset(connection):
    """Close ``connection`` with a TCP reset (what a client that vanishes leaves behind)."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


# ---------------------------------------------------------------------------------------------
# JSON bodies


def test_a_100k_deep_json_body_is_refused_before_it_is_parsed(url):
    status, answer = raw_post(url, "/api/predict", b"[" * 100_000 + b"]" * 100_000)
    message = one_line_error(status, answer, 400)
    assert message == said("studio_json_deep", depth=100_000, limit=server.MAX_JSON_DEPTH)
    in_strings = json.dumps({"sample": 0, "name": '\\"[' * 5000, "x": "\\"}).encode()
    assert raw_post(url, "/api/predict", in_strings)[0] == 200  # brackets in strings do not count
    deep_after_string = b'{"name": "\\\\", "sample": ' + b"[" * 40 + b"]" * 40 + b"}"
    status, answer = raw_post(url, "/api/predict", deep_after_string)
    assert one_line_error(status, answer, 400) == said("studio_json_deep", depth=41, limit=32)


def test_a_5000_digit_number_is_refused(url):
    status, answer = raw_post(url, "/api/predict", b'{"sample": ' + b"7" * 5000 + b"}")
    message = one_line_error(status, answer, 400)
    assert message == said("studio_json_digits", digits=5000, limit=server.MAX_DIGITS)


def test_a_bias_beyond_any_float_is_refused(url):
    as_int = b'{"bias": 1' + b"0" * 400 + b"}"  # 1e400 written out as a whole number
    one_line_error(*raw_post(url, "/api/playground", as_int), 400)
    status, answer = raw_post(url, "/api/playground", b'{"bias": 1e400}')
    assert one_line_error(status, answer, 400) == said("studio_json_huge", value="1e400")
    with pytest.raises(api.RequestError, match="bias must be a finite number"):
        api.playground(bias=10**400)  # the function itself, called from a notebook
    for bias in (True, "1", float("nan")):
        with pytest.raises(api.RequestError, match="bias must be a finite number"):
            api.playground(bias=bias)


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_infinity_and_nan_are_not_numbers(url, constant):
    body = '{"sample": 0, "layer": "Conv1", "channel": 0, "position": [%s, 0]}' % constant
    status, answer = raw_post(url, "/api/explain", body.encode())
    message = one_line_error(status, answer, 400)
    assert message == said("studio_json_constant", value=constant)


def test_a_bool_is_not_a_channel_nor_a_position(url):
    base = {"sample": 0, "layer": "Conv1"}
    status, answer = post(url, "/api/explain", {**base, "channel": True, "position": [0, 0]})
    assert one_line_error(status, answer, 400) == said("studio_channel", last=29, value="true")
    for position in ([True, 0], [0.5, 1], [1], [1, 2, 3], {"row": 1}):
        status, answer = post(url, "/api/explain", {**base, "channel": 0, "position": position})
        assert "position must be [row, column]" in one_line_error(status, answer, 400)


@pytest.mark.parametrize("model_id", [[1], {"id": "m1"}, 1, True])
def test_a_model_must_be_named_by_its_id(url, model_id):
    status, answer = post(url, "/api/predict", {"sample": 0, "model": model_id})
    message = one_line_error(status, answer, 400)
    assert message == said("studio_model_id", value=json.dumps(model_id))


@pytest.mark.parametrize("shape", [(1, 2000), (2000, 1), (3, 2000)])
def test_an_image_too_thin_for_a_digit_is_refused(url, shape):
    grey = np.full(shape, 255)
    grey.reshape(-1)[: grey.size // 2] = 0  # half ink, half paper: not blank
    # drawn pixels are refused as an image with no digit (422), a PNG as a file it cannot be (400)
    for body, expected in (({"pixels": grey.tolist()}, 422), ({"png": png(grey)}, 400)):
        status, answer = post(url, "/api/predict", body)
        message = one_line_error(status, answer, expected)
        factor = -(-max(shape) // images.WORK_SIDE)  # shrunk to at most 512 across first
        assert message == said(
            "image_too_thin", height=shape[0], width=shape[1], least=images.MIN_SIDE * factor
        )


def test_errors_speak_the_requests_language(model, tmp_path):
    japanese = server.Studio([("m", model, "pretrained", None)], save_dir=str(tmp_path), lang="ja")
    with server.running(japanese) as running:
        port = running.server_address[1]
        status, answer = raw_post(port, "/api/predict", b"[" * 100 + b"]" * 100)
        assert answer["error"] == said("studio_json_deep", "ja", depth=100, limit=32)
        status, answer = request(port, "OPTIONS", "/")
        assert answer["error"] == said("studio_method", "ja", method="OPTIONS")
        status, answer = raw_post(port, "/api/predict?lang=en", b'{"sample": NaN}')
        assert answer["error"] == said("studio_json_constant", value="NaN")
        status, answer = post(port, "/api/playground", {"lang": "en", "bias": True})
        assert answer["error"] == said("studio_bias", value="true")
        for odd in ([1], {"a": 1}, 5, None):  # a "lang" that is no language: the studio's
            status, answer = post(port, "/api/predict", {"lang": odd, "sample": -1})
            assert status == 400 and answer["error"].startswith("「sample」"), answer


# ---------------------------------------------------------------------------------------------
# The HTTP layer's own errors


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "TRACE", "BREW"])
def test_methods_the_studio_does_not_take_are_json(url, method):
    status, answer = request(url, method, "/api/models")
    assert one_line_error(status, answer, 501) == said("studio_method", method=method)


def test_a_long_request_line_is_a_414_in_json(url):
    answer = exchange(url, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert one_line_error(*json_of(answer), 414) == said("studio_line_long", limit=65536)


@pytest.mark.parametrize("headers", [[b"X-Long: " + b"a" * 70_000], [b"X-N: 1"] * 150])
def test_long_or_many_headers_are_a_431_in_json(url, headers):
    data = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n"
    answer = exchange(url, data)
    assert one_line_error(*json_of(answer), 431) == said("studio_headers_long")


def test_malformed_http_is_a_400_in_json(url):
    status, answer = json_of(exchange(url, b"GET / HTTP/9.x\r\n\r\n"))
    assert "not valid HTTP" in one_line_error(status, answer, 400)


def test_head_of_the_event_stream_sends_no_body(url, studio):
    studio.training = types.SimpleNamespace(  # a run that has ended, its events all sent
        active=False, messages_after=lambda last, timeout: [], status=lambda: {"state": "finished"}
    )
    answer = exchange(url, b"HEAD /api/train/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
    assert body == b""
    streamed = exchange(url, b"GET /api/train/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert streamed.endswith(b": keep-alive\n\n")  # GET still streams


# ---------------------------------------------------------------------------------------------
# Clients that leave


def _quiet_until_handled(running, capfd):
    for _ in range(100):  # until the server has finished with every connection (at most 10 s)
        if not getattr(running, "_due", None):
            break
        time.sleep(0.1)
    time.sleep(0.2)
    return capfd.readouterr().err


def test_a_client_that_resets_leaves_no_traceback(studio, capfd):
    with server.running(studio) as running:
        port = running.server_address[1]
        half = socket.create_connection(("127.0.0.1", port), timeout=10)
        half.sendall(b"GET /api/mod")  # a request line cut short, then a reset
        time.sleep(0.2)
        reset(half)
        computing = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = json.dumps({"sample": 3}).encode()
        computing.sendall(
            b"POST /api/layers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        reset(computing)  # gone while the server computes
        errors = _quiet_until_handled(running, capfd)
        assert request(port, "GET", "/api/models")[0] == 200  # still serving
    assert errors == ""
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        running.handle_error(None, ("127.0.0.1", 1))
    try:
        raise ValueError("a bug outside the handler")
    except ValueError:
        running.handle_error(None, ("127.0.0.1", 1))
    assert capfd.readouterr().err == "tatamikomi serve: ValueError: a bug outside the handler\n"


# ---------------------------------------------------------------------------------------------
# Host checks keyed on the bound address


@pytest.mark.parametrize("host", ["127.1", "2130706433", "127.000.000.001", "localhost"])
def test_every_spelling_of_the_loopback_keeps_the_host_check(studio, host):
    with server.running(studio, host) as running:
        port = running.server_address[1]
        assert running.loopback_only and running.server_address[0] == "127.0.0.1"
        evil = {"Host": f"rebind.evil.example:{port}"}
        status, answer = request(port, "POST", "/api/models", {"builtin": "SimpleConvNet"},
                                 headers=evil)
        assert one_line_error(status, answer, 403) == said("studio_foreign_host")
        for name in ("127.0.0.1", "localhost", "127.1" if host == "127.1" else "[::1]"):
            assert request(port, "GET", "/api/models", headers={"Host": f"{name}:{port}"})[0] == 200
    assert len(studio.models()) == 1  # nothing was opened by the foreign page


def test_the_command_warns_only_off_the_loopback(tmp_path):
    from .support import SRC

    env = {**os.environ, "PYTHONPATH": str(SRC), "TATAMIKOMI_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tatamikomi", "serve", "--host", "2130706433", "--port", "0",
         "--save-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("tatamikomi studio: http://127.0.0.1:"), line
        port = int(line.split(":")[3].split("/")[0])
        status, _ = request(port, "GET", "/api/models", headers={"Host": "rebind.evil.example"})
        assert status == 403
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        errors = process.stderr.read()
        assert "anyone" not in errors and "Traceback" not in errors, errors
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


# ---------------------------------------------------------------------------------------------
# A model's file


def _file_studio(model, path, tmp_path):
    return server.Studio([("given.npz", model, "given", str(path))], save_dir=str(tmp_path))


def test_a_model_file_is_streamed_not_read_whole(child_peak_mb, tmp_path):
    path = tmp_path / "big.npz"
    with open(path, "wb") as f:
        f.truncate(300 * 2**20)  # 300 MB (sparse): read whole, it would be 300 MB of memory
    growth, printed = child_peak_mb(
        "import http.client\n"
        "from tatamikomi.serve import api, server\n"
        "studio = server.Studio([('big', api.default_model(), 'given', %r)])\n"
        "with server.running(studio) as running:\n"
        "    c = http.client.HTTPConnection('127.0.0.1', running.server_address[1], timeout=60)\n"
        "    c.request('GET', '/api/models/m1/file')\n"
        "    r = c.getresponse()\n"
        "    total = 0\n"
        "    while chunk := r.read(1 << 16):\n"
        "        total += len(chunk)\n"
        "    print('STATUS', r.status, total, r.getheader('Content-Length'))\n" % str(path),
        timeout=120,
    )
    assert f"STATUS 200 {300 * 2**20} {300 * 2**20}" in printed, printed
    assert growth < 100, f"{growth:.0f} MB to send a 300 MB file"


def test_a_deleted_model_file_is_a_404_without_its_folder(model, tmp_path):
    path = tmp_path / "secret-folder" / "given.npz"
    path.parent.mkdir()
    path.write_bytes(b"model bytes")
    with server.running(_file_studio(model, path, tmp_path)) as running:
        port = running.server_address[1]
        status, body = request(port, "GET", "/api/models/m1/file")
        assert status == 200 and body == b"model bytes"
        path.unlink()
        status, answer = request(port, "GET", "/api/models/m1/file")
    message = one_line_error(status, answer, 404)
    assert message == said("studio_file_gone", id="m1", name="given.npz")
    assert "secret-folder" not in message


def test_a_fifo_in_place_of_a_model_file_does_not_block(model, tmp_path):
    path = tmp_path / "given.npz"
    os.mkfifo(path)
    with server.running(_file_studio(model, path, tmp_path)) as running:
        port = running.server_address[1]
        status, answer = request(port, "GET", "/api/models/m1/file")  # times out if it blocks
        assert one_line_error(status, answer, 404) == said(
            "studio_file_special", id="m1", name="given.npz"
        )
        path.unlink()
        path.mkdir()
        assert request(port, "GET", "/api/models/m1/file")[0] == 404


# ---------------------------------------------------------------------------------------------
# A class at once, and slow clients


def test_the_listen_backlog_holds_a_class(studio):
    """100 connections at once all complete while the server is busy (not accepting yet): the
    kernel queues them. Python's default backlog of 5 completes 6."""
    listening = server.StudioServer(studio, "127.0.0.1", 0)  # bound, listening, not accepting
    try:
        port = listening.server_address[1]
        clients = []
        for _ in range(100):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            clients.append(client)
        pending = list(clients)
        for _ in range(30):  # at most 3 s for the handshakes
            _, ready, _ = select.select([], pending, [], 0.1)
            pending = [c for c in pending if c not in ready]
            if not pending:
                break
        connected = 0
        for client in clients:
            try:
                client.getpeername()
                connected += 1
            except OSError:
                pass
            client.close()
        assert connected == 100 and listening.request_queue_size >= 200
    finally:
        listening.server_close()


def test_a_slow_client_cannot_hold_a_thread(studio):
    """A body sent a byte at a time is cut at ``request_seconds`` (1 s here) with a 408."""
    with server.running(studio) as running:
        running.request_seconds = 1.0
        port = running.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(
                b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            answer = b""
            for _ in range(100):  # a byte every 0.1 s, for at most 10 s
                readable, _, _ = select.select([slow], [], [], 0.1)
                if readable:
                    while chunk := slow.recv(65536):  # the answer, until the server closes
                        answer += chunk
                    break
                with contextlib.suppress(OSError):  # the server stopped reading: fine
                    slow.sendall(b" ")
        status, error = json_of(answer)
        assert one_line_error(status, error, 408) == said("studio_too_slow", seconds="1")
        assert request(port, "GET", "/api/models")[0] == 200  # the server carries on

