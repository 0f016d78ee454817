"""The engagement ledger: impressions, clicks, dismissals and opens per scope and user, fed at ingest.

Campaign metrics and Content Card / banner eligibility read it, never the journal: the journal is bounded and
rolls over, engagement is state (a dismissed card stays dismissed however much traffic came after). Only data
that was applied is counted: a request refused by a fault and sent again counts once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from braze_harness.protocol.decode import DecodedRequest
from braze_harness.protocol.requests import DataRequest
from pydantic import BaseModel

# si/sc/sbc/iec in-app messages, cci/ccc/ccd/ccic cards, ffi flags, bi/bc/bd banners, pc push opens
ENGAGEMENT_CODES = frozenset({"si", "sc", "sbc", "iec", "cci", "ccc", "ccd", "ccic", "ffi", "bi", "bc", "bd", "pc"})


def user_key(user_id: str | None, device_id: str | None) -> str:
    """Who engaged: `user:<external id>`, or `device:<device id>` for an anonymous user."""
    return f"user:{user_id}" if user_id else f"device:{device_id}"


def engagements(decoded: DecodedRequest) -> Iterator[tuple[str, str, str]]:
    """(code, user key, id) of every engagement event in a /data/ request."""
    body = decoded.body
    if not isinstance(body, DataRequest):
        return
    for e in body.events:
        if e.name not in ENGAGEMENT_CODES:
            continue
        data: Any = e.data.model_dump() if isinstance(e.data, BaseModel) else (e.data or {})
        who = user_key(e.user_id or body.user_id, body.device_id)
        for ident in _ids(data):
            yield e.name, who, ident


def _ids(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    if "trigger_ids" in data:
        ids = data["trigger_ids"] or []
    elif "ids" in data:
        ids = data["ids"] or []
    elif "fid" in data:
        ids = [data["fid"]]
    elif "id" in data:
        ids = [data["id"]]
    elif data.get("cid"):  # push open `pc {cid}`
        ids = [data["cid"]]
    else:
        ids = []
    return [str(i) for i in ids if i is not None]


class Engagement(Protocol):
    """What the emulator needs of an engagement store (the in-memory ledger below; a database can hold it too)."""

    def record(self, scope: str | None, decoded: DecodedRequest) -> None: ...

    def ids(self, scope: str | None, code: str, user: str) -> set[str]: ...

    def counts(self, scope: str | None) -> list[tuple[str, str, str, int]]: ...

    def drop(self, scope: str | None = None) -> None: ...


@dataclass
class _ScopeLedger:
    by_user: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (code, user) -> ids
    counts: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)  # (code, id) -> user -> times


class EngagementLedger:
    def __init__(self) -> None:
        self._scopes: dict[str, _ScopeLedger] = {}
        self._lock = threading.Lock()

    def record(self, scope: str | None, decoded: DecodedRequest) -> None:
        if scope is None:
            return  # traffic no test owns: nobody reads its metrics
        found = list(engagements(decoded))
        if not found:
            return
        with self._lock:
            ledger = self._scopes.setdefault(scope, _ScopeLedger())
            for code, who, ident in found:
                ledger.by_user.setdefault((code, who), set()).add(ident)
                ledger.counts.setdefault((code, ident), Counter())[who] += 1

    def ids(self, scope: str | None, code: str, user: str) -> set[str]:
        """The ids `user` engaged with by `code` in `scope` (e.g. the cards they dismissed)."""
        with self._lock:
            ledger = self._scopes.get(scope or "")
            return set(ledger.by_user.get((code, user), ())) if ledger else set()

    def counts(self, scope: str | None) -> list[tuple[str, str, str, int]]:
        """(code, id, user, times) of everything engaged with in `scope`."""
        with self._lock:
            ledger = self._scopes.get(scope or "")
            if ledger is None:
                return []
            return [(code, ident, who, n) for (code, ident), users in ledger.counts.items() for who, n in users.items()]

    def drop(self, scope: str | None = None) -> None:
        with self._lock:
            if scope is None:
                self._scopes.clear()
            else:
                self._scopes.pop(scope, None)
