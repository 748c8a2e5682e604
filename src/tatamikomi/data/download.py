"""Downloading a file from a list of mirrors: checked by md5, written atomically, with progress."""

from __future__ import annotations

import gzip
import hashlib
import sys
import time
import urllib.error
import urllib.request

from .._files import atomic_write
from .. import _progress as progress_bar

TIMEOUT_S = 20
CHUNK = 1 << 16


class DownloadError(OSError):
    """Every mirror failed; the message lists each mirror and why, and what to do instead."""


def _progress(label: str, done: int, total: int | None, start: float, stream) -> None:
    rate = done / max(time.perf_counter() - start, 1e-9) / 1e6
    size = f"{done / 1e6:5.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:5.1f} MB"
    line = progress_bar.progress_line(f"  {label}", done, total, f"{size} {rate:5.1f} MB/s")
    progress_bar.redraw(stream, line)


def matches(data: bytes, md5s: set[str], content: bytes | None = None) -> bool:
    """True if ``data`` or, for gzip data, its decompressed ``content`` (worked out when not
    given) has one of the ``md5s``."""
    if hashlib.md5(data).hexdigest() in md5s:
        return True
    if content is None and data[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(data)
        except (OSError, EOFError, ValueError):
            return False
    return content is not None and hashlib.md5(content).hexdigest() in md5s


def fetch(name: str, urls: list[str], destination, md5s: set[str], *, progress=True) -> None:
    """Download ``name`` from the first of ``urls`` that serves it with one of ``md5s`` (of the
    file as served, or of its decompressed content) and write it atomically to ``destination``.

    A mirror that fails, times out or serves different bytes is skipped with a note; if all
    fail, :class:`DownloadError` lists why. Nothing is left behind from a failed download."""
    stream = sys.stderr
    show = progress and stream is not None
    failures = []
    for url in urls:
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "tatamikomi"})
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                chunks, done, start = [], 0, time.perf_counter()
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    done += len(chunk)
                    if show:
                        _progress(name, done, total, start, stream)
            if show:
                stream.write("\n")
            data = b"".join(chunks)
            if total is not None and len(data) != total:
                raise OSError(f"the download stopped after {len(data)} of {total} bytes")
            if not matches(data, md5s):
                raise OSError(
                    f"the file's md5 {hashlib.md5(data).hexdigest()} is not the known one "
                    f"(a corrupt or different file)"
                )
        except (urllib.error.URLError, OSError, ValueError) as error:
            if isinstance(error, urllib.error.HTTPError):
                reason = f"HTTP {error.code} {error.reason}"
            else:
                reason = getattr(error, "reason", None) or error
            failures.append(f"{url}: {reason}")
            if show:
                stream.write(f"  {url} failed: {reason}\n")
            continue
        with atomic_write(destination, overwrite=True) as f:
            f.write(data)
        return
    raise DownloadError(
        f"could not download {name} from any mirror:\n  "
        + "\n  ".join(failures)
        + "\nIf this machine is offline, copy the file there by hand or set TATAMIKOMI_DATA to "
        "a folder that has it."
    )
