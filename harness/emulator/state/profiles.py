"""The user profile and its parts, plus the control-API JSON view of it (`GET /_emulator/profiles`)."""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from braze_harness.protocol.attributes import STANDARD_ATTRIBUTES

# (app api key, device_id): push tokens and devices are per app *and* device (docs/server-behaviour.md, push-registration)
DeviceKey = tuple[str, str]


def new_braze_id() -> str:
    """24 hex digits shaped like Braze's ids (a Mongo ObjectId: 4-byte time + 8 random bytes)."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_hex(8)}"


@dataclass(slots=True)
class SessionRecord:
    session_id: str
    device_id: str | None
    app: str
    start: float | None = None  # None: only the `se` was seen (its `ss` was lost or has not arrived yet)
    end: float | None = None
    duration: float | None = None

    @property
    def started(self) -> bool:
        return self.start is not None


@dataclass(slots=True)
class DeviceUse:
    """One (app, device) this profile was seen on, with the device's details as of the last sighting."""

    device_id: str
    app: str
    platform: str
    sdk_version: str | None
    device: dict[str, Any]
    first_seen: float
    last_seen: float


@dataclass(slots=True)
class PushToken:
    app: str
    device_id: str
    token: str
    platform: str
    notifications_enabled: bool = True
    keys: dict[str, Any] = field(default_factory=dict)  # web push: custom_push_public_key / user_auth / vapid key


@dataclass(slots=True)
class Occurrences:
    """Per-name aggregate a profile keeps for custom events and products (docs/server-behaviour.md, events and purchases)."""

    count: int
    first: float
    last: float

    def absorb(self, other: Occurrences) -> None:
        # merge rule (docs/server-behaviour.md, merge-rules): counts add, first takes the earlier, last the later
        self.count += other.count
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)


@dataclass(slots=True)
class Profile:
    braze_id: str
    workspace: str
    external_id: str | None = None
    created_at: float = 0.0
    standard: dict[str, Any] = field(default_factory=dict)  # set standard fields only; unset = absent
    custom: dict[str, Any] = field(default_factory=dict)
    # when each of `standard` / `custom` was last set (unix s, the setting request's server time; same keys):
    # written by attributes.AttributeWriter, carried by attributes.merge_attributes
    standard_set_at: dict[str, float] = field(default_factory=dict)
    custom_set_at: dict[str, float] = field(default_factory=dict)
    # label -> name: one name per label (docs/server-behaviour.md, identifiers)
    aliases: dict[str, str] = field(default_factory=dict)
    custom_events: dict[str, Occurrences] = field(default_factory=dict)
    custom_event_log: list[dict[str, Any]] = field(default_factory=list)
    purchases: dict[str, Occurrences] = field(default_factory=dict)
    purchase_log: list[dict[str, Any]] = field(default_factory=list)
    revenue: Decimal = Decimal(0)  # Decimal so 9.99 x 3 + 0.01 stays exact
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    devices: dict[DeviceKey, DeviceUse] = field(default_factory=dict)
    push_tokens: dict[DeviceKey, PushToken] = field(default_factory=dict)
    subscription_groups: dict[str, str] = field(default_factory=dict)
    location: dict[str, Any] | None = None
    engagement_log: list[dict[str, Any]] = field(default_factory=list)
    merged_from: list[str] = field(default_factory=list)

    @property
    def anonymous(self) -> bool:
        return self.external_id is None

    @property
    def session_count(self) -> int:
        # distinct session ids *started*; an `se`-only record is kept but not counted
        return sum(1 for s in self.sessions.values() if s.started)

    @property
    def first_session(self) -> float | None:
        starts = [s.start for s in self.sessions.values() if s.start is not None]
        return min(starts) if starts else None

    @property
    def last_session(self) -> float | None:
        starts = [s.start for s in self.sessions.values() if s.start is not None]
        return max(starts) if starts else None

    def engagement_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.engagement_log:
            counts[entry["code"]] = counts.get(entry["code"], 0) + 1
        return counts

    def touch_device(self, use: DeviceUse) -> None:
        key = (use.app, use.device_id)
        known = self.devices.get(key)
        if known is None:
            self.devices[key] = use
            return
        known.first_seen = min(known.first_seen, use.first_seen)
        if use.last_seen >= known.last_seen:
            known.last_seen = use.last_seen
            known.platform = use.platform
            known.sdk_version = use.sdk_version or known.sdk_version
            known.device = use.device or known.device


def profile_view(profile: Profile) -> dict[str, Any]:
    """The documented control-API shape. Everything is copied: callers may keep or change it freely."""
    standard = {k: profile.standard[k] for k in STANDARD_ATTRIBUTES if k in profile.standard}  # canonical order
    sessions = sorted(profile.sessions.values(), key=lambda s: s.start if s.start is not None else s.end or 0.0)
    return {
        "braze_id": profile.braze_id,
        "external_id": profile.external_id,
        "workspace": profile.workspace,
        "aliases": [{"alias_name": name, "alias_label": label} for label, name in sorted(profile.aliases.items())],
        "attributes": {**copy.deepcopy(standard), "custom": copy.deepcopy(profile.custom)},
        # the shape of "attributes", with when each was last set in place of its value
        "attribute_set_at": {
            **{k: profile.standard_set_at[k] for k in standard if k in profile.standard_set_at},
            "custom": {k: profile.custom_set_at[k] for k in profile.custom if k in profile.custom_set_at},
        },
        "custom_events": {name: occ.count for name, occ in profile.custom_events.items()},
        "custom_event_log": copy.deepcopy(profile.custom_event_log),
        "purchases": {pid: occ.count for pid, occ in profile.purchases.items()},
        "purchase_log": copy.deepcopy(profile.purchase_log),
        "revenue": float(profile.revenue),
        "engagement": profile.engagement_counts(),  # si, sc, cci, ffi, ... by code
        "sessions": {
            "count": profile.session_count,
            "list": [
                {
                    "session_id": s.session_id,
                    "device_id": s.device_id,
                    "app": s.app,
                    "start": s.start,
                    "end": s.end,
                    "duration": s.duration,
                }
                for s in sessions
            ],
        },
        "devices": [
            {
                "device_id": d.device_id,
                "app": d.app,
                "platform": d.platform,
                "sdk_version": d.sdk_version,
                "device": copy.deepcopy(d.device),
                "first_seen": d.first_seen,
                "last_seen": d.last_seen,
            }
            for d in sorted(profile.devices.values(), key=lambda d: d.first_seen)
        ],
        "push_tokens": [
            {
                "app": t.app,
                "device_id": t.device_id,
                "token": t.token,
                "platform": t.platform,
                "notifications_enabled": t.notifications_enabled,
            }
            for t in profile.push_tokens.values()
        ],
        "subscription_groups": dict(profile.subscription_groups),
        "location": copy.deepcopy(profile.location),
        "first_session": profile.first_session,
        "last_session": profile.last_session,
        "merged_from": list(profile.merged_from),
    }
