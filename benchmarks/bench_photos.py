"""Accuracy of a model on photo sets made by ``scripts/make_photo_set.py``, through the same
path as ``tatamikomi predict``: each file read, prepared by ``tatamikomi.images.to_mnist``,
then classified.

    python scripts/make_photo_set.py photos/ --count 1000
    python scripts/make_photo_set.py corner/ --kind corner --count 1000
    python benchmarks/bench_photos.py model.npz photos/ corner/

    for kind in photo jpeg chalk small corner; do
        python scripts/make_photo_set.py set_$kind --kind $kind --count 100 --seed 7
    done
    python benchmarks/bench_photos.py model.npz set_*     # issue 20: >= 98 %, none refused

Each image goes through ``tatamikomi predict``'s own function (``mnist_like``), its final range
check included; a refused image counts as wrong and its line is printed. For each folder: the
accuracy, the mistakes (file, label, prediction, probability), and how
well the top probability flags them: for several thresholds, the share of images under it
and the share of the mistakes among those (what ``predict``'s low-confidence warning
catches). ``--raw`` also reports the accuracy without the preprocessing (the photo simply
shrunk to 28x28 as a grey image, inverted when its border is light), for comparison.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import numpy as np

from tatamikomi.data import normalize_images
from tatamikomi.functional import softmax
from tatamikomi.cli._common import CommandError, mnist_like
from tatamikomi.images import LOW_CONFIDENCE, read_image, resize
from tatamikomi.models import load

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95)


def read_labels(folder):
    with open(os.path.join(folder, "labels.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [os.path.join(folder, row["file"]) for row in rows], np.array(
        [int(row["label"]) for row in rows]
    )


def naive(path, size):
    """The photo shrunk to size x size, inverted if its border is light: no preprocessing."""
    image = read_image(path)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    image = 255 - image if np.median(border) > 127 else image
    return resize(image, size, size)


def classify(model, images):
    divide_by = (model.preprocess or {}).get("divide_by", 255)
    x = normalize_images(np.stack(images)[:, None], divide_by).astype(model.dtype, copy=False)
    return softmax(model.predict(x).astype(np.float64))


def report(model, folder, raw=False, show=10):
    paths, labels = read_labels(folder)
    size = model.input_shape[1]
    start = time.perf_counter()
    images, failed = [], []
    for path in paths:
        try:  # exactly what tatamikomi predict does with the file, its final range check too
            images.append(mnist_like(model, path))
        except CommandError as error:
            failed.append(str(error))
            images.append(np.zeros((size, size)))
    seconds = time.perf_counter() - start
    probabilities = classify(model, images)
    predicted, top = probabilities.argmax(axis=1), probabilities.max(axis=1)
    right = predicted == labels
    print(
        f"{folder}: {len(paths)} images, accuracy {right.mean():.2%} "
        f"({int((~right).sum())} wrong; preprocessing {1000 * seconds / len(paths):.0f} ms "
        f"per image)"
    )
    for message in failed:
        print(f"  refused: {message}")
    for index in np.flatnonzero(~right)[:show]:
        print(
            f"  {os.path.basename(paths[index])}: label {labels[index]}, predicted "
            f"{predicted[index]} ({top[index]:.1%})"
        )
    for threshold in THRESHOLDS:
        under = top < threshold
        caught = (under & ~right).sum()
        mark = "  <- LOW_CONFIDENCE" if threshold == LOW_CONFIDENCE else ""
        print(
            f"  top probability < {threshold:.0%}: {under.mean():6.1%} of the images, "
            f"{caught} of the {int((~right).sum())} mistakes; accuracy above it "
            f"{right[~under].mean() if (~under).any() else float('nan'):.2%}{mark}"
        )
    if raw:
        plain = classify(model, [naive(path, size) for path in paths]).argmax(axis=1)
        print(
            f"  without the preprocessing (shrunk to {size}x{size}): {(plain == labels).mean():.2%}"
        )
    return int(right.sum()), len(paths), len(failed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="model file (e.g. from tatamikomi train)")
    parser.add_argument("folders", nargs="+", help="folders made by scripts/make_photo_set.py")
    parser.add_argument("--raw", action="store_true", help="also without the preprocessing")
    parser.add_argument("--show", type=int, default=10, help="mistakes listed per folder")
    args = parser.parse_args(argv)
    model = load(args.model)
    right = total = refused = 0
    for folder in args.folders:
        r, n, f = report(model, folder, args.raw, args.show)
        right, total, refused = right + r, total + n, refused + f
    print(f"all: {total} images, accuracy {right / total:.2%}, {refused} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
