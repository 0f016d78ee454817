"""What only the PostgreSQL journal does: replicas sharing one run (one journal, wake-ups and listeners across them,
an exact cap and sequence under concurrent appends), runs kept apart and expired, the schema migrated once."""

import threading
import time

import psycopg
import pytest
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Query
from braze_harness.journal.pg import SCHEMA_VERSION, open_pool, redact, runs
from braze_harness.journal.postgres import PostgresJournal
from braze_harness.protocol.decode import decode

from tests.support.builders import append, data_body, later

ENGAGED = data_body(events=[{"name": "ccd", "time": 1795379909.0, "data": {"ids": ["news"]}, "user_id": "ada"}])


@pytest.fixture
def replicas(postgres_server):
    """Two journals on one run, each with its own pool and LISTEN connection: two emulator replicas."""
    first = PostgresJournal(postgres_server.dsn, cap=100)
    second = PostgresJournal(postgres_server.dsn, run=first.run, cap=100)
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def fresh_db(postgres_server):
    name = f"fresh_{time.monotonic_ns()}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.dsn_for(name)
    with psycopg.connect(postgres_server.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_any_replica_reads_what_another_appended(replicas):
    first, second = replicas
    append(first, data_body(device_id="from-first"), scope="A")
    append(second, data_body(device_id="from-second"), scope="A")
    assert [(e.seq, e.device_id) for e in first.query(Query(scope="A"))] == [(1, "from-first"), (2, "from-second")]
    assert second.last_seq("A") == 2
    assert first.reset("A") == 2 and second.query() == []


def test_a_wait_on_one_replica_wakes_on_another_replicas_append(replicas):
    first, second = replicas
    later(0.2, append, second, data_body(), scope="A")
    started = time.monotonic()
    assert first.wait(0, timeout=10, scope="A")
    assert time.monotonic() - started < 5  # woken by the notification, not by the timeout


def test_listeners_see_entries_every_replica_appended(replicas):
    first, second = replicas
    seen, arrived = [], threading.Event()

    def listener(entry):
        seen.append((entry.seq, entry.device_id))
        if len(seen) == 2:
            arrived.set()

    first.add_listener(listener)
    append(first, data_body(device_id="here"))
    append(second, data_body(device_id="there"))
    assert arrived.wait(10)
    assert sorted(seen) == [(1, "here"), (2, "there")]


def test_concurrent_appends_on_two_replicas_stay_exact(postgres_server):
    first = PostgresJournal(postgres_server.dsn, cap=60)
    second = PostgresJournal(postgres_server.dsn, run=first.run, cap=60)
    seqs, lock = [], threading.Lock()

    def writer(journal, scope):
        for _ in range(40):
            entry = append(journal, data_body(), scope=scope)
            with lock:
                seqs.append(entry.seq)

    threads = [threading.Thread(target=writer, args=(j, s)) for j in (first, second) for s in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(seqs) == list(range(1, 161))
        assert [e.seq for e in second.query()] == list(range(101, 161))
        assert first.stats()["dropped"] == 100 and first.stats()["entries"] == 60
    finally:
        first.close()
        second.close()


def test_another_runs_reset_never_touches_this_one(postgres_server):
    mine, theirs = PostgresJournal(postgres_server.dsn), PostgresJournal(postgres_server.dsn)
    try:
        append(mine, data_body(), scope="shared-name")
        append(theirs, data_body(), scope="shared-name")
        assert theirs.reset() == 1 and theirs.reset("shared-name") == 0
        assert mine.stats("shared-name")["entries"] == 1 and mine.run != theirs.run
        assert not mine.wait(1, timeout=0.2, scope="shared-name")  # their appends and resets wake nothing here
    finally:
        mine.close()
        theirs.close()


def test_runs_unused_past_their_ttl_are_deleted(fresh_db):
    from braze_harness.emulator.state.engagement_pg import PostgresEngagement
    from braze_harness.emulator.tenancy_pg import PostgresTenancy

    old = PostgresJournal(fresh_db, label="yesterday's job")
    tenancy, engagement = PostgresTenancy(fresh_db, run=old.run), PostgresEngagement(fresh_db, run=old.run)
    append(old, data_body())
    tenancy.claim("A", api_keys=["k"])
    pool = open_pool(fresh_db)
    try:
        with pool.connection() as conn:
            conn.execute("UPDATE braze_runs SET touched_at = touched_at - 7200 WHERE run = %s", (old.run,))
        new = PostgresJournal(fresh_db, ttl_s=3600)
        try:
            assert [r["run"] for r in runs(pool)] == [new.run]
            with pool.connection() as conn:
                assert conn.execute("SELECT count(*) FROM braze_journal").fetchone() == (0,)
                assert conn.execute("SELECT count(*) FROM braze_claims").fetchone() == (0,)
            # a replica still on the expired run is told so, in one line, whichever store it writes to
            with pytest.raises(HarnessConfigError, match=f"run '{old.run}' is no longer in the PostgreSQL store"):
                append(old, data_body())
            with pytest.raises(HarnessConfigError, match="no longer in the PostgreSQL store"):
                tenancy.claim("A", api_keys=["k"])
            with pytest.raises(HarnessConfigError, match="no longer in the PostgreSQL store"):
                engagement.record("A", decode("POST", "http://127.0.0.1/api/v3/data/", {}, ENGAGED))
        finally:
            new.close()
    finally:
        for store in (pool, old, tenancy, engagement):
            store.close()


def test_the_schema_is_created_once_and_a_newer_one_is_refused(fresh_db):
    journals = []
    threads = [threading.Thread(target=lambda: journals.append(PostgresJournal(fresh_db))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for journal in journals:
        journal.close()
    assert len(journals) == 3  # three replicas starting together: one migrates, the others wait for it
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT array_agg(version) FROM braze_schema").fetchone() == (list(range(1, SCHEMA_VERSION + 1)),)
        conn.execute("INSERT INTO braze_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(HarnessConfigError, match=f"schema is version {SCHEMA_VERSION + 1}, newer than this braze-harness"):
        PostgresJournal(fresh_db)


def test_an_unreachable_database_is_one_line_without_the_password(postgres_server):
    dsn = f"postgresql://postgres:s3cret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(HarnessConfigError, match="cannot reach the PostgreSQL store") as err:
        PostgresJournal(dsn)
    assert "s3cret" not in str(err.value) and "no_such_db" in str(err.value)
    assert redact(dsn) == f"postgresql://postgres:***@127.0.0.1:{postgres_server.port}/no_such_db"


def test_an_older_schema_is_migrated_and_keeps_what_it_holds(fresh_db):
    from braze_harness.journal.pg import MIGRATIONS

    with psycopg.connect(fresh_db, autocommit=True) as conn:  # the database as the first released version left it
        conn.execute("CREATE TABLE braze_schema (version INTEGER NOT NULL)")
        conn.execute(MIGRATIONS[0])
        conn.execute("INSERT INTO braze_schema VALUES (1)")
        conn.execute("INSERT INTO braze_runs (run, started_at, touched_at) VALUES ('old-run', 0, extract(epoch FROM now()))")
    journal = PostgresJournal(fresh_db, run="old-run")
    try:
        append(journal, data_body())
        with psycopg.connect(fresh_db) as conn:
            assert conn.execute("SELECT max(version) FROM braze_schema").fetchone() == (SCHEMA_VERSION,)
            assert conn.execute("SELECT count(*) FROM braze_engagement").fetchone() == (0,)  # added by migration 2
        assert journal.latest_seq == 1 and journal.run == "old-run"
    finally:
        journal.close()


def test_a_lost_listen_connection_is_opened_again_and_waits_still_wake(replicas, postgres_server):
    first, second = replicas
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 2  # both replicas' listening connections
    later(0.5, append, second, data_body(), scope="A")
    started = time.monotonic()
    assert first.wait(0, timeout=10, scope="A")
    assert time.monotonic() - started < 5
    later(0.2, append, first, data_body(), scope="A")
    assert second.wait(1, timeout=10, scope="A")
