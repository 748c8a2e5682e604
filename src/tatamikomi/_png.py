"""PNG decoding and encoding with NumPy and ``zlib`` alone (private; :mod:`tatamikomi.images` is
the public face).

Every size is checked against the caller's pixel limit before anything is allocated, and the
compressed data is inflated no further than the header says the image needs, so a small file
cannot make us allocate gigabytes (a "decompression bomb").

The row filters (None, Sub, Up, Average, Paeth) make each byte depend on its left, upper and
upper-left neighbours. Undoing them pixel by pixel in Python is slow (a 1170x2532 phone
screenshot took 11.5 s), so :func:`unfilter` walks the image one anti-diagonal at a time: every
pixel on the diagonal ``x + y = d`` depends only on diagonals ``d - 1`` and ``d - 2``, so each step
is one vectorised NumPy operation over the whole diagonal (``H + W`` steps instead of ``H * W``).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from . import i18n

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
# Adam7 interlacing: (first row, first column, row step, column step) of each of the 7 passes
ADAM7 = (
    (0, 0, 8, 8),
    (0, 4, 8, 8),
    (4, 0, 8, 4),
    (0, 2, 4, 4),
    (2, 0, 4, 2),
    (0, 1, 2, 2),
    (1, 0, 2, 1),
)
BAND = 1024  # rows unfiltered together: the work arrays hold (W + BAND) x BAND pixels


class PNGError(ValueError):
    """A PNG file that cannot be decoded (the caller adds the file name)."""


def read_chunks(data: bytes) -> tuple[dict, bytes]:
    """({chunk type: first body}, all IDAT bodies joined) of a PNG file's bytes."""
    position, chunks, idat = len(SIGNATURE), {}, []
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            raise i18n.error(PNGError, "png_truncated")
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        position += 12 + length
        if kind == b"IEND":
            break
    if b"IHDR" not in chunks or not idat:
        raise i18n.error(PNGError, "png_no_data")
    if len(chunks[b"IHDR"]) != 13:
        raise i18n.error(PNGError, "png_header")
    return chunks, b"".join(idat)


def _inflate(compressed: bytes, needed: int) -> bytes:
    """At most ``needed`` bytes of the zlib stream (never more, whatever the stream holds)."""
    try:
        raw = zlib.decompressobj().decompress(compressed, needed)
    except zlib.error as error:
        raise i18n.error(PNGError, "png_data_damaged", error=error) from None
    if len(raw) < needed:
        raise i18n.error(PNGError, "png_data_truncated", got=len(raw), needed=needed)
    return raw


def unfilter(raw: np.ndarray, height: int, stride: int, bpp: int) -> np.ndarray:
    """Undo PNG's row filters: ``raw`` (height * (stride + 1),) uint8, each row's filter type
    then its ``stride`` bytes; ``bpp`` bytes per pixel (1 below 8 bits). Returns (height, stride).

    With a = left, b = up, c = upper left (0 outside the image), row filter k adds
    0 (None), a (Sub), b (Up), (a + b) // 2 (Average) or the Paeth predictor (whichever of
    a, b, c is closest to a + b - c) to each byte, modulo 256."""
    rows = raw.reshape(height, stride + 1)
    kinds = rows[:, 0]
    if kinds.max(initial=0) > 4:
        y = int(np.argmax(kinds > 4))
        raise PNGError(f"unknown PNG filter type {kinds[y]} in row {y}")
    out = np.empty((height, stride), np.uint8)
    previous = np.zeros(stride, np.uint8)
    for top in range(0, height, BAND):
        band = rows[top : top + BAND]
        out[top : top + len(band)] = _unfilter_band(band[:, 1:], band[:, 0], previous, bpp)
        previous = out[top + len(band) - 1]
    return out


def _unfilter_band(lines: np.ndarray, kinds: np.ndarray, previous: np.ndarray, bpp: int):
    """One band of rows, the diagonal way (see the module docstring)."""
    height, stride = lines.shape
    if not np.isin(kinds, (3, 4)).any():  # no row needs its left neighbour's result: row by row
        out = np.empty_like(lines)
        up = previous
        for y in range(height):
            line, kind = lines[y], kinds[y]
            if kind == 1:  # Sub: a running sum per byte position within a pixel
                padded = np.zeros(-(-stride // bpp) * bpp, np.uint8)
                padded[:stride] = line
                line = np.cumsum(padded.reshape(-1, bpp), axis=0, dtype=np.uint8).ravel()[:stride]
            elif kind == 2:
                line = line + up  # uint8 arithmetic wraps modulo 256, as PNG wants
            out[y] = line
            up = out[y]
        return out
    width = stride // bpp  # pixels; below 8 bits a "pixel" is one byte, as the filters see it
    diagonals = width + height
    ys, xs = np.divmod(np.arange(height * width), width)
    # skewed[d, y + 1] is the pixel (y, x = d - y); row 0 stands for the row above the band.
    # Pixels left of the image (x < 0) stay 0, as the filters want: every predictor of zeros is
    # 0. Those right of it (x >= width) hold garbage that no pixel of the image ever reads.
    line = np.zeros((diagonals, height + 1, bpp), np.int16)
    line[xs + ys, ys + 1] = lines.reshape(height, width, bpp)[ys, xs]
    skewed = np.zeros((diagonals + 1, height + 1, bpp), np.int16)  # [-1]: the diagonal -1 = 0
    is_sub, is_up, is_average = (
        np.broadcast_to((kinds == k)[:, None], (height, bpp)) for k in (1, 2, 3)
    )
    is_none = np.broadcast_to((kinds == 0)[:, None], (height, bpp))
    above = previous.reshape(width, bpp).astype(np.int16)
    estimate, to_left, to_up, to_corner, predictor = (
        np.empty((height, bpp), np.int16) for _ in range(5)
    )
    for d in range(diagonals):
        left, up = skewed[d - 1, 1:], skewed[d - 1, :-1]
        upper_left = skewed[d - 2, :-1] if d else skewed[-1, :-1]
        if d < width:  # the row above the band meets this diagonal at x = d
            up = up.copy()
            up[0] = above[d]
            if d:
                upper_left = upper_left.copy()
                upper_left[0] = above[d - 1]
        # Paeth: a, b or c, whichever is closest to a + b - c (ties: a, then b)
        np.add(left, up, out=estimate)
        np.subtract(estimate, upper_left, out=estimate)
        np.abs(np.subtract(estimate, left, out=to_left), out=to_left)
        np.abs(np.subtract(estimate, up, out=to_up), out=to_up)
        np.abs(np.subtract(estimate, upper_left, out=to_corner), out=to_corner)
        np.copyto(predictor, upper_left)
        np.copyto(predictor, up, where=to_up <= to_corner)
        np.copyto(predictor, left, where=(to_left <= to_up) & (to_left <= to_corner))
        np.copyto(predictor, 0, where=is_none)
        np.copyto(predictor, left, where=is_sub)
        np.copyto(predictor, up, where=is_up)
        np.copyto(predictor, (left + up) >> 1, where=is_average)
        value = skewed[d, 1:]
        np.add(line[d, 1:], predictor, out=value)
        np.bitwise_and(value, 255, out=value)
    out = skewed[xs + ys, ys + 1].astype(np.uint8)
    return out.reshape(height, stride)


def _samples(rows: np.ndarray, width: int, depth: int, channels: int) -> np.ndarray:
    """Unfiltered rows (H, stride) -> samples (H, W, channels) as integers."""
    height = rows.shape[0]
    if depth == 16:
        return rows.view(">u2").reshape(height, width, channels)
    if depth == 8:
        return rows.reshape(height, width, channels)
    unpacked = np.unpackbits(rows, axis=1)[:, : width * depth].reshape(height, width, depth)
    return (unpacked * (1 << np.arange(depth - 1, -1, -1, dtype=np.uint8))).sum(
        axis=2, dtype=np.uint8
    )[..., None]


def decode(data: bytes, max_pixels: int | None) -> np.ndarray:
    """A PNG image: (H, W) grey or (H, W, C) with C = 2, 3 or 4, float64 values in [0, 255]."""
    chunks, compressed = read_chunks(data)
    width, height, depth, colour, method, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"]
    )
    channels = CHANNELS.get(colour)
    allowed = (1, 2, 4, 8, 16) if colour == 0 else (1, 2, 4, 8) if colour == 3 else (8, 16)
    if channels is None or depth not in allowed:
        raise PNGError(f"unsupported PNG colour type {colour} / bit depth {depth}")
    if method or filtering or interlace > 1:
        raise PNGError("the PNG header names an unknown compression, filter or interlace method")
    check_size(width, height, max_pixels)
    bits = channels * depth
    bpp = max(bits // 8, 1)
    if interlace:
        passes = []
        for row0, col0, row_step, col_step in ADAM7:
            pass_height = max(0, -(-(height - row0) // row_step))
            pass_width = max(0, -(-(width - col0) // col_step))
            passes.append((pass_height, pass_width) if pass_height and pass_width else (0, 0))
    else:
        passes = [(height, width)]
    sizes = [h * ((w * bits + 7) // 8 + 1) for h, w in passes]
    raw = np.frombuffer(_inflate(compressed, sum(sizes)), np.uint8)
    samples = np.empty((height, width, channels), np.uint16 if depth == 16 else np.uint8)
    start = 0
    for (pass_height, pass_width), size, geometry in zip(passes, sizes, ADAM7):
        if not size:
            continue
        stride = (pass_width * bits + 7) // 8
        rows = unfilter(raw[start : start + size], pass_height, stride, bpp)
        start += size
        values = _samples(rows, pass_width, depth, channels)
        if interlace:
            row0, col0, row_step, col_step = geometry
            samples[row0::row_step, col0::col_step] = values
        else:
            samples[...] = values
    return _to_levels(samples, colour, depth, chunks)


def _to_levels(samples: np.ndarray, colour: int, depth: int, chunks: dict) -> np.ndarray:
    if colour == 3:
        if b"PLTE" not in chunks or len(chunks[b"PLTE"]) % 3:
            raise PNGError("a palette PNG without a valid palette")
        palette = np.frombuffer(chunks[b"PLTE"], np.uint8).reshape(-1, 3).astype(np.float64)
        alpha = np.full(len(palette), 255.0)
        if b"tRNS" in chunks:
            given = np.frombuffer(chunks[b"tRNS"], np.uint8)[: len(palette)]
            alpha[: len(given)] = given
        index = samples[..., 0]
        if index.max(initial=0) >= len(palette):
            raise PNGError("a palette index is outside the palette")
        return np.concatenate([palette[index], alpha[index][..., None]], axis=2)
    values = samples.astype(np.float64)
    if depth == 16:
        values /= 257
    elif depth < 8:
        values *= 255 / ((1 << depth) - 1)
    return values[..., 0] if values.shape[2] == 1 else values


def check_size(width: int, height: int, max_pixels: int | None) -> None:
    """Refuse an empty image, or one over ``max_pixels`` (None: no limit), before allocating."""
    if width <= 0 or height <= 0:
        raise i18n.error(PNGError, "image_no_pixels", width=width, height=height)
    if max_pixels is not None and width * height > max_pixels:
        raise i18n.error(
            PNGError, "image_too_big", width=width, height=height, pixels=width * height,
            limit=max_pixels,
        )


def encode_grey(image: np.ndarray) -> bytes:
    """An 8-bit grey PNG of ``image`` (H, W) uint8 (filter type 0 on every row)."""
    height, width = image.shape
    raw = np.zeros((height, width + 1), np.uint8)
    raw[:, 1:] = image

    def chunk(kind, body):
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
        + chunk(b"IEND", b"")
    )
