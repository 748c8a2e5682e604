"""Reading images (our PNG and PGM decoders, with Pillow as the oracle) and MNIST-style input."""

import struct
import zlib

import numpy as np
import pytest

from tatamikomi.data import load_dataset
from tatamikomi.images import ImageError, decode_png, read_image, resize, to_mnist

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


def _png(rows, filter_types, colour=0, channels=1):
    """A hand-made 8-bit PNG that uses the given filter type on each row."""
    height, width = rows.shape[:2]
    flat = rows.reshape(height, -1).astype(np.int64)
    raw, previous = b"", np.zeros(flat.shape[1], np.int64)
    for y, kind in enumerate(filter_types):
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

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("colour, channels", [(0, 1), (2, 3)])
def test_every_png_filter_type(colour, channels):
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, (10, 7, channels)).astype(np.uint8)
    decoded = decode_png(_png(rows, [0, 1, 2, 3, 4, 4, 3, 2, 1, 0], colour, channels))
    np.testing.assert_array_equal(decoded.reshape(rows.shape), rows)


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


def test_jpeg_through_pillow_and_the_hint_without_it(tmp_path, monkeypatch):
    path = tmp_path / "digit.jpg"
    Image.fromarray(np.full((20, 20), 200, np.uint8)).save(path, quality=95)
    assert abs(read_image(path).mean() - 200) < 2
    import builtins

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name.startswith("PIL"):
            raise ImportError("no PIL here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    with pytest.raises(ImageError, match=r"JPEG needs Pillow: pip install 'tatamikomi\[images\]'"):
        read_image(path)
    interlaced = bytearray(_png(np.zeros((4, 4, 1), np.uint8), [0] * 4))
    interlaced[28] = 1  # the IHDR's interlace method: Adam7
    (tmp_path / "adam7.png").write_bytes(bytes(interlaced))
    with pytest.raises(ImageError, match=r"interlaced PNG needs Pillow: .*without interlacing"):
        read_image(tmp_path / "adam7.png")


def test_bad_images_get_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImageError, match="notes.txt: not a PNG, JPEG, PGM/PPM or .npy file"):
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


def test_to_mnist_makes_a_centred_20_pixel_digit():
    digit = load_dataset("mnist-mini").x_test[0, 0].astype(np.float64)
    # as a user's photo: dark ink on light paper, larger, off centre
    photo = np.full((200, 150), 240.0)
    photo[30:142, 10:122] = 240 - resize(digit, 112, 112) * 0.9
    out = to_mnist(photo)
    assert out.shape == (28, 28) and out.max() == pytest.approx(255, abs=1)
    rows = np.flatnonzero(out.max(axis=1) > 25)
    cols = np.flatnonzero(out.max(axis=0) > 25)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 20
    mass = out / out.sum()
    cy, cx = mass.sum(axis=1) @ np.arange(28), mass.sum(axis=0) @ np.arange(28)
    assert abs(cy - 13.5) < 1 and abs(cx - 13.5) < 1
    assert np.corrcoef(out.ravel(), digit.ravel())[0, 1] > 0.6  # still the same digit
    np.testing.assert_array_equal(to_mnist(digit), digit)  # MNIST stays as it is
