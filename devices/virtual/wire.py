"""How a virtual device's requests are built: the envelope every body starts with, the SDK's headers, the body of
a `data` request and of the other endpoints, and the `device` object sent as a diff.

Pure building, no sending: the device (device.py) decides what goes out and when. Facts: the envelope,
`respond_with`, headers per platform, the device object sent when it changed
(docs/mobile-wire.md, envelope-and-device-object and headers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from braze_harness.devices.virtual.outbound import Batch
from braze_harness.devices.virtual.profiles import PlatformProfile

_MISSING: Any = object()


def envelope(
    profile: PlatformProfile,
    *,
    api_key: str,
    app_version: str,
    app_version_code: str,
    device_id: str,
    sdk_version: str,
    now: float,
) -> dict[str, Any]:
    """The fields every request body starts with (the `time` as the platform writes it, iOS's `sdk_metadata`)."""
    body: dict[str, Any] = {
        "api_key": api_key,
        "app_version": app_version,
        "app_version_code": app_version_code,
        "device_id": device_id,
        "sdk_version": sdk_version,
        "time": profile.envelope_time(now),
    }
    if profile.sdk_metadata:
        body["sdk_metadata"] = list(profile.sdk_metadata)
    return body


def headers(profile: PlatformProfile, api_key: str, signature: str | None, flags: Mapping[str, str]) -> dict[str, str]:
    """The api key, the SDK authentication signature when set, and the request-kind flags (`data`, `triggers`,
    `content_cards`, ...) spelled the platform's way."""
    found = {"X-Braze-Api-Key": api_key}
    if signature:
        found["X-Braze-Auth-Signature"] = signature
    for name, value in flags.items():
        found[profile.headers[name]] = value
    return found


def request_body(envelope: dict[str, Any], user_id: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A body for an endpoint other than `data`: the envelope, the current user (if known), then `fields`."""
    body = dict(envelope)
    if user_id is not None:
        body["user_id"] = user_id
    body.update(fields)
    return body


def data_body(
    envelope: dict[str, Any], batch: Batch, device: Mapping[str, Any], *, config_time: int, user_id: str | None
) -> dict[str, Any]:
    """A `data` body: the envelope, the device diff, the batch's attributes and events, and `respond_with` (the
    server config newer than `config_time`; triggers with a session start; the user's id)."""
    body = dict(envelope)
    if device:
        body["device"] = dict(device)
    if batch.attributes:
        body["attributes"] = [a.to_wire() for a in batch.attributes]
    if batch.events:
        body["events"] = batch.events
    respond_with: dict[str, Any] = {"config": {"config_time": config_time}}
    if batch.has_session_start():
        respond_with["triggers"] = True
    if user_id is not None:
        respond_with["user_id"] = user_id
    body["respond_with"] = respond_with
    return body


class DeviceObject:
    """The `device` object: the live device info (locale, time zone, OS version, ... plus what the push state adds)
    and what the server acknowledged; a request carries only what changed since."""

    def __init__(self, info: Mapping[str, Any]) -> None:
        self.info: dict[str, Any] = dict(info)
        self.acked: dict[str, Any] = {}

    def update(self, changes: Mapping[str, Any]) -> None:
        self.info.update(changes)

    def diff(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """What is not acknowledged yet of the live info plus `extra` (the push state's fields)."""
        live = {**self.info, **extra}
        return {k: v for k, v in live.items() if self.acked.get(k, _MISSING) != v}

    def acknowledge(self, sent: Mapping[str, Any]) -> None:
        self.acked.update(sent)

    def forget(self) -> None:
        """A fresh install: nothing was acknowledged."""
        self.acked = {}
