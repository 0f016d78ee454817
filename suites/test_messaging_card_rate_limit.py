"""The documented Content Cards refresh rate limit (a token bucket per device), turned on for one test: once
the bucket is empty the emulator answers a sync with no update, and the real Web SDK keeps showing the cards it
has cached; a token comes back after the refill interval (on the emulator's clock)."""

import time

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


def test_an_empty_bucket_keeps_the_cached_cards_until_a_token_comes_back(braze, braze_app):
    m = braze.messaging
    m.content_card("first", card={"title": "First"})
    braze_app.launch()
    braze_app.show_content_cards()
    OnScreen(braze.expect, braze_app.screen).cards_shown(["first"])

    m.card_rate_limit({"capacity": 1, "refill_seconds": 180})  # from now on: one sync, then one per 180 s
    m.content_card("second", card={"title": "Second"})
    braze_app.refresh_content_cards()
    braze_app.screen.wait_cards(["second", "first"], 5)

    m.content_card("third", card={"title": "Third"})
    braze_app.refresh_content_cards()
    m.wait_rate_limited(1)
    syncs = [e for e in braze.entries() if e.endpoint == "content_cards/sync"]
    assert syncs[-1].exchange.response == {}
    # the emulator has answered, the SDK may still be handling the answer: the cached cards must stay a while
    held_until = time.monotonic() + 1.5
    while time.monotonic() < held_until:
        assert braze_app.screen.card_ids() == ["second", "first"]  # what the SDK had cached, not emptied
        time.sleep(0.1)

    m.advance(180)  # a token is back
    braze_app.refresh_content_cards()
    braze_app.screen.wait_cards(["third", "second", "first"], 5)
    assert m.seeded()["content_card_syncs_rate_limited"] == 1
