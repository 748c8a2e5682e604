"""Where the time goes: each layer's forward and backward in a training step, and in inference.

    python benchmarks/profile_layers.py [--model SimpleConvNet|DeepConvNet] [--steps 200]
                                        [--pyinstrument]

Times a real training loop (MNIST if found, else random images; batch 100; Adam) and reports
the median time of every layer's forward and backward pass, the optimizer's update and the
whole step, then the same for inference (``predict`` on 1,000 images). Each layer is timed by
wrapping its methods, so the numbers add up to the step. ``--pyinstrument`` also prints a
sampled call tree (pip install pyinstrument).

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set, are removed for this process only.
"""

from __future__ import annotations

import os
import sys

if any(os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tatamikomi as tk  # noqa: E402
from _data import mnist_training_images  # noqa: E402  (benchmarks/_data.py, beside this script)


def timed(times: dict, key: str, fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.setdefault(key, []).append(time.perf_counter() - start)
        return result

    return wrapper


def report(title: str, times: dict, total: list) -> None:
    print(f"\n{title}: median {statistics.median(total) * 1e3:.2f} ms per step")
    rows = sorted(((statistics.median(v), k) for k, v in times.items()), reverse=True)
    for seconds, key in rows:
        share = seconds / statistics.median(total)
        print(f"  {key:<22} {seconds * 1e3:8.2f} ms  {share:6.1%}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="SimpleConvNet")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args(argv)
    tk.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads, user_api="blas")
    except ImportError:
        pass
    x, t, source = mnist_training_images()
    print(f"{args.model}, batch 100, Adam, {source}, {args.threads} threads")
    model, adam = tk.models.get_model(args.model, seed=0), tk.Adam(lr=0.001)
    order = np.random.default_rng(0).permutation(len(x))
    batches = [order[i : i + 100] for i in range(0, len(x), 100)]

    def step(batch):
        adam.update(model.params, model.gradient(x[batch], t[batch]))

    for batch in batches[:20]:
        step(batch)
    times: dict = {}
    for name, layer in model.layers.items():
        layer.forward = timed(times, f"{name} forward", layer.forward)
        layer.backward = timed(times, f"{name} backward", layer.backward)
    model.last_layer.forward = timed(times, "loss", model.last_layer.forward)
    adam.update = timed(times, "Adam update", adam.update)
    total = []
    for batch in batches[20 : 20 + args.steps]:
        start = time.perf_counter()
        step(batch)
        total.append(time.perf_counter() - start)
    report("training step", times, total)

    times.clear()
    total = []
    for i in range(5):
        start = time.perf_counter()
        model.predict(x[i * 1000 : (i + 1) * 1000])
        total.append(time.perf_counter() - start)
    report("inference of 1,000 images (predict)", times, total)

    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for batch in batches[: args.steps]:
            step(batch)
        profiler.stop()
        print(profiler.output_text(unicode=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
