"""Journal: scoping, queries, the cap, waking waiters, the SQLite copy and JSONL export.

The tests taking `make_journal` are the journal's contract: each runs against the in-memory journal and the
PostgreSQL one (tests/journal/conftest.py)."""

import json
import time

import pytest
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Journal, Query, read_sqlite

from tests.support.builders import append, ce, data_body, later, ss


def test_entries_keep_the_scope_their_caller_gives(make_journal):
    journal = make_journal()
    append(journal, data_body(api_key="key-a", device_id="dev-1"), api_key="key-a", scope="A")
    append(journal, data_body(api_key="shared", device_id="dev-b"), api_key="shared", scope="B")
    append(journal, data_body(api_key="shared", device_id="dev-x"), api_key="shared")
    assert [e.device_id for e in journal.query(Query(scope="A"))] == ["dev-1"]
    assert [e.device_id for e in journal.query(Query(scope="B"))] == ["dev-b"]
    assert journal.query(Query(device_id="dev-x"))[0].scope is None


def test_reset_of_a_scope_touches_nothing_else(make_journal):
    journal = make_journal()
    append(journal, data_body(api_key="a"), api_key="a", scope="A")
    append(journal, data_body(api_key="b"), api_key="b", scope="B")
    assert journal.reset("A") == 1
    assert [e.scope for e in journal.query()] == ["B"]


def test_queries_by_user_session_code_name_and_time(make_journal):
    journal = make_journal()
    append(journal, data_body(events=[ss(user="u1", session="s1"), ce("song_played", user="u1", session="s1")]))
    append(journal, data_body(device_id="dev-2", events=[ce("other", user="u2", session="s2")]))
    assert len(journal.query(Query(user_id="u1"))) == 1
    assert len(journal.query(Query(session_id="s2"))) == 1
    assert len(journal.query(Query(event_code="ss"))) == 1
    assert len(journal.query(Query(event_name="other"))) == 1
    assert len(journal.query(Query(since=time.time() + 60))) == 0
    assert [e.seq for e in journal.query(Query(after_seq=1))] == [2]
    assert [e.seq for e in journal.query(Query(limit=1))] == [2]


def test_bad_entries_are_kept_with_their_reasons(make_journal):
    journal = make_journal()
    entry = append(journal, "{broken")
    assert not entry.good
    assert entry.request.raw_body == "{broken"
    assert [e.seq for e in journal.query(Query(good=False))] == [entry.seq]
    assert journal.query(Query(good=False))[0].request.raw_body == "{broken"  # decoded again from what was kept
    assert "malformed JSON" in entry.summary()


def test_the_cap_drops_the_oldest_and_counts_drops_per_scope(make_journal):
    journal = make_journal(cap=3)
    for i in range(5):
        append(journal, data_body(api_key="a", device_id=f"d{i}"), api_key="a", scope="A")
    assert [e.device_id for e in journal.query()] == ["d2", "d3", "d4"]
    assert journal.stats("A")["dropped"] == 2
    assert journal.stats()["dropped"] == 2


def test_wait_wakes_on_append_not_on_timeout(make_journal):
    journal = make_journal()
    later(0.05, append, journal, data_body(api_key="a"), api_key="a", scope="A")
    started = time.monotonic()
    assert journal.wait(0, timeout=5, scope="A")
    assert time.monotonic() - started < 2


def test_wait_ignores_other_scopes(make_journal):
    journal = make_journal()
    append(journal, data_body(api_key="other"), api_key="other")
    assert not journal.wait(0, timeout=0.1, scope="A")


def test_listeners_see_every_entry(make_journal):
    journal = make_journal()
    seen = []
    journal.add_listener(lambda e: seen.append(e.seq))
    append(journal, data_body())
    append(journal, data_body())
    assert seen == [1, 2]


def test_sqlite_copy_and_jsonl_export(tmp_path):
    db = tmp_path / "journal.db"
    journal = Journal(sqlite_path=db)
    append(journal, data_body(api_key="a", events=[ce("saved", user="u1")]), api_key="a", scope="A")
    append(journal, "{bad")
    journal.close()
    loaded = read_sqlite(db)
    assert [e.seq for e in loaded] == [1, 2]
    assert loaded[0].events[0].data.n == "saved"  # re-decoded from the stored exchange
    assert loaded[0].scope == "A" and not loaded[1].good
    out = tmp_path / "x.jsonl"
    fresh = Journal()
    for e in loaded:
        append(fresh, e.exchange.body)
    assert fresh.export_jsonl(out) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["events"][0]["data"]["n"] == "saved" and rows[1]["good"] is False


def test_query_from_http_params_rejects_unknown_filters():
    assert Query.from_params({"device_id": "d", "good": "false", "after_seq": "3"}) == Query(
        device_id="d", good=False, after_seq=3
    )
    with pytest.raises(HarnessConfigError, match="unknown journal filter 'devise_id'"):
        Query.from_params({"devise_id": "d"})
    with pytest.raises(HarnessConfigError, match="after_seq"):
        Query.from_params({"after_seq": "x"})
