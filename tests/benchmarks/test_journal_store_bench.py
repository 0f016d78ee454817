"""The journal benchmark appends every body it times, to either journal."""

from braze_harness.journal import Journal
from braze_harness.journal.postgres import PostgresJournal

from benchmarks.bench_bodies import make_bodies
from benchmarks.journal_store import appends_per_s


def test_both_journals_are_timed_on_every_body(postgres_server):
    bodies = make_bodies(40, 5, 1700000000)
    memory = Journal()
    postgres = PostgresJournal(postgres_server.dsn)
    try:
        for journal in (memory, postgres):
            assert appends_per_s(journal, bodies, 4) > 0
            assert journal.stats("bench")["entries"] == 40 and journal.stats("bench")["bad"] == 0
    finally:
        postgres.close()
