"""`braze-harness` as a user runs it: the emulator in the foreground (health, SDK data, stopping on
SIGINT/SIGTERM), the loopback guard, and `journal show|export` on a journal written with --journal-db.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent / "braze-harness"
COMMAND = [str(BIN)] if BIN.exists() else [shutil.which("braze-harness") or "braze-harness"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=timeout)


class Running:
    """`braze-harness emulator` in a subprocess, up and answering once constructed."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*COMMAND, "emulator", "--port", str(self.port), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        # connection retries (with backoff) cover the start-up; no sleeping here
        self.http = httpx.Client(base_url=self.url, trust_env=False, timeout=5, transport=httpx.HTTPTransport(retries=6))
        try:
            self.health = self.http.get("/_emulator/health").json()
        except httpx.HTTPError:
            self.stop(signal.SIGKILL)
            raise

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out, err


@pytest.fixture
def emulator() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for running in started:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.communicate(timeout=15)


def data(api_key: str, device_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    return {"api_key": api_key, "device_id": device_id, "time": 1795379958, "events": list(events)}


def ce(name: str, user: str) -> dict[str, Any]:
    return {
        "name": "ce",
        "time": 1795379958.5,
        "data": {"n": name, "p": {}},
        "session_id": "9e8d7c6b-0000-4000-8000-000000000001",
        "user_id": user,
    }


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except OSError:
        return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_emulator_serves_sdk_data_and_stops_on_a_signal(emulator: list[Running], sig: signal.Signals, tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    server = Running("--journal-db", str(db))
    emulator.append(server)
    assert server.health["status"] == "ok"

    answer = server.http.post(
        "/api/v3/data/",
        json=data("cli-key", "cli-device", ce("from_cli", "cli-user")) | {"respond_with": {"config": {"config_time": 0}}},
    )
    assert answer.status_code == 200
    assert "config" in answer.json()
    [profile] = server.http.get("/_emulator/profiles", params={"external_id": "cli-user"}).json()["profiles"]
    assert profile["custom_events"] == {"from_cli": 1}

    code, _, err = server.stop(sig)

    assert code in ((130, 0) if sig == signal.SIGINT else (0, -signal.SIGTERM, 128 + signal.SIGTERM))
    assert "Traceback" not in err
    assert refused(server.port), "the port is free again"
    saved = cli("journal", "show", str(db))
    assert saved.returncode == 0 and "ce 'from_cli'" in saved.stdout, "the journal survives the way the emulator was stopped"


def test_non_loopback_host_is_refused_in_one_line() -> None:
    result = cli("emulator", "--host", "10.0.0.1", "--port", str(free_port()), timeout=30)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("braze-harness: error: refusing to listen on 10.0.0.1")
    assert "--allow-remote" in lines[0]


def test_a_refused_host_is_not_announced_as_running() -> None:
    result = cli("emulator", "--host", "10.0.0.1", "--port", str(free_port()), timeout=30)
    assert result.returncode == 2
    assert "Braze emulator on" not in result.stdout


def test_journal_db_round_trips_through_show_and_export(emulator: list[Running], tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    server = Running("--journal-db", str(db))
    emulator.append(server)
    server.http.post("/api/v3/data/", json=data("jr-key", "jr-dev-1", ce("first", "jr-ada")))
    server.http.post("/api/v3/data/", json=data("jr-key", "jr-dev-2", ce("second", "jr-bob")))
    server.http.post("/api/v3/data/", content=b"{broken")
    live = server.http.get("/_emulator/requests").json()["entries"]
    assert len(live) == 3
    code, _, _ = server.stop(signal.SIGINT)
    assert code in (0, 130)

    shown = cli("journal", "show", str(db))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == [f"#{e['seq']}" for e in live]
    assert "ce 'first' {} (user=jr-ada)" in lines[0]
    assert "ce 'second' {} (user=jr-bob)" in lines[1]
    assert "BAD[" in lines[2] and "malformed JSON" in lines[2]
    assert shown.stderr.strip() == "3 entries"

    out = tmp_path / "x.jsonl"
    exported = cli("journal", "export", str(db), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"exported 3 entries to {out}" in exported.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == live, "the saved journal is the live journal"

    filtered = cli("journal", "show", str(db), "--device-id", "jr-dev-2")
    assert filtered.returncode == 0
    assert [line.split()[0] for line in filtered.stdout.strip().splitlines()] == [f"#{live[1]['seq']}"]
    by_user = cli("journal", "export", str(db), "--user-id", "jr-ada")
    assert [json.loads(line)["seq"] for line in by_user.stdout.splitlines()] == [live[0]["seq"]]


def test_journal_show_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = cli("journal", "show", str(tmp_path / "missing.db"))

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"braze-harness: error: no journal database at {tmp_path / 'missing.db'}")
    assert "Traceback" not in result.stderr


def test_a_busy_port_is_one_line_before_any_banner() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = cli("emulator", "--port", str(busy.getsockname()[1]), timeout=30)
    assert result.returncode == 2
    assert "Braze emulator on" not in result.stdout
    assert result.stderr.strip().startswith("braze-harness: error: cannot listen on 127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1
