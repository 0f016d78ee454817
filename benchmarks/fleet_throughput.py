#!/usr/bin/env python
"""Fleet throughput: `/api/v3/data/` req/s of one in-memory emulator, one replica on PostgreSQL, and two replicas on
PostgreSQL behind HAProxy (docs/fleet.md), with throughput.py's load (wrk + braze_data.lua, the same 10-event Web SDK
bodies, a new device id per request). The headline is the ratio two replicas / one (target ≥ 1.7×).

The bodies take turns over `--workspaces` apps (each its own workspace): the PostgreSQL state applies the changes of
one workspace one at a time across replicas (its advisory lock), so a fleet scales over many workspaces (CI jobs,
tests' scopes), not within one; `--workspaces 1` shows that. PostgreSQL is a throwaway server of this run
(tests/support/postgres.py: Debian's postgresql-15, fsync off), HAProxy Debian's (`braze_harness.emulator.balancer`).

    .venv/bin/python benchmarks/fleet_throughput.py            # 2 rounds of 10 s per configuration, wrk -t1 -c16
    .venv/bin/python benchmarks/fleet_throughput.py --quick    # 3 s runs, 2 s warm-ups (about 1 min)

Everything shares the machine's cores (wrk, HAProxy, PostgreSQL, the replicas): on 2 cores two replicas cannot reach
twice one, and a busy machine (its load average is printed) makes every figure noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for path in (HERE, REPO):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_bodies import make_bodies  # noqa: E402
from bench_servers import BenchError, Server, cpu_seconds, free_port, http, start_emulator  # noqa: E402
from bench_wrk import WrkResult, find_wrk, run_wrk  # noqa: E402

from tests.support.fleet import Fleet, ReplicaProcess  # noqa: E402
from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402

RESULTS = HERE / "results"
TARGET_RATIO = 1.7  # two replicas behind HAProxy against one replica, both on PostgreSQL
BUSY_LOAD = 1.5


def postgres_cpu_seconds(postgres: PostgresServer | None) -> float:
    """CPU seconds of the PostgreSQL server and its backends (the postmaster's children, from /proc)."""
    if postgres is None:
        return 0.0
    try:
        postmaster = int((postgres.root / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = cpu_seconds(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


@dataclass
class Config:
    server: Server  # what wrk hits (for the fleet: HAProxy)
    workers: list[int]  # the emulator processes doing the work (their CPU is reported)
    postgres: PostgresServer | None = None  # its CPU is reported too


def measure(wrk: str, config: Config, bodies: Path, args: argparse.Namespace, seconds: float, label: str) -> WrkResult:
    before = sum(cpu_seconds(pid) for pid in config.workers)
    pg_before = postgres_cpu_seconds(config.postgres)
    result = run_wrk(
        wrk,
        config.server,
        bodies,
        seconds=seconds,
        connections=args.connections,
        threads=args.threads,
        label=label,
        api_key="@body",
    )
    result.server_cpu_s = sum(cpu_seconds(pid) for pid in config.workers) - before
    result.raw["postgres_cpu_s"] = postgres_cpu_seconds(config.postgres) - pg_before
    return result


def check(server: Server, sent: int) -> dict[str, Any]:
    """The journal of what was measured: every request journaled, none bad."""
    status, body = http("GET", f"{server.url}/_emulator/stats", timeout=60)
    journal = json.loads(body).get("journal", {}) if status == 200 else {}
    ok = journal.get("bad", 1) == 0 and journal.get("latest_seq", 0) >= sent
    return {"ok": ok, "latest_seq": journal.get("latest_seq"), "bad": journal.get("bad"), "measured_requests": sent}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of warm-up per configuration (default 5)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--users", type=int, default=200, help="user pool (default 200)")
    parser.add_argument("--workspaces", type=int, default=8, help="apps (workspaces) the bodies take turns over (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per configuration, order alternating (median)")
    parser.add_argument("--quick", action="store_true", help="3 s runs and 2 s warm-ups")
    parser.add_argument("--check", action="store_true", help="exit 1 when the ratio is below the target")
    parser.add_argument("--out", type=Path, default=RESULTS / "fleet_throughput.json", help="JSON results file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3.0
    warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    if args.duration < 1 or min(args.connections, args.threads, args.users, args.workspaces, args.rounds) < 1:
        parser.error("--duration must be ≥ 1 s and --connections/--threads/--users/--workspaces/--rounds ≥ 1")
    try:
        return run(args, warmup)
    except BenchError as exc:
        print(f"fleet_throughput: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fleet_throughput: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, warmup: float) -> int:
    wrk = find_wrk()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise BenchError("PostgreSQL's binaries are not installed: apt-get install postgresql-15 (./qa setup does)")
    load_before = os.getloadavg()
    keys = [f"bench-fleet-{n}-{secrets.token_hex(3)}" for n in range(args.workspaces)]
    results: dict[str, WrkResult] = {}
    checks: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="braze-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        print("starting PostgreSQL (a throwaway server, fsync off)…", flush=True)
        postgres = PostgresServer.start(bin_dir)
        stack.callback(postgres.stop)
        print("starting the in-memory emulator, one replica on PostgreSQL, two replicas behind HAProxy…", flush=True)
        memory = start_emulator(free_port(), workdir)
        stack.callback(memory.stop)
        single = ReplicaProcess.start(postgres.dsn, f"bench-one-{secrets.token_hex(3)}", workdir)
        stack.callback(single.stop)
        single.wait_ready()
        fleet = Fleet.start(postgres.dsn, replicas=2)
        stack.callback(fleet.stop)
        assert fleet.balancer is not None
        configs = {
            "in memory": Config(memory, [memory.proc.pid]),
            "1 replica (PG)": Config(Server("1 replica (PG)", single.url, single.proc, single.log), [single.proc.pid], postgres),
            "2 replicas (PG) + HAProxy": Config(
                Server("2 replicas (PG) + HAProxy", fleet.url, fleet.balancer.proc, fleet.folder / "haproxy.log"),
                [r.proc.pid for r in fleet.replicas],
                postgres,
            ),
        }
        _, health = http("GET", f"{memory.url}/_emulator/health")
        bodies = make_bodies(1000, args.users, int(json.loads(health).get("config_time") or time.time()), api_keys=keys)
        bodies_file = workdir / "bodies.jsonl"
        bodies_file.write_text("\n".join(bodies) + "\n")
        print(f"1000 bodies of 10 events over {len(keys)} apps (workspaces), {args.users} users, a new device each request")
        sent = dict.fromkeys(configs, 0)
        for name, config in configs.items():
            print(f"warming up {name}: {warmup:g} s", flush=True)
            sent[name] += measure(wrk, config, bodies_file, args, warmup, "warm-up").requests
        runs: dict[str, list[WrkResult]] = {name: [] for name in configs}
        for round_no in range(args.rounds):
            # the order alternates, so no configuration always runs last (when the database is largest)
            for name in configs if round_no % 2 == 0 else reversed(configs):
                print(f"measuring {name}: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s…", flush=True)
                result = measure(wrk, configs[name], bodies_file, args, args.duration, "measure")
                runs[name].append(result)
                sent[name] += result.requests
                print(f"  {result.rps:.0f} req/s, p99 {result.latency_ms['p99']:.1f} ms, {result.error_total} errors", flush=True)
        for name, config in configs.items():
            results[name] = sorted(runs[name], key=lambda r: r.rps)[len(runs[name]) // 2]  # the median round
            checks[name] = check(config.server, sent[name])
    load_after = os.getloadavg()

    print(f"\n{'configuration':<27} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'emulator CPU':>13} {'PG CPU':>7}")
    for name, r in results.items():
        cpu = r.server_cpu_s / r.duration_s if r.duration_s else 0.0
        pg = r.raw.get("postgres_cpu_s", 0.0) / r.duration_s if r.duration_s else 0.0
        print(
            f"{name:<27} {r.rps:>8.0f} {r.latency_ms['p50']:>8.1f} {r.latency_ms['p99']:>8.1f} {r.error_total:>7} "
            f"{cpu:>12.0%} {pg:>7.0%}"
        )
    print("(CPU: seconds per second, 100 % = one core; emulator: the replicas; PG: the server and its backends)")
    one, two = results["1 replica (PG)"].rps, results["2 replicas (PG) + HAProxy"].rps
    ratio = two / one if one else 0.0
    print(f"\nratio 2 replicas / 1 replica: {ratio:.2f}× (target ≥ {TARGET_RATIO}×)")
    print(f"ratio 1 replica on PostgreSQL / in memory: {one / results['in memory'].rps:.2f}×")
    ok = all(c["ok"] for c in checks.values()) and not any(r.error_total for r in results.values())
    for name, c in checks.items():
        if not c["ok"]:
            print(f"correctness FAILED for {name}: {c}")
    print(f"correctness: {'OK' if ok else 'FAILED'} (every measured request journaled, none bad, no wrk errors)")
    print(
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores"
        + (": the machine was busy, expect noisy figures" if load_before[0] > BUSY_LOAD else "")
    )
    report = {
        "benchmark": "fleet_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {k: v for k, v in vars(args).items() if k != "out"} | {"warmup_s": warmup},
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "cpus": os.cpu_count(),
        "results": {
            name: {
                "rps": round(r.rps, 1),
                "latency_ms": r.latency_ms,
                "errors": r.errors,
                "emulator_cpu_s": r.server_cpu_s,
                "postgres_cpu_s": r.raw.get("postgres_cpu_s"),
            }
            for name, r in results.items()
        },
        "ratio_two_over_one": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "checks": checks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {args.out}")
    if not ok:
        return 1
    return 1 if args.check and ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
