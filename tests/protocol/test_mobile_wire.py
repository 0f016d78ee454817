"""The typed `device` object and the mobile SDKs' endpoints in the decoder (docs/mobile-wire.md,
envelope-and-device-object, mobile-only-endpoints, which-sdk-sent-it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from braze_harness.protocol import Endpoint, decode
from braze_harness.protocol.device import Device
from braze_harness.protocol.mobile import (
    DebuggerInitRequest,
    DebuggerLogRequest,
    DustConfigRequest,
    GeofenceRefreshRequest,
    GeofenceReportRequest,
    PushDeliveryEventsRequest,
    PushRedeliverRequest,
)
from braze_harness.protocol.platform import sdk_platform

from tests.support.mobile_captures import device_object, device_objects
from tests.support.paths import CAPTURES

ANDROID_15 = device_object("android-15.0.0-her")  # a real Android SDK 15 app's (tests/data/mobile)
IOS_PUSH = {"ios_push_auth": "authorized", "remote_notification_enabled": 1}  # Braze's verbose-logs page


def _data(device: Any = None, **extra: Any) -> bytes:
    body = {"api_key": "k", "device_id": "d", "time": 1796000000, **extra}
    if device is not None:
        body["device"] = device
    return json.dumps(body).encode()


def _recorded_devices() -> list[dict[str, Any]]:
    found = []
    for capture in sorted(CAPTURES.glob("*.json")):
        for ex in json.loads(capture.read_text())["exchanges"]:
            if isinstance(ex.get("body"), dict) and isinstance(ex["body"].get("device"), dict):
                found.append(ex["body"]["device"])
    return found


def test_the_recordings_carry_device_objects() -> None:
    assert len(_recorded_devices()) >= 10


@pytest.mark.parametrize("device", [*_recorded_devices(), *device_objects(), IOS_PUSH])
def test_every_recorded_device_object_is_modelled_and_kept_as_sent(device: dict[str, Any]) -> None:
    decoded = decode("POST", "/api/v3/data/", {}, _data(device))

    assert decoded.problems == []  # no drift: every key is a field
    assert isinstance(decoded.body.device, Device)
    assert decoded.body.device.sent() == device  # what the state merges: the keys sent, their values as sent


def test_an_unknown_device_key_is_drift_and_still_kept() -> None:
    decoded = decode("POST", "/api/v3/data/", {}, _data({"locale": "en_US", "foldable_state": "open"}))

    assert decoded.ok
    assert [(p.where, p.severity) for p in decoded.problems] == [("body.device.foldable_state", "drift")]
    assert decoded.body.device.sent() == {"locale": "en_US", "foldable_state": "open"}


def test_ios_flags_stay_numbers_and_android_flags_booleans() -> None:
    ios = decode("POST", "/api/v3/data", {}, _data(IOS_PUSH)).body.device
    android = decode("POST", "/api/v3/data", {}, _data(ANDROID_15)).body.device
    assert ios.remote_notification_enabled == 1 and ios.remote_notification_enabled is not True
    assert android.remote_notification_enabled is True


def test_a_request_without_a_device_object_has_none() -> None:
    assert decode("POST", "/api/v3/data/", {}, _data()).body.device is None


MOBILE = {
    "push/delivery_events": (PushDeliveryEventsRequest, {"events": [{"name": "pde", "time": 1.5, "data": {"cid": "c"}}]}),
    "push/redeliver": (PushRedeliverRequest, {"campaign_ids": ["c"], "last_sync_at": 1795999000, "dedupe_ids": ["x"]}),
    "geofence/request": (GeofenceRefreshRequest, {"location_event": {"name": "lr", "time": 1.5, "data": {"latitude": 1.0}}}),
    "geofence/report": (GeofenceReportRequest, {"geofence_event": {"name": "g", "time": 1.5, "data": {"event_type": "enter"}}}),
    "debugger/init": (DebuggerInitRequest, {"user_id": "ada"}),
    "debugger/log": (DebuggerLogRequest, {"data": [{"type": "sdk_event_log", "data": [{"log": "x", "time": 1}]}]}),
    "dust/config": (DustConfigRequest, {"user_id": "ada"}),
}


@pytest.mark.parametrize("path", MOBILE)
def test_the_mobile_endpoints_decode_to_their_models(path: str) -> None:
    model, fields = MOBILE[path]
    decoded = decode("POST", f"https://sdk.iad-01.braze.com/api/v3/{path}", {}, _data(**fields))

    assert decoded.endpoint is Endpoint(path)
    assert isinstance(decoded.body, model)
    assert decoded.problems == []


@pytest.mark.parametrize(
    ("headers", "device", "device_id", "platform"),
    [
        ({"user-agent": "Mozilla/5.0"}, ANDROID_15, "d", "android"),  # the device object outranks the agent
        ({}, IOS_PUSH, "d", "ios"),
        ({"user-agent": "okhttp/4.12.0"}, None, "d", "android"),
        ({"user-agent": "App/1 CFNetwork/1568 Darwin/24.0.0"}, None, "d", "ios"),
        ({}, {"locale": "en_US", "os_version": "14"}, "A0B1C2D3-E4F5-4A6B-8C7D-9E0F1A2B3C4D", "ios"),
        ({}, {"locale": "en_US"}, "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d", "web"),
    ],
)
def test_the_platform_of_the_sender(headers: dict[str, str], device: Any, device_id: str, platform: str) -> None:
    model = Device.model_validate(device) if device is not None else None
    assert sdk_platform(headers, model, device_id) == platform


def test_a_wrapper_flavor_decides_nothing() -> None:
    decoded = decode("POST", "/api/v3/data", {}, _data(sdk_flavor="react"))
    assert sdk_platform(decoded.headers, decoded.body.device, decoded.device_id) == "web"
