"""Accuracy benchmark: train on the full MNIST and report test accuracy, epoch time, peak memory.

    python benchmarks/bench_accuracy.py                                  # tatamikomi train's recipe
    python benchmarks/bench_accuracy.py --model DeepConvNet --json deep.json
    python benchmarks/bench_accuracy.py --epochs 5 --augment-shift 0     # any `train` option

It runs `tatamikomi train` itself (in this process, into a temporary file), so it measures what
users run; options it does not know go to `train` unchanged. MNIST is looked for as the command
looks for it; ../shared/data/mnist beside the repository is used when TATAMIKOMI_DATA is unset.
Not a test: a run takes minutes. The README's accuracy table comes from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time

import numpy as np

import tatamikomi
import tatamikomi.models
from tatamikomi import cli

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_MNIST = os.path.join(HERE, "..", "..", "shared", "data", "mnist")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the results to this JSON file")
    args, train_options = parser.parse_known_args()
    if not os.environ.get("TATAMIKOMI_DATA") and os.path.isdir(SHARED_MNIST):
        os.environ["TATAMIKOMI_DATA"] = os.path.abspath(SHARED_MNIST)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.npz")
        dataset = [] if "--dataset" in train_options else ["--dataset", "mnist"]
        command = ["train", "-o", path, *dataset, *train_options]
        start = time.perf_counter()
        status = cli.main(command)
        total = time.perf_counter() - start
        if status != 0:
            sys.exit(status)
        model, training = tatamikomi.models.load_checkpoint(path)
    history, config = model.history, training["meta"]["config"]
    optimizer = dict(config["optimizer"])
    name = optimizer.pop("name")
    result = {
        "command": "tatamikomi " + " ".join([command[0], *command[3:]]),
        "model": type(model).__name__,
        "recipe": f"{name} {optimizer}, {config['schedule']['name']} schedule, "
        f"batch {config['batch_size']}, {config['epochs']} epochs, seed {config['seed']}, "
        f"shifts up to {config['augment_shift']} px",
        "test_accuracy": history["test_acc"][-1],
        "test_accuracy_per_epoch": history["test_acc"],
        "epoch_seconds": history["seconds"],
        "total_seconds": round(total, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "tatamikomi": tatamikomi.__version__,
        "numpy": np.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
