"""The engagement ledger on PostgreSQL: the same impressions, clicks, dismissals and opens per scope and user as
`braze_harness.emulator.state.engagement.EngagementLedger`, shared by every replica of a fleet and kept in its run
(`braze_harness.journal.pg`). Each engagement is one upsert adding to its count, so replicas recording at once
never lose one."""

from __future__ import annotations

from braze_harness.emulator.state.engagement import engagements
from braze_harness.journal.pg import DEFAULT_TTL_S, ensure_run, in_run, open_pool
from braze_harness.protocol.decode import DecodedRequest


class PostgresEngagement:
    """An `EngagementStore` on PostgreSQL. `run`: the run to join (the fleet's; None: a new run)."""

    def __init__(self, dsn: str, *, run: str | None = None, ttl_s: float = DEFAULT_TTL_S, pool_size: int = 2) -> None:
        self._pool = open_pool(dsn, max_size=pool_size)
        self._run = ensure_run(self._pool, run, ttl_s=ttl_s)

    @property
    def run(self) -> str:
        return self._run

    def record(self, scope: str | None, decoded: DecodedRequest) -> None:
        if scope is None:
            return  # traffic no test owns: nobody reads its metrics
        rows = sorted((self._run, scope, code, ident, who) for code, who, ident in engagements(decoded))
        if not rows:
            return
        with in_run(self._pool, self._run) as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO braze_engagement (run, scope, code, ident, who, times) VALUES (%s, %s, %s, %s, %s, 1) "
                "ON CONFLICT (run, scope, code, who, ident) DO UPDATE SET times = braze_engagement.times + 1",
                rows,
            )

    def ids(self, scope: str | None, code: str, user: str) -> set[str]:
        """The ids `user` engaged with by `code` in `scope` (e.g. the cards they dismissed)."""
        if scope is None:
            return set()
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT ident FROM braze_engagement WHERE run = %s AND scope = %s AND code = %s AND who = %s",
                (self._run, scope, code, user),
            ).fetchall()
        return {ident for (ident,) in rows}

    def counts(self, scope: str | None) -> list[tuple[str, str, str, int]]:
        """(code, id, user, times) of everything engaged with in `scope`."""
        if scope is None:
            return []
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT code, ident, who, times FROM braze_engagement WHERE run = %s AND scope = %s ORDER BY code, ident, who",
                (self._run, scope),
            ).fetchall()
        return [(code, ident, who, int(times)) for code, ident, who, times in rows]

    def drop(self, scope: str | None = None) -> None:
        with self._pool.connection() as conn:
            if scope is None:
                conn.execute("DELETE FROM braze_engagement WHERE run = %s", (self._run,))
            else:
                conn.execute("DELETE FROM braze_engagement WHERE run = %s AND scope = %s", (self._run, scope))

    def close(self) -> None:
        self._pool.close()
