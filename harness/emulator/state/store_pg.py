"""The state (workspaces, apps, profiles) on PostgreSQL: the same behaviour as the in-memory `EmulatorState`, shared by
every replica of a fleet and kept in its run (`braze_harness.journal.pg`).

The rules are not rewritten: every change runs the in-memory rules (state/apply.py for SDK requests, rest_users.py,
rest_identity.py, csv_rows.py) on the workspace read from the database inside one transaction
(state/workspace_pg.py), which writes back what changed before it commits. The transaction first takes the
workspace's advisory lock (`pg_advisory_xact_lock`), so changes to one workspace from any number of replicas are
applied one at a time, each on what the last one committed, as the in-memory lock does in one process: two devices
identifying as one external_id at once end in one profile (a unique constraint checks it again at commit),
counters, arrays and sessions stay exact. Other workspaces (other scopes, other CI jobs) are not held up.

An SDK request is applied once per run: its identity (api key, device, the decoded body) is inserted in the same
transaction under a primary key, so a resend of the very same request (Chromium resends a POST whose connection
dropped; another replica may receive it) finds it and is not applied again, reported as an `info` problem. A retry
the SDK re-batched with newer events is another request (docs/fleet.md says what that leaves open).

Reads (`profiles`, `apps`) take no lock: they see what was committed."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

from braze_harness.emulator.state import csv_rows, docs_pg, rest_identity, rest_users
from braze_harness.emulator.state.apply import SdkRules
from braze_harness.emulator.state.profiles import Profile, profile_view
from braze_harness.emulator.state.store import DEFAULT_WORKSPACE, UnknownApiKey, check_options, platform_of
from braze_harness.emulator.state.workspace_pg import TxWorkspace
from braze_harness.emulator.state.workspaces import App, Workspace
from braze_harness.journal.pg import DEFAULT_TTL_S, ensure_run, open_pool
from braze_harness.protocol.csv_users import Kind, Row, RowIssue
from braze_harness.protocol.decode import DecodedRequest, Endpoint, Problem

_WORKSPACE_LOCK = 0x62727773  # pg_advisory_xact_lock(class, key): this class, the hash of run and workspace
_APP_COLUMNS = "api_key, workspace, scope, platform, name, auto_created, platform_guessed"
RESEND = "a resend of a request this run already applied (same api key, device and body): not applied again"

T = TypeVar("T")


def _app(row: tuple[Any, ...]) -> App:
    api_key, workspace, scope, platform, name, auto_created, guessed = row
    return App(api_key, workspace, scope, platform, name, auto_created, guessed)


def request_identity(decoded: DecodedRequest) -> bytes:
    """What makes a request the same request: its api key, its device and its decoded body."""
    body = decoded.body
    assert body is not None
    text = f"{decoded.api_key}\x1f{decoded.endpoint}\x1f{body.model_dump_json()}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class PostgresState:
    """A `StateStore` on PostgreSQL. `run`: the run to join (the fleet's; None: a new run)."""

    def __init__(
        self,
        dsn: str,
        *,
        run: str | None = None,
        ttl_s: float = DEFAULT_TTL_S,
        pool_size: int = 4,
        unknown_api_keys: Literal["auto_create", "reject"] = "auto_create",
        keep_anonymous_events_on_merge: bool = True,
        array_cap: int = 500,
    ) -> None:
        check_options(unknown_api_keys, array_cap)
        self.unknown_api_keys = unknown_api_keys
        self.keep_anonymous_events_on_merge = keep_anonymous_events_on_merge
        self.array_cap = array_cap
        self._rules = SdkRules(keep_anonymous_events_on_merge, array_cap)
        self._pool = open_pool(dsn, max_size=pool_size)
        self._run = ensure_run(self._pool, run, ttl_s=ttl_s)

    @property
    def run(self) -> str:
        return self._run

    def close(self) -> None:
        self._pool.close()

    # --- workspaces and apps --------------------------------------------------------------------

    def _workspace_row(self, conn: Any, name: str, scope: str | None) -> None:
        """The workspace, created if new; ValueError if another scope's (as in memory)."""
        conn.execute(
            "INSERT INTO braze_workspaces (run, name, scope) VALUES (%s, %s, %s) ON CONFLICT (run, name) DO NOTHING",
            (self._run, name, scope),
        )
        (found,) = conn.execute("SELECT scope FROM braze_workspaces WHERE run = %s AND name = %s", (self._run, name)).fetchone()
        if found != scope:
            raise ValueError(f"workspace {name!r} belongs to scope {found!r}, not {scope!r}")

    def _put_app(self, conn: Any, app: App) -> App:
        known = conn.execute(
            f"SELECT {_APP_COLUMNS} FROM braze_apps WHERE run = %s AND api_key = %s FOR UPDATE", (self._run, app.api_key)
        ).fetchone()
        if known is not None and known[1] != app.workspace:
            raise ValueError(f"api key {app.api_key!r} already belongs to workspace {known[1]!r}")
        self._workspace_row(conn, app.workspace, app.scope)
        if known is not None and _app(known) == app:
            return app
        conn.execute(
            f"INSERT INTO braze_apps (run, {_APP_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (run, api_key) DO UPDATE SET workspace = EXCLUDED.workspace, scope = EXCLUDED.scope, "
            "platform = EXCLUDED.platform, name = EXCLUDED.name, auto_created = EXCLUDED.auto_created, "
            "platform_guessed = EXCLUDED.platform_guessed",
            (self._run, app.api_key, app.workspace, app.scope, app.platform, app.name, app.auto_created, app.platform_guessed),
        )
        return app

    def create_app(
        self, api_key: str, *, workspace: str, scope: str | None = None, platform: str = "web", name: str | None = None
    ) -> App:
        """Register an app; its workspace is created on demand. Raises ValueError when the key is in
        another workspace or the workspace belongs to another scope."""
        with self._pool.connection() as conn, conn.transaction():
            return self._put_app(conn, App(api_key=api_key, workspace=workspace, scope=scope, platform=platform, name=name))

    def ensure_workspace(self, name: str, scope: str | None) -> None:
        with self._pool.connection() as conn, conn.transaction():
            self._workspace_row(conn, name, scope)

    def _find_app(self, conn: Any, api_key: str) -> App | None:
        row = conn.execute(
            f"SELECT {_APP_COLUMNS} FROM braze_apps WHERE run = %s AND api_key = %s", (self._run, api_key)
        ).fetchone()
        return _app(row) if row is not None else None

    def app(self, api_key: str, sender: DecodedRequest | None = None) -> App:
        """The app of an SDK key; an unknown key is auto-created in workspace "default" or rejected (as in memory)."""
        with self._pool.connection() as conn:
            known = self._find_app(conn, api_key)
            if known is not None and not (known.platform_guessed and sender is not None):
                return known
            if known is None and self.unknown_api_keys == "reject":
                raise UnknownApiKey(api_key)
            platform = None if sender is None else platform_of(sender)
            if known is not None and platform is None:
                return known
            with conn.transaction():
                current = self._find_app(conn, api_key)  # another replica may have created or settled it meanwhile
                if current is not None and not current.platform_guessed:
                    return current
                if current is not None:  # auto-created on the default platform: the first request showing one sets it
                    return self._put_app(conn, dataclasses.replace(current, platform=platform, platform_guessed=False))
                # replicas creating it at once: the upsert makes it one app
                return self._put_app(
                    conn,
                    App(
                        api_key=api_key, workspace=DEFAULT_WORKSPACE, auto_created=True,
                        platform=platform or "web", platform_guessed=sender is not None and platform is None,
                    ),
                )  # fmt: skip

    def apps(self, *, scope: str | None = None) -> list[App]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_APP_COLUMNS} FROM braze_apps WHERE run = %s AND (%s::text IS NULL OR scope = %s) ORDER BY seq",
                (self._run, scope, scope),
            ).fetchall()
        return [_app(r) for r in rows]

    def scope_of_api_key(self, api_key: str) -> str | None:
        with self._pool.connection() as conn:
            known = self._find_app(conn, api_key)
        return known.scope if known else None

    def reset(self, scope: str | None = None) -> None:
        """None: forget everything of this run. Otherwise drop only that scope's workspaces, apps and profiles."""
        with self._pool.connection() as conn:
            if scope is None:
                conn.execute("DELETE FROM braze_workspaces WHERE run = %s", (self._run,))
            else:
                conn.execute("DELETE FROM braze_workspaces WHERE run = %s AND scope = %s", (self._run, scope))

    # --- changes: the in-memory rules on a workspace read in one locked transaction ---------------

    @contextmanager
    def _locked(self, app: App) -> Iterator[tuple[Any, Workspace]]:
        with self._pool.connection() as conn, conn.transaction():
            ws = self._open(conn, app)
            yield conn, ws.workspace
            ws.flush()

    def _open(self, conn: Any, app: App) -> TxWorkspace:
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_WORKSPACE_LOCK, f"{self._run}\x1f{app.workspace}"))
        row = conn.execute(
            "SELECT scope FROM braze_workspaces WHERE run = %s AND name = %s", (self._run, app.workspace)
        ).fetchone()
        if row is None:
            raise LookupError(f"workspace {app.workspace!r} of api key {app.api_key!r} was reset meanwhile")
        apps = conn.execute(
            f"SELECT {_APP_COLUMNS} FROM braze_apps WHERE run = %s AND workspace = %s ORDER BY seq", (self._run, app.workspace)
        ).fetchall()
        return TxWorkspace(conn, self._run, app.workspace, row[0], {r[0]: _app(r) for r in apps})

    def _change(self, app: App, change: Callable[[Workspace], T]) -> T:
        with self._locked(app) as (_conn, ws):
            return change(ws)

    def apply(self, decoded: DecodedRequest, *, received_at: float) -> list[Problem]:
        """Apply a decoded /data/ or push/unregister request, once per run (see the module's doc); as in memory
        otherwise: never raises on bad data, UnknownApiKey for an unknown key under the `reject` policy."""
        body = decoded.body
        if decoded.endpoint not in (Endpoint.DATA, Endpoint.PUSH_UNREGISTER) or body is None:
            return []
        api_key = decoded.api_key
        if not api_key:
            return [Problem(where="api_key", message="no api key: request not applied")]
        identity = request_identity(decoded)
        for attempt in range(2):
            app = self.app(api_key, decoded)
            try:
                with self._locked(app) as (conn, ws):
                    first = conn.execute(
                        "INSERT INTO braze_applied_requests (run, workspace, digest) VALUES (%s, %s, %s) "
                        "ON CONFLICT (run, digest) DO NOTHING RETURNING 1",
                        (self._run, app.workspace, identity),
                    ).fetchone()
                    if first is None:
                        return [Problem(where="request", message=RESEND, severity="info")]
                    return self._rules.apply(ws, app, decoded, received_at)
            except LookupError:
                if attempt:  # reset again between two tries: one clear error, not a loop
                    raise
        raise AssertionError("unreachable")

    def rest_track(self, app: App, body: Any) -> dict[str, Any]:
        return self._change(app, lambda ws: rest_users.track(ws, body, array_cap=self.array_cap))

    def import_rows(self, app: App, kind: Kind, rows: list[Row], *, update_existing_only: bool) -> list[RowIssue]:
        return self._change(
            app,
            lambda ws: csv_rows.apply_rows(ws, kind, rows, update_existing_only=update_existing_only, array_cap=self.array_cap),
        )

    def rest_export_ids(self, app: App, body: Any) -> dict[str, Any]:
        return self._change(app, lambda ws: rest_users.export_ids(ws, body))

    def rest_identity(self, app: App, path: str, body: Any) -> dict[str, Any]:
        return self._change(app, lambda ws: rest_identity.HANDLERS[path](ws, body, now=time.time()))

    def forget_devices(self, device_ids: list[str] | set[str]) -> int:
        """Drop the profiles seen only on these devices (in any workspace of the run); how many were dropped."""
        devices = sorted(set(device_ids))
        if not devices:
            return 0
        with self._pool.connection() as conn, conn.transaction():
            names = [
                n
                for (n,) in conn.execute(
                    "SELECT DISTINCT workspace FROM braze_profiles WHERE run = %s AND devices && %s "
                    "UNION SELECT DISTINCT workspace FROM braze_device_states WHERE run = %s AND device_id = ANY(%s) "
                    "ORDER BY 1",
                    (self._run, devices, self._run, devices),
                ).fetchall()
            ]
            for name in names:  # in one order: two replicas forgetting at once never deadlock
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_WORKSPACE_LOCK, f"{self._run}\x1f{name}"))
            gone = conn.execute(
                "DELETE FROM braze_profiles WHERE run = %s AND cardinality(devices) > 0 AND devices <@ %s "
                "RETURNING workspace, braze_id",
                (self._run, devices),
            ).fetchall()
            if gone:
                conn.cursor().executemany(
                    "DELETE FROM braze_deprecated_ids WHERE run = %s AND workspace = %s AND braze_id = %s",
                    [(self._run, ws, b) for ws, b in gone],
                )
            conn.execute("DELETE FROM braze_device_states WHERE run = %s AND device_id = ANY(%s)", (self._run, devices))
            conn.execute("DELETE FROM braze_device_records WHERE run = %s AND device_id = ANY(%s)", (self._run, devices))
        return len(gone)

    # --- reading ----------------------------------------------------------------------------------

    def profiles(
        self,
        *,
        external_id: str | None = None,
        device_id: str | None = None,
        braze_id: str | None = None,
        workspace: str | None = None,
        scope: str | None = None,
        api_key: str | None = None,
    ) -> list[Profile]:
        """Profiles matching every given filter, as read from the database (copies: safe to keep)."""
        conds, args = ["p.run = %s"], [self._run]
        with self._pool.connection() as conn:
            if api_key is not None:
                app = self._find_app(conn, api_key)
                if app is None or (workspace is not None and workspace != app.workspace):
                    return []
                workspace = app.workspace
            for cond, value in (
                ("p.external_id = %s", external_id),
                ("p.braze_id = %s", braze_id),
                ("p.devices @> ARRAY[%s]", device_id),
                ("p.workspace = %s", workspace),
                ("w.scope = %s", scope),
            ):
                if value is not None:
                    conds.append(cond)
                    args.append(value)
            rows = conn.execute(
                "SELECT p.doc FROM braze_profiles p JOIN braze_workspaces w ON w.run = p.run AND w.name = p.workspace "
                f"WHERE {' AND '.join(conds)} ORDER BY w.seq, p.seq",
                args,
            ).fetchall()
        return [docs_pg.profile_from(doc) for (doc,) in rows]

    def profile_json(self, profile: Profile) -> dict[str, Any]:
        return profile_view(profile)

    def index_errors(self) -> list[str]:
        """Self-check: every place an index column disagrees with the profiles' documents (empty when consistent)."""
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute("SELECT name, scope FROM braze_workspaces WHERE run = %s ORDER BY seq", (self._run,)).fetchall()
            errors = []
            for name, scope in rows:
                app = App(api_key="", workspace=name, scope=scope)
                errors += self._open(conn, app).workspace.index_errors()
            return errors
