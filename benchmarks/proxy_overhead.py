#!/usr/bin/env python
"""Proxy overhead of the Braze addon: plain `mitmdump` vs `mitmdump -s proxy_addons/braze_capture.py`, same traffic.

Upstream is the CLI emulator (`braze-harness emulator`) on loopback. Two reverse proxies in front of it,
started together with the same options and a per-run confdir (CA) in a temporary directory:

* plain: `mitmdump --mode reverse:http://127.0.0.1:EMU` with no script;
* addon: the same plus `-s proxy_addons/braze_capture.py --set braze_mode=emulate --set braze_emulator=EMU`
  (each SDK request is recognised, decoded for its endpoint and forwarded to the emulator, which journals it
  once). `--addon-mode observe` measures observe mode instead: passthrough to the emulator, and each exchange
  posted to a second emulator's `/_emulator/ingest` (an ingest sink), so every flow is still journaled once
  per emulator and never twice in the same journal.

wrk drives both with the same settings and throughput.py's Lua script (realistic 10-event `/api/v3/data/`
bodies, a new device id per request), alternating the order over rounds; printed: req/s, p50/p99 and the
ratio plain/addon in req/s (= addon/plain in time per request), target ≤ 1.2×. Then a memory run: `--flows`
requests (default 100000) through the addon proxy, in about `--samples` wrk runs sized from the measured rate,
sampling the addon mitmdump's VmRSS (/proc/PID/status) after every chunk; bounded by `--memory-timeout`.

    .venv/bin/python benchmarks/proxy_overhead.py                 # 10 s × 2 rounds per proxy, 100k flows
    .venv/bin/python benchmarks/proxy_overhead.py --quick         # 3 s × 1 round, 5k flows (smoke)

Needs Debian's `wrk` and the venv's `mitmdump` (mitmproxy 12.2.3).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_bodies import API_KEY, make_bodies  # noqa: E402
from bench_servers import DATA_PATH, BenchError, Server, cpu_seconds, free_port, http, start_emulator, tail  # noqa: E402
from bench_wrk import LUA_SCRIPT, WrkResult, find_wrk, run_wrk  # noqa: E402
from throughput import summarize  # noqa: E402

ADDON = REPO / "proxy_addons" / "braze_capture.py"
RESULTS = HERE / "results"
TARGET_RATIO = 1.2
BUSY_LOAD = 1.5
START_TIMEOUT_S = 60.0


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB (Linux /proc), None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def start_mitmdump(mitmdump: str, name: str, upstream: str, port: int, workdir: Path, script_opts: list[str] | None) -> Server:
    confdir = workdir / f"conf-{name}"
    confdir.mkdir(mode=0o700)
    cmd = [
        mitmdump,
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        str(port),
        "--mode",
        f"reverse:{upstream}",
        "--set",
        f"confdir={confdir}",
        "--set",
        "termlog_verbosity=warn",
        "--flow-detail",
        "0",
    ]
    if script_opts is not None:
        cmd += ["-s", str(ADDON), *script_opts]
    log = workdir / f"mitmdump-{name}.log"
    env = {**os.environ, "NO_PROXY": "*", "no_proxy": "*"}
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(key, None)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    server = Server(f"mitmdump {name}", f"http://127.0.0.1:{port}", proc, log)
    server.command = cmd  # type: ignore[attr-defined]
    deadline = time.monotonic() + START_TIMEOUT_S
    last: object = "no answer"
    while time.monotonic() < deadline:
        server.ensure_alive()
        try:
            status, _ = http("GET", f"{server.url}/_emulator/health", timeout=2)
            if status == 200:
                return server
            last = f"HTTP {status}"
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer within {START_TIMEOUT_S:.0f} s ({last}); its log: {log}\n{tail(log)}")


def memory_run(
    wrk: str,
    proxy: Server,
    emulator: Server,
    bodies_file: Path,
    *,
    flows: int,
    samples: int,
    connections: int,
    time_cap: float,
    rate: float,
) -> dict[str, Any]:
    """`flows` requests through `proxy` in about `samples` chunks; VmRSS of the proxy (and the emulator) after each.

    wrk cannot end a run after a count (a thread's stop() still waits for -d), so each chunk is a wrk run
    lasting about `chunk / rate` seconds (the rate re-estimated after every chunk); the flows actually
    completed are counted from wrk's summary and recorded with each sample."""
    chunk = max(1, flows // samples)
    points = [{"flows": 0, "rss_kib": rss_kib(proxy.proc.pid), "emulator_rss_kib": rss_kib(emulator.proc.pid), "t_s": 0.0}]
    done = errors = 0
    started = time.monotonic()
    capped = False
    chunk_no = 0
    while done < flows:
        run_id = 200 + chunk_no % 56  # device ids distinct from the comparison runs (run_wrk counts up from 1)
        chunk_no += 1
        remaining_s = time_cap - (time.monotonic() - started)
        if remaining_s < 1:
            capped = True
            break
        proxy.ensure_alive()
        want = min(chunk, flows - done)
        seconds = max(1, min(int(remaining_s), round(want / max(rate, 1.0))))
        cmd = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA_SCRIPT),
            proxy.url,
            "--",
            str(bodies_file),
            str(run_id),
            API_KEY,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise BenchError(
                f"wrk (memory run) failed (exit {proc.returncode}):\n" + (proc.stderr or proc.stdout).strip()[-1500:]
            )
        raw = json.loads(line.removeprefix("BENCH_JSON "))
        if raw["requests"] == 0:
            raise BenchError("wrk (memory run) completed no request in a chunk")
        done += raw["requests"]
        if raw["duration_us"]:
            rate = raw["requests"] / (raw["duration_us"] / 1e6)
        errors += sum(raw["errors"].values())
        points.append(
            {
                "flows": done,
                "rss_kib": rss_kib(proxy.proc.pid),
                "emulator_rss_kib": rss_kib(emulator.proc.pid),
                "t_s": round(time.monotonic() - started, 1),
            }
        )
        print(
            f"  {done:>7} flows  addon mitmdump RSS {points[-1]['rss_kib'] / 1024:7.1f} MiB  ({points[-1]['t_s']:.0f} s)",
            flush=True,
        )
    elapsed = time.monotonic() - started
    rss = [p["rss_kib"] for p in points if p["rss_kib"] is not None]
    start, end = rss[0], rss[-1]
    mid = rss[len(rss) // 2]
    first = points[min(1, len(points) - 1)]  # after the first chunk: caches and pools warmed
    tenth = first["rss_kib"] if first["rss_kib"] is not None else start
    return {
        "flows_requested": flows,
        "flows_done": done,
        "time_capped": capped,
        "elapsed_s": round(elapsed, 1),
        "rps": round(done / elapsed, 1) if elapsed else None,
        "errors": errors,
        "chunk": chunk,
        "first_chunk_flows": first["flows"],
        "rss_kib": {"start": start, "middle": mid, "end": end, "max": max(rss), "after_first_chunk": tenth},
        "growth_kib": end - start,
        "growth_after_first_chunk_kib": end - tenth,
        "growth_per_10k_flows_kib": round((end - tenth) / (done - first["flows"]) * 10000, 1) if done > first["flows"] else None,
        "samples": points,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of measured load per proxy and round (default 10)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of warm-up per proxy (default 5; 2 with --quick)")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per proxy, alternating order (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8, one wrk thread)")
    parser.add_argument("--users", type=int, default=200, help="size of the user pool (default 200)")
    parser.add_argument("--bodies", type=int, default=1000, help="distinct pre-generated bodies (default 1000)")
    parser.add_argument("--flows", type=int, default=None, help="requests in the memory run (default 100000; 5000 with --quick)")
    parser.add_argument("--samples", type=int, default=20, help="RSS samples over the memory run (default 20)")
    parser.add_argument("--memory-timeout", type=float, default=900.0, help="time cap of the memory run in s (default 900)")
    parser.add_argument("--addon-mode", choices=["emulate", "observe"], default="emulate", help="braze_mode measured")
    parser.add_argument("--quick", action="store_true", help="3 s × 1 round, 2 s warm-up, 5k flows (smoke)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the ratio is above the target")
    parser.add_argument("--out", type=Path, default=RESULTS / "proxy_overhead.json", help="JSON results file")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 3.0, 1
    warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    flows = args.flows if args.flows is not None else (5000 if args.quick else 100_000)
    if args.duration < 1 or args.rounds < 1 or args.connections < 1 or args.users < 1 or args.bodies < 1:
        parser.error("--duration must be ≥ 1 s and --rounds/--connections/--users/--bodies ≥ 1")
    if flows < 0 or not 1 <= args.samples <= 50 or args.memory_timeout < 1:
        parser.error("--flows must be ≥ 0, --samples within 1..50 and --memory-timeout ≥ 1 s")
    if args.rounds > 50:
        parser.error("--rounds must be ≤ 50")
    try:
        return run(args, warmup, flows)
    except BenchError as exc:
        print(f"proxy_overhead: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("proxy_overhead: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, warmup: float, flows: int) -> int:
    wrk = find_wrk()
    mitmdump = str(Path(sys.executable).with_name("mitmdump"))
    if not Path(mitmdump).is_file():
        found = shutil.which("mitmdump")
        if found is None:
            raise BenchError("`mitmdump` was not found next to this Python or on PATH: `pip install mitmproxy==12.2.3`")
        mitmdump = found
    if not ADDON.is_file():
        raise BenchError(f"the addon is missing: {ADDON}")

    load_before = os.getloadavg()
    servers: list[Server] = []
    results: list[WrkResult] = []
    with tempfile.TemporaryDirectory(prefix="braze-proxy-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        stack.callback(lambda: [s.stop() for s in reversed(servers)])
        print("starting the emulator (braze-harness emulator)…", flush=True)
        emulator = start_emulator(free_port(), workdir)
        servers.append(emulator)
        sink = None
        if args.addon_mode == "observe":
            sink_dir = workdir / "sink"
            sink_dir.mkdir()
            print("starting a second emulator as the observe-mode ingest sink…", flush=True)
            sink = start_emulator(free_port(), sink_dir)
            servers.append(sink)
            addon_opts = ["--set", "braze_mode=observe", "--set", f"braze_emulator={sink.url}"]
        else:
            addon_opts = ["--set", "braze_mode=emulate", "--set", f"braze_emulator={emulator.url}"]
        print("starting mitmdump (plain) and mitmdump -s braze_capture.py (addon)…", flush=True)
        plain = start_mitmdump(mitmdump, "plain", emulator.url, free_port(), workdir, None)
        servers.append(plain)
        addon = start_mitmdump(mitmdump, "addon", emulator.url, free_port(), workdir, addon_opts)
        servers.append(addon)

        _, health = http("GET", f"{emulator.url}/_emulator/health")
        config_time = int(json.loads(health).get("config_time") or time.time())
        bodies = make_bodies(args.bodies, args.users, config_time)
        bodies_file = workdir / "bodies.jsonl"
        bodies_file.write_text("\n".join(bodies) + "\n")
        avg = sum(len(b) for b in bodies) / len(bodies)
        print(f"{len(bodies)} bodies of 10 events (avg {avg:.0f} bytes), a new device id per request", flush=True)

        proxies = [plain, addon]
        warmups: list[WrkResult] = []
        for proxy in proxies:
            print(f"warming up {proxy.name}: {warmup:g} s…", flush=True)
            warmups.append(
                run_wrk(wrk, proxy, bodies_file, seconds=warmup, connections=args.connections, threads=1, label="warm-up")
            )
        for round_no in range(args.rounds):
            for proxy in proxies if round_no % 2 == 0 else list(reversed(proxies)):
                round_text = f" (round {round_no + 1}/{args.rounds})" if args.rounds > 1 else ""
                print(f"measuring {proxy.name}{round_text}: wrk -t1 -c{args.connections} -d{args.duration:g}s…", flush=True)
                result = run_wrk(
                    wrk, proxy, bodies_file, seconds=args.duration, connections=args.connections, threads=1, label="measure"
                )
                result.round = round_no + 1
                results.append(result)
                print(f"  {result.requests} requests, {result.rps:.0f} req/s, p99 {result.latency_ms['p99']:.2f} ms", flush=True)

        memory = None
        if flows > 0:
            print(
                f"memory run: {flows} flows through {addon.name}, VmRSS every {max(1, flows // args.samples)} flows…", flush=True
            )
            memory = memory_run(
                wrk,
                addon,
                emulator,
                bodies_file,
                flows=flows,
                samples=args.samples,
                connections=args.connections,
                time_cap=args.memory_timeout,
                rate=summarize([r for r in results if r.server == addon.name])["rps"],
            )

        _, stats_body = http("GET", f"{emulator.url}/_emulator/stats", timeout=30)
        journal = json.loads(stats_body).get("journal", {}) if stats_body else {}
        sink_journal = None
        if sink is not None:
            with contextlib.suppress(OSError):
                _, sink_body = http("GET", f"{sink.url}/_emulator/stats", timeout=30)
                sink_journal = json.loads(sink_body).get("journal", {})
        cpu = {s.name: round(cpu_seconds(s.proc.pid), 1) for s in servers}
        commands = {s.name: " ".join(getattr(s, "command", [])) for s in (plain, addon)}

    rows = {
        "plain": summarize([r for r in results if r.server == plain.name]),
        "addon": summarize([r for r in results if r.server == addon.name]),
    }
    ratio = rows["plain"]["rps"] / rows["addon"]["rps"] if rows["addon"]["rps"] else None
    print()
    if args.rounds > 1:
        print(f"medians over {args.rounds} rounds")
    for row in rows.values():  # the proxy process's own cost, whatever else the machine's cores were busy with
        row["cpu_ms_per_request"] = row["server_cpu_share"] * 1000 / row["rps"] if row["rps"] else None
    cpu_ratio = (
        rows["addon"]["cpu_ms_per_request"] / rows["plain"]["cpu_ms_per_request"]
        if rows["addon"]["cpu_ms_per_request"] and rows["plain"]["cpu_ms_per_request"]
        else None
    )
    header = (
        f"{'proxy':<8} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'proxy CPU':>10}"
        f" {'CPU ms/req':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        lat = row["latency_ms"]
        print(
            f"{name:<8} {row['rps']:>8.0f} {lat['p50']:>8.2f} {lat['p90']:>8.2f} {lat['p99']:>8.2f} {lat['max']:>8.1f} "
            f"{row['errors']:>7d} {row['server_cpu_share']:>9.0%} {row['cpu_ms_per_request'] or 0:>11.2f}"
        )
    if ratio is not None:
        verdict = "meets" if ratio <= TARGET_RATIO else "ABOVE"
        print(
            f"\noverhead of the addon ({args.addon_mode} mode): time per request addon/plain = {ratio:.2f}×  "
            f"({verdict} the target of ≤ {TARGET_RATIO:.1f}×)"
        )
    if cpu_ratio is not None:
        print(
            f"proxy CPU per request addon/plain = {cpu_ratio:.2f}× (what the addon itself costs; the req/s ratio also "
            "counts the other processes on these cores, e.g. observe mode's ingest sink)"
        )
    if memory is not None:
        r = memory["rss_kib"]
        mib = 1024
        print(
            f"memory over {memory['flows_done']} flows through the addon ({memory['rps']:.0f} req/s, {memory['elapsed_s']:.0f} s"
            f"{', TIME-CAPPED' if memory['time_capped'] else ''}): VmRSS start {r['start'] / mib:.1f} MiB, "
            f"middle {r['middle'] / mib:.1f}, end {r['end'] / mib:.1f} (max {r['max'] / mib:.1f}); "
            f"growth {memory['growth_kib'] / mib:+.1f} MiB, {memory['growth_after_first_chunk_kib'] / mib:+.1f} MiB after "
            f"the first {memory['first_chunk_flows']} flows"
        )
        if memory["errors"]:
            print(f"warning: wrk saw {memory['errors']} errors in the memory run")
    sent = sum(r.requests for r in [*warmups, *results]) + (memory["flows_done"] if memory else 0)
    print(
        f"emulator journal: {journal.get('latest_seq', '?')} requests journaled for {sent} answers wrk counted in all runs "
        f"(requests in flight when a wrk run ends add a few), {journal.get('bad', '?')} bad"
        + (f"; ingest sink: {sink_journal.get('latest_seq', '?')} journaled" if sink_journal is not None else "")
    )
    ok = all(r.error_total == 0 for r in results) and (memory is None or memory["errors"] == 0)
    for r in results:
        if r.error_total:
            print(f"warning: wrk saw errors against {r.server}: {r.errors}")
    if load_before[0] > BUSY_LOAD:
        print(
            f"note: the machine was busy before the run (load average {load_before[0]:.1f} on {os.cpu_count()} cores): "
            "expect noisy figures; --rounds 4 reports medians"
        )

    report = {
        "benchmark": "proxy_overhead",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "addon_mode": args.addon_mode,
            "duration_s": args.duration,
            "warmup_s": warmup,
            "rounds": args.rounds,
            "connections": args.connections,
            "threads": 1,
            "users": args.users,
            "bodies": args.bodies,
            "path": DATA_PATH,
            "flows": flows,
            "memory_timeout_s": args.memory_timeout,
        },
        "commands": commands,
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "summary": rows,
        "runs": [
            {
                "proxy": r.server,
                "round": r.round,
                "requests": r.requests,
                "duration_s": round(r.duration_s, 3),
                "rps": round(r.rps, 1),
                "latency_ms": {k: round(v, 3) for k, v in r.latency_ms.items()},
                "errors": r.errors,
                "proxy_cpu_s": round(r.server_cpu_s, 2),
            }
            for r in results
        ],
        "ratio_time_per_request_addon_over_plain": round(ratio, 3) if ratio is not None else None,
        "ratio_proxy_cpu_per_request_addon_over_plain": round(cpu_ratio, 3) if cpu_ratio is not None else None,
        "target_ratio": TARGET_RATIO,
        "memory": memory,
        "wrk_completed_requests_all_runs": sent,
        "emulator_journal": journal,
        "ingest_sink_journal": sink_journal,
        "process_cpu_s": cpu,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    if not ok:
        return 1
    return 1 if args.check and ratio is not None and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
