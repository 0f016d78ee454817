"""The state's rules, run against the in-memory `EmulatorState` and the PostgreSQL store: every test module here that
builds an `EmulatorState` runs twice, the second time with `PostgresState` (a run of its own in the session's
PostgreSQL server) in its place. The rules are one implementation (state/apply.py); this checks that reading a
workspace from the database and writing back what changed keeps them exactly as they are in memory."""

import pytest

MEMORY_ONLY = {
    # `version` is the in-memory store's cheap change counter; the PostgreSQL store has none
    "test_change_user_to_the_same_id_changes_nothing",
    "test_version_increments_on_changes_and_not_on_reads",
}


def pytest_generate_tests(metafunc):
    if hasattr(metafunc.module, "EmulatorState") and "state_store" in metafunc.fixturenames:
        metafunc.parametrize("state_store", ["memory", "postgres"], indirect=True)


@pytest.fixture(autouse=True)
def state_store(request, monkeypatch):
    kind = getattr(request, "param", "memory")
    if kind == "memory":
        yield kind
        return
    if request.function.__name__ in MEMORY_ONLY:
        pytest.skip("reads the in-memory store's change counter")
    from braze_harness.emulator.state.store_pg import PostgresState

    dsn = request.getfixturevalue("postgres_server").dsn
    made = []

    def make(**options):
        state = PostgresState(dsn, pool_size=2, **options)
        made.append(state)
        return state

    monkeypatch.setattr(request.module, "EmulatorState", make)
    yield kind
    for state in made:
        state.close()
