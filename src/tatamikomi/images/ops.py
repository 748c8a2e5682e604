"""Grey levels and the pixel operations the preparation uses (NumPy only): :func:`grey`, the
shrinking to :data:`WORK_SIDE`, :func:`resize`, box sums and blurs, :func:`dilate`,
:func:`otsu_threshold` and :func:`label_components`; and :class:`ImageError`, the error of the
whole package."""

from __future__ import annotations

import numpy as np

from .. import i18n

#: The shorter side an image needs for a digit to be found in it (to_mnist).
MIN_SIDE = 8
WORK_SIDE = 512  # photos are shrunk (by whole-pixel block averages) to this longer side first


class ImageError(ValueError):
    """An image that cannot be read or holds no digit (the message names the file, the problem
    and the fix)."""


def check_pixels(image: np.ndarray) -> np.ndarray:
    """``image`` if its values are finite numbers in [0, 255]; else :class:`ImageError`."""
    if image.dtype.kind not in "fiub":
        raise i18n.error(ImageError, "errors.image_dtype", dtype=image.dtype)
    if image.size == 0:
        raise i18n.error(ImageError, "errors.image_empty", shape=image.shape)
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = int(np.size(image) - np.isfinite(image).sum())
        raise i18n.error(ImageError, "errors.image_not_finite", bad=bad)
    low, high = image.min(), image.max()
    if low < 0 or high > 255:
        raise i18n.error(ImageError, "errors.image_range", low=exact(low), high=exact(high))
    return image


def exact(value) -> str:
    """``value`` written short (``-5``, ``0.5``) when that is exact, else with every digit it
    needs (``255.00000000000003``): a message about a range must never show a value in range."""
    short = f"{float(value):g}"
    return short if float(short) == float(value) else repr(float(value))


def grey(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|2|3|4) or (1, H, W) -> (H, W) grey levels, float64 in [0, 255]. Transparent
    pixels count as white paper; colours are weighted as ITU-R 601 (like Pillow's "L" mode).
    Values must be finite and in [0, 255] (:class:`ImageError` otherwise)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim == 3:
        channels = image.shape[2]
        if channels not in (1, 2, 3, 4):
            raise i18n.error(ImageError, "errors.image_channels", shape=image.shape)
    if image.ndim not in (2, 3) or image.size == 0:
        raise i18n.error(ImageError, "errors.image_2d", shape=image.shape)
    check_pixels(image)
    if image.ndim == 2:
        return image.astype(np.float64, copy=False)
    colour = np.empty(image.shape[:2])
    band = max(1, 2**18 // image.shape[1])  # rows at a time: the temporaries stay small
    for top in range(0, image.shape[0], band):
        part = image[top : top + band].astype(np.float64)
        if channels >= 3:
            grey_part = part[..., 0] * 0.299 + part[..., 1] * 0.587 + part[..., 2] * 0.114
        else:
            grey_part = part[..., 0]
        if channels in (2, 4):
            alpha = part[..., -1] / 255
            grey_part = grey_part * alpha + 255 * (1 - alpha)
        # the weights and the alpha blend are float arithmetic: a white pixel may come out as
        # 255.00000000000003, which the next check_pixels would refuse
        np.clip(grey_part, 0, 255, out=colour[top : top + band])
    return colour


def _grey_shrunk(image: np.ndarray) -> np.ndarray:
    """:func:`grey` of ``image`` then :func:`_shrink` by :func:`_work_factor`, a band of rows
    at a time (each band's float64 copy is a few MB, whatever the image's size)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim not in (2, 3) or image.size == 0:
        raise i18n.error(ImageError, "errors.image_2d", shape=image.shape)
    height, width = image.shape[:2]
    factor = _work_factor(height, width)
    _check_sides(height, width, factor)
    if factor == 1:
        return grey(image)
    out = np.empty((height // factor, width // factor))
    band = max(1, 2**18 // (width * factor)) * factor  # whole blocks of rows
    for top in range(0, out.shape[0] * factor, band):
        part = grey(image[top : min(top + band, out.shape[0] * factor)])
        out[top // factor : top // factor + part.shape[0] // factor] = _shrink(part, factor)
    return out


def _work_factor(height: int, width: int) -> int:
    """The block size that shrinks an image to a longer side of at most :data:`WORK_SIDE`."""
    return max(1, -(-max(height, width) // WORK_SIDE))


def _check_sides(height: int, width: int, factor: int) -> None:
    """Refuse an image too thin to hold a digit: under :data:`MIN_SIDE` pixels across once
    shrunk by ``factor`` (so a one-row image never reaches the preparation)."""
    if min(height, width) < MIN_SIDE * factor:
        raise i18n.error(
            ImageError, "errors.image_too_thin", width=width, height=height, least=MIN_SIDE * factor
        )


# ---------------------------------------------------------------------------------------------
# Image operations used by the preprocessing (NumPy only)


def _resample_matrix(source: int, target: int) -> np.ndarray:
    """(target, source) weights: area averaging when shrinking, linear when enlarging."""
    if target <= source:
        edges = np.linspace(0, source, target + 1)
        j = np.arange(source)
        overlap = np.minimum(edges[1:, None], j + 1) - np.maximum(edges[:-1, None], j)
        weights = np.clip(overlap, 0, None)
        return weights / weights.sum(axis=1, keepdims=True)
    centres = (np.arange(target) + 0.5) * source / target - 0.5
    centres = np.clip(centres, 0, source - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, source - 1)
    weights = np.zeros((target, source))
    weights[np.arange(target), low] += 1 - (centres - low)
    weights[np.arange(target), high] += centres - low
    return weights


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H, W) resampled to (height, width): area averages (anti-aliased) when
    shrinking, linear interpolation when enlarging."""
    return (
        _resample_matrix(image.shape[0], height) @ image @ _resample_matrix(image.shape[1], width).T
    )


def _shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """Means of factor x factor blocks (the last partial blocks dropped)."""
    if factor <= 1:
        return image
    height, width = image.shape[0] // factor, image.shape[1] // factor
    # whole rows first (a view, no copy of the large image), then the columns of the small sum
    rows = image[: height * factor].reshape(height, factor, image.shape[1]).sum(axis=1)
    blocks = rows[:, : width * factor].reshape(height, width, factor).sum(axis=2)
    return blocks / (factor * factor)


def box_sum(image: np.ndarray, radius: int) -> np.ndarray:
    """Sum over the (2r+1) x (2r+1) window around each pixel, clipped at the edges, by
    cumulative sums: O(H W) whatever the radius."""
    return _axis_box_sum(np.asarray(image, dtype=np.float64), (radius, radius))


def _axis_box_sum(image: np.ndarray, radii: tuple[int, int]) -> np.ndarray:
    """Sums over a (2 ry + 1) x (2 rx + 1) window (clipped at the edges)."""
    out = image
    for axis, radius in enumerate(radii):
        if radius == 0:
            continue
        n = out.shape[axis]
        total = np.cumsum(out, axis=axis)
        total = np.concatenate([np.zeros_like(total.take([0], axis=axis)), total], axis=axis)
        index = np.arange(n)
        high = np.minimum(index + radius + 1, n)
        low = np.maximum(index - radius, 0)
        out = total.take(high, axis=axis) - total.take(low, axis=axis)
    return out


def box_blur(image: np.ndarray, radius: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean over the (2r+1)^2 window around each pixel (only of the pixels inside the image,
    and only of those with nonzero ``weights`` when given: a normalised convolution)."""
    if weights is None:
        weights = np.ones(image.shape)
    count = box_sum(weights, radius)
    total = box_sum(image * weights, radius)
    return total / np.maximum(count, 1e-9)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels in every direction (a square structuring element)."""
    return box_sum(mask, radius) > 0.5 if radius > 0 else mask.copy()


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the level t that maximises the between-class variance
    w0 w1 (mu0 - mu1)^2 of the values below and above it."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return low
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    p = counts / counts.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    mu = np.cumsum(p * centres)
    between = ((mu[-1] * w0 - mu) ** 2 / np.maximum(w0 * (1 - w0), 1e-12))[:-1]
    # across an empty gap between the classes every level scores the same: take its middle
    best = np.flatnonzero(between >= between.max() * (1 - 1e-12))
    return float(edges[1:][(best[0] + best[-1]) // 2])


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of ``mask`` (H, W) bool: (labels (H, W) int64 with 0 for the
    background and 1..n for the components, n).

    Each pixel starts with its own index as label and repeatedly takes the smallest label among
    its neighbours; "pointer jumping" (a pixel adopts the label of the pixel its label names)
    lets labels travel far in one step, so a few dozen vectorised passes suffice."""
    height, width = mask.shape
    none = height * width
    labels = np.where(mask, np.arange(none).reshape(height, width), none)
    padded = np.full((height + 2, width + 2), none)
    while True:
        padded[1:-1, 1:-1] = labels
        smallest = labels
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                smallest = np.minimum(smallest, padded[dy : dy + height, dx : dx + width])
        smallest = np.where(mask, smallest, none)
        pointer = np.append(smallest.ravel(), none)  # pointer[none] = none
        while True:
            jumped = pointer[pointer]
            if np.array_equal(jumped, pointer):
                break
            pointer = jumped
        updated = pointer[:-1].reshape(height, width)
        if np.array_equal(updated, labels):
            break
        labels = updated
    roots, dense = np.unique(labels, return_inverse=True)
    dense = dense.reshape(height, width) + 1
    dense[~mask] = 0
    return dense, int((roots < none).sum())
