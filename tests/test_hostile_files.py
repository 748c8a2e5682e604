"""Hostile model files and pickles: each is built small in a temporary folder, and each must give
one clear ModelFileError without allocating what the file claims.

The cases that would allocate gigabytes run in a child process, whose peak memory is read with
``resource`` (it must stay under a ceiling far below what the file claims) and whose time is
bounded by ``timeout=`` — no wall-clock assertion."""

import io as stdio
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest

import tatamikomi as tk
from tatamikomi import io
from tatamikomi.models import import_book_params

CEILING_MB = 200  # growth of the child's peak memory over a bare `import tatamikomi`


def _model_file(tmp_path, name="model.npz"):
    path = tmp_path / name
    tk.save(tk.SimpleConvNet(seed=0), path)
    return path


def _rewrite(path, change_meta=None, members=None):
    """Rewrite a model file with its metadata changed and/or members replaced."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(contents[io.META_NAME])
    if change_meta:
        change_meta(meta)
    contents[io.META_NAME] = json.dumps(meta).encode()
    contents.update(members or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


# ---- pickles ---------------------------------------------------------------------------------


def _pickle_calling(module: str, name: str, argument_ops: bytes) -> bytes:
    """A protocol-2 pickle of ``module.name(*args)`` with the arguments' opcodes given."""
    return (
        b"\x80\x02" + b"c" + module.encode() + b"\n" + name.encode() + b"\n" + argument_ops + b"R."
    )


def test_a_pickle_asking_bytearray_of_2_gb_allocates_nothing(tmp_path, child_peak_mb):
    path = tmp_path / "params.pkl"
    # bytearray(2**31): 36 bytes that used to allocate 2 GB
    path.write_bytes(
        _pickle_calling("builtins", "bytearray", b"J" + struct.pack("<i", 2**31 - 1) + b"\x85")
    )
    growth, out = child_peak_mb(f"tatamikomi.io.load_book_params({str(path)!r})")
    assert "ModelFileError" in out and "refused: bytearray(int)" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"


def test_a_pickle_calling_ndarray_with_a_huge_shape_is_refused(tmp_path, child_peak_mb):
    path = tmp_path / "params.pkl"
    shape = b"(J\xa0\x86\x01\x00J\xa0\x86\x01\x00t"  # (100000, 100000)
    path.write_bytes(_pickle_calling("numpy", "ndarray", b"(" + shape + b"t"))
    growth, out = child_peak_mb(f"tatamikomi.io.load_book_params({str(path)!r})")
    assert "ModelFileError" in out and "numpy.ndarray called directly" in out, out
    assert growth < CEILING_MB


def test_book_pickles_with_bad_weights_are_refused(tmp_path):
    good = {
        f"{p}{i}": np.ones((2, 1, 3, 3) if i == 1 else (2, 2)) for p in "Wb" for i in range(1, 4)
    }
    cases = {
        "nan": ({**good, "W2": np.full((2, 2), np.nan)}, "NaN or infinite"),
        "empty": ({**good, "W1": np.zeros((0, 1, 5, 5))}, "with no values"),
    }
    for name, (params, message) in cases.items():
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(pickle.dumps(params, protocol=2))
        with pytest.raises(io.ModelFileError, match=message):
            import_book_params(path)


def test_import_book_names_a_folder_and_a_model_file(tmp_path):
    with pytest.raises(io.ModelFileError, match="is a folder, not a params.pkl"):
        import_book_params(tmp_path)
    model = _model_file(tmp_path)
    with pytest.raises(io.ModelFileError, match="is an .npz archive .* not the book's params.pkl"):
        import_book_params(model)


# ---- model files ------------------------------------------------------------------------------


def test_a_member_that_decompresses_to_gigabytes_is_not_read(tmp_path, child_peak_mb):
    path = _model_file(tmp_path)
    elements = 100 << 20  # 400 MB of float32 zeros, under 1 MB compressed
    with zipfile.ZipFile(path) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    meta = json.loads(contents[io.META_NAME])
    meta["arrays"]["model/W2"] = {"shape": [elements], "dtype": "<f4", "sha256": "0" * 64}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            if name == "model/W2.npy":
                continue
            archive.writestr(name, json.dumps(meta) if name == io.META_NAME else data)
        with archive.open("model/W2.npy", "w", force_zip64=True) as member:
            header = stdio.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, {"descr": "<f4", "fortran_order": False, "shape": (elements,)}
            )
            member.write(header.getvalue())
            chunk = bytes(16 << 20)
            for _ in range(elements * 4 // len(chunk)):
                member.write(chunk)
    assert path.stat().st_size < 8 << 20
    growth, out = child_peak_mb(f"tatamikomi.load({str(path)!r})")
    assert "ModelFileError" in out and ("over the limit" in out or "decompress" in out), out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"


def test_a_huge_metadata_member_is_not_parsed(tmp_path, child_peak_mb):
    path = _model_file(tmp_path)
    with zipfile.ZipFile(path) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    contents[io.META_NAME] = contents[io.META_NAME][:-1] + b" " * (40 << 20) + b"}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    growth, out = child_peak_mb(f"tatamikomi.load({str(path)!r})")
    assert "ModelFileError" in out and "the metadata would be" in out, out
    assert growth < CEILING_MB


def test_architecture_numbers_do_not_allocate_before_the_shapes_are_compared(
    tmp_path, child_peak_mb
):
    path = _model_file(tmp_path)

    def bigger(meta):
        meta["architecture"]["arguments"]["hidden_size"] = 300000  # W2 would be 5 GB

    _rewrite(path, bigger)
    growth, out = child_peak_mb(f"tatamikomi.load({str(path)!r})")
    assert "ModelFileError" in out and "more parameters than allowed" in out, out
    assert growth < CEILING_MB, f"grew {growth:.0f} MB"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.update(arrays=[]), "the metadata was edited"),
        (lambda m: m["arrays"]["model/W1"].update(shape="big"), "array 'model/W1' was edited"),
        (
            lambda m: m["arrays"]["model/W1"].update(shape=[30, 1, 5, 4]),
            "does not match its recorded",
        ),
        (lambda m: m["arrays"]["model/W1"].update(dtype="<U4"), "only numbers"),
        (lambda m: m.update(version="x"), "newer tatamikomi"),
        (lambda m: m.update(architecture=[1]), "do not fit"),
        (lambda m: m["architecture"].update({"class": 7}), "do not fit"),
        (lambda m: m.update(preprocess={"divide_by": 0}), "divide_by must be a positive"),
        (lambda m: m["architecture"]["spec"].update(classes=["a", "b"]), "names 2 classes for 10"),
    ],
)
def test_edited_metadata_gives_one_clear_error(tmp_path, change, message):
    path = _model_file(tmp_path)
    _rewrite(path, change)
    with pytest.raises(io.ModelFileError, match=message):
        tk.load(path)


def test_deeply_nested_metadata(tmp_path):
    path = _model_file(tmp_path)
    nested = b'{"format": "tatamikomi", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    _rewrite(path, members={io.META_NAME: nested})
    with pytest.raises(io.ModelFileError, match="nested too deeply|corrupt"):
        tk.load(path)


def test_a_flipped_bit_in_the_compressed_metadata(tmp_path):
    path = _model_file(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(io.META_NAME)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(io.ModelFileError, match="truncated or corrupt|damaged"):
        tk.load(path)


def test_nan_weights_in_a_model_file(tmp_path):
    model = tk.SimpleConvNet(seed=0)
    model.params["W3"] = np.full_like(model.params["W3"], np.nan)
    tk.save(model, tmp_path / "nan.npz")
    with pytest.raises(io.ModelFileError, match="W3 holds NaN or infinite values"):
        tk.load(tmp_path / "nan.npz")


def test_a_folder_given_as_a_model_file(tmp_path):
    with pytest.raises(io.ModelFileError, match="is a folder, not a model file"):
        tk.load(tmp_path)
