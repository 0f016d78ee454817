"""The virtual devices' requests have the shape of the real SDKs' (tests/data/mobile, docs/mobile-wire.md,
real-captures-in-the-tests and envelope-and-device-object): the envelope's keys and `time` type, the events' keys,
`ss` with or without `data`, the device id's case. Only the captures and verbose logs count here: the files built
from wire assertions fill their ids and times in themselves."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.mobile_captures import body_of, capture_files, load_capture

UUID = {
    "android": re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"),
    "ios": re.compile(r"^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$"),
}
# keys a capture can miss for a reason of its own: the device object is a diff (a fresh install's first request), and
# attributes go out only when something was set
SOMETIMES = {"device", "attributes"}


def _real_bodies(platform: str) -> list[dict[str, Any]]:
    found = []
    for path in capture_files():
        capture = load_capture(path)
        if capture["provenance"]["sdk"] == platform and capture["provenance"]["kind"] != "wire-assertions":
            found += [body_of(r) for r in capture["requests"] if r["url"].endswith("/api/v3/data")]
    return found


def _virtual_bodies(lab: Any, platform: str) -> list[dict[str, Any]]:
    device = lab.device(platform)
    device.open_session()
    device.register_push_token()
    device.change_user(f"ada-{platform}")
    device.log_custom_event("song_played", {"genre": "jazz"})
    device.request_immediate_data_flush()
    device.advance(30)
    device.close_session()
    device.advance(30)
    device.open_session()
    device.request_immediate_data_flush()
    return device.bodies()


def _event_keys(bodies: list[dict[str, Any]]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for body in bodies:
        for event in body.get("events", []):
            keys.setdefault(event["name"], set()).update(event)
    return keys


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_virtual_device_sends_the_envelope_and_events_of_the_real_sdk(lab: Any, platform: str) -> None:
    real, virtual = _real_bodies(platform), _virtual_bodies(lab, platform)
    assert real and virtual

    real_keys = set().union(*real) | SOMETIMES
    assert set().union(*virtual) <= real_keys
    time_types = {type(b["time"]) for b in real}
    assert len(time_types) == 1 and {type(b["time"]) for b in virtual} == time_types  # int on Android, float on iOS
    assert all(UUID[platform].match(b["device_id"]) for b in virtual)
    real_events, virtual_events = _event_keys(real), _event_keys(virtual)
    for code in ("ss", "se"):
        assert virtual_events[code] <= real_events[code], code
    assert ("data" in real_events["ss"]) == ("data" in virtual_events["ss"])  # Android `"data": {}`, iOS none
    real_respond = set().union(*(b["respond_with"] for b in real))
    assert set().union(*(b["respond_with"] for b in virtual)) <= real_respond
