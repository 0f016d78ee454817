"""Fixed api keys (a key written into a customer's site) over real HTTP: registered once in a shared workspace
(`POST /_emulator/keys`, idempotent as every xdist worker registers it), tests kept apart by the devices they claim,
and `GET /_emulator/unowned`: the SDK traffic that arrived but belongs to no test."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from braze_harness.client import EmulatorClient, RemoteSource
from braze_harness.expect import Expect, ExpectationFailed
from braze_harness.expect.report import add_silence_hint, remove_silence_hint

DATA = "/api/v3/data/"
SESSION = "5b6f0c1e-0000-4000-8000-00000000000a"


@pytest.fixture(scope="module")
def http(server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def control(server: Any) -> Iterator[EmulatorClient]:
    client = EmulatorClient(server.url)
    yield client
    client.close()


def send(http: httpx.Client, api_key: str, device_id: str, name: str = "bought") -> None:
    body = {
        "api_key": api_key,
        "device_id": device_id,
        "time": 1795379958,
        "events": [{"name": "ce", "time": 1795379958.5, "session_id": SESSION, "data": {"n": name, "p": {}}}],
    }
    resp = http.post(DATA, json=body, headers={"X-Braze-Api-Key": api_key})
    assert resp.status_code == 200, resp.text


def fresh_key() -> str:
    return str(uuid.uuid4())  # looks like a production key: nothing in it says "test"


def test_a_fixed_key_is_registered_once_in_a_shared_workspace_by_any_number_of_workers(
    http: httpx.Client, control: EmulatorClient
) -> None:
    key = fresh_key()
    with ThreadPoolExecutor(4) as pool:  # xdist workers sharing the controller's emulator, all at session start
        answers = list(pool.map(lambda _: http.post("/_emulator/keys", json={"api_key": key, "workspace": "shop"}), range(8)))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["workspace"] for a in answers} == {"shop"}
    listed = [k for k in control._request("GET", "/_emulator/keys")["keys"] if k["api_key"] == key]
    assert listed == [{"api_key": key, "workspace": "shop", "platform": "web", "auto_created": False}]
    # the same key in another shared workspace is a mistake, said in one line
    other = http.post("/_emulator/keys", json={"api_key": key, "workspace": "prod"})
    assert other.status_code == 409 and "already belongs to workspace 'shop'" in other.json()["message"]


def test_a_key_a_test_owns_cannot_become_shared_and_a_workspace_name_has_no_slash(
    http: httpx.Client, control: EmulatorClient
) -> None:
    scope = control.create_scope("owner")
    key = control.create_app(scope)["api_key"]
    refused = http.post("/_emulator/keys", json={"api_key": key})
    assert refused.status_code == 409
    bad = http.post("/_emulator/keys", json={"api_key": fresh_key(), "workspace": f"{scope}/test"})
    assert bad.status_code == 400 and bad.json()["field"] == "workspace"


def test_tests_sharing_a_fixed_key_are_kept_apart_by_the_devices_they_claim(http: httpx.Client, control: EmulatorClient) -> None:
    key = fresh_key()
    control.register_key(key)
    a, b = control.create_scope("a"), control.create_scope("b")
    dev_a, dev_b = str(uuid.uuid4()), str(uuid.uuid4())
    control.claim_devices(a, [dev_a])
    control.claim_devices(b, [dev_b])
    send(http, key, dev_a, "bought")
    send(http, key, dev_b, "viewed")
    send(http, key, dev_b, "viewed")
    Expect(RemoteSource(control, a), default_timeout=2).custom_event("bought").exactly(1).within(settle=0.2)
    Expect(RemoteSource(control, b), default_timeout=2).custom_event("viewed").exactly(2).within(settle=0.2)
    Expect(RemoteSource(control, a), default_timeout=0).custom_event("viewed").never(0.1)
    assert control.unowned(api_key=key)["matched"] == 0  # every request had its test


def test_unowned_lists_traffic_that_belongs_to_no_test(http: httpx.Client, control: EmulatorClient) -> None:
    since = time.time() - 1
    key, owned_dev, stray_dev = fresh_key(), str(uuid.uuid4()), str(uuid.uuid4())
    scope = control.create_scope("owned")
    control.claim_devices(scope, [owned_dev])
    send(http, key, owned_dev)  # owned by its device's scope
    send(http, key, stray_dev)  # nobody's: answered all the same
    send(http, key, stray_dev)
    got = control.unowned(since=since, api_key=key)
    assert got["matched"] == 2 and got["by_api_key"] == {key: 2}
    first = got["requests"][0]
    assert (first["path"], first["api_key"], first["device_id"], first["source"]) == (DATA, key, stray_dev, "emulator")
    assert since <= first["at"] <= time.time() + 1
    assert control.unowned(since=time.time() + 60, api_key=key)["matched"] == 0
    assert http.get("/_emulator/unowned", params={"limit": 0}).status_code == 400


def test_a_nothing_seen_failure_names_the_unowned_traffic(http: httpx.Client, control: EmulatorClient) -> None:
    scope = control.create_scope("silent")
    key = fresh_key()
    send(http, key, str(uuid.uuid4()))  # the app's traffic went out with a key no test owns
    add_silence_hint(scope, lambda: [f"{control.unowned(api_key=key)['matched']} request(s) with api key {key} are no test's"])
    try:
        with pytest.raises(ExpectationFailed) as failed:
            Expect(RemoteSource(control, scope), default_timeout=0.2).custom_event("bought").within()
    finally:
        remove_silence_hint(scope)
    assert "No traffic at all in this scope" in str(failed.value)
    assert f"1 request(s) with api key {key} are no test's" in str(failed.value)
