"""Braze data points: what an exchange costs, and which attribute writes were wasted (not a delta).

Braze's rule (docs/data-plan.md#data-points): a session start, a session end, a custom event, a purchase, and each
attribute set on a profile count one data point each. Push tokens, device information, engagement events
(in-app message, card, push, banner interactions) and subscription state changes do not. Braze asks teams to send
only what changed, because an attribute re-sent with the value it already has still counts. That is what
`DataPointLedger` flags as waste.

It replays decoded requests in journal order, so it works alike live (a test's scope), on a journal file
(`braze-harness dictionary`) and on any list of entries. Because it reads the wire rather than the emulator's state,
"the value it already has" means the last value this user's traffic set in what the ledger has seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from braze_harness.journal import JournalEntry
from braze_harness.protocol.attributes import STANDARD_ATTRIBUTES
from braze_harness.protocol.decode import DecodedRequest
from braze_harness.protocol.requests import DataRequest

# standard attributes that are subscription states: changing them costs no data point
_FREE_STANDARD = frozenset({"email_subscribe", "push_subscribe"})
_COUNTED_STANDARD = tuple(k for k in STANDARD_ATTRIBUTES if k not in _FREE_STANDARD)
# event codes that count: sessions, custom events, purchases, and custom attribute operations (each sets an attribute)
_COUNTED_EVENTS = {"ss": "sessions", "se": "sessions", "ce": "custom_events", "p": "purchases"}
_ATTRIBUTE_EVENTS = frozenset({"set", "add", "rem", "inc", "ncam", "lcaa", "lcar"})
ANONYMOUS = "(anonymous)"


@dataclass
class DataPoints:
    """Data points of some traffic: `used` in total, by kind, and `wasted` (non-delta attribute writes)."""

    used: int = 0
    wasted: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    waste: list[str] = field(default_factory=list)  # what was wasted, one line each

    def add(self, other: DataPoints) -> None:
        self.used += other.used
        self.wasted += other.wasted
        self.by_kind.update(other.by_kind)
        self.waste.extend(other.waste)

    def line(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.by_kind.items()))
        return f"{self.used} data points ({kinds or 'none'}), {self.wasted} wasted on unchanged attributes"


class DataPointLedger:
    """Feed decoded requests in order; read the data points per user and in total."""

    def __init__(self) -> None:
        self.by_user: dict[str, DataPoints] = {}
        self._last: dict[tuple[str, str], Any] = {}  # (user, attribute) -> last value set

    def feed(self, decoded: DecodedRequest, *, seq: int | None = None) -> None:
        body = decoded.body
        if not isinstance(body, DataRequest):
            return
        device = body.device_id or ""
        for attrs in body.attributes:
            user = attrs.user_id or ANONYMOUS
            standard = attrs.standard_updates()
            for key in _COUNTED_STANDARD:
                if key in standard:
                    self._attribute(user, device, key, standard[key], seq)
            for key, value in attrs.custom_updates().items():
                self._attribute(user, device, f"custom.{key}", value, seq)
        for event in body.events:
            user = event.user_id or ANONYMOUS
            kind = _COUNTED_EVENTS.get(event.name)
            if kind is not None:
                self._count(user, kind)
            elif event.name in _ATTRIBUTE_EVENTS:
                self._count(user, "attributes")  # an operation changes the value: never a repeat

    def total(self) -> DataPoints:
        total = DataPoints()
        for points in self.by_user.values():
            total.add(points)
        return total

    def user(self, external_id: str) -> DataPoints:
        return self.by_user.get(external_id, DataPoints())

    def _count(self, user: str, kind: str) -> DataPoints:
        points = self.by_user.get(user)
        if points is None:
            points = self.by_user[user] = DataPoints()
        points.used += 1
        points.by_kind[kind] += 1
        return points

    def _attribute(self, user: str, device: str, key: str, value: Any, seq: int | None) -> None:
        points = self._count(user, "attributes")
        # an anonymous user is the device's: keep their values apart per device
        slot = (user if user != ANONYMOUS else f"{ANONYMOUS}:{device}", key)
        if slot in self._last and self._last[slot] == value and type(self._last[slot]) is type(value):
            points.wasted += 1
            where = f"#{seq} " if seq is not None else ""
            points.waste.append(f"{where}{user}: {key} re-sent unchanged ({value!r})")
        self._last[slot] = value


def ledger_of(entries: Iterable[JournalEntry]) -> DataPointLedger:
    """The ledger of journal entries, in their order (waste is named by entry `#seq`)."""
    ledger = DataPointLedger()
    for entry in entries:
        ledger.feed(entry.request, seq=entry.seq)
    return ledger
