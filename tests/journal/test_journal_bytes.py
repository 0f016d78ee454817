"""The journal is bounded in bytes as well as entries: oldest dropped and counted; reads never fail."""

from __future__ import annotations

import json

from braze_harness.journal import Exchange, Journal

MB = 1024 * 1024


def exchange(body: str, response: object = None) -> Exchange:
    return Exchange("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": "k"}, body, 200, response)


def test_big_bodies_are_bounded_by_max_bytes_oldest_dropped_and_counted() -> None:
    journal = Journal(cap=1000, max_bytes=8 * MB)
    body = json.dumps({"api_key": "k", "device_id": "d", "junk": "x" * (1536 * 1024)})  # 1.5 MB, not applied
    for _ in range(20):
        journal.append(exchange(body), source="emulator", scope="s")
    stats = journal.stats()
    assert stats["bytes"] <= 8 * MB and stats["max_bytes"] == 8 * MB
    assert stats["entries"] == 5 and stats["dropped"] == 15  # 20 kept whatever their size before
    assert journal.stats("s")["dropped"] == 15
    assert [e.seq for e in journal.query()] == [16, 17, 18, 19, 20]


def test_the_newest_entry_stays_even_alone_over_the_bound() -> None:
    journal = Journal(max_bytes=1 * MB)
    journal.append(exchange("x" * (2 * MB)), source="emulator")
    assert journal.stats()["entries"] == 1


def test_reset_recounts_bytes() -> None:
    journal = Journal(max_bytes=64 * MB)
    for scope in ("a", "b"):
        journal.append(exchange("x" * MB), source="emulator", scope=scope)
    before = journal.stats()["bytes"]
    journal.reset("a")
    assert 0 < journal.stats()["bytes"] < before
    journal.reset()
    assert journal.stats()["bytes"] == 0


def test_reads_never_fail_on_deep_or_huge_entries() -> None:
    journal = Journal()
    deep: object = 1
    for _ in range(600):  # deeper than orjson serialises (254): an observed answer can be
        deep = {"a": deep}
    entry = journal.append(exchange('{"api_key":"k","device_id":"d"}', response=deep), source="proxy")
    data = json.loads(entry.to_jsonl())
    assert data["response"]["body"].startswith("(not kept in this form")
    huge = journal.append(exchange('{"api_key":"k","device_id":"d","s":"' + "y" * (4 * MB) + '"}'), source="emulator")
    assert len(huge.to_jsonl()) > 4 * MB and huge._jsonl is None  # not cached: the byte estimate holds
    assert entry.summary() and huge.summary()
