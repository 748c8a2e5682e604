"""Make the SimpleConvNet that `tatamikomi serve` shows when it is given no model.

    python scripts/make_pretrained.py /work/shared/data/mnist

Trains SimpleConvNet with the command line's default recipe (``tatamikomi train``: 10 epochs,
Adam 0.003 on a cosine schedule, batch 100, shifts of up to 2 pixels, seed 0) on the full MNIST
(60,000 training images), then writes the model alone, without the optimizer's state, to
``src/tatamikomi/serve/models/simple_convnet_mnist.npz`` and prints its test accuracy. MNIST is by
Yann LeCun, Corinna Cortes and Christopher J. C. Burges, licensed CC BY-SA 3.0.
"""

import argparse
import os
import tempfile

from tatamikomi import models
from tatamikomi.cli import main as tatamikomi

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(
    HERE, "..", "src", "tatamikomi", "serve", "models", "simple_convnet_mnist.npz"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mnist", help="folder with the four original MNIST IDX files")
    parser.add_argument("-o", "--output", default=OUTPUT, help="model file to write")
    parser.add_argument("--force", action="store_true", help="replace the output if it exists")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = os.path.join(folder, "model.npz")
        status = tatamikomi(
            [
                "train",
                "--dataset",
                "mnist",
                "--data-dir",
                args.mnist,
                "--no-download",
                "--output",
                checkpoint,
                "--quiet",
            ]
        )
        if status != 0:
            raise SystemExit(status)
        model = models.load(checkpoint)
    models.save(model, args.output, overwrite=args.force)  # no optimizer state: a third the size
    print(
        f"wrote {os.path.normpath(args.output)}; test accuracy {model.history['test_acc'][-1]:.2%}"
    )


if __name__ == "__main__":
    main()
