"""The studio's round trip: a drawing in, the prediction and every layer's output out.

Each round trip is one ``POST /api/layers`` over the loopback with the canvas as the page sends
it (a 280x280 PNG data URL of a real MNIST test 7 drawn as dark ink on white paper), answered by
the studio's server in this process: the PNG decoded, centred by ``to_mnist``, the prediction
and every layer's output computed and sent back as JSON. Measured for the shipped SimpleConvNet
and a DeepConvNet, idle and while the studio trains a SimpleConvNet on mnist-mini (the training
thread shares the machine's cores with the requests). Prints the median and the 90th percentile.

    python benchmarks/bench_studio.py [--rounds 30]

Targets (issue 11): under 50 ms idle, under 150 ms while training.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time

import numpy as np

from _classload import png_data_url  # the canvas's PNG, as the class load sends it

from tatamikomi.data import load_dataset
from tatamikomi.models import get_model
from tatamikomi.serve import api, server


def round_trips(port, model_id, drawing, rounds):
    body = json.dumps({"model": model_id, "png": drawing}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for _ in range(rounds + 2):  # two to warm up
        start = time.perf_counter()
        connection.request("POST", "/api/layers", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        times.append(1000 * (time.perf_counter() - start))
        assert response.status == 200 and answer["prediction"] is not None, answer
    connection.close()
    return times[2:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="round trips per case (30)")
    args = parser.parse_args()
    mini = load_dataset("mnist-mini")
    seven = mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0].astype(float)
    drawing = png_data_url(255 - np.kron(seven, np.ones((10, 10))))
    models = [
        ("SimpleConvNet (shipped)", api.default_model(), "pretrained", None),
        ("DeepConvNet", get_model("DeepConvNet", seed=0).eval(), "spec", None),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        studio = server.Studio(models, save_dir=folder)
        with server.running(studio) as running:
            port = running.server_address[1]
            for state in ("idle", "while training"):
                if state == "while training":
                    studio.start_training({"epochs": 20, "dataset": "mnist-mini"})
                    while studio.training.state != "running":
                        time.sleep(0.05)
                for model_id, (name, *_) in zip(("m1", "m2"), models):
                    times = round_trips(port, model_id, drawing, args.rounds)
                    rows.append((name, state, statistics.median(times), np.percentile(times, 90)))
            steps = sum(e["type"] == "step" for e in studio.training._events)
    print(f"studio round trip (POST /api/layers, a 280x280 PNG drawing), {args.rounds} rounds")
    print(f"{'model':<26}{'state':<17}{'median ms':>10}{'p90 ms':>9}  target")
    for name, state, median, p90 in rows:
        target = 50 if state == "idle" else 150
        mark = "met" if median < target else "NOT met"
        print(f"{name:<26}{state:<17}{median:>10.1f}{p90:>9.1f}  < {target} ms {mark}")
    print(f"(the training made {steps} steps meanwhile)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
