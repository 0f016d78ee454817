"""What the PostgreSQL stores share: the connection pool, the schema (created and migrated here, by whichever
replica opens the database first) and runs (the namespace that keeps one CI job's journal and scopes apart from
another's in the same database; a run unused for longer than its TTL is deleted with all it holds).

psycopg 3 and psycopg_pool are the 'postgres' extra: importing this module does not need them, opening a pool does.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from braze_harness.errors import HarnessConfigError
from braze_harness.extras import require

DEFAULT_TTL_S = 7 * 24 * 3600.0  # a run nothing wrote to for a week is deleted when a store next opens the database
_MIGRATION_LOCK = 0x62726A6E  # pg_advisory_xact_lock key: replicas starting together migrate one at a time

# Each migration runs once, in order, in one transaction; braze_schema holds the version reached.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE braze_runs (
        run TEXT PRIMARY KEY, label TEXT, started_at DOUBLE PRECISION NOT NULL, touched_at DOUBLE PRECISION NOT NULL,
        seq BIGINT NOT NULL DEFAULT 0, entries BIGINT NOT NULL DEFAULT 0, dropped BIGINT NOT NULL DEFAULT 0);
    CREATE TABLE braze_journal (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, seq BIGINT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, source TEXT NOT NULL, scope TEXT, endpoint TEXT, api_key TEXT,
        device_id TEXT, good BOOLEAN NOT NULL, size INTEGER NOT NULL, json BYTEA NOT NULL, PRIMARY KEY (run, seq));
    CREATE INDEX braze_journal_scope ON braze_journal (run, scope, seq);
    CREATE INDEX braze_journal_device ON braze_journal (run, device_id);
    CREATE TABLE braze_journal_scopes (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, scope TEXT NOT NULL,
        last_seq BIGINT NOT NULL DEFAULT 0, dropped BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (run, scope));
    CREATE TABLE braze_claims (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, kind TEXT NOT NULL, id TEXT NOT NULL,
        scope TEXT NOT NULL, PRIMARY KEY (run, kind, id));
    CREATE INDEX braze_claims_scope ON braze_claims (run, scope);
    """,
    """
    CREATE TABLE braze_engagement (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, scope TEXT NOT NULL, code TEXT NOT NULL,
        ident TEXT NOT NULL, who TEXT NOT NULL, times BIGINT NOT NULL, PRIMARY KEY (run, scope, code, who, ident));
    """,
    # a journal append in one call (one round trip, one implicit transaction): the run's next seq under its row lock,
    # the entry, the scope's last seq, the oldest entries past the cap dropped and counted, the notification
    """
    CREATE FUNCTION braze_journal_append(
        p_run TEXT, p_now DOUBLE PRECISION, p_received_at DOUBLE PRECISION, p_source TEXT, p_scope TEXT,
        p_endpoint TEXT, p_api_key TEXT, p_device_id TEXT, p_good BOOLEAN, p_size INTEGER, p_json BYTEA,
        p_cap BIGINT, p_channel TEXT, p_tail TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
    DECLARE
        v_seq BIGINT;
        v_entries BIGINT;
        v_dropped BIGINT;
    BEGIN
        UPDATE braze_runs SET seq = seq + 1, entries = entries + 1, touched_at = p_now WHERE run = p_run
            RETURNING seq, entries INTO v_seq, v_entries;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        INSERT INTO braze_journal (run, seq, received_at, source, scope, endpoint, api_key, device_id, good, size, json)
            VALUES (p_run, v_seq, p_received_at, p_source, p_scope, p_endpoint, p_api_key, p_device_id, p_good, p_size, p_json);
        IF p_scope IS NOT NULL THEN
            INSERT INTO braze_journal_scopes (run, scope, last_seq) VALUES (p_run, p_scope, v_seq)
                ON CONFLICT (run, scope) DO UPDATE SET last_seq = EXCLUDED.last_seq;
        END IF;
        IF v_entries > p_cap THEN
            WITH d AS (
                DELETE FROM braze_journal WHERE run = p_run AND seq IN (
                    SELECT seq FROM braze_journal WHERE run = p_run ORDER BY seq LIMIT v_entries - p_cap)
                RETURNING scope
            ), c AS (
                SELECT scope, count(*) AS n FROM d WHERE scope IS NOT NULL GROUP BY scope
            ), u AS (
                UPDATE braze_journal_scopes AS js SET dropped = js.dropped + c.n FROM c
                WHERE js.run = p_run AND js.scope = c.scope
            )
            SELECT count(*) INTO v_dropped FROM d;
            UPDATE braze_runs SET entries = entries - v_dropped, dropped = dropped + v_dropped WHERE run = p_run;
        END IF;
        PERFORM pg_notify(p_channel, p_run || E'\\t' || v_seq || E'\\t' || p_tail);
        RETURN v_seq;
    END $$;
    """,
    # the state (workspaces, apps, profiles: braze_harness.emulator.state.store_pg): a profile is one JSON document
    # (`doc`, BYTEA: JSONB would reorder its keys) with the columns it is looked up by; the derived index columns
    # (external_id, aliases, sessions, tokens, devices) are written with the document. Everything of a workspace
    # goes with it (reset, a run's TTL). One external_id per workspace, checked at commit (a rename may move one).
    """
    CREATE TABLE braze_workspaces (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, name TEXT NOT NULL, scope TEXT,
        seq BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (run, name));
    CREATE INDEX braze_workspaces_scope ON braze_workspaces (run, scope);
    CREATE TABLE braze_apps (
        run TEXT NOT NULL, api_key TEXT NOT NULL, workspace TEXT NOT NULL, scope TEXT, platform TEXT NOT NULL,
        name TEXT, auto_created BOOLEAN NOT NULL, platform_guessed BOOLEAN NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (run, api_key),
        FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE);
    CREATE INDEX braze_apps_workspace ON braze_apps (run, workspace);
    CREATE TABLE braze_profiles (
        run TEXT NOT NULL, workspace TEXT NOT NULL, braze_id TEXT NOT NULL, external_id TEXT, email TEXT,
        aliases TEXT[] NOT NULL, sessions TEXT[] NOT NULL, tokens TEXT[] NOT NULL, devices TEXT[] NOT NULL,
        doc BYTEA NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (run, workspace, braze_id),
        FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE,
        CONSTRAINT braze_profiles_one_external_id UNIQUE (run, workspace, external_id) DEFERRABLE INITIALLY DEFERRED);
    CREATE INDEX braze_profiles_braze_id ON braze_profiles (run, braze_id);
    CREATE INDEX braze_profiles_email ON braze_profiles (run, workspace, email);
    CREATE INDEX braze_profiles_aliases ON braze_profiles USING GIN (aliases);
    CREATE INDEX braze_profiles_sessions ON braze_profiles USING GIN (sessions);
    CREATE INDEX braze_profiles_tokens ON braze_profiles USING GIN (tokens);
    CREATE INDEX braze_profiles_devices ON braze_profiles USING GIN (devices);
    CREATE TABLE braze_device_states (
        run TEXT NOT NULL, workspace TEXT NOT NULL, device_id TEXT NOT NULL, doc BYTEA NOT NULL,
        PRIMARY KEY (run, workspace, device_id), FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE);
    CREATE TABLE braze_device_records (
        run TEXT NOT NULL, workspace TEXT NOT NULL, app TEXT NOT NULL, device_id TEXT NOT NULL, doc BYTEA NOT NULL,
        PRIMARY KEY (run, workspace, app, device_id),
        FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE);
    CREATE TABLE braze_deprecated_ids (
        run TEXT NOT NULL, workspace TEXT NOT NULL, old TEXT NOT NULL, braze_id TEXT NOT NULL,
        PRIMARY KEY (run, workspace, old), FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE);
    CREATE TABLE braze_applied_requests (
        run TEXT NOT NULL, workspace TEXT NOT NULL, digest BYTEA NOT NULL, PRIMARY KEY (run, digest),
        FOREIGN KEY (run, workspace) REFERENCES braze_workspaces ON DELETE CASCADE);
    CREATE INDEX braze_applied_requests_workspace ON braze_applied_requests (run, workspace);
    """,
    # the calls a scope's test made on its apps (braze_harness.emulator.tenancy_pg), for the dashboard's timeline
    """
    CREATE TABLE braze_calls (
        run TEXT NOT NULL REFERENCES braze_runs ON DELETE CASCADE, scope TEXT NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY, doc BYTEA NOT NULL, PRIMARY KEY (run, scope, seq));
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


def open_pool(dsn: str, *, max_size: int = 4) -> Any:
    """A psycopg_pool.ConnectionPool (autocommit connections) on `dsn`, open, with the schema migrated.
    A database that cannot be reached is one clear line naming it (without its password)."""
    psycopg = require("psycopg", "the PostgreSQL store")
    pool_module = require("psycopg_pool", "the PostgreSQL store")
    try:  # one direct connection first: the pool's own timeout would hide the server's reason
        psycopg.connect(dsn, connect_timeout=10).close()
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise HarnessConfigError(f"cannot reach the PostgreSQL store {redact(dsn)}: {reason}") from None
    pool = pool_module.ConnectionPool(dsn, min_size=1, max_size=max_size, kwargs={"autocommit": True}, open=False)
    try:
        pool.open(wait=True, timeout=10)
    except pool_module.PoolTimeout:
        pool.close()
        raise HarnessConfigError(f"cannot reach the PostgreSQL store {redact(dsn)}: no pooled connection within 10 s") from None
    try:
        migrate(pool)
    except BaseException:
        pool.close()
        raise
    return pool


def redact(dsn: str) -> str:
    """The DSN without its password (postgresql://user:secret@host/db -> postgresql://user:***@host/db)."""
    scheme, sep, rest = dsn.partition("://")
    if not sep or "@" not in rest:
        return dsn
    userinfo, _, host = rest.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"


def migrate(pool: Any) -> int:
    """Create or bring the schema up to SCHEMA_VERSION; returns the version found before. A database written by a
    newer braze-harness is refused (its tables may mean something this version does not know)."""
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS braze_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT max(version) FROM braze_schema").fetchone()
        found = row[0] or 0
        if found > SCHEMA_VERSION:
            raise HarnessConfigError(
                f"the PostgreSQL store's schema is version {found}, newer than this braze-harness knows ({SCHEMA_VERSION}): "
                "upgrade braze-harness"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            conn.execute(MIGRATIONS[version - 1])
            conn.execute("INSERT INTO braze_schema VALUES (%s)", (version,))
    return found


def ensure_run(pool: Any, run: str | None, *, label: str | None = None, ttl_s: float = DEFAULT_TTL_S) -> str:
    """Join `run` (created if new; a fresh id when None) and delete the runs unused for longer than `ttl_s`."""
    if ttl_s <= 0:
        raise HarnessConfigError(f"a run's TTL must be > 0 seconds, not {ttl_s}")
    run = run or new_run_id()
    now = time.time()
    with pool.connection() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO braze_runs (run, label, started_at, touched_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (run) DO UPDATE SET touched_at = EXCLUDED.touched_at",
            (run, label, now, now),
        )
        conn.execute("DELETE FROM braze_runs WHERE touched_at < %s AND run <> %s", (now - ttl_s, run))
    return run


def run_gone(run: str) -> HarnessConfigError:
    return HarnessConfigError(f"the run {run!r} is no longer in the PostgreSQL store (expired after its TTL?)")


@contextmanager
def in_run(pool: Any, run: str) -> Iterator[Any]:
    """A connection in a transaction for writing to `run`: a run deleted meanwhile (its TTL) is one clear error."""
    psycopg = require("psycopg", "the PostgreSQL store")
    try:
        with pool.connection() as conn, conn.transaction():
            yield conn
    except psycopg.errors.ForeignKeyViolation:
        raise run_gone(run) from None


def runs(pool: Any) -> list[dict[str, Any]]:
    """The runs the database holds, oldest first (run, label, started_at, touched_at, entries)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT run, label, started_at, touched_at, entries FROM braze_runs ORDER BY started_at, run"
        ).fetchall()
    return [dict(zip(("run", "label", "started_at", "touched_at", "entries"), row, strict=True)) for row in rows]
