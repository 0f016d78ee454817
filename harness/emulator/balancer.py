"""A load balancer in front of a fleet's replicas (docs/fleet.md): HAProxy (Debian's `haproxy`), its configuration
written here, run in the foreground as a subprocess.

The configuration: round robin over the replicas, each health-checked on `/_emulator/health` every half second; a
request whose replica refused the connection, died or closed it without an answer is sent again to another replica
(`retry-on` + `option redispatch 1`). That resend is safe on a fleet: the PostgreSQL state applies the very same SDK
request once per run (docs/fleet.md, the state on PostgreSQL). Timeouts leave room for the control API's long-poll
waits (at most 30 s)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from braze_harness.emulator.http.server import is_loopback_host
from braze_harness.errors import HarnessConfigError

HEALTH_PATH = "/_emulator/health"
HAPROXY_HINT = "install it with `apt-get install haproxy` (./qa setup does)"


@dataclass(frozen=True, slots=True)
class Replica:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Replica:
        """`HOST:PORT` or `http://HOST:PORT` (a URL's path is not allowed: the balancer forwards paths as they come)."""
        rest = text.removeprefix("http://").rstrip("/")
        host, sep, port = rest.rpartition(":")
        if not sep or not host or not port.isdigit() or "/" in rest or not 0 < int(port) < 65536:
            raise HarnessConfigError(f"replica {text!r}: expected HOST:PORT or http://HOST:PORT, e.g. 127.0.0.1:9090")
        return cls(host.strip("[]"), int(port))

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def haproxy_config(replicas: list[Replica], *, host: str = "127.0.0.1", port: int) -> str:
    """HAProxy's configuration for these replicas behind `host:port` (see the module's doc)."""
    if not replicas:
        raise HarnessConfigError("a balancer needs at least one replica")
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    servers = "\n".join(f"    server replica{n} {r.address} check inter 500ms fall 2 rise 1" for n, r in enumerate(replicas, 1))
    return f"""\
global
    maxconn 2048

defaults
    mode http
    option http-server-close
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    timeout http-keep-alive 10s
    # a request whose replica refused it, died or closed without answering goes to another replica
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend braze
    bind {bind}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET {HEALTH_PATH}
    http-check expect status 200
{servers}
"""


def check_addresses(replicas: list[Replica], host: str, allow_remote: bool) -> None:
    """Loopback only unless `allow_remote`: the balancer's address and every replica's."""
    if allow_remote:
        return
    for what, address in [("listen on", host), *(("forward to", r.host) for r in replicas)]:
        if not is_loopback_host(address):
            raise HarnessConfigError(
                f"refusing to {what} {address}: the balancer is loopback only (pass --allow-remote to override)"
            )


def find_haproxy() -> str:
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found is None:
        raise HarnessConfigError(f"haproxy was not found: {HAPROXY_HINT}")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Balancer:
    """HAProxy running in the foreground (a subprocess) with `haproxy_config`; `stop()` ends it."""

    proc: subprocess.Popen[bytes]
    host: str
    port: int
    folder: Path
    replicas: list[Replica] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{'[' + self.host + ']' if ':' in self.host else self.host}:{self.port}"

    @classmethod
    def start(cls, replicas: list[Replica], *, host: str = "127.0.0.1", port: int = 0, timeout: float = 15.0) -> Balancer:
        """Start HAProxy on `port` (0: a free one) and wait until a request through it reaches a replica."""
        haproxy = find_haproxy()
        folder = Path(tempfile.mkdtemp(prefix="braze-balancer-"))
        port = port or free_port(host)
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(replicas, host=host, port=port))
        log = open(folder / "haproxy.log", "wb")  # noqa: SIM115 (the subprocess writes to it until stop())
        with log:
            proc = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        balancer = cls(proc, host, port, folder, list(replicas))
        try:
            balancer._wait_ready(timeout)
        except BaseException:
            balancer.stop()
            raise
        return balancer

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessConfigError(f"haproxy exited with {self.proc.returncode}: {self.log().strip()[-800:]}")
            if _health_ok(self.host, self.port):
                return
            if time.monotonic() > deadline:
                raise HarnessConfigError(f"no replica answered {HEALTH_PATH} through haproxy within {timeout:g} s")
            time.sleep(0.05)

    def log(self) -> str:
        path = self.folder / "haproxy.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def _health_ok(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
