"""Reading images for prediction, and turning them into MNIST-like 28x28 digits.

The package by job: :mod:`.read` reads (and writes) image files, each format's size checked
against :data:`MAX_IMAGE_PIXELS` and :data:`MAX_WORK_BYTES` before anything is decoded
(:mod:`._png`, the PNG decoder and encoder, NumPy and ``zlib`` alone); :mod:`.ops` holds the
grey levels and the pixel operations; :mod:`.digit` is the MNIST digit recipe
(:func:`to_mnist`, :func:`fit_mnist`, :func:`prepare_image`). Every name is importable from
here, as before the package was split."""

from .digit import (
    FLOOR,
    FULL_INK,
    LOW_CONFIDENCE,
    MIN_INK,
    MNIST_STROKE,
    confidence,
    digit_ink,
    fit_mnist,
    prepare_image,
    to_mnist,
)
from .ops import (
    MIN_SIDE,
    WORK_SIDE,
    ImageError,
    box_blur,
    box_sum,
    check_pixels,
    dilate,
    exact,
    grey,
    label_components,
    otsu_threshold,
    resize,
)
from .read import (
    GREY_BYTES,
    MAX_FILTER_STEPS,
    MAX_IMAGE_PIXELS,
    MAX_WORK_BYTES,
    PILLOW_HINT,
    decode_png,
    decode_pnm,
    png_bytes,
    read_image,
    read_image_bytes,
    read_shrunk,
    read_shrunk_bytes,
    write_png,
)

__all__ = [
    "MAX_IMAGE_PIXELS",
    "MAX_WORK_BYTES",
    "GREY_BYTES",
    "MAX_FILTER_STEPS",
    "MIN_SIDE",
    "LOW_CONFIDENCE",
    "MNIST_STROKE",
    "MIN_INK",
    "WORK_SIDE",
    "FULL_INK",
    "FLOOR",
    "PILLOW_HINT",
    "ImageError",
    "read_image",
    "read_image_bytes",
    "read_shrunk",
    "read_shrunk_bytes",
    "decode_png",
    "check_pixels",
    "exact",
    "grey",
    "decode_pnm",
    "write_png",
    "png_bytes",
    "resize",
    "box_sum",
    "box_blur",
    "dilate",
    "otsu_threshold",
    "label_components",
    "digit_ink",
    "fit_mnist",
    "to_mnist",
    "prepare_image",
    "confidence",
]
