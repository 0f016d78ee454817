"""A bounded burst of big unapplied bodies under a small journal byte cap keeps the emulator's RSS growth bounded
(before the byte bound: 20 bodies of 1.5 MB kept 602 MB). The emulator runs as its own process, measured by /proc."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.bench_servers import http
from benchmarks.hostile import PeakRss, rss_bytes, start

MB = 1024 * 1024
JOURNAL_MAX = 16 * MB
GROWTH_BOUND = 120 * MB  # the journal's 16 MB, the allocator's slack and one request's parsing at a time


def test_rss_growth_is_bounded_by_the_journal_byte_cap(tmp_path: Path) -> None:
    server = start(tmp_path, "--journal-max-bytes", str(JOURNAL_MAX))
    try:
        before = rss_bytes(server.proc.pid)
        key = "mem-key"
        envelope = {"api_key": key, "device_id": "d", "time": 1796000000}
        junk = json.dumps({**envelope, "events": "not a list", "x": ["y" * 100] * 15_000}).encode()  # not applied
        # 500,000 validation errors in 1.5 MB: once ~500 MB of problems and seconds of CPU per request
        errors = json.dumps({**envelope, "sdk_metadata": [1] * 500_000}).encode()
        assert all(1.4 * MB < len(body) < 2 * MB for body in (junk, errors))
        with PeakRss(server.proc.pid) as peak:
            for i in range(60):
                body = errors if i % 6 == 0 else junk
                status, _ = http("POST", f"{server.url}/api/v3/data/", body, {"x-braze-api-key": key}, timeout=30)
                assert status in (200, 400)
            status, answer = http("GET", f"{server.url}/_emulator/requests", timeout=30)  # reading them costs no more
            assert status == 200
        stats = json.loads(answer)["stats"]
        assert stats["dropped"] > 0 and stats["bytes"] <= JOURNAL_MAX
        growth = max(peak.peak, rss_bytes(server.proc.pid)) - before
        print(f"RSS grew {growth / MB:.0f} MB")
        assert growth < GROWTH_BOUND, f"RSS grew {growth / MB:.0f} MB"
    finally:
        server.stop()
