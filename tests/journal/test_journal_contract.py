"""More of the journal's contract (in memory and on PostgreSQL, tests/journal/conftest.py): what a reset keeps, the cap
after a scope's reset, stats, export, and appends from many threads staying exact."""

import json
import threading

from braze_harness.journal import Query

from tests.support.builders import append, ce, data_body


def test_two_journals_never_mix(make_journal):
    first, second = make_journal(), make_journal()
    append(first, data_body(device_id="one"), scope="A")
    append(second, data_body(device_id="two"), scope="A")
    assert second.reset() == 1
    assert [e.device_id for e in first.query(Query(scope="A"))] == ["one"]
    assert first.last_seq("A") == 1 and second.query() == []


def test_a_reset_keeps_the_sequence_and_wakes_no_one_early(make_journal):
    journal = make_journal()
    append(journal, data_body(), scope="A")
    append(journal, data_body(), scope="B")
    assert journal.reset() == 2
    assert journal.query() == []
    assert journal.latest_seq == 2 and journal.last_seq("A") == 1  # sequence numbers are never reused
    assert not journal.wait(2, timeout=0.1)
    assert append(journal, data_body(), scope="A").seq == 3


def test_the_cap_counts_entries_not_sequence_numbers(make_journal):
    journal = make_journal(cap=3)
    append(journal, data_body(device_id="a1"), scope="A")
    append(journal, data_body(device_id="b2"), scope="B")
    append(journal, data_body(device_id="a3"), scope="A")
    assert journal.reset("A") == 2
    append(journal, data_body(device_id="c4"), scope="C")
    append(journal, data_body(device_id="c5"), scope="C")
    assert [e.device_id for e in journal.query()] == ["b2", "c4", "c5"]  # three entries: none dropped yet
    append(journal, data_body(device_id="c6"), scope="C")
    assert [e.device_id for e in journal.query()] == ["c4", "c5", "c6"]
    assert journal.stats("B")["dropped"] == 1 and journal.stats("A")["dropped"] == 0


def test_stats_per_scope_and_overall(make_journal):
    journal = make_journal()
    append(journal, data_body(api_key="a"), api_key="a", scope="A")
    append(journal, "{bad", scope="A")
    append(journal, data_body(api_key="b"), api_key="b", scope="B")
    scoped, overall = journal.stats("A"), journal.stats()
    assert {k: scoped[k] for k in ("entries", "good", "bad", "dropped", "latest_seq")} == {
        "entries": 2,
        "good": 1,
        "bad": 1,
        "dropped": 0,
        "latest_seq": 2,
    }
    assert (overall["entries"], overall["latest_seq"], overall["cap"]) == (3, 3, journal.cap)
    assert overall["bytes"] > scoped["bytes"] > 0


def test_filters_combine_and_limit_takes_the_newest(make_journal):
    journal = make_journal()
    for i in range(4):
        append(journal, data_body(api_key="k", device_id=f"d{i}", events=[ce("tap" if i % 2 else "view", user="u")]))
    assert [e.device_id for e in journal.query(Query(event_name="tap", limit=1))] == ["d3"]
    assert [e.device_id for e in journal.query(Query(api_key="k", endpoint="data", limit=2))] == ["d2", "d3"]
    assert [e.device_id for e in journal.query(Query(source="test", after_seq=3))] == ["d3"]
    assert journal.query(Query(source="proxy")) == []


def test_export_keeps_the_canonical_body(make_journal, tmp_path):
    journal = make_journal()
    body = data_body(api_key="k", events=[ce("saved", user="u1")])
    append(journal, body, api_key="k", scope="A")
    out = tmp_path / "journal.jsonl"
    assert journal.export_jsonl(out, Query(scope="A")) == 1
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["seq"] == 1 and row["scope"] == "A" and row["request"]["body"] == body
    assert row["events"][0]["data"]["n"] == "saved"


def test_appends_from_many_threads_get_every_sequence_number_once(make_journal):
    journal = make_journal(cap=150)
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(scope):
        for _ in range(50):
            entry = append(journal, data_body(), scope=scope)
            with lock:
                seqs.append(entry.seq)

    threads = [threading.Thread(target=writer, args=(s,)) for s in ("A", "B", "C", "D")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(1, 201))
    assert [e.seq for e in journal.query()] == list(range(51, 201))
    assert journal.stats()["dropped"] == 50
    assert sum(journal.stats(s)["dropped"] for s in "ABCD") == 50
