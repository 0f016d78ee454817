#!/usr/bin/env python
"""Emulator `/api/v3/data/` throughput next to WireMock serving a static `{}` stub, measured with wrk.

Both servers run as their own process on loopback; the same wrk settings and the same Lua script
(realistic 10-event Web SDK bodies, a distinct device id per request, users from a pool) hit each in
turn after a warm-up. Afterwards the emulator's journal and profiles are checked, so the figure is
for requests that were really decoded, stored and applied to the state.

    .venv/bin/python benchmarks/throughput.py            # 10 s per server, 16 connections
    .venv/bin/python benchmarks/throughput.py --quick    # 3 s runs (CI smoke)

Needs Debian's `wrk` and a Java 17 runtime; WireMock's standalone jar comes from the npm package
pinned in benchmarks/package.json (installed on first use with `npm ci`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_bodies import COUNTERS, EVENT_MIX, make_bodies  # noqa: E402
from bench_servers import DATA_PATH, BenchError, Server, free_port, http, start_emulator, start_wiremock, wiremock_jar  # noqa: E402
from bench_wrk import WrkResult, find_wrk, run_wrk  # noqa: E402

RESULTS = HERE / "results"
TARGET_RATIO = 1.0  # the long-term aim: WireMock's static-stub throughput with full decode + state + journal
TARGET_RPS = 5_000  # the aim for one emulator process on a 2-core CI machine
BUSY_LOAD = 1.5  # 1-minute load average above which the figures are flagged as noisy


# -- verification --------------------------------------------------------------------------------


def verify_emulator(emulator: Server, users: int, sent: int) -> dict[str, Any]:
    """The journal holds good entries only, and pool users' profiles counted the events."""
    status, body = http("GET", f"{emulator.url}/_emulator/stats", timeout=30)
    stats = json.loads(body) if status == 200 else {}
    journal = stats.get("journal", {})
    checked = []
    for n in sorted({0, users // 2, users - 1}):
        external_id = f"bench-user-{n}"
        status, body = http(
            "GET", f"{emulator.url}/_emulator/profiles?{urllib.parse.urlencode({'external_id': external_id})}", timeout=60
        )
        profiles = json.loads(body).get("profiles", []) if status == 200 else []
        p = profiles[0] if profiles else {}
        custom = (p.get("attributes") or {}).get("custom") or {}
        checked.append(
            {
                "external_id": external_id,
                "found": bool(p),
                "custom_events": sum((p.get("custom_events") or {}).values()),
                "purchases": sum((p.get("purchases") or {}).values()),
                "sessions": (p.get("sessions") or {}).get("count", 0),
                "devices": len(p.get("devices") or []),
                "counters": {k: custom[k] for k in COUNTERS if k in custom},
            }
        )
    journaled = journal.get("latest_seq", 0)
    ok = (
        journal.get("entries", 0) > 0
        and journal.get("bad", 1) == 0
        and all(c["found"] and c["custom_events"] > 0 and c["purchases"] > 0 for c in checked)
        and journaled >= sent
    )
    return {"ok": ok, "journal": journal, "wrk_completed_requests": sent, "profiles": checked}


# -- report --------------------------------------------------------------------------------------


def machine_info(java: str, wrk: str) -> dict[str, Any]:
    def first_line(cmd: list[str]) -> str:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
        except OSError:
            return "?"
        return ((proc.stdout or proc.stderr).strip().splitlines() or ["?"])[0]

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "java": first_line([java, "-version"]),
        "wrk": first_line([wrk, "-v"]),
    }


def summarize(runs: list[WrkResult]) -> dict[str, Any]:
    """Median over rounds of each figure (one round: that run's figures)."""

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    return {
        "rounds": len(runs),
        "rps": med([r.rps for r in runs]),
        "latency_ms": {k: med([r.latency_ms[k] for r in runs]) for k in ("p50", "p90", "p99", "max")},
        "errors": sum(r.error_total for r in runs),
        "server_cpu_share": med([r.server_cpu_s / r.duration_s for r in runs if r.duration_s]),
        "wrk_cpu_share": med([r.wrk_cpu_s / r.duration_s for r in runs if r.duration_s]),
        "rps_by_round": [round(r.rps, 1) for r in runs],
    }


def print_table(rows: dict[str, dict[str, Any]], ratio: float | None, rounds: int) -> None:
    header = (
        f"{'server':<10} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} "
        f"{'server CPU':>11} {'wrk CPU':>8}"
    )
    print()
    if rounds > 1:
        print(f"medians over {rounds} rounds")
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        lat = row["latency_ms"]
        print(
            f"{name:<10} {row['rps']:>9.0f} {lat['p50']:>8.2f} {lat['p90']:>8.2f} {lat['p99']:>8.2f} "
            f"{lat['max']:>8.1f} {row['errors']:>7d} {row['server_cpu_share']:>10.0%} {row['wrk_cpu_share']:>8.0%}"
        )
    emulator_rps = rows.get("emulator", {}).get("rps")
    if emulator_rps is not None:
        verdict = "meets" if emulator_rps >= TARGET_RPS else "BELOW"
        print(f"\nemulator: {emulator_rps:,.0f} req/s  ({verdict} the target of ≥ {TARGET_RPS:,} req/s for one process)")
    if ratio is not None:
        verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
        print(f"\nratio emulator/WireMock (req/s): {ratio:.2f}×  ({verdict} the target of ≥ {TARGET_RATIO:.1f}×)")
    print("(server CPU = CPU seconds the server process used per wall second of the run; 100% = one core)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per server (default 10)")
    parser.add_argument(
        "--warmup", type=float, default=None, help="seconds of warm-up load per server (default 10; 2 with --quick)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: the machine has 2 cores)")
    parser.add_argument("--users", type=int, default=200, help="size of the user pool (default 200)")
    parser.add_argument(
        "--bodies", type=int, default=1000, help="distinct pre-generated bodies wrk rotates through (default 1000)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="measured runs per server, alternating order; medians reported")
    parser.add_argument("--quick", action="store_true", help="3 s runs and a 2 s warm-up (CI smoke)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the ratio is below the target (correctness always counts)"
    )
    parser.add_argument("--only", choices=["emulator", "wiremock"], help="measure one server only (no ratio)")
    parser.add_argument("--out", type=Path, default=RESULTS / "throughput.json", help="JSON results file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3.0
    warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 10.0)
    if args.rounds < 1:
        parser.error("--rounds must be ≥ 1")
    if args.duration < 1 or args.connections < 1 or args.threads < 1 or args.users < 1 or args.bodies < 1:
        parser.error("--duration must be ≥ 1 s and --connections/--threads/--users/--bodies ≥ 1")
    if args.connections < args.threads:
        parser.error("--connections must be ≥ --threads (wrk gives each thread its own connections)")

    try:
        return run(args, warmup)
    except BenchError as exc:
        print(f"throughput: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("throughput: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, warmup: float) -> int:
    wrk = find_wrk()
    want_wiremock = args.only != "emulator"
    want_emulator = args.only != "wiremock"
    java = shutil.which("java")
    if want_wiremock and java is None:
        raise BenchError(
            "`java` was not found on PATH (WireMock needs Java 11+): install it with `apt-get install openjdk-17-jre-headless`"
        )
    jar = wiremock_jar() if want_wiremock else None

    load_before = os.getloadavg()
    servers: list[Server] = []
    results: list[WrkResult] = []
    with tempfile.TemporaryDirectory(prefix="braze-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        stack.callback(lambda: [s.stop() for s in reversed(servers)])
        emulator = wiremock = None
        if want_emulator:
            print("starting the emulator (braze-harness emulator)…", flush=True)
            emulator = start_emulator(free_port(), workdir)
            servers.append(emulator)
        if want_wiremock:
            assert java is not None and jar is not None
            print(f"starting WireMock ({jar.name})…", flush=True)
            wiremock = start_wiremock(java, jar, free_port(), workdir)
            servers.append(wiremock)

        config_time = int(time.time())
        if emulator is not None:
            _, health = http("GET", f"{emulator.url}/_emulator/health")
            config_time = int(json.loads(health).get("config_time") or config_time)
        bodies = make_bodies(args.bodies, args.users, config_time)
        bodies_file = workdir / "bodies.jsonl"
        bodies_file.write_text("\n".join(bodies) + "\n")
        avg = sum(len(b) for b in bodies) / len(bodies)
        print(
            f"{len(bodies)} bodies of 10 events (avg {avg:.0f} bytes), {args.users} users, a new device id per request",
            flush=True,
        )

        order = [s for s in (emulator, wiremock) if s is not None]
        for server in order:
            print(f"warming up {server.name}: {warmup:g} s…", flush=True)
            run_wrk(wrk, server, bodies_file, seconds=warmup, connections=args.connections, threads=args.threads, label="warm-up")
        for round_no in range(args.rounds):
            # alternate the order, so neither server always runs right after the other's load
            for server in order if round_no % 2 == 0 else list(reversed(order)):
                round_text = f" (round {round_no + 1}/{args.rounds})" if args.rounds > 1 else ""
                print(
                    f"measuring {server.name}{round_text}: "
                    f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency…",
                    flush=True,
                )
                result = run_wrk(
                    wrk,
                    server,
                    bodies_file,
                    seconds=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                    label="measure",
                )
                result.round = round_no + 1
                results.append(result)
                print(f"  {result.requests} requests, {result.rps:.0f} req/s, p99 {result.latency_ms['p99']:.2f} ms", flush=True)
                if result.rps_by_second:
                    print(f"  req/s second by second: {' '.join(f'{r:.0f}' for r in result.rps_by_second)}", flush=True)

        verification = None
        emulator_sent = sum(r.requests for r in results if r.server == "emulator")
        if emulator is not None:
            print("verifying the emulator's journal and profiles…", flush=True)
            verification = verify_emulator(emulator, args.users, emulator_sent)

        info = machine_info(java or "java", wrk)
        info["loadavg_before"] = load_before
        info["loadavg_after"] = os.getloadavg()

    rows = {name: summarize([r for r in results if r.server == name]) for name in dict.fromkeys(r.server for r in results)}
    ratio = rows["emulator"]["rps"] / rows["WireMock"]["rps"] if len(rows) == 2 and rows["WireMock"]["rps"] else None
    print_table(rows, ratio, args.rounds)
    ok = True
    if verification is not None:
        j = verification["journal"]
        print(
            f"\nemulator journal: {j.get('latest_seq', 0)} requests journaled (≥ {emulator_sent} measured + warm-up), "
            f"{j.get('entries', 0)} kept (cap {j.get('cap')}, {j.get('dropped', 0)} rotated out), {j.get('bad', '?')} bad"
        )
        for p in verification["profiles"]:
            print(
                f"  profile {p['external_id']}: {p['custom_events']} custom events, {p['purchases']} purchases, "
                f"{p['sessions']} sessions, {p['devices']} devices, counters {p['counters']}"
            )
        print(f"correctness: {'OK' if verification['ok'] else 'FAILED'}")
        ok = verification["ok"]
    for r in results:
        if r.error_total:
            print(f"warning: wrk saw errors against {r.server}: {r.errors}")
            ok = ok and r.server != "emulator"
    if load_before[0] > BUSY_LOAD:
        print(
            f"note: the machine was busy before the run (load average {load_before[0]:.1f} on {os.cpu_count()} cores): "
            "expect noisy figures; --rounds 3 reports medians"
        )

    report = {
        "benchmark": "throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "duration_s": args.duration,
            "warmup_s": warmup,
            "rounds": args.rounds,
            "connections": args.connections,
            "threads": args.threads,
            "users": args.users,
            "bodies": args.bodies,
            "events_per_request": len(EVENT_MIX),
            "path": DATA_PATH,
        },
        "machine": info,
        "summary": rows,
        "runs": [
            {
                "server": r.server,
                "round": r.round,
                "requests": r.requests,
                "duration_s": round(r.duration_s, 3),
                "rps": round(r.rps, 1),
                "latency_ms": {k: round(v, 3) for k, v in r.latency_ms.items()},
                "errors": r.errors,
                "server_cpu_s": round(r.server_cpu_s, 2),
                "wrk_cpu_s": round(r.wrk_cpu_s, 2),
                "rps_by_second": r.rps_by_second,
            }
            for r in results
        ],
        "ratio_emulator_over_wiremock": round(ratio, 3) if ratio is not None else None,
        "target_ratio": TARGET_RATIO,
        "target_rps": TARGET_RPS,
        "verification": verification,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    if not ok:
        return 1
    return 1 if args.check and ratio is not None and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
