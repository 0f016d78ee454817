"""In-app messages on the demo app, real Web SDK: seeded campaigns, what is displayed, what is logged."""

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


MODAL = {
    "type": "MODAL",
    "header": "Welcome",
    "message": "Glad you're here",
    "buttons": [{"id": 0, "text": "Accept"}, {"id": 1, "text": "Later"}],
}


def test_iam_on_session_start_is_shown_and_its_button_logged(braze, braze_app):
    braze.messaging.in_app("welcome", trigger="open", message=MODAL)
    braze_app.launch()
    on = OnScreen(braze.expect, braze_app.screen)

    on.iam_shown("welcome", kind="modal", header="Welcome", buttons=["Accept", "Later"])
    on.iam_button_clicked("welcome", 0, bid=0)
    braze.expect.event("sc").never(within=0.5)  # a button click is not a body click
    braze.messaging.wait_metrics("welcome", totals={"si": 1, "sbc": 1}, uniques={"si": 1})


def test_iam_on_custom_event_with_a_property_filter(braze, braze_app):
    user = braze.uid("ada")
    braze.messaging.in_app(
        "jazz",
        trigger={"type": "custom_event", "event": "song_played", "property_filters": [{"key": "genre", "value": "jazz"}]},
        message={"type": "SLIDEUP", "message": "More jazz?"},
    )
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()
    on = OnScreen(braze.expect, braze_app.screen)

    braze_app.log_event("song_played", {"genre": "rock"})  # does not match the filter
    on.no_iam("jazz", within=1.0)

    braze_app.log_event("song_played", {"genre": "jazz"})
    on.iam_shown("jazz", kind="slideup", message="More jazz?")
    assert braze.messaging.metrics("jazz")["by_user"] == {f"user:{user}": {"si": 1}}


def test_priority_picks_one(braze, braze_app):
    for cid, priority in (("low", 1), ("high", 5), ("mid", 3)):
        braze.messaging.in_app(
            cid,
            trigger={"type": "custom_event", "event": "checkout"},
            priority=priority,
            message={"type": "MODAL", "header": cid, "message": f"priority {priority}"},
        )
    braze_app.launch()
    braze.expect.session_start().within()
    braze_app.log_event("checkout")
    on = OnScreen(braze.expect, braze_app.screen)

    on.iam_shown("high", header="high")
    assert braze_app.screen.iam_count() == 1
    braze.expect.event("si").exactly(1).within(settle=0.5)


@pytest.mark.braze_web_sdk_feature("iam_control_impression")
def test_control_group_logs_iec_and_shows_nothing(braze, braze_app):
    braze.messaging.in_app("holdout", trigger="open", control=True, message={"type": "MODAL", "message": "never shown"})
    braze_app.launch()
    OnScreen(braze.expect, braze_app.screen).iam_control("holdout")
    braze.expect.event("si").never(within=0.5)
    braze.messaging.wait_metrics("holdout", totals={"iec": 1})


def test_a_user_outside_the_segment_never_sees_the_campaign(braze, braze_app):
    vip, other = braze.uid("vip"), braze.uid("other")
    braze.messaging.segment("vips", {"type": "external_id", "op": "in", "value": [vip]})
    braze.messaging.in_app(
        "vip-offer",
        segment="vips",
        trigger={"type": "custom_event", "event": "opened_offers"},
        message={"type": "MODAL", "message": "VIP only"},
    )
    braze_app.launch()
    braze_app.login(other)
    braze.expect.session_start(user=other).within()
    braze_app.log_event("opened_offers")
    OnScreen(braze.expect, braze_app.screen).no_iam("vip-offer", within=1.5)
    assert braze.messaging.members("vips") == []


@pytest.mark.braze_app(init_options={"allowUserSuppliedJavascript": True})
def test_html_iam(braze, braze_app):
    braze.messaging.in_app(
        "html", trigger="open", message={"type": "HTML", "html": "<html><body><h1>Hello HTML</h1></body></html>"}
    )
    braze_app.launch()
    on = OnScreen(braze.expect, braze_app.screen)
    view = on.iam_shown("html")
    assert view.kind in ("html", "unknown")


def test_campaign_seeded_from_a_yaml_file(braze, braze_app):
    from pathlib import Path

    braze.messaging.seed_file(Path(__file__).parent / "data" / "messaging_welcome.yaml")
    braze_app.launch()
    braze.expect.session_start().within()
    # the session start is applied before the triggers are answered: the profile is already in the segment
    braze_app.log_event("opened_menu")
    OnScreen(braze.expect, braze_app.screen).iam_shown("yaml-welcome", kind="slideup", message="Seeded from YAML")


def test_iam_on_purchase_of_one_product(braze, braze_app):
    braze.messaging.in_app(
        "thanks",
        trigger={"type": "purchase", "product_id": "sku-42"},
        message={"type": "FULL", "header": "Thank you", "message": "Enjoy sku-42"},
    )
    braze_app.launch()
    braze.expect.session_start().within()
    on = OnScreen(braze.expect, braze_app.screen)
    braze_app.purchase("sku-1", 5)  # another product: nothing
    on.no_iam("thanks", within=1.0)
    braze_app.purchase("sku-42", 9.99)
    on.iam_shown("thanks", kind="fullscreen", header="Thank you")
