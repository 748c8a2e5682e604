"""Accuracy benchmark: train on the full MNIST and report test accuracy, epoch time, peak memory.

    python benchmarks/bench_accuracy.py --model SimpleConvNet --epochs 5
    python benchmarks/bench_accuracy.py --model DeepConvNet --epochs 10 --json deep.json

MNIST is looked for as `tatamikomi.data.load_dataset("mnist")` does ($TATAMIKOMI_DATA, the cache,
a download); ../shared/data/mnist beside the repository is used when TATAMIKOMI_DATA is unset.
Not a test: a run takes minutes. The README's accuracy table comes from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np

import tatamikomi
from tatamikomi.data import load_dataset, normalize_images
from tatamikomi.models import get_model
from tatamikomi.train import Trainer

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_MNIST = os.path.join(HERE, "..", "..", "shared", "data", "mnist")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="SimpleConvNet")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--schedule", default="cosine", choices=("constant", "cosine"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment-shift", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()

    if not os.environ.get("TATAMIKOMI_DATA") and os.path.isdir(SHARED_MNIST):
        os.environ["TATAMIKOMI_DATA"] = os.path.abspath(SHARED_MNIST)
    data = load_dataset("mnist")
    x_train, x_test = normalize_images(data.x_train), normalize_images(data.x_test)
    model = get_model(args.model, seed=args.seed)
    optimizer_param = {"lr": args.lr}
    if args.weight_decay:
        optimizer_param["weight_decay"] = args.weight_decay
    trainer = Trainer(
        model,
        x_train,
        data.t_train,
        x_test,
        data.t_test,
        epochs=args.epochs,
        mini_batch_size=args.batch_size,
        optimizer=args.optimizer,
        optimizer_param=optimizer_param,
        seed=args.seed,
        schedule=args.schedule,
        progress=False,
        augment_shift=args.augment_shift,
    )
    start = time.perf_counter()
    history = trainer.train()
    total = time.perf_counter() - start
    result = {
        "model": args.model,
        "recipe": f"{args.optimizer} lr={args.lr} {args.schedule}, batch {args.batch_size}, "
        f"{args.epochs} epochs, seed {args.seed}"
        + (f", weight decay {args.weight_decay}" if args.weight_decay else "")
        + (f", random shifts of up to {args.augment_shift} px" if args.augment_shift else ""),
        "test_accuracy": history["test_acc"][-1],
        "test_accuracy_per_epoch": history["test_acc"],
        "epoch_seconds": history["seconds"],
        "total_seconds": round(total, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
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
