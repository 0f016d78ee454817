"""The outbound queue: events (each stamped with its user and session when logged) and one pending
attributes object per user, merged key by key (a later set of the same key wins; `None` unsets).

`take()` cuts a batch for one request; `put_back()` returns a batch that could not be delivered,
ahead of anything queued since, so nothing is lost and the order is kept.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class PendingAttributes:
    """One `attributes[]` object being built: standard/push keys at the top, custom ones under `custom`."""

    user_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    announced: bool = False  # sent even when empty: `{"user_id"}` alone (Android 43's changeUser)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.user_id is not None:
            out["user_id"] = self.user_id
        out.update(copy.deepcopy(self.fields))
        if self.custom:
            out["custom"] = copy.deepcopy(self.custom)
        return out

    @property
    def empty(self) -> bool:
        return not self.fields and not self.custom


@dataclass(slots=True)
class Batch:
    events: list[dict[str, Any]]
    attributes: list[PendingAttributes]

    @property
    def empty(self) -> bool:
        return not self.events and not self.attributes

    def has_push_token(self) -> bool:
        return any("push_token" in a.fields for a in self.attributes)

    def has_session_start(self) -> bool:
        return any(e["name"] == "ss" for e in self.events)


class OutboundQueue:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.attributes: list[PendingAttributes] = []

    def __len__(self) -> int:
        return len(self.events) + len(self.attributes)

    @property
    def empty(self) -> bool:
        return not self.events and not self.attributes

    def add_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def _bucket(self, user_id: str | None) -> PendingAttributes:
        for bucket in self.attributes:
            if bucket.user_id == user_id:
                return bucket
        bucket = PendingAttributes(user_id)
        self.attributes.append(bucket)
        return bucket

    def announce(self, user_id: str) -> None:
        """An attributes object for `user_id` goes out even with nothing set (what Android 43's changeUser sends)."""
        self._bucket(user_id).announced = True

    def set_field(self, user_id: str | None, key: str, value: Any) -> None:
        self._bucket(user_id).fields[key] = copy.deepcopy(value)

    def set_custom(self, user_id: str | None, key: str, value: Any) -> None:
        self._bucket(user_id).custom[key] = copy.deepcopy(value)

    def pending_field(self, user_id: str | None, key: str) -> Any:
        for bucket in self.attributes:
            if bucket.user_id == user_id and key in bucket.fields:
                return bucket.fields[key]
        return None

    def reassign(self, old: str | None, new: str | None) -> None:
        """The anonymous user's pending attributes become the identified user's (changeUser from anonymous)."""
        for bucket in [b for b in self.attributes if b.user_id == old]:
            self.attributes.remove(bucket)
            _merge_older_into(self._bucket(new), bucket)

    def take(self, max_events: int | None, *, with_attributes: bool = True) -> Batch:
        n = len(self.events) if max_events is None else min(max_events, len(self.events))
        events, self.events = self.events[:n], self.events[n:]
        attributes: list[PendingAttributes] = []
        if with_attributes:
            attributes, self.attributes = [a for a in self.attributes if not a.empty or a.announced], []
        return Batch(events, attributes)

    def put_back(self, batch: Batch) -> None:
        self.events[:0] = batch.events
        for older in reversed(batch.attributes):
            newer = next((b for b in self.attributes if b.user_id == older.user_id), None)
            if newer is None:
                self.attributes.insert(0, older)
            else:
                _merge_older_into(newer, older)


def _merge_older_into(newer: PendingAttributes, older: PendingAttributes) -> None:
    """Keep `newer`'s values, add what only `older` has."""
    newer.fields = {**older.fields, **newer.fields}
    newer.custom = {**older.custom, **newer.custom}
    newer.announced = newer.announced or older.announced
