"""Request bodies per SDK endpoint (docs/web-sdk-wire.md, endpoints; docs/mobile-wire.md, envelope-and-device-object)."""

from __future__ import annotations

from typing import Any

from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.device import Device
from braze_harness.protocol.events import Alias, Event, Wire
from pydantic import Field


class Envelope(Wire):
    """Fields every SDK request carries. `time` is int seconds on web/Android, float on iOS."""

    api_key: str | None = None
    time: float | None = None
    sdk_version: str | None = None
    device_id: str | None = None
    device: Device | None = None  # a diff: only what changed (docs/mobile-wire.md, envelope-and-device-object)
    sdk_metadata: list[str] | None = None
    sdk_flavor: str | None = None
    app_version: str | None = None
    app_version_code: str | None = None
    user_id: str | None = None
    alias: Alias | None = None


class ConfigTime(Wire):
    config_time: float = 0


class RespondWith(Wire):
    triggers: bool | None = None
    user_id: str | None = None
    alias: Alias | None = None
    config: ConfigTime | None = None
    feed: bool | None = None


class DataRequest(Envelope):
    respond_with: RespondWith | None = None
    events: list[Event] = Field(default_factory=list)
    attributes: list[Attributes] = Field(default_factory=list)

    @property
    def requesting_user_id(self) -> str | None:
        return self.respond_with.user_id if self.respond_with else None


class ContentCardsSyncRequest(Envelope):
    last_full_sync_at: float = 0
    last_card_updated_at: float = 0


class FeatureFlagsSyncRequest(Envelope):
    pass


class TemplateSpec(Wire):
    trigger_id: str
    trigger_event_type: str | None = None
    data: dict[str, Any] | None = None


class TemplateRequest(Envelope):
    respond_with: RespondWith | None = None
    template: TemplateSpec


class Placement(Wire):
    id: str


class PendingDismissal(Wire):
    banner_id: str | None = None
    stable_key: str | None = None
    dismissal_time: float | None = None


class BannersSyncRequest(Envelope):
    time_ms: float | None = None
    placements: list[Placement] = Field(default_factory=list)
    pending_dismissals: list[PendingDismissal] = Field(default_factory=list)


class PushUnregisterRequest(Envelope):
    push_token: str | None = None


class GenericSdkRequest(Envelope):
    """An `/api/v3/...` endpoint this harness does not model (geofences, DUST, debugger...)."""
