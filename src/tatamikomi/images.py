"""Reading images for prediction, and turning them into MNIST-like 28x28 digits.

:func:`read_image` reads PNG (interlaced too), PGM/PPM (P2, P3, P5, P6) and ``.npy`` with NumPy
alone, and JPEG, BMP, GIF, WebP and TIFF when Pillow is installed (``pip install
"tatamikomi[images]"``). The format is recognised from the file's first bytes, not its name.
Every reader checks the declared size before it decodes or allocates anything: against
:data:`MAX_IMAGE_PIXELS`, against the file's own size, and the memory that reading and
preparing that many pixels takes against :data:`MAX_WORK_BYTES` (so a 75 KB PNG that declares
4096 x 4096 pixels is refused, not decoded into a gigabyte).

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

A 28x28 image that already looks like MNIST (a digit 17 to 22 pixels high, its centre of mass
within 1.5 pixels of the centre, on black) is taken as it is; any other 28x28 image, such as a
small digit in a corner, goes through the same steps.
"""

from __future__ import annotations

import os

import numpy as np

from . import _png, i18n

#: The largest image read, in pixels (width x height), checked before anything is allocated,
#: like Pillow's ``Image.MAX_IMAGE_PIXELS``. 50 million covers the largest phone cameras
#: (8160 x 6120); a bigger image is refused with a clear error. Pass ``max_pixels`` to
#: :func:`read_image` to allow more for one call.
MAX_IMAGE_PIXELS = 50_000_000

#: The most memory (bytes) that reading one image and preparing it for the network may take,
#: estimated from the size its header declares, before anything is decoded: the decoder's own
#: arrays per pixel (measured: a PNG's inflated rows, unfiltered in place, 1 byte per sample
#: plus 1; Pillow's decoded image, 4 bytes per pixel for colour, and its conversion: about 12
#: for a JPEG, TIFF or BMP, 20 for WebP), plus what comes next (:func:`read_image`'s float64
#: grey levels, :data:`GREY_BYTES`; :func:`prepare_image` shrinks band by band, 1), plus 16 MiB
#: whatever the size. 256 MiB keeps the whole preparation under 400 MB (a process's peak, the
#: interpreter included) and within seconds; it admits a 20-megapixel JPEG and a 35-megapixel
#: RGBA PNG at ``prepare_image`` (the command line's ``predict`` and the studio); a bigger
#: image is refused in one line asking to shrink it (the preparation shrinks every image to
#: :data:`WORK_SIDE` pixels anyway).
MAX_WORK_BYTES = 256 * 2**20

#: Bytes per pixel after decoding in :func:`read_image`: the float64 grey levels (8) and
#: to_mnist's check (1).
GREY_BYTES = 9

#: The most steps undoing a PNG's Average and Paeth row filters may take (each a NumPy operation
#: over one anti-diagonal; about 10,000 per second): an 8160 x 6120 photo needs about 55,000, a
#: PNG one pixel wide and a million rows tall a million (refused, instead of minutes of work).
MAX_FILTER_STEPS = 100_000

#: The shorter side an image needs for a digit to be found in it (to_mnist).
MIN_SIDE = 8

#: Below this top probability, a prediction deserves a second look (``predict`` warns). On our
#: photo test set (``scripts/make_photo_set.py``) nearly all mistakes fall below it; see
#: ``benchmarks/bench_photos.py``.
LOW_CONFIDENCE = 0.8

MNIST_STROKE = 2.9 / 20  # MNIST's median stroke width (2 x area / boundary), per box pixel
MIN_INK = 0.12  # the digit's ink must differ from the paper (or board) by 12 % of its level
WORK_SIDE = 512
# the soft ink: full from the digit's 90th-percentile pixel up, none below half the threshold
FULL_INK, FLOOR = (
    0.9,
    0.5,
)  # photos are shrunk (by whole-pixel block averages) to this longer side first

PILLOW_HINT = "pip install 'tatamikomi[images]'"


class ImageError(ValueError):
    """An image that cannot be read or holds no digit (the message names the file, the problem
    and the fix)."""


# ---------------------------------------------------------------------------------------------
# Reading


def _pillow_format(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    return None


def read_image(
    path, *, max_pixels: int | None = None, max_work: int | None = None
) -> np.ndarray:
    """The image in ``path`` as grey levels (H, W), float64 in [0, 255].

    ``max_pixels`` (default :data:`MAX_IMAGE_PIXELS`) is the largest width x height read;
    ``max_work`` (default :data:`MAX_WORK_BYTES`) the most memory reading and preparing it may
    take, estimated from the declared size before anything is decoded.
    Raises FileNotFoundError for a missing file and :class:`ImageError` (one line: the file,
    the problem, the fix) for anything that is not a readable image."""
    return grey(_decode(path, max_pixels, max_work, GREY_BYTES))


def read_shrunk(path, *, max_pixels: int | None = None, max_work: int | None = None):
    """The image in ``path`` as grey levels (h, w), float64 in [0, 255], shrunk by whole-pixel
    block means so that its longer side is at most :data:`WORK_SIDE`: what :func:`to_mnist`
    works on, made band by band without a full-size float copy (a 12-megapixel photo costs its
    decoded bytes, not 8 more per pixel). Limits and errors as :func:`read_image`; an image too
    thin to hold a digit is refused here, by its real size."""
    decoded = _decode(path, max_pixels, max_work, 1)
    try:
        return _grey_shrunk(decoded)
    except ImageError as error:
        raise i18n.error(ImageError, "in_file", path=os.fspath(path), error=error) from None


def _decode(path, max_pixels, max_work, after):
    """The decoded image in ``path``, (H, W) or (H, W, C), as its decoder gives it (uint8 or
    float), checked by the limits with ``after`` bytes per pixel for what the caller does next."""
    path = os.fspath(path)
    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    work = MAX_WORK_BYTES if max_work is None else max_work
    if os.path.isdir(path):
        raise i18n.error(ImageError, "image_folder", path=path)
    if not os.path.exists(path):
        raise i18n.error(FileNotFoundError, "image_missing", path=path)
    if not os.path.isfile(path):
        raise i18n.error(ImageError, "image_not_file", path=path)
    try:
        with open(path, "rb") as f:
            head = f.read(16)
        if head.startswith(b"\x93NUMPY"):
            image = _from_npy(path, limit, work, after)
        elif _pillow_format(head):
            image = _with_pillow(path, _pillow_format(head), limit, work, after)
        else:
            with open(path, "rb") as f:
                data = f.read()
            if data.startswith(_png.SIGNATURE):
                image = _png.decode(
                    data, limit, max_work=work, after=after, max_steps=MAX_FILTER_STEPS
                )
            elif data[:2] in (b"P2", b"P3", b"P5", b"P6"):
                image = decode_pnm(data, limit, max_work=work, after=after)
            else:
                raise i18n.error(ImageError, "image_format")
        check_pixels(image)
        return image
    except (ImageError, _png.PNGError) as error:
        raise i18n.error(ImageError, "in_file", path=path, error=error) from None
    except (OSError, ValueError, IndexError) as error:
        raise i18n.error(ImageError, "image_damaged", path=path, error=error) from None


def decode_png(
    data: bytes, max_pixels: int | None = None, max_work: int | None = None
) -> np.ndarray:
    """A PNG image from its bytes: (H, W) grey or (H, W, C) with C = 2, 3 or 4, in [0, 255]
    (uint8, float64 for 16-bit samples); its size limited as by :func:`read_image`."""
    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    work = MAX_WORK_BYTES if max_work is None else max_work
    try:
        return _png.decode(
            data, limit, max_work=work, after=GREY_BYTES, max_steps=MAX_FILTER_STEPS
        )
    except _png.PNGError as error:
        raise i18n.recast(ImageError, error) from None


def check_pixels(image: np.ndarray) -> np.ndarray:
    """``image`` if its values are finite numbers in [0, 255]; else :class:`ImageError`."""
    if image.dtype.kind not in "fiub":
        raise i18n.error(ImageError, "image_dtype", dtype=image.dtype)
    if image.size == 0:
        raise i18n.error(ImageError, "image_empty", shape=image.shape)
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        bad = int(np.size(image) - np.isfinite(image).sum())
        raise i18n.error(ImageError, "image_not_finite", bad=bad)
    low, high = image.min(), image.max()
    if low < 0 or high > 255:
        raise i18n.error(ImageError, "image_range", low=exact(low), high=exact(high))
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
            raise i18n.error(ImageError, "image_channels", shape=image.shape)
    if image.ndim not in (2, 3) or image.size == 0:
        raise i18n.error(ImageError, "image_2d", shape=image.shape)
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
        raise i18n.error(ImageError, "image_2d", shape=image.shape)
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
            ImageError, "image_too_thin", width=width, height=height, least=MIN_SIDE * factor
        )


def _npy_header(f):
    """(shape, fortran_order, dtype) of an open .npy file, read without loading the data."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version == (1, 0):
        return fmt.read_array_header_1_0(f)
    if version == (2, 0):
        return fmt.read_array_header_2_0(f)
    raise ImageError(f".npy format version {version} is not read here; save it with numpy.save")


def _from_npy(path, max_pixels, max_work=None, after=GREY_BYTES):
    """A .npy image: the header's shape and dtype are checked against the file size and the
    pixel limit before the data are read; 0..1 floats count as normalised and are scaled."""
    with open(path, "rb") as f:
        try:
            shape, fortran, dtype = _npy_header(f)
        except ValueError as error:
            raise ImageError(f"the .npy header is damaged ({error})") from None
        if dtype.hasobject or dtype.kind not in "fiub":
            raise i18n.error(ImageError, "image_npy_dtype", dtype=dtype)
        if len(shape) not in (2, 3):
            raise i18n.error(ImageError, "image_2d", shape=shape)
        height, width = shape[1:] if len(shape) == 3 and shape[0] == 1 else shape[:2]
        _png.check_size(width, height, max_pixels)
        count = int(np.prod(shape, dtype=object))
        if len(shape) == 3 and min(shape[0], shape[2]) > 4:
            raise i18n.error(ImageError, "image_channels", shape=shape)
        channels = count // (width * height)
        # the data, then a float64 copy when normalised, then the grey levels
        per_pixel = channels * (dtype.itemsize + 8) + after
        _png.check_work(width, height, per_pixel, max_work, ".npy")
        needed = count * dtype.itemsize
        available = os.fstat(f.fileno()).st_size - f.tell()
        if available < needed:
            raise ImageError(
                f"the .npy file is truncated: its header says {shape} {dtype} "
                f"({needed:,} bytes) but {available:,} bytes follow"
            )
        image = np.fromfile(f, dtype, count).reshape(shape, order="F" if fortran else "C")
    check_pixels(image)
    if image.dtype.kind in "fb" and image.max() <= 1.0:  # a normalised image
        image = image * 255.0
    return image


def _pillow_bytes(image) -> int:
    """Bytes per pixel Pillow keeps for a decoded image of this mode (one byte per band, four
    for any image of several bands, whose pixels Pillow stores in 32 bits)."""
    bands = len(image.getbands())
    if bands > 1:
        return 4
    return 2 if image.mode.startswith("I;16") else 4 if image.mode in ("I", "F") else 1


def _with_pillow(path, kind, max_pixels, max_work=None, after=GREY_BYTES):
    """Grey levels (or RGBA where the image is transparent) of an image only Pillow reads.

    Pillow's open reads the header alone: the size and mode are checked against the limits
    (the decoded image, its upright copy, the conversion to grey and NumPy's copy of it) before
    ``load`` decodes anything."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise i18n.error(ImageError, "image_pillow", kind=kind, hint=PILLOW_HINT) from None
    import warnings

    try:
        with warnings.catch_warnings():
            # our own limits come next, in one line; not Pillow's warning on standard error
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(path)
        with opened as image:
            _png.check_size(*image.size, max_pixels)
            stored = _pillow_bytes(image)
            converted = 8 + 2 if image.mode.startswith("I;16") else 4
            webp = 8 if kind == "WebP" else 0  # libwebp's own buffer, and its copy
            # Pillow's decoding and conversion first, then NumPy's copy and the caller's part
            per_pixel = max(2 * stored + converted + webp, 2 + after)
            _png.check_work(*image.size, per_pixel, max_work, kind)
            image = ImageOps.exif_transpose(image)  # a phone photo held sideways, upright
            if image.mode.startswith("I;16"):
                return np.asarray(image, dtype=np.float64) / 257
            if "A" in image.mode or "transparency" in image.info:
                return np.asarray(image.convert("RGBA"))
            return np.asarray(image.convert("L"))
    except _png.PNGError:
        raise
    except Image.DecompressionBombError as error:
        raise i18n.error(ImageError, "image_bomb", error=error) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise i18n.error(ImageError, "image_kind_damaged", kind=kind, error=error) from None


def decode_pnm(
    data: bytes, max_pixels: int | None = None, max_work: int | None = None,
    after: int = GREY_BYTES,
) -> np.ndarray:
    """A PGM or PPM image (P2/P5 grey, P3/P6 colour), scaled to [0, 255] (8-bit binary ones
    kept as uint8); its size limited as by :func:`read_image`."""
    kind = data[:2]
    fields, position = [], 2
    while len(fields) < 3:  # width, height, maxval, with # comments allowed between them
        while position < len(data) and data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        start = position
        while position < len(data) and not data[position : position + 1].isspace():
            position += 1
        if start == position or not data[start:position].isdigit():
            raise ImageError("the PGM/PPM header is truncated or damaged")
        fields.append(int(data[start:position]))
    width, height, maxval = fields
    if not (width > 0 and height > 0 and 0 < maxval < 65536):
        raise ImageError(f"the PGM/PPM header is invalid ({width}x{height}, maxval {maxval})")
    channels = 3 if kind in (b"P3", b"P6") else 1
    binary = kind in (b"P5", b"P6")
    # text: a Python bytes object and a list entry per value (~50 bytes), then int64; binary:
    # the float64 scaling and its temporary, unless 8 bits stay as they are
    sample = 1 if maxval < 256 else 2
    per_value = sample + (0 if maxval == 255 else 16) if binary else 64
    per_pixel = per_value * channels + after
    try:
        _png.check_size(width, height, max_pixels)
        _png.check_work(width, height, per_pixel, max_work, "PGM/PPM")
    except _png.PNGError as error:
        raise i18n.recast(ImageError, error) from None
    count = width * height * channels
    if kind in (b"P5", b"P6"):
        dtype = ">u1" if maxval < 256 else ">u2"
        if len(data) - position - 1 < count * np.dtype(dtype).itemsize:
            raise ImageError(f"the image is truncated: {width}x{height} needs more data")
        values = np.frombuffer(data, dtype, count, offset=position + 1)  # no copy of the body
    else:
        values = np.array(data[position:].split()[:count], dtype=np.int64)
        if values.size < count:
            raise ImageError(f"the image is truncated: {width}x{height} needs {count} values")
    if values.max(initial=0) > maxval:
        raise ImageError(f"pixel values go above the header's maxval {maxval}")
    if binary and maxval == 255:
        image = values.reshape(height, width, channels)
        return image[..., 0] if channels == 1 else image
    image = values.reshape(height, width, channels).astype(np.float64) * (255 / maxval)
    return image[..., 0] if channels == 1 else image


# ---------------------------------------------------------------------------------------------
# Writing


def write_png(path, image, *, overwrite: bool = False, scale: int = 1, hint: str = "") -> None:
    """Save ``image`` (H, W) grey levels in [0, 255] as an 8-bit PNG, atomically (a reader never
    sees half a file) and never over an existing file unless ``overwrite`` (FileExistsError,
    ending with ``hint``, e.g. "Add --force to replace it."). ``scale`` repeats each pixel
    scale x scale times, so that a 28x28 digit is large enough to look at."""
    from ._files import atomic_write

    image = grey(image)
    if scale != int(scale) or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1; got {scale}")
    pixels = np.rint(image).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, int(scale), axis=0), int(scale), axis=1)
    hint = hint or "Give another name, or allow overwriting."
    with atomic_write(path, overwrite=overwrite, hint=hint) as f:
        f.write(_png.encode_grey(pixels))


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


# ---------------------------------------------------------------------------------------------
# MNIST-like preprocessing


def _looks_like_mnist(image: np.ndarray, size: int, box: int) -> bool:
    """A (size, size) light digit on black, box-sized and centred by mass, as MNIST's are."""
    if image.shape != (size, size) or image.max() < 64:
        return False
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
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
        raise i18n.error(ImageError, "image_blank_hint")
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
    # 4. the digit's components: the largest, and those near it
    mask = strength > threshold
    ruled = _thin_lines(mask)  # a notebook's ruled lines, a grid: not the digit
    if (mask & ~ruled).any():
        mask &= ~ruled
    labels, count = label_components(mask)
    if count == 0:
        raise i18n.error(ImageError, "image_blank")
    keep = _digit_components(labels, count)
    chosen = np.isin(labels, keep)
    rows, cols = np.flatnonzero(chosen.any(axis=1)), np.flatnonzero(chosen.any(axis=0))
    if max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 < 3:
        raise i18n.error(ImageError, "image_specks")
    full = np.quantile(strength[chosen], FULL_INK)
    if full < MIN_INK:
        raise i18n.error(ImageError, "image_faint", full=full)
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
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if image.shape == (size, size):
        candidate = 255 - image if np.median(border) > 127 else image
        if _looks_like_mnist(candidate, size, box):
            return candidate.copy()
    return np.clip(fit_mnist(digit_ink(image), size, box), 0, 255)


def prepare_image(
    path, size: int = 28, box: int | None = None, *, max_pixels=None, max_work=None
):
    """What the network sees for the image file ``path``: :func:`read_shrunk` then
    :func:`to_mnist`, (size, size) float64 in [0, 255]. Every :class:`ImageError` names the
    file (e.g. "photo.jpg: the image is blank: ...")."""
    image = read_shrunk(path, max_pixels=max_pixels, max_work=max_work)
    try:
        return to_mnist(image, size, box)
    except ImageError as error:
        raise i18n.error(ImageError, "in_file", path=os.fspath(path), error=error) from None


def confidence(probabilities) -> tuple[int, float]:
    """(class index, its probability) of the most probable class in ``probabilities`` (K,).
    Warn the user when the probability is below :data:`LOW_CONFIDENCE`."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    best = int(np.argmax(probabilities))
    return best, float(probabilities[best])
