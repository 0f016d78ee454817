"""`--journal-db`: one file may hold many runs, and they never mix."""

from __future__ import annotations

import sqlite3

import pytest
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Journal, Query, list_runs, read_sqlite

from tests.support.builders import append, ce, data_body


def test_two_runs_into_one_file_stay_apart(tmp_path) -> None:
    db = tmp_path / "journal.db"
    first = Journal(sqlite_path=db)
    for i in range(5):
        append(first, data_body(device_id=f"a{i}", events=[ce("from-a")]))
    first.close()
    second = Journal(sqlite_path=db)
    for i in range(2):
        append(second, data_body(device_id=f"b{i}", events=[ce("from-b")]))
    second.close()

    runs = list_runs(db)
    assert [r.entries for r in runs] == [5, 2] and runs[0].run == first.run and runs[1].run == second.run
    newest = read_sqlite(db)
    assert [(e.seq, e.device_id) for e in newest] == [(1, "b0"), (2, "b1")]
    older = read_sqlite(db, run=first.run)
    assert [e.device_id for e in older] == [f"a{i}" for i in range(5)]
    assert {n for e in older for n in e.event_names} == {"from-a"}
    with pytest.raises(HarnessConfigError, match="has no run 'nope'"):
        read_sqlite(db, run="nope")


def test_a_file_from_before_runs_is_read_as_one_legacy_run(tmp_path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, received_at REAL, source TEXT, scope TEXT, endpoint TEXT,"
        " api_key TEXT, device_id TEXT, good INTEGER, json BLOB NOT NULL);"
    )
    old = Journal()
    entry = append(old, data_body(device_id="legacy-dev"))
    con.execute(
        "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?)",
        (1, entry.received_at, "test", None, "data", "k", "legacy-dev", 1, entry.to_jsonl()),
    )
    con.commit()
    con.close()
    assert [e.device_id for e in read_sqlite(db)] == ["legacy-dev"]
    writer = Journal(sqlite_path=db)  # a new run into the old file: the old rows are kept as run "legacy"
    append(writer, data_body(device_id="new-dev"))
    writer.close()
    assert [r.run for r in list_runs(db)] == ["legacy", writer.run]
    assert [e.device_id for e in read_sqlite(db)] == ["new-dev"]
    assert [e.device_id for e in read_sqlite(db, run="legacy")] == ["legacy-dev"]


def test_a_saved_run_restored_keeps_its_numbers_and_is_queried_as_a_live_journal(tmp_path) -> None:
    db = tmp_path / "run.db"
    saving = Journal(sqlite_path=db)
    for name, user in (("one", "ann"), ("two", "bob"), ("three", "ann")):
        append(saving, data_body(events=[ce(name, user=user)]), scope="s1" if user == "ann" else "s2")
    saving.close()

    served = Journal()
    assert served.restore(read_sqlite(db)) == 3
    assert [e.seq for e in served.query()] == [1, 2, 3]
    assert [e.seq for e in served.query(Query(user_id="ann"))] == [1, 3]
    assert served.last_seq("s2") == 2 and served.latest_seq == 3
    assert served.query(Query(event_name="two"))[0].request.body.events[0].data.n == "two"  # decoded again
    later = append(served, data_body(events=[ce("four", user="cy")]))
    assert later.seq == 4, "what arrives afterwards follows the saved entries"
    with pytest.raises(ValueError, match="not in order"):
        served.restore(read_sqlite(db))
