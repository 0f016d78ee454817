"""Engagement is state, not a journal scan: a dismissed card stays dismissed and metrics stay whole however far
the bounded journal has rolled over."""

from __future__ import annotations

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.settings import EmulatorSettings

from tests.support.inprocess_sdk import Sdk

CARD = {"kind": "content_card", "id": "news", "card": {"title": "News", "description": "d"}}


def test_a_dismissed_card_stays_dismissed_after_the_journal_rolled_over() -> None:
    emu = Emulator(EmulatorSettings(journal_cap=10))
    scope = emu.create_scope("ledger")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    emu.messaging.seed(scope, campaigns=[CARD])
    sdk.login("ada")
    assert [c["id"] for c in sdk.cards()["cards"]] == ["news"]
    sdk.send(sdk.event("cci", {"ids": ["news"]}), sdk.event("ccd", {"ids": ["news"]}))
    for i in range(25):  # far more than the journal keeps
        sdk.send(sdk.event("ce", {"n": f"filler-{i}", "p": {}}))
    assert emu.journal.stats()["dropped"] > 0 and not any("ccd" in e.event_codes for e in emu.journal.query())
    assert sdk.cards()["cards"] == []  # still dismissed
    assert emu.messaging.metrics(scope, "news")["totals"] == {"cci": 1, "ccd": 1}


def test_a_request_refused_by_a_fault_and_sent_again_counts_once() -> None:
    from braze_harness.emulator.faults import FaultSpec

    emu = Emulator()
    scope = emu.create_scope("ledger")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    emu.messaging.seed(scope, campaigns=[CARD])
    sdk.login("ada")
    emu.faults.add(scope, FaultSpec(endpoint="data", status=503, times=1))
    body = {"events": [sdk.event("cci", {"ids": ["news"]})]}
    refused = emu.handle("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": sdk.api_key}, _body(sdk, body))
    assert refused.status == 503
    sdk.post("data/", **body)  # the SDK's resend
    assert emu.messaging.metrics(scope, "news")["totals"] == {"cci": 1}


def _body(sdk: Sdk, fields: dict) -> bytes:
    import json
    import time

    return json.dumps(
        {"api_key": sdk.api_key, "device_id": sdk.device_id, "time": int(time.time()), "user_id": "ada", **fields}
    ).encode()
