"""Connected Content fetched as Braze documents it, and only where the emulator is allowed to reach.

Braze gives a Connected Content endpoint two seconds to answer and handles bodies up to 1 MB
(docs/server-behaviour.md#templated-messages-and-connected-content). Here both are hard limits: one deadline for
resolution, connection, reading and redirects together, and a body read in chunks and dropped past 1 MB. Nothing
of a failed fetch is rendered; the failure is returned as a sentence naming the limit, for the caller to report.

Only hosts of the allowlist (`EmulatorSettings.connected_content_allow`: host names, IPs, CIDRs; loopback by
default) are fetched. The host is resolved first and every address checked; the connection goes to the checked
address (so a second resolution cannot point elsewhere); redirects are followed by hand, each hop checked again.
An address that is unspecified (0.0.0.0, ::), link-local, multicast or one of this machine's own non-loopback
addresses is refused unless an IP/CIDR entry names it: allowing a host name is not enough for those.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

DEADLINE_S = 2.0  # connect + read + redirects, together
MAX_BYTES = 1024 * 1024  # the body, after decompression
MAX_REDIRECTS = 5
DEFAULT_ALLOW = ("127.0.0.0/8", "::1", "localhost")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The fetch cannot be made or kept within the rules; the message says which rule."""


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Host names (compared case-insensitively) and networks the emulator may fetch from."""

    names: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    text: str  # for messages

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        names: set[str] = set()
        networks = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks), ", ".join(entries) or "(empty)")

    def check(self, host: str, address: IPAddress) -> None:
        """Raise Refused unless `address` (one of `host`'s) may be reached."""
        if any(address in net for net in self.networks):
            return  # named by an IP/CIDR entry: allowed whatever it is
        named = host.lower().rstrip(".") in self.names
        if named and not _special(address):
            return
        why = "" if not named else f" ({_special_kind(address)}: only an IP/CIDR entry can allow it)"
        raise Refused(
            f"Connected Content host {host!r} resolves to {address}, not allowed by connected_content_allow [{self.text}]{why}"
        )


def fetch_connected(
    url: str, allow: Allowlist, *, deadline_s: float = DEADLINE_S, max_bytes: int = MAX_BYTES
) -> tuple[dict[str, Any], str | None]:
    """GET the Connected Content URL: (json, None), or ({}, why) when the fetch fails or is refused.

    Returns by the deadline whatever the endpoint does: the fetch runs in a worker thread that is abandoned (and
    told to stop) when the deadline passes."""
    done = threading.Event()
    stop = threading.Event()
    outcome: list[tuple[dict[str, Any], str | None]] = []

    def work() -> None:
        try:
            outcome.append((_fetch(url, allow, time.monotonic() + deadline_s, max_bytes, stop), None))
        except Refused as exc:
            outcome.append(({}, str(exc)))
        except httpx.TimeoutException:  # its timeouts are what remained of the deadline
            outcome.append(({}, f"Connected Content from {url} took longer than the {deadline_s:g} s limit"))
        except (httpx.HTTPError, OSError, ValueError) as exc:
            outcome.append(({}, f"Connected Content fetch of {url} failed: {type(exc).__name__}: {exc}"))
        finally:
            done.set()

    threading.Thread(target=work, name="connected-content", daemon=True).start()
    if not done.wait(deadline_s):
        stop.set()
        return {}, f"Connected Content from {url} took longer than the {deadline_s:g} s limit"
    return outcome[0]


def _fetch(url: str, allow: Allowlist, deadline: float, max_bytes: int, stop: threading.Event) -> dict[str, Any]:
    target = httpx.URL(url)
    with httpx.Client(trust_env=False, follow_redirects=False) as client:
        for hop in range(MAX_REDIRECTS + 1):
            if target.scheme not in ("http", "https") or not target.host:
                raise Refused(f"Connected Content URL {target} is not an http(s) URL with a host")
            if stop.is_set():
                raise Refused(f"Connected Content from {url} took longer than the {DEADLINE_S:g} s limit")
            port = target.port or (443 if target.scheme == "https" else 80)
            response = _connect(client, target, _checked_addresses(target.host, port, allow), deadline)
            try:
                if response.is_redirect and "location" in response.headers:
                    if hop == MAX_REDIRECTS:
                        raise Refused(f"Connected Content from {url}: more than {MAX_REDIRECTS} redirects")
                    target = target.join(response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise Refused(f"HTTP {response.status_code}")  # the words the template log always used
                body = _read_bounded(response, max_bytes, deadline, stop, str(target))
            finally:
                response.close()
            value = orjson.loads(body)
            return value if isinstance(value, dict) else {"value": value}
    raise AssertionError("unreachable")  # the loop returns or raises


def _checked_addresses(host: str, port: int, allow: Allowlist) -> list[IPAddress]:
    """The addresses to connect to: every address `host` resolves to must be allowed (DNS may answer differently
    next time; the connection goes to one that was checked)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"Connected Content host {host!r} does not resolve: {exc.strerror}") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    for address in addresses:
        allow.check(host, address)
    return addresses


def _connect(client: httpx.Client, target: httpx.URL, addresses: list[IPAddress], deadline: float) -> httpx.Response:
    """GET `target` from the first of its checked addresses that accepts the connection (`localhost` may resolve to
    ::1 first for a server that listens on 127.0.0.1 only); the Host header and TLS name stay the URL's."""
    headers = {"host": target.netloc.decode("ascii"), "accept-encoding": "gzip, deflate", "accept": "application/json"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    for n, address in enumerate(addresses, 1):
        remaining = max(deadline - time.monotonic(), 0.001)
        request = client.build_request(
            "GET", target.copy_with(host=str(address)), headers=headers, timeout=remaining, extensions=extensions
        )
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError:
            if n == len(addresses):
                raise
    raise AssertionError("unreachable")  # getaddrinfo answers at least one address or raises


def _read_bounded(response: httpx.Response, max_bytes: int, deadline: float, stop: threading.Event, where: str) -> bytes:
    """The body, decompressed by hand so a small compressed body cannot expand past the limit either."""
    declared = response.headers.get("content-length", "")
    limit = f"the {max_bytes // (1024 * 1024)} MB limit" if max_bytes % (1024 * 1024) == 0 else f"the {max_bytes}-byte limit"
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity") and declared.isdigit() and int(declared) > max_bytes:
        raise Refused(f"Connected Content from {where} is {declared} bytes, over {limit} (not read)")
    decode = _decoder(encoding, where)
    out = bytearray()
    for chunk in decode(response.iter_raw(), max_bytes + 1 - len(out)):
        out += chunk
        if len(out) > max_bytes:
            raise Refused(f"Connected Content from {where} is over {limit} (stopped reading)")
        if stop.is_set() or time.monotonic() > deadline:
            raise Refused(f"Connected Content from {where} took longer than the {DEADLINE_S:g} s limit")
    return bytes(out)


def _decoder(encoding: str, where: str) -> Any:
    if encoding in ("", "identity"):
        return lambda chunks, _room: chunks
    if encoding in ("gzip", "x-gzip", "deflate"):
        return functools.partial(_inflate, wbits=47 if encoding != "deflate" else 15)
    raise Refused(f"Connected Content from {where} uses content-encoding {encoding!r}, which the emulator does not read")


def _inflate(chunks: Iterator[bytes], room: int, *, wbits: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    produced = 0
    for chunk in chunks:
        data = chunk
        while data and produced <= room:
            piece = inflater.decompress(data, room + 1 - produced)  # never more than one byte past the limit
            produced += len(piece)
            yield piece
            data = inflater.unconsumed_tail
        if produced > room:
            return


# -- addresses only an explicit IP/CIDR entry may allow ------------------------------------------------------------


def _special(address: IPAddress) -> bool:
    return bool(_special_kind(address))


def _special_kind(address: IPAddress) -> str:
    if address.is_loopback:
        return ""
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in own_addresses():
        return "an address of this machine"
    return ""


@functools.cache
def own_addresses() -> frozenset[IPAddress]:
    """This machine's non-loopback addresses: its host name's, and (Linux) every interface's."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        found |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    try:  # IPv6: /proc/net/if_inet6 lists every interface address
        with open("/proc/net/if_inet6") as fh:
            for line in fh:
                raw = line.split()[0]
                found.add(":".join(raw[i : i + 4] for i in range(0, 32, 4)))
    except OSError:
        pass
    try:  # IPv4: SIOCGIFADDR for each interface (Linux)
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
                except OSError:
                    continue
                found.add(socket.inet_ntoa(packed[20:24]))
    except (OSError, AttributeError, ImportError):
        pass
    addresses = set()
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if not address.is_loopback:
            addresses.add(address)
    return frozenset(addresses)
