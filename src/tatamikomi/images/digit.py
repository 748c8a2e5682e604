"""Turning images into MNIST-like 28x28 digits.

:func:`to_mnist` makes a photo of a handwritten digit look like an MNIST digit, the way
MNIST's authors prepared theirs, after cleaning up what a phone photo adds:

1. **Flatten the background.** Uneven light, shadows and grey paper are estimated by a heavy
   box blur (twice, the second time with the ink left out) and divided away:
   ``ink = (paper - pixel) / paper`` for dark ink, so the ink's strength no longer depends on
   how brightly each part of the page was lit.
2. **Polarity.** Dark ink on light paper or light chalk on a dark board: the side whose extreme
   values stand out furthest from the background is the ink (MNIST is a light digit on black).
3. **Threshold** by Otsu's method (the level that best separates two classes of grey levels),
   never below six times the background noise.
4. **The digit's connected components**: the largest one, plus those near it (a 4 or a 5
   drawn in two strokes is two components), and none of the specks elsewhere.
5. **MNIST's recipe**: the digit scaled (anti-aliased, aspect ratio kept) so that its longer
   side is 20 pixels, and placed in a 28x28 image with its centre of mass at the centre.

An image on a perfectly even background (a drawing pad's canvas, a rendered digit) has no
light to flatten and no noise: steps 1 to 3 reduce to taking the ink's side of that level, and
it costs half the time.

A 28x28 image that already looks like MNIST (a digit 17 to 22 pixels high, its centre of mass
within 1.5 pixels of the centre, on black) is taken as it is; any other 28x28 image, such as a
small digit in a corner, goes through the same steps.
"""

from __future__ import annotations

import os

import numpy as np

from .. import i18n
from .ops import (
    ImageError,
    _axis_box_sum,
    _check_sides,
    _shrink,
    _work_factor,
    box_blur,
    dilate,
    grey,
    label_components,
    otsu_threshold,
    resize,
)
from .read import read_shrunk

#: Below this top probability, a prediction deserves a second look (``predict`` warns). On our
#: photo test set (``scripts/make_photo_set.py``) nearly all mistakes fall below it; see
#: ``benchmarks/bench_photos.py``.
LOW_CONFIDENCE = 0.8

MNIST_STROKE = 2.9 / 20  # MNIST's median stroke width (2 x area / boundary), per box pixel
MIN_INK = 0.12  # the digit's ink must differ from the paper (or board) by 12 % of its level
# the soft ink: full from the digit's 90th-percentile pixel up, none below half the threshold
FULL_INK, FLOOR = 0.9, 0.5


# ---------------------------------------------------------------------------------------------
# MNIST-like preprocessing


def _border(image: np.ndarray) -> np.ndarray:
    """The pixels along the four edges of ``image`` (H, W), corners counted twice."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _looks_like_mnist(image: np.ndarray, size: int, box: int) -> bool:
    """A (size, size) light digit on black, box-sized and centred by mass, as MNIST's are."""
    if image.shape != (size, size) or image.max() < 64:
        return False
    border = _border(image)
    if np.median(border) > 0.05 * image.max():
        return False
    ink = image > 0.1 * image.max()
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    longest = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    total = image.sum()
    cy = image.sum(axis=1) @ np.arange(size) / total
    cx = image.sum(axis=0) @ np.arange(size) / total
    return box - 3 <= longest <= box + 2 and max(abs(cy - size / 2), abs(cx - size / 2)) <= 1.5


def digit_ink(image: np.ndarray) -> np.ndarray:
    """The digit's ink in a photo or scan (H, W) grey levels: (h, w) in [0, 1], 1 for full ink,
    0 for paper and for everything that is not the digit; the background flattened, the polarity
    found, small images kept at their size and larger ones shrunk to :data:`WORK_SIDE`.

    Raises :class:`ImageError` when the image holds no digit (a blank page)."""
    factor = _work_factor(*image.shape)
    _check_sides(*image.shape, factor)
    image = _shrink(image, factor)
    flat = _flat_background(image)
    if flat is not None:
        return _flat_ink(image, flat)
    height, width = image.shape
    radius = max(3, round(max(height, width) / 8))
    # 1. a first background from a heavy blur (twice: a smoother, triangle-shaped window)
    surface = _fit_surface(image)
    background = surface + box_blur(box_blur(image - surface, radius), radius)
    residual = image - background
    noise = _pixel_noise(image)
    # 2. polarity: the paper is most of the image, so where the image's levels spread far to one
    #    side of its median only, the ink is on that side (a drawing pad, a clean scan: the
    #    blur of a thick digit would make the paper between its strokes look like ink); else
    #    the ink's side is the one that reaches furthest from the flattened paper
    share = max(3.0 / residual.size, 0.0005)  # a small digit in a large frame still counts
    darkest, brightest = -np.quantile(residual, share), np.quantile(residual, 1 - share)
    low, middle, high = np.quantile(image, [0.01, 0.5, 0.99])
    below, above = middle - low, high - middle
    if below > max(3 * above, 12.0):
        sign = -1.0
    elif above > max(3 * below, 12.0):
        sign = 1.0
    else:
        sign = 1.0 if brightest >= darkest else -1.0
    contrast = max(darkest, brightest)
    if contrast < max(12.0, 6 * noise):
        raise i18n.error(ImageError, "errors.image_blank_hint")
    # 3. the background again, now without the ink, and divided away (uneven light)
    first = sign * residual > max(otsu_threshold(sign * residual), 4 * noise)
    paper = ~dilate(first, max(1, radius // 8))
    if paper.sum() > 16:
        surface = _fit_surface(image, paper)
        background = surface + box_blur(box_blur(image - surface, radius, paper), radius)
    lit = np.maximum(background if sign < 0 else 255 - background, 32.0)
    strength = np.maximum(sign * (image - background) / lit, 0)
    noise = _pixel_noise(strength, paper if paper.sum() > 16 else None)
    threshold = max(otsu_threshold(strength), 6 * noise)
    return _chosen_ink(strength, threshold)


def _flat_background(image: np.ndarray) -> float | None:
    """The level of a perfectly even background (a drawing pad, a rendered digit: nine border
    pixels in ten and at least half of the image of exactly one level; strokes may touch the
    edge). None for anything else (a photo, a scan): there, light and noise vary."""
    border = _border(image)
    levels, counts = np.unique(border, return_counts=True)
    level = levels[np.argmax(counts)]
    if 10 * counts.max() >= 9 * border.size and 2 * np.count_nonzero(image == level) >= image.size:
        return float(level)
    return None


def _flat_ink(image: np.ndarray, level: float) -> np.ndarray:
    """:func:`digit_ink` on an even background at ``level``: steps 1 to 3 reduce to taking the
    ink's side of ``level`` (the one the image reaches furthest) as the strength."""
    sign = 1.0 if image.max() - level >= level - image.min() else -1.0
    lit = max(level if sign < 0 else 255 - level, 32.0)
    strength = np.maximum(sign * (image - level) / lit, 0)
    if strength.max() * lit < 12.0:
        raise i18n.error(ImageError, "errors.image_blank_hint")
    return _chosen_ink(strength, otsu_threshold(strength))


def _chosen_ink(strength: np.ndarray, threshold: float) -> np.ndarray:
    """Steps 4 and 5 of :func:`digit_ink`: the ink ``strength`` (h, w) >= 0 above ``threshold``,
    kept on the digit's components only, with soft edges, thickened to MNIST's stroke."""
    height, width = strength.shape
    # 4. the digit's components: the largest, and those near it
    mask = strength > threshold
    ruled = _thin_lines(mask)  # a notebook's ruled lines, a grid: not the digit
    if (mask & ~ruled).any():
        mask &= ~ruled
    labels, count = label_components(mask)
    if count == 0:
        raise i18n.error(ImageError, "errors.image_blank")
    keep = _digit_components(labels, count)
    chosen = np.isin(labels, keep)
    rows, cols = np.flatnonzero(chosen.any(axis=1)), np.flatnonzero(chosen.any(axis=0))
    if max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 < 3:
        raise i18n.error(ImageError, "errors.image_specks")
    full = np.quantile(strength[chosen], FULL_INK)
    if full < MIN_INK:
        raise i18n.error(ImageError, "errors.image_faint", full=full)
    # soft edges: ink from half the threshold up, within a pixel or two of the chosen strokes
    floor = threshold * FLOOR
    ink = np.clip((strength - floor) / max(full - floor, 1e-9), 0, 1)
    ink[~dilate(chosen, max(1, round(max(height, width) / 200))) | ruled] = 0
    return _thicken(ink, chosen)


def _runs(mask: np.ndarray, length: int, axis: int) -> np.ndarray:
    """The pixels of ``mask`` that lie in a run of at least ``length`` along ``axis`` (gaps of
    up to 15 % allowed: a faint line is broken by noise)."""
    length = max(1, min(length, mask.shape[axis]))
    half = length // 2
    window = (half, 0) if axis == 0 else (0, half)
    # centres of fully set windows of 2*half+1 along the axis, then grown back over the run
    full = _axis_box_sum(mask.astype(np.float64), window) >= 0.85 * (2 * half + 1)
    return (_axis_box_sum(full.astype(np.float64), window) > 0.5) & mask


def _thin_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of long thin straight lines (ruled paper, a grid): in a horizontal run of 60 % of
    the image's width (or a vertical one of 60 % of its height) but not in a run across it
    thicker than 3 % of the image. Where a line crosses a stroke, the stroke is kept."""
    height, width = mask.shape
    thick = max(4, round(0.03 * min(height, width)))
    lines = np.zeros_like(mask)
    if min(height, width) < 64:  # a small image is all digit
        return lines
    for along, across, size in ((1, 0, width), (0, 1, height)):
        long_run = _runs(mask, round(0.6 * size), along)
        lines |= long_run & ~_runs(mask, thick, across)
    return lines


def _stroke_width(mask: np.ndarray) -> float:
    """The mean width of the strokes in ``mask``: 2 x area / boundary (a stroke of width w and
    length l has area w l and a boundary of about 2 l pixels)."""
    padded = np.pad(mask, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    boundary = (mask & ~inner).sum()
    return 2 * mask.sum() / max(boundary, 1)


def _thicken(ink: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Strokes thinner than MNIST's (a fine pen on a large digit) widened by a grey dilation to
    about MNIST's width, MNIST_STROKE of the digit's 20-pixel box; others as they are."""
    rows, cols = np.flatnonzero(chosen.any(axis=1)), np.flatnonzero(chosen.any(axis=0))
    longest = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    target = MNIST_STROKE * longest  # in this image's pixels
    width = _stroke_width(chosen)
    radius = int(round((target - width) / 2))
    if width >= 0.75 * target or radius < 1:
        return ink
    out = ink
    for axis in (0, 1):
        grown = out.copy()
        for step in range(1, radius + 1):
            ahead = np.roll(out, step, axis=axis)
            behind = np.roll(out, -step, axis=axis)
            if axis == 0:
                ahead[:step], behind[-step:] = 0, 0
            else:
                ahead[:, :step], behind[:, -step:] = 0, 0
            np.maximum(grown, np.maximum(ahead, behind), out=grown)
        out = grown
    return out


def _fit_surface(image: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """The quadratic surface a + b x + c y + d x^2 + e xy + f y^2 closest (least squares) to
    ``image`` at the ``where`` pixels (default: all, then again without the 5 % furthest off, the
    ink): a lighting gradient or a vignette, which a blur alone gets wrong at the edges."""
    height, width = image.shape
    step = max(1, min(height, width) // 64)  # about 64 x 64 samples are plenty for 6 numbers
    y = np.linspace(-1, 1, height)[:, None]
    x = np.linspace(-1, 1, width)[None, :]
    terms = [np.ones_like(y * x), x + 0 * y, y + 0 * x, x * x + 0 * y, x * y, y * y + 0 * x]
    design = np.stack([t[::step, ::step].ravel() for t in terms], axis=1)
    values = image[::step, ::step].ravel()
    keep = np.ones(values.shape, bool) if where is None else where[::step, ::step].ravel()
    for round_ in range(1 if where is not None else 2):
        if keep.sum() < 6:
            return np.full(image.shape, float(np.median(image)))
        coefficients = np.linalg.lstsq(design[keep], values[keep], rcond=None)[0]
        if where is None and round_ == 0:
            off = np.abs(values - design @ coefficients)
            keep = off <= np.quantile(off, 0.95)
    return sum(c * t for c, t in zip(coefficients, terms))


def _pixel_noise(image: np.ndarray, where: np.ndarray | None = None) -> float:
    """The standard deviation of pixel-to-pixel noise, robustly (median absolute deviation of
    each pixel from its 3x3 neighbourhood; edges and slow light changes hardly count)."""
    detail = image - box_blur(image, 1)
    if where is not None:
        detail = detail[where]
    return float(1.4826 * np.median(np.abs(detail - np.median(detail)))) * 9 / 8 + 1e-9


def _digit_components(labels: np.ndarray, count: int) -> np.ndarray:
    """The labels that make up the digit: the largest component (not touching the image's edge
    if one nearly as large does not), and every component of at least 5 % of its area that lies
    within 20 % of the digit's size of it."""
    height, width = labels.shape
    flat = labels.ravel()
    on = flat > 0
    ids = flat[on] - 1
    ys, xs = np.divmod(np.flatnonzero(on), width)
    area = np.bincount(ids, minlength=count)
    top = np.full(count, height)
    np.minimum.at(top, ids, ys)
    bottom = np.zeros(count, int)
    np.maximum.at(bottom, ids, ys)
    left = np.full(count, width)
    np.minimum.at(left, ids, xs)
    right = np.zeros(count, int)
    np.maximum.at(right, ids, xs)
    edge = (top == 0) | (left == 0) | (bottom == height - 1) | (right == width - 1)
    # a shadow or the desk beside the page reaches the edge, and far across the image
    frame = edge & ((bottom - top + 1 >= height / 2) | (right - left + 1 >= width / 2))
    frame &= min(height, width) >= 64  # in a small image, the digit may well fill it
    score = np.where(edge, area * 0.25, area) * np.where(frame & ~frame.all(), 0.0, 1.0)
    main = int(np.argmax(score))
    chosen = np.zeros(count, bool)
    chosen[main] = True
    box = [top[main], left[main], bottom[main], right[main]]
    while True:
        margin = 0.2 * max(box[2] - box[0], box[3] - box[1]) + 2
        near = (
            (top <= box[2] + margin)
            & (bottom >= box[0] - margin)
            & (left <= box[3] + margin)
            & (right >= box[1] - margin)
            & (area >= 0.05 * area[main])
            & ~chosen
            & (~frame | frame[main])
        )
        if not near.any():
            break
        chosen |= near
        box = [top[chosen].min(), left[chosen].min(), bottom[chosen].max(), right[chosen].max()]
    return np.flatnonzero(chosen) + 1


def fit_mnist(ink: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """MNIST's recipe on an ink image (H, W) (light digit on black, any scale): crop to the
    digit, scale it (anti-aliased, aspect ratio kept) so that its longer side is ``box``, and put
    it in a (size, size) image with its centre of mass at the centre (as MNIST: at pixel
    size/2, rounded to whole pixels). Returns float64 in [0, 255], the brightest pixel 255."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.1 * ink.max())
    cols = np.flatnonzero(ink.max(axis=0) > 0.1 * ink.max())
    digit = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = box / max(digit.shape)
    h = max(1, min(box, round(digit.shape[0] * scale)))
    w = max(1, min(box, round(digit.shape[1] * scale)))
    digit = np.clip(resize(digit, h, w), 0, None)
    # scaled so that the brightest pixel is 255, then clipped: x * (255 / max) can round to
    # 255.00000000000003, and the documented range is a promise
    digit = np.clip(digit * (255 / digit.max()), 0, 255)
    total = digit.sum()
    cy = (digit.sum(axis=1) @ np.arange(h)) / total
    cx = (digit.sum(axis=0) @ np.arange(w)) / total
    top = int(np.clip(round(size / 2 - cy), 0, size - h))
    left = int(np.clip(round(size / 2 - cx), 0, size - w))
    out = np.zeros((size, size))
    out[top : top + h, left : left + w] = digit
    return out


def to_mnist(image, size: int = 28, box: int | None = None) -> np.ndarray:
    """An MNIST-like (size, size) image, float64 in [0, 255], light digit on a black background,
    from a photo, a scan or a drawing of one digit (see the module docstring for the steps).

    ``box`` is the digit's longer side (default: 20 of 28, MNIST's proportion). An image that is
    already MNIST-like is returned as it is (a copy); a light-background one is inverted first.
    Raises :class:`ImageError` for an image with no digit."""
    image = grey(image)
    _check_sides(*image.shape, _work_factor(*image.shape))
    box = round(size * 20 / 28) if box is None else box
    border = _border(image)
    if image.shape == (size, size):
        candidate = 255 - image if np.median(border) > 127 else image
        if _looks_like_mnist(candidate, size, box):
            return candidate.copy()
    return np.clip(fit_mnist(digit_ink(image), size, box), 0, 255)


def prepare_image(path, size: int = 28, box: int | None = None, *, max_pixels=None, max_work=None):
    """What the network sees for the image file ``path``: :func:`read_shrunk` then
    :func:`to_mnist`, (size, size) float64 in [0, 255]. Every :class:`ImageError` names the
    file (e.g. "photo.jpg: the image is blank: ...")."""
    image = read_shrunk(path, max_pixels=max_pixels, max_work=max_work)
    try:
        return to_mnist(image, size, box)
    except ImageError as error:
        raise i18n.error(ImageError, "errors.in_file", path=os.fspath(path), error=error) from None


def confidence(probabilities) -> tuple[int, float]:
    """(class index, its probability) of the most probable class in ``probabilities`` (K,).
    Warn the user when the probability is below :data:`LOW_CONFIDENCE`."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    best = int(np.argmax(probabilities))
    return best, float(probabilities[best])
