"""CSV user import throughput: users/s for a generated file (default 100,000 rows) streamed to one emulator
subprocess with `import-users`' client call, next to a baseline measured in the same run: the same users sent the
way a backend would without the import, through `/users/track` in batches of 75. Also prints the emulator's RSS
(before, peak, after) and checks a sample of users through `/users/export/ids`.

    .venv/bin/python -m benchmarks.csv_import              # 100,000 rows
    .venv/bin/python -m benchmarks.csv_import --rows 5000  # quick

Exits 1 when a row was not imported or a sampled user differs. Loopback only."""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from braze_harness.client import EmulatorClient

from benchmarks.hostile import PeakRss, rss_bytes, start

HERE = Path(__file__).resolve().parent
HEADER = "external_id,first_name,last_name,email,country,tier,lifetime_value,vip,visits,signed_up\n"


def user(i: int, prefix: str) -> dict[str, Any]:
    return {
        "external_id": f"{prefix}{i}",
        "first_name": f"First{i}",
        "last_name": f"Last{i}",
        "email": f"user{i}@example.com",
        "country": "GB",
        "tier": ("gold", "silver", "bronze")[i % 3],
        "lifetime_value": round(i * 0.37, 2),
        "vip": i % 7 == 0,
        "visits": i % 100,
        "signed_up": "2024-05-06T07:08:09Z",
    }


def write_csv(path: Path, rows: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for i in range(rows):
            u = user(i, prefix)
            f.write(",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in u.values()) + "\n")


def chunks(path: Path, size: int = 256 * 1024):
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


def via_track(url: str, rest_key: str, rows: int, prefix: str) -> float:
    """The baseline: the same users through /users/track, 75 per request, one connection (seconds)."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {rest_key}"}, timeout=60, trust_env=False) as http:
        for start_at in range(0, rows, 75):
            batch = [user(i, prefix) for i in range(start_at, min(rows, start_at + 75))]
            answer = http.post("/users/track", json={"attributes": batch})
            if answer.status_code != 201:
                raise SystemExit(f"/users/track answered {answer.status_code}: {answer.text[:200]}")
    return time.perf_counter() - started


def sample_ok(client: EmulatorClient, rest_key: str, rows: int, prefix: str) -> bool:
    ids = [f"{prefix}{i}" for i in random.Random(7).sample(range(rows), min(50, rows))]
    users = client.rest("/users/export/ids", {"external_ids": ids}, rest_key)["users"]
    by_id = {u["external_id"]: u for u in users}
    for i in (int(x[len(prefix) :]) for x in ids):
        want, got = user(i, prefix), by_id.get(f"{prefix}{i}")
        if got is None or got.get("email") != want["email"] or got.get("custom_attributes", {}).get("visits") != want["visits"]:
            print(f"sampled user {prefix}{i} differs: {got}", file=sys.stderr)
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "csv_import.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as tmp:
        work = Path(tmp)
        server = start(work)
        client = EmulatorClient(server.url, timeout=60)
        try:
            scope = client.create_scope("csv-bench")
            api_key = client.create_app(scope, workspace="bench", platform="web")["api_key"]
            rest_key = client.create_rest_key(scope, workspace="bench")
            csv_file = work / "users.csv"
            write_csv(csv_file, args.rows, "csv-")
            size = csv_file.stat().st_size
            before = rss_bytes(server.proc.pid)
            with PeakRss(server.proc.pid) as peak:
                started = time.perf_counter()
                report = client.import_users(api_key, chunks(csv_file))
                csv_s = time.perf_counter() - started
            after = rss_bytes(server.proc.pid)
            track_s = via_track(server.url, rest_key, args.rows, "rest-")
            ok = report["imported"] == args.rows and report["skipped"] == 0 and sample_ok(client, rest_key, args.rows, "csv-")
        finally:
            client.close()
            server.stop()
    figures = {
        "rows": args.rows,
        "file_mib": round(size / 2**20, 1),
        "csv_import_users_per_s": round(args.rows / csv_s),
        "users_track_users_per_s": round(args.rows / track_s),
        "ratio_csv_to_track": round(track_s / csv_s, 2),
        "emulator_rss_mib": {"before": before >> 20, "peak": peak.peak >> 20, "after": after >> 20},
        "imported": report["imported"],
        "ok": ok,
    }
    print(
        f"CSV import: {args.rows:,} users ({figures['file_mib']} MiB) in {csv_s:.1f} s = "
        f"{figures['csv_import_users_per_s']:,} users/s; "
        f"/users/track (75 per request): {figures['users_track_users_per_s']:,} users/s; "
        f"ratio {figures['ratio_csv_to_track']}x; emulator RSS {figures['emulator_rss_mib']} MiB; "
        f"{'all rows imported, sample matches' if ok else 'ROWS MISSING OR DIFFERENT'}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
