"""Make the bundled mnist-mini subset from the original MNIST files.

    python scripts/make_mnist_mini.py ../shared/data/mnist src/tatamikomi/data/mnist_mini

Takes 600 training and 100 test images of each digit, chosen with a fixed seed, in their
original order, and writes the four IDX files gzip-compressed (no timestamp, so the output is
the same bytes every time). MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges,
licensed CC BY-SA 3.0; the subset keeps that licence (see the folder's README.md).
"""

import argparse
import gzip
import os

import numpy as np

from tatamikomi._files import atomic_write
from tatamikomi.data import idx_bytes, load_dataset

PER_CLASS = {"train": 600, "test": 100}
SEED = 20261128


def choose(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    picked = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(picked))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mnist", help="folder with the four original MNIST IDX files")
    parser.add_argument("output", help="folder to write the subset into")
    args = parser.parse_args()
    data = load_dataset("mnist", path=args.mnist, download=False)
    rng = np.random.default_rng(SEED)
    os.makedirs(args.output, exist_ok=True)
    for split, stem in (("train", "train"), ("test", "t10k")):
        x, t = getattr(data, f"x_{split}")[:, 0], getattr(data, f"t_{split}")
        keep = choose(t, PER_CLASS[split], rng)
        for kind, array in (("images-idx3", x[keep]), ("labels-idx1", t[keep].astype(np.uint8))):
            path = os.path.join(args.output, f"{stem}-{kind}-ubyte.gz")
            with atomic_write(path, overwrite=True) as f:
                f.write(gzip.compress(idx_bytes(array), compresslevel=9, mtime=0))
            print(path, array.shape, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
