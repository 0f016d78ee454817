"""Emulator settings, validated so a bad value fails with the field's name."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from braze_harness.protocol.wire import Limits
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class Backoff(BaseModel):
    """Server-config `request_backoff`: the SDK's retry delays. Short by default so retries land in seconds."""

    model_config = ConfigDict(extra="forbid")
    min_sleep_duration_ms: int = Field(500, ge=0)
    scale_factor: float = Field(2, gt=0)
    max_sleep_duration_ms: int = Field(2000, ge=0)


class EmulatorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(9090, ge=0, le=65535)
    unknown_api_keys: Literal["auto_create", "reject"] = "auto_create"
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    journal_cap: int = Field(20_000, ge=1)
    journal_db: Path | None = None  # optional SQLite copy of the journal, for inspection after the run
    # the team's data plan (docs/data-plan.md): every exchange is checked against it, violations reported as `plan`
    data_plan: Path | None = None
    keep_anonymous_events_on_merge: bool = True  # the docs disagree (docs/server-behaviour.md, anonymous-history-on-merge)

    # control API access (docs/security.md): with a token every /_emulator/ call but the health check must carry it
    # (`Authorization: Bearer`, or `X-Emulator-Token`); required beyond loopback (the CLI then makes one), optional on it
    control_token: SecretStr | None = Field(None, min_length=16)

    # what the first /data/ answer's `config` turns on (docs/web-sdk-wire.md, server-config)
    content_cards: bool = True
    feature_flags: bool = True
    feature_flags_refresh_rate_limit: int = 0
    banners: bool = True
    banners_max_placements: int = 10
    # the documented Content Cards refresh limit (messaging/rate_limit.py): a token bucket per device, off by default
    content_cards_rate_limit: bool = False
    content_cards_rate_limit_capacity: int = Field(5, ge=1)
    content_cards_rate_limit_refill_s: float = Field(180, gt=0)
    # the SDK's default client rate limiter silently drops data under bursts (docs/web-sdk-wire.md, rate-limiting): off by default
    client_rate_limit: bool = False
    request_backoff: Backoff | None = Field(default_factory=Backoff)
    minimum_session_timeout: int | None = Field(None, ge=1)
    messaging_session_timeout: int | None = None

    # Connected Content (docs/server-behaviour.md#templated-messages-and-connected-content): the hosts its URLs may
    # reach: host names, IPs or CIDRs. Loopback only by default; 0.0.0.0, link-local and this machine's own
    # non-loopback addresses are refused unless an IP/CIDR entry names them.
    connected_content_allow: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1", "localhost"])

    @field_validator("connected_content_allow")
    @classmethod
    def _hosts_or_networks(cls, entries: list[str]) -> list[str]:
        import ipaddress
        import re

        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                if not re.fullmatch(r"(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?", entry):
                    raise ValueError(f"{entry!r} is neither a host name nor an IP address or CIDR") from None
        return entries

    # limits (docs/limits.md): what hostile or broken input is refused with, each a 4xx JSON error naming it
    max_expanded_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)  # a body after gzip/deflate expansion -> 413
    max_header_bytes: int = Field(64 * 1024, ge=1024)  # request line + headers, all together -> 431
    header_timeout_s: float = Field(10.0, gt=0)  # a request's headers must be complete within this -> closed
    max_json_depth: int = Field(64, ge=4, le=200)  # object/array nesting (orjson serialises at most 254 levels)
    max_identifier_bytes: int = Field(997, ge=16)  # user_id, device_id, alias names: the Web SDK's own cap
    max_events_per_request: int = Field(1000, ge=1)  # events + attributes objects in one request -> 400
    max_json_values: int = Field(100_000, ge=1000)  # values (scalars + containers) in one body -> 400
    journal_max_bytes: int = Field(256 * 1024 * 1024, ge=1024 * 1024)  # the journal's memory, oldest dropped

    def limits(self) -> Limits:
        """The normalizer's and the decoder's limits (`braze_harness.protocol.wire.Limits`) from these settings."""
        return Limits(
            max_expanded_body_bytes=self.max_expanded_body_bytes,
            max_json_depth=self.max_json_depth,
            max_identifier_bytes=self.max_identifier_bytes,
            max_events_per_request=self.max_events_per_request,
            max_json_values=self.max_json_values,
        )
