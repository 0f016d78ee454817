"""One journal entry: a decoded exchange plus what the harness decided about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from harness.protocol.decode import DecodedRequest, Problem, decode
from harness.protocol.events import CustomEvent, Event, Purchase


@dataclass(slots=True)
class Exchange:
    """What went over the wire, kept verbatim so any reader can re-run the one decoder on it."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int | None = None
    response: Any = None  # the JSON answered (or text), None when no answer (dropped)


@dataclass(eq=False)
class JournalEntry:
    seq: int
    received_at: float  # unix seconds (server clock)
    source: str  # emulator | proxy | har | virtual-device
    exchange: Exchange
    scope: str | None = None
    duration_ms: float | None = None
    problems: list[Problem] = field(default_factory=list)  # decoder problems + processing problems
    _decoded: DecodedRequest | None = None

    @cached_property
    def request(self) -> DecodedRequest:
        if self._decoded is None:
            ex = self.exchange
            self._decoded = decode(ex.method, ex.url, ex.headers, ex.body)
        return self._decoded

    # -- indexes used by queries ---------------------------------------------------------------

    @property
    def good(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def endpoint(self) -> str | None:
        ep = self.request.endpoint
        return ep.value if ep else None

    @property
    def api_key(self) -> str | None:
        return self.request.api_key

    @property
    def device_id(self) -> str | None:
        return self.request.device_id

    @property
    def events(self) -> list[Event]:
        return self.request.events

    @cached_property
    def user_ids(self) -> frozenset[str]:
        return frozenset(self.request.user_ids)

    @cached_property
    def session_ids(self) -> frozenset[str]:
        return frozenset(e.session_id for e in self.events if e.session_id)

    @cached_property
    def event_codes(self) -> frozenset[str]:
        return frozenset(e.name for e in self.events)

    @cached_property
    def event_names(self) -> frozenset[str]:
        names = set()
        for e in self.events:
            if isinstance(e, CustomEvent):
                names.add(e.data.n)
            elif isinstance(e, Purchase):
                names.add(e.data.pid)
        return frozenset(names)

    # -- transport -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        ex = self.exchange
        return {
            "seq": self.seq,
            "received_at": self.received_at,
            "source": self.source,
            "scope": self.scope,
            "duration_ms": self.duration_ms,
            "good": self.good,
            "endpoint": self.endpoint,
            "api_key": self.api_key,
            "device_id": self.device_id,
            "user_ids": sorted(self.user_ids),
            "events": [e.model_dump(mode="json", exclude_none=True) for e in self.events],
            "problems": [p.model_dump() for p in self.problems],
            "request": {"method": ex.method, "url": ex.url, "headers": ex.headers, "body": ex.body},
            "response": {"status": ex.status, "body": ex.response},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        req, resp = data["request"], data.get("response") or {}
        return cls(
            seq=data["seq"],
            received_at=data["received_at"],
            source=data["source"],
            scope=data.get("scope"),
            duration_ms=data.get("duration_ms"),
            exchange=Exchange(req["method"], req["url"], req["headers"], req.get("body"), resp.get("status"), resp.get("body")),
            problems=[Problem(**p) for p in data.get("problems", [])],
        )

    def to_jsonl(self) -> bytes:
        return orjson.dumps(self.to_json())

    def summary(self) -> str:
        """One line, decoded: used in failure messages and the plain-text artifacts."""
        import time as _time

        stamp = _time.strftime("%H:%M:%S", _time.localtime(self.received_at)) + f".{int(self.received_at * 1000) % 1000:03d}"
        req = self.request
        status = self.exchange.status if self.exchange.status is not None else "---"
        parts = [f"#{self.seq} {stamp} {req.method} {req.path} {status}"]
        if not self.good:
            parts.append("BAD[" + "; ".join(str(p) for p in self.problems if p.severity == "error")[:300] + "]")
        parts.extend(describe_event(e) for e in self.events)
        for a in req.attributes:
            fields = a.model_dump(exclude_unset=True, exclude={"user_id", "alias"})
            parts.append(f"attrs(user={a.user_id or 'anonymous'}) {_short(fields)}")
        if req.body is not None and not req.events and not req.attributes and req.user_ids:
            parts.append(f"user={','.join(sorted(req.user_ids))}")
        return "  ".join(parts)


def describe_event(e: Event) -> str:
    who = e.user_id or "anonymous"
    if isinstance(e, CustomEvent):
        return f"ce {e.data.n!r} {_short(e.data.p)} (user={who})"
    if isinstance(e, Purchase):
        return f"p {e.data.pid!r} {e.data.p} {e.data.c} x{e.data.q} (user={who})"
    data = e.data.model_dump(exclude_none=True) if hasattr(e.data, "model_dump") else e.data
    return f"{e.name} {_short(data)} (user={who})" if data else f"{e.name} (user={who})"


def _short(value: Any, limit: int = 160) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"
