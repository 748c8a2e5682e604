"""Where students can reach a classroom server: this machine's usable network addresses, the
URLs built from them, and the QR code of the student URL (``segno``, the ``classroom`` extra).

A server bound to ``0.0.0.0`` listens on every address, but ``0.0.0.0`` is no address a phone
can open: the student URL names a real one. The address of the default route comes first
(found by "connecting" a UDP socket, which sends nothing); the others follow (a laptop on Wi-Fi
and on a cable has two).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

from .. import i18n

#: said when segno is missing
QR_HINT = 'pip install "tatamikomi[classroom]"'


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local)


def addresses() -> list[str]:
    """This machine's IPv4 addresses other machines may reach, the default route's first."""
    found = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # UDP: nothing is sent
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    return [a for a in dict.fromkeys(found) if _usable(a)]


def host_names() -> set[str]:
    """The names this machine answers to (a Host header naming one is not a rebinding)."""
    names = {"localhost"}
    with contextlib.suppress(OSError):
        name = socket.gethostname().lower()
        names |= {name, f"{name}.local", socket.getfqdn().lower()}
    return names


def urls(host: str, port: int) -> list[str]:
    """The URLs of a server bound to ``host``:``port``: one per usable address when it listens
    on all of them (``0.0.0.0``, ``::``, empty), else the address it was given."""
    if host in ("", "0.0.0.0", "::"):
        found = addresses() or ["127.0.0.1"]
    else:
        found = [host]
    return [f"http://{'[%s]' % a if ':' in a else a}:{port}/" for a in found]


def _code(url: str):
    try:
        import segno
    except ImportError:
        raise i18n.error(ImportError, "errors.class_no_segno", hint=QR_HINT) from None
    return segno.make(url, error="m")


def qr_terminal(url: str) -> str:
    """The QR code of ``url`` drawn with block characters, two rows per line."""
    import io

    out = io.StringIO()
    _code(url).terminal(out, compact=True, border=2)
    return out.getvalue()


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG element (dark on white, scaled by its ``viewBox``)."""
    import io

    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, nl=False)
    return out.getvalue().decode("utf-8")
