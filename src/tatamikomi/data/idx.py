"""The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
each dimension as a big-endian uint32, then the values in C order, big-endian. MNIST's images are
``(N, 28, 28)`` uint8 (type 0x08, 3 dimensions); its labels ``(N,)`` uint8.

Reading never takes more memory than the data justifies: the header's declared size is checked
against :data:`~.errors.MAX_DATA_BYTES` and the file's size before anything is allocated, and
gzip data is decompressed in a stream that stops after the declared values, so a small file
that decompresses to gigabytes is refused after reading only what its header promised. The md5s
of the file and of its content are computed on the way.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import stat
import zlib

import numpy as np

from .. import i18n
from .errors import (
    MAX_DATA_BYTES,
    DataError,
    DataNotFoundError,
    IDXError,
    check_limit,
    check_ratio,
)

#: type code -> big-endian dtype
TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: labels (N,), images (N, H, W) or (N, C, H, W)
MAX_NDIM = 4
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 16
#: how many unexpected bytes after the values are counted before giving up counting
EXTRA_COUNTED = 1 << 20


def path_mode(path: str, what: str, fix: str = "") -> int:
    """``os.stat(path).st_mode``, or :class:`DataNotFoundError` ("does not exist", then
    ``fix``) or :class:`DataError` ("not readable") naming ``what`` and ``path``."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        if fix:
            raise i18n.error(
                DataNotFoundError, "errors.idx_missing_fix", what=what, path=path, fix=fix
            ) from None
        raise i18n.error(DataNotFoundError, "errors.idx_missing", what=what, path=path) from None
    except PermissionError:
        raise i18n.error(
            DataError, "errors.idx_readable_permission_denied2", what=what, path=path,
        ) from None


def check_file(path: str, what=None) -> None:
    """Raise :class:`DataError` (or :class:`DataNotFoundError`) unless ``path`` is a regular
    file this process can read; the message says which of those it is not."""
    what = what or i18n.Said("errors.data_file")
    mode = path_mode(path, what)
    if stat.S_ISDIR(mode):
        raise i18n.error(DataError, "errors.idx_directory_file", what=what, path=path)
    if not stat.S_ISREG(mode):
        raise i18n.error(DataError, "errors.idx_regular_file_device", what=what, path=path)
    if not os.access(path, os.R_OK):
        raise i18n.error(DataError, "errors.idx_readable_permission_denied", what=what, path=path)


class ContentStream:
    """The content of a binary file, read in chunks and gunzipped on the fly if it is gzip
    (recognised by its first bytes); ``raw_md5`` and ``content_md5`` follow what was read.

    No read ever decompresses more than :data:`CHUNK` bytes ahead of what was asked for."""

    def __init__(self, file, name: str):
        self._file, self.name = file, name
        self.raw_md5, self.content_md5 = hashlib.md5(), hashlib.md5()
        self._input = self._read_raw()
        self.compressed = self._input[:2] == GZIP_MAGIC
        self._inflate = zlib.decompressobj(31) if self.compressed else None
        self._in_member = False
        self._buffer = b""

    def _read_raw(self) -> bytes:
        data = self._file.read(CHUNK)
        self.raw_md5.update(data)
        return data

    def _corrupt(self, why: str) -> IDXError:
        return IDXError(
            f"{self.name} is a truncated or corrupt gzip file ({why}); delete it and download it "
            f"again"
        )

    def _next(self) -> bytes:
        """The next piece of content, ``b""`` at its end."""
        if self._inflate is None:
            data, self._input = self._input, b""
            return data or self._read_raw()
        while True:
            if not self._input:
                self._input = self._read_raw()
                if not self._input:
                    if self._in_member:
                        raise self._corrupt("it ends inside its compressed data")
                    return b""
            if not self._in_member and self._input[:2] != GZIP_MAGIC[: len(self._input)]:
                raise self._corrupt(f"{len(self._input)} bytes that are not gzip follow its data")
            try:
                out = self._inflate.decompress(self._input, CHUNK)
            except zlib.error as error:
                raise self._corrupt(str(error)) from None
            self._in_member = True
            if self._inflate.eof:  # the end of one gzip member; another may follow
                self._input = self._inflate.unused_data
                self._inflate = zlib.decompressobj(31)
                self._in_member = False
            else:
                self._input = self._inflate.unconsumed_tail
            if out:
                self.content_md5.update(out)
                return out

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of content (fewer only at its end)."""
        parts, have = [self._buffer], len(self._buffer)
        while have < size:
            piece = self._next()
            if not piece:
                break
            parts.append(piece)
            have += len(piece)
        data = b"".join(parts)
        self._buffer = data[size:]
        return data[:size]

    def read_into(self, out: memoryview) -> int:
        """Fill ``out`` with content; returns how many bytes were written (fewer at the end)."""
        done = min(len(self._buffer), len(out))
        out[:done] = self._buffer[:done]
        self._buffer = self._buffer[done:]
        while done < len(out):
            piece = self._next()
            if not piece:
                break
            take = min(len(piece), len(out) - done)
            out[done : done + take] = piece[:take]
            self._buffer = piece[take:]
            done += take
        return done

    def count_rest(self, at_most: int = EXTRA_COUNTED) -> int:
        """Read on to the end (or ``at_most`` bytes); the number of content bytes read."""
        count = len(self._buffer)
        self._buffer = b""
        while count <= at_most:
            piece = self._next()
            if not piece:
                break
            count += len(piece)
        return count

    def finish_raw(self) -> None:
        """Read the rest of the raw file (so that ``raw_md5`` covers all of it)."""
        while self._read_raw():
            pass

    def matches(self, md5s) -> bool:
        """True if the file as read, or its content, has one of ``md5s``."""
        return self.raw_md5.hexdigest() in md5s or self.content_md5.hexdigest() in md5s


def _header(stream: ContentStream) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, header bytes)`` from the first bytes of IDX content, checked."""
    name = stream.name
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in TYPES:
        raise i18n.error(IDXError, "errors.idx_not_idx", name=name, start=magic.hex() or "nothing")
    ndim = magic[3]
    if not 1 <= ndim <= MAX_NDIM:
        raise i18n.error(
            IDXError, "errors.idx_declares_dimensions_tatamikomi", name=name, ndim=ndim,
            max_ndim=MAX_NDIM,
        )
    dims = stream.read(4 * ndim)
    header = 4 + 4 * ndim
    if len(dims) < 4 * ndim:
        raise i18n.error(
            IDXError, "errors.idx_truncated_header_needs", name=name, header=header,
            value=4 + len(dims),
        )
    shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4))
    return shape, np.dtype(TYPES[magic[2]]), header


def idx_header(path) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and (native) dtype the IDX file ``path`` (``.gz`` or raw) declares, read from
    its first bytes (at most one chunk is inflated); checked against the limits as
    :func:`read_idx` checks them."""
    path = os.fspath(path)
    check_file(path)
    with open(path, "rb") as f:
        stream = ContentStream(f, path)
        size = os.fstat(f.fileno()).st_size
        shape, dtype, _ = _header(stream)
    _check_declared(path, shape, dtype, MAX_DATA_BYTES, size if stream.compressed else None)
    return shape, dtype.newbyteorder("=")


def _check_declared(name, shape, dtype, limit, compressed_size) -> int:
    """The bytes of values ``shape`` x ``dtype`` declares, within ``limit`` and, for a file
    of ``compressed_size`` bytes, within :data:`~.errors.MAX_DATA_RATIO` times that."""
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    check_limit(
        expected,
        i18n.Said("errors.idx_declared", name=name, shape=shape, dtype=dtype.newbyteorder("=")),
        limit,
        i18n.Said("errors.idx_limit_fix"),
    )
    if compressed_size is not None:
        check_ratio(expected, compressed_size, name)
    return expected


def parse_stream(
    stream: ContentStream,
    *,
    max_bytes: int | None = None,
    file_size: int | None = None,
    compressed_size: int | None = None,
) -> np.ndarray:
    """The array in the IDX content of ``stream`` (native byte order), checked against its
    header. ``file_size`` (the bytes on disk of an uncompressed file) lets a truncated file be
    refused before its values are read; ``compressed_size`` (of a gzip file) bounds what its
    header may declare (:data:`~.errors.MAX_DATA_RATIO`)."""
    name = stream.name
    limit = MAX_DATA_BYTES if max_bytes is None else max_bytes
    shape, dtype, header = _header(stream)
    expected = _check_declared(name, shape, dtype, limit, compressed_size)
    if file_size is not None and file_size - header < expected:
        raise i18n.error(
            IDXError, "errors.idx_truncated", name=name, shape=shape, expected=expected,
            found=file_size - header,
        )
    if file_size is not None or compressed_size is not None:  # the declared size is bounded
        values = np.empty(expected, np.uint8)
        found = stream.read_into(memoryview(values))
    else:  # compressed: grow with the content actually there, never to the declared size
        grown = bytearray()
        while len(grown) < expected:
            piece = stream.read(min(expected - len(grown), 1 << 24))
            if not piece:
                break
            grown += piece
        values, found = np.frombuffer(grown, np.uint8), len(grown)
    if found < expected:
        raise i18n.error(
            IDXError, "errors.idx_truncated_read", name=name, shape=shape, expected=expected,
            found=found,
        )
    extra = stream.count_rest()
    if extra:
        amount = f"{extra}" if extra <= EXTRA_COUNTED else f"more than {EXTRA_COUNTED}"
        raise i18n.error(
            IDXError, "errors.idx_unexpected_bytes_after", name=name, amount=amount, shape=shape,
        )
    return values.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def parse_idx(data: bytes, name: str = "IDX data", *, max_bytes: int | None = None) -> np.ndarray:
    """The array in IDX ``data`` (gzip or not; native byte order); ``name`` is used in errors."""
    return parse_stream(ContentStream(io.BytesIO(bytes(data)), name), max_bytes=max_bytes)


def read_idx(path, *, md5s=None, max_bytes: int | None = None) -> np.ndarray:
    """The array in the IDX file ``path`` (``.gz`` or raw), checked against its header, and
    against ``md5s`` (of the file or of its content) when given."""
    path = os.fspath(path)
    check_file(path)
    with open(path, "rb") as f:
        stream = ContentStream(f, path)
        size = os.fstat(f.fileno()).st_size
        raw, packed = (None, size) if stream.compressed else (size, None)
        try:
            array = parse_stream(stream, max_bytes=max_bytes, file_size=raw, compressed_size=packed)
            failure = None
        except IDXError as error:
            if md5s is None:
                raise
            array, failure = None, error
        if md5s is not None:
            stream.finish_raw()
            if not stream.matches(md5s):
                raise i18n.error(IDXError, "errors.idx_original_file_md", path=path)
            if failure is not None:  # the md5 is right but the content is not: say why
                raise failure
    return array


def idx_bytes(array) -> bytes:
    """``array`` encoded as IDX (its dtype must be one IDX has)."""
    array = np.asarray(array)
    codes = {np.dtype(t).newbyteorder("="): code for code, t in TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise i18n.error(TypeError, "errors.idx_idx_type_dtype", array_dtype=array.dtype)
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, TYPES[code]).tobytes()
