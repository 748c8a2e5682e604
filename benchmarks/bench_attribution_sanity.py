"""Do the saliency maps of ``tatamikomi.explain.saliency`` explain the model? The sanity checks
of :func:`tatamikomi.explain.sanity_report`, measured on the studio's pretrained SimpleConvNet
(99.1 % on MNIST) and the first test images of the bundled mnist-mini:

- cascading randomisation (Adebayo et al. 2018): Affine2, then Affine1, then Conv1 re-initialised,
  one more each step; the Spearman rank correlation of each method's |map| with the trained
  model's (a map that explains the model must change: low is good);
- data randomisation: two SimpleConvNets trained the same way for a few seconds on mnist-mini,
  one on true labels and one on shuffled labels; the correlation of their maps (low is good);
- deletion: the predicted class's probability as the pixels are set to 0, most salient first,
  against random orders; the area under each curve (lower than random is good).

An edge map of the image alone (it ignores the model) is measured too: the checks must fail it.

    PYTHONPATH=src python benchmarks/bench_attribution_sanity.py [--images 100] [--json out.json]

The figures in docs/attribution.md come from this script with its defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from tatamikomi._blas import blas_kernel, cpu_model
from tatamikomi.data import load_mini
from tatamikomi.explain import attribution
from tatamikomi.models import load

STUDIO_MODEL = os.path.join(
    os.path.dirname(__file__), "..", "src", "tatamikomi", "serve", "models",
    "simple_convnet_mnist.npz",
)


def edges(model, image, target):
    """The size of the image's own gradient (its edges): a map that ignores the model."""
    picture = np.asarray(image, dtype=np.float64).reshape(np.shape(image)[-2:])
    gy, gx = np.gradient(picture)
    return np.hypot(gx, gy)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=STUDIO_MODEL)
    parser.add_argument("--images", type=int, default=100, help="test images of mnist-mini")
    parser.add_argument("--steps", type=int, default=150, help="training steps (data test)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); BLAS: {blas_kernel()}")
    model = load(args.model)
    data = load_mini(split="test")
    images = (data.x_test[: args.images] / np.float32(255)).astype(model.dtype)
    started = time.perf_counter()
    true_model, shuffled_model, x_test, t_test = attribution.data_randomisation_models(
        steps=args.steps
    )
    trained_for = time.perf_counter() - started
    print(
        f"data randomisation: {args.steps} Adam steps each, {trained_for:.1f} s; test accuracy "
        f"{true_model.accuracy(x_test, t_test):.3f} (true labels), "
        f"{shuffled_model.accuracy(x_test, t_test):.3f} (shuffled labels)"
    )
    started = time.perf_counter()
    report = attribution.sanity_report(
        model, images, [*attribution.METHODS, edges], data_models=(true_model, shuffled_model)
    )
    print(f"{len(images)} images, {time.perf_counter() - started:.1f} s\n")
    print(report.text("en"))
    print()
    layers = report.cascade_layers
    header = ["method", *[f"-{name}" for name in layers], "data", "del AUC", "random", "pass"]
    rows = [header]
    for m in report.methods:
        rows.append([
            m.method, *[f"{c:.2f}" for c in m.cascade],
            "-" if m.data_randomisation is None else f"{m.data_randomisation:.2f}",
            f"{m.deletion_auc:.3f}", f"{m.random_auc:.3f}", "yes" if m.passes else "no",
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {"images": len(images), "cascade_layers": layers,
                 "methods": [vars(m) for m in report.methods]},
                f, indent=1,
            )


if __name__ == "__main__":
    main()
