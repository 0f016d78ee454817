"""Why a message was or wasn't served: every decision messaging takes while answering an SDK request, recorded with
the request's journal seq, so a failed "the modal shows" can say "campaign 'welcome' was not in the triggers served
at request #34: user 'ada' was not in segment 'pros' (plan eq 'pro': has 'free')".

Serving (serve.py) calls `decide(...)` per campaign and channel while it answers; the pipeline stamps the request's
journal seq on them once journaled (`stamp`). `GET /_emulator/scopes/{scope}/messaging/why` reads `explain(...)`.
Decisions are kept per scope, the last `KEPT` of them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.messaging.models import (
    AttributeFilter,
    CountFilter,
    ExternalIdFilter,
    PushSubscriptionFilter,
    Segment,
    SegmentRefFilter,
    SessionTimeFilter,
    Trigger,
)
from braze_harness.emulator.messaging.segments import _MISSING, _matches, compare, filter_value

KEPT = 2000
CHANNELS = ("in_app", "content_card", "feature_flag", "banner")
_REQUEST = {
    "in_app": "the triggers served",
    "content_card": "the Content Cards served",
    "feature_flag": "the feature flags served on",
    "banner": "the banners served",
}


@dataclass(slots=True)
class Decision:
    channel: str  # in_app | content_card | feature_flag | banner
    campaign: str
    served: bool
    reasons: list[str]
    user_id: str | None
    device_id: str | None
    at: float = field(default_factory=time.time)
    seq: int | None = None  # the journal seq of the request answered (stamped once journaled)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "channel": self.channel,
            "campaign": self.campaign,
            "served": self.served,
            "reasons": list(self.reasons),
            "user_id": self.user_id,
            "device_id": self.device_id,
            "summary": self.summary(),
        }

    def summary(self) -> str:
        at = f"request #{self.seq}" if self.seq is not None else "a request"
        who = f"user {self.user_id!r}" if self.user_id else f"anonymous device {self.device_id!r}"
        where = _REQUEST.get(self.channel, "what was served")
        head = f"{self.channel} {self.campaign!r} was {'' if self.served else 'not '}in {where} at {at} to {who}"
        return head + (": " + "; ".join(self.reasons) if self.reasons else "")


class WhyLog:
    """One scope's decisions, newest last; those of the request being answered wait for its seq in `pending`."""

    def __init__(self) -> None:
        self.decisions: deque[Decision] = deque(maxlen=KEPT)
        self.pending: list[Decision] = []

    def add(self, decision: Decision) -> None:
        self.decisions.append(decision)
        self.pending.append(decision)

    def stamp(self, seq: int) -> None:
        for d in self.pending:
            d.seq = seq
        self.pending.clear()

    def select(
        self, *, campaign: str | None = None, user_id: str | None = None, device_id: str | None = None, channel: str | None = None
    ) -> list[Decision]:
        return [
            d
            for d in self.decisions
            if (campaign is None or d.campaign == campaign)
            and (channel is None or d.channel == channel)
            and (user_id is None or d.user_id == user_id)
            and (device_id is None or d.device_id == device_id)
        ]


# -- the reasons, in words ---------------------------------------------------------------------------


def segment_reasons(segment: Segment | None, profile: dict[str, Any] | None, lookup: Any) -> list[str]:
    """Why `profile` is not in `segment` ([] when it is): the filters that fail, with the profile's values."""
    if segment is None:
        return []
    if profile is None:
        return [f"no profile yet for this user, so not in segment {segment.id!r} (only campaigns for everyone are served)"]
    failing = [_filter_text(f, profile) for f in segment.filters if not _matches(f, profile, lookup, 0)]
    if not failing and segment.any_of:
        groups = [g for g in segment.any_of if all(_matches(f, profile, lookup, 0) for f in g)]
        if not groups:
            failing = ["none of its any_of groups holds: " + " | ".join(_filter_text(g[0], profile) for g in segment.any_of if g)]
    return [f"not in segment {segment.id!r}: " + "; ".join(failing)] if failing else []


def _filter_text(f: Any, profile: dict[str, Any]) -> str:
    if isinstance(f, SegmentRefFilter):
        return f"{'in' if f.member else 'not in'} segment {f.id!r}"
    actual = filter_value(f, profile)
    match f:
        case AttributeFilter():
            has = "has none" if actual is _MISSING or actual is None else f"has {actual!r}"
            return f"{f.name} {f.op} {f.value!r} ({has})"
        case ExternalIdFilter():
            return f"external_id {f.op} {f.value!r} (has {actual!r})"
        case CountFilter(type="custom_event" | "purchase"):
            return f"{f.type} {f.name or '(any)'} count {f.op} {f.value:g} (has {actual})"
        case CountFilter():
            return f"sessions {f.op} {f.value:g} (has {actual})"
        case SessionTimeFilter():
            return f"{f.type} {f.op} {f.value} (has {actual})"
        case PushSubscriptionFilter():
            return f"push_subscribe is {f.value!r} (has {actual!r})"
    return repr(f)


def trigger_text(trigger: Trigger) -> str:
    """What the SDK waits for before it shows a served in-app message."""
    filters = " and ".join(f"{p.key} {p.op} {p.value!r}" for p in trigger.property_filters)
    where = f" where {filters}" if filters else ""
    match trigger.type:
        case "open":
            return "trigger: a session start"
        case "custom_event":
            return f"trigger: custom event {trigger.event!r}{where}"
        case "purchase":
            return f"trigger: purchase {trigger.product_id or '(any product)'!r}{where}"
    return f"trigger: a click on push campaign {trigger.campaign_id!r}"


def trigger_fired(trigger: Trigger, events: list[Any]) -> str | None:
    """Of the user's events logged after the trigger was served, whether one fires it: None if one does, else what
    was seen instead (the trigger filter's verdict)."""
    if trigger.type not in ("custom_event", "purchase"):
        return None
    code = "ce" if trigger.type == "custom_event" else "p"
    near: list[str] = []
    for ev in events:
        if ev.name != code:
            continue
        data = ev.data.model_dump() if hasattr(ev.data, "model_dump") else (ev.data or {})
        name = data.get("n") if code == "ce" else data.get("pid")
        props = (data.get("p") if code == "ce" else data.get("pr")) or {}
        wanted = trigger.event if code == "ce" else trigger.product_id
        if wanted is not None and name != wanted:
            continue
        failing = [p for p in trigger.property_filters if not compare(p.op, props.get(p.key, _MISSING), p.value)]
        if not failing:
            return None
        near.append(f"{name!r} {props} fails " + ", ".join(f"{p.key} {p.op} {p.value!r}" for p in failing))
    what = "custom event" if code == "ce" else "purchase"
    if near:
        return f"trigger filter: no {what} after it was served matched ({'; '.join(near[-2:])})"
    return f"trigger filter: no {what} {trigger.event or trigger.product_id or ''!r} was logged after it was served"


__all__ = ["CHANNELS", "Decision", "WhyLog", "segment_reasons", "trigger_fired", "trigger_text"]
