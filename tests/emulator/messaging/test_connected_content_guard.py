"""Connected Content as Braze documents it (2 s, 1 MB) and only where the emulator may reach (the allowlist),
against real HTTP servers on loopback; a refused or failed fetch renders nothing and is reported on the journal
entry of the `/template/` request."""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging.connected_content import Allowlist, fetch_connected, own_addresses
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.protocol.ids import trigger_id

from tests.support.inprocess_sdk import Sdk

LOOPBACK = Allowlist.parse(EmulatorSettings().connected_content_allow)
TWO_MB = 2 * 1024 * 1024


class Endpoint:
    def __init__(self) -> None:
        self.hits: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.hits.append(self.path)
                url = urlparse(self.path)
                query = parse_qs(url.query)
                match url.path:
                    case "/ok":
                        self._send(json.dumps({"city": "Paris", "host": self.headers["host"]}).encode())
                    case "/slow":
                        time.sleep(3)
                        self._send(b'{"late": true}')
                    case "/drip":  # a byte every 0.3 s: each read is quick, the whole is not
                        self.send_response(200)
                        self.send_header("content-length", "40")
                        self.end_headers()
                        try:
                            for _ in range(40):
                                self.wfile.write(b" ")
                                self.wfile.flush()
                                time.sleep(0.3)
                        except (BrokenPipeError, ConnectionResetError):
                            pass
                    case "/big":
                        self._send(b'{"x": "' + b"a" * TWO_MB + b'"}')
                    case "/big-chunked":  # no content-length: only reading tells the size
                        self.send_response(200)
                        self.end_headers()
                        self.close_connection = True
                        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                            self.wfile.write(b'{"x": "' + b"a" * TWO_MB + b'"}')
                    case "/bomb":  # 2 KB on the wire, 2 MB once inflated
                        self._send(gzip.compress(b'{"x": "' + b"a" * TWO_MB + b'"}'), encoding="gzip")
                    case "/gz":
                        self._send(gzip.compress(b'{"city": "Lyon"}'), encoding="gzip")
                    case "/to":
                        self.send_response(302)
                        self.send_header("location", query["url"][0])
                        self.send_header("content-length", "0")
                        self.end_headers()
                    case "/loop":
                        self.send_response(302)
                        self.send_header("location", "/loop")
                        self.send_header("content-length", "0")
                        self.end_headers()
                    case _:
                        self.send_response(404)
                        self.send_header("content-length", "0")
                        self.end_headers()

            def _send(self, body: bytes, encoding: str | None = None) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                if encoding:
                    self.send_header("content-encoding", encoding)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the emulator stopped reading
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    threading.Thread(target=ep.server.serve_forever, daemon=True).start()
    yield ep
    ep.server.shutdown()
    ep.server.server_close()


def test_an_allowed_endpoint_is_fetched(endpoint: Endpoint) -> None:
    assert fetch_connected(f"{endpoint.url}/ok", LOOPBACK) == ({"city": "Paris", "host": f"127.0.0.1:{endpoint.port}"}, None)
    assert fetch_connected(f"http://localhost:{endpoint.port}/gz", LOOPBACK) == ({"city": "Lyon"}, None)


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_endpoint_fails_at_the_2_s_deadline(endpoint: Endpoint, path: str) -> None:
    started = time.monotonic()
    value, failure = fetch_connected(f"{endpoint.url}{path}", LOOPBACK)
    took = time.monotonic() - started
    assert value == {} and failure is not None and "2 s limit" in failure
    assert 1.9 < took < 2.3, took


@pytest.mark.parametrize("path", ["/big", "/big-chunked", "/bomb"])
def test_a_body_over_1_mb_fails_naming_the_limit(endpoint: Endpoint, path: str) -> None:
    value, failure = fetch_connected(f"{endpoint.url}{path}", LOOPBACK)
    assert value == {} and failure is not None and "1 MB limit" in failure, failure


def test_0_0_0_0_is_refused_before_connecting(endpoint: Endpoint) -> None:
    # on Linux, 0.0.0.0 reaches what listens on 127.0.0.1: the old code fetched it
    value, failure = fetch_connected(f"http://0.0.0.0:{endpoint.port}/ok", LOOPBACK)
    assert value == {} and failure is not None and "0.0.0.0" in failure and "connected_content_allow" in failure
    assert endpoint.hits == []


def test_an_address_of_this_machine_is_refused() -> None:
    mine = sorted((a for a in own_addresses() if isinstance(a, ipaddress.IPv4Address)), key=str)
    if not mine:
        pytest.skip("this machine has no non-loopback IPv4 address")
    value, failure = fetch_connected(f"http://{mine[0]}:9/ok", LOOPBACK)  # refused before any packet is sent
    assert value == {} and failure is not None and str(mine[0]) in failure and "not allowed" in failure
    # naming a host is not enough for this machine's own addresses; an IP/CIDR entry is
    by_name = Allowlist.parse(["127.0.0.0/8", "attacker.test"])
    with pytest.raises(Exception, match="an address of this machine"):
        by_name.check("attacker.test", mine[0])
    Allowlist.parse([f"{mine[0]}/32"]).check(str(mine[0]), mine[0])


def test_a_redirect_to_a_refused_host_is_refused(endpoint: Endpoint) -> None:
    target = f"http://0.0.0.0:{endpoint.port}/ok"
    value, failure = fetch_connected(f"{endpoint.url}/to?url={target}", LOOPBACK)
    assert value == {} and failure is not None and "0.0.0.0" in failure
    assert endpoint.hits == [f"/to?url={target}"]  # the second hop never happened


def test_redirects_are_followed_and_each_hop_checked(endpoint: Endpoint) -> None:
    value, failure = fetch_connected(f"{endpoint.url}/to?url=http://localhost:{endpoint.port}/ok", LOOPBACK)
    assert failure is None and value["city"] == "Paris" and value["host"] == f"localhost:{endpoint.port}"
    value, failure = fetch_connected(f"{endpoint.url}/loop", LOOPBACK)
    assert value == {} and failure is not None and "more than 5 redirects" in failure
    assert len(endpoint.hits) == 2 + 6


def test_the_allowlist_is_a_setting_and_a_cli_flag() -> None:
    from braze_harness.cli import build_parser

    args = build_parser().parse_args(
        ["emulator", "--connected-content-allow", "10.1.0.0/16", "--connected-content-allow", "api.test"]
    )
    assert args.connected_content_allow == ["10.1.0.0/16", "api.test"]
    with pytest.raises(ValueError, match="connected_content_allow"):
        EmulatorSettings(connected_content_allow=["not a host!"])


def test_a_refused_fetch_renders_nothing_and_is_on_the_journal_entry(endpoint: Endpoint) -> None:
    emu = Emulator()
    scope = emu.create_scope("cc")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    campaign: dict[str, Any] = {
        "kind": "in_app",
        "id": "wx",
        "templated": True,
        "connected_content_url": f"http://0.0.0.0:{endpoint.port}/ok",
        "trigger": {"type": "custom_event", "event": "opened"},
        "message": {"type": "MODAL", "message": "Hello from {{connected.city | default: 'nowhere'}}"},
    }
    emu.messaging.seed(scope, campaigns=[campaign])
    sdk.login("ada")
    out = sdk.post("template/", template={"trigger_id": trigger_id("wx"), "trigger_event_type": "custom_event", "data": {}})
    assert out["templated_message"]["data"]["message"] == "Hello from nowhere"
    entry = emu.entries()[-1]
    assert entry.endpoint == "template"
    [problem] = [p for p in entry.problems if p.where == "connected_content"]
    assert "0.0.0.0" in problem.message and "connected_content_allow" in problem.message
    assert "0.0.0.0" in emu.messaging.describe(scope)["templates"][-1]["connected_content_error"]
    assert endpoint.hits == []
