"""A :class:`Dataset` and the checks its arrays get up front, whatever they came from (IDX
files, a ``.npz``, the user's arrays): labels against the classes (declared, or one per label
value 0..max, inferred), images for their layout (NCHW), dtype, finiteness and range. Every
problem is a :class:`~.errors.DataError` with a one-line message."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import i18n
from .errors import MAX_CLASSES, MAX_INFERRED_CLASSES, DataError, DataLimitError
from .sources import ROLES, TEST_ROLES


@dataclasses.dataclass
class Dataset:
    """Images (N, C, H, W) uint8 (or the file's dtype) and labels (N,) int64, train and test.

    ``divide_by`` is what the pixels are divided by to give the network's input in [0, 1]:
    255 for pixels 0..255, 1 for images already in [0, 1] (found from the data, or declared by
    a ``divide_by`` entry in a ``.npz``); :func:`normalize_images` takes it.
    """

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    classes: tuple[str, ...]
    source: str  #: where the files were found, in words
    credit: str = ""
    divide_by: float = 255

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
            f"from {self.source})"
        )


def _four(arrays: dict) -> list[np.ndarray]:
    """The four arrays in :data:`ROLES` order; a test set alone stands in for the training set
    too (:func:`_test_only` then empties it), so that it is checked as one."""
    if "train_images" not in arrays:
        arrays = {**arrays, "train_images": arrays["test_images"],
                  "train_labels": arrays["test_labels"]}
    return [arrays[role] for role in ROLES]


def _test_only(data: Dataset, roles) -> Dataset:
    """``data`` with an empty training set when only the test set was read."""
    if roles != TEST_ROLES:
        return data
    return dataclasses.replace(data, x_train=data.x_test[:0], t_train=data.t_test[:0])


# ---------------------------------------------------------------------------------------------
# Checking a dataset's arrays up front


def _labels(t: np.ndarray, key: str, where: str) -> tuple[int, int]:
    """The smallest and largest of the labels ``t`` (N,), checked to be class indices."""
    if t.dtype.kind not in "iuf" or t.ndim != 1:
        raise i18n.error(
            DataError, "errors.labels_shape", where=where, key=key, dtype=t.dtype, shape=t.shape
        )
    if t.size == 0:
        return 0, 0
    lo, hi = t.min(), t.max()
    if t.dtype.kind == "f":
        integral = np.isfinite(lo) and np.isfinite(hi) and np.array_equal(t, np.round(t))
        name = "errors.labels_integral" if integral else "errors.labels_fractional"
        raise i18n.error(DataError, name, where=where, key=key, dtype=t.dtype)
    return int(lo), int(hi)


def _check_classes(labels: dict[str, np.ndarray], classes, where: str) -> tuple[str, ...]:
    """The class names: ``classes`` checked against the labels, or (when None) one per label
    value 0..max, which must all appear in the training labels and be at most
    :data:`~.errors.MAX_INFERRED_CLASSES`. Nothing is allocated per label value."""
    ranges = {key: _labels(t, key, where) for key, t in labels.items() if t.size}
    lo = min((r[0] for r in ranges.values()), default=0)
    hi = max((r[1] for r in ranges.values()), default=0)
    if lo < 0:
        key = next(k for k, r in ranges.items() if r[0] == lo)
        raise i18n.error(DataError, "errors.labels_negative", where=where, key=key, lo=lo, hi=hi)
    if classes is not None:
        if len(classes) > MAX_CLASSES:
            raise i18n.error(
                DataLimitError, "errors.arrays_classes_declared_more", where=where,
                len_classes=len(classes), max_classes=MAX_CLASSES,
            )
        if hi >= len(classes):
            key = next(k for k, r in ranges.items() if r[1] == hi)
            raise i18n.error(
                DataError, "errors.labels_over", where=where, key=key, hi=hi, count=len(classes),
                last=len(classes) - 1,
            )
        return tuple(classes)
    declare = i18n.Said("errors.declare_classes")
    if hi >= MAX_INFERRED_CLASSES:
        raise i18n.error(
            DataLimitError, "errors.arrays_labels_run_from", where=where, lo=lo, hi=hi, hi_1=hi + 1,
            max_inferred_classes=MAX_INFERRED_CLASSES, declare=declare,
        )
    train = labels.get("t_train", labels.get("t_test"))
    seen = set(np.unique(train).tolist()) if train is not None else set()
    missing = sorted(set(range(hi + 1)) - seen)
    if missing:
        first = missing[0] if len(missing) == 1 else f"{missing[0]}..{missing[-1]}"
        if missing != list(range(missing[0], missing[-1] + 1)):
            first = ", ".join(map(str, missing[:8])) + (", ..." if len(missing) > 8 else "")
        shift = i18n.Said("errors.labels_shift", lo=lo) if lo > 0 else ""
        raise i18n.error(
            DataError,
            "errors.labels_gap" if len(missing) == 1 else "errors.labels_gaps",
            where=where,
            lo=lo,
            hi=hi,
            first=first,
            count=hi + 1,
            shift=shift,
            declare=declare,
        )
    return tuple(str(i) for i in range(hi + 1))


def image_layout(x, key: str, where: str) -> np.ndarray:
    """Images ``x`` as (N, C, H, W), from (N, H, W) or (N, C, H, W); other layouts (channels
    last, flattened rows, empty) are named with their fix."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise i18n.error(DataError, "errors.images_dtype", where=where, key=key, dtype=x.dtype)
    if x.ndim == 4 and x.shape[3] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        raise i18n.error(
            DataError, "errors.images_channels_last", where=where, key=key, shape=x.shape
        )
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        square = side * side == x.shape[1] and side > 1
        name = "errors.images_flat_square" if square else "errors.images_flat"
        raise i18n.error(DataError, name, where=where, key=key, shape=x.shape, side=side)
    if x.ndim not in (3, 4):
        raise i18n.error(DataError, "errors.images_ndim", where=where, key=key, shape=x.shape)
    if len(x) == 0:
        raise i18n.error(DataError, "errors.images_empty", where=where, key=key)
    if 0 in x.shape[1:]:
        raise i18n.error(DataError, "errors.images_zero_side", where=where, key=key, shape=x.shape)
    return x[:, None] if x.ndim == 3 else x


def _pixel_scale(images: dict[str, np.ndarray], where: str, declared=None) -> float:
    """What the pixels are divided by (255 for 0..255, 1 for [0, 1]), checked: finite, and in
    0..255 (or in 0..``declared``)."""
    lo, hi = math.inf, -math.inf
    for key, x in images.items():
        x_lo, x_hi = float(x.min()), float(x.max())  # NaN spreads to the min and max
        if not (math.isfinite(x_lo) and math.isfinite(x_hi)):
            raise i18n.error(DataError, "errors.images_not_finite", where=where, key=key)
        lo, hi = min(lo, x_lo), max(hi, x_hi)
    if declared is not None:
        scale = float(np.asarray(declared).reshape(-1)[0]) if np.size(declared) == 1 else None
        if scale is None or not (math.isfinite(scale) and scale > 0):
            raise i18n.error(
                DataError, "errors.arrays_divide_one_positive", where=where, declared=declared,
            )
        if lo < 0 or hi > scale:
            raise i18n.error(
                DataError, "errors.pixels_declared", where=where, lo=lo, hi=hi, scale=scale
            )
        return scale
    if lo < 0 or hi > 255:
        raise i18n.error(DataError, "errors.pixels_range", where=where, lo=lo, hi=hi)
    return 1.0 if hi <= 1 else 255.0


def _assemble(name, arrays, classes, where, credit="", divide_by=None) -> Dataset:
    x_train, t_train, x_test, t_test = arrays
    for key, images, labels in (
        ("errors.count_train", x_train, t_train),
        ("errors.count_test", x_test, t_test),
    ):
        if labels.ndim == 1 and images.ndim >= 1 and len(images) != len(labels):
            raise i18n.error(DataError, key, where=where, images=len(images), labels=len(labels))
    x_train, x_test = image_layout(x_train, "x_train", where), image_layout(x_test, "x_test", where)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise i18n.error(
            DataError,
            "errors.split_shapes",
            where=where,
            train=x_train.shape[1:],
            test=x_test.shape[1:],
        )
    test_only = t_train is t_test  # a test set read alone (see _four): named as itself
    labels = {"t_test": t_test} if test_only else {"t_train": t_train, "t_test": t_test}
    images = {"x_test": x_test} if test_only else {"x_train": x_train, "x_test": x_test}
    classes = _check_classes(labels, classes, where)
    scale = _pixel_scale(images, where, divide_by)
    return Dataset(
        name,
        x_train,
        t_train.astype(np.int64),
        x_test,
        t_test.astype(np.int64),
        classes,
        where,
        credit,
        scale,
    )


def from_arrays(
    x_train, t_train, x_test, t_test, *, classes=None, name="arrays", divide_by=None
) -> Dataset:
    """A :class:`Dataset` from arrays, with every check a user's dataset file gets: images
    (N, H, W) or (N, C, H, W) (channels-last named), numeric, finite, 0..255 or [0, 1] (or
    0..``divide_by``), no empty set, labels class indices against ``classes`` (or inferred, see
    the module docstring); a :class:`~.errors.DataError` naming ``name`` otherwise."""
    arrays = [np.asarray(a) for a in (x_train, t_train, x_test, t_test)]
    return _assemble(name, arrays, classes, name, divide_by=divide_by)
