"""Downloading a file from a list of mirrors: checked by md5, written atomically, with progress.

A download streams to a temporary file beside the destination, with the md5s of the file and of
its decompressed content computed on the way (nothing is held whole in memory). It is refused
when it would pass :data:`~.errors.MAX_DOWNLOAD_BYTES` or take longer than
:data:`~.errors.DOWNLOAD_TIMEOUT_S` in all (a server that sends one byte at a time cannot keep it
waiting), and a single read waits at most :data:`~.errors.READ_TIMEOUT_S`.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .. import i18n
from .._files import atomic_write
from .. import _progress as progress_bar
from .errors import (
    DOWNLOAD_TIMEOUT_S,
    MAX_DATA_BYTES,
    MAX_DOWNLOAD_BYTES,
    READ_TIMEOUT_S,
    DownloadError,
    IDXError,
    size_text,
)
from .idx import ContentStream


def _progress(label: str, done: int, total: int | None, start: float, stream) -> None:
    rate = done / max(time.perf_counter() - start, 1e-9) / 1e6
    size = f"{done / 1e6:5.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:5.1f} MB"
    line = progress_bar.progress_line(f"  {label}", done, total, f"{size} {rate:5.1f} MB/s")
    progress_bar.redraw(stream, line)


class _Deadline:
    """Shuts the download's sockets when the whole download has taken ``seconds``: a read that
    waits on a server sending one byte at a time then ends at once."""

    def __init__(self, seconds: float):
        self.seconds, self.expired = seconds, False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections are watched by ``deadline``."""

    class Watched:
        """Its plain socket (beneath TLS, for HTTPS) is watched from its creation."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def watched(*args, **kwargs):
                sock = create(*args, **kwargs)
                deadline.watch(sock)
                return sock

            self._create_connection = watched

    class Connection(Watched, http.client.HTTPConnection):
        pass

    class SecureConnection(Watched, http.client.HTTPSConnection):
        pass

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(SecureConnection, req, context=self._context)

    return urllib.request.build_opener(Handler, SecureHandler)


class _MirrorFailed(Exception):
    """One mirror did not serve the file (the message says why)."""


class _Download:
    """The response's bytes as a file for :class:`ContentStream`: each read is written to
    ``out`` and counted against the size cap and the deadline."""

    def __init__(self, response, out, name, total, max_bytes, deadline, show, stream):
        self.response, self.out, self.name, self.total = response, out, name, total
        self.max_bytes, self.deadline, self.show, self.stream = max_bytes, deadline, show, stream
        self.done, self.start = 0, time.perf_counter()

    def read(self, size: int) -> bytes:
        try:
            chunk = self.response.read1(size)
        except (OSError, http.client.HTTPException) as error:
            chunk = b""
            if not self.deadline.expired:
                raise _MirrorFailed(f"the download broke off ({error})") from None
        if self.deadline.expired:
            raise _MirrorFailed(
                f"the download took longer than {self.deadline.seconds:g} s in all and was "
                f"stopped after {size_text(self.done)}"
            )
        self.done += len(chunk)
        if self.done > self.max_bytes:
            raise _MirrorFailed(
                f"the server sent more than the limit of {size_text(self.max_bytes)}"
            )
        self.out.write(chunk)
        if self.show and chunk:
            _progress(self.name, self.done, self.total, self.start, self.stream)
        return chunk


def _download(opener, url, out, name, md5s, max_bytes, deadline, show, stream, label) -> None:
    """Stream ``url`` into ``out``; raise :class:`_MirrorFailed` unless it is the file."""
    request = urllib.request.Request(url, headers={"User-Agent": "tatamikomi"})
    source = None
    try:
        with opener.open(request, timeout=READ_TIMEOUT_S) as response:
            if show and label:  # said once a mirror answers, never for one that cannot
                stream.write(f"tatamikomi: downloading {label}\n")
            total = int(response.headers.get("Content-Length") or 0) or None
            if total is not None and total > max_bytes:
                raise _MirrorFailed(
                    f"it announces {size_text(total)}, more than the limit of "
                    f"{size_text(max_bytes)}"
                )
            source = _Download(response, out, name, total, max_bytes, deadline, show, stream)
            content = ContentStream(source, name)
            try:  # the content's md5, decompressed in a stream, never more than the data limit
                content.count_rest(MAX_DATA_BYTES)
            except IDXError:
                pass  # not gzip after all, or corrupt: only the file's own md5 can match
            content.finish_raw()
    except urllib.error.HTTPError as error:
        raise _MirrorFailed(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        if deadline.expired:
            raise _MirrorFailed(
                f"the download took longer than {deadline.seconds:g} s in all"
            ) from None
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, OSError) and reason.strerror:  # not "[Errno 111] ..."
            reason = reason.strerror
        raise _MirrorFailed(reason) from None
    finally:
        if show and source is not None and source.done:
            stream.write("\n")  # after the progress line
    if total is not None and source.done != total:
        raise _MirrorFailed(f"the download stopped after {source.done} of {total} bytes")
    if not content.matches(md5s):
        raise _MirrorFailed(
            f"the file's md5 {content.raw_md5.hexdigest()} is not the known one "
            f"(a corrupt or different file)"
        )


def fetch(
    name: str,
    urls: list[str],
    destination,
    md5s: set[str],
    *,
    progress=True,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    label: str | None = None,
) -> None:
    """Download ``name`` from the first of ``urls`` that serves it with one of ``md5s`` (of the
    file as served, or of its decompressed content) and write it atomically to ``destination``.

    Each mirror may take ``timeout_s`` seconds in all and send at most ``max_bytes``. A mirror
    that fails, times out, sends too much or serves different bytes is skipped (said, with
    ``progress``, only when a later one serves the file); if all fail, :class:`DownloadError`
    says why in one line, and where to put the file instead. With ``progress``, a line
    ``tatamikomi: downloading LABEL`` is printed once a mirror answers. Nothing is left behind
    from a failed download. An unusable ``destination`` folder raises the ``OSError`` of
    :func:`atomic_write`."""
    stream = sys.stderr
    show = progress and stream is not None
    failures = []
    for url in urls:
        deadline = _Deadline(timeout_s)
        try:
            with atomic_write(destination, overwrite=True) as out:
                _download(
                    _opener(deadline), url, out, name, md5s, max_bytes, deadline, show, stream,
                    label,
                )
            if show:
                for failed, reason in failures:
                    stream.write(f"  {failed} failed: {reason}\n")
            return
        except _MirrorFailed as failure:
            failures.append((url, str(failure)))
        finally:
            deadline.cancel()
    reasons = {reason for _, reason in failures}
    hosts = ", ".join(dict.fromkeys(_host(url) for url, _ in failures))
    if len(reasons) == 1:
        why = f"{hosts}: {reasons.pop()}"
    else:
        why = "; ".join(f"{_host(url)}: {reason}" for url, reason in failures)
    raise i18n.error(
        DownloadError, "errors.download_failed", name=name, why=why,
        folder=os.path.dirname(os.path.abspath(destination)),
    )


def _host(url: str) -> str:
    """``host[:port]`` of ``url`` (what a message names a mirror by)."""
    return urllib.parse.urlsplit(url).netloc or url
