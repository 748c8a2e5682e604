"""PNG decoding and encoding with NumPy and ``zlib`` alone (private; :mod:`tatamikomi.images` is
the public face).

Every size is checked against the caller's pixel limit and the memory its decoding takes
(:func:`check_work`) before anything is allocated, and the compressed data is inflated no
further than the header says the image needs, so a small file cannot make us allocate
gigabytes (a "decompression bomb").

The row filters (None, Sub, Up, Average, Paeth) make each byte depend on its left, upper and
upper-left neighbours. Undoing them pixel by pixel in Python is slow (a 1170x2532 phone
screenshot took 11.5 s), so :func:`unfilter` walks the image one anti-diagonal at a time: every
pixel on the diagonal ``x + y = d`` depends only on diagonals ``d - 1`` and ``d - 2``, so each step
is one vectorised NumPy operation over the whole diagonal (``H + W`` steps instead of ``H * W``).
Only bands of rows that use Average or Paeth need that walk; None, Sub and Up rows are running
sums, undone for many rows at once. The walk's steps are counted before it starts and bounded
by the caller (an image a million rows tall would take a million steps).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .. import i18n

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
#: bytes any image's preparation takes whatever its size (bands of rows, the 512-pixel work image)
FIXED_WORK = 16 * 2**20
BAND = 1024  # rows unfiltered together the diagonal way: its array holds (W + BAND) x BAND pixels


class PNGError(ValueError):
    """A PNG file that cannot be decoded (the caller adds the file name)."""


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) that a PNG file's first chunk, IHDR, declares; None without one."""
    if data.startswith(SIGNATURE) and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def read_chunks(data: bytes) -> tuple[dict, bytes]:
    """({chunk type: first body}, all IDAT bodies joined) of a PNG file's bytes."""
    position, chunks, idat = len(SIGNATURE), {}, []
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            raise i18n.error(PNGError, "errors.png_truncated")
        if kind == b"IDAT":
            idat.append(body)
        else:
            chunks.setdefault(kind, body)
        position += 12 + length
        if kind == b"IEND":
            break
    if b"IHDR" not in chunks or not idat:
        raise i18n.error(PNGError, "errors.png_no_data")
    if len(chunks[b"IHDR"]) != 13:
        raise i18n.error(PNGError, "errors.png_header")
    return chunks, b"".join(idat)


def _inflate(compressed: bytes, needed: int) -> np.ndarray:
    """At most ``needed`` bytes of the zlib stream (never more, whatever the stream holds), as
    uint8, inflated a megabyte at a time into one array (no second copy of a large image)."""
    out = np.empty(needed, np.uint8)
    inflater, filled, pending = zlib.decompressobj(), 0, compressed
    try:
        while filled < needed:
            piece = inflater.decompress(pending, min(needed - filled, 1 << 20))
            if not piece:  # the stream ended (or holds nothing more to give)
                break
            out[filled : filled + len(piece)] = np.frombuffer(piece, np.uint8)
            filled += len(piece)
            pending = inflater.unconsumed_tail
    except zlib.error as error:
        raise i18n.error(PNGError, "errors.png_data_damaged", error=error) from None
    if filled < needed:
        raise i18n.error(PNGError, "errors.png_data_truncated", got=filled, needed=needed)
    return out


def unfilter(raw: np.ndarray, height: int, stride: int, bpp: int, max_steps=None) -> np.ndarray:
    """Undo PNG's row filters: ``raw`` (height * (stride + 1),) uint8, each row's filter type
    then its ``stride`` bytes; ``bpp`` bytes per pixel (1 below 8 bits). Returns (height, stride).

    With a = left, b = up, c = upper left (0 outside the image), row filter k adds
    0 (None), a (Sub), b (Up), (a + b) // 2 (Average) or the Paeth predictor (whichever of
    a, b, c is closest to a + b - c) to each byte, modulo 256. The rows are undone in place:
    the result is a view of ``raw`` (which must be writable), no second copy of the image.

    Rows of None, Sub and Up are undone many rows at once (Sub is a running sum along the row,
    Up one down the columns). A band of rows holding an Average or Paeth row is walked one
    anti-diagonal at a time, ``width + rows`` NumPy steps per band; their total, known from the
    filter types before any work, must not pass ``max_steps`` (PNGError otherwise): an image
    thousands of times taller than wide would take minutes."""
    rows = raw.reshape(height, stride + 1)
    kinds = rows[:, 0]
    if kinds.max(initial=0) > 4:
        y = int(np.argmax(kinds > 4))
        raise i18n.error(PNGError, "errors.png_unknown_png_filter", kinds_y=kinds[y], y=y)
    width = stride // bpp
    bands = range(0, height, BAND)
    slow = [bool(np.isin(kinds[top : top + BAND], (3, 4)).any()) for top in bands]
    steps = sum(width + len(kinds[top : top + BAND]) for top, s in zip(bands, slow) if s)
    if max_steps is not None and steps > max_steps:
        raise i18n.error(
            PNGError,
            "errors.png_filter_work",
            width=width,
            height=height,
            steps=steps,
            limit=max_steps,
        )
    out = rows[:, 1:]
    previous = np.zeros(stride, np.uint8)
    chunk = max(BAND, (1 << 22) // max(stride, 1))  # fast rows undone about 4 MB at a time
    top = 0
    while top < height:
        band = top // BAND
        if slow[band]:
            end = min(top + BAND, height)
            out[top:end] = _unfilter_diagonals(out[top:end], kinds[top:end], previous, bpp)
        else:
            end = top + BAND
            while end < height and end - top < chunk and not slow[end // BAND]:
                end += BAND
            end = min(end, height)
            out[top:end] = _unfilter_rows(out[top:end], kinds[top:end], previous, bpp)
        previous = out[end - 1]
        top = end
    return out


def _unfilter_rows(lines: np.ndarray, kinds: np.ndarray, previous: np.ndarray, bpp: int):
    """Rows filtered with None, Sub or Up only, all at once: Sub rows by a running sum along
    each row (per byte position within a pixel), then Up rows by a running sum down the
    columns that restarts at every row that is not Up (uint8 sums wrap modulo 256, as PNG
    wants)."""
    height, stride = lines.shape
    values = np.array(lines)
    sub = np.flatnonzero(kinds == 1)
    if sub.size:
        padded = np.zeros((sub.size, -(-stride // bpp) * bpp), np.uint8)
        padded[:, :stride] = values[sub]
        sums = np.cumsum(padded.reshape(sub.size, -1, bpp), axis=1, dtype=np.uint8)
        values[sub] = sums.reshape(sub.size, -1)[:, :stride]
    up = kinds == 2
    if not up.any():
        return values
    # stacked[0] is the row above; out[i] = total[i] - total[start(i) - 1], where start(i) is
    # the last row at or before i that is not Up (its value is already final)
    stacked = np.concatenate([previous[None], values])
    total = np.cumsum(stacked, axis=0, dtype=np.uint8)
    index = np.arange(height + 1)
    start = np.maximum.accumulate(np.where(np.concatenate([[True], ~up]), index, 0))
    before = np.concatenate([np.zeros((1, stride), np.uint8), total])[start]
    return (total - before)[1:]


def _unfilter_diagonals(lines: np.ndarray, kinds: np.ndarray, previous: np.ndarray, bpp: int):
    """One band of rows, any filters, the diagonal way (see the module docstring)."""
    height, stride = lines.shape
    width = stride // bpp  # pixels; below 8 bits a "pixel" is one byte, as the filters see it
    diagonals = width + height
    # skewed[d, y + 1] is the pixel (y, x = d - y); row 0 stands for the row above the band, the
    # last diagonal (index -1) is all zeros. Pixels left of the image (x < 0) stay 0, as the
    # filters want: every predictor of zeros is 0. Those right of it (x >= width) hold values
    # that no pixel of the image ever reads. The filtered bytes are written in, then replaced
    # by the unfiltered ones diagonal by diagonal (uint8 storage; int16 only for a diagonal).
    skewed = np.zeros((diagonals + 1, height + 1, bpp), np.uint8)
    s0, s1, s2 = skewed.strides
    pixels = np.lib.stride_tricks.as_strided(
        skewed[0, 1:], shape=(height, width, bpp), strides=(s0 + s1, s0, s2), writeable=True
    )
    pixels[...] = lines.reshape(height, width, bpp)
    is_sub, is_up, is_average = (
        np.broadcast_to((kinds == k)[:, None], (height, bpp)) for k in (1, 2, 3)
    )
    is_none = np.broadcast_to((kinds == 0)[:, None], (height, bpp))
    above = previous.reshape(width, bpp).astype(np.int16)
    left, up, upper_left, estimate, to_left, to_up, to_corner, predictor = (
        np.empty((height, bpp), np.int16) for _ in range(8)
    )
    for d in range(diagonals):
        np.copyto(left, skewed[d - 1, 1:])
        np.copyto(up, skewed[d - 1, :-1])
        np.copyto(upper_left, skewed[d - 2, :-1] if d else skewed[-1, :-1])
        if d < width:  # the row above the band meets this diagonal at x = d
            up[0] = above[d]
            if d:
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
        np.add(predictor, value, out=predictor)
        np.copyto(value, predictor, casting="unsafe")  # the low byte: modulo 256
    return np.ascontiguousarray(pixels).reshape(height, stride)


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


def decode(
    data: bytes,
    max_pixels: int | None,
    *,
    max_work: int | None = None,
    after: int = 0,
    max_steps: int | None = None,
) -> np.ndarray:
    """A PNG image: (H, W) grey or (H, W, C) with C = 2, 3 or 4, values in [0, 255] (uint8;
    float64 for 16-bit samples).

    Before anything is inflated, the declared size is checked against ``max_pixels`` and the
    memory the decoding takes (the inflated rows, the unfiltered rows, the samples, plus
    ``after`` bytes per pixel that the caller needs next) against ``max_work`` bytes; the
    unfiltering's steps against ``max_steps`` (see :func:`unfilter`)."""
    declared = declared_size(data)
    if declared is not None:  # refused before the chunks are walked, however many there are
        check_size(*declared, max_pixels)
    chunks, compressed = read_chunks(data)
    width, height, depth, colour, method, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"]
    )
    channels = CHANNELS.get(colour)
    allowed = (1, 2, 4, 8, 16) if colour == 0 else (1, 2, 4, 8) if colour == 3 else (8, 16)
    if channels is None or depth not in allowed:
        raise i18n.error(PNGError, "errors.png_unsupported_png_colour", colour=colour, depth=depth)
    if method or filtering or interlace > 1:
        raise i18n.error(PNGError, "errors.png_png_header_names")
    check_size(width, height, max_pixels)
    bits = channels * depth
    bpp = max(bits // 8, 1)
    sample = -(-bits // 8)  # bytes per pixel as stored, rounded up
    # the levels: float64 for 16 bits, RGBA for a palette, the bits unpacked below 8
    levels = 8 * channels if depth == 16 else 4 if colour == 3 else 0
    levels = 2 * depth + 2 if depth < 8 else levels
    # the inflated rows (unfiltered in place), Adam7's samples, the levels, the caller's part
    per_pixel = sample + 1 + (sample if interlace else 0) + levels + after
    # one band the diagonal way: its skewed array, and its result before it is copied back
    rows = min(height, BAND)
    band = (width + BAND + 1) * (rows + 1) * bpp + rows * -(-width * bits // 8)
    check_work(width, height, per_pixel, max_work, "PNG", extra=band)
    if interlace:
        passes = []
        for row0, col0, row_step, col_step in ADAM7:
            pass_height = max(0, -(-(height - row0) // row_step))
            pass_width = max(0, -(-(width - col0) // col_step))
            passes.append((pass_height, pass_width) if pass_height and pass_width else (0, 0))
    else:
        passes = [(height, width)]
    sizes = [h * ((w * bits + 7) // 8 + 1) for h, w in passes]
    raw = _inflate(compressed, sum(sizes))
    samples = None
    start = 0
    for (pass_height, pass_width), size, geometry in zip(passes, sizes, ADAM7):
        if not size:
            continue
        stride = (pass_width * bits + 7) // 8
        rows = unfilter(raw[start : start + size], pass_height, stride, bpp, max_steps)
        start += size
        values = _samples(rows, pass_width, depth, channels)
        if interlace:
            if samples is None:
                samples = np.empty((height, width, channels), values.dtype)
            row0, col0, row_step, col_step = geometry
            samples[row0::row_step, col0::col_step] = values
        else:
            samples = values
    del raw
    return _to_levels(samples, colour, depth, chunks)


def _to_levels(samples: np.ndarray, colour: int, depth: int, chunks: dict) -> np.ndarray:
    if colour == 3:
        if b"PLTE" not in chunks or len(chunks[b"PLTE"]) % 3:
            raise i18n.error(PNGError, "errors.png_palette_png_without")
        palette = np.frombuffer(chunks[b"PLTE"], np.uint8).reshape(-1, 3)
        alpha = np.full((len(palette), 1), 255, np.uint8)
        if b"tRNS" in chunks:
            given = np.frombuffer(chunks[b"tRNS"], np.uint8)[: len(palette)]
            alpha[: len(given), 0] = given
        index = samples[..., 0]
        if index.max(initial=0) >= len(palette):
            raise i18n.error(PNGError, "errors.png_palette_index_outside")
        return np.concatenate([palette, alpha], axis=1)[index]
    if depth == 16:
        values = samples.astype(np.float64)
        values /= 257
    elif depth < 8:  # 1, 2 and 4 bits scale to 0..255 by a whole number (255, 85, 17)
        values = samples * np.uint8(255 // ((1 << depth) - 1))
    else:
        values = samples
    return values[..., 0] if values.shape[2] == 1 else values


def check_size(width: int, height: int, max_pixels: int | None) -> None:
    """Refuse an empty image, or one over ``max_pixels`` (None: no limit), before allocating."""
    if width <= 0 or height <= 0:
        raise i18n.error(PNGError, "errors.image_no_pixels", width=width, height=height)
    if max_pixels is not None and width * height > max_pixels:
        raise i18n.error(
            PNGError,
            "errors.image_too_big",
            width=width,
            height=height,
            pixels=width * height,
            limit=max_pixels,
        )


def check_work(
    width: int, height: int, per_pixel: float, max_work: int | None, kind: str, extra: int = 0
) -> None:
    """Refuse an image whose decoding and preparation would take more than ``max_work`` bytes
    (None: no limit): ``per_pixel`` bytes for each of its declared pixels, plus ``extra``;
    checked before anything is decoded."""
    needed = width * height * per_pixel + extra + FIXED_WORK
    if max_work is not None and needed > max_work:
        raise i18n.error(
            PNGError,
            "errors.image_too_much_work",
            width=width,
            height=height,
            kind=kind,
            needed=-(-int(needed) // 2**20),
            limit=max_work // 2**20,
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
