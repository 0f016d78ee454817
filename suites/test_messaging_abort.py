"""`{% abort_message('reason') %}` in a templated in-app message: the emulator answers `/template/` with an
error, the real Web SDK shows nothing for it (no `si`) and falls back to a lower-priority message instead;
the reason is in the template log."""

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


ABORTING = {
    "type": "MODAL",
    "header": "For pros",
    "message": "{% if custom_attribute.${plan} != 'pro' %}{% abort_message('not a pro') %}{% endif %}Your pro tips",
}


def test_an_aborted_message_is_never_shown_and_logs_no_impression(braze, braze_app):
    user = braze.uid("ada")
    m = braze.messaging
    m.in_app("pro-tips", templated=True, trigger={"type": "custom_event", "event": "opened"}, message=ABORTING)
    braze_app.launch()
    braze_app.login(user)
    braze_app.set_custom_attribute("plan", "free")
    braze_app.flush()
    braze.expect.profile(user).has(custom={"plan": "free"}).within()

    braze_app.log_event("opened")
    OnScreen(braze.expect, braze_app.screen).no_iam("pro-tips", within=1.5)
    braze.expect.event("si").never(within=0.5)
    asked = [e for e in braze.entries() if e.endpoint == "template"]
    assert [e.exchange.response for e in asked] == [{"error": "message aborted"}]  # the SDK asked once, was told no
    log = m.seeded()["templates"]
    assert [(e["campaign"], e["aborted"], e["abort_reason"]) for e in log] == [("pro-tips", True, "not a pro")]


def test_an_aborted_message_falls_back_to_the_next_priority(braze, braze_app):
    user = braze.uid("bob")
    m = braze.messaging
    m.in_app("pro-tips", templated=True, priority=5, trigger={"type": "custom_event", "event": "opened"}, message=ABORTING)
    m.in_app(
        "fallback",
        priority=1,
        trigger={"type": "custom_event", "event": "opened"},
        message={"type": "MODAL", "header": "Hello", "message": "Everyone's tips"},
    )
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()

    braze_app.log_event("opened")
    on = OnScreen(braze.expect, braze_app.screen)
    on.iam_shown("fallback", header="Hello")
    braze.expect.event("si", data={"trigger_ids": [m.trigger_id("pro-tips")]}).never(within=0.5)
    assert m.seeded()["templates"][-1]["abort_reason"] == "not a pro"
