"""Running wrk (Debian's package) with the shared Lua script against one server, and what its output says:
requests per second, latency percentiles, errors, and how busy the server and wrk were."""

from __future__ import annotations

import json
import resource
import subprocess
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
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())


_run_counter = iter(range(1, 256))


def run_wrk(
    wrk: str, server: Server, bodies_file: Path, *, seconds: float, connections: int, threads: int, label: str
) -> WrkResult:
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
        API_KEY,
    ]
    cpu_before = cpu_seconds(server.proc.pid)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
        raw={"stdout": proc.stdout},
    )
