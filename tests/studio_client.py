"""Talking to the studio from a test, under public names: one request (``request``, ``post``)
and the images a user would send (``png``, ``paper``). The studio's fixtures (``model``,
``mini``, ``studio``, ``url``) are in ``conftest.py``."""

import base64
import http.client
import json
import struct
import zlib

import numpy as np


def request(port, method, path, body=None, *, headers=None, raw=None, with_headers=False):
    """(status, parsed JSON or bytes) of one request to the studio on ``port``; with
    ``with_headers``, (status, answer, the response's headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    kind = response.getheader("Content-Type", "")
    answer = json.loads(payload) if kind.startswith("application/json") else payload
    if with_headers:
        return response.status, answer, response.headers
    return response.status, answer


def post(port, path, body):
    return request(port, "POST", path, body)


def png(grey: np.ndarray) -> str:
    """A greyscale PNG of ``grey`` (H, W) as a data URL, written with zlib alone."""
    grey = np.asarray(grey, np.uint8)
    rows = b"".join(b"\x00" + row.tobytes() for row in grey)

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", grey.shape[1], grey.shape[0], 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(data).decode()


def paper(digit_image, size=280, corner=None):
    """A digit as dark ink on white paper, scaled up as if drawn on the canvas; with ``corner``
    (top, left) the digit is drawn half size at that place (off-centre)."""
    scale = size // 28 if corner is None else size // 56
    big = np.kron(digit_image, np.ones((scale, scale)))
    sheet = np.zeros((size, size))
    top, left = corner or (0, 0)
    sheet[top : top + big.shape[0], left : left + big.shape[1]] = big
    return 255 - sheet
