"""A class on the studio: many students drawing, some training, SSE readers and slow clients,
simulated on 127.0.0.1 against a studio server running in a subprocess (the simulated clients
do not share its GIL).

Each student joins (``POST /api/join``; skipped where it answers 404, the single-user studio),
then until the end: draws a real MNIST test digit in 2-4 strokes, each stroke a
``POST /api/layers`` with the image as the page sends it (``--payload png``: the 280x280 canvas
as a PNG data URL; ``pixels``: the canvas box-averaged to 70x70 grey ints), 0.3-1 s apart; then
``POST /api/predict``, a ``POST /api/why`` after it and after each stroke the page rests on (the
Why? panel's maps), 1-3 ``POST /api/explain`` cell clicks, and 3-8 s of thought (all pauses
times ``--think``). ``--runs`` more students train (mnist-mini, ``--epochs``) back to back and
read their run's events; ``--sse-readers`` read the event stream and reconnect from the last id;
``--slow-clients`` hold connections without doing their part (a third each: a request sent a
byte a second, an SSE stream never read, an idle keep-alive). Meanwhile the server's VmRSS and
VmHWM (from /proc) and a static GET are sampled every half second.

    PYTHONPATH=src python benchmarks/bench_classroom.py [--students 60] [--minutes 1.5]
        [--runs 0] [--sse-readers 0] [--slow-clients 0] [--payload png|pixels]
        [--server stdlib|stdlib-nodelay|asgi] [--classroom] [--think 1.0] [--json FILE]

``--server asgi`` runs benchmarks/_asgi_studio.py (uvicorn + starlette around the same
tatamikomi.serve.api functions; ``pip install uvicorn starlette``) instead of ``tatamikomi
serve``; ``--server stdlib-nodelay`` runs ``tatamikomi serve`` with TCP_NODELAY set on its
connections (see NODELAY). Prints p50/p90/p95/p99/max per endpoint, the statuses that were not
success, the runs' waits for the cores, the server's RSS at the start, peak and end, the CPU and
BLAS kernel.
Every loop is bounded in time: the class ends after ``--minutes``, the server after it.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are removed for this process and the server.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

import _classload as load

HERE = pathlib.Path(__file__).resolve().parent
SAMPLE_SECONDS = 0.5
#: ``tatamikomi serve`` with TCP_NODELAY on its connections (the headers and the body of an
#: answer are two writes; without it a small body waits for the client's delayed ACK, ~40 ms)
NODELAY = (
    "import sys; from tatamikomi.serve.http import JSONHandler; "
    "JSONHandler.disable_nagle_algorithm = True; "
    "from tatamikomi.cli import main; sys.exit(main(sys.argv[1:]))"
)
for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)  # the server inherits this environment


# ---------------------------------------------------------------------------------------------
# The machine


# cpu_model() and blas_kernel(): the package's own, which `tatamikomi explain why-cnn` prints too
from tatamikomi._blas import blas_kernel, cpu_model  # noqa: E402


def listen_overflows() -> int:
    """TcpExt ListenOverflows of the whole machine (other programs' included)."""
    try:
        lines = pathlib.Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table.get("ListenOverflows", 0))
    return 0


# ---------------------------------------------------------------------------------------------
# The server


class ServerProcess:
    """The studio in a subprocess; its URLs read from its stdout; stopped with Ctrl-C (SIGINT),
    killed if it has not ended 30 s later."""

    def __init__(self, kind, classroom, save_dir):
        import tatamikomi

        env = dict(os.environ)
        src = str(pathlib.Path(tatamikomi.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        if kind == "asgi":
            command = [sys.executable, str(HERE / "_asgi_studio.py"), "--save-dir", save_dir]
        elif kind == "stdlib-nodelay":  # what-if: the studio's answers sent without Nagle's wait
            command = [sys.executable, "-c", NODELAY, "serve", "--save-dir", save_dir]
        else:
            command = [sys.executable, "-m", "tatamikomi", "serve", "--save-dir", save_dir]
            command += ["--classroom", "--host", "127.0.0.1"] if classroom else []
        command += ["--port", "0"]
        self.classroom = classroom
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.errors, text=True, env=env
        )
        self.lines: list[str] = []
        self.started = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.started.wait(120) or self.url is None:
            self.stop()
            raise SystemExit(f"the server did not say its URL: {self.lines} {self.stderr()}")

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if self.url and (self.token or not self.classroom):
                self.started.set()
        self.started.set()

    @property
    def url(self):
        lines = [line for line in self.lines if line.startswith("student:")] or self.lines
        found = [re.search(r"http://\S+", line) for line in lines if "instructor" not in line]
        return next((m.group(0) for m in found if m), None)

    @property
    def token(self):
        for line in self.lines:
            if line.startswith("instructor:"):
                return line.rsplit("token=", 1)[-1].strip()
        return None

    @property
    def port(self):
        return int(re.search(r":(\d+)/", self.url).group(1))

    def memory(self) -> dict:
        """VmRSS, VmHWM (MB) and Threads of the server process now."""
        try:
            text = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return {}
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        try:  # utime, stime, cutime, cstime: the server's CPU, and its ended trainings'
            ticks = pathlib.Path(f"/proc/{self.process.pid}/stat").read_text()
            times = [int(t) for t in ticks.rsplit(")", 1)[1].split()[11:15]]
        except (OSError, ValueError):
            times = [0, 0, 0, 0]
        tick = os.sysconf("SC_CLK_TCK")
        return {
            "rss": int(fields["VmRSS"].split()[0]) / 1024,
            "hwm": int(fields["VmHWM"].split()[0]) / 1024,
            "threads": int(fields["Threads"]),
            "cpu_server_s": (times[0] + times[1]) / tick,
            "cpu_trainings_s": (times[2] + times[3]) / tick,
        }

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")[-2000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def sample(server, record, stop, deadline):
    """Every half second until ``stop``: the server's memory, and a static GET's time."""
    probe = load.Client(server.port, record, deadline + 60)
    while not stop.wait(SAMPLE_SECONDS):
        record.note("memory", (time.monotonic(), server.memory()))
        if time.monotonic() < deadline:
            probe.call("GET", "/static/style.css", endpoint="GET static")
    probe.close()


# ---------------------------------------------------------------------------------------------
# The class


def model_cells(client):
    """(model id, [(layer, channels, height, width)] of the explainable layers)."""
    status, answer = client.call("GET", "/api/models", endpoint="setup")
    assert status == 200, (status, answer)
    model = json.loads(answer)["models"][0]["id"]
    status, answer = client.call("GET", f"/api/models/{model}", endpoint="setup")
    cells = [
        (layer["name"], *layer["output_shape"])
        for layer in json.loads(answer)["layers"]
        if layer["explainable"] and len(layer.get("output_shape") or ()) == 3
    ]
    return model, cells


def hold_class(server, args, pictures, record):
    """Run the class until ``--minutes`` have passed; returns how many of its threads had not
    ended by then (each was given its requests' timeout more)."""
    deadline = time.monotonic() + 60 * args.minutes
    setup = load.Client(server.port, record, deadline)
    setup.join("probe")  # the studio's first join; 404 in the single-user one
    model, cells = model_cells(setup)
    for stage in pictures[0].values():  # warm up: the first requests load what they need
        setup.call("POST", "/api/layers", {"model": model, **stage}, endpoint="setup")
    setup.close()
    events = "/api/train/events"
    if args.classroom:  # the class's events, or the class run's that everyone watches
        events = "/api/train/events?run=class" if args.class_run else "/api/events"
    options = {"dataset": "mnist-mini", "epochs": args.epochs}
    threads = []

    def start(target, *rest, token=None):
        client = load.Client(server.port, record, deadline)
        client.token = token
        thread = threading.Thread(target=target, args=(client, *rest), daemon=True)
        thread.start()
        threads.append((thread, client))

    for k in range(args.students):
        start(load.student, f"student {k}", model, cells, pictures, args.think, k)
        time.sleep(min(0.05, args.think))  # the class comes in over a few seconds, not at once
    for k in range(args.runs):
        start(load.trainer, f"trainer {k}", options, record)
    for k in range(args.sse_readers):
        start(load.sse_reader, f"reader {k}", events)
    if server.token is not None:  # the instructor's page
        run = args.class_run and options
        start(load.instructor, args.poll, args.prompt_every, run, record, token=server.token)
    for k in range(args.slow_clients):
        kind = ("trickle", "unread", "idle")[k % 3]
        joiner = load.Client(server.port, record, deadline)
        joiner.join(f"slow {k}")
        joiner.close()
        thread = threading.Thread(
            target=load.slow_client,
            args=(server.port, kind, events, joiner.cookie, record, deadline),
            daemon=True,
        )
        thread.start()
        threads.append((thread, None))
    for thread, client in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + load.TIMEOUT + 5)
        if client is not None:
            client.close()
    return sum(thread.is_alive() for thread, _ in threads)


# ---------------------------------------------------------------------------------------------
# The report


def counts(values) -> dict:
    return {str(v): values.count(v) for v in sorted(set(values), key=str)}


def percentiles(times):
    return [float(np.percentile(times, q)) for q in (50, 90, 95, 99)] + [max(times)]


def report(args, record, stuck, overflows, server_kind) -> dict:
    sampled = [(when, m) for when, m in record.notes.get("memory", []) if m]
    memory = [m for _, m in sampled]
    summary = {
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "mode": "classroom" if args.classroom else "single-user",
        "endpoints": {},
        "errors": {},
    }
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); BLAS: {blas_kernel()}")
    print(f"server: {server_kind} ({summary['mode']}); settings: {summary['settings']}")
    print(f"{'endpoint':<22}{'n':>6}{'p50':>9}{'p90':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)")
    for endpoint in sorted(record.times):
        if endpoint == "setup":
            continue
        times = record.times[endpoint]
        figures = percentiles(times)
        summary["endpoints"][endpoint] = {"n": len(times), "p50": figures[0], "p95": figures[2]}
        print(f"{endpoint:<22}{len(times):>6}" + "".join(f"{v:>9.0f}" for v in figures))
    for endpoint, statuses in sorted(record.statuses.items()):
        bad = {str(s): n for s, n in statuses.items() if s not in (200, 201, 202)}
        if endpoint == "POST /api/join":
            bad.pop("404", None)  # the single-user studio has no join
        if bad and endpoint != "setup":
            summary["errors"][endpoint] = bad
    print(f"not answered with success: {summary['errors'] or 'none'}")
    waits = record.notes.get("queue_wait_s", [])
    posted = len(record.notes.get("runs_posted", []))
    if waits:
        places = record.notes.get("queue_places", [])
        print(
            f"runs: {posted} posted, {len(waits)} started; wait from POST /api/train to running: "
            f"p50 {np.median(waits):.1f} s, max {max(waits):.1f} s; "
            f"deepest queue place seen {max(places, default=0)}"
        )
        summary["queue_wait_s"] = {"p50": float(np.median(waits)), "max": max(waits)}
    elif posted:
        print(f"runs: {posted} posted, none started before the class ended")
    queued = record.notes.get("class_queued")
    if queued:
        wall = max(record.notes.get("class_wall", [0]))
        print(f"instructor's view: at most {max(queued)} runs queued at once; wall of {wall}")
        summary["class_queued_max"] = max(queued)
    for who in ("trainer", "reader"):
        sent = record.notes.get(f"sse_bytes_{who}", [])
        if sent:
            print(
                f"SSE ({who}s): {len(sent)} streams, {sum(sent) / 1e6:.1f} MB, "
                f"{sum(record.notes.get(f'sse_events_{who}', []))} events; refused "
                f"{counts(record.notes.get(f'sse_refused_{who}', [])) or 'never'}, cut "
                f"{counts(record.notes.get(f'sse_cut_{who}', [])) or 'never'}"
            )
    for kind in ("trickle", "unread", "idle"):
        held = len(record.notes.get(f"slow_{kind}_held_to_end", []))
        closed = record.notes.get(f"slow_{kind}_closed_after_s", [])
        if held or closed:
            after = f" (after {np.median(closed):.0f} s median)" if closed else ""
            print(f"slow '{kind}' clients: {held} held to the end, {len(closed)} closed{after}")
    if memory:
        rss = [m["rss"] for m in memory]
        summary["rss_mb"] = {"start": rss[0], "peak": memory[-1]["hwm"], "end": rss[-1]}
        summary["threads_max"] = max(m["threads"] for m in memory)
        # where the 2 cores went: the server, its (ended) trainings, and this simulator itself
        own = os.times()
        summary["cpu_s"] = {
            "server": memory[-1]["cpu_server_s"] - memory[0]["cpu_server_s"],
            "trainings": memory[-1]["cpu_trainings_s"] - memory[0]["cpu_trainings_s"],
            "simulator": own.user + own.system,
            "wall": sampled[-1][0] - sampled[0][0],
        }
        print(
            "CPU seconds: server {server:.0f}, its ended trainings {trainings:.0f}, this "
            "simulator {simulator:.0f}, over {wall:.0f} s of wall time".format(**summary["cpu_s"])
        )
        print(
            f"server RSS: start {rss[0]:.0f} MB, peak (VmHWM) {memory[-1]['hwm']:.0f} MB, "
            f"end {rss[-1]:.0f} MB; threads at most {summary['threads_max']}"
        )
        # whether memory levels off over a long class: RSS at the end of each minute
        first = sampled[0][0]
        minutes = {int((when - first) // 60) + 1: m["rss"] for when, m in sampled}
        summary["rss_mb_by_minute"] = minutes
        if len(minutes) > 2:
            print("server RSS by minute (MB): " + ", ".join(
                f"{k}: {v:.0f}" for k, v in sorted(minutes.items())))
    print(
        f"keep-alive reconnects: {len(record.notes.get('reconnects', []))}; "
        f"listen-queue overflows (whole machine): {overflows}; threads still busy at the end: "
        f"{stuck}"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60, help="students drawing (60)")
    parser.add_argument("--minutes", type=float, default=1.5, help="length of the class (1.5)")
    parser.add_argument("--runs", type=int, default=0, help="students training (0)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of each run (1)")
    parser.add_argument("--sse-readers", type=int, default=0, help="event stream readers (0)")
    parser.add_argument("--slow-clients", type=int, default=0, help="slow connections (0)")
    parser.add_argument("--payload", choices=("png", "pixels"), default="png")
    parser.add_argument("--server", choices=("stdlib", "stdlib-nodelay", "asgi"), default="stdlib")
    parser.add_argument("--classroom", action="store_true", help="serve --classroom")
    parser.add_argument("--class-run", action="store_true", help="the instructor trains too")
    parser.add_argument("--poll", type=float, default=2.0, help="instructor page's poll (2 s)")
    parser.add_argument("--prompt-every", type=float, default=30.0, help="a prompt every (30 s)")
    parser.add_argument("--think", type=float, default=1.0, help="scale of every pause (1.0)")
    parser.add_argument("--digits", type=int, default=30, help="MNIST test digits drawn (30)")
    parser.add_argument("--json", help="append the figures to this file, one JSON line")
    args = parser.parse_args()

    from tatamikomi.data import load_dataset

    test = load_dataset("mnist-mini")
    chosen = np.random.default_rng(0).choice(len(test.x_test), args.digits, replace=False)
    pictures = load.drawings(test.x_test[chosen, 0], args.payload)
    record = load.Record()
    with tempfile.TemporaryDirectory() as save_dir:
        server = ServerProcess(args.server, args.classroom, save_dir)
        stop = threading.Event()
        end = time.monotonic() + 60 * args.minutes + 30  # the sampler's deadline for its probe
        sampler = threading.Thread(target=sample, args=(server, record, stop, end), daemon=True)
        try:
            overflows = listen_overflows()
            sampler.start()
            stuck = hold_class(server, args, pictures, record)
            overflows = listen_overflows() - overflows
            time.sleep(3 * SAMPLE_SECONDS)  # the memory after the class
        finally:
            stop.set()
            sampler.join(10)
            server.stop()
    summary = report(args, record, stuck, overflows, args.server)
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            f.write(json.dumps(summary) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
