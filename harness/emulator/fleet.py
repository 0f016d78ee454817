"""The stores an emulator keeps what it knows in: in memory (the default, one process), or with `settings.store` in a
PostgreSQL database that every replica of a fleet shares (docs/fleet.md): state, tenancy, engagement and the journal,
all four in the run `settings.store_run`.

What is not in these four stays in each replica's memory even with a database (messaging's seeded campaigns and
canvases, faults, SDK authentication, REST keys and rate limits, scope clocks, push outboxes): `PER_REPLICA` names it,
for the CLI and the docs to say so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.emulator.state import EmulatorState
from braze_harness.emulator.state.engagement import EngagementLedger
from braze_harness.emulator.stores import EngagementStore, JournalStore, StateStore, TenancyStore
from braze_harness.emulator.tenancy import Tenancy
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Journal
from braze_harness.protocol.wire import Limits

# what each replica keeps to itself, by the name the health route (`per_replica`) and the control API client use
PER_REPLICA_PARTS = {
    "messaging": "messaging seeds (campaigns, canvases, cards, flags)",
    "faults": "faults",
    "sdk_auth": "SDK authentication",
    "rest_keys": "REST keys and rate limits",
    "clocks": "scope clocks",
    "push": "push outboxes",
}
PER_REPLICA = ", ".join(PER_REPLICA_PARTS.values())


@dataclass(frozen=True, slots=True)
class Stores:
    state: StateStore
    tenancy: TenancyStore
    engagement: EngagementStore
    journal: JournalStore

    def close(self) -> None:
        """Close the journal and any store holding a connection pool (the in-memory ones hold nothing)."""
        self.journal.close()
        for store in (self.state, self.tenancy, self.engagement):
            close: Any = getattr(store, "close", None)
            if close is not None:
                close()


def open_stores(settings: EmulatorSettings, limits: Limits) -> Stores:
    if settings.store is None:
        return Stores(
            state=EmulatorState(
                unknown_api_keys=settings.unknown_api_keys,
                keep_anonymous_events_on_merge=settings.keep_anonymous_events_on_merge,
            ),
            tenancy=Tenancy(),
            engagement=EngagementLedger(),
            journal=Journal(
                cap=settings.journal_cap, sqlite_path=settings.journal_db, max_bytes=settings.journal_max_bytes, limits=limits
            ),
        )
    if settings.journal_db is not None:
        raise HarnessConfigError("--journal-db and --store together: the journal is in the --store database already")
    return _postgres(settings, limits)


def _postgres(settings: EmulatorSettings, limits: Limits) -> Stores:
    from braze_harness.emulator.state.engagement_pg import PostgresEngagement
    from braze_harness.emulator.state.store_pg import PostgresState
    from braze_harness.emulator.tenancy_pg import PostgresTenancy
    from braze_harness.journal.postgres import PostgresJournal

    dsn, run = settings.store, settings.store_run
    assert dsn is not None
    opened: list[Any] = []
    try:  # the journal first: an unreachable database is one line, before anything else is opened
        opened.append(PostgresJournal(dsn, run=run, label=run, cap=settings.journal_cap, limits=limits))
        opened.append(
            PostgresState(
                dsn,
                run=run,
                unknown_api_keys=settings.unknown_api_keys,
                keep_anonymous_events_on_merge=settings.keep_anonymous_events_on_merge,
            )
        )
        opened.append(PostgresTenancy(dsn, run=run))
        opened.append(PostgresEngagement(dsn, run=run))
    except BaseException:
        for store in opened:
            store.close()
        raise
    journal, state, tenancy, engagement = opened
    return Stores(state=state, tenancy=tenancy, engagement=engagement, journal=journal)
