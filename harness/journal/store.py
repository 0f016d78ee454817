"""The journal: every decoded exchange, bounded, queryable, and observable without polling. Storage only.

Each entry carries the scope its caller gives (the emulator's tenancy decides which scope owns a request);
queries, resets and stats can be limited to one scope. Waiters (sync via a Condition, async via listeners)
wake on every append. An entry keeps the canonical body text (`braze_harness.protocol.wire`), so reading it decodes
it again exactly as it was decoded when it arrived.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from braze_harness.journal.entry import Exchange, JournalEntry
from braze_harness.journal.query import Query
from braze_harness.journal.sqlite import SqliteSink
from braze_harness.protocol.decode import DecodedRequest, Problem, decode_wire
from braze_harness.protocol.wire import DEFAULT_LIMITS, Limits, normalize

DEFAULT_CAP = 20_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class Journal:
    """Bounded twice: at most `cap` entries and about `max_bytes` of memory (each entry's estimate,
    `JournalEntry.approx_bytes`); past either, the oldest entries are dropped and counted."""

    def __init__(
        self,
        cap: int = DEFAULT_CAP,
        sqlite_path: str | Path | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        if cap < 1:
            raise ValueError("journal cap must be >= 1")
        if max_bytes < 1:
            raise ValueError("journal max_bytes must be >= 1")
        self.cap = cap
        self.max_bytes = max_bytes
        self.limits = limits  # entries are decoded again with the limits they were decoded with
        self._bytes = 0
        self._entries: deque[JournalEntry] = deque()
        self._seq = 0
        self._dropped = 0
        self._dropped_by_scope: dict[str | None, int] = {}
        self._last_seq_by_scope: dict[str | None, int] = {}
        # the condition's lock taken directly (`with self._lock`, in C) where nothing waits on the condition
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0  # threads in `wait`: appends notify only when there are some
        self._listeners: list[Callable[[JournalEntry], None]] = []
        self._sqlite = SqliteSink(Path(sqlite_path), cap) if sqlite_path else None

    # -- writing -------------------------------------------------------------------------------

    @property
    def run(self) -> str | None:
        """The run id of this journal's SQLite copy (None without one)."""
        return self._sqlite.run if self._sqlite else None

    def append(
        self,
        exchange: Exchange,
        *,
        source: str,
        decoded: DecodedRequest | None = None,
        problems: Sequence[Problem] = (),
        wire_problems: Sequence[Problem] = (),
        received_at: float | None = None,
        duration_ms: float | None = None,
        scope: str | None = None,
    ) -> JournalEntry:
        """Journal one exchange in `scope` (None: no scope's).

        `exchange.body` is the canonical body text and `exchange.headers` the lower-cased headers
        (`braze_harness.protocol.wire.normalize`), `decoded` what the caller decoded from them, `wire_problems` what
        normalizing found. Without `decoded`, the exchange is normalized and decoded here. `problems`: what
        the caller found besides the decoder (faults, state)."""
        entry = new_entry(
            exchange, source=source, decoded=decoded, problems=problems, wire_problems=wire_problems,
            received_at=received_at, duration_ms=duration_ms, scope=scope, limits=self.limits,
        )  # fmt: skip
        size = entry.approx_bytes()
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._keep(entry, size)
            if self._waiting:
                self._cond.notify_all()
            listeners = list(self._listeners)
        if self._sqlite:
            self._sqlite.write(entry)
        for listener in listeners:
            listener(entry)
        entry.release_decoded()  # later reads decode the canonical text again (bounded cache)
        return entry

    def _keep(self, entry: JournalEntry, size: int) -> None:
        """Hold `entry` (its seq set), dropping the oldest past the bounds. Under the lock."""
        self._entries.append(entry)
        self._bytes += size
        entries = self._entries
        # the newest entry stays even alone over max_bytes: bodies are bounded by the size limits
        while len(entries) > self.cap or (self._bytes > self.max_bytes and len(entries) > 1):
            old = entries.popleft()
            self._bytes -= old._size
            self._dropped += 1
            self._dropped_by_scope[old.scope] = self._dropped_by_scope.get(old.scope, 0) + 1
        self._last_seq_by_scope[entry.scope] = entry.seq

    def restore(self, entries: Iterable[JournalEntry]) -> int:
        """Hold entries journaled earlier (a journal file's run, `read_sqlite`) with their own sequence numbers, to be
        read as a live journal's are (`braze-harness journal serve`); entries journaled later follow them. Nothing
        new arrived: waiters and listeners are not woken. Returns how many were restored."""
        count = 0
        for entry in entries:
            entry.release_decoded()
            size = entry.approx_bytes()
            with self._lock:
                if entry.seq <= self._seq:
                    raise ValueError(f"journal entry {entry.seq} restored after entry {self._seq}: not in order")
                self._seq = entry.seq
                self._keep(entry, size)
            count += 1
        return count

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
            self._bytes = sum(e._size for e in self._entries)
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
            self._waiting += 1
            try:
                return self._cond.wait_for(lambda: self.last_seq(scope) > after_seq, timeout=max(timeout, 0))
            finally:
                self._waiting -= 1

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
            "bytes": sum(e._size for e in entries) if scope else self._bytes,
            "max_bytes": self.max_bytes,
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


def new_entry(
    exchange: Exchange,
    *,
    source: str,
    decoded: DecodedRequest | None,
    problems: Sequence[Problem],
    wire_problems: Sequence[Problem],
    received_at: float | None,
    duration_ms: float | None,
    scope: str | None,
    limits: Limits,
) -> JournalEntry:
    """The entry a journal (in memory or on PostgreSQL) appends, indexed, before it is numbered (seq 0). Without
    `decoded`, the exchange is normalized and decoded here."""
    if decoded is None:
        wire = normalize(
            exchange.method, exchange.url, exchange.headers, exchange.body, max_expanded=limits.max_expanded_body_bytes
        )
        exchange = Exchange(wire.method, wire.url, wire.headers, wire.text, exchange.status, exchange.response)
        wire_problems = wire.problems
        decoded = decode_wire(wire, limits=limits)
    entry = JournalEntry(
        seq=0,
        received_at=received_at if received_at is not None else time.time(),
        source=source,
        exchange=exchange,
        duration_ms=duration_ms,
        scope=scope,
        problems=[*decoded.problems, *problems],
        _decoded=decoded,
        _wire_problems=tuple(wire_problems),
        _limits=limits,
    )
    entry._index()
    return entry
