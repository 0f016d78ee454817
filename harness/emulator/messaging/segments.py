"""Segment membership, evaluated on the control-API profile JSON (`EmulatorState.profile_json`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from braze_harness.emulator.messaging.models import (
    AttributeFilter,
    CountFilter,
    ExternalIdFilter,
    PushSubscriptionFilter,
    Segment,
    SegmentRefFilter,
    SessionTimeFilter,
)

_MISSING = object()


def compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return actual is not _MISSING and actual is not None
    if op == "not_exists":
        return actual is _MISSING or actual is None
    if actual is _MISSING or actual is None:
        return op in ("ne", "not_in")
    try:
        match op:
            case "eq":
                return actual == expected
            case "ne":
                return actual != expected
            case "gt":
                return actual > expected
            case "gte":
                return actual >= expected
            case "lt":
                return actual < expected
            case "lte":
                return actual <= expected
            case "in":
                return actual in expected
            case "not_in":
                return actual not in expected
            case "contains":
                return expected in actual
            case "regex":
                return re.search(str(expected), str(actual)) is not None
    except TypeError:
        return False
    return False


def _attribute(profile: dict[str, Any], name: str) -> Any:
    attrs = profile.get("attributes", {})
    custom = attrs.get("custom", {})
    if name.startswith("custom."):
        return custom.get(name[7:], _MISSING)
    if name in attrs and name != "custom":
        return attrs[name]
    return custom.get(name, _MISSING)


def evaluate(
    segment: Segment | None, profile: dict[str, Any] | None, lookup: Callable[[str], Segment | None], depth: int = 0
) -> bool:
    """Whether `profile` is in `segment` (None = everyone; no profile = only 'everyone')."""
    if segment is None:
        return True
    if profile is None:
        return False
    if depth > 10:
        return False  # a segment referring to itself
    ok = all(_matches(f, profile, lookup, depth) for f in segment.filters)
    if ok and segment.any_of:
        ok = any(all(_matches(f, profile, lookup, depth) for f in group) for group in segment.any_of)
    return ok


def filter_value(f: Any, profile: dict[str, Any]) -> Any:
    """The profile's value a filter compares (what `_matches` tests; what a "why not" reason shows)."""
    match f:
        case AttributeFilter():
            return _attribute(profile, f.name)
        case ExternalIdFilter():
            return profile.get("external_id")
        case CountFilter(type="custom_event" | "purchase"):
            counts = profile.get("custom_events" if f.type == "custom_event" else "purchases", {})
            return counts.get(f.name, 0) if f.name else sum(counts.values())
        case CountFilter():
            return profile.get("sessions", {}).get("count", 0)
        case SessionTimeFilter():
            return profile.get(f.type)
        case PushSubscriptionFilter():
            return profile.get("attributes", {}).get("push_subscribe")
    return None


def _matches(f: Any, profile: dict[str, Any], lookup: Callable[[str], Segment | None], depth: int) -> bool:
    match f:
        case PushSubscriptionFilter():
            return filter_value(f, profile) == f.value
        case SegmentRefFilter():
            return evaluate(lookup(f.id), profile, lookup, depth + 1) == f.member
        case AttributeFilter() | ExternalIdFilter() | CountFilter() | SessionTimeFilter():
            return compare(f.op, filter_value(f, profile), f.value)
    return False
