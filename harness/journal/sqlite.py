"""The journal's optional SQLite copy (`--journal-db`), so a run can be inspected and exported afterwards.

One file may hold many runs: each `Journal` writing to it is a run of its own (a row in `runs`), its entries keyed
by (run, seq), so a second run into the same file never mixes with the first. Readers take the newest run unless
told which.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from braze_harness.errors import HarnessConfigError
from braze_harness.journal.entry import JournalEntry
from braze_harness.journal.query import Query

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, started_at REAL NOT NULL, label TEXT);
CREATE TABLE IF NOT EXISTS entries (
    run TEXT NOT NULL, seq INTEGER NOT NULL, received_at REAL, source TEXT, scope TEXT, endpoint TEXT,
    api_key TEXT, device_id TEXT, good INTEGER, json BLOB NOT NULL, PRIMARY KEY (run, seq));
CREATE INDEX IF NOT EXISTS entries_scope ON entries(run, scope);
CREATE INDEX IF NOT EXISTS entries_device ON entries(run, device_id);
"""
LEGACY_RUN = "legacy"  # entries of a file written before runs were kept apart


@dataclass(frozen=True, slots=True)
class RunInfo:
    run: str
    started_at: float
    label: str | None
    entries: int


PRIVATE = 0o600  # the journal holds api keys, user ids and message bodies: readable by its owner only


def _create_private(path: Path) -> None:
    """Create the file owner-only before SQLite opens it (SQLite gives its -wal/-shm files the database's mode);
    an existing file is made owner-only too."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE))
    os.chmod(path, PRIVATE)


def _connect(path: Path) -> sqlite3.Connection:
    _create_private(path)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
    if columns and "run" not in columns:  # an older file: its entries become the run "legacy"
        db.executescript(
            "BEGIN; ALTER TABLE entries RENAME TO entries_old;"
            + SCHEMA
            + f"""INSERT INTO runs VALUES ('{LEGACY_RUN}', 0, 'written before runs were kept apart');
            INSERT INTO entries SELECT '{LEGACY_RUN}', seq, received_at, source, scope, endpoint, api_key, device_id,
                good, json FROM entries_old;
            DROP TABLE entries_old; COMMIT;"""
        )
    db.executescript(SCHEMA)
    return db


class SqliteSink:
    """Write-through copy of one journal: one run in the file."""

    def __init__(self, path: Path, cap: int, label: str | None = None) -> None:
        if not path.parent.is_dir():  # a typo in the path is reported, never made into new folders
            raise HarnessConfigError(f"no folder {path.parent} for the journal database {path}")
        self.cap = cap
        self.run = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        self._lock = threading.Lock()
        self._db = _connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("INSERT INTO runs VALUES (?, ?, ?)", (self.run, time.time(), label))
        for side in ("-wal", "-shm"):  # SQLite creates them with the database's mode; an older pair may be 0644
            sidecar = path.with_name(path.name + side)
            if sidecar.exists():
                os.chmod(sidecar, PRIVATE)

    def write(self, e: JournalEntry) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    self.run,
                    e.seq,
                    e.received_at,
                    e.source,
                    e.scope,
                    e.endpoint,
                    e.api_key,
                    e.device_id,
                    int(e.good),
                    e.to_jsonl(),
                ),
            )
            if e.seq % 1000 == 0:
                self._db.execute("DELETE FROM entries WHERE run = ? AND seq <= ?", (self.run, e.seq - self.cap))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _open_readonly(path: str | Path) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise HarnessConfigError(f"no journal database at {path}")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
    if not columns:
        db.close()
        raise HarnessConfigError(f"{path} is not a journal database (no entries table)")
    return db


def list_runs(path: str | Path) -> list[RunInfo]:
    """The runs a journal file holds, oldest first."""
    db = _open_readonly(path)
    try:
        if "run" not in {row[1] for row in db.execute("PRAGMA table_info(entries)")}:
            (count,) = db.execute("SELECT COUNT(*) FROM entries").fetchone()
            return [RunInfo(LEGACY_RUN, 0.0, "written before runs were kept apart", count)]
        rows = db.execute(
            "SELECT r.run, r.started_at, r.label, COUNT(e.seq) FROM runs r LEFT JOIN entries e ON e.run = r.run "
            "GROUP BY r.run ORDER BY r.started_at, r.rowid"
        ).fetchall()
    finally:
        db.close()
    return [RunInfo(*row) for row in rows]


def read_sqlite(path: str | Path, q: Query | None = None, *, run: str | None = None) -> list[JournalEntry]:
    """Load one run of a journal written with `--journal-db` (default: the newest) for inspection or export."""
    runs = list_runs(path)
    if not runs:
        return []
    known = [r.run for r in runs]
    if run is None:
        run = known[-1]
    elif run not in known:
        raise HarnessConfigError(f"{path} has no run {run!r}; its runs: {', '.join(known)}")
    db = _open_readonly(path)
    try:
        if run == LEGACY_RUN and "run" not in {row[1] for row in db.execute("PRAGMA table_info(entries)")}:
            rows = db.execute("SELECT json FROM entries ORDER BY seq").fetchall()
        else:
            rows = db.execute("SELECT json FROM entries WHERE run = ? ORDER BY seq", (run,)).fetchall()
    finally:
        db.close()
    entries = [JournalEntry.from_json(orjson.loads(r[0])) for r in rows]
    q = q or Query()
    found = [e for e in entries if q.matches(e)]
    return found[-q.limit :] if q.limit else found
