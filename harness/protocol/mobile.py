"""The Android and Swift SDKs' endpoints beyond the Web SDK's: their requests and what the SDK reads of the answer
(docs/mobile-wire.md, mobile-only-endpoints). Bodies are the common envelope plus the fields below; what the SDK reads
is the shared answer parser's keys (`geofences`, the real-time stream's `host`, `mite`, `auth`, `expiration`)."""

from __future__ import annotations

from typing import Any

from braze_harness.protocol.events import Wire
from braze_harness.protocol.requests import Envelope
from pydantic import Field


class SdkEvent(Wire):
    """An event as the SDK serialises it (`name`, `time`, `data`, ...), outside a /data/ batch."""

    name: str
    time: float | None = None
    data: dict[str, Any] | None = None
    user_id: str | None = None
    session_id: str | None = None


class PushDeliveryEventsRequest(Envelope):
    """`push/delivery_events`: the `pde` events of pushes the device received (Android)."""

    events: list[SdkEvent] = Field(default_factory=list)


class PushRedeliverRequest(Envelope):
    """`push/redeliver` (the SDK's "PushMaxSendRequest"): the campaigns whose pushes the device missed (Android)."""

    campaign_ids: list[str] = Field(default_factory=list)
    last_sync_at: float | None = None
    dedupe_ids: list[str] | None = None


class GeofenceRefreshRequest(Envelope):
    """`geofence/request`: the device's location (an `lr` event), answered with the geofences near it."""

    location_event: SdkEvent | None = None


class GeofenceReportRequest(Envelope):
    """`geofence/report`: one geofence transition (a `g` event)."""

    geofence_event: SdkEvent | None = None


class DebuggerLogLine(Wire):
    log: str | None = None
    time: float | str | None = None


class DebuggerLogBatch(Wire):
    type: str | None = None  # "sdk_event_log"
    data: list[DebuggerLogLine] = Field(default_factory=list)


class DebuggerInitRequest(Envelope):
    """`debugger/init`: Braze's SDK Debugger session starts (the envelope and `user_id`)."""


class DebuggerLogRequest(Envelope):
    """`debugger/log`: the SDK's log lines for the SDK Debugger (header `X-Braze-Rec-Auth-Code`)."""

    data: list[DebuggerLogBatch] = Field(default_factory=list)


class DustConfigRequest(Envelope):
    """`dust/config`: where the real-time stream is (the envelope and `user_id`)."""


# --- answers: what the SDK reads ------------------------------------------------------------------------


class GeofenceRefreshResponse(Wire):
    geofences: list[dict[str, Any]] | None = None  # each geofence's keys are not read here (docs/mobile-wire.md)
    error: str | None = None
    auth_error: dict[str, Any] | None = None


class DustConfigResponse(Wire):
    """The real-time stream's place; without `host` and `mite` the SDK opens no stream."""

    host: str | None = None
    mite: str | None = None
    auth: str | None = None
    expiration: int | None = None
    error: str | None = None
    auth_error: dict[str, Any] | None = None


class EmptyResponse(Wire):
    """An answer the SDK only checks for `error`/`auth_error` (delivery events, redeliver, report, debugger)."""

    error: str | None = None
    auth_error: dict[str, Any] | None = None
