"""Tenancy on PostgreSQL: the same scopes and claims as `braze_harness.emulator.tenancy.Tenancy`, shared by every
replica of a fleet. Claims live in a run (`braze_harness.journal.pg`), like the journal: another CI job's run in the
same database never sees, overrides or releases them, and an expired run's claims go with it.

A claim is one upsert (the last claim of a key or device wins, as in memory), so concurrent claims from many
replicas never leave a key with two owners. A scope's calls (`add_calls`) are rows of their own, the newest CALLS_CAP
kept, released with the scope's claims."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson
from braze_harness.emulator.tenancy import CALLS_CAP, Tenancy
from braze_harness.journal.pg import DEFAULT_TTL_S, ensure_run, in_run, open_pool

_KEY, _DEVICE = "key", "device"


class PostgresTenancy:
    """A `TenancyStore` on PostgreSQL. `run`: the run to join (the fleet's; None: a new run)."""

    def __init__(self, dsn: str, *, run: str | None = None, ttl_s: float = DEFAULT_TTL_S, pool_size: int = 2) -> None:
        self._pool = open_pool(dsn, max_size=pool_size)
        self._run = ensure_run(self._pool, run, ttl_s=ttl_s)

    @property
    def run(self) -> str:
        return self._run

    new_scope = staticmethod(Tenancy.new_scope)

    def claim(self, scope: str, *, api_keys: Iterable[str] = (), device_ids: Iterable[str] = ()) -> None:
        rows = [(self._run, _KEY, key, scope) for key in api_keys] + [(self._run, _DEVICE, dev, scope) for dev in device_ids]
        if not rows:
            return
        rows.sort()  # every replica locks rows in one order: concurrent claims never deadlock each other
        with in_run(self._pool, self._run) as conn, conn.cursor() as cur:
            cur.execute("UPDATE braze_runs SET touched_at = %s WHERE run = %s", (time.time(), self._run))
            cur.executemany(
                "INSERT INTO braze_claims (run, kind, id, scope) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (run, kind, id) DO UPDATE SET scope = EXCLUDED.scope",
                rows,
            )

    def release(self, scope: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("DELETE FROM braze_claims WHERE run = %s AND scope = %s", (self._run, scope))
            conn.execute("DELETE FROM braze_calls WHERE run = %s AND scope = %s", (self._run, scope))

    def add_calls(self, scope: str, calls: list[dict[str, Any]]) -> dict[str, int]:
        with in_run(self._pool, self._run) as conn, conn.cursor() as cur:
            cur.execute("UPDATE braze_runs SET touched_at = %s WHERE run = %s", (time.time(), self._run))
            if calls:
                cur.executemany(
                    "INSERT INTO braze_calls (run, scope, doc) VALUES (%s, %s, %s)",
                    [(self._run, scope, orjson.dumps(c)) for c in calls],
                )
            cur.execute(
                "DELETE FROM braze_calls WHERE run = %s AND scope = %s AND seq <= (SELECT seq FROM braze_calls "
                "WHERE run = %s AND scope = %s ORDER BY seq DESC OFFSET %s LIMIT 1)",
                (self._run, scope, self._run, scope, CALLS_CAP),
            )
            dropped = max(cur.rowcount, 0)
            kept = cur.execute("SELECT count(*) FROM braze_calls WHERE run = %s AND scope = %s", (self._run, scope)).fetchone()[0]
        return {"kept": kept, "dropped": dropped}

    def calls(self, scope: str) -> list[dict[str, Any]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT doc FROM braze_calls WHERE run = %s AND scope = %s ORDER BY seq", (self._run, scope)
            ).fetchall()
        return [orjson.loads(doc) for (doc,) in rows]

    def scope_for(self, api_key: str | None, device_id: str | None) -> str | None:
        # a device claim is more specific than a key: tests sharing one key still stay apart
        if not device_id and not api_key:
            return None
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT kind, scope FROM braze_claims WHERE run = %s AND "
                "((kind = 'device' AND id = %s) OR (kind = 'key' AND id = %s))",
                (self._run, device_id or None, api_key or None),
            ).fetchall()
        owners = dict(rows)
        return owners.get(_DEVICE) or owners.get(_KEY)

    def owned(self, scope: str) -> dict[str, list[str]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT kind, id FROM braze_claims WHERE run = %s AND scope = %s ORDER BY id", (self._run, scope)
            ).fetchall()
        return {
            "api_keys": sorted(i for kind, i in rows if kind == _KEY),
            "device_ids": sorted(i for kind, i in rows if kind == _DEVICE),
        }

    def close(self) -> None:
        self._pool.close()
