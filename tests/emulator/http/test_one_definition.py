"""One HTTP definition of the SDK endpoints, three transports: the fast path (plain POSTs from the HTTP parser),
the ASGI app (anything else: here forced by a chunked body) and the mitmproxy addon's emulate mode. The same
requests get the same status, headers and body, and become the same journal entry, whichever way they came."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.faults import FaultSpec
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.journal import JournalEntry
from braze_harness.proxy.runner import InProcessProxy

BRAZE = "https://sdk.iad-01.braze.com"
ORIGIN = "http://127.0.0.1:5000"
LIMIT = 1024
# what the transports themselves add: not part of the definition
TRANSPORT_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}


def body(device_id: str = "dev-1", **extra: Any) -> bytes:
    event = {"name": "ce", "time": 1795379909.5, "data": {"n": "played", "p": {"genre": "jazz"}}, "session_id": "s1"}
    return json.dumps({"api_key": "k1", "device_id": device_id, "time": 1795379909, "events": [event], **extra}).encode()


CASES: dict[str, tuple[str, str, bytes | None, dict[str, str]]] = {
    "data": ("POST", "/api/v3/data/", body(), {}),
    "malformed JSON": ("POST", "/api/v3/data/", b"{nope", {}),
    "unknown endpoint": ("POST", "/api/v3/geofence/request", body(), {}),
    "405": ("GET", "/api/v3/data/", None, {}),
    "413": ("POST", "/api/v3/data/", b"x" * (2 * LIMIT), {}),
    "preflight": (
        "OPTIONS",
        "/api/v3/data/",
        None,
        {"access-control-request-method": "POST", "access-control-request-headers": "x-braze-api-key,content-type"},
    ),
}


@pytest.fixture(scope="module")
def transports() -> Iterator[tuple[Emulator, dict[str, Any]]]:
    emu = Emulator(EmulatorSettings(port=0, max_body_bytes=LIMIT))
    with EmulatorServer(emulator=emu) as server, InProcessProxy(emulator=emu) as proxy:
        tls = ssl.create_default_context(cafile=proxy.ca_cert)
        with (
            httpx.Client(base_url=server.url, trust_env=False, timeout=10) as direct,
            httpx.Client(base_url=BRAZE, proxy=proxy.url, verify=tls, trust_env=False, timeout=10) as proxied,
        ):
            yield emu, {"fast path": (direct, False), "asgi": (direct, True), "proxy": (proxied, False)}


def send(client: httpx.Client, chunked: bool, method: str, path: str, content: bytes | None, headers: dict) -> httpx.Response:
    headers = {"origin": ORIGIN, "content-type": "application/json", "x-braze-api-key": "k1", **headers}
    if chunked and content is not None:
        return client.request(method, path, content=iter([content]), headers=headers)  # no Content-Length: ASGI path
    return client.request(method, path, content=content, headers=headers)


def journaled(entry: JournalEntry) -> dict[str, Any]:
    """An entry as the definition decides it: everything but where it came from and when."""
    data = entry.to_json()
    for key in ("seq", "received_at", "source", "duration_ms"):
        data.pop(key)
    data["request"].pop("url")
    data["request"]["headers"] = {k: v for k, v in data["request"]["headers"].items() if k in ("x-braze-api-key", "origin")}
    return data


@pytest.mark.parametrize("case", list(CASES))
def test_every_transport_answers_and_journals_alike(transports: tuple[Emulator, dict[str, Any]], case: str) -> None:
    emu, ways = transports
    method, path, content, headers = CASES[case]
    answers, entries = {}, {}
    for way, (client, chunked) in ways.items():
        before = emu.journal.latest_seq
        resp = send(client, chunked, method, path, content, headers)
        answers[way] = (resp.status_code, {k: v for k, v in resp.headers.items() if k not in TRANSPORT_HEADERS}, resp.content)
        fresh = [e for e in emu.journal.query() if e.seq > before]
        entries[way] = [journaled(e) for e in fresh]
    assert answers["asgi"] == answers["fast path"], case
    assert answers["proxy"] == answers["fast path"], case
    assert entries["asgi"] == entries["fast path"] and entries["proxy"] == entries["fast path"], case
    if case in ("405", "413"):
        [entry] = entries["proxy"]  # journaled through the proxy too, as at the socket
        assert entry["good"] is False and entry["response"]["status"] == int(case)
    if case == "preflight":
        assert entries["proxy"] == [] and answers["proxy"][0] == 204


def test_a_fault_answers_the_same_way(transports: tuple[Emulator, dict[str, Any]]) -> None:
    emu, ways = transports
    scope = emu.create_scope("faults")
    key = emu.create_app(scope)["api_key"]
    for way, (client, chunked) in ways.items():
        emu.faults.add(scope, FaultSpec(endpoint="data", status=429, retry_after=3, times=1))
        resp = send(client, chunked, "POST", "/api/v3/data/", body(api_key=key), {"x-braze-api-key": key})
        assert (resp.status_code, resp.headers["retry-after"]) == (429, "3"), way
        assert resp.headers["access-control-expose-headers"] == "Retry-After", way
