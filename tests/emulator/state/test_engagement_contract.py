"""The engagement ledger's contract, run against the in-memory ledger and the PostgreSQL one (a run of its own in
the session's PostgreSQL server): what a user engaged with, counts per scope, drops; and on PostgreSQL, replicas
recording at once lose nothing and another run sees none of it."""

import threading

import pytest
from braze_harness.emulator.state.engagement import EngagementLedger
from braze_harness.protocol.decode import decode

from tests.support.builders import data_body

T = 1795379909.0


def engaged(*events, user="ada", device="dev-1"):
    body = data_body(device_id=device, events=[{"name": code, "time": T, "data": data, "user_id": user} for code, data in events])
    return decode("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": "k"}, body)


@pytest.fixture(params=["memory", "postgres"])
def make_ledger(request):
    made = []

    def make(**kwargs):
        if request.param == "memory":
            ledger = EngagementLedger()
        else:
            from braze_harness.emulator.state.engagement_pg import PostgresEngagement

            ledger = PostgresEngagement(request.getfixturevalue("postgres_server").dsn, **kwargs)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        getattr(ledger, "close", lambda: None)()


def test_what_a_user_engaged_with_is_kept_per_scope(make_ledger):
    ledger = make_ledger()
    ledger.record("A", engaged(("cci", {"ids": ["news", "sale"]}), ("ccd", {"ids": ["news"]})))
    ledger.record("A", engaged(("cci", {"ids": ["news"]})))
    ledger.record("B", engaged(("ccd", {"ids": ["sale"]})))
    ledger.record(None, engaged(("ccd", {"ids": ["unowned"]})))  # traffic no test owns is not counted
    assert ledger.ids("A", "ccd", "user:ada") == {"news"}
    assert ledger.ids("A", "cci", "user:ada") == {"news", "sale"}
    assert ledger.ids("B", "ccd", "user:ada") == {"sale"} and ledger.ids(None, "ccd", "user:ada") == set()
    assert sorted(ledger.counts("A")) == [
        ("ccd", "news", "user:ada", 1),
        ("cci", "news", "user:ada", 2),
        ("cci", "sale", "user:ada", 1),
    ]
    assert ledger.counts(None) == []


def test_anonymous_users_are_keyed_by_device_and_drops_touch_one_scope(make_ledger):
    ledger = make_ledger()
    ledger.record("A", engaged(("si", {"trigger_ids": ["t1"]}), user=None, device="dev-9"))
    ledger.record("B", engaged(("ffi", {"fid": "flag"})))
    assert ledger.ids("A", "si", "device:dev-9") == {"t1"}
    ledger.drop("A")
    assert ledger.counts("A") == [] and ledger.counts("B") == [("ffi", "flag", "user:ada", 1)]
    ledger.drop()
    assert ledger.counts("B") == []


def test_replicas_recording_at_once_lose_nothing_and_other_runs_see_nothing(postgres_server):
    from braze_harness.emulator.state.engagement_pg import PostgresEngagement

    first = PostgresEngagement(postgres_server.dsn)
    second = PostgresEngagement(postgres_server.dsn, run=first.run)
    other = PostgresEngagement(postgres_server.dsn)
    request = engaged(("cci", {"ids": ["news", "sale"]}))
    try:
        threads = [threading.Thread(target=lambda r=r: [r.record("A", request) for _ in range(30)]) for r in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert first.counts("A") == [("cci", "news", "user:ada", 60), ("cci", "sale", "user:ada", 60)]
        assert other.counts("A") == [] and other.ids("A", "cci", "user:ada") == set()
    finally:
        for ledger in (first, second, other):
            ledger.close()
