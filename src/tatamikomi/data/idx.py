"""The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
each dimension as a big-endian uint32, then the values in C order, big-endian. MNIST's images are
``(N, 28, 28)`` uint8 (type 0x08, 3 dimensions); its labels ``(N,)`` uint8.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

#: type code -> big-endian dtype
TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """A file that is not valid IDX data (the message names the file and the problem)."""


def read_bytes(path) -> bytes:
    """The bytes of ``path``, decompressed if it is gzip (recognised by its content)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file {path} does not exist")
    with open(path, "rb") as f:
        return decompress(f.read(), path)


def decompress(data: bytes, name: str) -> bytes:
    """``data`` decompressed if it is gzip (recognised by its first bytes), else as it is."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXError(
            f"{name} is a truncated or corrupt gzip file ({error}); delete it and download it again"
        ) from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """The array in IDX ``data`` (native byte order); ``name`` is used in errors."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in TYPES:
        raise IDXError(
            f"{name} is not an IDX file: it starts with {data[:4].hex() or 'nothing'}, "
            f"expected 0000 then a type code (08 for uint8) and the number of dimensions"
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise IDXError(f"{name} is truncated: its header needs {header} bytes, it has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, 4))
    dtype = np.dtype(TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise IDXError(
            f"{name} is truncated: shape {shape} needs {expected} bytes of values, it has "
            f"{found}; delete it and download it again"
        )
    if found > expected:
        raise IDXError(f"{name} has {found - expected} unexpected bytes after its {shape} values")
    array = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """The array in the IDX file ``path`` (``.gz`` or raw), checked against its header."""
    return parse_idx(read_bytes(path), os.fspath(path))


def idx_bytes(array) -> bytes:
    """``array`` encoded as IDX (its dtype must be one IDX has)."""
    array = np.asarray(array)
    codes = {np.dtype(t).newbyteorder("="): code for code, t in TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX has no type for dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, TYPES[code]).tobytes()
