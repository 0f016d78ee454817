"""Two `braze-harness emulator --store postgresql://…` processes on one database, as a fleet's replicas: what the SDK
sent to one is a profile on the other, a scope made on one owns traffic the other receives, and a wait on one
replica's control API is woken by the other replica's traffic."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import pytest

from tests.test_cli import Running, ce, cli, data


@pytest.fixture
def fleet(postgres_server):
    run = f"fleet-test-{secrets.token_hex(3)}"
    replicas = [Running("--store", postgres_server.dsn, "--store-run", run, "--quiet") for _ in range(2)]
    yield replicas
    for replica in replicas:
        replica.stop()


def sdk_post(replica: Running, body: dict[str, Any]) -> dict[str, Any]:
    answer = replica.http.post("/api/v3/data/", json=body, headers={"X-Braze-Api-Key": body["api_key"]})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_what_one_replica_received_is_a_profile_on_the_other(fleet):
    a, b = fleet
    sdk_post(a, data("shared-key", "device-1", ce("played", "ada")))
    (profile,) = b.http.get("/_emulator/profiles", params={"external_id": "ada"}).json()["profiles"]
    assert profile["custom_events"] == {"played": 1}
    sdk_post(b, data("shared-key", "device-1", {**ce("played", "ada"), "time": 1795379959.5}))
    (profile,) = a.http.get("/_emulator/profiles", params={"external_id": "ada"}).json()["profiles"]
    assert profile["custom_events"] == {"played": 2}
    assert [d["device_id"] for d in profile["devices"]] == ["device-1"]


def test_a_scope_made_on_one_replica_owns_what_the_other_receives(fleet):
    a, b = fleet
    scope = a.http.post("/_emulator/scopes", json={"name": "checkout"}).json()["scope"]
    app = a.http.post(f"/_emulator/scopes/{scope}/apps", json={"workspace": "shop"}).json()
    sdk_post(b, data(app["api_key"], "device-2", ce("bought", "bo")))
    entries = a.http.get("/_emulator/requests", params={"scope": scope}).json()["entries"]
    assert [e["device_id"] for e in entries] == ["device-2"]
    (profile,) = a.http.get("/_emulator/profiles", params={"scope": scope}).json()["profiles"]
    assert (profile["external_id"], profile["workspace"]) == ("bo", f"{scope}/shop")


def test_a_wait_on_one_replica_is_woken_by_the_others_traffic(fleet):
    a, b = fleet
    after = b.http.get("/_emulator/requests/wait", params={"timeout": 0}).json()["latest_seq"]
    answer: dict[str, Any] = {}

    def wait() -> None:
        answer.update(b.http.get("/_emulator/requests/wait", params={"after_seq": after, "timeout": 20}, timeout=30).json())

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)  # the wait is parked on b before a receives anything
    started = time.monotonic()
    sdk_post(a, data("shared-key", "device-3", ce("woke", "cy")))
    waiter.join(30)
    assert answer["changed"] is True and answer["latest_seq"] > after
    assert time.monotonic() - started < 10, "woken by the notification, not the timeout"


def test_the_start_up_names_what_is_not_shared(fleet):
    a, _ = fleet
    code, out, _ = a.stop()
    assert code in (0, 130)  # SIGINT
    assert "still per replica, not shared" in out and "faults" in out and "messaging seeds" in out
    assert "run 'fleet-test-" in out


def test_an_unreachable_store_is_one_line():
    done = cli("emulator", "--port", "0", "--store", "postgresql://braze@127.0.0.1:1/braze", timeout=60)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("braze-harness: error: cannot reach the PostgreSQL store postgresql://braze@127.0.0.1:1/braze")
