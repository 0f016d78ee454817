"""The servers a load benchmark measures, each its own process on a free loopback port: the emulator
(`braze-harness emulator`) and WireMock (its standalone jar from the pinned npm package), started, waited for,
stopped; plus the small HTTP and /proc helpers they need."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA_PATH = "/api/v3/data/"
START_TIMEOUT_S = 60.0


class BenchError(Exception):
    """A missing tool or a server that would not start: reported as one line, no traceback."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 5.0
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never a proxy
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), to show how busy each server was."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def ensure_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.proc.returncode}; its log: {self.log}\n{tail(self.log)}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_ready(server: Server, probe: Any, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | str = "no answer"
    while time.monotonic() < deadline:
        server.ensure_alive()
        try:
            if probe():
                return
            last = "unexpected answer"
        except (OSError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(0.1)
    raise BenchError(f"{server.name} did not answer within {timeout:.0f} s ({last}); its log: {server.log}\n{tail(server.log)}")


def start_emulator(port: int, workdir: Path) -> Server:
    exe = REPO / ".venv" / "bin" / "braze-harness"
    cmd = (
        [str(exe), "emulator", "--quiet", "--host", "127.0.0.1", "--port", str(port)]
        if exe.exists()
        else [sys.executable, "-m", "braze_harness.cli", "emulator", "--quiet", "--host", "127.0.0.1", "--port", str(port)]
    )
    log = workdir / "emulator.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server("emulator", f"http://127.0.0.1:{port}", proc, log)
    wait_until_ready(server, lambda: http("GET", f"{server.url}/_emulator/health", timeout=2)[0] == 200)
    return server


def wiremock_jar() -> Path:
    jars = sorted((HERE / "node_modules" / "wiremock").glob("**/wiremock-standalone-*.jar"))
    if jars:
        return jars[-1]
    npm = shutil.which("npm")
    if npm is None:
        raise BenchError(
            "WireMock's jar is not installed and npm is missing: install Node.js + npm, then `npm ci --prefix benchmarks`"
        )
    print("installing WireMock (npm ci in benchmarks/, first use)…", flush=True)
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=600, check=False
    )
    jars = sorted((HERE / "node_modules" / "wiremock").glob("**/wiremock-standalone-*.jar"))
    if proc.returncode != 0 or not jars:
        raise BenchError(f"`npm ci` in {HERE} did not install the WireMock jar:\n{(proc.stderr or proc.stdout).strip()[-800:]}")
    return jars[-1]


def start_wiremock(java: str, jar: Path, port: int, workdir: Path) -> Server:
    root = workdir / "wiremock"
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(exist_ok=True)
    mapping = {
        "request": {"method": "POST", "url": DATA_PATH},
        "response": {"status": 200, "body": "{}", "headers": {"Content-Type": "application/json"}},
    }
    (root / "mappings" / "data.json").write_text(json.dumps(mapping, indent=2))
    cmd = [
        java,
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--disable-banner",
        "--root-dir",
        str(root),
    ]
    log = workdir / "wiremock.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server("WireMock", f"http://127.0.0.1:{port}", proc, log)

    def probe() -> bool:
        status, body = http("POST", server.url + DATA_PATH, b"{}", {"Content-Type": "application/json"}, timeout=2)
        return status == 200 and body.strip() == b"{}"

    wait_until_ready(server, probe)
    return server
