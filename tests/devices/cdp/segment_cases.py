"""The shop through Segment in Chromium, run by test_segment.py in a pytest of its own (a subprocess): the plugin's
browser keeps Playwright's event loop running in its process, which the harness's own asyncio-based tests (the
proxy's) must not inherit. Not collected by the outer run (no test_ prefix)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from braze_harness.devices.cdp.segment.adapter import CAPABILITIES, SegmentBrazeAdapter, segment_app
from braze_harness.devices.cdp.segment.bundle import braze_web_sdk_version
from braze_harness.expect import ExpectationFailed
from braze_harness.protocol.push import campaign_of


@pytest.fixture
def shop(request: pytest.FixtureRequest, braze) -> SegmentBrazeAdapter:
    app = segment_app(request=request, braze=braze, api_key=braze.api_key)
    yield app
    app.close()


def test_the_shop_through_segment_reaches_braze_as_the_destination_maps_it(braze, shop) -> None:
    hosts: set[str] = set()
    shop.page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or ""))
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    shop.set_profile(first_name="Ada", email="ada@example.com", country="GB", home_city="London")
    shop.set_custom_attribute("tier", "gold")
    shop.log_event("song_played", {"genre": "jazz"})
    shop.purchase("sku-1", 9.99, "EUR", 2, {"size": "L"})
    shop.flush()

    mapped = braze.expect.cdp_mapping().within(10)
    kinds = [(m.call.kind, m.call.name) for m in mapped]
    assert kinds[:6] == [
        ("identify", user),
        ("identify", user),
        ("attribute", "firstName"),
        ("attribute", "email"),
        ("attribute", "address"),
        ("attribute", "context.location.country"),
    ]
    assert kinds[-2:] == [("event", "song_played"), ("purchase", "sku-1")]
    braze.expect.attributes(user=user, first_name="Ada", email="ada@example.com", country="GB", home_city="London").within(5)
    braze.expect.purchase("sku-1", price=9.99, currency="EUR", quantity=2, props={"size": "L"}, user=user).exactly(1).within(5)
    # one journal, both sides: Segment's own calls (answered in the browser context, never sent out) beside Braze's
    assert {e.source for e in braze.entries()} == {"segment", "emulator"}
    paths = {urlsplit(e.exchange.url).path for e in braze.entries() if e.source == "segment"}
    assert paths == {"/v1/i", "/v1/t"}
    assert all(e.good for e in braze.entries())
    # the page asked only loopback and the two hosts its context answers (Segment's API, Braze's CDN script)
    assert hosts == {"127.0.0.1", "api.segment.io", "js.appboycdn.com"}


def test_an_identify_mapping_without_first_name_is_caught(braze, request) -> None:
    # edited in Segment's UI: the Identify Calls mapping's first_name field cleared; `firstName` is reserved: dropped
    changes = {"Identify Calls": {"first_name": None}}
    shop = segment_app(request=request, braze=braze, api_key=braze.api_key, mapping_changes=changes)
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    shop.set_profile(first_name="Ada", email="ada@example.com")
    shop.flush()
    braze.expect.attributes(user=user, email="ada@example.com").within(5)

    with pytest.raises(ExpectationFailed) as failed:
        braze.expect.cdp_mapping().within(2)
    message = str(failed.value)
    assert "each segment call reached Braze as its Braze destination maps it (1 of 4 did not)" in message
    assert "analytics.identify(traits: firstName='Ada')" in message
    assert f"expected attributes ⊇ {{'first_name': 'Ada'}} for user {user!r}; nearest Braze received: attributes" in message
    assert "first_name: '<absent>' != 'Ada'" in message


def test_the_destination_loads_its_own_braze_web_sdk_and_declares_what_it_cannot_do(braze, shop) -> None:
    assert braze_web_sdk_version() == "4.10.2"  # its npm dependency @braze/web-sdk ^4.1.0, not the project's 6.x
    shop.launch()
    shop.flush()
    braze.expect.session_start().within(5)
    sent = [json.loads(e.exchange.body) for e in braze.entries() if e.source == "emulator" and e.exchange.body]
    assert {body.get("sdk_version") for body in sent} == {"4.10.2"}  # what Braze sees: the destination's Braze SDK
    assert CAPABILITIES["logout"].startswith("the destination forwards no reset()")
    assert CAPABILITIES["log_event"] is None and CAPABILITIES["purchase"] is None


def test_web_push_through_the_braze_sdk_the_destination_loads(braze, shop) -> None:
    """enable_push: `window.braze.requestPushPermission()` registers the service worker the site hosts at the
    destination's `serviceWorkerLocation` setting; the token reaches Braze from the destination's Braze SDK; a push
    reaches that worker (its click logs `pc`); unregisterPush() clears the token (Web SDK 4.10.2 sends the null token)."""
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    endpoint = shop.enable_push()
    braze.push.expect_token(user, device_id=shop.device_id, token=endpoint).within()
    worker = shop.page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.active.scriptURL)")
    assert worker == f"{shop.push.origin}/service-worker.js"

    [delivery] = braze.push.send(users=user, title="Drop", body="New colours", campaign_id="drop")["deliveries"]
    shown = shop.open_push(delivery)
    assert (shown["title"], shown["click_stored"]) == ("Drop", True)
    braze.expect.event("pc", data={"cid": campaign_of(delivery["payload"])}, user=user).within()

    shop.unregister_push()
    shop.flush()  # Web SDK 4.10.2 queues the null push token for the next flush
    braze.push.expect_token(user, device_id=shop.device_id, enabled=None, present=False).within()
    assert shop.push.endpoint() is None  # the browser's subscription went too
    assert braze.push.send(users=user, title="t", body="b")["deliveries"] == []
