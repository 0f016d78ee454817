"""Running wrk (Debian's package) with the shared Lua script against one server, and what its output says:
requests per second, latency percentiles, errors, and how busy the server and wrk were; plus the server's
requests per second of the run, second by second (from the bytes it read, see `ReadMeter`)."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_bodies import API_KEY
from bench_servers import BenchError, Server, cpu_seconds

HERE = Path(__file__).resolve().parent
LUA_SCRIPT = HERE / "braze_data.lua"


@dataclass
class WrkResult:
    server: str
    requests: int
    duration_s: float
    rps: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    server_cpu_s: float
    wrk_cpu_s: float
    round: int = 0
    rps_by_second: list[float] = field(default_factory=list)  # see ReadMeter; empty when it could not tell
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())


def find_wrk() -> str:
    """wrk's path; BenchError naming the package when it is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("`wrk` was not found on PATH: install it with `apt-get install wrk`")
    return wrk


_run_counter = iter(range(1, 256))


class ReadMeter:
    """The bytes a server process read (`rchar` in /proc/PID/io: its read() calls, sockets included), sampled
    every second while wrk runs. wrk's requests are the only thing the server reads meanwhile, so a second's
    requests = its bytes / (the run's bytes / wrk's request count): the per-second figures add up to wrk's total
    and show whether the rate drifts during the run (wrk itself only reports the whole run's average)."""

    def __init__(self, pid: int) -> None:
        self.path = f"/proc/{pid}/io"
        self.samples: list[int] = []
        self.final: int | None = None  # read once wrk has exited: the run's total
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="read-meter", daemon=True)

    def _read(self) -> int | None:
        try:
            with open(self.path) as fh:
                for line in fh:
                    if line.startswith("rchar:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def _sample(self) -> None:
        first = self._read()
        if first is None:
            return
        self.samples.append(first)
        next_at = time.monotonic() + 1.0
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            value = self._read()
            if value is None:
                return
            self.samples.append(value)
            next_at += 1.0

    def __enter__(self) -> ReadMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.final = self._read()

    def rps_by_second(self, requests: int, seconds: float) -> list[float]:
        """Requests per whole second of the run (the last partial second and the time after it left out)."""
        deltas = [b - a for a, b in zip(self.samples, self.samples[1:], strict=False)][: int(seconds)]
        total = self.final - self.samples[0] if self.samples and self.final is not None else 0
        if requests <= 0 or total <= 0 or not deltas:
            return []
        per_request = total / requests
        return [round(d / per_request, 1) for d in deltas]


def run_wrk(
    wrk: str,
    server: Server,
    bodies_file: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
    label: str,
    api_key: str = API_KEY,
) -> WrkResult:
    """`api_key` "@body": each body's own key in the header (bodies made with several `api_keys`)."""
    server.ensure_alive()
    run_id = next(_run_counter)  # keeps device ids unique across runs
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(LUA_SCRIPT),
        server.url,
        "--",
        str(bodies_file),
        str(run_id),
        api_key,
    ]
    cpu_before = cpu_seconds(server.proc.pid)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ReadMeter(server.proc.pid) as meter:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = cpu_seconds(server.proc.pid)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(
            f"wrk against {server.name} ({label}) failed (exit {proc.returncode}):\n"
            + (proc.stderr or proc.stdout).strip()[-1500:]
        )
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    lat = {k: v / 1000 for k, v in raw["latency_us"].items()}
    return WrkResult(
        server=server.name,
        requests=raw["requests"],
        duration_s=duration,
        rps=raw["requests"] / duration if duration else 0.0,
        latency_ms=lat,
        errors=raw["errors"],
        server_cpu_s=cpu_after - cpu_before,
        wrk_cpu_s=(children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime),
        rps_by_second=meter.rps_by_second(raw["requests"], duration),
        raw={"stdout": proc.stdout},
    )
