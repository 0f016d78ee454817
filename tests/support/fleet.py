"""A fleet as a team would run it, on this machine: N `braze-harness emulator --store …` processes on one PostgreSQL
database and run, HAProxy in front of them (braze_harness.emulator.balancer). Used by the kill test, the
`.ci/fleet-suites` script and benchmarks/fleet_throughput.py."""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from braze_harness.emulator.balancer import Balancer, Replica, free_port

BIN = Path(sys.executable).parent / "braze-harness"
COMMAND = [str(BIN)] if BIN.exists() else [shutil.which("braze-harness") or "braze-harness"]


@dataclass
class ReplicaProcess:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, dsn: str, run: str, folder: Path, *extra: str, port: int | None = None) -> ReplicaProcess:
        port = port or free_port()
        log = folder / f"replica-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [*COMMAND, "emulator", "--port", str(port), "--store", dsn, "--store-run", run, "--quiet", *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return cls(port, proc, log)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never a proxy
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica on port {self.port} exited with {self.proc.returncode}: {self.tail()}")
            try:
                with opener.open(f"{self.url}/_emulator/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica on port {self.port} did not answer within {timeout:g} s: {self.tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, whatever it was doing is cut off (as a crashed or evicted replica is)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, chars: int = 1500) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Fleet:
    dsn: str
    run: str
    folder: Path
    replicas: list[ReplicaProcess] = field(default_factory=list)
    balancer: Balancer | None = None
    extra: tuple[str, ...] = ()  # the replicas' further `braze-harness emulator` flags

    @property
    def url(self) -> str:
        assert self.balancer is not None
        return self.balancer.url

    @classmethod
    def start(cls, dsn: str, replicas: int = 2, *, run: str | None = None, extra: tuple[str, ...] = ()) -> Fleet:
        """`replicas` emulator processes on `dsn` in one run (a new one unless given), HAProxy in front."""
        fleet = cls(dsn, run or f"fleet-{secrets.token_hex(4)}", Path(tempfile.mkdtemp(prefix="braze-fleet-")), extra=extra)
        try:
            # the first replica alone: it creates (or migrates) the schema, the others then open it
            fleet.replicas.append(ReplicaProcess.start(dsn, fleet.run, fleet.folder, *extra))
            fleet.replicas[0].wait_ready()
            fleet.replicas += [ReplicaProcess.start(dsn, fleet.run, fleet.folder, *extra) for _ in range(replicas - 1)]
            for replica in fleet.replicas[1:]:
                replica.wait_ready()
            fleet.balancer = Balancer.start([Replica("127.0.0.1", r.port) for r in fleet.replicas])
        except BaseException:
            fleet.stop()
            raise
        return fleet

    def restart(self, index: int) -> ReplicaProcess:
        """Start replica `index` again (after `kill()`) on its port: the balancer's health check takes it back."""
        old = self.replicas[index]
        replica = ReplicaProcess.start(self.dsn, self.run, self.folder, *self.extra, port=old.port)
        replica.wait_ready()
        self.replicas[index] = replica
        return replica

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        for replica in self.replicas:
            replica.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
