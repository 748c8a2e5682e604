"""Issue 20, files, data and specs: what an offline machine prints and leaves behind (finding 3),
model, dataset and checkpoint files bounded by the work they cause (finding 5), and specs
sized before they are built (finding 7).

Every fixture is made here, small; whatever could allocate gigabytes runs in a child process
(``child_peak_mb``), and every subprocess has a timeout. No test touches a real network: the
mirrors are the discard port of the loopback (nothing listens there)."""

import gzip
import json
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import i18n, io

from .support import SRC

CEILING_MB = 200
CLOSED = "http://127.0.0.1:9/"  # the discard port: a connection is refused at once


def _cli(args, home, *, lang_env=None, timeout=300):
    """``tatamikomi ARGS`` in a fresh Python with HOME at ``home``, no TATAMIKOMI_DATA, and
    MNIST's mirrors on a closed loopback port."""
    program = (
        "import dataclasses, sys\n"
        f"sys.path.insert(0, {str(SRC)!r})\n"
        "from tatamikomi import cli\n"
        "from tatamikomi.data import SOURCES\n"
        f"SOURCES['mnist'] = dataclasses.replace(SOURCES['mnist'], mirrors=({CLOSED!r},))\n"
        f"sys.exit(cli.main({list(args)!r}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TATAMIKOMI_", "XDG_"))}
    env.update(HOME=str(home), MPLCONFIGDIR=str(home / "mpl"), **(lang_env or {}))
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=timeout,
        env=env, cwd=home,
    )


def test_offline_plot_and_train_say_one_line_and_leave_no_folder(tmp_path):
    """Finding 3."""
    home = tmp_path / "home"
    home.mkdir()
    model = tk.SimpleConvNet(seed=0)
    model.preprocess = {"divide_by": 255, "dataset": "mnist"}  # trained on the full MNIST
    tk.save(model, home / "model.npz")

    shown = _cli(["plot", "feature-maps", "model.npz", "-o", "maps.png"], home)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stderr.strip().splitlines()
    assert len(lines) == 1, shown.stderr  # one line: why, what is shown, where the files go
    assert "showing test image 0 of the bundled mnist-mini" in lines[0]
    assert "t10k-images-idx3-ubyte.gz" in lines[0] and "train-images" not in shown.stderr
    assert str(home / ".cache" / "tatamikomi" / "mnist") in lines[0]
    assert (home / "maps.png").is_file()
    assert not (home / ".cache" / "tatamikomi").exists()  # a failed download leaves nothing

    trained = _cli(["train", "--epochs", "1", "-o", "t.npz"], home)
    assert trained.returncode == 0, trained.stderr
    lines = trained.stderr.strip().splitlines()
    assert "could not be downloaded (127.0.0.1:9: Connection refused)" in lines[0]
    assert str(home / ".cache" / "tatamikomi" / "mnist") in lines[0]
    assert "TATAMIKOMI_DATA" in lines[0] and len(lines[0]) < 400 - 100 + len(str(home))
    assert "failed:" not in trained.stderr and "copy the file there" not in trained.stderr
    data_line = "data: mnist-mini from tatamikomi's package: 6,000 training and 1,000 test images"
    assert lines[1] == data_line
    assert not (home / ".cache" / "tatamikomi").exists()

    # messages composed of parts never double their stops, in either language
    refused = _cli(["--lang", "ja", "plot", "confusion", "model.npz", "--no-download"], home)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "。。" not in refused.stderr and "設定してください。tatamikomi" in refused.stderr
    for lang in ("en", "ja"):
        for why in ("downloads are off.", "ダウンロードしない設定です。"):
            text = i18n.text("cli.fallback", lang=lang, why=why, folder="F")
            assert ".)" not in text and "。)" not in text and "。。" not in text
    first = "mnist was not found (looked in x) and download=False. Put the files in x."
    composed = i18n.text("cli.model_misfit", lang="en", path="m", name="n", error=first)
    assert composed.endswith("in x.") and ".." not in composed


# ---------------------------------------------------------------------------------------------
# Finding 5: files bounded by the work they cause


def _meta_with(path, arrays):
    """The metadata of the model file ``path`` with ``arrays`` (name -> record) added."""
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read(io.META_NAME))
    meta["arrays"].update(arrays)
    return meta


def _npy_header(shape, descr="<f4"):
    from io import BytesIO

    header = BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    )
    return header.getvalue()


def _write_zeros(archive, name, header, nbytes):
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(header)
        chunk = bytes(8 << 20)
        for start in range(0, nbytes, len(chunk)):
            member.write(chunk[: min(len(chunk), nbytes - start)])


def _forge_compressed_size(path, name):
    """Set ``name``'s compressed size in the central directory equal to its size (the 50x
    ratio check of the declared sizes then passes)."""
    data = bytearray(path.read_bytes())
    at, encoded = 0, name.encode()
    while True:
        at = data.index(b"PK\x01\x02", at)
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == encoded:
            break
        at += 4
    size = struct.unpack_from("<I", data, at + 24)[0]
    if size != 0xFFFFFFFF:
        struct.pack_into("<I", data, at + 20, size)
    path.write_bytes(bytes(data))


def test_files_are_bounded_by_their_real_inflated_size(tmp_path, child_peak_mb):
    """Finding 5: model files, dataset .npz files, IDX pairs and checkpoints."""
    model = tmp_path / "model.npz"
    tk.save(tk.SimpleConvNet(seed=0), model)

    # 60 members of just under 16 MiB each: the total is bounded, before any is read
    many = tmp_path / "many.npz"
    elements = (16 << 20) // 4 - 64
    record = {"shape": [elements], "dtype": "<f4", "sha256": "0" * 64}
    meta = _meta_with(model, {f"model/big{i}": record for i in range(60)})
    with zipfile.ZipFile(model) as source, zipfile.ZipFile(many, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            out.writestr(name, json.dumps(meta) if name == io.META_NAME else source.read(name))
        header = _npy_header([elements])
        for i in range(60):
            _write_zeros(out, f"model/big{i}.npy", header, elements * 4)
    assert many.stat().st_size < 8 << 20
    growth, out = child_peak_mb(f"tatamikomi.load({str(many)!r})")
    assert "ModelFileError" in out and "over the limit of 268,435,456" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"

    # a member whose declared sizes say one thing and whose stream holds another: its real
    # inflated size is what counts (its compressed size forged equal to its size, too)
    longer = tmp_path / "longer.npz"
    with zipfile.ZipFile(model) as source, zipfile.ZipFile(longer, "w", 8) as out:
        for name in source.namelist():
            if name != "model/W1.npy":
                out.writestr(name, source.read(name))
        w1 = tk.load(model).params["W1"]
        _write_zeros(out, "model/W1.npy", _npy_header(w1.shape), w1.nbytes + (300 << 20))
    _forge_compressed_size(longer, "model/W1.npy")
    growth, out = child_peak_mb(f"tatamikomi.load({str(longer)!r})")
    assert "ModelFileError" in out and "holds more or fewer bytes than its header" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"

    # a dataset .npz with both x_train and x_train.npy: refused as ambiguous, never loaded
    dataset = tmp_path / "data.npz"
    images = np.zeros((20, 28, 28), np.uint8)
    labels = np.arange(20) % 10
    np.savez(dataset, x_train=images, t_train=labels, x_test=images, t_test=labels)
    with zipfile.ZipFile(dataset, "a", zipfile.ZIP_DEFLATED) as out:
        _write_zeros(out, "x_train", _npy_header([300_000, 28, 28], "|u1"), 300_000 * 784)
    growth, out = child_peak_mb(
        f"import tatamikomi.data as d\nd.load_dataset({str(dataset)!r})"
    )
    assert "DataError" in out and "x_train.npy, x_train both name the array x_train" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"

    # IDX: a .gz of images whose labels file does not pair with it is refused from the headers;
    # a .gz that declares 300 MB from a few hundred kB is a bomb, refused from its header
    folder = tmp_path / "idx"
    folder.mkdir()
    declared = (400_000, 28, 28)
    head = bytes([0, 0, 8, 3]) + np.asarray(declared, ">u4").tobytes()
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
        f.write(head)
        for _ in range(declared[0] // 10_000):
            f.write(bytes(10_000 * 784))
    labels_head = bytes([0, 0, 8, 1]) + np.asarray([60_000], ">u4").tobytes()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels_head + bytes(60_000)))
    for stem, count in (
        ("t10k-images-idx3-ubyte", (10, 28, 28)),
        ("t10k-labels-idx1-ubyte", (10,)),
    ):
        array = np.zeros(count, np.uint8)
        (folder / (stem + ".gz")).write_bytes(gzip.compress(tk.data.idx_bytes(array)))
    loading = f"import tatamikomi.data as d\nd.load_dataset({str(folder)!r})"
    growth, out = child_peak_mb(loading)
    assert "DataLimitError" in out and "would decompress to 313.6 MB from 1.4 MB" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"
    pixels = np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(tk.data.idx_bytes(pixels)))
    growth, out = child_peak_mb(loading)
    assert "IDXError" in out and "holds (30, 28, 28)" in out and "(60000,)" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"

    # a checkpoint edited to batch_size 10**12: refused before it is used, like --batch-size
    checkpoint = tmp_path / "ck.npz"
    trainer = tk.train.Trainer(
        tk.SimpleConvNet(seed=0), np.zeros((20, 1, 28, 28), np.float32), labels,
        np.zeros((20, 1, 28, 28), np.float32), labels, epochs=1, mini_batch_size=10,
        verbose=False, checkpoint=str(checkpoint),
    )
    trainer.train()
    with zipfile.ZipFile(checkpoint) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    meta = json.loads(contents[io.META_NAME])
    meta["training"]["config"]["batch_size"] = 10**12
    contents[io.META_NAME] = json.dumps(meta).encode()
    with zipfile.ZipFile(checkpoint, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    growth, out = child_peak_mb(
        "import numpy as np\n"
        "x = np.zeros((20, 1, 28, 28), np.float32); t = np.arange(20) % 10\n"
        f"tatamikomi.train.Trainer.resume({str(checkpoint)!r}, x, t, x, t, epochs=2)"
    )
    assert "ModelFileError" in out and "batch_size is 1000000000000, not a whole number" in out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"
    home = tmp_path / "home"
    home.mkdir()
    (home / "ck.npz").write_bytes(checkpoint.read_bytes())
    resumed = _cli(["train", "--resume", "ck.npz", "--epochs", "2"], home, timeout=120)
    assert resumed.returncode == 1 and len(resumed.stderr.strip().splitlines()) == 1
    assert "the checkpoint's batch_size is 1000000000000" in resumed.stderr
    option = _cli(["train", "--batch-size", str(10**12)], home, timeout=120)
    assert option.returncode == 1
    assert "--batch-size must be a whole number from 1 to 1,000" in option.stderr


# ---------------------------------------------------------------------------------------------
# Finding 7: specs sized before they are built


def test_specs_are_sized_before_they_are_built(tmp_path, child_peak_mb):
    """Finding 7: the library's budget, the command line's (the same) and the studio's
    (smaller), from the layers' own parameter counts and output shapes."""
    wide = {
        "input_shape": [1, 28, 28],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 100000}],
    }
    growth, out = child_peak_mb(f"tatamikomi.from_spec({json.dumps(wide)!r})")
    assert "SpecLimitError" in out
    assert "layer 1 (Linear) would bring the model to at least 78,400,000" in out
    assert "more than the limit of 20,000,000 (tatamikomi.models.BUDGET)" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"

    tall = {
        "input_shape": [1, 28, 28],
        "layers": [{"type": "Conv2d", "out_channels": 4000, "kernel_size": 1}],
    }
    with pytest.raises(tk.models.SpecLimitError, match="brings one example's activations to"):
        tk.from_spec(tall)
    with pytest.raises(tk.models.SpecLimitError, match="input_shape"):
        tk.from_spec({"input_shape": [1, 100000, 100000], "layers": []})
    said = i18n.say(pytest.raises(ValueError, tk.from_spec, wide).value, "ja")
    assert "上限の 20,000,000 個" in said

    # the command line: one line, the same budget
    spec = tmp_path / "wide.json"
    spec.write_text(json.dumps(wide))
    done = subprocess.run(
        [sys.executable, "-m", "tatamikomi", "summary", str(spec)], capture_output=True,
        text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "more than the limit of 20,000,000" in done.stderr

    # the studio: smaller, and said so; /api/models and /api/train refuse it before building
    from tatamikomi.serve import api, server

    middle = {
        "input_shape": [1, 28, 28],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 8000}],
    }
    assert tk.from_spec(middle).params["W1"].shape == (784, 8000)  # within the library's
    studio = server.Studio(save_dir=str(tmp_path))
    with pytest.raises(api.RequestError, match=r"limit of 5,000,000 \(the studio's"):
        studio.open_model({"spec": middle})
    with pytest.raises(api.RequestError, match=r"limit of 5,000,000 \(the studio's"):
        studio.start_training({"model": wide, "epochs": 1})
    assert studio.training is None and not list(tmp_path.glob("*.npz"))
