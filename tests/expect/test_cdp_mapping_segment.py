"""`expect.cdp_mapping` on hand-made Segment traffic: calls read from Segment's tracking API format (`/v1/i`, `/v1/t`,
`/v1/batch`), the Braze destination's default mappings (traits to standard attributes, reserved traits dropped,
`Order Completed` to one purchase per product), and the near-miss report when Braze received something else."""

from __future__ import annotations

import json

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.protocol.cdp import CdpCall, braze_effect, segment_calls

API = "https://api.segment.io/v1"
T = 1796000000
ORDER = {
    "order_id": "o1",
    "currency": "EUR",  # order level: the destination omits it and reads each product's currency
    "coupon": "SPRING",
    "products": [
        {"product_id": "sku-1", "price": 10, "quantity": 2, "currency": "EUR"},
        {"product_id": "sku-2", "price": 5.5},
    ],
}


def identify(user: str | None, traits: dict, **context: object) -> str:
    return json.dumps({"type": "identify", "userId": user, "anonymousId": "anon-1", "traits": traits, "context": context})


def track(event: str, properties: dict, user: str | None = "ada") -> str:
    return json.dumps({"type": "track", "event": event, "userId": user, "anonymousId": "anon-1", "properties": properties})


@pytest.fixture
def world() -> tuple[Emulator, str, Expect]:
    emu = Emulator()
    scope = emu.create_scope("cdp")
    key = emu.create_app(scope)["api_key"]
    return emu, key, Expect(JournalSource(emu.journal, scope, state=emu.state), default_timeout=0)


def segment(emu: Emulator, expect: Expect, path: str, body: str) -> None:
    headers = {"content-type": "text/plain"}
    entry = emu.observe(
        "POST", f"{API}/{path}", headers, body, 200, {"success": True}, source="segment", scope=expect.source.scope
    )
    assert entry.good and [p.severity for p in entry.problems] == ["info"]  # kept as text, not a Braze error


def braze(emu: Emulator, key: str, *, events: list[dict] = (), attributes: list[dict] = (), user: str = "ada") -> None:
    body = {
        "api_key": key,
        "device_id": "dev-1",
        "time": T,
        "events": [{"time": T, "session_id": "s1", "user_id": user, **e} for e in events],
        "attributes": [{"user_id": user, **a} for a in attributes],
    }
    assert emu.handle("POST", "http://127.0.0.1/api/v3/data/", {"X-Braze-Api-Key": key}, json.dumps(body)).status == 200


def test_the_calls_of_an_identify_a_track_and_an_order() -> None:
    calls = segment_calls("POST", f"{API}/i", identify("ada", {"firstName": "Ada", "tier": "gold"}, location={"country": "GB"}))
    assert [(c.kind, c.name, c.value, c.user, c.cdp) for c in calls] == [
        ("identify", "ada", None, None, "segment"),
        ("attribute", "firstName", "Ada", "ada", "segment"),
        ("attribute", "tier", "gold", "ada", "segment"),
        ("attribute", "context.location.country", "GB", "ada", "segment"),
    ]
    assert [braze_effect(c).fields for c in calls[1:]] == [{"first_name": "Ada"}, {"custom": {"tier": "gold"}}, {"country": "GB"}]
    batch = json.dumps({"batch": [json.loads(track("played", {"genre": "jazz"})), json.loads(track("Order Completed", ORDER))]})
    event, shirt, hat = segment_calls("POST", f"{API}/batch", batch, seq=4)
    assert (event.kind, event.name, event.properties, event.seq) == ("event", "played", {"genre": "jazz"}, 4)
    assert event.describe() == "analytics.track('played', {'genre': 'jazz'})"
    # one purchase per product, the product's currency (USD when it has none), the order's properties without `currency`
    shirt_effect, hat_effect = braze_effect(shirt), braze_effect(hat)
    assert (shirt_effect.name, shirt_effect.data) == ("sku-1", {"p": 10, "c": "EUR", "q": 2})
    assert (hat_effect.name, hat_effect.data) == ("sku-2", {"p": 5.5, "c": "USD", "q": 1})
    assert shirt_effect.props == {"order_id": "o1", "coupon": "SPRING", "products": ORDER["products"]}
    # reserved field names are dropped; gender through the destination's toBrazeGender
    assert braze_effect(CdpCall("attribute", "first_name", "Ada", cdp="segment")).kind == "none"
    assert braze_effect(CdpCall("attribute", "gender", "Female", cdp="segment")).fields == {"gender": "f"}
    assert segment_calls("POST", f"{API}/p", json.dumps({"type": "page"})) == []


def test_each_call_mapped_as_the_destination_does_passes(world) -> None:
    emu, key, expect = world
    segment(emu, expect, "i", identify("ada", {"firstName": "Ada", "first_name": "dropped", "tier": "gold"}))
    segment(emu, expect, "t", track("Order Completed", {**ORDER, "products": ORDER["products"][:1]}))
    braze(
        emu,
        key,
        attributes=[{"first_name": "Ada", "custom": {"tier": "gold"}}],
        events=[
            {
                "name": "p",
                "data": {
                    "pid": "sku-1",
                    "c": "EUR",
                    "p": "10.00",
                    "q": 2,
                    "pr": {"order_id": "o1", "coupon": "SPRING", "products": ORDER["products"][:1]},
                },
            }
        ],
    )
    mapped = expect.cdp_mapping().within(0)  # the one CDP in this traffic: segment
    assert [(m.call.kind, m.effect.kind, m.miss) for m in mapped] == [
        ("identify", "user", None),
        ("attribute", "attributes", None),
        ("attribute", "none", None),
        ("attribute", "attributes", None),
        ("purchase", "p", None),
    ]


def test_a_trait_sent_as_a_custom_attribute_instead_of_a_standard_one_is_caught(world) -> None:
    emu, key, expect = world
    segment(emu, expect, "i", identify("ada", {"firstName": "Ada", "email": "ada@example.com"}))
    segment(emu, expect, "t", track("Order Completed", {"currency": "EUR", "products": [{"product_id": "sku-1", "price": 10}]}))
    # a hand-rolled mapping instead of the destination's: camelCase traits as custom attributes, the order's currency
    braze(
        emu,
        key,
        attributes=[{"email": "ada@example.com", "custom": {"firstName": "Ada"}}],
        events=[{"name": "p", "data": {"pid": "sku-1", "c": "EUR", "p": "10.00", "q": 1, "pr": {}}}],
    )
    with pytest.raises(ExpectationFailed) as failed:
        expect.cdp_mapping("segment").within(0)
    message = str(failed.value)
    assert "each segment call reached Braze as its Braze destination maps it (2 of 4 did not)" in message
    assert "analytics.identify(traits: firstName='Ada') (#1): expected attributes" in message
    assert "first_name" in message and "nearest Braze received: attributes {" in message and "'firstName': 'Ada'" in message
    order = "analytics.track('Order Completed', products: product_id='sku-1', price=10, quantity=None, currency=None) (#2)"
    assert f"{order}: expected purchase 'sku-1'" in message
    assert "data.c: 'EUR' != 'USD'" in message  # no product currency: the destination logs USD, whatever the order says


def test_traffic_through_two_cdps_must_name_one(world) -> None:
    emu, _, expect = world
    segment(emu, expect, "t", track("played", {}))
    login = json.dumps({"known_identities": {"customerid": "ada"}})
    emu.observe(
        "POST", "https://identity.mparticle.com/v1/login", {}, login, 200, {}, source="mparticle", scope=expect.source.scope
    )
    with pytest.raises(ValueError, match=r"went through mparticle and segment: name one, cdp_mapping\('mparticle'\)"):
        expect.cdp_mapping().check()
    assert [c.cdp for c in expect.cdp_mapping("segment").calls()] == ["segment"]
