"""Would batching a class's concurrent predictions into one forward pass pay? In this process,
no HTTP: what one drawing costs the studio, step by step (the image decoded, made MNIST-like by
``to_mnist``, the forward pass, every layer's output, the answer's JSON), against the forward
pass of a batch of 8 and 16 images, per image. BLAS runs on one thread, as the studio runs one
image's products (``api._one_image``).

    PYTHONPATH=src python benchmarks/bench_batching.py [--rounds 50]

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are removed for this process only.
"""

from __future__ import annotations

import os
import sys

if any(os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from _classload import drawings  # noqa: E402
from bench_classroom import blas_kernel, cpu_model  # noqa: E402
from tatamikomi._blas import single_threaded  # noqa: E402
from tatamikomi.data import load_dataset  # noqa: E402
from tatamikomi.serve import api  # noqa: E402
from tatamikomi.serve.http import to_json  # noqa: E402


def median_ms(work, rounds) -> float:
    work()  # warm up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))


def forward(model, x):
    """Every layer's output, as api.layer_outputs computes them, for a batch."""
    for layer in model.layers.values():
        x = layer.forward(x)
        layer.release()
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50, help="timed repetitions (50)")
    args = parser.parse_args()
    model = api.default_model()
    test = load_dataset("mnist-mini")
    digits = test.x_test[:16, 0]
    png = drawings(digits[:1], "png")[0][1.0]
    pixels = drawings(digits[:1], "pixels")[0][1.0]
    grey = api.image_from(png)["grey"]
    _, x = api.network_input(model, grey)
    batches = {n: np.repeat(x, n, axis=0) for n in (1, 8, 16)}
    layers_answer = api.layers(model, api.image_from(png))
    rows = []

    def explain(layer):
        return api.explain(model, api.image_from(pixels), layer, 3, [5, 6])

    with single_threaded():
        steps = [
            ("decode the 280x280 PNG (image_from)", lambda: api.image_from(png)),
            ("read the 70x70 pixels (image_from)", lambda: api.image_from(pixels)),
            ("to_mnist (network_input)", lambda: api.network_input(model, grey)),
            ("JSON of the /api/layers answer", lambda: json.dumps(to_json(layers_answer))),
            ("api.predict, PNG", lambda: api.predict(model, api.image_from(png))),
            ("api.predict, pixels", lambda: api.predict(model, api.image_from(pixels))),
            ("api.layers, PNG", lambda: api.layers(model, api.image_from(png))),
            ("api.layers, pixels", lambda: api.layers(model, api.image_from(pixels))),
            ("api.explain, Conv1 cell, pixels", lambda: explain("Conv1")),
            ("api.explain, Pool1 cell, pixels", lambda: explain("Pool1")),
        ]
        for name, work in steps:
            rows.append((name, median_ms(work, args.rounds), 1))
        for n, batch in batches.items():
            rows.append(
                (
                    f"model.predict, batch of {n}",
                    median_ms(lambda: model.predict(batch), args.rounds),
                    n,
                )
            )
        for n, batch in batches.items():
            rows.append(
                (
                    f"every layer's output, batch of {n}",
                    median_ms(lambda: forward(model, batch), args.rounds),
                    n,
                )
            )
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); BLAS: {blas_kernel()} (run on 1 thread)")
    print(f"one drawing's cost in the studio, median of {args.rounds}, SimpleConvNet (shipped)")
    print(f"{'step':<40}{'ms':>9}{'ms/image':>10}")
    for name, ms, n in rows:
        print(f"{name:<40}{ms:>9.2f}{ms / n:>10.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
