"""The classroom (``tatamikomi serve --classroom``) through its HTTP API, in this process: two
students and an instructor on 127.0.0.1. Who may do what (401/403/404), each student's own
models and runs, the queue, the limits and the quota, the prompt and the class events, the
wall and the confusion matrix, the exercises, the export, and the server's own bounds."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tatamikomi import exercises
from tatamikomi.serve import api, class_routes, classroom

from .studio_client import request
from .support import child_env, small, until

TOKEN = "the-instructors-secret"


class Person:
    """One browser: a student with their cookie (after :meth:`join`), or the instructor."""

    def __init__(self, port, token=None):
        self.port, self.token, self.cookie = port, token, None

    def __call__(self, method, path, body=None, headers=None):
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        status, answer, self.last_headers = request(
            self.port, method, path, body, headers=sent, with_headers=True
        )
        return status, answer

    def join(self, name):
        status, answer = self("POST", "/api/join", {"name": name})
        assert status == 201, answer
        self.cookie = self.last_headers["Set-Cookie"].split(";")[0]
        assert "HttpOnly" in self.last_headers["Set-Cookie"]
        return answer


def _small(mini, n=200):
    return small(mini, n)


@pytest.fixture
def room(tmp_path, model, mini):
    the_class = classroom.Classroom(
        [("SimpleConvNet (MNIST)", model, "pretrained", api.pretrained_path())],
        save_dir=str(tmp_path), token=TOKEN, data=_small(mini),
    )
    with class_routes.running(the_class) as server:
        port = server.server_address[1]
        aiko, ben = Person(port), Person(port)
        aiko.join("Aiko")
        ben.join("Ben")
        yield the_class, server, aiko, ben, Person(port, TOKEN)


def _until(predicate, seconds=60):
    return until(predicate, seconds, step=0.1)


def _finished(person, which=""):
    def done():
        return person("GET", f"/api/train{which}")[1]["state"] in ("finished", "stopped", "failed")

    return _until(done, 120)


# -- who may do what ----------------------------------------------------------------------------


def test_nobody_gets_past_the_join(room):
    _, server, *_ = room
    stranger = Person(server.server_address[1])
    for method, path in [("GET", "/api/models"), ("POST", "/api/layers"), ("GET", "/api/train")]:
        status, answer = stranger(method, path, {} if method == "POST" else None)
        assert status == 401 and "join" in answer["error"]
    assert stranger("GET", "/api/strings")[1]["classroom"] is True
    assert stranger("GET", "/")[0] == 200 and stranger("GET", "/instructor")[0] == 200


def test_students_cannot_reach_the_instructors_api(room):
    _, server, aiko, _, teacher = room
    for method, path in [("GET", "/api/class"), ("POST", "/api/class/prompt"),
                         ("POST", "/api/class/limits"), ("GET", "/api/class/export"),
                         ("POST", "/api/class/train")]:
        body = {} if method == "POST" else None
        assert aiko(method, path, body)[0] == 403
        assert Person(server.server_address[1])(method, path, body)[0] == 401
    wrong = Person(server.server_address[1], token="guess")
    assert wrong("GET", "/api/class")[0] == 401
    assert teacher("GET", "/api/class")[0] == 200


def test_a_nickname_is_made_unique_and_bounded(room):
    _, server, *_ = room
    again = Person(server.server_address[1])
    assert again.join("Aiko")["name"] == "Aiko (2)"
    assert again.join("  A   very  long nickname that goes on and on ")["name"] == (
        "A very long nickname tha"
    )
    assert Person(server.server_address[1])("POST", "/api/join", {"name": "  "})[0] == 400


def test_a_page_on_another_site_cannot_change_the_class(room):
    _, _, aiko, _, teacher = room
    foreign = {"Origin": "http://evil.example"}
    status, answer = aiko("POST", "/api/train", {}, headers=foreign)
    assert status == 403 and "evil.example" in answer["error"]
    assert teacher("POST", "/api/class/prompt", {"text": "x"}, headers=foreign)[0] == 403
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert aiko("POST", "/api/exercises/answer", {"id": "oh", "answer": 3}, headers=cross)[0] == 403
    port = aiko.port
    same = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    assert aiko("POST", "/api/exercises/answer", {"id": "oh", "answer": 3}, headers=same)[0] == 200


def test_a_host_name_not_this_machines_is_refused(room):
    _, _, aiko, *_ = room
    assert aiko("GET", "/api/models", headers={"Host": "rebound.example:80"})[0] == 403
    assert aiko("GET", "/api/models", headers={"Host": "10.1.2.3:8000"})[0] == 200


def test_a_student_sending_too_fast_is_told_to_wait(room):
    _, _, aiko, ben, _ = room
    statuses = [aiko("GET", "/api/prompt")[0] for _ in range(80)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert ben("GET", "/api/prompt")[0] == 200  # the bucket is Aiko's alone


# -- each student their own studio --------------------------------------------------------------


def test_students_see_the_shared_models_and_only_their_own(room):
    _, _, aiko, ben, _ = room
    added = aiko("POST", "/api/models", {"builtin": "SimpleConvNet", "name": "mine"})[1]
    assert added["id"].startswith("s1-")
    aikos = [m["id"] for m in aiko("GET", "/api/models")[1]["models"]]
    bens = [m["id"] for m in ben("GET", "/api/models")[1]["models"]]
    assert aikos == ["m1", added["id"]] and bens == ["m1"]
    assert ben("POST", "/api/predict", {"sample": 0, "model": added["id"]})[0] == 404
    assert ben("DELETE", f"/api/models/{added['id']}")[0] == 404
    assert aiko("DELETE", "/api/models/m1")[0] == 403
    assert aiko("DELETE", f"/api/models/{added['id']}") == (200, {"deleted": added["id"]})


def test_models_beyond_the_bound_release_the_oldest_unpinned(room):
    the_class, _, aiko, *_ = room
    assert the_class.limits["models_per_student"] == 2
    ids = [aiko("POST", "/api/models", {"builtin": "SimpleConvNet"})[1]["id"] for _ in range(2)]
    assert aiko("POST", f"/api/models/{ids[0]}/pin", {"pinned": True})[1]["pinned"] is True
    third = aiko("POST", "/api/models", {"builtin": "DeepConvNet"})[1]["id"]
    own = [m["id"] for m in aiko("GET", "/api/models")[1]["models"] if not m["shared"]]
    assert own == [ids[0], third]  # the unpinned ids[1] went, the pinned one stayed


def test_one_run_per_student_queued_in_order_and_owned(room):
    the_class, _, aiko, ben, teacher = room
    first = aiko("POST", "/api/train", {"epochs": 1, "batch_size": 50})
    second = ben("POST", "/api/train", {"epochs": 1, "batch_size": 50})
    assert first[0] == second[0] == 202
    assert the_class.queue.concurrency == 1
    assert second[1]["state"] == "queued" and second[1]["queue"] == 1
    assert aiko("POST", "/api/train", {"epochs": 1})[0] == 409  # one run at a time
    run = first[1]["run"]
    assert ben("POST", "/api/train/stop", {"run": run})[0] == 404  # not Ben's
    assert ben("GET", f"/api/train?run={run}")[0] == 404
    assert ben("POST", f"/api/class/runs/{run}/stop", {})[0] == 403
    assert _finished(aiko) and _finished(ben)
    assert ben("GET", "/api/train")[1]["state"] == "finished"
    own = [m for m in ben("GET", "/api/models")[1]["models"] if not m["shared"]]
    assert [m["source"] for m in own] == ["trained"]
    assert teacher("GET", "/api/class")[1]["runs"][0]["name"] == "Aiko"
    files = sorted(os.listdir(the_class.folder))
    assert files == ["s1", "s2"]  # each student's run saved in their own folder


def test_a_waiting_run_can_be_stopped_and_leaves_the_queue(room):
    the_class, _, aiko, ben, teacher = room
    aiko("POST", "/api/train", {"epochs": 1, "batch_size": 10})
    waiting = ben("POST", "/api/train", {"epochs": 1})[1]
    assert waiting["queue"] == 1
    stopped = teacher("POST", f"/api/class/runs/{waiting['run']}/stop", {})[1]
    assert stopped["state"] == "stopped" and stopped["queue"] == 0
    assert the_class.queue.waiting == []
    teacher("POST", "/api/train/stop", {})  # no class run: a 404, nothing stopped
    assert aiko("POST", "/api/train/stop", {})[1]["state"] in ("stopping", "stopped", "finished")
    assert _finished(aiko)


def test_the_limits_bound_students_runs_and_the_instructor_sets_them(room):
    the_class, _, aiko, _, teacher = room
    status, answer = aiko("POST", "/api/train", {"epochs": 4})
    assert status == 403 and "3" in answer["error"]
    assert aiko("POST", "/api/train", {"dataset": "mnist"})[0] == 403
    assert teacher("POST", "/api/class/limits", {"max_epochs": 0})[0] == 400
    assert teacher("POST", "/api/class/limits", {"colour": "red"})[0] == 400
    limits = teacher("POST", "/api/class/limits", {"max_epochs": 5, "concurrency": 2})[1]
    assert limits["max_epochs"] == 5 and the_class.queue.concurrency == 2


def test_a_run_is_refused_before_it_starts_when_the_quota_is_full(room):
    the_class, _, aiko, _, teacher = room
    teacher("POST", "/api/class/limits", {"quota_mb": 1})
    status, answer = aiko("POST", "/api/train", {"epochs": 1})
    assert status == 507 and "1 MB" in answer["error"]
    assert aiko("GET", "/api/train")[1]["state"] == "idle"
    assert os.listdir(the_class.folder) == []


def test_the_class_run_is_watched_by_every_student_from_one_event_list(room):
    the_class, _, aiko, ben, teacher = room
    started = teacher("POST", "/api/class/train", {"epochs": 1, "batch_size": 50})
    assert started[0] == 202 and started[1]["name"] is None
    assert _finished(aiko, "?run=class")
    for person in (aiko, ben):
        stream = person("GET", "/api/train/events?run=class")[1]
        assert b'"state":"finished"' in stream and b'"type":"epoch"' in stream
    run = the_class.shared.training
    assert set(run._sent) == {e["id"] for e in run._events}  # each event serialized once
    shared = [m for m in aiko("GET", "/api/models")[1]["models"] if m["shared"]]
    assert [m["source"] for m in shared] == ["pretrained", "trained"]


# -- the room -----------------------------------------------------------------------------------


def test_a_prompt_reaches_every_student(room):
    _, _, aiko, ben, teacher = room
    assert aiko("GET", "/api/prompt")[1]["text"] is None
    assert teacher("POST", "/api/class/prompt", {"text": "draw a 7", "digit": 7})[0] == 200
    assert ben("GET", "/api/prompt")[1]["digit"] == 7
    connection = socket.create_connection(("127.0.0.1", aiko.port), timeout=10)
    connection.sendall(
        f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {aiko.cookie}\r\n\r\n".encode()
    )
    received = b""
    while b"draw a 7" not in received:
        received += connection.recv(65536)
    connection.close()
    assert teacher("POST", "/api/class/prompt", {"text": "x", "digit": 12})[0] == 400


def _open_stream(person, after=None):
    connection = socket.create_connection(("127.0.0.1", person.port), timeout=20)
    last = f"Last-Event-ID: {after}\r\n" if after is not None else ""
    connection.sendall(
        f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {person.cookie}\r\n{last}\r\n"
        .encode()
    )
    return connection


def test_a_student_holds_a_bounded_number_of_streams_each_for_a_bounded_time(room):
    from tatamikomi.serve.class_limits import STREAMS_PER_STUDENT

    _, server, aiko, ben, teacher = room
    # a stream learns that its reader left only when it writes: keep-alives every second, not
    # every 10, so that a closed stream frees its place within the wait below
    server.RequestHandlerClass.keep_alive_seconds = 1.0
    opened = [_open_stream(aiko) for _ in range(STREAMS_PER_STUDENT)]
    for connection in opened:
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
    refused = _open_stream(aiko)
    answer = _one_response(refused)
    assert answer.startswith(b"HTTP/1.1 429") and b"tabs" in answer
    assert _open_stream(ben).recv(4096).startswith(b"HTTP/1.1 200")  # another's are their own
    for connection in opened:
        connection.close()
    assert _until(lambda: _open_stream(aiko).recv(4096).startswith(b"HTTP/1.1 200"), 15)
    # a stream ends after stream_seconds; the page reconnects from the last event it read
    server.RequestHandlerClass.stream_seconds = 1.0
    teacher("POST", "/api/class/prompt", {"text": "draw a 3", "digit": 3})
    started = time.monotonic()
    first = _everything(_open_stream(ben))
    assert b"draw a 3" in first and time.monotonic() - started < 15
    last = int(re.findall(rb"^id: (\d+)", first, re.M)[-1])
    teacher("POST", "/api/class/prompt", {"text": "draw a 4", "digit": 4})
    again = _everything(_open_stream(ben, after=last))
    assert b"draw a 4" in again and b"draw a 3" not in again


def test_drawings_fill_the_wall_and_the_confusion_matrix(room, mini):
    _, _, aiko, ben, teacher = room
    seven = int(np.flatnonzero(mini.t_test == 7)[0])
    aiko("POST", "/api/layers", {"sample": seven})
    labelled = ben("POST", "/api/drawings", {"sample": seven, "digit": 1})[1]
    assert labelled["prediction"] == 7 and labelled["correct"] is False
    assert ben("POST", "/api/drawings", {"pixels": [[0, 0], [0, 0]], "digit": 1})[0] == 400
    overview = teacher("GET", "/api/class")[1]
    assert sorted(tile["name"] for tile in overview["wall"]) == ["Aiko", "Ben"]
    assert np.array(overview["wall"][0]["seen"]).shape == (28, 28)
    assert overview["confusion"][1][7] == 1 and sum(map(sum, overview["confusion"])) == 1
    assert [d["name"] for d in overview["misclassified"]] == ["Ben"]
    assert overview["qr_svg"].startswith("<svg")
    assert overview["urls"]["student"].startswith("http://127.0.0.1:")


def test_exercises_give_a_hint_then_the_worked_answer_and_tally_anonymously(room):
    _, _, aiko, ben, teacher = room
    listed = aiko("GET", "/api/exercises")[1]["exercises"]
    assert [e["id"] for e in listed] == list(exercises.KEYS)
    assert [e["level"] for e in listed][0] == "basic" and listed[0]["options"] == []
    assert next(e for e in listed if e["id"] == "why_padding")["options"] == exercises.options(
        "why_padding")
    first = aiko("POST", "/api/exercises/answer", {"id": "oh", "answer": 2})[1]
    assert first["correct"] is False and "hint" in first and "answer is" not in first["message"]
    assert first["feedback"] == exercises.check("oh", 2).feedback  # the +1 forgotten
    second = aiko("POST", "/api/exercises/answer", {"id": "oh", "answer": "2"})[1]  # as typed
    assert "the answer is 3" in second["message"] and "hint" not in second
    nothing = aiko("POST", "/api/exercises/answer", {"id": "oh", "answer": "no idea"})[1]
    assert nothing["correct"] is False and nothing["tries"] == 2
    assert ben("POST", "/api/exercises/answer", {"id": "oh", "answer": 3})[1]["correct"]
    assert ben("POST", "/api/exercises/answer", {"id": "nope", "answer": 3})[0] == 404
    tally = teacher("GET", "/api/class")[1]["answers"]["oh"]
    assert (tally["right"], tally["wrong"], tally["common_wrong"]) == (1, 2, [["2", 2]])
    assert "Aiko" not in json.dumps(tally)
    ja = aiko("POST", "/api/exercises/answer", {"id": "shape", "answer": [1], "lang": "ja"})[1]
    assert "ヒント" in ja["message"] or "もう一度" in ja["message"]


def test_the_export_is_one_file_and_a_csv_cannot_smuggle_a_formula(room, mini):
    the_class, server, *_ = room
    sneaky = Person(server.server_address[1])
    sneaky.join("=HYPERLINK(1)")
    sneaky("POST", "/api/drawings", {"sample": 0, "digit": int(mini.t_test[0])})
    teacher = room[4]
    status, data = teacher("GET", "/api/class/export")
    exported = data  # parsed: it is JSON
    assert status == 200 and [d["name"] for d in exported["drawings"]] == ["=HYPERLINK(1)"]
    assert sorted(s["name"] for s in exported["students"])[:2] == ["=HYPERLINK(1)", "Aiko"]
    csv = teacher("GET", "/api/class/export?format=csv")[1].decode()
    assert csv.splitlines()[1].startswith("'=HYPERLINK(1),")
    assert os.listdir(the_class.folder) == []  # nothing written until the class ends


def test_ending_the_class_saves_runs_and_writes_the_export(tmp_path, model, mini):
    the_class = classroom.Classroom(
        [("m", model, "pretrained", None)], save_dir=str(tmp_path), token=TOKEN,
        data=_small(mini, 2000),
    )
    server = class_routes.ClassServer(the_class, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    student = the_class.join("Aiko")
    student.studio.start_training({"epochs": 3, "batch_size": 10})
    assert _until(lambda: student.studio.training.state == "running")
    written = server.close()
    assert written[-1].endswith("class-export.json")
    assert os.path.basename(written[0]).endswith(".npz")
    assert json.load(open(written[-1]))["students"][0]["name"] == "Aiko"


# -- the server's own bounds --------------------------------------------------------------------


def test_connections_beyond_the_cap_are_answered_503_without_a_thread(tmp_path, model, mini):
    the_class = classroom.Classroom(
        [("m", model, "pretrained", None)], save_dir=str(tmp_path), token=TOKEN, data=_small(mini)
    )
    with class_routes.running(the_class, max_connections=2) as server:
        port = server.server_address[1]
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        time.sleep(0.2)
        refused = socket.create_connection(("127.0.0.1", port), timeout=10)
        answer = _everything(refused)
        assert answer.startswith(b"HTTP/1.1 503") and b'"status": 503' in answer
        for s in idle + [refused]:
            s.close()
        # the two slots come back, and no more than two
        assert _until(lambda: Person(port)("GET", "/api/me")[0] == 401, 10)
        assert server._slots._value <= 2


def _one_response(connection) -> bytes:
    """One whole response (its head and its Content-Length of body) read from ``connection``."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(4096)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:
        body += connection.recv(4096)
    return head + b"\r\n\r\n" + body


def _everything(connection) -> bytes:
    """What the server sends on ``connection`` until it closes it (or its timeout)."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def test_a_silent_connection_is_cut_off(room):
    _, server, aiko, *_ = room
    silent = socket.create_connection(("127.0.0.1", aiko.port))
    silent.sendall(b"GET /api/me HTTP/1.1\r\n")  # and nothing more
    silent.settimeout(server.request_seconds + 15)
    started = time.monotonic()
    answer = _everything(silent)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < server.request_seconds + 10


def test_the_command_prints_the_two_urls_and_ends_the_class_on_ctrl_c(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tatamikomi", "serve", "--classroom", "--host", "127.0.0.1",
         "--port", "0", "--save-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    try:
        lines = []
        while not any(line.startswith("instructor:") for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
        student = next(line for line in lines if line.startswith("student:"))
        instructor = lines[-1]
        assert student.split()[1].startswith("http://127.0.0.1:")
        assert "?token=" in instructor and instructor.split()[1].startswith(student.split()[1])
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    (folder,) = os.listdir(tmp_path)
    assert os.listdir(tmp_path / folder) == ["class-export.json"]
    assert "Traceback" not in err
