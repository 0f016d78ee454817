"""The demo shop through mParticle's Web SDK and its Braze kit (real packages, bundled, in Chromium): both sides in
the one journal, the kit's mapping checked by `expect.cdp_mapping`, a misconfigured kit caught, and the capability
table turning a kit limitation into a skip that names it."""

from __future__ import annotations

import pytest
from braze_harness.devices.cdp.mparticle.adapter import CAPABILITIES, MParticleBrazeAdapter, mparticle_app
from braze_harness.devices.cdp.mparticle.bundle import embedded_braze_version
from braze_harness.expect import ExpectationFailed

from tests.support.inner_pytest import forget_outer_run, run_inner

pytest_plugins = ["pytester"]
ADAPTER = "braze_harness.devices.cdp.mparticle.adapter:mparticle_app"


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


def test_the_kit_carries_its_own_braze_web_sdk_and_declares_what_it_cannot_forward() -> None:
    assert embedded_braze_version() == "4.9.0"  # kit 4.1.3; not the project's @braze/web-sdk
    assert CAPABILITIES["set_custom_attribute:increment"] == "mParticle has no increment call: the kit only sets values"
    assert CAPABILITIES["log_event"] is None and CAPABILITIES["purchase"] is None


def test_a_declared_limitation_skips_the_test_naming_it(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch)
    pytester.makepyfile(
        test_suite="""
import datetime as dt

def test_date_attribute(braze, braze_app):
    braze_app.launch()
    braze_app.set_custom_attribute("joined", dt.date(2026, 1, 2))

def test_unknown_capability_is_a_bug(braze_app):
    braze_app._require("teleport")
"""
    )
    result = run_inner(pytester, "-rs", "--braze-adapter", ADAPTER)
    result.assert_outcomes(skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*SKIPPED*cannot set_custom_attribute:date: mParticle user attributes are strings*"])
    result.stdout.fnmatch_lines(["*capability 'teleport' is not declared in its capability table*"])
