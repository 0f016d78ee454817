"""Responses the SDKs read (docs/web-sdk-wire.md, data-answer and server-config; docs/mobile-wire.md, answers)."""

from __future__ import annotations

from typing import Any, Literal

from braze_harness.protocol.events import Wire
from pydantic import Field


class RateLimitConfig(Wire):
    enabled: bool = False
    capacity: int | None = None
    refill_rate: float | None = None
    endpoint_overrides: dict[str, Any] | None = None


class RequestBackoff(Wire):
    min_sleep_duration_ms: int = 10_000
    scale_factor: float = 3
    max_sleep_duration_ms: int = 300_000


class ServerConfig(Wire):
    """The `config` object. The three blacklists are required: BrazeKit (Swift 18) drops a config without them
    (docs/mobile-wire.md, server-config); the Android and Web SDKs read every key as optional."""

    time: int
    events_blacklist: list[str]
    attributes_blacklist: list[str]
    purchases_blacklist: list[str]
    messaging_session_timeout: int | None = None
    minimum_session_timeout: int | None = None
    vapid_public_key: str | None = None
    content_cards: dict[str, Any] | None = None
    feature_flags: dict[str, Any] | None = None
    banners: dict[str, Any] | None = None
    global_request_rate_limit: RateLimitConfig | None = None
    request_backoff: RequestBackoff | None = None
    dust: dict[str, Any] | None = None
    conversational_chat: dict[str, Any] | None = None


class AuthError(Wire):
    error_code: int
    reason: str | None = None


class TriggerCondition(Wire):
    type: (
        Literal[
            "open",
            "test",
            "custom_event",
            "custom_event_property",
            "purchase",
            "purchase_property",
            "push_click",
            "iam_click",
        ]
        | str
    )
    data: dict[str, Any] | None = None


class Trigger(Wire):
    id: str
    trigger_condition: list[TriggerCondition]
    type: Literal["inapp", "templated_iam"] = "inapp"
    data: dict[str, Any]
    priority: int = 1
    start_time: float | None = None
    end_time: float | None = None
    delay: float = 0
    timeout: float | None = None
    re_eligibility: float = -1
    min_seconds_since_last_trigger: float | None = None


class DataResponse(Wire):
    config: ServerConfig | None = None
    triggers: list[Trigger] | None = None
    auth_error: AuthError | None = None
    error: str | None = None


class Card(Wire):
    id: str
    tp: str | None = None
    tt: str | None = None
    ds: str | None = None
    i: str | None = None
    u: str | None = None
    dm: str | None = None
    ca: float | None = None
    ea: float | None = None
    v: bool | None = None
    cl: bool | None = None
    p: bool | None = None
    db: bool | None = None
    r: bool | None = None
    e: dict[str, Any] | None = None
    ar: float | None = None
    t: bool | None = None


class ContentCardsSyncResponse(Wire):
    cards: list[Card] | None = None
    full_sync: bool | None = None
    last_full_sync_at: float | None = None
    last_card_updated_at: float | None = None
    auth_error: AuthError | None = None
    error: str | None = None


class FlagProperty(Wire):
    type: str
    value: Any = None


class FeatureFlag(Wire):
    id: str
    enabled: bool
    fts: str | None = None
    properties: dict[str, FlagProperty] = Field(default_factory=dict)


class FeatureFlagsSyncResponse(Wire):
    feature_flags: list[FeatureFlag] | None = None
    auth_error: AuthError | None = None
    error: str | None = None


class TemplatedMessage(Wire):
    type: str = "inapp"
    data: dict[str, Any]


class TemplateResponse(Wire):
    templated_message: TemplatedMessage | None = None
    auth_error: AuthError | None = None
    error: str | None = None


class BannersSyncResponse(Wire):
    banners: dict[str, Any] | list[Any] | None = None
    request_time: float | None = None
    dismissals: dict[str, Any] | None = None
    auth_error: AuthError | None = None
    error: str | None = None
