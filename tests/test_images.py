"""Reading images (our PNG and PGM decoders, with Pillow as the oracle), hostile image files,
and the preprocessing that makes phone photos MNIST-like."""

import csv
import runpy
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from tatamikomi import images
from tatamikomi.images._png import ADAM7
from tatamikomi.data import load_mini
from tatamikomi.images import (
    ImageError,
    decode_png,
    label_components,
    otsu_threshold,
    prepare_image,
    read_image,
    resize,
    to_mnist,
    write_png,
)

from .support import ROOT

Image = pytest.importorskip("PIL.Image")


def _pillow_grey(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.float64)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "1", "I;16"])
def test_png_matches_pillow(tmp_path, mode):
    rng = np.random.default_rng(0)
    path = tmp_path / f"image-{mode.replace(';', '')}.png"
    smooth = np.add.outer(np.arange(23), np.arange(31)) * 4  # gradients make Pillow filter rows
    noise = rng.integers(0, 256, (23, 31, 4))
    pixels = np.clip(smooth[..., None] + noise // 4, 0, 255).astype(np.uint8)
    if mode == "I;16":
        Image.fromarray(pixels[..., 0].astype(np.uint16) * 257).save(path)
    elif mode in ("L", "1", "P"):
        Image.fromarray(pixels[..., 0]).convert(mode).save(path)
    else:
        Image.fromarray(pixels[..., : len(mode)]).save(path)
    ours = read_image(path)
    if mode == "LA" or mode == "RGBA":  # transparency over white paper
        with Image.open(path) as image:
            background = Image.new(image.mode, image.size, (255,) * len(mode))
            composite = Image.alpha_composite(background.convert("RGBA"), image.convert("RGBA"))
            expected = np.asarray(composite.convert("L"), dtype=np.float64)
    elif mode == "I;16":  # Pillow's "L" clips 16-bit values; compare the levels themselves
        with Image.open(path) as image:
            expected = np.asarray(image, dtype=np.float64) / 257
    else:
        expected = _pillow_grey(path)
    np.testing.assert_allclose(ours, expected, atol=1.01)  # Pillow rounds to integers


def _filtered(rows, filter_types, channels):
    """PNG's row filters applied to ``rows`` (H, W, C) uint8: the bytes before compression."""
    height = rows.shape[0]
    flat = rows.reshape(height, -1).astype(np.int64)
    raw, previous = b"", np.zeros(flat.shape[1], np.int64)
    for y in range(height):
        kind = filter_types[y % len(filter_types)]
        line = flat[y]
        left = np.concatenate([np.zeros(channels, np.int64), line[:-channels]])
        upper_left = np.concatenate([np.zeros(channels, np.int64), previous[:-channels]])
        if kind == 0:
            encoded = line
        elif kind == 1:
            encoded = line - left
        elif kind == 2:
            encoded = line - previous
        elif kind == 3:
            encoded = line - (left + previous) // 2
        else:
            p = left + previous - upper_left
            pa, pb, pc = abs(p - left), abs(p - previous), abs(p - upper_left)
            predictor = np.where(
                (pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, upper_left)
            )
            encoded = line - predictor
        raw += bytes([kind]) + (encoded & 255).astype(np.uint8).tobytes()
        previous = line
    return raw


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(rows, filter_types, colour=0, channels=1, interlace=False, size=None, data=None):
    """A hand-made 8-bit PNG that uses the given filter types on its rows (cycled), Adam7
    interlaced if asked; ``size`` (width, height) and ``data`` (the IDAT) override the truth."""
    height, width = rows.shape[:2]
    if interlace:
        raw = b"".join(
            _filtered(rows[r0::dy, c0::dx], filter_types, channels)
            for r0, c0, dy, dx in ADAM7  # Pillow reads the result: the table is checked
            if rows[r0::dy, c0::dx].size
        )
    else:
        raw = _filtered(rows, filter_types, channels)
    width, height = size or (width, height)
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, int(interlace))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw) if data is None else data)
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("colour, channels", [(0, 1), (2, 3), (6, 4)])
def test_every_png_filter_type(colour, channels):
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, (10, 7, channels)).astype(np.uint8)
    decoded = decode_png(_png(rows, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0], colour, channels))
    np.testing.assert_array_equal(decoded.reshape(rows.shape), rows)


def test_png_unfilter_across_bands_and_interlacing():
    rng = np.random.default_rng(2)
    # taller than one band of rows (the diagonal walk restarts every 512 rows), mixed filters
    tall = rng.integers(0, 256, (1100, 9, 3)).astype(np.uint8)
    decoded = decode_png(_png(tall, [4, 3, 1, 2, 0, 4, 4], 2, 3))
    np.testing.assert_array_equal(decoded, tall)
    # Adam7: our decoder against Pillow's on the same hand-made file
    rows = rng.integers(0, 256, (13, 11, 3)).astype(np.uint8)
    data = _png(rows, [4, 1, 3, 2, 0], 2, 3, interlace=True)
    np.testing.assert_array_equal(decode_png(data), rows)
    import io

    with Image.open(io.BytesIO(data)) as image:
        np.testing.assert_array_equal(np.asarray(image), rows)


def test_pgm_ppm_and_npy(tmp_path):
    image = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    (tmp_path / "a.pgm").write_bytes(b"P5\n# made by a test\n4 3\n255\n" + image.tobytes())
    np.testing.assert_array_equal(read_image(tmp_path / "a.pgm"), image)
    text = "P2\n4 3\n15\n" + " ".join(str(v // 20) for v in image.ravel())
    (tmp_path / "b.pgm").write_text(text)
    np.testing.assert_allclose(read_image(tmp_path / "b.pgm"), image // 20 * 17)
    wide = (image.astype(">u2") * 257).tobytes()
    (tmp_path / "c.pgm").write_bytes(b"P5 4 3 65535\n" + wide)
    np.testing.assert_allclose(read_image(tmp_path / "c.pgm"), image)
    rgb = np.stack([image] * 3, axis=2)
    (tmp_path / "d.ppm").write_bytes(b"P6\n4 3\n255\n" + rgb.tobytes())
    np.testing.assert_allclose(read_image(tmp_path / "d.ppm"), image)
    np.save(tmp_path / "e.npy", image / 255)  # a normalised image counts as 0..1
    np.testing.assert_allclose(read_image(tmp_path / "e.npy"), image)
    np.save(tmp_path / "f.npy", np.asfortranarray(image.astype(np.float32)))
    np.testing.assert_allclose(read_image(tmp_path / "f.npy"), image)


@pytest.mark.parametrize("kind", ["BMP", "GIF", "WEBP", "TIFF", "JPEG"])
def test_pillow_formats(tmp_path, kind):
    rng = np.random.default_rng(3)
    pixels = np.add.outer(np.arange(20), np.arange(24)) * 5 + rng.integers(0, 20, (20, 24))
    path = tmp_path / f"image.{kind.lower()}"
    options = {"lossless": True} if kind == "WEBP" else {"quality": 95} if kind == "JPEG" else {}
    Image.fromarray(pixels.astype(np.uint8)).save(path, kind, **options)
    np.testing.assert_allclose(read_image(path), _pillow_grey(path), atol=1.01)
    assert abs(read_image(path).mean() - pixels.mean()) < 3


def test_a_phone_photo_held_sideways_is_turned_upright(tmp_path):
    pixels = np.zeros((20, 30), np.uint8)
    pixels[:, :5] = 255  # a bright band on the left of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # EXIF orientation: the camera was turned 90 degrees clockwise
    Image.fromarray(pixels).save(tmp_path / "sideways.jpg", quality=95, exif=exif)
    upright = read_image(tmp_path / "sideways.jpg")
    assert upright.shape == (30, 20) and upright[:5].mean() > 200 and upright[-5:].mean() < 50


def _without_pillow(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name.startswith("PIL"):
            raise ImportError("no PIL here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)


@pytest.mark.parametrize("kind", ["JPEG", "BMP", "GIF", "WEBP", "TIFF"])
def test_the_install_hint_without_pillow(tmp_path, monkeypatch, kind):
    path = tmp_path / f"digit.{kind.lower()}"
    Image.fromarray(np.full((20, 20), 200, np.uint8)).save(path, kind)
    _without_pillow(monkeypatch)
    name = "WebP" if kind == "WEBP" else kind
    hint = rf"{name} needs Pillow: pip install 'tatamikomi\[images\]'"
    with pytest.raises(ImageError, match=hint):
        read_image(path)
    # PNG (interlaced too), PGM and .npy need nothing more
    rows = np.arange(48, dtype=np.uint8).reshape(6, 8, 1)
    (tmp_path / "adam7.png").write_bytes(_png(rows, [1, 4], interlace=True))
    np.testing.assert_array_equal(read_image(tmp_path / "adam7.png"), rows[..., 0])


# ---------------------------------------------------------------------------------------------
# Hostile files: each made small, in tmp_path; each gets one clear line naming the file


def hostile(tmp_path, kind):
    """The path of a small hostile image file of the given kind."""
    path = tmp_path / {
        "npy-nan": "nan.npy",
        "npy-huge": "huge.npy",
        "npy-short": "short.npy",
        "npy-range": "range.npy",
        "pgm-range": "range.pgm",
    }.get(kind, kind)
    if kind == "bomb.png":  # 15000 x 15000 declared: 225 million pixels
        zeros = zlib.compressobj(9)
        body = b"".join(zeros.compress(bytes(15001 * 50)) for _ in range(4)) + zeros.flush()
        path.write_bytes(_png(np.zeros((1, 1, 1), np.uint8), [0], size=(15000, 15000), data=body))
    elif kind == "lying.png":  # 6000 x 6000 declared (within the limit), 10 rows of data
        data = zlib.compress(bytes(6001 * 10))
        path.write_bytes(_png(np.zeros((1, 1, 1), np.uint8), [0], size=(6000, 6000), data=data))
    elif kind == "bad-adam7.png":  # interlaced, its data cut short
        rows = np.zeros((16, 16, 1), np.uint8)
        good = _png(rows, [0], interlace=True)
        raw = zlib.decompress(good[good.index(b"IDAT") + 4 : good.index(b"IEND") - 8])
        path.write_bytes(_png(rows, [0], interlace=True, data=zlib.compress(raw[:-20])))
    elif kind == "filter.png":  # a filter type that does not exist
        path.write_bytes(_png(np.zeros((3, 3, 1), np.uint8), [0], data=zlib.compress(b"\x07" * 12)))
    elif kind == "cut.jpg":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)).save(path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "garbage.jpg":
        path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    elif kind in ("big.bmp", "bomb.bmp"):  # 9000 or 20000 squared declared in a 54-byte header
        side = 9000 if kind == "big.bmp" else 20000
        dib = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 24, 0, 0, 2835, 2835, 0, 0)
        path.write_bytes(b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + dib + bytes(64))
    elif kind == "npy-nan":
        image = np.full((28, 28), 0.5)
        image[3, 4] = np.nan
        np.save(path, image)
    elif kind in ("npy-huge", "npy-short"):
        shape = (100000, 100000) if kind == "npy-huge" else (3000, 3000)
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": "<f8", "fortran_order": False, "shape": shape}
            )
            f.write(bytes(800))
    elif kind == "npy-range":
        np.save(path, np.linspace(-5, 300, 28 * 28).reshape(28, 28))
    elif kind == "pgm-range":
        path.write_bytes(b"P5 2 2 15\n" + bytes([1, 2, 200, 3]))
    elif kind == "blank.png":
        write_png(path, np.full((60, 80), 230.0))
    elif kind == "folder":
        path.mkdir()
    else:
        raise ValueError(kind)
    return path


HOSTILE = {
    "bomb.png": r"15000x15000 = 225,000,000 pixels, over the limit of 50,000,000",
    "lying.png": r"PNG image data is truncated",
    "bad-adam7.png": r"PNG image data is truncated",
    "filter.png": r"unknown PNG filter type 7 in row 0",
    "cut.jpg": r"JPEG file is damaged or truncated .*save it again",
    "garbage.jpg": r"JPEG file is damaged or truncated",
    "big.bmp": r"9000x9000 = 81,000,000 pixels, over the limit",
    "bomb.bmp": r"Pillow refuses it as a possible decompression bomb",  # Pillow's own guard
    "npy-nan": r"1 pixel value\(s\) are NaN or infinite",
    "npy-huge": r"100000x100000 = 10,000,000,000 pixels, over the limit",
    "npy-short": r".npy file is truncated: its header says \(3000, 3000\) float64",
    "npy-range": r"pixel values lie in -5..300; an image holds 0..255 \(or 0..1\): rescale it",
    "pgm-range": r"pixel values go above the header's maxval 15",
    "blank.png": r"the image is blank: no digit found",
    "folder": r"this is a folder; give the image file itself",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_image_files_get_one_clear_line(tmp_path, kind):
    path = hostile(tmp_path, kind)
    tracemalloc.start()
    try:
        with pytest.raises(ImageError) as caught:
            prepare_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert caught.match(HOSTILE[kind])
    assert peak < 80 * 2**20, f"{kind}: {peak / 2**20:.0f} MB allocated"  # 3.6 GB before


def test_bad_images_get_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(
        ImageError, match=r"notes.txt: not a PNG, JPEG, PGM/PPM or .npy file \(nor BMP, GIF"
    ):
        read_image(tmp_path / "notes.txt")
    png = tmp_path / "cut.png"
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(png)
    png.write_bytes(png.read_bytes()[:40])
    with pytest.raises(ImageError, match="cut.png"):
        read_image(png)
    with pytest.raises(FileNotFoundError, match="gone.png does not exist"):
        read_image(tmp_path / "gone.png")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4, 5)))
    with pytest.raises(ImageError, match="2-D grey or colour image"):
        read_image(tmp_path / "cube.npy")
    with pytest.raises(ImageError, match="blank: no digit found"):
        to_mnist(np.full((50, 40), 255.0))
    with pytest.raises(ImageError, match="NaN or infinite"):
        to_mnist(np.full((28, 28), np.inf))
    assert images.MAX_IMAGE_PIXELS == 50_000_000  # documented in docs/training.md


def test_write_png_is_atomic_and_never_overwrites_unasked(tmp_path):
    image = np.arange(28 * 28, dtype=np.float64).reshape(28, 28) % 256
    path = tmp_path / "prepared.png"
    write_png(path, image)
    np.testing.assert_array_equal(read_image(path), np.rint(image))
    with pytest.raises(FileExistsError, match="already exists"):
        write_png(path, 255 - image)
    np.testing.assert_array_equal(read_image(path), np.rint(image))  # left as it was
    write_png(path, image, overwrite=True, scale=4)
    big = read_image(path)
    assert big.shape == (112, 112)
    np.testing.assert_array_equal(big[::4, ::4], np.rint(image))
    assert [p.name for p in tmp_path.iterdir()] == ["prepared.png"]  # no temporary files left


# ---------------------------------------------------------------------------------------------
# Preprocessing


def _centre_of_mass(image):
    mass = image / image.sum()
    height, width = image.shape
    return mass.sum(axis=1) @ np.arange(height), mass.sum(axis=0) @ np.arange(width)


def _correlation(a, b):
    return np.corrcoef(a.ravel(), b.ravel())[0, 1]


def test_mnist_digits_stay_as_they_are():
    digits = load_mini().x_test[:, 0].astype(np.float64)
    for digit in digits[:300]:
        np.testing.assert_array_equal(to_mnist(digit), digit)
    np.testing.assert_array_equal(to_mnist(255 - digits[0]), digits[0])  # inverted MNIST too


def test_to_mnist_makes_a_centred_20_pixel_digit():
    digit = load_mini().x_test[0, 0].astype(np.float64)
    # as a user's photo: dark ink on light paper, larger, off centre, under uneven light
    photo = np.full((200, 150), 240.0)
    photo[30:142, 10:122] = 240 - resize(digit, 112, 112) * 0.9
    photo *= np.linspace(0.45, 1.0, 150)  # the right side lit, the left in shade
    out = to_mnist(photo)
    assert out.shape == (28, 28) and out.max() == pytest.approx(255, abs=1)
    rows = np.flatnonzero(out.max(axis=1) > 25)
    cols = np.flatnonzero(out.max(axis=0) > 25)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 20
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # where MNIST puts it
    assert _correlation(out, digit) > 0.85  # still the same digit
    # light chalk on a dark board gives the same digit
    board = 30 + resize(digit, 112, 112) * 0.8
    assert _correlation(to_mnist(np.pad(board, 40, constant_values=30)), out) > 0.95


def test_a_small_digit_in_a_corner_of_28x28_is_recentred():
    digits = load_mini().x_test[:20, 0].astype(np.float64)
    correlations = []  # with the original: about 0.9 (11 pixels hold less than 20)
    for k, digit in enumerate(digits):
        small = np.zeros((28, 28))
        rows, cols = np.flatnonzero(digit.max(axis=1)), np.flatnonzero(digit.max(axis=0))
        crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        scale = 11 / max(crop.shape)
        h, w = round(crop.shape[0] * scale), round(crop.shape[1] * scale)
        corner = (0, 0) if k % 2 else (28 - h, 28 - w)
        small[corner[0] : corner[0] + h, corner[1] : corner[1] + w] = resize(crop, h, w)
        out = to_mnist(small)
        cy, cx = _centre_of_mass(out)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
        correlations.append(_correlation(out, digit))
    assert min(correlations) > 0.6 and np.mean(correlations) > 0.85, np.round(correlations, 2)


def test_a_digit_in_two_strokes_keeps_both_and_drops_specks():
    image = np.full((120, 100), 220.0)
    image[20:70, 30:36] = 40  # a 4 written in two strokes: the left one with its bar ...
    image[64:70, 30:70] = 40
    image[15:105, 72:78] = 40  # ... and the right one, which does not touch it
    image[110:113, 5:8] = 40  # a speck far away
    out = to_mnist(image)
    rows, cols = np.flatnonzero(out.max(axis=1) > 25), np.flatnonzero(out.max(axis=0) > 25)
    assert rows[-1] - rows[0] + 1 == 20  # the tall right stroke sets the height
    left_stroke = out[:, cols[0] : cols[0] + 2].sum()
    assert left_stroke > 0.5 * out[:, cols[-1] - 1 : cols[-1] + 1].sum()  # both strokes kept
    # the speck was dropped: the digit's box spans the strokes only (48 wide, 90 tall -> 11 x 20)
    assert cols[-1] - cols[0] + 1 <= 12


def _stroke_width(image):
    mask = image > 128
    padded = np.pad(mask, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return 2 * mask.sum() / (mask & ~inner).sum()


def test_a_fine_pen_is_widened_to_mnist_strokes():
    digit = load_mini().x_test[3, 0].astype(np.float64)  # MNIST strokes: about 2.9 pixels
    thin = resize(digit, 280, 280) > 128
    for _ in range(14):  # erode a large copy to a fine pen's line (about 12 of 280 pixels)
        padded = np.pad(thin, 1)
        thin = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    page = np.full((400, 400), 210.0)
    page[60:340, 60:340] -= 170 * thin
    out = to_mnist(page)
    assert 2.6 < _stroke_width(out) < 3.6 and 2.6 < _stroke_width(digit) < 3.6
    assert _correlation(out, digit) > 0.7  # not widened: 2.3 pixels and 0.63


def _page_with(digit, *, ruled=False, desk=False):
    page = np.full((480, 640), 215.0)
    page[140:340, 220:420] -= 180 * resize(digit, 200, 200) / 255
    if ruled:  # a notebook's lines, every 40 pixels, fainter than the ink
        page[np.arange(480) % 40 < 2] *= 0.75
        page[:, 100:102] *= 0.8  # and its margin
    if desk:  # the dark desk beside the page
        page[:, :70] = 35
    return page


@pytest.mark.parametrize("what", ["ruled", "desk"])
def test_ruled_paper_and_the_desk_beside_it_are_not_the_digit(what):
    digits = load_mini().x_test[:6, 0].astype(np.float64)
    same = [
        _correlation(to_mnist(_page_with(digit, **{what: True})), to_mnist(_page_with(digit)))
        for digit in digits
    ]  # with the ruled lines kept as ink: 0.13 to 0.97, 0.55 on average
    assert min(same) > 0.75 and np.mean(same) > 0.9, np.round(same, 2)


def test_connected_components_match_a_flood_fill():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(4)
    for density in (0.3, 0.45, 0.6):
        mask = rng.random((40, 57)) < density
        ours, count = label_components(mask)
        theirs, expected = ndimage.label(mask, structure=np.ones((3, 3)))
        assert count == expected
        pairs = np.unique(np.stack([ours[mask], theirs[mask]]), axis=1)
        assert pairs.shape[1] == count  # the same partition, whatever the numbering
    spiral = np.zeros((31, 31), bool)  # one long winding component
    spiral[1::4, 1:-1] = True
    spiral[1:-1, 1] = True
    spiral[1:-1, -2] = True
    assert label_components(spiral)[1] == 1


def test_otsu_separates_two_classes():
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(20, 5, 9000), rng.normal(200, 10, 1000)])
    assert 45 < otsu_threshold(values) < 170


def test_a_blank_photo_is_refused():
    rng = np.random.default_rng(6)
    y, x = np.mgrid[0:480, 0:640]
    page = 200 * (0.7 + 0.5 * x / 640) + rng.normal(0, 4, (480, 640))
    with pytest.raises(ImageError, match="blank"):
        to_mnist(np.clip(page, 0, 255))


def test_photo_set_is_prepared_into_the_original_digits(tmp_path):
    """scripts/make_photo_set.py's photos (30, from mnist-mini's test digits): prepared, each is
    close to the MNIST digit it was rendered from (a rotation of up to 10 degrees and the blur
    keep it from being exact: about 0.87 on average); without the preprocessing they are not
    (about 0.13)."""
    script = runpy.run_path(str(ROOT / "scripts" / "make_photo_set.py"))  # not as __main__
    folder = tmp_path / "photos"
    assert script["make_set"](folder, count=30, seed=1, dataset="mnist-mini") == 30
    with open(folder / "labels.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30 and sorted(p.name for p in tmp_path.iterdir()) == ["photos"]
    digits = load_mini().x_test[:, 0].astype(np.float64)
    correlations = []
    for row in rows:
        photo = read_image(folder / row["file"])
        assert photo.shape in ((480, 640), (640, 480))
        prepared = prepare_image(folder / row["file"])
        correlations.append(_correlation(prepared, digits[int(row["test_index"])]))
    assert min(correlations) > 0.5, np.round(correlations, 2)
    assert np.mean(correlations) > 0.8, np.round(correlations, 2)
    # the same seed makes the same photo; the folder is not replaced unasked
    digit = digits[int(rows[0]["test_index"])].astype(np.uint8)
    render = script["render_photo"]
    assert render(digit, np.random.default_rng(7)) == render(digit, np.random.default_rng(7))
    with pytest.raises(FileExistsError, match="exists and is not empty"):
        script["make_set"](folder, count=2, dataset="mnist-mini")


def test_the_photo_benchmark_runs(tmp_path, capsys):
    from tatamikomi.models import SimpleConvNet, save

    script = runpy.run_path(str(ROOT / "scripts" / "make_photo_set.py"))
    script["make_set"](tmp_path / "corner", kind="corner", count=5, dataset="mnist-mini")
    save(SimpleConvNet(seed=0), tmp_path / "untrained.npz")
    bench = runpy.run_path(str(ROOT / "benchmarks" / "bench_photos.py"))
    assert bench["main"]([str(tmp_path / "untrained.npz"), str(tmp_path / "corner"), "--raw"]) == 0
    out = capsys.readouterr().out
    assert "5 images, accuracy" in out and "without the preprocessing" in out


def test_confidence_is_the_top_probability():
    assert images.confidence([0.1, 0.7, 0.2]) == (1, pytest.approx(0.7))
    assert 0.5 <= images.LOW_CONFIDENCE < 1


def test_a_thick_digit_drawn_on_a_white_pad_keeps_its_polarity():
    """The studio's pad: a 280x280 white canvas, a black pen 18 pixels wide, a real MNIST 7
    traced row by row as the browser test draws it. A heavy blur of such a digit once made the
    paper between its strokes look like ink (the 7 read as a 0)."""
    import tatamikomi as tk
    from tatamikomi import images

    mini = tk.load_dataset("mnist-mini")
    seven = mini.x_test[np.flatnonzero(mini.t_test == 7)[2], 0]
    canvas = np.full((280, 280), 255.0)
    yy, xx = np.mgrid[0:280, 0:280]
    for r, row in enumerate(seven > 100):
        ink = np.flatnonzero(row)
        for run in np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1) if ink.size else []:
            x0, x1, y = (run[0] + 0.5) * 10, (run[-1] + 0.5) * 10, (r + 0.5) * 10
            t = np.clip((xx - x0) / max(x1 - x0, 1e-9), 0, 1)
            canvas[np.hypot(xx - x0 - t * (x1 - x0), yy - y) <= 9] = 0
    ink = images.digit_ink(canvas)
    assert ink[canvas == 0].mean() > 0.9
    assert ink[canvas == 255].mean() < 0.05


def test_predict_shows_what_the_network_saw_and_flags_low_confidence(tmp_path, monkeypatch, capsys):
    import tatamikomi as tk
    from tatamikomi import cli, images
    from tatamikomi.cli import models as commands
    from tatamikomi.serve.api import pretrained_path

    mini = tk.load_dataset("mnist-mini")
    corner = np.zeros((28, 28))
    corner[:14, :14] = images.resize(mini.x_test[0, 0].astype(float), 14, 14)  # small, off-centre
    paths = []
    for k, image in enumerate((corner, mini.x_test[1, 0])):
        paths.append(tmp_path / f"digit{k}.png")
        images.write_png(paths[-1], image)
    shown = tmp_path / "seen.png"
    model = str(pretrained_path())
    assert cli.main(["predict", model, *map(str, paths), "--show", str(shown)]) == 0
    out, err = capsys.readouterr()
    assert f"{paths[0]}: {mini.t_test[0]} " in out and f"{paths[1]}: {mini.t_test[1]} " in out
    assert "only" not in err and "wrote" in err
    seen = images.read_image(shown)
    assert seen.shape[:2] == (28 * 8, 2 * 28 * 8)
    again = images.prepare_image(paths[0])
    np.testing.assert_allclose(seen[::8, 0:224:8].astype(float), np.round(again), atol=1)
    # an existing --show file is kept; every answer under the threshold is flagged
    monkeypatch.setattr(commands, "LOW_CONFIDENCE", 1.01)
    assert cli.main(["predict", model, str(paths[1]), "--show", str(shown)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["predict", model, str(paths[1])]) == 0
    assert "sure (below 101%)" in capsys.readouterr().err


def test_an_image_reads_the_same_from_its_bytes_with_the_same_limits(tmp_path):
    image = (np.arange(48 * 40) % 256).reshape(48, 40).astype(np.uint8)
    png, npy = tmp_path / "a.png", tmp_path / "a.npy"
    images.write_png(png, image)
    np.save(npy, image)
    for path in (png, npy):
        data = path.read_bytes()
        np.testing.assert_array_equal(images.read_image_bytes(data), images.read_image(path))
        np.testing.assert_array_equal(images.read_shrunk_bytes(data), images.read_shrunk(path))
        with pytest.raises(images.ImageError, match="over the limit of 100 "):
            images.read_image_bytes(data, max_pixels=100)
        with pytest.raises(images.ImageError, match="MAX_WORK_BYTES"):
            images.read_image_bytes(data, max_work=1000)
    with pytest.raises(images.ImageError, match="^the image: not a PNG"):
        images.read_image_bytes(b"hello")
    with pytest.raises(images.ImageError, match="^upload.png: not a PNG"):
        images.read_image_bytes(b"hello", "upload.png")
