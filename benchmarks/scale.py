#!/usr/bin/env python
"""Scale: N virtual SDK devices in parallel against one emulator, each in a scope of its own.

The emulator runs as its own process (`braze-harness emulator`), like a shared CI emulator. Every device
(half Android 43, half iOS 18; each in its own thread, released together by a barrier) opens a session,
logs in as its own user, sets attributes, logs `--events` custom events numbered by a `seq` property and
`--purchases` purchases, flushes and closes its session. Baseline in the same run: one device doing the
same work alone (events/s of a single client).

Then it proves, from the emulator's own control API:
- **none lost**: every scope's journal holds each `seq` of its device exactly once and the profile's
  custom event and purchase counts equal what the device sent;
- **no cross-talk**: every journal entry of a scope comes from that scope's device and user, and no
  profile of a scope carries another device. Half the devices have an app (api key) of their own, the
  other half share one api key and are kept apart only by their claimed device id.

    .venv/bin/python benchmarks/scale.py                    # 200 devices x 100 events
    .venv/bin/python benchmarks/scale.py --devices 50 --events 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from braze_harness.client import EmulatorClient  # noqa: E402
from braze_harness.devices.virtual.device import VirtualDevice  # noqa: E402
from braze_harness.journal import Query  # noqa: E402
from braze_harness.protocol.events import CustomEvent  # noqa: E402

from benchmarks.bench_servers import BenchError, free_port, start_emulator  # noqa: E402


@dataclass
class Run:
    index: int
    platform: str
    scope: str
    api_key: str
    user: str
    device: VirtualDevice | None = None
    events_sent: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def workload(run: Run, events: int, purchases: int) -> None:
    d = run.device
    assert d is not None
    started = time.perf_counter()
    d.open_session()
    d.change_user(run.user)
    d.set_attributes(first_name=f"User{run.index}", email=f"user{run.index}@example.com")
    d.set_custom_attribute("bench_index", run.index)
    for seq in range(events):
        d.log_custom_event("bench_event", {"seq": seq, "device": run.index})
    for n in range(purchases):
        d.log_purchase(f"sku-{n}", 1.5, "USD", 1, None)
    d.register_push_token()  # sent at once: the push phase sends to it
    d.request_immediate_data_flush()
    d.close_session()
    run.seconds = time.perf_counter() - started
    run.events_sent = events + purchases
    run.failures.extend(f"{x.status} {x.body}" for x in d.dropped)
    if d.queue and not d.queue.empty:
        run.failures.append("events left in the device queue")


def prepare(client: EmulatorClient, url: str, n: int, shared_key: str | None, tag: str) -> list[Run]:
    runs = []
    for i in range(n):
        platform = "android" if i % 2 == 0 else "ios"
        scope = client.create_scope(f"{tag}-{i}")
        own = shared_key is None or i % 4 < 2  # half own an app, half share one key (scoped by device claim)
        api_key = client.create_app(scope, platform=platform)["api_key"] if own else shared_key
        run = Run(i, platform, scope, api_key, f"{tag}-user-{i}")
        run.device = VirtualDevice(platform, api_key=api_key, base_url=url, seed=i, max_real_wait=60)
        client.claim_devices(scope, [run.device.device_id])
        runs.append(run)
    return runs


def in_parallel(runs: list[Run], work: Callable[[Run], None], what: str = "") -> float:
    """`work(run)` for every run, each in its own thread, released together by a barrier: the wall seconds.
    An exception is recorded on its run (`failures`), the others go on."""
    barrier = threading.Barrier(len(runs) + 1)

    def one(run: Run) -> None:
        barrier.wait()
        try:
            work(run)
        except Exception as exc:
            run.failures.append(f"{what}{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(r,), daemon=True) for r in runs]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def drive(runs: list[Run], events: int, purchases: int) -> float:
    return in_parallel(runs, lambda run: workload(run, events, purchases))


def push_round(client: EmulatorClient, runs: list[Run]) -> tuple[float, float, list[str]]:
    """One push per scope to its user, every device takes its deliveries (the outbox stands in for FCM/APNs)
    and opens them in parallel: (send seconds, receive+open seconds, problems). Proves each device got
    exactly its own push and each scope's campaign counted exactly one open."""
    problems: list[str] = []
    started = time.perf_counter()
    for run in runs:
        request = {"external_ids": [run.user], "campaign_id": f"bench-{run.index}", "message": {"title": "Hi", "body": "x"}}
        sent = client.send_push(run.scope, request)
        if [d["device_id"] for d in sent["deliveries"]] != [run.device.device_id]:
            problems.append(f"device {run.index}: push went to {[d['device_id'] for d in sent['deliveries']]}")
    send_s = time.perf_counter() - started

    def receive(run: Run) -> None:
        d = run.device
        deliveries = client.push_outbox(run.scope, d.device_id, drain=True)
        if [x["campaign_id"] for x in deliveries] != [f"bench-{run.index}"]:
            run.failures.append(f"outbox held {[x['campaign_id'] for x in deliveries]}")
            return
        d.open_session()
        d.log_push_open(deliveries[0]["campaign_id"])
        d.request_immediate_data_flush()

    open_s = in_parallel(runs, receive, "push: ")
    for run in runs:
        metrics = client.metrics(run.scope, f"bench-{run.index}")
        totals = metrics["totals"]
        if totals.get("pc") != 1:
            problems.append(f"device {run.index}: campaign bench-{run.index} counted pc={totals.get('pc')}, expected 1")
    return send_s, open_s, problems


def verify(client: EmulatorClient, runs: list[Run], events: int, purchases: int) -> list[str]:
    problems: list[str] = []
    device_ids = {r.device.device_id for r in runs if r.device}
    for run in runs:
        assert run.device is not None
        me = run.device.device_id
        where = f"device {run.index} ({run.platform}, scope {run.scope})"
        problems.extend(f"{where}: {f}" for f in run.failures)
        entries = client.entries(Query(scope=run.scope))
        seqs: list[int] = []
        for e in entries:
            if e.device_id != me:
                problems.append(f"{where}: cross-talk: journal entry {e.seq} from device {e.device_id}")
            if not e.good:
                problems.append(f"{where}: bad request {e.seq}: {e.summary}")
            for user in e.user_ids:
                if user != run.user:
                    problems.append(f"{where}: cross-talk: user {user} in entry {e.seq}")
            for ev in e.events:
                if isinstance(ev, CustomEvent) and ev.data.n == "bench_event":
                    seqs.append(ev.data.p.get("seq"))
        if sorted(seqs) != list(range(events)):
            missing = sorted(set(range(events)) - set(seqs))
            extra = len(seqs) - len(set(seqs))
            problems.append(f"{where}: {len(seqs)} bench events journaled, missing {missing[:10]}, duplicated {extra}")
        profiles = client.profiles(scope=run.scope)
        mine = [p for p in profiles if p["external_id"] == run.user]
        if len(mine) != 1:
            problems.append(f"{where}: {len(mine)} profiles for {run.user} in its scope")
            continue
        p = mine[0]
        if p["custom_events"].get("bench_event") != events:
            problems.append(f"{where}: profile has {p['custom_events'].get('bench_event')} bench events, sent {events}")
        if sum(p["purchases"].values()) != purchases:
            problems.append(f"{where}: profile has {sum(p['purchases'].values())} purchases, sent {purchases}")
        for other in profiles:
            foreign = {d["device_id"] for d in other["devices"]} & (device_ids - {me})
            if foreign:
                problems.append(f"{where}: cross-talk: profile {other['braze_id']} carries devices {sorted(foreign)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--events", type=int, default=100, help="custom events per device")
    parser.add_argument("--purchases", type=int, default=5, help="purchases per device")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.events < 1 or args.purchases < 0:
        parser.error("--devices and --events must be >= 1, --purchases >= 0")

    with tempfile.TemporaryDirectory(prefix="braze-scale-") as tmp:
        server = start_emulator(free_port(), Path(tmp))
        client = EmulatorClient(server.url, timeout=60)
        base: list[Run] = []
        runs: list[Run] = []
        try:
            shared_scope = client.create_scope("scale-shared-key")
            shared_key = client.create_app(shared_scope, platform="android")["api_key"]

            base = prepare(client, server.url, 1, None, "baseline")
            base_wall = drive(base, args.events, args.purchases)
            base_rate = (args.events + args.purchases) / base_wall

            print(f"preparing {args.devices} scopes and devices...", file=sys.stderr)
            runs = prepare(client, server.url, args.devices, shared_key, "scale")
            print(f"driving {args.devices} devices in parallel...", file=sys.stderr)
            wall = drive(runs, args.events, args.purchases)
            total = sum(r.events_sent for r in runs)
            sent_requests = sum(len(r.device.deliveries) for r in runs if r.device)
            print("push: one send per scope, every device opens its own...", file=sys.stderr)
            push_send_s, push_open_s, push_problems = push_round(client, runs)
            print("verifying every scope...", file=sys.stderr)
            problems = push_problems + verify(client, base + runs, args.events, args.purchases)
            journal = client.stats()["journal"]
            if journal["dropped"]:
                dropped = f"the journal dropped {journal['dropped']} entries (cap {journal['cap']})"
                problems.append(f"{dropped}: fewer devices or events")
        finally:
            for r in base + runs:
                if r.device:
                    r.device.close()
            client.close()
            server.stop()

    per_device = [r.seconds for r in runs]
    result: dict[str, Any] = {
        "devices": args.devices,
        "events_per_device": args.events + args.purchases,
        "events_total": total,
        "data_requests": sent_requests,
        "wall_s": round(wall, 3),
        "events_per_s": round(total / wall, 1),
        "baseline_single_device_events_per_s": round(base_rate, 1),
        "ratio_vs_single_device": round(total / wall / base_rate, 2),
        "push_sends_s": round(push_send_s, 3),
        "push_receive_and_open_s": round(push_open_s, 3),
        "device_seconds_p50": round(statistics.median(per_device), 3),
        "device_seconds_max": round(max(per_device), 3),
        "journal_entries": journal["entries"],
        "journal_bad": journal["bad"],
        "problems": len(problems),
    }
    print(f"\n{'devices':>8} {'events':>8} {'requests':>9} {'wall s':>8} {'events/s':>9} {'1-device ev/s':>14} {'ratio':>6}")
    print(
        f"{args.devices:>8} {total:>8} {sent_requests:>9} {wall:>8.2f} {result['events_per_s']:>9} "
        f"{result['baseline_single_device_events_per_s']:>14} {result['ratio_vs_single_device']:>5}x"
    )
    print(f"per device: p50 {result['device_seconds_p50']} s, max {result['device_seconds_max']} s")
    print(f"journal: {journal['entries']} entries, {journal['bad']} bad")
    print(
        f"push: {args.devices} sends (one per scope) in {push_send_s:.2f} s; "
        f"the devices took and opened theirs in {push_open_s:.2f} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**result, "problem_list": problems[:200]}, indent=1))
    if problems:
        print(f"\nFAILED: {len(problems)} problem(s) (none lost / no cross-talk):", file=sys.stderr)
        for p in problems[:30]:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"none lost, no cross-talk: {args.devices + 1} scopes checked (journal per scope, profiles, counts)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"scale: {exc}", file=sys.stderr)
        sys.exit(2)
