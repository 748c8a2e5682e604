"""Peak memory of evaluating the 10,000 MNIST test images with DeepConvNet.

Each measurement runs in a fresh Python process and reports its peak resident memory
(``ru_maxrss``): the whole process, interpreter, NumPy and the test images included. For
comparison, the same with PyTorch 2.13 (the same network, ``torch.no_grad``, 500 images at a
time) and with tatamikomi forced to run all 10,000 images at once.

    python benchmarks/bench_memory.py [--json results.json]

Uses the real MNIST test set when ``$TATAMIKOMI_DATA`` or the cache has it, else 10,000 random
images of the same shape (memory does not depend on the values).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import resource, sys, time
import numpy as np
mode = sys.argv[1]

def images():
    try:
        import tatamikomi as tk
        data = tk.load_dataset("mnist", download=False)
        return data.x_test.astype(np.float32) / 255, data.t_test, "MNIST test set"
    except Exception:
        rng = np.random.default_rng(0)
        x = rng.random((10000, 1, 28, 28), dtype=np.float32)
        return x, rng.integers(0, 10, 10000), "random"

x, t, source = images()
if mode == "torch":
    import torch
    torch.set_num_threads(2)
    c = lambda i, o, p=1: [torch.nn.Conv2d(i, o, 3, padding=p), torch.nn.ReLU()]
    net = torch.nn.Sequential(*c(1, 16), *c(16, 16), torch.nn.MaxPool2d(2), *c(16, 32),
        *c(32, 32, 2), torch.nn.MaxPool2d(2), *c(32, 64), *c(64, 64), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1024, 50), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(50, 10), torch.nn.Dropout(0.5)).eval()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with torch.no_grad():
        xt = torch.from_numpy(x)
        scores = torch.cat([net(xt[i:i + 500]) for i in range(0, 10000, 500)]).numpy()
else:
    import tatamikomi as tk
    model = tk.DeepConvNet(seed=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    scores = model.predict(x, batch_size=len(x) if mode == "whole" else None)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{peak / 1024:.1f} {before / 1024:.1f} {seconds:.2f} {scores.shape[0]} {source}")
"""

CASES = {
    "tatamikomi DeepConvNet.predict (automatic slices)": "ours",
    "PyTorch 2.13, 500 images at a time, no_grad": "torch",
    "tatamikomi, all 10,000 at once (batch_size=10000)": "whole",
}


def measure(mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True
    )
    peak, before, seconds, count, *source = result.stdout.split()
    return {
        "peak_mb": float(peak),
        "before_mb": float(before),
        "seconds": float(seconds),
        "images": int(count),
        "data": " ".join(source),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--skip-whole", action="store_true", help="skip the all-at-once run")
    args = parser.parse_args(argv)
    print(f"{'case':<52} {'peak MB':>8} {'before MB':>10} {'seconds':>8}")
    results = []
    for name, mode in CASES.items():
        if mode == "whole" and args.skip_whole:
            continue
        row = {"case": name, **measure(mode)}
        results.append(row)
        print(
            f"{name:<52} {row['peak_mb']:8.0f} {row['before_mb']:10.0f} {row['seconds']:8.2f}"
            f"   ({row['images']:,} images, {row['data']})",
            flush=True,
        )
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(results, f, indent=2)
        os.replace(args.json + ".tmp", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
