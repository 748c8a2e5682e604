"""Make a test set of phone photos of handwritten digits, from MNIST *test* digits only.

    python scripts/make_photo_set.py photos/ --count 1000 --seed 0
    python scripts/make_photo_set.py corner/ --kind corner --count 1000
    python benchmarks/bench_photos.py model.npz photos/ corner/

``--kind photo`` (default) renders each digit the way a student photographs a digit drawn on
paper: larger (a quarter to two thirds of the frame), rotated by up to 10 degrees, anywhere in
the frame, on paper with its own texture and tint, under a lighting gradient and sometimes a
soft shadow, then blurred, with sensor noise, at 640x480 or 480x640, saved as a JPEG of quality
50 to 90. Seven in ten are dark ink on light paper, the rest light chalk on a dark board.
``--kind jpeg`` makes the same photos at JPEG quality 60 to 85 only; ``--kind chalk`` all in
chalk on a dark board (light, dusty, broken strokes); ``--kind small`` 40 to 120 pixel PNGs with
a dark digit off-centre on light paper. ``--kind corner`` makes 28x28 PNGs with a small digit (8 to 14 pixels) in one of the corners,
as when a user draws in a small canvas.

The digits come from MNIST's test set only (10,000 digits the models never trained on), picked
at random without repetition; everything is decided by ``--seed``, so the same command makes
the same images. The folder is written whole or not at all (built beside it, then renamed into
place); ``labels.csv`` lists ``file,label,test_index``. Needs Pillow. MNIST is by Yann LeCun,
Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0); the images made keep that licence.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile

import numpy as np

from tatamikomi.data import load_dataset
from tatamikomi.images import write_png


def _smooth_noise(rng, height, width, cell):
    """Noise with features about ``cell`` pixels across, values about -1..1."""
    from PIL import Image

    small = rng.normal(size=(max(2, height // cell), max(2, width // cell))).astype(np.float32)
    return np.asarray(Image.fromarray(small, "F").resize((width, height), Image.BICUBIC))


def render_photo(
    digit: np.ndarray, rng: np.random.Generator, *, quality=(50, 90), board: bool | None = None
) -> bytes:
    """A JPEG photo (bytes) of the MNIST digit ``digit`` (28, 28) uint8 written on paper (or,
    with ``board``, in chalk on a dark board: light, dusty, broken strokes), saved at a JPEG
    quality drawn from ``quality`` (both ends included)."""
    from PIL import Image, ImageFilter

    width, height = (640, 480) if rng.random() < 0.6 else (480, 640)
    # the digit: MNIST's 20-pixel box scaled to a quarter .. two thirds of the frame, rotated
    digit_height = rng.uniform(0.25, 0.67) * min(width, height)
    side = max(28, round(28 * digit_height / 20))
    stroke = Image.fromarray(digit).resize((side, side), Image.BICUBIC)
    stroke = stroke.rotate(rng.uniform(-10, 10), Image.BICUBIC, expand=True)
    alpha = np.asarray(stroke, dtype=np.float32) / 255
    alpha = np.clip(alpha * rng.uniform(1.0, 1.4), 0, 1)  # pens are darker than MNIST's grey
    ink_map = np.zeros((height, width), np.float32)
    h, w = alpha.shape
    top = rng.integers(-h // 8, max(1, height - h + h // 8))  # off-centre, a margin may be cut
    left = rng.integers(-w // 8, max(1, width - w + w // 8))
    ys, xs = slice(max(top, 0), min(top + h, height)), slice(max(left, 0), min(left + w, width))
    ink_map[ys, xs] = alpha[ys.start - top : ys.stop - top, xs.start - left : xs.stop - left]
    # paper and ink, with a tint per channel (paper yellowish or bluish, pens blue or black)
    light_paper = rng.random() < 0.7 if board is None else not board
    if board:  # chalk: dust breaks the strokes up, and a wiped board keeps a grey haze
        dust = np.clip(0.75 + 0.5 * _smooth_noise(rng, *alpha.shape, 2), 0.35, 1)
        alpha = alpha * dust
    if light_paper:
        paper, ink = rng.uniform(150, 235), rng.uniform(10, 70)
    else:
        paper, ink = rng.uniform(20, 80), rng.uniform(170, 240)
    paper_tint = 1 + rng.uniform(-0.06, 0.06, 3)
    ink_tint = 1 + rng.uniform(-0.3, 0.3, 3)
    texture = rng.uniform(2, 8) * _smooth_noise(rng, height, width, 8)
    page = (paper + texture)[..., None] * paper_tint
    pen = np.clip(ink * ink_tint, 0, 255)
    image = page * (1 - ink_map[..., None]) + pen * ink_map[..., None]
    # light: a gradient in a random direction, a vignette, sometimes the phone's soft shadow
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = ((x - width / 2) * np.cos(angle) + (y - height / 2) * np.sin(angle)) / max(width, height)
    light = 1 + rng.uniform(0.2, 0.7) * ramp
    light *= 1 - rng.uniform(0, 0.25) * (((x / width - 0.5) ** 2 + (y / height - 0.5) ** 2) * 2)
    if rng.random() < 0.4:
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        ry, rx = rng.uniform(0.3, 0.8) * height, rng.uniform(0.3, 0.8) * width
        inside = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2
        light *= 1 - rng.uniform(0.15, 0.35) / (1 + np.exp(np.minimum((inside - 1) * 6, 50)))
    image = np.clip(image * light[..., None], 0, 255).astype(np.uint8)
    # the camera: focus blur, sensor noise, JPEG
    photo = Image.fromarray(image).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    noisy = np.asarray(photo, np.float32) + rng.normal(0, rng.uniform(2, 8), (height, width, 1))
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=int(rng.integers(quality[0], quality[1] + 1)))
    return out.getvalue()


def render_small(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(s, s) uint8 with s from 40 to 120: a dark digit (a third to two thirds of the square)
    off-centre on light paper, as a small crop or a canvas export saved as PNG."""
    from PIL import Image

    side = int(rng.integers(40, 121))
    longest = max(12, round(side * rng.uniform(0.33, 0.67)))
    size = round(longest * 28 / 20)
    stroke = np.asarray(Image.fromarray(digit).resize((size, size), Image.BICUBIC), np.float64)
    page = np.full((side, side), rng.uniform(190, 250))
    top = int(rng.integers(0, max(1, side - size + 1)))
    left = int(rng.integers(0, max(1, side - size + 1)))
    h, w = min(size, side - top), min(size, side - left)
    ink = rng.uniform(10, 80)
    alpha = stroke[:h, :w] / 255
    page[top : top + h, left : left + w] = page[top : top + h, left : left + w] * (1 - alpha) + (
        ink * alpha
    )
    page += rng.normal(0, rng.uniform(1, 4), page.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def render_corner(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(28, 28) uint8: the digit shrunk to 8..14 pixels, in one corner of a black square."""
    from PIL import Image

    rows, cols = np.flatnonzero(digit.max(axis=1)), np.flatnonzero(digit.max(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    longest = int(rng.integers(8, 15))
    scale = longest / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray(crop).resize((w, h), Image.LANCZOS))
    out = np.zeros((28, 28), np.uint8)
    margin_y, margin_x = rng.integers(0, 3, 2)
    top = margin_y if rng.random() < 0.5 else 28 - h - margin_y
    left = margin_x if rng.random() < 0.5 else 28 - w - margin_x
    out[top : top + h, left : left + w] = small
    return out


def make_set(folder, kind="photo", count=1000, seed=0, dataset="mnist", data_dir=None, force=False):
    """Write the set into ``folder`` (see the module docstring); returns its number of images."""
    folder = os.path.abspath(os.fspath(folder))
    if os.path.exists(folder) and (not os.path.isdir(folder) or os.listdir(folder)) and not force:
        raise FileExistsError(f"{folder} exists and is not empty; choose another folder or --force")
    parent = os.path.dirname(folder)
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"the folder {parent} does not exist; create it first")
    if data_dir is not None:
        data = load_dataset(dataset, path=data_dir, download=False)
    else:
        data = load_dataset(dataset)
    digits, labels = data.x_test[:, 0], data.t_test  # the test split only, never training
    if not 0 < count <= len(digits):
        raise ValueError(f"--count must be between 1 and {len(digits)}; got {count}")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(digits), count, replace=False))
    building = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.", dir=parent)
    try:
        lines = ["file,label,test_index"]
        for number, index in enumerate(picked):
            digit = np.asarray(digits[index], np.uint8)
            if kind in ("photo", "jpeg", "chalk"):
                name = f"{kind}_{number:04d}.jpg"
                options = {"jpeg": {"quality": (60, 85)}, "chalk": {"board": True}}.get(kind, {})
                with open(os.path.join(building, name), "wb") as f:
                    f.write(render_photo(digit, rng, **options))
            elif kind == "small":
                name = f"small_{number:04d}.png"
                write_png(os.path.join(building, name), render_small(digit, rng))
            else:
                name = f"corner_{number:04d}.png"
                write_png(os.path.join(building, name), render_corner(digit, rng))
            lines.append(f"{name},{int(labels[index])},{int(index)}")
        with open(os.path.join(building, "labels.csv"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(building, 0o755)
        old = None
        if os.path.exists(folder):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.old.", dir=parent)
            os.rename(folder, os.path.join(old, "set"))
        os.rename(building, folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="folder to create (it must not exist, or be empty)")
    parser.add_argument(
        "--kind",
        choices=("photo", "jpeg", "chalk", "small", "corner"),
        default="photo",
        help="phone photos (default), photos at JPEG quality 60-85, chalk on a board, small "
        "off-centre PNGs, or small digits in a 28x28 corner",
    )
    parser.add_argument("--count", type=int, default=1000, help="images (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--dataset",
        default="mnist",
        choices=("mnist", "mnist-mini"),
        help="where the test digits come from (default: mnist)",
    )
    parser.add_argument("--data-dir", help="folder with MNIST's IDX files")
    parser.add_argument("--force", action="store_true", help="replace the folder if it exists")
    args = parser.parse_args(argv)
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("make_photo_set: needs Pillow: pip install pillow", file=sys.stderr)
        return 1
    try:
        count = make_set(
            args.folder, args.kind, args.count, args.seed, args.dataset, args.data_dir, args.force
        )
    except (OSError, ValueError) as error:
        print(f"make_photo_set: {error}", file=sys.stderr)
        return 1
    print(f"{count} {args.kind} images and labels.csv written to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
