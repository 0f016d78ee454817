"""See .ci/fleet-suites: the QA suites through two replicas on PostgreSQL behind HAProxy."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.fleet import Fleet  # noqa: E402
from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: E402


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(pytest_args: list[str]) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("fleet-suites: error: PostgreSQL's binaries are not installed (./qa setup installs postgresql-15)", file=sys.stderr)
        return 2
    started = time.monotonic()
    postgres = PostgresServer.start(bin_dir)
    try:
        with Fleet.start(postgres.dsn, replicas=2) as fleet:
            ports = ", ".join(str(r.port) for r in fleet.replicas)
            print(f"fleet-suites: replicas on ports {ports} (run {fleet.run}), HAProxy at {fleet.url}", flush=True)
            command = [sys.executable, "-m", "pytest", "suites", "-q", "-n", "2", "--braze-emulator-url", fleet.url, *pytest_args]
            code = subprocess.run(command, cwd=REPO).returncode
            for replica in fleet.replicas:
                if replica.proc.poll() is not None:
                    print(f"fleet-suites: replica on port {replica.port} died: {replica.tail()}", file=sys.stderr)
                    code = code or 1
    except KeyboardInterrupt:
        return 130
    finally:
        postgres.stop()
    print(f"fleet-suites: {time.monotonic() - started:.0f} s in all", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
