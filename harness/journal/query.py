"""Journal queries: pure predicates over entries, also built from HTTP query parameters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from braze_harness.errors import HarnessConfigError
from braze_harness.journal.entry import JournalEntry


@dataclass(frozen=True, slots=True)
class Query:
    scope: str | None = None
    api_key: str | None = None
    device_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    event_code: str | None = None
    event_name: str | None = None  # custom event name or purchase product id
    endpoint: str | None = None
    source: str | None = None
    good: bool | None = None
    since: float | None = None  # received_at >= since (unix s)
    until: float | None = None
    after_seq: int = 0
    limit: int | None = None  # newest N

    def matches(self, e: JournalEntry) -> bool:
        if e.seq <= self.after_seq:
            return False
        if self.scope is not None and e.scope != self.scope:
            return False
        if self.source is not None and e.source != self.source:
            return False
        if self.since is not None and e.received_at < self.since:
            return False
        if self.until is not None and e.received_at > self.until:
            return False
        if self.good is not None and e.good != self.good:
            return False
        if self.api_key is not None and e.api_key != self.api_key:
            return False
        if self.device_id is not None and e.device_id != self.device_id:
            return False
        if self.endpoint is not None and e.endpoint != self.endpoint:
            return False
        if self.user_id is not None and self.user_id not in e.user_ids:
            return False
        if self.session_id is not None and self.session_id not in e.session_ids:
            return False
        if self.event_code is not None and self.event_code not in e.event_codes:
            return False
        return self.event_name is None or self.event_name in e.event_names

    @classmethod
    def from_params(cls, params: dict[str, str]) -> Query:
        """Build from HTTP query parameters; a bad value is the caller's mistake (HarnessConfigError)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in params.items():
            if key not in known:
                raise HarnessConfigError(f"unknown journal filter {key!r}; known: {', '.join(sorted(known))}")
            try:
                if key in ("after_seq", "limit"):
                    values[key] = int(raw)
                    if values[key] < (1 if key == "limit" else 0):
                        raise ValueError(raw)
                elif key in ("since", "until"):
                    values[key] = float(raw)
                elif key == "good":
                    if raw.lower() not in ("true", "false", "1", "0"):
                        raise ValueError(raw)
                    values[key] = raw.lower() in ("true", "1")
                else:
                    values[key] = raw
            except ValueError:
                raise HarnessConfigError(f"bad value for journal filter {key!r}: {raw!r}") from None
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "after_seq" and value == 0):
                continue
            out[f.name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out
