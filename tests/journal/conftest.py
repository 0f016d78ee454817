"""The journal contract's implementations: every test taking `make_journal` runs against the in-memory journal and
the PostgreSQL one (a run of its own in the session's PostgreSQL server)."""

import pytest
from braze_harness.journal import Journal


@pytest.fixture(params=["memory", "postgres"])
def make_journal(request):
    made = []

    def make(**kwargs):
        if request.param == "memory":
            journal = Journal(**kwargs)
        else:
            from braze_harness.journal.postgres import PostgresJournal

            journal = PostgresJournal(request.getfixturevalue("postgres_server").dsn, **kwargs)
        made.append(journal)
        return journal

    yield make
    for journal in made:
        journal.close()
