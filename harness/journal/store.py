"""The journal: every decoded exchange, bounded, scoped, queryable, and observable without polling.

Scopes isolate parallel tests: a scope owns api keys and device ids, every entry is tagged with
the scope that owns its key or device at append time, and resetting a scope removes only its
entries. Waiters (sync via a Condition, async via listeners) wake on every append.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from harness.journal.entry import Exchange, JournalEntry
from harness.journal.query import Query
from harness.protocol.decode import DecodedRequest, Problem

DEFAULT_CAP = 20_000


class ScopeRegistry:
    """Which scope owns which api key and device id."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._by_device: dict[str, str] = {}
        self._lock = threading.Lock()

    def claim(self, scope: str, *, api_keys: Iterable[str] = (), device_ids: Iterable[str] = ()) -> None:
        with self._lock:
            for key in api_keys:
                self._by_key[key] = scope
            for dev in device_ids:
                self._by_device[dev] = scope

    def release(self, scope: str) -> None:
        with self._lock:
            self._by_key = {k: s for k, s in self._by_key.items() if s != scope}
            self._by_device = {d: s for d, s in self._by_device.items() if s != scope}

    def scope_for(self, api_key: str | None, device_id: str | None) -> str | None:
        # a device claim is more specific than a key: tests sharing one key still stay apart
        if device_id and device_id in self._by_device:
            return self._by_device[device_id]
        if api_key:
            return self._by_key.get(api_key)
        return None

    def owned(self, scope: str) -> dict[str, list[str]]:
        return {
            "api_keys": sorted(k for k, s in self._by_key.items() if s == scope),
            "device_ids": sorted(d for d, s in self._by_device.items() if s == scope),
        }


class Journal:
    def __init__(self, cap: int = DEFAULT_CAP, sqlite_path: str | Path | None = None) -> None:
        if cap < 1:
            raise ValueError("journal cap must be >= 1")
        self.cap = cap
        self.scopes = ScopeRegistry()
        self._entries: deque[JournalEntry] = deque()
        self._seq = 0
        self._dropped = 0
        self._dropped_by_scope: dict[str | None, int] = {}
        self._last_seq_by_scope: dict[str | None, int] = {}
        self._cond = threading.Condition()
        self._listeners: list[Callable[[JournalEntry], None]] = []
        self._sqlite = _SqliteSink(Path(sqlite_path), cap) if sqlite_path else None

    # -- writing -------------------------------------------------------------------------------

    def append(
        self,
        exchange: Exchange,
        *,
        source: str,
        decoded: DecodedRequest | None = None,
        problems: list[Problem] | None = None,
        received_at: float | None = None,
        duration_ms: float | None = None,
        scope: str | None = None,
        redecodable: bool = False,
    ) -> JournalEntry:
        """Journal one exchange. `decoded` is what the caller decoded (default: the exchange, decoded here).

        `redecodable` tells that decoding the exchange gives exactly `decoded` (the emulator kept the
        body verbatim): the entry then keeps only its exchange and index, and re-decodes when read.
        Without a `decoded`, the exchange is decoded here, so it is always the case."""
        entry = JournalEntry(
            seq=0,
            received_at=received_at if received_at is not None else time.time(),
            source=source,
            exchange=exchange,
            duration_ms=duration_ms,
            _decoded=decoded,
        )
        entry.problems = list(entry.request.problems) + list(problems or [])
        if scope is None:
            entry._index()
            scope = self.scopes.scope_for(entry._api_key, entry._device_id)
        entry.scope = scope
        with self._cond:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
            while len(self._entries) > self.cap:
                old = self._entries.popleft()
                self._dropped += 1
                self._dropped_by_scope[old.scope] = self._dropped_by_scope.get(old.scope, 0) + 1
            self._last_seq_by_scope[scope] = entry.seq
            self._cond.notify_all()
            listeners = list(self._listeners)
        if self._sqlite:
            self._sqlite.write(entry)
        for listener in listeners:
            listener(entry)
        if redecodable or decoded is None:
            entry.release_decoded()
        return entry

    def reset(self, scope: str | None = None) -> int:
        """Forget entries (of one scope, or all). Returns how many were removed."""
        with self._cond:
            before = len(self._entries)
            if scope is None:
                self._entries.clear()
                self._dropped = 0
                self._dropped_by_scope.clear()
            else:
                self._entries = deque(e for e in self._entries if e.scope != scope)
                self._dropped_by_scope.pop(scope, None)
            self._cond.notify_all()
            return before - len(self._entries)

    # -- reading -------------------------------------------------------------------------------

    @property
    def latest_seq(self) -> int:
        return self._seq

    def last_seq(self, scope: str | None = None) -> int:
        if scope is None:
            return self._seq
        return self._last_seq_by_scope.get(scope, 0)

    def query(self, q: Query | None = None) -> list[JournalEntry]:
        q = q or Query()
        with self._cond:
            snapshot = list(self._entries)
        found = [e for e in snapshot if q.matches(e)]
        return found[-q.limit :] if q.limit else found

    def wait(self, after_seq: int, timeout: float, scope: str | None = None) -> bool:
        """Block until an entry newer than `after_seq` (in `scope`) exists; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.last_seq(scope) > after_seq, timeout=max(timeout, 0))

    def add_listener(self, listener: Callable[[JournalEntry], None]) -> None:
        with self._cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[JournalEntry], None]) -> None:
        with self._cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def stats(self, scope: str | None = None) -> dict[str, Any]:
        entries = self.query(Query(scope=scope)) if scope else self.query()
        bad = sum(1 for e in entries if not e.good)
        return {
            "entries": len(entries),
            "good": len(entries) - bad,
            "bad": bad,
            "dropped": self._dropped_by_scope.get(scope, 0) if scope else self._dropped,
            "cap": self.cap,
            "latest_seq": self.last_seq(scope),
        }

    def export_jsonl(self, path: str | Path, q: Query | None = None) -> int:
        entries = self.query(q)
        with open(path, "wb") as fh:
            for e in entries:
                fh.write(e.to_jsonl() + b"\n")
        return len(entries)

    def close(self) -> None:
        if self._sqlite:
            self._sqlite.close()


class _SqliteSink:
    """Write-through copy of the journal so a run can be inspected and exported afterwards."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS entries (
        seq INTEGER PRIMARY KEY, received_at REAL, source TEXT, scope TEXT, endpoint TEXT,
        api_key TEXT, device_id TEXT, good INTEGER, json BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS entries_scope ON entries(scope);
    CREATE INDEX IF NOT EXISTS entries_device ON entries(device_id);
    """

    def __init__(self, path: Path, cap: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.cap = cap
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(self.SCHEMA)

    def write(self, e: JournalEntry) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?)",
                (e.seq, e.received_at, e.source, e.scope, e.endpoint, e.api_key, e.device_id, int(e.good), e.to_jsonl()),
            )
            if e.seq % 1000 == 0:
                self._db.execute("DELETE FROM entries WHERE seq <= ?", (e.seq - self.cap,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def read_sqlite(path: str | Path, q: Query | None = None) -> list[JournalEntry]:
    """Load a journal written by a run (`--braze-journal-db`) for inspection or export."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT json FROM entries ORDER BY seq").fetchall()
    finally:
        db.close()
    entries = [JournalEntry.from_json(orjson.loads(r[0])) for r in rows]
    q = q or Query()
    found = [e for e in entries if q.matches(e)]
    return found[-q.limit :] if q.limit else found
