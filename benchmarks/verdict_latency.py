#!/usr/bin/env python
"""Verdict latency: from the SDK call in a real page to the harness's expectation being satisfied.

The real @braze/web-sdk runs in headless Chromium inside the demo web app, talking to an
in-process emulator. Each iteration logs a uniquely named custom event through the app adapter
(`log_event` + `flush`, i.e. `requestImmediateDataFlush()`), then waits with the harness's own
DSL exactly as a test does: `expect.custom_event(name).within(5)` over a `RemoteSource`.

A baseline runs in the same session, interleaved: the same page actions, then a tight loop of
`GET /_emulator/requests?device_id=…&event_name=…` until the event is there. The ratio
DSL/baseline is what the expectation machinery (incremental fetch, long-poll, matching) costs on
top of the fastest possible check.

    .venv/bin/python benchmarks/verdict_latency.py                   # 120 iterations of each
    .venv/bin/python benchmarks/verdict_latency.py --iterations 30   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))
RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
TARGET_P50_MS = 200.0
TARGET_P99_MS = 1000.0


class BenchError(Exception):
    """Something missing or refusing to start: one line for the user, no traceback."""


@dataclass
class Sample:
    mode: str  # "dsl" | "baseline"
    total_ms: float  # SDK call start -> verdict
    page_ms: float  # the adapter's log_event + flush (Playwright fills, clicks, reads the page)
    arrival_ms: float  # SDK call start -> the emulator journaled the request (server clock, same machine)
    verdict_ms: float  # adapter returned -> verdict
    flush_to_arrival_ms: float  # log_event returned (flush click next) -> journaled: the SDK + network share
    polls: int = 0  # baseline only: GETs until the event showed up


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 120 samples is the 119th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "min": min(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=120, help="measured iterations of each kind (default 120)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured iterations of each kind first (default 5)")
    parser.add_argument("--timeout", type=float, default=5.0, help="expectation timeout in seconds (default 5)")
    parser.add_argument("--sdk-version", default="6.13.0", help="@braze/web-sdk version to bundle (default 6.13.0)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium executable (default {CHROMIUM})")
    parser.add_argument("--no-baseline", action="store_true", help="skip the control-API polling baseline")
    parser.add_argument(
        "--block-non-loopback",
        action="store_true",
        help="route every page request through a Python handler that blocks non-loopback URLs, as the pytest plugin does",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--out", type=Path, default=RESULTS / "verdict_latency.json", help="JSON results file")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0 or args.timeout <= 0:
        parser.error("--iterations must be ≥ 1, --warmup ≥ 0 and --timeout > 0")
    try:
        return run(args)
    except BenchError as exc:
        print(f"verdict_latency: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("verdict_latency: interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    chromium = shutil.which(args.chromium) if not os.path.isabs(args.chromium) else args.chromium
    if not chromium or not os.access(chromium, os.X_OK):
        raise BenchError(
            f"Chromium not found at {args.chromium!r}: install it with `apt-get install chromium` or pass --chromium PATH"
        )
    try:
        import httpx
        from braze_harness.client import EmulatorClient, RemoteSource
        from braze_harness.devices.web.chromium import CHROMIUM_ARGS
        from braze_harness.devices.web.demo.adapter import WebDemoAdapter, demo_site
        from braze_harness.devices.web.sdk_bundle import ensure_bundle
        from braze_harness.emulator.http.server import EmulatorServer
        from braze_harness.emulator.settings import EmulatorSettings
        from braze_harness.errors import HarnessError
        from braze_harness.expect import Expect
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BenchError(
            f"cannot import the harness ({exc}); run with the project's venv: .venv/bin/python {sys.argv[0]}"
        ) from None

    try:
        bundle = ensure_bundle(args.sdk_version, log=lambda m: print(m, flush=True))
    except HarnessError as exc:
        raise BenchError(f"cannot bundle @braze/web-sdk {args.sdk_version}: {exc}") from None

    server = EmulatorServer(EmulatorSettings(port=0)).start()
    site = demo_site(bundle)
    site_url = site.start()
    client = EmulatorClient(server.url)
    raw = httpx.Client(base_url=server.url, timeout=10.0, trust_env=False)  # the baseline's own connection
    print(f"emulator {server.url} (in-process), demo site {site_url}, SDK bundle {bundle.name}", flush=True)
    samples: list[Sample] = []
    try:
        scope = client.create_scope("bench")
        api_key = client.create_app(scope)["api_key"]
        device_id = str(uuid.uuid4())
        client.claim_devices(scope, [device_id])  # as the plugin's braze.new_device_id() does
        expect = Expect(RemoteSource(client, scope))
        run_tag = secrets.token_hex(3)

        with sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            except PlaywrightError as exc:
                raise BenchError(f"Chromium did not start: {str(exc).splitlines()[0]}") from None
            try:
                context = browser.new_context()
                page = context.new_page()
                if args.block_non_loopback:
                    from braze_harness.plugin.braze_context import block_non_loopback

                    block_non_loopback(context)
                app = WebDemoAdapter(page, site_url, api_key=api_key, base_url=server.url, device_id=device_id)
                app.launch()
                # the session start carries the first /data/ answer's config (client rate limiter off)
                expect.session_start().within(10)
                print(f"page ready: device {device_id}, scope {scope}", flush=True)

                def dsl(name: str) -> Sample:
                    start_wall, start = time.time(), time.perf_counter()
                    app.log_event(name)
                    logged_wall = time.time()
                    app.flush()
                    acted = time.perf_counter()
                    matches = expect.custom_event(name).within(args.timeout)
                    done = time.perf_counter()
                    received = matches[0].entry.received_at
                    return Sample(
                        "dsl",
                        (done - start) * 1000,
                        (acted - start) * 1000,
                        (received - start_wall) * 1000,
                        (done - acted) * 1000,
                        (received - logged_wall) * 1000,
                    )

                def baseline(name: str) -> Sample:
                    params = {"device_id": device_id, "event_name": name}
                    start_wall, start = time.time(), time.perf_counter()
                    app.log_event(name)
                    logged_wall = time.time()
                    app.flush()
                    acted = time.perf_counter()
                    deadline = acted + args.timeout
                    polls = 0
                    while True:
                        polls += 1
                        entries = raw.get("/_emulator/requests", params=params).json()["entries"]
                        if entries:
                            break
                        if time.perf_counter() > deadline:
                            raise BenchError(f"baseline: event {name!r} did not reach the emulator within {args.timeout:g} s")
                    done = time.perf_counter()
                    received = entries[0]["received_at"]
                    return Sample(
                        "baseline",
                        (done - start) * 1000,
                        (acted - start) * 1000,
                        (received - start_wall) * 1000,
                        (done - acted) * 1000,
                        (received - logged_wall) * 1000,
                        polls,
                    )

                kinds: list[tuple[str, Callable[[str], Sample]]] = [("dsl", dsl)]
                if not args.no_baseline:
                    kinds.append(("baseline", baseline))
                if args.warmup:
                    print(f"warm-up: {args.warmup} iteration(s) of each kind…", flush=True)
                for i in range(args.warmup):
                    for kind, measure in kinds:
                        measure(f"bench_warm_{kind}_{run_tag}_{i}")
                total = args.iterations
                print(f"measuring {total} iteration(s) of {' and '.join(k for k, _ in kinds)} (interleaved)…", flush=True)
                for i in range(total):
                    # alternate which kind goes first, so neither always follows the other
                    for kind, measure in kinds if i % 2 == 0 else list(reversed(kinds)):
                        samples.append(measure(f"bench_{kind}_{run_tag}_{i}"))
                    if (i + 1) % 20 == 0 or i + 1 == total:
                        done_dsl = [s.total_ms for s in samples if s.mode == "dsl"]
                        print(f"  {i + 1}/{total}: DSL p50 so far {percentile(done_dsl, 50):.1f} ms", flush=True)
                context.close()
            finally:
                browser.close()
    except HarnessError as exc:
        raise BenchError(str(exc)) from None
    finally:
        raw.close()
        client.close()
        site.stop()
        server.stop()

    return report(args, samples)


def report(args: argparse.Namespace, samples: list[Sample]) -> int:
    modes = {m: [s for s in samples if s.mode == m] for m in ("dsl", "baseline")}
    modes = {m: v for m, v in modes.items() if v}
    stats = {
        m: {
            "total_ms": summary([s.total_ms for s in v]),
            "page_ms": summary([s.page_ms for s in v]),
            "arrival_ms": summary([s.arrival_ms for s in v]),
            "verdict_after_page_ms": summary([s.verdict_ms for s in v]),
            "flush_to_arrival_ms": summary([s.flush_to_arrival_ms for s in v]),
            **({"polls": summary([float(s.polls) for s in v])} if m == "baseline" else {}),
        }
        for m, v in modes.items()
    }
    label = {"dsl": "DSL expect…within", "baseline": "baseline (polling)"}
    header = f"{'':<20} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'mean':>8}   (ms, n={args.iterations})"
    print()
    print(header)
    print("-" * len(header))
    for m, st in stats.items():
        t = st["total_ms"]
        print(f"{label[m]:<20} {t['p50']:>8.1f} {t['p95']:>8.1f} {t['p99']:>8.1f} {t['max']:>8.1f} {t['mean']:>8.1f}")
    print("\nwhere the time goes (p50, ms):")
    for m, st in stats.items():
        page, arrival, after = st["page_ms"]["p50"], st["arrival_ms"]["p50"], st["verdict_after_page_ms"]["p50"]
        flush = st["flush_to_arrival_ms"]["p50"]
        extra = f", {st['polls']['p50']:.0f} poll(s)" if m == "baseline" else ""
        print(
            f"  {label[m]:<20} adapter log_event+flush {page:.1f}; journaled {arrival:.1f} after the call "
            f"({flush:.1f} after log_event returned); verdict {after:.1f} after the adapter returned{extra}"
        )
    dsl = stats["dsl"]["total_ms"]
    p50_ok, p99_ok = dsl["p50"] < TARGET_P50_MS, dsl["p99"] < TARGET_P99_MS
    print(
        f"\ntargets: p50 < {TARGET_P50_MS:.0f} ms: {dsl['p50']:.1f} ms {'OK' if p50_ok else 'MISSED'}; "
        f"p99 < {TARGET_P99_MS:.0f} ms: {dsl['p99']:.1f} ms {'OK' if p99_ok else 'MISSED'}"
    )
    ratios = None
    if "baseline" in stats:
        base = stats["baseline"]["total_ms"]
        ratios = {k: dsl[k] / base[k] for k in ("p50", "p95", "p99") if base[k]}
        print(
            "ratio DSL/baseline: "
            + ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items())
            + f"  (DSL overhead at p50: {dsl['p50'] - base['p50']:+.1f} ms)"
        )

    result = {
        "benchmark": "verdict_latency",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "iterations": args.iterations,
            "warmup": args.warmup,
            "timeout_s": args.timeout,
            "sdk_version": args.sdk_version,
            "chromium": args.chromium,
            "block_non_loopback": args.block_non_loopback,
        },
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()},
        "targets_ms": {"p50": TARGET_P50_MS, "p99": TARGET_P99_MS},
        "targets_met": {"p50": p50_ok, "p99": p99_ok},
        "stats": stats,
        "ratio_dsl_over_baseline": ratios,
        "samples": [vars(s) for s in samples],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults written to {args.out}")
    return 1 if args.check and not (p50_ok and p99_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
