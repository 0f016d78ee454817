"""Profiles and what a workspace keeps of its devices, as the JSON documents the PostgreSQL state store keeps
(state/store_pg.py), and back. Kept as JSON text (BYTEA), not JSONB: JSONB reorders object keys, and the order of a
profile's attributes and logs is part of what the emulator shows.

Tuple keys (app, device) become lists; a Decimal revenue its string; an unknown identification time (infinity) null."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson
from braze_harness.emulator.state.profiles import DeviceUse, Occurrences, Profile, PushToken, SessionRecord
from braze_harness.emulator.state.workspaces import DeviceRecord, DeviceState


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits (JSON allows it): the standard library writes it exactly
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | memoryview) -> Any:
    data = bytes(raw)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _occurrences(table: dict[str, Occurrences]) -> dict[str, list[Any]]:
    return {name: [o.count, o.first, o.last] for name, o in table.items()}


def profile_doc(p: Profile) -> bytes:
    return dumps(
        {
            "braze_id": p.braze_id,
            "workspace": p.workspace,
            "external_id": p.external_id,
            "created_at": p.created_at,
            "standard": p.standard,
            "custom": p.custom,
            "standard_set_at": p.standard_set_at,
            "custom_set_at": p.custom_set_at,
            "aliases": p.aliases,
            "custom_events": _occurrences(p.custom_events),
            "custom_event_log": p.custom_event_log,
            "purchases": _occurrences(p.purchases),
            "purchase_log": p.purchase_log,
            "revenue": str(p.revenue),
            "sessions": [[s.session_id, s.device_id, s.app, s.start, s.end, s.duration] for s in p.sessions.values()],
            "devices": [
                [d.device_id, d.app, d.platform, d.sdk_version, d.device, d.first_seen, d.last_seen] for d in p.devices.values()
            ],
            "push_tokens": [
                [t.app, t.device_id, t.token, t.platform, t.notifications_enabled, t.keys] for t in p.push_tokens.values()
            ],
            "subscription_groups": p.subscription_groups,
            "location": p.location,
            "engagement_log": p.engagement_log,
            "merged_from": p.merged_from,
        }
    )


def profile_from(raw: bytes | memoryview) -> Profile:
    d = loads(raw)
    sessions = [SessionRecord(*s) for s in d["sessions"]]
    devices = [DeviceUse(*u) for u in d["devices"]]
    tokens = [PushToken(*t) for t in d["push_tokens"]]
    return Profile(
        braze_id=d["braze_id"],
        workspace=d["workspace"],
        external_id=d["external_id"],
        created_at=d["created_at"],
        standard=d["standard"],
        custom=d["custom"],
        standard_set_at=d.get("standard_set_at", {}),  # absent from documents written before set times were kept
        custom_set_at=d.get("custom_set_at", {}),
        aliases=d["aliases"],
        custom_events={n: Occurrences(*o) for n, o in d["custom_events"].items()},
        custom_event_log=d["custom_event_log"],
        purchases={n: Occurrences(*o) for n, o in d["purchases"].items()},
        purchase_log=d["purchase_log"],
        revenue=Decimal(d["revenue"]),
        sessions={s.session_id: s for s in sessions},
        devices={(u.app, u.device_id): u for u in devices},
        push_tokens={(t.app, t.device_id): t for t in tokens},
        subscription_groups=d["subscription_groups"],
        location=d["location"],
        engagement_log=d["engagement_log"],
        merged_from=d["merged_from"],
    )


def device_state_doc(s: DeviceState) -> bytes:
    claimed_at = None if math.isinf(s.claimed_at) else s.claimed_at
    current = {app: [braze_id, since] for app, (braze_id, since) in s.current.items()}
    return dumps([s.anonymous, s.claimed_by, claimed_at, current])


def device_state_from(device_id: str, raw: bytes | memoryview) -> DeviceState:
    anonymous, claimed_by, claimed_at, current = loads(raw)
    return DeviceState(
        device_id,
        anonymous=anonymous,
        claimed_by=claimed_by,
        claimed_at=float("inf") if claimed_at is None else claimed_at,
        current={app: (braze_id, since) for app, (braze_id, since) in current.items()},
    )


def device_record_doc(r: DeviceRecord) -> bytes:
    return dumps([r.device, r.sdk_version, r.app_version, r.first_seen, r.last_seen])


def device_record_from(app: str, device_id: str, raw: bytes | memoryview) -> DeviceRecord:
    device, sdk_version, app_version, first_seen, last_seen = loads(raw)
    return DeviceRecord(app, device_id, device, sdk_version, app_version, first_seen, last_seen)


def pair(first: str, second: str) -> str:
    """A two-part key (alias label and name, app and device) as one unambiguous text for an array column."""
    return orjson.dumps([first, second]).decode()


def unpair(text: str) -> tuple[str, str]:
    first, second = orjson.loads(text)
    return first, second
