"""Reading profiles and canvas progress changes nothing: canvases move on when traffic arrives, when the test
advances its clock, and when a delay ends — never because someone looked."""

from __future__ import annotations

import time

import httpx
from braze_harness.emulator.http.server import EmulatorServer

from tests.support.inprocess_sdk import Sdk

NUDGE = {"id": "nudge", "type": "message", "channel": "push", "push": {"web_push": {"title": "Back?", "alert": "Tips"}}}


def canvas(delay_s: float) -> dict:
    return {
        "id": "onb",
        "entry": {"type": "custom_event", "event": "signed_up"},
        "steps": [{"id": "wait", "type": "delay", "seconds": delay_s}, NUDGE],
    }


def outboxes(client: httpx.Client, scope: str, device_ids: list[str]) -> dict[str, list]:
    return {d: client.get(f"/_emulator/scopes/{scope}/push/outbox/{d}").json()["deliveries"] for d in device_ids}


def test_two_profile_reads_leave_every_push_outbox_unchanged() -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.url, trust_env=False) as client:
        emu = server.emulator
        scope = emu.create_scope("pure-reads")
        sdk = Sdk(emu, emu.create_app(scope)["api_key"])
        emu.messaging.seed(scope, canvases=[canvas(3600)])
        sdk.login("ada", attributes=[{"user_id": "ada", "push_token": "https://push.example.test/sub/1"}])
        sdk.send(sdk.event("ce", {"n": "signed_up", "p": {}}))
        assert client.post(f"/_emulator/scopes/{scope}/clock", json={"advance": 3600}).status_code == 200
        before = outboxes(client, scope, [sdk.device_id])
        assert len(before[sdk.device_id]) == 1  # the hour passed on the scope's clock: the push went then, not on a read
        for _ in range(2):
            assert client.get("/_emulator/profiles", params={"scope": scope}).status_code == 200
            assert client.get(f"/_emulator/scopes/{scope}/canvases/onb/progress").status_code == 200
        assert outboxes(client, scope, [sdk.device_id]) == before


def test_a_delay_ends_in_real_time_without_anyone_reading() -> None:
    with EmulatorServer() as server:
        emu = server.emulator
        scope = emu.create_scope("timer")
        sdk = Sdk(emu, emu.create_app(scope)["api_key"])
        emu.messaging.seed(scope, canvases=[canvas(0.3)])
        sdk.login("bo", attributes=[{"user_id": "bo", "push_token": "https://push.example.test/sub/2"}])
        sdk.send(sdk.event("ce", {"n": "signed_up", "p": {}}))
        assert emu.push.outbox(scope, sdk.device_id) == []
        deadline = time.monotonic() + 5
        while not emu.push.outbox(scope, sdk.device_id) and time.monotonic() < deadline:
            time.sleep(0.05)  # only the outbox is looked at: it is no profile or progress read
        [delivery] = emu.push.outbox(scope, sdk.device_id)
        assert delivery.campaign_id == "onb.nudge"


def test_reading_a_scopes_messaging_keeps_nothing_for_it() -> None:
    """The dashboard reads every messaging route of the scope it is given, typed or not: none of them may leave an
    entry behind for a scope nothing was seeded in."""
    with EmulatorServer() as server, httpx.Client(base_url=server.url, trust_env=False) as client:
        base = "/_emulator/scopes/never-seeded"
        assert client.get(f"{base}/messaging").json()["campaigns"] == []
        assert client.get(f"{base}/metrics").json() == {"campaigns": {}, "canvases": {}, "unattributed": {}}
        assert client.get(f"{base}/messaging/why").json() == {"decisions": [], "verdicts": {}}
        assert client.get(f"{base}/segments/pros/members").status_code == 404
        assert client.get(f"{base}/canvases/onb/progress").status_code == 404
        assert server.emulator.messaging.store.get("never-seeded") is None
