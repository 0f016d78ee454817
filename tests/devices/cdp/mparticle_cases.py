"""The shop through mParticle in Chromium, run by test_mparticle.py in a pytest of its own (a subprocess): the
plugin's browser keeps Playwright's event loop running in its process, which the harness's own asyncio-based tests
(the proxy's) must not inherit. Not collected by the outer run (no test_ prefix)."""

from __future__ import annotations

import json

import pytest
from braze_harness.devices.cdp.mparticle.adapter import MParticleBrazeAdapter, mparticle_app
from braze_harness.expect import ExpectationFailed
from braze_harness.protocol.push import campaign_of


@pytest.fixture
def shop(request: pytest.FixtureRequest, braze) -> MParticleBrazeAdapter:
    app = mparticle_app(request=request, braze=braze, api_key=braze.api_key)
    yield app
    app.close()


def test_the_shop_through_mparticle_reaches_braze_as_the_kit_maps_it(braze, shop) -> None:
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    shop.set_profile(first_name="Ada", email="ada@example.com")
    shop.set_custom_attribute("$tier", "gold")  # the kit strips a leading `$`
    shop.log_event("song_played", {"genre": "jazz"})
    shop.purchase("sku-1", 9.99, "USD", 2, {"size": "L"})
    shop.flush()

    mapped = braze.expect.cdp_mapping().within(10)
    assert [m.call.kind for m in mapped] == ["identify", "attribute", "attribute", "attribute", "event", "purchase"]
    assert mapped[3].effect.fields == {"custom": {"tier": "gold"}}
    # one journal, both sides: mParticle's own calls (answered in the browser context, never sent out) beside Braze's
    sources = {e.source for e in braze.entries()}
    assert sources == {"mparticle", "emulator"}
    paths = {e.exchange.url.split("mparticle.com", 1)[1] for e in braze.entries() if e.source == "mparticle"}
    assert {"/v1/identify", "/v1/login", "/v3/JS/us1-qa-harness/events"} <= paths
    assert all(e.good for e in braze.entries())
    braze.expect.purchase("sku-1", price=9.99, currency="USD", quantity=2, props={"size": "L"}, user=user).exactly(1).within(5)


def test_a_kit_identifying_users_by_another_identity_is_caught(braze, request) -> None:
    # a real misconfiguration: the kit told to use the email identity for changeUser, the app logging in by customer id
    shop = mparticle_app(request=request, braze=braze, api_key=braze.api_key, kit_settings={"userIdentificationType": "Email"})
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    shop.log_event("song_played", {"genre": "jazz"})
    shop.flush()
    braze.expect.custom_event("song_played").within(5)  # Braze got the event, from an anonymous user

    with pytest.raises(ExpectationFailed) as failed:
        braze.expect.cdp_mapping().within(2)
    message = str(failed.value)
    assert "each mparticle call reached Braze as its Braze kit maps it (2 of 2 did not)" in message
    assert f"mParticle.Identity.login(customerid={user!r})" in message
    assert f"expected changeUser({user!r}); Braze saw users none (anonymous)" in message
    assert "logEvent('song_played', {'genre': 'jazz'})" in message
    assert "nearest Braze received: ce 'song_played'" in message and f"user: None != {user!r}" in message


def _token_senders(braze) -> list[dict]:
    """The Braze requests that carried a push token: which SDK sent it."""
    bodies = [json.loads(e.exchange.body) for e in braze.entries() if e.source == "emulator" and e.exchange.body]
    return [b for b in bodies if any("push_token" in a for a in b.get("attributes", []))]


def test_web_push_through_the_braze_sdk_the_kit_loads(braze, shop) -> None:
    """enable_push: `window.braze.requestPushPermission()` registers the service worker the site hosts at the kit's
    `serviceWorkerLocation`; the token reaches Braze from the kit's own SDK; a push sent to it reaches that worker,
    whose click handler logs `pc`."""
    user = braze.uid("ada")
    shop.launch()
    shop.login(user)
    endpoint = shop.enable_push()
    profile = braze.push.expect_token(user, device_id=shop.device_id, token=endpoint).within()
    assert [t["platform"] for t in profile["push_tokens"]] == ["web"]
    assert {(b["sdk_version"], b["sdk_flavor"]) for b in _token_senders(braze)} == {("4.9.0", "mparticle")}
    worker = shop.page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.active.scriptURL)")
    assert worker == f"{shop.push.origin}/service-worker.js"

    [delivery] = braze.push.send(users=user, title="Back in stock", body="Your sneakers", campaign_id="restock")["deliveries"]
    shown = shop.open_push()  # the newest waiting push for the device the kit's SDK reports
    assert (shown["title"], shown["body"], shown["click_stored"]) == ("Back in stock", "Your sneakers", True)
    braze.expect.event("pc", data={"cid": campaign_of(delivery["payload"])}, user=user).within()


def test_the_kits_soft_push_prompt_registers_for_push(braze, request) -> None:
    """mParticle's own web push path (its docs: soft push prompts): the kit logs `softPushCustomEventName` as each
    session opens, the in-app message that event triggers (extra `msg-id: push-primer`) is shown by the kit, and its
    first button is the kit's `braze.requestPushPermission()`: the browser's permission, then the token."""
    braze.messaging.in_app(
        "push_primer",
        trigger={"type": "custom_event", "event": "prime-for-push"},
        message={
            "type": "MODAL",
            "header": "Stay in the loop",
            "message": "Restock alerts, straight to your browser",
            "buttons": [{"id": 0, "text": "Allow"}, {"id": 1, "text": "Not now"}],
            "extras": {"msg-id": "push-primer"},
        },
    )
    soft_push = {"softPushCustomEventName": "prime-for-push"}  # the kit's setting: the event logged as sessions open
    shop = mparticle_app(request=request, braze=braze, api_key=braze.api_key, kit_settings=soft_push)
    shop.launch()
    assert shop.screen.wait_iam(10).header == "Stay in the loop"
    assert shop.push.endpoint() is None  # nothing asked of the browser before the user's click
    shop.screen.click_iam_button(0)
    user = braze.uid("ada")
    shop.login(user)  # the token follows the device to the user who logs in
    profile = braze.push.expect_token(user, device_id=shop.device_id).within(10)
    assert [t["token"] for t in profile["push_tokens"]] == [shop.push.endpoint()]
    braze.expect.custom_event("prime-for-push").within(5)
    shop.close()
