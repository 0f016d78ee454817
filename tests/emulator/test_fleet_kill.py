"""A replica killed (SIGKILL) in the middle of load: virtual devices send through HAProxy to two replicas on
PostgreSQL, one replica is killed while requests are in flight, and every event still lands exactly once.

What makes it hold: HAProxy sends a request whose replica died or refused the connection to the other replica
(`retry-on`, `option redispatch`), a device resends a failed request as it was (same body, `X-Braze-Req-Attempt` + 1),
and the PostgreSQL state applies the very same request once per run (docs/fleet.md). Three rounds, each killing a
replica at another moment while it holds one request it applied but has not answered yet (a `delay` fault on it
alone), then starting it again on its port. With the state's request check disabled, the held request's events are
applied twice and the test fails."""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from braze_harness.client import EmulatorClient
from braze_harness.devices.virtual.clock import DeviceClock
from braze_harness.devices.virtual.device import FlushPolicy, VirtualDevice
from braze_harness.emulator.state.store_pg import RESEND
from braze_harness.journal import Query
from braze_harness.protocol.events import CustomEvent

from tests.support.fleet import Fleet

pytestmark = pytest.mark.skipif(
    not os.path.exists(shutil.which("haproxy") or "/usr/sbin/haproxy"),
    reason="HAProxy is not installed: apt-get install haproxy (./qa setup does)",
)

ROUNDS = 3
DEVICES = 6
EVENTS = 60  # per device, each with a name of its own
PER_REQUEST = 3  # events per /data/ request: 20 requests per device, 120 a round


@dataclass
class Load:
    round: int
    scope: str
    devices: list[VirtualDevice]
    users: list[str]
    sent: dict[int, list[str]] = field(default_factory=dict)  # device -> its event names
    requests = 0  # /data/ requests answered so far (all devices)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: list[str] = field(default_factory=list)


def start_load(fleet: Fleet, client: EmulatorClient, round_no: int) -> Load:
    scope = client.create_scope(f"kill-{round_no}")
    api_key = client.create_app(scope, platform="android")["api_key"]
    # a virtual clock for the backoff: a retry goes at once instead of 10 s later
    devices = [
        VirtualDevice(
            "android",
            api_key=api_key,
            base_url=fleet.url,
            seed=n,
            clock=DeviceClock(real_sleep=False),
            flush=FlushPolicy(interval=0),
            auto_sync=False,
        )
        for n in range(DEVICES)
    ]
    users = [f"kill-{round_no}-user-{n}" for n in range(DEVICES)]
    for device, user in zip(devices, users, strict=True):
        device.change_user(user)  # before the load: the request held on the victim is one with events
    return Load(round_no, scope, devices, users)


def drive(load: Load, n: int) -> None:
    device, names = load.devices[n], [f"r{load.round}-d{n}-e{i}" for i in range(EVENTS)]
    load.sent[n] = names
    try:
        for start in range(0, EVENTS, PER_REQUEST):
            for name in names[start : start + PER_REQUEST]:
                device.log_custom_event(name, {"device": n})
            for delivery in device.request_immediate_data_flush():
                with load.lock:
                    load.requests += 1
                if not delivery.ok:
                    load.failures.append(f"device {n}: {delivery.endpoint} not delivered: {delivery.status}")
        if not device.queue.empty or device.dropped:
            load.failures.append(f"device {n}: {len(device.dropped)} dropped, queue empty: {device.queue.empty}")
    except Exception as exc:
        load.failures.append(f"device {n}: {type(exc).__name__}: {exc}")


def check_exactly_once(client: EmulatorClient, load: Load) -> dict[str, int]:
    """Each event once in its user's profile; in the journal once as applied (a resend the replica did not apply is
    journaled with the RESEND problem), or only in resends when its replica died between applying and journaling."""
    sent = {name for names in load.sent.values() for name in names}
    applied: Counter[str] = Counter()
    resent: Counter[str] = Counter()
    retried = resends = 0
    for entry in client.entries(Query(scope=load.scope)):
        resend = any(p.message == RESEND for p in entry.problems)
        resends += resend
        retried += entry.exchange.headers.get("x-braze-req-attempt", "1") != "1"
        for event in entry.events:
            if isinstance(event, CustomEvent):
                (resent if resend else applied)[event.data.n] += 1
    twice = sorted(n for n, c in applied.items() if c > 1)
    missing = sorted(sent - set(applied) - set(resent))
    assert not twice and not missing, f"applied twice in the journal: {twice[:10]}; never journaled: {missing[:10]}"
    assert set(applied) | set(resent) == sent
    for n, user in enumerate(load.users):
        (profile,) = client.profiles(scope=load.scope, external_id=user)
        wrong = {k: v for k, v in profile["custom_events"].items() if v != 1}
        assert not wrong, f"{user}: events counted more than once: {wrong}"
        assert set(profile["custom_events"]) == set(load.sent[n]), f"{user}: missing from the profile"
    return {"resends": resends, "retried_requests": retried, "only_resent": len(set(resent) - set(applied))}


def hold_one_applied_request(replica_url: str, scope: str) -> EmulatorClient:
    """A `delay` fault on the victim alone (faults are per replica): its next /data/ request of the scope is applied
    and journaled, then its answer held; killed meanwhile, the request's only copy that lands again is a resend."""
    direct = EmulatorClient(replica_url)
    direct.add_fault(scope, endpoint="data", kind="delay", delay_ms=5000, times=1)
    return direct


def test_a_replica_killed_mid_load_loses_and_doubles_nothing(postgres_server):
    rng = random.Random()
    started = time.monotonic()
    seen: list[dict[str, int]] = []
    with Fleet.start(postgres_server.dsn, replicas=2) as fleet:
        client = EmulatorClient(fleet.url, timeout=30)
        for round_no in range(ROUNDS):
            round_started = time.monotonic()
            load = start_load(fleet, client, round_no)
            victim = round_no % 2
            direct = hold_one_applied_request(fleet.replicas[victim].url, load.scope)
            threads = [threading.Thread(target=drive, args=(load, n)) for n in range(DEVICES)]
            for t in threads:
                t.start()
            kill_at = rng.randint(15, 60)  # of the round's 120 requests
            deadline = time.monotonic() + 30
            while (load.requests < kill_at or direct.faults(load.scope)[0]["hits"] < 1) and time.monotonic() < deadline:
                time.sleep(0.002)
            fleet.replicas[victim].kill()
            killed_after = load.requests
            direct.close()
            for t in threads:
                t.join(60)
            assert not load.failures, load.failures
            counts = check_exactly_once(client, load)
            seen.append({"killed_after": killed_after, "round_s": round(time.monotonic() - round_started, 1), **counts})
            assert counts["resends"] >= 1, "the request held on the killed replica came back as a resend"
            if round_no < ROUNDS - 1:
                fleet.restart(victim)
        client.close()
    print(f"rounds ({time.monotonic() - started:.0f} s): {seen}")  # pytest -s shows them
