"""Reading images for prediction (and writing them).

:func:`read_image` reads PNG (interlaced too), PGM/PPM (P2, P3, P5, P6) and ``.npy`` with NumPy
alone, and JPEG, BMP, GIF, WebP and TIFF when Pillow is installed (``pip install
"tatamikomi[images]"``). The format is recognised from the file's first bytes, not its name.
Every reader checks the declared size before it decodes or allocates anything: against
:data:`MAX_IMAGE_PIXELS`, against the file's own size, and the memory that reading and
preparing that many pixels takes against :data:`MAX_WORK_BYTES` (so a 75 KB PNG that declares
4096 x 4096 pixels is refused, not decoded into a gigabyte).
"""

from __future__ import annotations

import os
from io import BytesIO

import numpy as np

from .. import i18n
from . import _png
from .ops import ImageError, _grey_shrunk, check_pixels, grey

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

PILLOW_HINT = "pip install 'tatamikomi[images]'"


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


def read_image(path, *, max_pixels: int | None = None, max_work: int | None = None) -> np.ndarray:
    """The image in ``path`` as grey levels (H, W), float64 in [0, 255].

    ``max_pixels`` (default :data:`MAX_IMAGE_PIXELS`) is the largest width x height read;
    ``max_work`` (default :data:`MAX_WORK_BYTES`) the most memory reading and preparing it may
    take, estimated from the declared size before anything is decoded.
    Raises FileNotFoundError for a missing file and :class:`ImageError` (one line: the file,
    the problem, the fix) for anything that is not a readable image."""
    return grey(_decode(path, max_pixels, max_work, GREY_BYTES))


def read_image_bytes(
    data: bytes, name=None, *, max_pixels: int | None = None, max_work: int | None = None
) -> np.ndarray:
    """The image in ``data``, an image file's bytes (an upload, a download), as grey levels
    (H, W), float64 in [0, 255]: as :func:`read_image`, with the same checks before anything is
    decoded, and no file written. ``name`` stands for the file in messages (default: "the
    image")."""
    return grey(_decode(_named(name), max_pixels, max_work, GREY_BYTES, data=bytes(data)))


def read_shrunk(path, *, max_pixels: int | None = None, max_work: int | None = None):
    """The image in ``path`` as grey levels (h, w), float64 in [0, 255], shrunk by whole-pixel
    block means so that its longer side is at most :data:`WORK_SIDE`: what :func:`to_mnist`
    works on, made band by band without a full-size float copy (a 12-megapixel photo costs its
    decoded bytes, not 8 more per pixel). Limits and errors as :func:`read_image`; an image too
    thin to hold a digit is refused here, by its real size."""
    return _shrunk(path, _decode(path, max_pixels, max_work, 1))


def read_shrunk_bytes(
    data: bytes, name=None, *, max_pixels: int | None = None, max_work: int | None = None
):
    """:func:`read_shrunk` of an image file's bytes ``data`` (no file written); ``name`` stands
    for the file in messages (default: "the image")."""
    name = _named(name)
    return _shrunk(name, _decode(name, max_pixels, max_work, 1, data=bytes(data)))


def _named(name):
    return i18n.Said("errors.image_given") if name is None else name


def _shrunk(path, decoded):
    try:
        return _grey_shrunk(decoded)
    except ImageError as error:
        raise i18n.error(ImageError, "errors.in_file", path=_fspath(path), error=error) from None


def _fspath(path):
    return path if isinstance(path, i18n.Said) else os.fspath(path)


def _decode(path, max_pixels, max_work, after, data: bytes | None = None):
    """The decoded image in ``path`` (or in ``data``, the file's bytes, which ``path`` then only
    names), (H, W) or (H, W, C), as its decoder gives it (uint8 or float), checked by the limits
    with ``after`` bytes per pixel for what the caller does next."""
    path = _fspath(path)
    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    work = MAX_WORK_BYTES if max_work is None else max_work
    if data is None:
        if os.path.isdir(path):
            raise i18n.error(ImageError, "errors.image_folder", path=path)
        if not os.path.exists(path):
            raise i18n.error(FileNotFoundError, "errors.image_missing", path=path)
        if not os.path.isfile(path):
            raise i18n.error(ImageError, "errors.image_not_file", path=path)
    source = path if data is None else data
    try:
        if data is None:
            with open(path, "rb") as f:
                head = f.read(16)
        else:
            head = data[:16]
        if head.startswith(b"\x93NUMPY"):
            image = _from_npy(source, limit, work, after)
        elif _pillow_format(head):
            image = _with_pillow(source, _pillow_format(head), limit, work, after)
        else:
            if data is None:
                with open(path, "rb") as f:
                    data = f.read()
            if data.startswith(_png.SIGNATURE):
                image = _png.decode(
                    data, limit, max_work=work, after=after, max_steps=MAX_FILTER_STEPS
                )
            elif data[:2] in (b"P2", b"P3", b"P5", b"P6"):
                image = decode_pnm(data, limit, max_work=work, after=after)
            else:
                raise i18n.error(ImageError, "errors.image_format")
        check_pixels(image)
        return image
    except (ImageError, _png.PNGError) as error:
        raise i18n.error(ImageError, "errors.in_file", path=path, error=error) from None
    except (OSError, ValueError, IndexError) as error:
        raise i18n.error(ImageError, "errors.image_damaged", path=path, error=error) from None


def decode_png(
    data: bytes, max_pixels: int | None = None, max_work: int | None = None
) -> np.ndarray:
    """A PNG image from its bytes: (H, W) grey or (H, W, C) with C = 2, 3 or 4, in [0, 255]
    (uint8, float64 for 16-bit samples); its size limited as by :func:`read_image`."""
    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    work = MAX_WORK_BYTES if max_work is None else max_work
    try:
        return _png.decode(data, limit, max_work=work, after=GREY_BYTES, max_steps=MAX_FILTER_STEPS)
    except _png.PNGError as error:
        raise i18n.recast(ImageError, error) from None


def _npy_header(f):
    """(shape, fortran_order, dtype) of an open .npy file, read without loading the data."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version == (1, 0):
        return fmt.read_array_header_1_0(f)
    if version == (2, 0):
        return fmt.read_array_header_2_0(f)
    raise i18n.error(ImageError, "errors.read_npy_format_version", version=version)


def _opened(source):
    """A file object on ``source``: a path, or a file's bytes."""
    return BytesIO(source) if isinstance(source, bytes) else open(source, "rb")


def _from_npy(source, max_pixels, max_work=None, after=GREY_BYTES):
    """A .npy image (``source``: its path or its bytes): the header's shape and dtype are checked
    against the file size and the pixel limit before the data are read; 0..1 floats count as
    normalised and are scaled."""
    in_memory = isinstance(source, bytes)
    with _opened(source) as f:
        try:
            shape, fortran, dtype = _npy_header(f)
        except ValueError as error:
            raise i18n.error(ImageError, "errors.read_npy_header_damaged", error=error) from None
        if dtype.hasobject or dtype.kind not in "fiub":
            raise i18n.error(ImageError, "errors.image_npy_dtype", dtype=dtype)
        if len(shape) not in (2, 3):
            raise i18n.error(ImageError, "errors.image_2d", shape=shape)
        height, width = shape[1:] if len(shape) == 3 and shape[0] == 1 else shape[:2]
        _png.check_size(width, height, max_pixels)
        count = int(np.prod(shape, dtype=object))
        if len(shape) == 3 and min(shape[0], shape[2]) > 4:
            raise i18n.error(ImageError, "errors.image_channels", shape=shape)
        channels = count // (width * height)
        # the data, then a float64 copy when normalised, then the grey levels
        per_pixel = channels * (dtype.itemsize + 8) + after
        _png.check_work(width, height, per_pixel, max_work, ".npy")
        needed = count * dtype.itemsize
        size = len(source) if in_memory else os.fstat(f.fileno()).st_size
        available = size - f.tell()
        if available < needed:
            raise i18n.error(
                ImageError, "errors.read_npy_file_truncated", shape=shape, dtype=dtype,
                needed=needed, available=available,
            )
        if in_memory:
            image = np.frombuffer(source, dtype, count, offset=f.tell()).copy()
        else:
            image = np.fromfile(f, dtype, count)
        image = image.reshape(shape, order="F" if fortran else "C")
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


def _with_pillow(source, kind, max_pixels, max_work=None, after=GREY_BYTES):
    """Grey levels (or RGBA where the image is transparent) of an image only Pillow reads.

    Pillow's open reads the header alone: the size and mode are checked against the limits
    (the decoded image, its upright copy, the conversion to grey and NumPy's copy of it) before
    ``load`` decodes anything."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise i18n.error(ImageError, "errors.image_pillow", kind=kind, hint=PILLOW_HINT) from None
    import warnings

    try:
        with warnings.catch_warnings():
            # our own limits come next, in one line; not Pillow's warning on standard error
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(BytesIO(source) if isinstance(source, bytes) else source)
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
        raise i18n.error(ImageError, "errors.image_bomb", error=error) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise i18n.error(ImageError, "errors.image_kind_damaged", kind=kind, error=error) from None


def decode_pnm(
    data: bytes,
    max_pixels: int | None = None,
    max_work: int | None = None,
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
            raise i18n.error(ImageError, "errors.read_pgm_ppm_header2")
        fields.append(int(data[start:position]))
    width, height, maxval = fields
    if not (width > 0 and height > 0 and 0 < maxval < 65536):
        raise i18n.error(
            ImageError, "errors.read_pgm_ppm_header", width=width, height=height, maxval=maxval,
        )
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
            raise i18n.error(
                ImageError, "errors.read_image_truncated_x", width=width, height=height,
            )
        values = np.frombuffer(data, dtype, count, offset=position + 1)  # no copy of the body
    else:
        values = np.array(data[position:].split()[:count], dtype=np.int64)
        if values.size < count:
            raise i18n.error(
                ImageError, "errors.read_image_truncated_x2", width=width, height=height,
                count=count,
            )
    if values.max(initial=0) > maxval:
        raise i18n.error(ImageError, "errors.read_pixel_values_go", maxval=maxval)
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
    from .._files import atomic_write

    data = png_bytes(image, scale=scale)
    hint = hint or "Give another name, or allow overwriting."
    with atomic_write(path, overwrite=overwrite, hint=hint) as f:
        f.write(data)


def png_bytes(image, *, scale: int = 1) -> bytes:
    """The bytes of ``image`` (H, W) grey levels in [0, 255] as an 8-bit PNG, each pixel
    repeated ``scale`` x ``scale`` times (what :func:`write_png` writes)."""
    image = grey(image)
    if scale != int(scale) or scale < 1:
        raise i18n.error(ValueError, "errors.read_scale_whole_number", scale=scale)
    pixels = np.rint(image).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, int(scale), axis=0), int(scale), axis=1)
    return _png.encode_grey(pixels)
