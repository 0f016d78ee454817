"""One journal entry: a decoded exchange plus what the harness decided about it."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from braze_harness.protocol.decode import DecodedRequest, Endpoint, Problem, decode_text
from braze_harness.protocol.events import CustomEvent, Event, Purchase
from braze_harness.protocol.wire import DEFAULT_LIMITS, Limits


@dataclass(slots=True)
class Exchange:
    """What went over the wire, as the decoder read it: lower-cased headers and the canonical body text
    (`braze_harness.protocol.wire`), so any reader can re-run the one decoder on it and get the same result."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    status: int | None = None
    response: Any = None  # the JSON answered (or text), None when no answer (dropped)


_EMPTY: frozenset[str] = frozenset()
_ENDPOINT_VALUES: dict[Endpoint | None, str | None] = {None: None, **{e: e.value for e in Endpoint}}


class _RecentlyDecoded:
    """The decoded requests of journal entries read lately, bounded.

    A journal entry keeps its exchange verbatim plus a small index; the decoded request (a hundred
    objects for a 10-event batch) is rebuilt from the exchange when read and only the most recent
    reads are kept, so a full journal does not keep millions of objects alive (and in the way of
    the garbage collector)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: OrderedDict[JournalEntry, None] = OrderedDict()
        self._lock = threading.Lock()

    def hold(self, entry: JournalEntry) -> None:
        with self._lock:
            self._held[entry] = None
            self._held.move_to_end(entry)
            while len(self._held) > self.size:
                old, _ = self._held.popitem(last=False)
                old._decoded = None


RECENTLY_DECODED = _RecentlyDecoded(512)


@dataclass(eq=False, slots=True)
class JournalEntry:
    seq: int
    received_at: float  # unix seconds (server clock)
    source: str  # emulator | proxy | har | virtual-device | mparticle | segment
    exchange: Exchange
    scope: str | None = None
    duration_ms: float | None = None
    problems: list[Problem] = field(default_factory=list)  # decoder problems + processing problems
    _decoded: DecodedRequest | None = None
    _wire_problems: tuple[Problem, ...] = ()  # what normalizing the request found (re-applied when decoding again)
    _limits: Limits = DEFAULT_LIMITS  # the decoder's limits when it arrived (re-applied when decoding again)
    _size: int = field(default=0, init=False, repr=False)  # approx_bytes(), counted by the journal
    # the index queries read: keys when journaled (_index), event sets when first asked for (_index_events)
    _indexed: bool = field(default=False, init=False, repr=False)
    _events_indexed: bool = field(default=False, init=False, repr=False)
    _endpoint: str | None = field(default=None, init=False, repr=False)
    _api_key: str | None = field(default=None, init=False, repr=False)
    _device_id: str | None = field(default=None, init=False, repr=False)
    _user_ids: frozenset[str] = field(default=_EMPTY, init=False, repr=False)
    _session_ids: frozenset[str] = field(default=_EMPTY, init=False, repr=False)
    _event_codes: frozenset[str] = field(default=_EMPTY, init=False, repr=False)
    _event_names: frozenset[str] = field(default=_EMPTY, init=False, repr=False)
    _bounded: bool = field(default=False, init=False, repr=False)  # re-decoded requests go to RECENTLY_DECODED
    _jsonl: bytes | None = field(default=None, init=False, repr=False)  # serialised once, at the first read

    @property
    def request(self) -> DecodedRequest:
        decoded = self._decoded
        if decoded is None:
            ex = self.exchange
            decoded = self._decoded = decode_text(
                ex.method, ex.url, ex.headers, ex.body, self._wire_problems, limits=self._limits
            )
            if self._bounded:
                RECENTLY_DECODED.hold(self)
        return decoded

    def approx_bytes(self) -> int:
        """About the memory the entry keeps (its body text, headers, answer, problems and its serialisation once
        read), for the journal's byte bound: O(headers), the body measured without being walked."""
        ex = self.exchange
        body = ex.body
        size = _ENTRY_OVERHEAD + len(ex.url) + _PER_HEADER * len(ex.headers) + sum(map(len, ex.headers.values()))
        if body is not None:
            size += sys.getsizeof(body)
            if len(body) <= MAX_CACHED_JSONL:
                size += len(body) + 64  # the serialisation `to_jsonl` keeps after the first read
        response = ex.response
        if response is not None:
            if isinstance(response, str):
                size += sys.getsizeof(response)
            elif self.source == "emulator":  # the emulator's own answer: sized by what tests set up, not by clients
                size += _OWN_ANSWER
            else:  # an answer from elsewhere (proxy, HAR, ingest): measured
                size += _json_size(response)
        size += _PER_PROBLEM * len(self.problems)
        self._size = size
        return size

    def release_decoded(self) -> None:
        """Index now, then let the decoded request go (decoded objects kept alive cost the garbage collector more
        than decoding again): later reads decode the canonical text again, into a bounded cache."""
        self._index()
        self._bounded = True
        self._decoded = None

    def _index(self) -> None:
        """The keys every query and the journal's own bookkeeping read: cheap, taken when journaled."""
        if self._indexed:
            return
        req = self.request
        ep = req.endpoint
        self._endpoint = _ENDPOINT_VALUES[ep]  # = ep.value (None: None), without the enum's property per entry
        self._api_key = req.api_key
        self._device_id = req.device_id
        self._indexed = True

    def _index_events(self) -> None:
        """Who and what the request's events are about: only queries by user, session, code or name read them,
        so they are collected the first time one asks (not on the ingest hot path)."""
        if self._events_indexed:
            return
        req = self.request
        events = req.events
        if events:
            # one pass for what DecodedRequest.user_ids and the event sets below would collect
            users: set[str] = set()
            sessions: set[str] = set()
            codes: set[str] = set()
            names: set[str] = set()
            for e in events:
                if e.user_id:
                    users.add(e.user_id)
                if e.session_id:
                    sessions.add(e.session_id)
                codes.add(e.name)
                if isinstance(e, CustomEvent):
                    names.add(e.data.n)
                elif isinstance(e, Purchase):
                    names.add(e.data.pid)
            body = req.body
            if body is not None and body.user_id:
                users.add(body.user_id)
            respond_with = getattr(body, "respond_with", None)
            if respond_with is not None and respond_with.user_id:
                users.add(respond_with.user_id)
            for a in req.attributes:
                if a.user_id:
                    users.add(a.user_id)
            self._user_ids = _frozen(users)
            self._session_ids = _frozen(sessions)
            self._event_codes = _frozen(codes)
            self._event_names = _frozen(names)
        else:
            self._user_ids = _frozen(req.user_ids)
        self._events_indexed = True

    # -- indexes used by queries ---------------------------------------------------------------

    @property
    def good(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def endpoint(self) -> str | None:
        self._index()
        return self._endpoint

    @property
    def api_key(self) -> str | None:
        self._index()
        return self._api_key

    @property
    def device_id(self) -> str | None:
        self._index()
        return self._device_id

    @property
    def events(self) -> list[Event]:
        return self.request.events

    @property
    def user_ids(self) -> frozenset[str]:
        self._index_events()
        return self._user_ids

    @property
    def session_ids(self) -> frozenset[str]:
        self._index_events()
        return self._session_ids

    @property
    def event_codes(self) -> frozenset[str]:
        self._index_events()
        return self._event_codes

    @property
    def event_names(self) -> frozenset[str]:
        self._index_events()
        return self._event_names

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
            "request": {
                "method": ex.method,
                "url": ex.url,
                "headers": ex.headers,
                "body": ex.body,
                **({"wire_problems": [p.model_dump() for p in self._wire_problems]} if self._wire_problems else {}),
            },
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
            _wire_problems=tuple(Problem(**p) for p in req.get("wire_problems", ())),
        )

    def to_jsonl(self) -> bytes:
        """The entry as JSON, serialised at the first read and kept when small (bytes: no garbage-collector cost), so
        reading it again (another wait, the drift report, an artifact) neither parses nor serialises it again.
        Never fails: what the serialiser cannot take (an observed answer nested beyond its 254 levels) is replaced
        by a note saying so."""
        if self._jsonl is not None:
            return self._jsonl
        data = self.to_json()
        try:
            out = orjson.dumps(data)
        except orjson.JSONEncodeError as exc:
            out = orjson.dumps(_serialisable(data, str(exc)))
        if len(out) <= MAX_CACHED_JSONL + 4096:
            self._jsonl = out
        return out

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


MAX_CACHED_JSONL = 64 * 1024  # an entry's serialisation is kept after the first read up to about this size
_ENTRY_OVERHEAD = 1024  # the entry, its exchange, index and problems list as objects
_PER_HEADER = 120  # a header's two str objects and its dict slot
_PER_PROBLEM = 400  # a Problem model and its strings
_OWN_ANSWER = 2048  # an emulator answer as objects (a /data/ answer with its config: ~1 KiB as JSON)


def _json_size(value: Any) -> int:
    try:
        return len(orjson.dumps(value))
    except (orjson.JSONEncodeError, TypeError):
        return 64 * 1024  # not serialisable (nested beyond orjson's depth): counted as large


def _serialisable(data: dict[str, Any], why: str) -> dict[str, Any]:
    """`to_json` with what orjson cannot serialise replaced by a note (the entry stays readable)."""
    out = dict(data)
    for key in ("events",):
        try:
            orjson.dumps(out[key])
        except orjson.JSONEncodeError:
            out[key] = []
    response = dict(out["response"])
    try:
        orjson.dumps(response["body"])
    except orjson.JSONEncodeError:
        response["body"] = f"(not kept in this form: {why})"
    out["response"] = response
    try:
        orjson.dumps(out)
    except orjson.JSONEncodeError:
        out["request"] = {**out["request"], "body": f"(not kept in this form: {why})"}
    return out


def _frozen(values: set[str]) -> frozenset[str]:
    return frozenset(values) if values else _EMPTY


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
