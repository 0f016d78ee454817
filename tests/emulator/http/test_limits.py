"""Each limit (docs/limits.md) over real HTTP through a running emulator: a 4xx JSON error naming the limit,
journaled as bad with its reason, nothing applied (or, for one bad event, its neighbours applied once each)."""

from __future__ import annotations

import gzip
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings

SETTINGS = EmulatorSettings(
    port=0,
    max_body_bytes=64 * 1024,
    max_expanded_body_bytes=256 * 1024,
    max_header_bytes=8 * 1024,
    header_timeout_s=0.5,
    max_json_depth=16,
    max_events_per_request=50,
    max_json_values=5000,
)
T = 1796000000


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(SETTINGS) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as c:
        yield c


@pytest.fixture
def app(server: EmulatorServer, request: pytest.FixtureRequest) -> tuple[str, str]:
    scope = server.emulator.create_scope(request.node.name[:40])
    return scope, server.emulator.create_app(scope)["api_key"]


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def event(name: str, user: str = "ada", **extra: Any) -> dict[str, Any]:
    return {"name": "ce", "time": T + 0.5, "user_id": user, "session_id": "s1", "data": {"n": name, **extra}}


def data(key: str, events: list[Any], **extra: Any) -> dict[str, Any]:
    return {"api_key": key, "device_id": "dev-1", "time": T, "events": events, **extra}


def post(client: httpx.Client, key: str, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/api/v3/data/", content=content, headers={"x-braze-api-key": key, **headers})


def journal(client: httpx.Client, scope: str) -> list[dict[str, Any]]:
    answer = client.get("/_emulator/requests", params={"scope": scope})
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


def profiles(client: httpx.Client, scope: str) -> list[dict[str, Any]]:
    answer = client.get("/_emulator/profiles", params={"scope": scope})
    assert answer.status_code == 200, answer.text
    return answer.json()["profiles"]


def custom_events(client: httpx.Client, scope: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for profile in profiles(client, scope):
        for name, n in profile.get("custom_events", {}).items():
            counts[name] = counts.get(name, 0) + n
    return counts


def test_an_over_deep_event_is_one_bad_event_its_neighbours_applied_once(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    # the body (1), events (2), the event (3), data (4), p (5) and 11 objects more: 16 levels; one more is over
    ok = event("fine", p=nested(12))
    deep = event("deep", p=nested(13))
    way_too_deep = event("deeper", p=nested(300))  # beyond orjson's 254 levels: was a 500 (and counted twice on retry)
    answer = post(client, key, data(key, [event("before"), deep, ok, way_too_deep, event("after")]))
    assert answer.status_code == 200, answer.text
    [entry] = journal(client, scope)
    assert not entry["good"]
    errors = [p for p in entry["problems"] if p["severity"] == "error"]
    assert [p["where"] for p in errors] == ["events[1]", "events[3]"]
    assert all("max_json_depth" in p["message"] for p in errors)
    assert entry["request"]["body"] is not None  # the journal keeps the body, and reads it back fine
    assert custom_events(client, scope) == {"before": 1, "fine": 1, "after": 1}


def test_an_over_deep_envelope_field_is_a_400_and_nothing_is_applied(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    answer = post(client, key, data(key, [event("e1")], device=nested(300)))
    assert answer.status_code == 400
    assert answer.json()["limit"] == "max_json_depth" and answer.json()["problems"][0]["where"] == "body.device"
    [entry] = journal(client, scope)
    assert not entry["good"] and entry["response"]["status"] == 400
    assert custom_events(client, scope) == {}


def test_too_many_events_is_a_400_naming_the_limit_and_nothing_is_applied(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    answer = post(client, key, data(key, [event(f"e{i}") for i in range(51)]))
    assert answer.status_code == 400
    assert "max_events_per_request" in answer.json()["message"] and answer.json()["limit"] == "max_events_per_request"
    [entry] = journal(client, scope)
    assert not entry["good"]
    assert custom_events(client, scope) == {}
    assert post(client, key, data(key, [event(f"e{i}") for i in range(50)])).status_code == 200  # the limit itself is fine
    assert len(custom_events(client, scope)) == 50


def test_too_many_json_values_is_a_400_before_validation(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    answer = post(client, key, data(key, [event("e1")], sdk_metadata=[1] * 6000))  # each one a validation error
    assert answer.status_code == 400 and answer.json()["limit"] == "max_json_values"
    assert custom_events(client, scope) == {}
    assert post(client, key, data(key, [event("e1")], sdk_metadata=["x"] * 4000)).status_code == 200
    assert custom_events(client, scope) == {"e1": 1}


def test_over_long_identifiers(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    long_id = "u" * 60_000  # within max_body_bytes here; 1 MB was accepted silently
    answer = post(client, key, data(key, [event("e1")], user_id=long_id))
    assert answer.status_code == 400 and answer.json()["limit"] == "max_identifier_bytes"
    assert custom_events(client, scope) == {}
    answer = post(client, key, data(key, [event("e1"), event("e2", user="x" * 998), event("e3")]))
    assert answer.status_code == 200
    entries = journal(client, scope)
    assert [p["where"] for p in entries[-1]["problems"] if p["severity"] == "error"] == ["events[1]"]
    assert custom_events(client, scope) == {"e1": 1, "e3": 1}
    assert not any(p.get("external_id") == "x" * 998 for p in profiles(client, scope))


def test_a_gzip_bomb_is_a_413_never_expanded_past_the_limit(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    bomb = gzip.compress(b'{"a":"' + b"0" * (64 * 1024 * 1024) + b'"}')  # 64 MiB expanded, ~64 KiB sent
    assert len(bomb) < SETTINGS.max_body_bytes
    answer = post(client, key, bomb, **{"content-encoding": "gzip"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large" and answer.json()["limit"] == "max_expanded_body_bytes"
    [entry] = journal(client, scope)
    assert not entry["good"] and entry["request"]["body"] is None
    assert "max_expanded_body_bytes" in entry["problems"][0]["message"]


def test_a_body_over_max_body_bytes_names_its_limit(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    answer = post(client, key, b"{" + b" " * (65 * 1024) + b"}")
    assert answer.status_code == 413 and answer.json()["limit"] == "max_body_bytes"
    [entry] = journal(client, scope)
    assert not entry["good"] and entry["request"]["body"] is None


def test_a_bomb_through_the_ingest_route_is_not_expanded(client: httpx.Client, app: tuple[str, str]) -> None:
    import base64

    scope, key = app
    bomb = gzip.compress(b'{"a":"' + b"0" * (4 * 1024 * 1024) + b'"}')
    exchange = {
        "method": "POST",
        "url": "https://sdk.iad-01.braze.com/api/v3/data/",
        "headers": {"x-braze-api-key": key, "content-encoding": "gzip"},
        "body": base64.b64encode(bomb).decode(),
        "body_encoding": "base64",
        "status": 200,
        "response": {},
        "scope": scope,
    }
    answer = client.post("/_emulator/ingest", json=exchange)
    assert answer.status_code == 201
    assert not answer.json()["good"]
    assert any("max_expanded_body_bytes" in p["message"] for p in answer.json()["problems"])


def raw_exchange(server: EmulatorServer, data: bytes, wait_s: float = 5.0) -> tuple[bytes, float]:
    """Send raw bytes; read until the server closes. (answer, seconds until closed)"""
    assert server.port is not None
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait_s) as sock:
        started = time.monotonic()
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic() - started


def test_headers_over_the_limit_are_a_431_and_journaled(
    server: EmulatorServer, client: httpx.Client, app: tuple[str, str]
) -> None:
    scope, key = app
    big = b"x-filler: " + b"y" * (64 * 1024) + b"\r\n"  # 64 KiB (was accepted and journaled whole, up to 32 MB)
    request = b"POST /api/v3/data/ HTTP/1.1\r\nhost: 127.0.0.1\r\nx-braze-api-key: " + key.encode() + b"\r\n" + big
    answer, _ = raw_exchange(server, request + b"content-length: 2\r\n\r\n{}")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["limit"] == "max_header_bytes"
    [entry] = journal(client, scope)
    assert not entry["good"] and entry["response"]["status"] == 431
    assert "x-filler" not in entry["request"]["headers"]


def test_a_huge_header_in_one_read_is_refused_too(server: EmulatorServer) -> None:
    answer, _ = raw_exchange(server, b"GET /_emulator/health HTTP/1.1\r\nhost: x\r\nx-big: " + b"z" * 200_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_that_never_end_are_closed_within_the_timeout(server: EmulatorServer) -> None:
    answer, took = raw_exchange(server, b"POST /api/v3/data/ HTTP/1.1\r\nhost: x\r\nx-slow: 1\r\n")
    assert took < 3, took  # header_timeout_s=0.5 (was open >= 75 s)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["limit"] == "header_timeout_s"


def test_a_silent_connection_is_closed_within_the_timeout(server: EmulatorServer) -> None:
    answer, took = raw_exchange(server, b"")
    assert answer == b"" and took < 3


@pytest.mark.parametrize("host", [b"[", b"x/api/v3/data/#", b"a b", b"[::1", b"h:99999999999"])
def test_the_host_header_never_decides_the_route(
    server: EmulatorServer, client: httpx.Client, app: tuple[str, str], host: bytes
) -> None:
    scope, key = app
    body = json.dumps(data(key, [event("via-host")])).encode()
    head = b"POST /not-sdk HTTP/1.1\r\nhost: " + host + b"\r\nx-braze-api-key: " + key.encode()
    answer, _ = raw_exchange(
        server, head + b"\r\nconnection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500 or status == 200, answer[:300]
    [entry] = journal(client, scope)
    assert entry["endpoint"] is None  # not /data/: the path is /not-sdk
    assert custom_events(client, scope) == {}  # not applied
    # and the same Host on a real SDK path is served (not a 500)
    answer, _ = raw_exchange(
        server,
        head.replace(b"/not-sdk", b"/api/v3/data/")
        + b"\r\nconnection: close\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body,
    )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert custom_events(client, scope) == {"via-host": 1}


def test_the_proxy_serves_the_same_limits(server: EmulatorServer) -> None:
    import ssl

    from braze_harness.proxy.runner import InProcessProxy

    emu = server.emulator
    scope = emu.create_scope("proxy-limits")
    key = emu.create_app(scope)["api_key"]
    with InProcessProxy(emulator=emu) as proxy:
        tls = ssl.create_default_context(cafile=proxy.ca_cert)
        with httpx.Client(base_url="https://sdk.iad-01.braze.com", proxy=proxy.url, verify=tls, trust_env=False, timeout=10) as c:
            answer = post(c, key, data(key, [event("e1"), event("deep", p=nested(300)), event("e2")]))
            assert answer.status_code == 200
            bomb = gzip.compress(b'{"a":"' + b"0" * (4 * 1024 * 1024) + b'"}')
            assert post(c, key, bomb, **{"content-encoding": "gzip"}).status_code == 413
            big = post(c, key, data(key, []), **{"x-filler": "y" * (16 * 1024)})
            assert big.status_code == 431 and big.json()["limit"] == "max_header_bytes"
    [profile] = emu.profiles(scope=scope, external_id="ada")
    assert profile["custom_events"] == {"e1": 1, "e2": 1}


def test_every_limit_setting_is_an_emulator_flag() -> None:
    from braze_harness.cli import build_parser

    args = build_parser().parse_args(
        ["emulator", "--max-json-depth", "16", "--header-timeout", "0.5", "--journal-max-bytes", "2000000"]
    )
    assert (args.max_json_depth, args.header_timeout_s, args.journal_max_bytes) == (16, 0.5, 2_000_000)
    assert args.max_identifier_bytes is None  # not given: the environment, config file or default decides
    assert all(hasattr(args, name) for name in EmulatorSettings.model_fields)  # every setting, limits included


def test_the_documented_answers_name_settings_and_match_the_defaults() -> None:
    from tests.support.paths import REPO

    page = (REPO / "docs" / "limits.md").read_text()
    [block] = re.findall(r"^```json\n(.*?)^```", page, re.S | re.M)
    answers = [json.loads(line) for line in block.splitlines()]
    defaults = EmulatorSettings()
    assert [a["limit"] for a in answers] == ["max_body_bytes", "max_header_bytes", "header_timeout_s"]
    for answer in answers:
        assert str(getattr(defaults, answer["limit"])).removesuffix(".0") in answer["message"]
    for name in ("max_body_bytes", "max_expanded_body_bytes", "max_header_bytes", "header_timeout_s", "max_json_depth",
                 "max_identifier_bytes", "max_events_per_request", "max_json_values", "journal_max_bytes"):  # fmt: skip
        assert f"`{name}`" in page and name in EmulatorSettings.model_fields


def test_an_over_deep_rest_body_is_a_400_before_the_rest_handlers(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, _ = app
    rest_key = client.post(f"/_emulator/scopes/{scope}/rest_keys", json={}).json()["rest_api_key"]
    auth = {"authorization": f"Bearer {rest_key}"}
    deep = {"attributes": [{"external_id": "rest-user", "deep": nested(300)}]}  # was a 500 (the serialiser's depth)
    answer = client.post("/users/track", json=deep, headers=auth)
    assert answer.status_code == 400 and answer.json()["limit"] == "max_json_depth"
    entries = client.get("/_emulator/requests").json()["entries"]
    assert entries[-1]["response"]["status"] == 400 and not entries[-1]["good"]
    fine = {"attributes": [{"external_id": "rest-user", "nested": nested(10)}]}
    assert client.post("/users/track", json=fine, headers=auth).status_code < 300
    assert [p["external_id"] for p in profiles(client, scope)] == ["rest-user"]


def test_the_ingest_route_takes_deep_input_without_a_5xx(client: httpx.Client, app: tuple[str, str]) -> None:
    scope, key = app
    exchange = {"method": "POST", "url": "https://sdk.iad-01.braze.com/api/v3/data/", "headers": {"x-braze-api-key": key}}
    body = {"api_key": key, "device_id": "d", "x": nested(300)}
    answer = client.post("/_emulator/ingest", json={**exchange, "body": body, "status": 200, "response": {}, "scope": scope})
    assert answer.status_code == 400 and "body" in answer.json()["message"]
    deep_answer = {**exchange, "body": json.dumps({"api_key": key, "device_id": "d"}), "status": 200, "response": nested(300)}
    assert client.post("/_emulator/ingest", json={**deep_answer, "scope": scope}).status_code == 201
    [entry] = journal(client, scope)  # an observed answer deeper than orjson serialises still reads back
    assert entry["response"]["body"].startswith("(not kept in this form")


def test_a_pipelined_request_waiting_on_an_answer_is_not_cut_into_it(server: EmulatorServer) -> None:
    # request 1 long-polls for 1.5 s (longer than header_timeout_s); request 2's headers, pipelined behind it, never end
    first = b"GET /_emulator/requests/wait?after_seq=999999999&timeout=1.5 HTTP/1.1\r\nhost: x\r\n\r\n"
    answer, took = raw_exchange(server, first + b"POST /api/v3/data/ HTTP/1.1\r\nhost: x\r\n")
    head, rest = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 ") and not head.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"HTTP/1.1 408 " in rest and b"header_timeout_s" in rest  # after the first answer, whole
    assert 1.4 < took < 5
