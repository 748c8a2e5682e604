"""The simulated class of bench_classroom.py: students drawing, students training, SSE readers and
slow clients, each a thread talking HTTP/1.1 to 127.0.0.1 over its own keep-alive connection.

Every loop ends by the shared ``deadline`` (time.monotonic()) or after :data:`MAX_REQUESTS`
requests of its client, and every socket has a timeout, so the class stops by itself. What
happens is recorded in a :class:`Record` (thread-safe appends).
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import socket
import struct
import threading
import time
import zlib

import numpy as np

#: the fractions of a digit's ink rows shown after each stroke (2, 3 or 4 strokes a drawing)
STAGES = {n: [k / n for k in range(1, n + 1)] for n in (2, 3, 4)}
TIMEOUT = 60.0  # seconds a request may take before it counts as "timeout"
MAX_REQUESTS = 20000  # per client: every loop is bounded in count as well as in time
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


# ---------------------------------------------------------------------------------------------
# Drawings


def png_data_url(grey: np.ndarray) -> str:
    """A grey image (H, W) 0..255 as the canvas's ``toDataURL('image/png')`` gives it."""
    rows = b"".join(b"\x00" + row.tobytes() for row in np.asarray(grey, np.uint8))

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", grey.shape[1], grey.shape[0], 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
    return "data:image/png;base64," + base64.b64encode(data + chunk(b"IEND", b"")).decode()


def drawings(digits: np.ndarray, payload: str) -> list[dict]:
    """For each MNIST digit (28, 28) 0..255: ``{fraction: image request}`` for every stroke stage,
    the 280x280 canvas (dark ink on white, as the page draws) with the ink rows up to that
    fraction. ``payload`` "png": a PNG data URL; "pixels": the canvas box-averaged to 70x70 grey
    ints (what the page will send instead)."""
    fractions = sorted({f for stages in STAGES.values() for f in stages})
    out = []
    for digit in digits:
        rows = np.flatnonzero(digit.max(axis=1) > 0)
        stages = {}
        for fraction in fractions:
            shown = digit.copy()
            last = rows[0] + max(1, round(fraction * len(rows)))
            shown[last:] = 0
            canvas = 255 - np.kron(shown.astype(np.float64), np.ones((10, 10)))
            if payload == "png":
                stages[fraction] = {"png": png_data_url(canvas)}
            else:
                boxes = canvas.reshape(70, 4, 70, 4).mean(axis=(1, 3))
                stages[fraction] = {"pixels": np.rint(boxes).astype(int).tolist()}
        out.append(stages)
    return out


# ---------------------------------------------------------------------------------------------
# Recording


class Record:
    """Latencies by endpoint, statuses by endpoint, and the class's other observations."""

    def __init__(self):
        self.guard = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.statuses: dict[str, dict] = {}
        self.notes: dict[str, list] = {}

    def request(self, endpoint, ms, status):
        with self.guard:
            self.statuses.setdefault(endpoint, {}).setdefault(status, 0)
            self.statuses[endpoint][status] += 1
            if status in (200, 201, 202):
                self.times.setdefault(endpoint, []).append(ms)

    def note(self, what, value):
        with self.guard:
            self.notes.setdefault(what, []).append(value)


# ---------------------------------------------------------------------------------------------
# One client's connection


class Client:
    """A keep-alive connection with the student's cookie; a request that finds the connection
    closed by the server meanwhile (its keep-alive timeout) is sent again once on a new one."""

    def __init__(self, port, record, deadline):
        self.port, self.record, self.deadline = port, record, deadline
        self.origin = f"http://127.0.0.1:{port}"
        self.cookie = None
        self.token = None
        self.connection = None
        self.sent = 0

    def headers(self, body):
        headers = {"Origin": self.origin}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def call(self, method, path, body=None, endpoint=None):
        """(status or an error name, answer bytes); recorded under ``endpoint``."""
        data = None if body is None else json.dumps(body).encode()
        endpoint = endpoint or f"{method} {path.split('?')[0]}"
        start = time.perf_counter()
        self.sent += 1
        status, answer = self._send(method, path, data)
        self.record.request(endpoint, 1000 * (time.perf_counter() - start), status)
        return status, answer

    def _send(self, method, path, data):
        for attempt in (0, 1):
            reused = self.connection is not None
            if not reused:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=TIMEOUT
                )
            try:
                self.connection.request(method, path, data, self.headers(data))
                response = self.connection.getresponse()
                answer = response.read()
                if response.getheader("Set-Cookie"):
                    self.cookie = response.getheader("Set-Cookie").split(";")[0]
                if response.will_close or (data is not None and response.status >= 400):
                    # the single-user studio answers an unknown POST path without reading
                    # its body: what follows on that connection would be read as garbage
                    self.close()
                return response.status, answer
            except STALE as error:
                self.close()
                if reused and attempt == 0:
                    self.record.note("reconnects", 1)
                    continue
                return type(error).__name__, b""
            except (TimeoutError, socket.timeout):
                self.close()
                return "timeout", b""
            except OSError as error:
                self.close()
                return type(error).__name__, b""
        return "unreachable", b""

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def join(self, name):
        """Join the class; False in the single-user studio (no /api/join: 404)."""
        status, _ = self.call("POST", "/api/join", {"name": name})
        return status == 201

    def sleep(self, seconds):
        time.sleep(max(0.0, min(seconds, self.deadline - time.monotonic())))

    @property
    def late(self):
        return time.monotonic() >= self.deadline or self.sent >= MAX_REQUESTS


# ---------------------------------------------------------------------------------------------
# The roles


#: seconds after a prediction that the page's Why? panel asks for its maps (why.js)
WHY_DELAY = 0.35


def student(client, name, model, cells, pictures, think, seed):
    """Join, then draw, predict (each prediction followed by the Why? panel's maps, as the page
    asks for them when the drawing rests WHY_DELAY seconds) and click cells until the
    deadline."""
    rng = random.Random(seed)
    client.join(name)
    while not client.late:
        stages = rng.choice(pictures)
        for fraction in STAGES[rng.choice((2, 3, 4))]:
            client.call("POST", "/api/layers", {"model": model, **stages[fraction]})
            pause = rng.uniform(0.3, 1.0) * think  # drawing the next stroke
            if pause >= WHY_DELAY:  # the page's Why? panel asks once the drawing rests
                client.call("POST", "/api/why", {"model": model, **stages[fraction]})
            client.sleep(pause)
            if client.late:
                return
        client.call("POST", "/api/predict", {"model": model, **stages[1.0]})
        client.call("POST", "/api/why", {"model": model, **stages[1.0]})
        for _ in range(rng.randint(1, 3)):
            layer, channels, height, width = rng.choice(cells)
            cell = {
                "layer": layer,
                "channel": rng.randrange(channels),
                "position": [rng.randrange(height), rng.randrange(width)],
            }
            client.call("POST", "/api/explain", {"model": model, **stages[1.0], **cell})
        client.sleep(rng.uniform(3.0, 8.0) * think)


def trainer(client, name, options, record):
    """Join, then train back to back until the deadline: each run's wait from POST /api/train to
    "running" (and the queue places seen meanwhile), its events read as the page reads them."""
    client.join(name)
    while not client.late:
        posted = time.monotonic()
        status, answer = client.call("POST", "/api/train", options)
        if status != 202:
            client.sleep(2.0)
            continue
        record.note("runs_posted", 1)
        places = []
        while not client.late:
            status, answer = client.call("GET", "/api/train")
            state = json.loads(answer) if status == 200 else {}
            if state.get("queue") is not None:
                places.append(state["queue"])
            if state.get("state") in ("running", "finished", "stopped", "failed"):
                record.note("queue_wait_s", time.monotonic() - posted)
                record.note("queue_places", max(places, default=0))
                break
            client.sleep(0.5)
        read_events(client, "/api/train/events", record, "trainer")


def read_events(client, path, record, who, last=0):
    """One SSE stream read to its end (or the deadline): the bytes and events that came.
    Returns the last event id (a reader reconnects from it, as EventSource does)."""
    # a stream is sent a comment every second or so: 30 s of silence is a stalled server
    connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    headers = client.headers(None)
    if last:
        headers["Last-Event-ID"] = str(last)
    got = events = 0
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            response.read()
            record.note(f"sse_refused_{who}", response.status)
            return last
        while not client.late:
            line = response.readline()  # a timeout ends the stream (OSError, below)
            if not line:
                break
            got += len(line)
            if line.startswith(b"id: "):
                events += 1
                last = int(line[4:])
    except OSError as error:
        record.note(f"sse_cut_{who}", type(error).__name__)
    finally:
        connection.close()
        record.note(f"sse_bytes_{who}", got)
        record.note(f"sse_events_{who}", events)
    return last


def sse_reader(client, name, path):
    """Join, then read the events, reconnecting (from the last id) whenever the stream ends."""
    client.join(name)
    last = 0
    while not client.late:
        last = read_events(client, path, client.record, "reader", last)
        client.record.note("sse_connects", 1)
        client.sleep(1.0)


def slow_client(port, kind, path, cookie, record, deadline):
    """A client that holds a connection without doing its part: "trickle" sends a request one
    byte a second, "unread" opens an SSE stream and never reads it, "idle" sends one request
    and stays silent. Notes how long the server kept each connection."""
    opened = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    closed_by_server = False
    try:
        if kind == "trickle":
            request = (
                f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            ).encode() + b" " * 100000
            for byte in request:
                if time.monotonic() >= deadline:
                    break
                sock.sendall(bytes([byte]))
                time.sleep(1.0)
        else:
            target = path if kind == "unread" else "/api/strings"
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
            if kind == "idle":
                sock.settimeout(1.0)
                while time.monotonic() < deadline:
                    try:
                        if not sock.recv(65536):
                            closed_by_server = True
                            break
                    except (TimeoutError, socket.timeout):
                        pass
            else:
                while time.monotonic() < deadline:
                    time.sleep(0.5)
    except OSError:
        closed_by_server = True
    finally:
        sock.close()
    if closed_by_server:
        record.note(f"slow_{kind}_closed_after_s", time.monotonic() - opened)
    else:
        record.note(f"slow_{kind}_held_to_end", 1)


def instructor(client, poll, prompt_every, class_run, record):
    """The instructor's page: ``GET /api/class`` every ``poll`` seconds (the wall, the runs),
    a prompt every ``prompt_every`` seconds, and, with ``class_run``, one run the class watches
    (started again when it ends). Notes the deepest queue of the students' runs it saw."""
    next_prompt = time.monotonic() + prompt_every
    run_posted = None
    digit = 0
    while not client.late:
        if class_run and run_posted is None:
            status, _ = client.call("POST", "/api/class/train", class_run)
            run_posted = time.monotonic() if status == 202 else None
        status, answer = client.call("GET", "/api/class")
        if status == 200:
            overview = json.loads(answer)
            runs = overview.get("runs", [])
            record.note("class_queued", sum(r.get("state") == "queued" for r in runs))
            record.note("class_wall", len(overview.get("wall", [])))
            class_state = next((r.get("state") for r in runs if r.get("run") == "class"), None)
            if run_posted is not None and class_state in ("finished", "stopped", "failed"):
                run_posted = None
        if time.monotonic() >= next_prompt:
            digit = (digit + 1) % 10
            client.call("POST", "/api/class/prompt", {"text": f"draw a {digit}", "digit": digit})
            next_prompt += prompt_every
        client.sleep(poll)
