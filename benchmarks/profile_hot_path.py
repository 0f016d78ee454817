#!/usr/bin/env python
"""Profile the emulator's ingestion hot path in-process: `Emulator.handle` on throughput.py's bodies.

No HTTP and no other process: the same 10-event bodies as the throughput benchmark (a new device id
per request, users from a pool) go straight into `Emulator.handle`, so what is left is decode ->
state -> journal. Prints the rate per slice of requests (it drifts down as the state grows), the share
of time spent in Python's cyclic garbage collector, and cProfile's top functions.

    .venv/bin/python benchmarks/profile_hot_path.py                  # 10000 requests, cProfile on
    .venv/bin/python benchmarks/profile_hot_path.py --no-cprofile    # rates and GC share only
    .venv/bin/python benchmarks/profile_hot_path.py --gc off         # what the rate would be without GC
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for path in (str(REPO), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench_bodies import API_KEY, UID, make_bodies  # noqa: E402

RESULTS = HERE / "results"


class GcClock:
    """Wall time spent inside the cyclic GC, per generation (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self.slowest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            spent = time.perf_counter() - self._started
            self.seconds += spent
            self.slowest = max(self.slowest, spent)
            self.collections[info["generation"]] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000, help="requests to feed (default 10000)")
    parser.add_argument("--users", type=int, default=200, help="size of the user pool (default 200)")
    parser.add_argument("--bodies", type=int, default=1000, help="distinct bodies rotated through (default 1000)")
    parser.add_argument(
        "--gc", choices=["on", "off", "freeze"], default="on", help="Python GC as is, disabled, or gc.freeze() per slice"
    )
    parser.add_argument("--no-cprofile", action="store_true", help="rates and GC share only (cProfile slows everything ~2×)")
    parser.add_argument("--top", type=int, default=30, help="functions to list (default 30)")
    parser.add_argument("--out", type=Path, default=RESULTS / "profile_hot_path.json", help="JSON results file")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.users < 1 or args.bodies < 1:
        parser.error("--requests, --users and --bodies must be ≥ 1")

    try:
        from braze_harness.emulator.app import Emulator
        from braze_harness.emulator.settings import EmulatorSettings
    except ImportError as exc:
        print(f"profile_hot_path: error: cannot import the emulator ({exc})", file=sys.stderr)
        return 2

    emulator = Emulator(EmulatorSettings(port=0))
    bodies = make_bodies(args.bodies, args.users, int(emulator.config.time or time.time()))
    url = "http://127.0.0.1:9090/api/v3/data/"
    headers = {
        "host": "127.0.0.1:9090",
        "content-type": "application/json",
        "x-requested-with": "XMLHttpRequest",
        "x-braze-api-key": API_KEY,
        "origin": "http://127.0.0.1:18011",
    }
    payloads = [b.replace(UID, f"{i:012x}").encode() for i, b in zip(range(args.requests), _cycle(bodies), strict=False)]

    clock = GcClock()
    gc.callbacks.append(clock)
    if args.gc == "off":
        gc.disable()
    profiler = None if args.no_cprofile else cProfile.Profile()
    slice_size = max(1, args.requests // 10)
    slices = []
    print(f"feeding {args.requests} requests of 10 events into Emulator.handle (gc {args.gc})…", flush=True)
    started = slice_start = time.perf_counter()
    gc_at_slice = 0.0
    bad = 0
    for i, payload in enumerate(payloads, 1):
        if profiler is not None:
            profiler.enable()
        answer = emulator.handle("POST", url, headers, payload)
        if profiler is not None:
            profiler.disable()
        bad += answer.status != 200 or "error" in answer.body
        if i % slice_size == 0 or i == args.requests:
            now = time.perf_counter()
            n = i - sum(s["requests"] for s in slices)
            spent, gc_spent = now - slice_start, clock.seconds - gc_at_slice
            slices.append({"upto": i, "requests": n, "rps": n / spent, "gc_share": gc_spent / spent if spent else 0.0})
            print(
                f"  {i:>7}: {n / spent:7.0f} req/s, {gc_spent / spent:5.1%} of it in GC, "
                f"{len(gc.get_objects()):>9} tracked objects",
                flush=True,
            )
            slice_start, gc_at_slice = time.perf_counter(), clock.seconds
            if args.gc == "freeze":
                gc.freeze()  # what the emulator could do: move the state built so far out of the GC's sight
    elapsed = time.perf_counter() - started
    gc.callbacks.remove(clock)
    gc.enable()

    print(
        f"\n{args.requests} requests in {elapsed:.2f} s = {args.requests / elapsed:.0f} req/s "
        f"({'with cProfile: absolute rates are lower' if profiler else 'no profiler'}); {bad} non-OK answers"
    )
    print(
        f"GC: {clock.seconds:.2f} s = {clock.seconds / elapsed:.1%} of the time, collections per generation {clock.collections}, "
        f"slowest single collection {clock.slowest * 1000:.0f} ms"
    )
    top: list[dict[str, Any]] = []
    if profiler is not None:
        stats = pstats.Stats(profiler)
        for sort, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats(sort).print_stats(args.top)
            lines = buf.getvalue().splitlines()
            head = next((n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
            print(f"\ntop {args.top} by {title}:")
            print("\n".join(_shorten(line) for line in lines[head:] if line.strip()))
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        for (file, line, func), (_cc, nc, tt, ct, _callers) in sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda kv: -kv[1][2],
        )[: args.top]:
            top.append(
                {"function": f"{_shorten(file)}:{line}({func})", "calls": nc, "own_s": tt, "cum_s": ct, "own_share": tt / total}
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "profile_hot_path",
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "settings": {
                    "requests": args.requests,
                    "users": args.users,
                    "bodies": args.bodies,
                    "gc": args.gc,
                    "cprofile": profiler is not None,
                },
                "rps": args.requests / elapsed,
                "gc": {
                    "seconds": clock.seconds,
                    "share": clock.seconds / elapsed,
                    "collections": clock.collections,
                    "slowest_s": clock.slowest,
                },
                "slices": slices,
                "top_own_time": top,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nresults written to {args.out}")
    return 0


def _cycle(items: list[str]) -> Any:
    while True:
        yield from items


def _shorten(text: str) -> str:
    for prefix in (
        str(REPO) + "/",
        str(Path(sys.prefix)) + "/lib/python3.13/site-packages/",
        sys.base_prefix + "/lib/python3.13/",
    ):
        text = text.replace(prefix, "")
    return text


if __name__ == "__main__":
    sys.exit(main())
