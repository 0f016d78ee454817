"""Tenancy's contract, run against the in-memory tenancy and the PostgreSQL one (a run of its own in the session's
PostgreSQL server): claims, which scope owns a request, ownership listings, releases; and on PostgreSQL, replicas
sharing a run, runs kept apart, and concurrent claims staying exact."""

import threading

import pytest
from braze_harness.emulator.tenancy import Tenancy


@pytest.fixture(params=["memory", "postgres"])
def make_tenancy(request):
    made = []

    def make(**kwargs):
        if request.param == "memory":
            tenancy = Tenancy()
        else:
            from braze_harness.emulator.tenancy_pg import PostgresTenancy

            tenancy = PostgresTenancy(request.getfixturevalue("postgres_server").dsn, **kwargs)
        made.append(tenancy)
        return tenancy

    yield make
    for tenancy in made:
        getattr(tenancy, "close", lambda: None)()


def test_a_device_claim_is_more_specific_than_a_key_claim(make_tenancy):
    tenancy = make_tenancy()
    tenancy.claim("A", api_keys=["shared"])
    tenancy.claim("B", device_ids=["dev-b"])
    assert tenancy.scope_for("shared", "dev-b") == "B"
    assert tenancy.scope_for("shared", "dev-other") == "A"
    assert tenancy.scope_for("shared", None) == "A"
    assert tenancy.scope_for(None, "dev-b") == "B"
    assert tenancy.scope_for("unknown", "unknown") is None
    assert tenancy.scope_for(None, None) is None


def test_the_last_claim_wins_and_release_frees_only_that_scope(make_tenancy):
    tenancy = make_tenancy()
    tenancy.claim("A", api_keys=["k1", "k2"], device_ids=["d1"])
    tenancy.claim("B", api_keys=["k2"], device_ids=["d2"])
    assert tenancy.owned("A") == {"api_keys": ["k1"], "device_ids": ["d1"]}
    assert tenancy.owned("B") == {"api_keys": ["k2"], "device_ids": ["d2"]}
    tenancy.release("A")
    assert tenancy.owned("A") == {"api_keys": [], "device_ids": []}
    assert tenancy.scope_for("k1", "d1") is None
    assert tenancy.scope_for("k2", "d2") == "B"


def test_new_scopes_are_clean_and_unique(make_tenancy):
    tenancy = make_tenancy()
    first, second = tenancy.new_scope("my test[1]"), tenancy.new_scope("my test[1]")
    assert first != second and first.startswith("my-test-1--")
    assert tenancy.new_scope().startswith("scope-")


def test_concurrent_claims_and_releases_stay_exact(make_tenancy):
    tenancy = make_tenancy()

    def worker(scope):
        for i in range(25):
            tenancy.claim(scope, api_keys=[f"{scope}-k{i}"], device_ids=[f"{scope}-d{i}"])
        tenancy.release(f"{scope}-gone")

    threads = [threading.Thread(target=worker, args=(s,)) for s in ("A", "B", "C", "D")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for scope in "ABCD":
        owned = tenancy.owned(scope)
        assert owned["api_keys"] == sorted(f"{scope}-k{i}" for i in range(25))
        assert owned["device_ids"] == sorted(f"{scope}-d{i}" for i in range(25))


def test_replicas_share_claims_and_other_runs_never_see_them(postgres_server):
    from braze_harness.emulator.tenancy_pg import PostgresTenancy

    first = PostgresTenancy(postgres_server.dsn)
    second = PostgresTenancy(postgres_server.dsn, run=first.run)
    other_run = PostgresTenancy(postgres_server.dsn)
    try:
        first.claim("A", api_keys=["k"], device_ids=["d"])
        assert second.scope_for("k", None) == "A" and second.owned("A") == {"api_keys": ["k"], "device_ids": ["d"]}
        other_run.claim("A", api_keys=["k"])
        other_run.release("A")
        assert second.scope_for(None, "d") == "A" and other_run.scope_for("k", "d") is None
        second.release("A")
        assert first.scope_for("k", "d") is None
    finally:
        for tenancy in (first, second, other_run):
            tenancy.close()


def test_two_replicas_claiming_one_key_leave_exactly_one_owner(postgres_server):
    from braze_harness.emulator.tenancy_pg import PostgresTenancy

    replicas = [PostgresTenancy(postgres_server.dsn)]
    replicas.append(PostgresTenancy(postgres_server.dsn, run=replicas[0].run))
    try:
        threads = [
            threading.Thread(target=lambda r=r, s=s: [r.claim(s, api_keys=[f"k{i}" for i in range(40)]) for _ in range(5)])
            for r, s in zip(replicas, ("A", "B"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a, b = replicas[0].owned("A")["api_keys"], replicas[1].owned("B")["api_keys"]
        assert sorted(a + b) == sorted(f"k{i}" for i in range(40))  # each key has one owner, none lost
    finally:
        for tenancy in replicas:
            tenancy.close()


def test_a_scopes_calls_are_kept_in_order_capped_and_released_with_it(make_tenancy, monkeypatch):
    from braze_harness.emulator import tenancy as memory
    from braze_harness.emulator import tenancy_pg

    for store in (memory, tenancy_pg):  # a small cap, the same in both
        monkeypatch.setattr(store, "CALLS_CAP", 5)
    tenancy = make_tenancy()
    calls = [{"lane": "app", "name": "log_event", "label": f'log_event("e{i}")', "start": i, "end": i + 0.5, "error": None}
             for i in range(4)]  # fmt: skip
    assert tenancy.add_calls("A", calls[:3]) == {"kept": 3, "dropped": 0}
    assert tenancy.add_calls("B", calls[3:]) == {"kept": 1, "dropped": 0}
    assert tenancy.add_calls("A", calls) == {"kept": 5, "dropped": 2}  # the oldest go first
    assert [c["label"] for c in tenancy.calls("A")] == ['log_event("e2")', *(c["label"] for c in calls)]
    assert tenancy.calls("A")[-1] == calls[-1]
    tenancy.release("A")
    assert tenancy.calls("A") == [] and tenancy.calls("B") == [calls[3]]
