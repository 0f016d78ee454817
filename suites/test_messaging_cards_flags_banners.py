"""Content Cards, feature flags and banners on the demo app, real Web SDK: the screen and the telemetry."""

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import flag_gate_text, require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


def test_content_cards_sync_impressions_click_and_dismissal_honoured(braze, braze_app):
    user = braze.uid("ada")
    m = braze.messaging
    m.content_card("older", card={"title": "Older news", "description": "from before", "dismissible": True})
    m.content_card("pinned", card={"title": "Pinned", "description": "always first", "pinned": True})
    m.content_card("promo", card={"title": "Promo", "description": "10% off", "url": "#promo", "dismissible": True})
    m.content_card("holdout", card={"type": "control"})
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()
    braze_app.show_content_cards()
    on = OnScreen(braze.expect, braze_app.screen)

    # pinned first, then newest first; the control card is not displayed but its impression is logged
    on.cards_shown(["pinned", "promo", "older"], controls=["holdout"])
    assert braze.expect.event("ccc").never(within=0.2) is None
    on.card_clicked("promo")
    on.card_dismissed("older")
    m.wait_metrics("older", totals={"ccd": 1})

    # the next sync (incremental) removes it; a full sync in a new page load does not bring it back
    braze_app.refresh_content_cards()
    on.screen.wait_cards(["pinned", "promo"], 5)
    braze.expect.event("ccd").exactly(1).within(settle=0.3)
    braze_app.reload()
    braze_app.show_content_cards()
    braze_app.screen.wait_cards(["pinned", "promo"], 5)
    assert m.metrics("promo")["totals"]["ccc"] == 1


def test_incremental_sync_adds_a_new_card_and_removes_a_withdrawn_one(braze, braze_app):
    m = braze.messaging
    m.content_card("first", card={"title": "First"})
    braze_app.launch()
    braze_app.show_content_cards()
    braze_app.screen.wait_cards(["first"], 5)

    m.content_card("second", card={"title": "Second", "pinned": True})
    m.remove("first")
    braze_app.refresh_content_cards()
    braze_app.screen.wait_cards(["second"], 5)
    syncs = [e for e in braze.entries() if e.endpoint == "content_cards/sync"]
    last = syncs[-1]
    assert last.request.body.last_full_sync_at > 0  # an incremental sync...
    assert {"id": "first", "r": True} in last.exchange.response["cards"]  # ...that removes the withdrawn card


def test_expired_card_is_not_shown(braze, braze_app):
    import time

    braze.messaging.content_card("live", card={"title": "Live"})
    braze.messaging.content_card("gone", card={"title": "Gone", "expires_at": time.time() - 60})
    braze_app.launch()
    braze_app.show_content_cards()
    OnScreen(braze.expect, braze_app.screen).cards_shown(["live"])


@pytest.mark.braze_web_sdk_feature("feature_flags")
def test_feature_flag_on_for_the_segment_with_ffi_and_off_outside_it(braze, braze_app_factory):
    beta, other = braze.uid("beta"), braze.uid("other")
    m = braze.messaging
    m.segment("beta-testers", {"type": "external_id", "op": "in", "value": [beta]})
    m.feature_flag("new_checkout", segment="beta-testers", properties={"label": "Try the new checkout"})

    app = braze_app_factory()
    app.launch()
    app.login(beta)
    on = OnScreen(braze.expect, app.screen)
    on.flag_shown("new_checkout")
    assert flag_gate_text(app) == "Try the new checkout"

    outsider = braze_app_factory()
    outsider.launch()
    outsider.login(other)
    braze.expect.session_start(user=other).within()
    OnScreen(braze.expect, outsider.screen).flag_hidden("new_checkout", within=1.0)
    metrics = m.wait_metrics("new_checkout", totals={"ffi": 1}, uniques={"ffi": 1})
    assert list(metrics["by_user"]) == [f"user:{beta}"]


# 6.5.0's requestBannersRefresh() refuses to run (no /banners/sync, only a logged error "Banners are disabled")
# unless the SDK was initialised with allowUserSuppliedJavascript; 6.13 dropped that requirement
# the demo renders Banner.html and logs the click itself (braze.logBannerClick), as a site with its own banner UI
@pytest.mark.braze_web_sdk_feature("banners", "banner_html", "banner_click_api")
@pytest.mark.braze_app(init_options={"allowUserSuppliedJavascript": True})
def test_banner_per_placement_with_impression_and_click(braze, braze_app):
    m = braze.messaging
    m.banner("home-sale", placement="home", html='<p>Summer sale</p><button data-button-id="shop">Shop</button>')
    m.banner("side-news", placement="sidebar", html="<p>News</p>")
    braze_app.launch()
    braze.expect.session_start().within()
    braze_app.refresh_banners()
    on = OnScreen(braze.expect, braze_app.screen)

    assert "Summer sale" in on.banner_shown("home", "home-sale")
    assert "News" in on.banner_shown("sidebar", "side-news")
    on.banner_clicked("home", "home-sale", "shop")
    m.wait_metrics("home-sale", totals={"bi": 1, "bc": 1})
