"""Canvases on the demo app, real Web SDK: a user enters, walks the steps (the emulator's clock jumps over the
delays), and each step's message is seen on screen and attributed to the canvas and step."""

import pytest
from braze_harness.adapters.base import AppAdapter
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen

DAY = 86400


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


def _onboarding(braze):
    m = braze.messaging
    m.canvas(
        "onb",
        entry={"type": "custom_event", "event": "signed_up", "property_filters": [{"key": "plan", "value": "pro"}]},
        steps=[
            {
                "id": "hello",
                "type": "message",
                "channel": "in_app_message",
                "message": {"type": "MODAL", "header": "Welcome", "message": "Step one"},
            },
            {"id": "wait", "type": "delay", "seconds": DAY},
            {"id": "tips", "type": "message", "channel": "content_card", "card": {"title": "Day two tips", "description": "d"}},
        ],
    )
    return m


def _new_session(braze_app):
    # a Canvas IAM is delivered with the trigger refresh of the user's next session
    # (docs/server-behaviour.md, in-app-message-delivery)
    braze_app.advance_time(15)  # past the 10 s session timeout, on the page's clock
    braze_app.log_event("came_back")
    braze_app.flush()


@pytest.mark.braze_app(session_timeout=10)
def test_enter_on_event_iam_step_then_a_day_later_the_card_step(braze, braze_app):
    user = braze.uid("ada")
    m = _onboarding(braze)
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()
    braze_app.log_event("signed_up", {"plan": "pro"})
    braze_app.flush()
    braze.expect.profile(user).has(canvases={"onb": {"step": "wait", "status": "active"}}).within()

    _new_session(braze_app)
    on = OnScreen(braze.expect, braze_app.screen)
    on.iam_shown(m.step_id("onb", "hello"), kind="modal", header="Welcome")
    braze_app.screen.close_iam()

    braze_app.show_content_cards()
    braze_app.refresh_content_cards()
    on.no_iam(m.step_id("onb", "hello"), within=0.5)
    assert braze_app.screen.card_ids() == []  # the card step is a day away

    m.advance(DAY)  # the emulator's clock: the delay is over without waiting
    braze_app.refresh_content_cards()
    on.cards_shown([m.step_id("onb", "tips")])
    braze.expect.profile(user).has(
        canvases={"onb": {"status": "exited", "path": ["entry", "hello", "wait", "tips", "exit"]}}
    ).within()
    metrics = m.metrics("onb")
    assert metrics["steps"]["hello"]["totals"] == {"si": 1}
    assert metrics["steps"]["tips"]["totals"].get("cci", 0) >= 1 and metrics["uniques"]["si"] == 1


def test_audience_split_by_segment_sends_users_down_different_paths(braze, braze_app_factory):
    pro, free = braze.uid("pro"), braze.uid("free")
    m = braze.messaging
    m.segment("pros", {"type": "attribute", "name": "plan", "value": "pro"})
    m.canvas(
        "split",
        entry={"type": "custom_event", "event": "go"},
        steps=[
            {
                "id": "who",
                "type": "split",
                "paths": [{"name": "pros", "segment": "pros", "next": "pro_card"}, {"name": "others", "next": "basic_card"}],
            },
            {"id": "pro_card", "type": "message", "channel": "content_card", "card": {"title": "Pro perks"}, "next": "bye"},
            {"id": "basic_card", "type": "message", "channel": "content_card", "card": {"title": "Go pro?"}},
            {"id": "bye", "type": "exit"},
        ],
    )
    for user, plan, card in ((pro, "pro", "pro_card"), (free, "free", "basic_card")):
        app = braze_app_factory()
        app.launch()
        app.login(user)
        app.set_custom_attribute("plan", plan)
        app.log_event("go")
        app.flush()
        braze.expect.profile(user).has(canvases={"split": {"status": "exited"}}).within()
        app.show_content_cards()
        app.refresh_content_cards()
        OnScreen(braze.expect, app.screen).cards_shown([m.step_id("split", card)])

    assert m.canvas_progress("split", pro)["history"][1]["path"] == "pros"
    assert m.canvas_progress("split", free)["history"][1]["path"] == "others"
    assert "basic_card" not in m.canvas_progress("split", pro)["path"]


@pytest.mark.braze_app(session_timeout=10)
def test_a_user_not_matching_the_entry_never_enters(braze, braze_app):
    user = braze.uid("bob")
    m = _onboarding(braze)
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()
    braze_app.log_event("signed_up", {"plan": "free"})  # the entry's property filter wants plan == "pro"
    braze_app.flush()
    braze.expect.custom_event("signed_up", user=user).within()

    _new_session(braze_app)
    braze.expect.session_start(user=user).exactly(2).within()
    OnScreen(braze.expect, braze_app.screen).no_iam(m.step_id("onb", "hello"), within=1.5)
    braze.expect.event("si").never(within=0.5)
    assert m.canvas_progress("onb") == {}
    assert braze.profile(user)["canvases"] == {}


def test_a_push_step_after_a_delay_is_delivered_and_its_open_counted_for_the_step(braze, braze_app):
    for action in ("enable_push", "open_push"):  # adapters that do not implement push skip this test
        if getattr(type(braze_app), action, None) is getattr(AppAdapter, action, None):
            pytest.skip(f"{type(braze_app).__name__} does not implement {action}()")
    user = braze.uid("ada")
    m = braze.messaging
    message = {"title": "Still there?", "alert": "Your cart misses you"}
    push = {"web_push": message, "android_push": message, "apple_push": message}
    m.canvas(
        "winback",
        entry={"type": "custom_event", "event": "cart_abandoned"},
        steps=[
            {"id": "wait", "type": "delay", "seconds": 3600},
            {"id": "nudge", "type": "message", "channel": "push", "push": push},
        ],
    )
    braze_app.launch()
    braze_app.login(user)
    braze_app.enable_push()
    braze.push.expect_token(user, device_id=braze_app.device_id).within()
    braze_app.log_event("cart_abandoned")
    braze_app.flush()
    braze.expect.profile(user).has(canvases={"winback": {"step": "wait"}}).within()
    assert braze.push.outbox(braze_app) == []

    m.advance(3600)
    assert m.canvas_progress("winback", user)["push"]["winback.nudge"]["deliveries"] == 1  # the read moved ada on
    [delivery] = braze.push.outbox(braze_app)
    assert delivery["campaign_id"] == m.step_id("winback", "nudge")
    braze_app.open_push(delivery)
    braze.expect.event("pc", user=user).within()
    m.wait_metrics("winback", totals={"pc": 1})
    assert m.metrics("winback")["steps"]["nudge"]["uniques"] == {"pc": 1}
