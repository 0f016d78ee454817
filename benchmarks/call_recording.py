"""What recording a test's calls on its app costs (the timeline's calls lane, braze_harness.adapters.recording): the
same no-op adapter method called plainly (the baseline, same run) and recorded through the pytest plugin's handle
(`braze.record`); then what sending them to an in-process emulator costs per call, batched as the plugin does (before
a journal read: 100 calls a request) and, for comparison, one control-API request per call.

    .venv/bin/python -m benchmarks.call_recording               # 20,000 calls
    .venv/bin/python -m benchmarks.call_recording --calls 2000  # quick

Target: recording adds less than 2 ms to a call (its p99), and the batched sending too per call. Exits 1 when missed.
Loopback only."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.plugin.handle import BrazeHandle

HERE = Path(__file__).resolve().parent
TARGET_MS = 2.0


class App:
    """An app whose action does nothing: what is measured is the recording around it (a real action takes tens of
    milliseconds: a Playwright round trip)."""

    def log_event(self, name: str, properties: dict[str, Any] | None = None) -> bool:
        return True


def timed(call: Callable[[], Any], n: int) -> list[float]:
    """Each of `n` calls' duration, in microseconds."""
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1e6)
    return out


def p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "call_recording.json")
    args = parser.parse_args(argv)
    n = args.calls
    props = {"plan": "pro", "seats": 3}

    plain = App()
    baseline = timed(lambda: plain.log_event("signed_in", props), n)
    server = EmulatorServer(EmulatorSettings(port=0)).start()
    client = EmulatorClient(server.url)
    try:
        handle = BrazeHandle(client, name="call-bench")
        app = handle.record(App())
        recorded = timed(lambda: app.log_event("signed_in", props), n)
        started = time.perf_counter()
        handle.publish_calls()  # what the first journal read after them sends (in requests of POST_BATCH)
        sent_all_us = (time.perf_counter() - started) * 1e6
        posted = len(client.calls(handle.scope))
        batch = [c.as_json() for c in handle.calls.all()[:100]]
        batched = timed(lambda: client.post_calls(handle.scope, batch), 50)
        each = timed(lambda: client.post_calls(handle.scope, batch[:1]), 200)
        handle.close()
    finally:
        client.close()
        server.stop()

    base = statistics.median(baseline)
    figures = {
        "calls": n,
        "baseline_median_us": round(base, 2),
        "recorded_median_us": round(statistics.median(recorded), 2),
        "recorded_p99_us": round(p(recorded, 99), 1),
        "recorded_added_median_us": round(statistics.median(recorded) - base, 2),
        "ratio_recorded_to_baseline_median": round(statistics.median(recorded) / base, 1),
        "sent_per_call_batched_us": round(statistics.median(batched) / len(batch), 1),
        "sent_per_call_one_request_each_us": round(statistics.median(each), 1),
        "sent_all_at_once_ms": round(sent_all_us / 1000, 1),
        "posted": posted,
    }
    added = figures["recorded_p99_us"] - base + figures["sent_per_call_batched_us"]
    figures["ok"] = added < TARGET_MS * 1000 and posted == min(n, 1000)
    print(
        f"call recording, {n:,} calls: plain {base:.2f} µs, recorded median {figures['recorded_median_us']} µs "
        f"(+{figures['recorded_added_median_us']} µs, {figures['ratio_recorded_to_baseline_median']}× the plain call), "
        f"p99 {figures['recorded_p99_us']} µs; sent to the emulator batched 100 a request: "
        f"{figures['sent_per_call_batched_us']} µs a call, one request each: {figures['sent_per_call_one_request_each_us']} µs "
        f"a call; all {n:,} at once: {figures['sent_all_at_once_ms']} ms; target < {TARGET_MS} ms added a call: "
        f"{'met' if figures['ok'] else 'MISSED'}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
