"""The journal on PostgreSQL: the same behaviour as the in-memory `Journal` (`braze_harness.journal.store`), kept
in a database that any number of emulator replicas share.

Every journal belongs to a run (`braze_harness.journal.pg`): replicas of one fleet pass the same run id and see one
journal; another CI job's run in the same database is never read, reset or counted. Sequence numbers are per run,
allocated under the run's row lock, so appends from many replicas stay gapless and exact, and the cap (entries per
run) holds across them. Each entry keeps its JSON (with the canonical body text), so reading it decodes the request
again exactly as it was decoded when it arrived.

Waiting is woken, never polled: each append sends a NOTIFY in its transaction (delivered at commit); every
journal LISTENs on one connection of its own, wakes its waiters and calls its listeners for the entries other
replicas appended (its own are called in `append`, as in memory).

Unlike the in-memory journal, it has no byte bound (the rows are on disk, the cap bounds them): `stats()` reports the
bytes of the stored JSON and `max_bytes` None.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from braze_harness.errors import HarnessConfigError
from braze_harness.extras import require
from braze_harness.journal.entry import Exchange, JournalEntry
from braze_harness.journal.pg import DEFAULT_TTL_S, ensure_run, open_pool, run_gone
from braze_harness.journal.query import Query
from braze_harness.journal.store import DEFAULT_CAP, new_entry
from braze_harness.protocol.decode import DecodedRequest, Problem
from braze_harness.protocol.wire import DEFAULT_LIMITS, Limits

CHANNEL = "braze_journal"
RECONNECT_FOR_S = 30.0  # how long the LISTEN connection is opened again before waits fail
_SQL_FILTERS = ("scope", "source", "api_key", "device_id", "endpoint")  # Query fields that are columns

# an append is one call of the schema's function (braze_harness.journal.pg, migration 3): one round trip
_APPEND = (
    "SELECT braze_journal_append(%(run)s, %(now)s, %(received_at)s, %(source)s, %(scope)s, %(endpoint)s, %(api_key)s, "
    "%(device_id)s, %(good)s, %(size)s, %(json)s, %(cap)s, %(channel)s, %(tail)s)"
)


class PostgresJournal:
    """A `JournalStore` on PostgreSQL. `dsn`: postgresql://user@host:port/db; `run`: the run to join (replicas of one
    fleet share it; None: a new run); `ttl_s`: runs unused for longer are deleted when a journal opens."""

    def __init__(
        self,
        dsn: str,
        *,
        run: str | None = None,
        label: str | None = None,
        cap: int = DEFAULT_CAP,
        ttl_s: float = DEFAULT_TTL_S,
        limits: Limits = DEFAULT_LIMITS,
        pool_size: int = 4,
    ) -> None:
        if cap < 1:
            raise ValueError("journal cap must be >= 1")
        self.cap = cap
        self.limits = limits
        self._dsn = dsn
        self._pool = open_pool(dsn, max_size=pool_size)
        self._run = ensure_run(self._pool, run, label=label, ttl_s=ttl_s)
        self._origin = f"{id(self):x}-{time.monotonic_ns():x}"  # tells this journal's own notifications apart
        self._listeners: list[Callable[[JournalEntry], None]] = []
        self._cond = threading.Condition()
        self._generation = 0  # bumped by every notification for this run: waiters re-check when it moves
        self._closed = False
        self._listening = threading.Event()
        self._listen_error: BaseException | None = None
        self._thread = threading.Thread(target=self._listen, name=f"journal-listen-{self._run}", daemon=True)
        self._thread.start()
        self._listening.wait(15)
        if not self._listening.is_set() or self._listen_error is not None:
            self._pool.close()
            raise HarnessConfigError(f"the PostgreSQL journal could not LISTEN for wake-ups: {self._listen_error or 'timed out'}")

    @property
    def run(self) -> str:
        return self._run

    # -- writing -------------------------------------------------------------------------------

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
        """Journal one exchange in `scope`, as `Journal.append` does."""
        entry = new_entry(
            exchange, source=source, decoded=decoded, problems=problems, wire_problems=wire_problems,
            received_at=received_at, duration_ms=duration_ms, scope=scope, limits=self.limits,
        )  # fmt: skip
        blob = entry.to_jsonl()  # serialised with seq 0 (outside the run's lock); the row's seq is the truth
        entry._jsonl = None
        params = {
            "run": self._run,
            "now": time.time(),
            "received_at": entry.received_at,
            "source": source,
            "scope": scope,
            "endpoint": entry.endpoint,
            "api_key": entry.api_key,
            "device_id": entry.device_id,
            "good": entry.good,
            "size": len(blob),
            "json": blob,
            "channel": CHANNEL,
            "tail": self._payload_tail(scope),
            "cap": self.cap,
        }
        with self._pool.connection() as conn:
            row = conn.execute(_APPEND, params).fetchone()
        if row is None or row[0] is None:
            raise run_gone(self._run)
        seq = row[0]
        entry.seq = seq
        for listener in list(self._listeners):
            listener(entry)
        entry.release_decoded()
        return entry

    def reset(self, scope: str | None = None) -> int:
        """Forget this run's entries (of one scope, or all). Returns how many were removed."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT 1 FROM braze_runs WHERE run = %s FOR UPDATE", (self._run,))
            if scope is None:
                removed = conn.execute("DELETE FROM braze_journal WHERE run = %s", (self._run,)).rowcount
                conn.execute("UPDATE braze_runs SET entries = 0, dropped = 0 WHERE run = %s", (self._run,))
                conn.execute("UPDATE braze_journal_scopes SET dropped = 0 WHERE run = %s", (self._run,))
            else:
                removed = conn.execute("DELETE FROM braze_journal WHERE run = %s AND scope = %s", (self._run, scope)).rowcount
                conn.execute("UPDATE braze_runs SET entries = entries - %s WHERE run = %s", (removed, self._run))
                conn.execute("UPDATE braze_journal_scopes SET dropped = 0 WHERE run = %s AND scope = %s", (self._run, scope))
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, self._payload(0, scope)))
        return removed

    # -- reading -------------------------------------------------------------------------------

    @property
    def latest_seq(self) -> int:
        return self.last_seq()

    def last_seq(self, scope: str | None = None) -> int:
        with self._pool.connection() as conn:
            if scope is None:
                row = conn.execute("SELECT seq FROM braze_runs WHERE run = %s", (self._run,)).fetchone()
            else:
                row = conn.execute(
                    "SELECT last_seq FROM braze_journal_scopes WHERE run = %s AND scope = %s", (self._run, scope)
                ).fetchone()
        return row[0] if row else 0

    def query(self, q: Query | None = None) -> list[JournalEntry]:
        q = q or Query()
        where, args = ["run = %s", "seq > %s"], [self._run, q.after_seq]
        for name in _SQL_FILTERS:
            value = getattr(q, name)
            if value is not None:
                where.append(f"{name} = %s")
                args.append(value)
        if q.since is not None:
            where.append("received_at >= %s")
            args.append(q.since)
        if q.until is not None:
            where.append("received_at <= %s")
            args.append(q.until)
        if q.good is not None:
            where.append("good = %s")
            args.append(q.good)
        # who and what the events are about is read from the decoded entries (as in memory), so the limit follows
        by_events = any(getattr(q, name) is not None for name in ("user_id", "session_id", "event_code", "event_name"))
        sql = f"SELECT seq, json FROM braze_journal WHERE {' AND '.join(where)} ORDER BY seq"
        if q.limit and not by_events:
            sql = f"SELECT * FROM ({sql} DESC LIMIT %s) newest ORDER BY seq"
            args.append(q.limit)
        with self._pool.connection() as conn:
            rows = conn.execute(sql, args).fetchall()
        entries = [self._entry(seq, blob) for seq, blob in rows]
        if by_events:
            entries = [e for e in entries if q.matches(e)]
            return entries[-q.limit :] if q.limit else entries
        return entries

    def _entry(self, seq: int, blob: bytes) -> JournalEntry:
        data = orjson.loads(blob)
        data["seq"] = seq
        entry = JournalEntry.from_json(data)
        entry._limits = self.limits
        entry._bounded = True  # decoded again on demand, into the bounded cache
        return entry

    def wait(self, after_seq: int, timeout: float, scope: str | None = None) -> bool:
        """Block until an entry newer than `after_seq` (in `scope`) exists, appended by any replica; False on
        timeout. Woken by the run's notifications: between them it only sleeps."""
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            with self._cond:
                generation = self._generation
            if self.last_seq(scope) > after_seq:
                return True
            if self._listen_error is not None:
                raise HarnessConfigError(f"the PostgreSQL journal lost its LISTEN connection: {self._listen_error}")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                return False
            with self._cond:
                self._cond.wait_for(lambda seen=generation: self._woken(seen), remaining)

    def _woken(self, generation: int) -> bool:
        return self._generation != generation or self._closed or self._listen_error is not None

    def add_listener(self, listener: Callable[[JournalEntry], None]) -> None:
        with self._cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[JournalEntry], None]) -> None:
        with self._cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def stats(self, scope: str | None = None) -> dict[str, Any]:
        with self._pool.connection() as conn:
            where, args = ("run = %s", [self._run]) if scope is None else ("run = %s AND scope = %s", [self._run, scope])
            entries, bad, size = conn.execute(
                f"SELECT count(*), count(*) FILTER (WHERE NOT good), coalesce(sum(size), 0) FROM braze_journal WHERE {where}",
                args,
            ).fetchone()
            if scope is None:
                row = conn.execute("SELECT dropped, seq FROM braze_runs WHERE run = %s", (self._run,)).fetchone()
            else:
                row = conn.execute(
                    "SELECT dropped, last_seq FROM braze_journal_scopes WHERE run = %s AND scope = %s", (self._run, scope)
                ).fetchone()
        dropped, latest = row or (0, 0)
        return {
            "entries": entries,
            "good": entries - bad,
            "bad": bad,
            "dropped": dropped,
            "cap": self.cap,
            "bytes": int(size),
            "max_bytes": None,
            "latest_seq": latest,
        }

    def export_jsonl(self, path: str | Path, q: Query | None = None) -> int:
        entries = self.query(q)
        with open(path, "wb") as fh:
            for e in entries:
                fh.write(e.to_jsonl() + b"\n")
        return len(entries)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._cond.notify_all()
        try:  # wakes the listening thread at once
            with self._pool.connection() as conn:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"close\t{self._origin}"))
        finally:
            self._thread.join(5)
            self._pool.close()

    # -- wake-ups ------------------------------------------------------------------------------

    def _payload(self, seq: int, scope: str | None) -> str:
        # run, seq (0: a reset), who sent it, then the scope ("-": none, "+name") last: a name may hold anything
        return f"{self._run}\t{seq}\t{self._payload_tail(scope)}"

    def _payload_tail(self, scope: str | None) -> str:
        return f"{self._origin}\t{'-' if scope is None else '+' + scope}"

    def _listen(self) -> None:
        """LISTEN on a connection of its own; a lost connection (a server restart, a terminated backend) is opened
        again, and waiters re-check then (what was notified meanwhile is read from the tables). Only when it cannot be
        opened again for RECONNECT_FOR_S do waits fail, with the reason."""
        psycopg = require("psycopg", "the PostgreSQL store")
        lost_at: float | None = None
        while not self._closed:
            try:
                conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=5)
            except psycopg.Error as exc:
                lost_at = lost_at or time.monotonic()
                if not self._listening.is_set() or time.monotonic() - lost_at > RECONNECT_FOR_S:
                    self._listen_failed(exc)
                    return
                time.sleep(0.2)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                lost_at = None
                self._listening.set()
                self._wake()  # (again) listening: anything appended while it was not is in the tables
                while not self._closed:
                    # the timeout only bounds how long a close whose notification was lost waits: wake-ups are pushed
                    for note in conn.notifies(timeout=5.0):
                        self._notified(note.payload)
                        if self._closed:
                            break
            except psycopg.Error as exc:
                if not self._listening.is_set():
                    self._listen_failed(exc)
                    return
                lost_at = time.monotonic()
            finally:
                conn.close()

    def _listen_failed(self, exc: BaseException) -> None:
        self._listen_error = exc  # waiters would sleep to their timeouts: they raise this instead
        self._listening.set()
        self._wake()

    def _wake(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def _notified(self, payload: str) -> None:
        parts = payload.split("\t", 3)
        if len(parts) != 4 or parts[0] != self._run:
            return
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
            listeners = list(self._listeners)
        seq = int(parts[1])
        if listeners and seq and parts[2] != self._origin:  # another replica's entry: its listeners here see it too
            with self._pool.connection() as conn:
                row = conn.execute("SELECT json FROM braze_journal WHERE run = %s AND seq = %s", (self._run, seq)).fetchone()
            if row is not None:  # None: already dropped by the cap or a reset
                entry = self._entry(seq, row[0])
                for listener in listeners:
                    listener(entry)
