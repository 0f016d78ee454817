"""Re-eligibility and the minimum interval between triggered in-app messages (enforced by the SDK from
the trigger JSON the emulator serves)."""

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


def _modal(braze, cid, event, **options):
    braze.messaging.in_app(
        cid, trigger={"type": "custom_event", "event": event}, message={"type": "MODAL", "header": cid, "message": cid}, **options
    )


def test_not_re_eligible_shows_once(braze, braze_app):
    _modal(braze, "once", "tap", re_eligibility=-1, min_seconds_since_last_trigger=0)
    braze_app.launch()
    braze.expect.session_start().within()
    on = OnScreen(braze.expect, braze_app.screen)
    braze_app.log_event("tap")
    on.iam_shown("once")
    braze_app.screen.close_iam()
    braze_app.screen.wait_no_iam(5)

    braze_app.log_event("tap")
    on.no_iam("once", within=1.0)


def test_re_eligible_shows_again(braze, braze_app):
    _modal(braze, "again", "tap", re_eligibility=0, min_seconds_since_last_trigger=0)
    braze_app.launch()
    braze.expect.session_start().within()
    on = OnScreen(braze.expect, braze_app.screen)
    braze_app.log_event("tap")
    on.iam_shown("again")
    braze_app.screen.close_iam()
    braze_app.screen.wait_no_iam(5)

    # the SDK drops a second impression of one trigger id within 2 s (IamTiming 2000 ms): move the page's clock on
    braze_app.advance_time(3)
    braze_app.log_event("tap")
    on.iam_shown("again", times=2)
    braze.messaging.wait_metrics("again", totals={"si": 2}, uniques={"si": 1})


def test_minimum_interval_between_triggers(braze, braze_app):
    _modal(braze, "first", "a", min_seconds_since_last_trigger=30)
    _modal(braze, "second", "b", min_seconds_since_last_trigger=30)
    braze_app.launch()
    braze.expect.session_start().within()
    on = OnScreen(braze.expect, braze_app.screen)
    braze_app.log_event("a")
    on.iam_shown("first")
    braze_app.screen.close_iam()
    braze_app.screen.wait_no_iam(5)

    braze_app.log_event("b")  # within 30 s of the last trigger action: suppressed by the SDK
    on.no_iam("second", within=1.0)
