"""The expect DSL on the PostgreSQL journal: a wait on one replica is met by what another replica journaled, woken by
its notification; another run's traffic never meets it."""

import time

import pytest
from braze_harness.expect import Expect
from braze_harness.expect.source import JournalSource
from braze_harness.journal.postgres import PostgresJournal

from tests.support.builders import append, ce, data_body, later


@pytest.fixture
def fleet(postgres_server):
    first = PostgresJournal(postgres_server.dsn)
    second = PostgresJournal(postgres_server.dsn, run=first.run)
    elsewhere = PostgresJournal(postgres_server.dsn)
    yield first, second, elsewhere
    for journal in (first, second, elsewhere):
        journal.close()


def test_an_expectation_on_one_replica_is_met_by_another_replicas_traffic(fleet):
    first, second, _ = fleet
    later(0.3, append, second, data_body(events=[ce("song_played", {"genre": "jazz"}, user="ada")]), scope="A")
    started = time.monotonic()
    (match,) = Expect(JournalSource(first, scope="A")).custom_event("song_played", {"genre": "jazz"}).within(10)
    assert time.monotonic() - started < 5
    assert match.entry.seq == 1


def test_another_runs_traffic_never_meets_it(fleet):
    first, _, elsewhere = fleet
    later(0.1, append, elsewhere, data_body(events=[ce("song_played", user="ada")]), scope="A")
    with pytest.raises(AssertionError, match="song_played"):
        Expect(JournalSource(first, scope="A")).custom_event("song_played").within(1)
