#!/usr/bin/env python
"""Journal appends/s: the in-memory journal vs the PostgreSQL one (docs/fleet.md), on the same realistic 10-event
Web SDK bodies (bench_bodies.py), with 1 and with 4 appending threads, and the ratio.

The PostgreSQL journal is measured on `--dsn`, or on a server of its own started like the tests' (Debian's
postgresql-15 binaries, initdb into a temporary folder, a free loopback port, fsync off as in the tests: the figure
is the store's cost, not the disk's).

    .venv/bin/python benchmarks/journal_store.py                 # 2,000 appends per figure
    .venv/bin/python benchmarks/journal_store.py --appends 500 --dsn postgresql://braze@127.0.0.1/braze
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from braze_harness.journal import Exchange, Journal  # noqa: E402

from benchmarks.bench_bodies import API_KEY, make_bodies  # noqa: E402


def appends_per_s(journal: Any, bodies: list[str], threads: int) -> float:
    share = len(bodies) // threads
    barrier = threading.Barrier(threads + 1)

    def work(part: list[str]) -> None:
        barrier.wait()
        for body in part:
            journal.append(
                Exchange("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": API_KEY}, body, 200, {}),
                source="emulator",
                scope="bench",
            )

    workers = [threading.Thread(target=work, args=(bodies[i * share : (i + 1) * share],)) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    return share * threads / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--dsn", help="an existing database (default: start a throwaway server)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "journal_store.json")
    args = parser.parse_args()
    bodies = [b.replace("@@UID@@", f"{i:012x}") for i, b in enumerate(make_bodies(args.appends, 50, int(time.time())))]

    from braze_harness.journal.postgres import PostgresJournal

    server = None
    dsn = args.dsn
    if dsn is None:
        from tests.support.postgres import PostgresServer, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            print("journal_store.py: PostgreSQL's binaries are not installed (apt-get install postgresql-15), or pass --dsn")
            return 2
        server = PostgresServer.start(bin_dir)
        dsn = server.dsn
    figures: dict[str, float] = {}
    try:
        for threads in (1, 4):
            figures[f"memory_{threads}t"] = appends_per_s(Journal(), bodies, threads)
            journal = PostgresJournal(dsn, label="benchmark", pool_size=threads)
            try:
                figures[f"postgres_{threads}t"] = appends_per_s(journal, bodies, threads)
                journal.reset()
            finally:
                journal.close()
    finally:
        if server is not None:
            server.stop()
    for threads in (1, 4):
        memory, postgres = figures[f"memory_{threads}t"], figures[f"postgres_{threads}t"]
        print(
            f"{threads} thread(s): in-memory {memory:,.0f} appends/s, PostgreSQL {postgres:,.0f} appends/s "
            f"(in-memory / PostgreSQL = {memory / postgres:.1f}x)"
        )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps({"appends": args.appends, **figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
