"""Hostile traffic at one emulator subprocess: a bounded burst of good SDK requests mixed with deep nesting, gzip
bombs, huge headers, bad JSON, over-long ids, too many events and too many values. Prints req/s, the 5xx count, the
emulator's RSS (before, peak, after) and the good events lost (sent in accepted requests vs stored on the profiles).

    .venv/bin/python -m benchmarks.hostile            # 200 rounds
    .venv/bin/python -m benchmarks.hostile --quick    # 10 rounds (the test's)

Exits 1 when anything answered 5xx or a good event was lost. Loopback only; the loop is bounded in rounds."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_servers import REPO, Server, free_port, http, wait_until_ready

T = 1796000000


def start(workdir: Path, *flags: str) -> Server:
    """`braze-harness emulator` from this checkout (not whatever the venv's script points at), with `flags`."""
    port = free_port()
    cmd = [sys.executable, "-m", "braze_harness.cli", "emulator", "--quiet", "--host", "127.0.0.1", "--port", str(port), *flags]
    log = workdir / "emulator.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server("emulator", f"http://127.0.0.1:{port}", proc, log)
    wait_until_ready(server, lambda: http("GET", f"{server.url}/_emulator/health", timeout=2)[0] == 200)
    return server


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples a process's RSS every 20 ms in a thread; `peak` the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, rss_bytes(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.peak = max(self.peak, rss_bytes(self.pid))
            except OSError:
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(1)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


_BOMB: list[bytes] = []


def bomb() -> bytes:
    """A gzip body of ~64 KiB expanding to 64 MiB (made once)."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b'{"a":"' + b"0" * (64 * 1024 * 1024) + b'"}', compresslevel=9))
    return _BOMB[0]


@dataclass
class Tally:
    requests: int = 0
    status: dict[int, int] = field(default_factory=dict)
    good_sent: dict[str, int] = field(default_factory=dict)  # event name -> times sent in an accepted request

    def saw(self, status: int) -> int:
        self.requests += 1
        self.status[status] = self.status.get(status, 0) + 1
        return status


class Burst:
    def __init__(self, url: str, key: str) -> None:
        self.url, self.key, self.tally, self._n = url, key, Tally(), 0
        self.port = int(url.rsplit(":", 1)[1])

    def good(self, n: int = 1) -> list[dict[str, Any]]:
        events = []
        for _ in range(n):
            self._n += 1
            name = f"good-{self._n}"
            events.append({"name": "ce", "time": T + 0.5, "user_id": "hostile-user", "data": {"n": name}})
        return events

    def post(self, body: bytes, expect_applied: list[dict[str, Any]] = (), **headers: str) -> int:  # type: ignore[assignment]
        status, _ = http("POST", f"{self.url}/api/v3/data/", body, {"x-braze-api-key": self.key, **headers}, timeout=30)
        if self.tally.saw(status) == 200:
            for event in expect_applied:
                self.tally.good_sent[event["data"]["n"]] = self.tally.good_sent.get(event["data"]["n"], 0) + 1
        return status

    def data(self, events: list[Any], **extra: Any) -> bytes:
        return json.dumps({"api_key": self.key, "device_id": "hostile-dev", "time": T, "events": events, **extra}).encode()

    def raw(self, payload: bytes) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(payload)
            answer = b""
            while not answer.endswith(b"}") and (chunk := sock.recv(65536)):
                answer += chunk
        return self.tally.saw(int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0)

    def round(self) -> None:
        ok = self.good(5)
        self.post(self.data(ok), ok)
        left, right = self.good(), self.good()
        self.post(
            self.data([*left, {"name": "ce", "time": 1.0, "data": {"n": "deep", "p": nested(300)}}, *right]), [*left, *right]
        )
        self.post(self.data(self.good(), device=nested(300)))  # over-deep envelope: 400, nothing applied
        self.post(bomb(), **{"content-encoding": "gzip"})  # 64 MiB expanded
        self.post(b'{"api_key": "' + self.key.encode() + b'", "events": [')  # bad JSON
        neighbour = self.good()
        long_id = {"name": "ce", "time": 1.0, "user_id": "x" * 2000, "data": {"n": "long"}}
        self.post(self.data([long_id, *neighbour]), neighbour)
        self.post(self.data(self.good(), user_id="u" * 100_000))  # over-long envelope id: 400
        self.post(self.data([{}] * 5000))  # too many events: 400
        self.post(self.data(self.good(), sdk_metadata=[1] * 300_000))  # 300,000 bad values: 400
        filler = b"x-filler: " + b"y" * (256 * 1024) + b"\r\n"
        self.raw(b"POST /api/v3/data/ HTTP/1.1\r\nhost: 127.0.0.1\r\n" + filler + b"content-length: 2\r\n\r\n{}")


def stored(url: str, scope: str) -> dict[str, int]:
    status, body = http("GET", f"{url}/_emulator/profiles?scope={scope}", timeout=30)
    if status != 200:
        raise RuntimeError(f"/_emulator/profiles answered {status}")
    counts: dict[str, int] = {}
    for profile in json.loads(body)["profiles"]:
        for name, n in profile.get("custom_events", {}).items():
            if name.startswith("good-"):
                counts[name] = counts.get(name, 0) + n
    return counts


def run(rounds: int, journal_max_bytes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        server = start(Path(tmp), "--journal-max-bytes", str(journal_max_bytes))
        try:
            _, body = http(
                "POST",
                f"{server.url}/_emulator/scopes",
                json.dumps({"name": "hostile"}).encode(),
                {"content-type": "application/json"},
            )
            scope = json.loads(body)["scope"]
            _, body = http("POST", f"{server.url}/_emulator/scopes/{scope}/apps", b"{}", {"content-type": "application/json"})
            key = json.loads(body)["api_key"]
            before = rss_bytes(server.proc.pid)
            burst = Burst(server.url, key)
            started = time.perf_counter()
            with PeakRss(server.proc.pid) as peak:
                for _ in range(rounds):
                    burst.round()
            elapsed = time.perf_counter() - started
            after = rss_bytes(server.proc.pid)
            got = stored(server.url, scope)
            sent = burst.tally.good_sent
            lost = sum(n - min(n, got.get(name, 0)) for name, n in sent.items())
            extra = sum(max(0, got.get(name, 0) - n) for name, n in sent.items())
            for path in ("requests", "profiles"):
                code, _ = http("GET", f"{server.url}/_emulator/{path}?scope={scope}", timeout=30)
                burst.tally.saw(code)
            server.ensure_alive()
        finally:
            server.stop()
    tally = burst.tally
    return {
        "rounds": rounds,
        "requests": tally.requests,
        "req_per_s": round(tally.requests / elapsed, 1),
        "status": dict(sorted(tally.status.items())),
        "5xx": sum(n for s, n in tally.status.items() if s >= 500 or s == 0),
        "rss_mb": {k: round(v / 2**20, 1) for k, v in {"before": before, "peak": peak.peak, "after": after}.items()},
        "good_events_sent": sum(sent.values()),
        "good_events_lost": lost,
        "good_events_extra": extra,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="hostile rounds (11 requests each)")
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--journal-max-bytes", type=int, default=32 * 1024 * 1024)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = run(10 if args.quick else args.rounds, args.journal_max_bytes)
    if args.json:
        print(json.dumps(result))
    else:
        rss = result["rss_mb"]
        print(
            f"{result['requests']} requests, {result['req_per_s']} req/s, statuses {result['status']}, 5xx {result['5xx']}; "
            f"RSS {rss['before']} -> peak {rss['peak']} -> {rss['after']} MB; good events sent {result['good_events_sent']}, "
            f"lost {result['good_events_lost']}, counted twice {result['good_events_extra']}"
        )
    return 1 if result["5xx"] or result["good_events_lost"] or result["good_events_extra"] else 0


if __name__ == "__main__":
    sys.exit(main())
