"""The Android and Swift SDKs' own traffic over real HTTP: their endpoints answered and journaled as good SDK traffic
(with an `info` problem for what the emulator does not model), the config BrazeKit 18 can decode, and an unknown api
key auto-created for the platform that sent it (docs/mobile-wire.md, mobile-only-endpoints, server-config,
which-sdk-sent-it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.journal import JournalEntry
from braze_harness.protocol.mobile import GeofenceReportRequest

from tests.support.mobile_captures import device_object

ANDROID_HEADERS = {"User-Agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UD1A)", "Accept-Encoding": "gzip, deflate"}
IOS_HEADERS = {"User-Agent": "Shop/42 CFNetwork/1568.100.1 Darwin/24.0.0"}


@pytest.fixture(scope="module")
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture
def api_key(http: httpx.Client) -> str:
    scope = http.post("/_emulator/scopes", json={"name": "mobile"}).json()["scope"]
    return http.post(f"/_emulator/scopes/{scope}/apps", json={"workspace": "w", "platform": "android"}).json()["api_key"]


def envelope(api_key: str, **extra: Any) -> dict[str, Any]:
    return {"api_key": api_key, "device_id": str(uuid.uuid4()), "time": 1796000000, "sdk_version": "43.0.0", **extra}


def latest_seq(http: httpx.Client) -> int:
    return http.get("/_emulator/health").json()["journal"]["latest_seq"]


def only_entry_after(http: httpx.Client, seq: int, api_key: str) -> dict[str, Any]:
    [entry] = http.get("/_emulator/requests", params={"after_seq": seq, "api_key": api_key}).json()["entries"]
    return entry


# (path, body fields as the Android SDK builds them, the answer) -- docs/mobile-wire.md, mobile-only-endpoints
MOBILE = [
    ("push/delivery_events", {"events": [{"name": "pde", "time": 1796000000.25, "data": {"cid": "c-1"}}]}, {}),
    ("push/redeliver", {"campaign_ids": ["c-1"], "last_sync_at": 1795999000, "dedupe_ids": ["d-1"]}, {}),
    (
        "geofence/request",
        {"location_event": {"name": "lr", "time": 1796000000.5, "data": {"latitude": 48.85, "longitude": 2.35}}},
        {"geofences": []},
    ),
    ("geofence/report", {"geofence_event": {"name": "g", "time": 1796000001.0, "data": {"ids": "g-1", "event_type": "in"}}}, {}),
    ("debugger/init", {"user_id": "ada"}, {}),
    ("debugger/log", {"data": [{"type": "sdk_event_log", "data": [{"log": "V/Braze: hello", "time": "1796000000"}]}]}, {}),
    ("dust/config", {"user_id": "ada"}, {}),
]


@pytest.mark.parametrize("base", ["/api/v3/", "/custom/base/"])
@pytest.mark.parametrize(("path", "fields", "answer"), MOBILE, ids=[m[0] for m in MOBILE])
def test_mobile_endpoints_are_answered_and_journaled_as_good_sdk_traffic(
    http: httpx.Client, api_key: str, base: str, path: str, fields: dict[str, Any], answer: dict[str, Any]
) -> None:
    seq = latest_seq(http)
    resp = http.post(base + path, json=envelope(api_key, **fields), headers={"X-Braze-Api-Key": api_key, **ANDROID_HEADERS})

    assert resp.status_code == 200, resp.text
    assert resp.json() == answer
    entry = only_entry_after(http, seq, api_key)
    assert entry["endpoint"] == path
    assert entry["good"] is True
    problems = entry["problems"]
    # never silently: what the emulator does not model of the endpoint is said on the entry
    assert [(p["where"], p["severity"]) for p in problems] == [("endpoint", "info")]
    assert problems[0]["message"].startswith(f"{path}: ")


def test_the_decoded_content_of_a_mobile_endpoint_is_journaled(http: httpx.Client, api_key: str) -> None:
    body = envelope(api_key, geofence_event={"name": "g", "time": 1796000001.0, "data": {"ids": "g-1", "event_type": "exit"}})
    seq = latest_seq(http)
    http.post("/api/v3/geofence/report", json=body, headers=ANDROID_HEADERS)

    decoded = JournalEntry.from_json(only_entry_after(http, seq, api_key)).request
    assert isinstance(decoded.body, GeofenceReportRequest)
    event = decoded.body.geofence_event
    assert event is not None and (event.name, event.data) == ("g", {"ids": "g-1", "event_type": "exit"})


def test_the_config_carries_what_brazekit_18_needs_to_decode_it(http: httpx.Client, api_key: str) -> None:
    body = envelope(api_key, respond_with={"config": {"config_time": 0}})
    config = http.post("/api/v3/data", json=body, headers=IOS_HEADERS).json()["config"]

    assert config["events_blacklist"] == [] and config["attributes_blacklist"] == [] and config["purchases_blacklist"] == []


ANDROID_DEVICE = device_object("android-15.0.0-her")  # a real Android SDK's (docs/mobile-wire.md, real-captures-in-the-tests)


@pytest.mark.parametrize(
    ("headers", "fields", "platform"),
    [
        ({}, {"device": ANDROID_DEVICE}, "android"),  # the device object decides
        ({}, {"device": {"ios_push_auth": "authorized", "remote_notification_enabled": 1}}, "ios"),
        (ANDROID_HEADERS, {}, "android"),  # no device object: the User-Agent decides
        (IOS_HEADERS, {}, "ios"),
        ({}, {"device_id": "6F9619FF-8B86-D011-B42D-00CF4FC964FF"}, "ios"),  # the Swift SDK's upper-case device id
        ({}, {"device": {"browser": "Chrome", "os_version": "Mac OS X"}}, "web"),
        ({}, {}, "web"),  # nothing says: the default
    ],
    ids=["android-device", "ios-device", "android-agent", "ios-agent", "ios-device-id", "web-device", "default"],
)
def test_an_unknown_key_is_auto_created_for_the_platform_that_sent_it(
    http: httpx.Client, headers: dict[str, str], fields: dict[str, Any], platform: str
) -> None:
    key = f"auto-{uuid.uuid4()}"
    body = {**envelope(key), **fields}
    events = [{"name": "ce", "time": 1796000000.5, "session_id": "s1", "user_id": key, "data": {"n": "opened"}}]
    resp = http.post("/api/v3/data", json={**body, "user_id": key, "events": events}, headers=headers)
    assert resp.status_code == 200, resp.text

    [profile] = http.get("/_emulator/profiles", params={"external_id": key}).json()["profiles"]
    assert [d["platform"] for d in profile["devices"]] == [platform]


def test_a_key_created_on_the_default_takes_the_platform_a_later_request_shows(http: httpx.Client) -> None:
    """A log-only capture's first request has neither a device object nor a User-Agent: the app starts as "web"
    and becomes Android with the first request that shows it (docs/mobile-wire.md, which-sdk-sent-it)."""
    key = f"auto-{uuid.uuid4()}"

    def platform() -> str:
        [app] = [k for k in http.get("/_emulator/keys").json()["keys"] if k["api_key"] == key]
        return app["platform"]

    assert http.post("/api/v3/data", json=envelope(key)).status_code == 200
    assert platform() == "web"
    assert http.post("/api/v3/data", json=envelope(key), headers=ANDROID_HEADERS).status_code == 200
    assert platform() == "android"
    assert http.post("/api/v3/data", json=envelope(key), headers=IOS_HEADERS).status_code == 200
    assert platform() == "android", "a platform once shown stays"
