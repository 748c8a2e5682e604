"""Reading images for prediction, and turning them into MNIST-like 28x28 digits.

:func:`read_image` reads PNG, PGM/PPM (P2, P3, P5, P6) and ``.npy`` with NumPy alone (PNG through
``zlib``), and JPEG when Pillow is installed (``pip install "tatamikomi[images]"``). The format is
recognised from the file's first bytes, not its name.

:func:`to_mnist` does what MNIST's authors did to each digit: grey levels with a bright digit on a
dark background (a light background is inverted), cropped to the digit, scaled so its longer side
is 20 pixels, and placed in a 28x28 image with its centre of mass in the middle.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np


class ImageError(ValueError):
    """An image that cannot be read (the message names the file and the problem)."""


# ---------------------------------------------------------------------------------------------
# Reading


def read_image(path) -> np.ndarray:
    """The image in ``path`` as grey levels (H, W), float64 in [0, 255]."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image {path} does not exist")
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            image = decode_png(data)
        elif data[:2] in (b"P2", b"P3", b"P5", b"P6"):
            image = decode_pnm(data)
        elif data.startswith(b"\x93NUMPY"):
            image = _from_npy(path)
        elif data.startswith(b"\xff\xd8"):
            image = _with_pillow(path, "JPEG")
        else:
            raise ImageError(
                "not a PNG, JPEG, PGM/PPM or .npy file (its first bytes are "
                f"{data[:8].hex()}); convert it to PNG"
            )
    except ImageError as error:
        raise ImageError(f"{path}: {error}") from None
    except (zlib.error, struct.error, IndexError, ValueError) as error:
        raise ImageError(f"{path} is damaged or truncated ({error})") from None
    return grey(image)


def grey(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|2|3|4) or (1, H, W) -> (H, W) grey levels in [0, 255]. Transparent pixels
    count as white paper; colours are weighted as ITU-R 601 (like Pillow's "L" mode)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim == 3:
        channels = image.shape[2]
        if channels not in (1, 2, 3, 4):
            raise ImageError(f"an image has 1 to 4 channels; got shape {image.shape}")
        alpha = image[..., -1:] / 255 if channels in (2, 4) else 1.0
        colour = image[..., :3] if channels >= 3 else image[..., :1]
        if colour.shape[2] == 3:
            colour = colour @ np.array([0.299, 0.587, 0.114])[:, None]
        image = (colour * alpha + 255 * (1 - alpha))[..., 0]
    if image.ndim != 2 or image.size == 0:
        raise ImageError(f"expected a 2-D grey or colour image; got shape {image.shape}")
    return image


def _from_npy(path):
    image = np.load(path, allow_pickle=False)
    if image.dtype.kind not in "fiub":
        raise ImageError(f"a .npy image holds numbers; got dtype {image.dtype}")
    image = image.astype(np.float64)
    if image.size and image.max() <= 1.0 and image.min() >= 0:  # a normalised image
        image = image * 255
    return image


def _with_pillow(source, kind, instead="save the image as PNG, which needs nothing more"):
    """Grey levels of an image that only Pillow reads (``source``: a path or the bytes)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImageError(
            f"reading {kind} needs Pillow: pip install 'tatamikomi[images]' (or {instead})"
        ) from None
    import io

    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        return np.asarray(image.convert("L"), dtype=np.float64)


def decode_pnm(data: bytes) -> np.ndarray:
    """A PGM or PPM image (P2/P5 grey, P3/P6 colour), scaled to [0, 255]."""
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
        if start == position:
            raise ImageError("the PGM/PPM header is truncated")
        fields.append(int(data[start:position]))
    width, height, maxval = fields
    if not (width > 0 and height > 0 and 0 < maxval < 65536):
        raise ImageError(f"the PGM/PPM header is invalid ({width}x{height}, maxval {maxval})")
    channels = 3 if kind in (b"P3", b"P6") else 1
    count = width * height * channels
    if kind in (b"P5", b"P6"):
        dtype = ">u1" if maxval < 256 else ">u2"
        body = data[position + 1 :]
        if len(body) < count * np.dtype(dtype).itemsize:
            raise ImageError(f"the image is truncated: {width}x{height} needs more data")
        values = np.frombuffer(body, dtype, count)
    else:
        values = np.array(data[position:].split()[:count], dtype=np.int64)
        if values.size < count:
            raise ImageError(f"the image is truncated: {width}x{height} needs {count} values")
    image = values.reshape(height, width, channels).astype(np.float64) * (255 / maxval)
    return image[..., 0] if channels == 1 else image


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    rows = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int64)
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + previous) & 255
        elif kind == 1:  # Sub: a running sum per byte position within a pixel
            padded = np.zeros(-(-stride // bpp) * bpp, np.int64)
            padded[:stride] = line
            out = (np.cumsum(padded.reshape(-1, bpp), axis=0) & 255).reshape(-1)[:stride]
        elif kind in (3, 4):
            out = np.zeros(stride, np.int64)
            up = previous
            for x in range(stride):
                left = out[x - bpp] if x >= bpp else 0
                if kind == 3:
                    predictor = (left + up[x]) >> 1
                else:
                    upper_left = up[x - bpp] if x >= bpp else 0
                    p = left + up[x] - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else up[x] if pb <= pc else upper_left
                out[x] = (line[x] + predictor) & 255
        else:
            raise ImageError(f"unknown PNG filter type {kind} in row {y}")
        rows[y] = out
        previous = out
    return rows


def decode_png(data: bytes) -> np.ndarray:
    """A PNG image: (H, W) grey or (H, W, C) with C = 2, 3 or 4, values in [0, 255]."""
    position, chunks, idat = 8, {}, []
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            raise ImageError("the PNG file is truncated")
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        position += 12 + length
        if kind == b"IEND":
            break
    if b"IHDR" not in chunks or not idat:
        raise ImageError("the PNG file has no header or no image data (truncated?)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    if interlace:
        return _with_pillow(data, "interlaced PNG", "save the image without interlacing")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None or depth not in (1, 2, 4, 8, 16):
        raise ImageError(f"unsupported PNG colour type {colour} / bit depth {depth}")
    bits = channels * depth
    stride = (width * bits + 7) // 8
    raw = zlib.decompress(b"".join(idat))
    if len(raw) < height * (stride + 1):
        raise ImageError("the PNG image data is truncated")
    rows = _unfilter(raw, height, stride, max(bits // 8, 1))
    if depth == 16:
        values = rows.view(">u2").reshape(height, width, channels) / 257
    elif depth == 8:
        values = rows.reshape(height, width, channels).astype(np.float64)
    else:
        unpacked = np.unpackbits(rows, axis=1).reshape(height, -1, depth)
        levels = (unpacked * (1 << np.arange(depth - 1, -1, -1))).sum(axis=2)[:, :width]
        values = levels[..., None].astype(np.float64)
        if colour == 0:
            values *= 255 / ((1 << depth) - 1)
    if colour == 3:
        if b"PLTE" not in chunks:
            raise ImageError("a palette PNG without its palette")
        palette = np.frombuffer(chunks[b"PLTE"], np.uint8).reshape(-1, 3).astype(np.float64)
        alpha = np.full(len(palette), 255.0)
        if b"tRNS" in chunks:
            given = np.frombuffer(chunks[b"tRNS"], np.uint8)[: len(palette)]
            alpha[: len(given)] = given
        index = values[..., 0].astype(np.int64)
        if index.max(initial=0) >= len(palette):
            raise ImageError("a palette index is outside the palette")
        return np.concatenate([palette[index], alpha[index][..., None]], axis=2)
    return values[..., 0] if channels == 1 else values


# ---------------------------------------------------------------------------------------------
# MNIST-like preprocessing


def _resample_matrix(source: int, target: int) -> np.ndarray:
    """(target, source) weights: area averaging when shrinking, linear when enlarging."""
    if target <= source:
        edges = np.linspace(0, source, target + 1)
        weights = np.zeros((target, source))
        for i in range(target):
            low, high = edges[i], edges[i + 1]
            for j in range(int(np.floor(low)), int(np.ceil(high))):
                weights[i, j] = min(high, j + 1) - max(low, j)
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
    """``image`` (H, W) resampled to (height, width)."""
    return (
        _resample_matrix(image.shape[0], height) @ image @ _resample_matrix(image.shape[1], width).T
    )


def to_mnist(image, size: int = 28, box: int = 20) -> np.ndarray:
    """An MNIST-like (size, size) image, float64 in [0, 255], bright digit on dark background.

    A 28x28 image with a dark background is taken as it is (it is already MNIST-like)."""
    image = grey(image)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if np.median(border) > 127:  # dark ink on light paper: MNIST is the other way round
        image = 255 - image
    if image.shape == (size, size):
        return image
    image = image - np.median(border if np.median(border) <= 127 else 255 - border)
    image = np.clip(image, 0, None)
    if image.max() <= 0:
        raise ImageError("the image is blank: no digit found")
    image = image * (255 / image.max())
    rows = np.flatnonzero(image.max(axis=1) > 0.1 * 255)
    cols = np.flatnonzero(image.max(axis=0) > 0.1 * 255)
    image = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = box / max(image.shape)
    h = max(1, round(image.shape[0] * scale))
    w = max(1, round(image.shape[1] * scale))
    digit = np.clip(resize(image, h, w), 0, 255)
    total = digit.sum()
    cy = (digit.sum(axis=1) @ np.arange(h)) / total
    cx = (digit.sum(axis=0) @ np.arange(w)) / total
    top = int(np.clip(round(size / 2 - 0.5 - cy), 0, size - h))
    left = int(np.clip(round(size / 2 - 0.5 - cx), 0, size - w))
    out = np.zeros((size, size))
    out[top : top + h, left : left + w] = digit
    return out
