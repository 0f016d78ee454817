"""Property tests of each SDK endpoint over HTTP: no 5xx for any generated body; the good events of a mixed batch
stored exactly once; the scope's journal and profiles still readable afterwards."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = ["data/", "content_cards/sync", "feature_flags/sync", "banners/sync", "push/unregister", "geofence/request"]
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=25
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_names = itertools.count()


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


HOSTILE_EVENT = (
    JSON
    | st.integers(17, 400).map(lambda d: {"name": "ce", "time": 1.0, "data": {"n": "bad", "p": nested(d)}})
    | st.integers(998, 3000).map(lambda n: {"name": "ce", "time": 1.0, "user_id": "u" * n, "data": {"n": "bad"}})
    | st.just({"name": "ce"})
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[EmulatorServer, httpx.Client]]:
    with (
        EmulatorServer(EmulatorSettings(port=0, max_json_depth=16)) as running,
        httpx.Client(base_url=running.url, trust_env=False, timeout=10) as client,
    ):
        yield running, client


def _readable(client: httpx.Client, scope: str) -> None:
    assert client.get("/_emulator/requests", params={"scope": scope}).status_code == 200
    assert client.get("/_emulator/profiles", params={"scope": scope}).status_code == 200


@SETTINGS
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    envelope=st.dictionaries(
        st.sampled_from(["device_id", "user_id", "time", "respond_with", "device", "events", "attributes", "alias", "x"]),
        JSON | st.integers(0, 300).map(nested),
        max_size=6,
    ),
    raw=st.none() | st.binary(max_size=64),
)
def test_no_5xx_for_any_body(
    server: tuple[EmulatorServer, httpx.Client], endpoint: str, envelope: dict[str, Any], raw: bytes | None
) -> None:
    running, client = server
    scope = running.emulator.create_scope(f"p{next(_names)}")
    key = running.emulator.create_app(scope)["api_key"]
    content = raw if raw is not None else json.dumps({"api_key": key, **envelope}).encode()
    answer = client.post(f"/api/v3/{endpoint}", content=content, headers={"x-braze-api-key": key})
    assert answer.status_code < 500, answer.text
    answer.json()  # always JSON
    _readable(client, scope)


@SETTINGS
@given(good=st.integers(1, 6), hostile=st.lists(HOSTILE_EVENT, max_size=5), data=st.data())
def test_good_events_of_a_mixed_batch_stored_exactly_once(
    server: tuple[EmulatorServer, httpx.Client], good: int, hostile: list[Any], data: st.DataObject
) -> None:
    running, client = server
    scope = running.emulator.create_scope(f"m{next(_names)}")
    key = running.emulator.create_app(scope)["api_key"]
    names = [f"good-{i}" for i in range(good)]
    events: list[Any] = [{"name": "ce", "time": 1796000000.5, "user_id": "ada", "data": {"n": n}} for n in names]
    for item in hostile:
        events.insert(data.draw(st.integers(0, len(events))), item)
    body = {"api_key": key, "device_id": "dev-1", "time": 1796000000, "events": events}
    answer = client.post("/api/v3/data/", content=json.dumps(body).encode(), headers={"x-braze-api-key": key})
    assert answer.status_code == 200, answer.text
    [profile] = [
        p for p in client.get("/_emulator/profiles", params={"scope": scope}).json()["profiles"] if p.get("external_id") == "ada"
    ]
    counts = {n: c for n, c in profile["custom_events"].items() if n.startswith("good-")}
    assert counts == dict.fromkeys(names, 1)
    _readable(client, scope)
