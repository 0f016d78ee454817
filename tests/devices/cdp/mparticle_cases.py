"""The shop through mParticle in Chromium, run by test_mparticle.py in a pytest of its own (a subprocess): the
plugin's browser keeps Playwright's event loop running in its process, which the harness's own asyncio-based tests
(the proxy's) must not inherit. Not collected by the outer run (no test_ prefix)."""

from __future__ import annotations

import pytest
from braze_harness.devices.cdp.mparticle.adapter import MParticleBrazeAdapter, mparticle_app
from braze_harness.expect import ExpectationFailed


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
