"""`expect.cdp_mapping` on hand-made traffic: mParticle's calls read from its wire format, the Braze kit's mapping
(sanitizing, one purchase per product), and the near-miss report when Braze received something else."""

from __future__ import annotations

import json

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.expect.verdicts import VerdictLog
from braze_harness.protocol.cdp import BrazeKitMapping, CdpCall, braze_effect, mparticle_calls

EVENTS_URL = "https://jssdks.mparticle.com/v3/JS/us1-key/events"
T = 1796000000


def batch(*events: dict, customer: str | None = "ada") -> str:
    return json.dumps({"events": list(events), "user_identities": {"customer_id": customer} if customer else {}})


def custom(name: str, attrs: dict) -> dict:
    return {"event_type": "custom_event", "data": {"event_name": name, "custom_event_type": "other", "custom_attributes": attrs}}


PURCHASE = {
    "event_type": "commerce_event",
    "data": {
        "currency_code": "EUR",
        "product_action": {
            "action": "purchase",
            "transaction_id": "t1",
            "products": [
                {"id": "sku-1", "name": "Shirt", "price": 10, "quantity": 2, "custom_attributes": {"size": "L"}},
                {"id": "sku-2", "name": "Hat", "price": 5.5, "quantity": 1},
            ],
        },
    },
}


def braze_events(emu: Emulator, key: str, *events: dict, user: str | None = "ada") -> None:
    body = {
        "api_key": key,
        "device_id": "dev-1",
        "time": T,
        "events": [{"time": T, "session_id": "s1", "user_id": user, **e} for e in events],
    }
    assert emu.handle("POST", "http://127.0.0.1/api/v3/data/", {"X-Braze-Api-Key": key}, json.dumps(body)).status == 200


@pytest.fixture
def world() -> tuple[Emulator, str, Expect]:
    emu = Emulator()
    scope = emu.create_scope("cdp")
    key = emu.create_app(scope)["api_key"]
    return emu, key, Expect(JournalSource(emu.journal, scope, state=emu.state), default_timeout=0)


def mparticle(emu: Emulator, expect: Expect, url: str, body: str) -> None:
    entry = emu.observe(
        "POST", url, {"content-type": "text/plain"}, body, 202, None, source="mparticle", scope=expect.source.scope
    )
    assert entry.good and [p.severity for p in entry.problems] == ["info"]  # kept as text, not a Braze error


def test_the_calls_of_an_identity_login_and_a_batch() -> None:
    login = json.dumps({"known_identities": {"customerid": "ada"}})
    assert mparticle_calls("POST", "https://identity.mparticle.com/v1/login", login) == [CdpCall("identify", "ada")]
    calls = mparticle_calls("POST", EVENTS_URL, batch(custom("$played", {"genre": "$jazz"}), PURCHASE), seq=7)
    assert [(c.kind, c.name, c.seq, c.user) for c in calls] == [
        ("event", "$played", 7, "ada"),
        ("purchase", "sku-1", 7, "ada"),
        ("purchase", "sku-2", 7, "ada"),
    ]
    # the kit strips a leading `$`, names the purchase by its SKU and adds it as a property
    assert braze_effect(calls[0]).name == "played" and braze_effect(calls[0]).props == {"genre": "jazz"}
    shirt = braze_effect(calls[1])
    assert (shirt.name, shirt.data, shirt.props) == ("sku-1", {"p": 10, "c": "EUR", "q": 2}, {"size": "L", "Sku": "sku-1"})
    assert braze_effect(calls[1], BrazeKitMapping(forward_sku_as_product_name=False)).name == "Shirt"


def test_each_call_mapped_as_the_kit_does_passes(world) -> None:
    emu, key, expect = world
    mparticle(emu, expect, EVENTS_URL, batch(custom("song_played", {"genre": "jazz"}), PURCHASE))
    braze_events(
        emu,
        key,
        {"name": "ce", "data": {"n": "song_played", "p": {"genre": "jazz"}}},
        {"name": "p", "data": {"pid": "sku-1", "c": "EUR", "p": "10.00", "q": 2, "pr": {"size": "L", "Sku": "sku-1"}}},
        {"name": "p", "data": {"pid": "sku-2", "c": "EUR", "p": "5.50", "q": 1, "pr": {"Sku": "sku-2"}}},
    )
    assert [m.miss for m in expect.cdp_mapping().within(0)] == [None, None, None]


def test_a_wrong_mapping_names_the_call_and_what_braze_received(world) -> None:
    emu, key, expect = world
    mparticle(emu, expect, EVENTS_URL, batch(custom("song_played", {"genre": "jazz"}), PURCHASE))
    # a hand-rolled mapping instead of the kit's: event renamed, one purchase for the whole basket
    braze_events(
        emu,
        key,
        {"name": "ce", "data": {"n": "songPlayed", "p": {"genre": "jazz"}}},
        {"name": "p", "data": {"pid": "basket", "c": "EUR", "p": "25.50", "q": 1, "pr": {}}},
    )
    with pytest.raises(ExpectationFailed) as failed:
        expect.cdp_mapping().within(0)
    message = str(failed.value)
    assert "each mparticle call reached Braze as its Braze kit maps it (3 of 3 did not)" in message
    assert "logEvent('song_played', {'genre': 'jazz'}) (#1): expected custom event 'song_played'" in message
    assert "nearest Braze received: ce 'songPlayed'" in message and "name: 'songPlayed' != 'song_played'" in message
    assert "purchase of 'sku-1' x2 at 10 EUR (#1): expected purchase 'sku-1'" in message
    assert "name: 'basket' != 'sku-1'" in message


def test_no_cdp_call_at_all_is_a_failure_not_a_pass(world) -> None:
    _, _, expect = world
    with pytest.raises(ExpectationFailed, match="no mparticle call in this test's traffic: nothing to check"):
        expect.cdp_mapping("mparticle").within(0)
    with pytest.raises(ExpectationFailed, match="no mparticle or segment call in this test's traffic: nothing to check"):
        expect.cdp_mapping().within(0)
    with pytest.raises(ValueError, match="unknown CDP 'rudderstack'; known: mparticle, segment"):
        expect.cdp_mapping("rudderstack")


def test_the_verdict_carries_the_mapping_table_for_the_run_report(world) -> None:
    emu, key, expect = world
    expect.source.verdicts = log = VerdictLog()  # what the plugin gives each test's handle (--braze-report)
    mparticle(emu, expect, EVENTS_URL, batch(custom("song_played", {"genre": "jazz"}), custom("liked", {})))
    braze_events(
        emu, key, {"name": "ce", "data": {"n": "songPlayed", "p": {"genre": "jazz"}}}, {"name": "ce", "data": {"n": "liked"}}
    )
    with pytest.raises(ExpectationFailed):
        expect.cdp_mapping().within(0)

    [verdict] = log.all()
    assert not verdict.passed and verdict.what == "each CDP call reached Braze as its Braze integration maps it"
    assert verdict.table is not None and verdict.table["columns"] == ["", "CDP call", "Braze should receive", "Braze received"]
    wrong, right = verdict.table["rows"]
    assert wrong[:3] == [
        "✗",
        "logEvent('song_played', {'genre': 'jazz'}) (#1)",
        "custom event 'song_played' {'genre': 'jazz'} for user 'ada'",
    ]
    assert wrong[3].startswith("expected ") and "nearest Braze received: ce 'songPlayed'" in wrong[3]
    assert right == ["✓", "logEvent('liked', {}) (#1)", "custom event 'liked' for user 'ada'", "as mapped"]
