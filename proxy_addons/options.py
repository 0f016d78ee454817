"""The addon's options, parsed (pure functions raising ValueError with what is wrong): the emulator to use, the
hosts allowed upstream, loopback, and which addresses are this machine's own (docs/security.md)."""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

_HOST_RE = re.compile(r"^(\*\.|\.)?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")


class EmulatorTarget(NamedTuple):
    # not a dataclass: `mitmdump -s` loads this file outside sys.modules, where dataclasses fail
    url: str
    scheme: str
    host: str
    port: int
    prefix: str  # a base path the emulator is mounted under ("" normally)


def parse_emulator(raw: str) -> EmulatorTarget | None:
    """`braze_emulator`: "" (in-process emulator) or an http(s) base URL such as http://127.0.0.1:9090."""
    raw = raw.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{raw!r} is not an http(s) URL such as http://127.0.0.1:9090")
    if parts.query or parts.fragment:
        raise ValueError(f"{raw!r}: give the emulator's base URL, without query or fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError(f"{raw!r} has an invalid port") from None
    return EmulatorTarget(raw.rstrip("/"), parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def parse_hosts(raw: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """`braze_allow_hosts`: comma-separated host names; `*.example.com` (or `.example.com`) allows subdomains.

    Returns (exact hosts, suffixes)."""
    exact: set[str] = set()
    suffixes: list[str] = []
    for item in raw.split(","):
        host = item.strip().lower()
        if not host:
            continue
        if "://" in host or "/" in host:
            raise ValueError(f"{item.strip()!r}: give host names, not URLs")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not (_is_ip(host) or _HOST_RE.match(host)):
            raise ValueError(f"{item.strip()!r} is not a host name (e.g. api.example.com or *.example.com)")
        if host.startswith(("*.", ".")):
            suffixes.append("." + host.lstrip("*."))
        else:
            exact.add(host)
    return frozenset(exact), tuple(suffixes)


def is_loopback_name(host: str) -> bool:
    """`localhost` and `*.localhost`: loopback by name (RFC 6761), never looked up in DNS."""
    host = host.strip("[]").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_loopback(host: str) -> bool:
    if is_loopback_name(host):
        return True
    try:
        return _ip(host).is_loopback
    except ValueError:
        return False


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@functools.lru_cache(maxsize=1024)
def is_own_address(text: str) -> bool:
    """Whether an IP address reaches this machine itself: loopback, unspecified (0.0.0.0, ::), or one of its own
    interfaces' addresses (found without listing them: only a local address can be bound)."""
    try:
        ip = _ip(text)
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((str(ip), 0))
        except OSError:
            return False
    return True


def is_local_client(peername: tuple | None) -> bool:
    """A client on this machine (its peer address is one of the machine's own); anything else came over the network."""
    if not peername:
        return True  # no socket (mitmproxy's own test flows, an in-process caller)
    return is_own_address(str(peername[0]))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
