"""The proxy never reaches this machine itself for a client on the network (docs/security.md): its loopback, its own
addresses, 0.0.0.0, by name or by address, checked on the resolved address; `*.localhost` is loopback without DNS;
the emulator's control API is never served through the proxy. A client on the network cannot be made here (only
loopback may be used), so the addon's hooks get flows whose peer is a TEST-NET address, and the real mitmproxy runs
with the one predicate that tells a network client from a local one answering "network"."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from mitmproxy import connection, http
    from mitmproxy.proxy.server_hooks import ServerConnectionHookData
    from mitmproxy.test import taddons, tflow

import braze_harness.proxy_addons.braze_capture as braze_capture
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.proxy.runner import InProcessProxy
from braze_harness.proxy_addons.braze_capture import BrazeCapture
from braze_harness.proxy_addons.options import is_local_client, is_loopback, is_own_address

REMOTE_PEER = ("198.51.100.7", 50123)  # TEST-NET-2: never this machine
BRAZE = "https://sdk.iad-01.braze.com"
SDK_BODY = b'{"api_key": "k-guard", "device_id": "d-guard", "time": 1795379909, "events": []}'


def run(hook: Any) -> None:
    asyncio.run(hook)


def from_network(method: str, url: str, body: bytes = b"", **headers: str) -> http.HTTPFlow:
    f = tflow.tflow(req=http.Request.make(method, url, body, {k.replace("_", "-"): v for k, v in headers.items()}))
    f.client_conn.peername = REMOTE_PEER
    return f


def test_own_addresses_and_local_clients() -> None:
    for own in ("127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"):
        assert is_own_address(own), own
    for other in ("198.51.100.7", "203.0.113.5", "not-an-ip"):
        assert not is_own_address(other), other
    assert is_local_client(("127.0.0.1", 5000)) and not is_local_client(REMOTE_PEER)
    assert is_loopback("svc.localhost") and is_loopback("LOCALHOST.") and not is_loopback("localhost.example.com")


@pytest.mark.parametrize("mode", ["emulate", "observe"])
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/admin", "http://127.0.0.2/", "http://localhost:9090/_emulator/reset",
            "http://svc.localhost/", "http://0.0.0.0:22/", "http://[::1]:6379/"],
)  # fmt: skip
def test_a_network_client_never_reaches_this_machine(mode: str, url: str) -> None:
    addon = BrazeCapture(Emulator())
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode=mode)
        f = from_network("GET", url)
        run(addon.request(f))
        assert f.response is not None and f.response.status_code == 403, url
        assert f.metadata["braze"]["action"] == "refused"
        if mode == "observe" or is_loopback(f.request.host):  # (emulate refuses 0.0.0.0 by name, as any other host)
            assert b"is this machine" in f.response.content
        local = tflow.tflow(req=http.Request.make("GET", url))  # the same from this machine: as before (loopback passes)
        run(addon.request(local))
        passes = mode == "observe" or is_loopback(local.request.host)
        assert (local.response is None) == passes and local.metadata["braze"]["action"] == (
            "passthrough" if passes else "refused"
        )


def test_a_network_client_cannot_connect_to_this_machine() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        for mode in ("emulate", "observe"):
            tctx.configure(addon, braze_mode=mode)
            f = from_network("CONNECT", "http://127.0.0.1:22/")
            f.request.host, f.request.port = "127.0.0.1", 22
            run(addon.http_connect(f))
            assert f.response is not None and f.response.status_code == 403, mode
            elsewhere = from_network("CONNECT", "http://198.51.100.20:443/")
            elsewhere.request.host, elsewhere.request.port = "198.51.100.20", 443
            run(addon.http_connect(elsewhere))
            assert (elsewhere.response is None) == (mode == "observe"), mode  # emulate refuses it as before


def test_server_connect_checks_the_resolved_address_and_pins_it() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="observe", braze_emulator="http://127.0.0.1:9090")

        def attempt(host: str, port: int, peer: tuple[str, int]) -> connection.Server:
            server = connection.Server(address=(host, port))
            client = tflow.tclient_conn()
            client.peername = peer
            run(addon.server_connect(ServerConnectionHookData(server=server, client=client)))
            return server

        refused = attempt("127.0.0.1", 8000, REMOTE_PEER)
        assert refused.error is not None and "is this machine" in refused.error
        assert attempt("0.0.0.0", 80, REMOTE_PEER).error is not None
        assert attempt("127.0.0.1", 9090, REMOTE_PEER).error is None  # the emulator SDK requests are forwarded to
        outside = attempt("198.51.100.20", 443, REMOTE_PEER)
        assert outside.error is None and outside.address == ("198.51.100.20", 443)
        pinned = attempt("api.svc.localhost", 8080, ("127.0.0.1", 40000))  # *.localhost: no DNS question asked
        assert pinned.error is None and pinned.address == ("127.0.0.1", 8080)


def test_emulate_mode_never_asks_dns_for_a_network_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Braze hosts are answered here and other hosts refused by name: no lookup, from any client."""

    def no_dns(*args: Any, **kw: Any) -> Any:
        raise AssertionError(f"DNS asked for {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    addon = BrazeCapture(Emulator())
    with taddons.context(addon):
        for host in ("sdk.iad-01.braze.com", "accounts.google.com"):
            f = from_network("CONNECT", f"http://{host}:443/")
            f.request.host, f.request.port = host, 443
            run(addon.http_connect(f))
            assert f.metadata["braze"]["connect"] == ("braze" if "braze" in host else "refused")
        other = from_network("GET", "http://update.googleapis.com/")
        run(addon.request(other))
        assert other.response is not None and other.response.status_code == 403
        sdk = from_network("POST", BRAZE + "/api/v3/data/", SDK_BODY, x_braze_api_key="k-guard")
        run(addon.request(sdk))
        assert sdk.response is not None and sdk.response.status_code == 200


def test_the_control_api_is_never_served_through_the_proxy() -> None:
    emu = Emulator(EmulatorSettings(port=0))
    emu.create_scope("kept")
    addon = BrazeCapture(emu)
    with taddons.context(addon):
        for peer in (REMOTE_PEER, ("127.0.0.1", 40000)):
            f = from_network("POST", BRAZE + "/_emulator/reset", b"{}", x_braze_api_key="k1")
            f.client_conn.peername = peer
            run(addon.request(f))
            assert f.response is not None and f.response.status_code == 403
            assert b"control API" in f.response.content
        sdk = from_network("POST", BRAZE + "/api/v3/data/", SDK_BODY, x_braze_api_key="k-guard")
        run(addon.request(sdk))  # a device on the network: its SDK requests are what the proxy is for
        assert sdk.response is not None and sdk.response.status_code == 200
    assert len(emu.journal.query()) == 1


class _Service(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_service() -> Iterator[int]:
    """A loopback-only service of this machine (an admin page, a database's HTTP port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    _Service.hits = []
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_real_mitmproxy_serves_localhost_names_without_dns_and_refuses_network_clients(
    loopback_service: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = loopback_service
    with InProcessProxy(emulator=Emulator()) as proxy:
        with httpx.Client(proxy=proxy.url, trust_env=False, timeout=10) as client:
            resp = client.get(f"http://admin.localhost:{port}/local")  # this machine's own client: allowed, no DNS
            assert resp.status_code == 200 and resp.content == b"ok"
        # every client is now one from the network (the only way to have one here: no other address may be used)
        monkeypatch.setattr(braze_capture, "is_local_client", lambda peer: False)
        verify = ssl.create_default_context(cafile=proxy.ca_cert)
        with httpx.Client(proxy=proxy.url, trust_env=False, timeout=10, verify=verify) as client:
            for url in (f"http://127.0.0.1:{port}/remote", f"http://admin.localhost:{port}/remote"):
                refused = client.get(url)
                assert refused.status_code == 403 and b"is this machine" in refused.content, url
            assert client.get(f"http://0.0.0.0:{port}/").status_code == 403  # emulate: refused by name
            with pytest.raises(httpx.ProxyError, match="403"):
                client.get(f"https://127.0.0.1:{port}/tunnel")  # CONNECT refused
            answered = client.post(BRAZE + "/api/v3/data/", content=SDK_BODY, headers={"X-Braze-Api-Key": "k-guard"})
            assert answered.status_code == 200  # the SDK's own requests are still answered
    # observe: everything else passes through
    with (
        InProcessProxy(mode="observe", emulator=Emulator()) as observing,
        httpx.Client(proxy=observing.url, trust_env=False, timeout=10) as client,
    ):
        for url in (f"http://0.0.0.0:{port}/observed", f"http://127.0.0.1:{port}/observed"):
            refused = client.get(url)
            assert refused.status_code == 403 and b"is this machine" in refused.content, url
    assert _Service.hits == ["/local"]
