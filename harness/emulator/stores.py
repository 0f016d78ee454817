"""The interfaces the emulator's pipeline and services use for what it keeps: state (profiles), tenancy (scopes),
engagement and the journal. The in-memory classes are the default; a database-backed store (a fleet of replicas
on PostgreSQL) implements the same methods. Typed as Protocols so any implementation fits without inheriting.

On PostgreSQL (docs/fleet.md): the journal (`braze_harness.journal.postgres.PostgresJournal`), tenancy
(`braze_harness.emulator.tenancy_pg.PostgresTenancy`), engagement
(`braze_harness.emulator.state.engagement_pg.PostgresEngagement`) and the state
(`braze_harness.emulator.state.store_pg.PostgresState`); `braze-harness emulator --store postgresql://…` uses all four."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from braze_harness.emulator.state.engagement import Engagement
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.workspaces import App
from braze_harness.journal import Exchange, JournalEntry, Query
from braze_harness.protocol.csv_users import Kind, Row, RowIssue
from braze_harness.protocol.decode import DecodedRequest, Problem

__all__ = ["EngagementStore", "JournalStore", "StateStore", "TenancyStore"]

EngagementStore = Engagement  # record / ids / counts / drop (state/engagement.py)


class StateStore(Protocol):
    """Workspaces, apps and profiles (`braze_harness.emulator.state.EmulatorState`)."""

    def app(self, api_key: str, sender: DecodedRequest | None = None) -> App: ...

    def apps(self, *, scope: str | None = None) -> list[App]: ...

    def create_app(
        self, api_key: str, *, workspace: str, scope: str | None = None, platform: str = "web", name: str | None = None
    ) -> App: ...

    def ensure_workspace(self, name: str, scope: str | None) -> None: ...

    def import_rows(self, app: App, kind: Kind, rows: list[Row], *, update_existing_only: bool) -> list[RowIssue]: ...

    def apply(self, decoded: DecodedRequest, *, received_at: float) -> list[Problem]: ...

    def profiles(
        self,
        *,
        external_id: str | None = None,
        device_id: str | None = None,
        braze_id: str | None = None,
        workspace: str | None = None,
        scope: str | None = None,
        api_key: str | None = None,
    ) -> list[Profile]: ...

    def profile_json(self, profile: Profile) -> dict[str, Any]: ...

    def reset(self, scope: str | None = None) -> None: ...

    def forget_devices(self, device_ids: list[str] | set[str]) -> int: ...

    def rest_track(self, app: App, body: Any) -> dict[str, Any]: ...

    def rest_export_ids(self, app: App, body: Any) -> dict[str, Any]: ...

    def rest_identity(self, app: App, path: str, body: Any) -> dict[str, Any]: ...


class TenancyStore(Protocol):
    """Scopes, what they own and their test's calls (`braze_harness.emulator.tenancy.Tenancy`)."""

    def new_scope(self, name: str | None = None) -> str: ...

    def claim(self, scope: str, *, api_keys: Iterable[str] = (), device_ids: Iterable[str] = ()) -> None: ...

    def release(self, scope: str) -> None: ...

    def scope_for(self, api_key: str | None, device_id: str | None) -> str | None: ...

    def owned(self, scope: str) -> dict[str, list[str]]: ...

    def add_calls(self, scope: str, calls: list[dict[str, Any]]) -> dict[str, int]: ...

    def calls(self, scope: str) -> list[dict[str, Any]]: ...


class JournalStore(Protocol):
    """Where exchanges are kept and read (`braze_harness.journal.Journal`)."""

    cap: int

    @property
    def run(self) -> str | None: ...

    @property
    def latest_seq(self) -> int: ...

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
    ) -> JournalEntry: ...

    def query(self, q: Query | None = None) -> list[JournalEntry]: ...

    def reset(self, scope: str | None = None) -> int: ...

    def last_seq(self, scope: str | None = None) -> int: ...

    def wait(self, after_seq: int, timeout: float, scope: str | None = None) -> bool: ...

    def add_listener(self, listener: Callable[[JournalEntry], None]) -> None: ...

    def remove_listener(self, listener: Callable[[JournalEntry], None]) -> None: ...

    def stats(self, scope: str | None = None) -> dict[str, Any]: ...

    def export_jsonl(self, path: str | Path, q: Query | None = None) -> int: ...

    def close(self) -> None: ...
