"""`braze-harness proxy` as a user runs it: the banner (proxy, emulator, CA and how to trust it), HTTPS
to a Braze host answered by the emulator it started, a clean stop on SIGTERM/SIGINT (CA deleted), and
one-line errors for a busy port, a bad mode, an unreachable emulator."""

from __future__ import annotations

import re
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO

BIN = Path(sys.executable).parent / "braze-harness"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60)


class RunningProxy:
    """`braze-harness proxy` in a subprocess; constructed once its banner is printed (it is listening then)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(BIN), "proxy", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        for line in self.proc.stdout:
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Ctrl-C stops it."):
                break
        else:
            raise AssertionError(f"no banner: {self.proc.communicate(timeout=10)}")
        text = "\n".join(self.banner)
        self.url = re.search(r" on (http://127\.0\.0\.1:\d+):", text).group(1)  # type: ignore[union-attr]
        self.emulator = re.search(r"control API /_emulator/\.\.\.\): (\S+)", text).group(1)  # type: ignore[union-attr]
        self.ca = Path(re.search(r"CA certificate: (\S+)", text).group(1))  # type: ignore[union-attr]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_proxy_command_emulates_braze_over_https_and_stops_cleanly(sig: int) -> None:
    proxy = RunningProxy("--mode", "emulate")
    try:
        text = "\n".join(proxy.banner)
        assert "--ignore-certificate-errors-spki-list=" in text and 'certutil -d sql:$HOME/.pki/nssdb -A -t "C,,"' in text
        assert "docs/proxy-and-har.md#trusting-the-proxys-ca" in text and "this run only, deleted on exit" in text
        assert proxy.ca.is_file()
        body = {"api_key": "k-cli", "device_id": "dev-cli", "time": 1795379909, "events": []}
        with httpx.Client(proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca), trust_env=False) as client:
            resp = client.post("https://sdk.fra-02.braze.eu/api/v3/data/", json=body, headers={"X-Braze-Api-Key": "k-cli"})
            assert resp.status_code == 200 and "config" in resp.json()
            with pytest.raises(httpx.ProxyError, match="403"):
                client.get("https://www.example.com/")
        entries = httpx.get(f"{proxy.emulator}/_emulator/requests", trust_env=False).json()["entries"]
        assert [(e["source"], e["request"]["url"], e["device_id"]) for e in entries] == [
            ("proxy", "https://sdk.fra-02.braze.eu/api/v3/data/", "dev-cli")
        ]
    finally:
        code, out, err = proxy.stop(sig)
    assert code == 0, err
    assert out.strip().endswith("stopped (1 emulated, 1 refused)")
    assert not proxy.ca.parent.exists()  # the run's CA is gone


def test_busy_port_bad_mode_and_unreachable_emulator_are_one_line_errors() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = cli("proxy", "--port", str(port))
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.strip()
        == f"braze-harness: error: cannot listen on 127.0.0.1:{port}: Address already in use (another proxy running? try --port)"
    )

    done = cli("proxy", "--mode", "record")
    assert done.returncode == 2 and done.stderr.strip() == "braze-harness: error: --mode must be emulate or observe, not 'record'"

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    done = cli("proxy", "--port", "0", "--emulator-url", dead)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"braze-harness: error: cannot reach the Braze emulator at {dead}")

    done = cli("proxy", "--port", "0", "--confdir", str(REPO / "ca"))
    assert done.returncode == 2 and "inside the repository" in done.stderr
