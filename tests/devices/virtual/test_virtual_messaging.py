"""In-app messaging on virtual devices (devices/virtual/messaging.py, screen.py) against the real emulator:
trigger matching, priority, the minimum interval, re-eligibility, control messages, templates, delays,
Content Cards, feature flags and banners, and that each thing displayed logs exactly what it should."""

from __future__ import annotations

import time
from typing import Any

import pytest
from braze_harness.devices.virtual import DeviceClock, VirtualDevice
from braze_harness.devices.virtual.screen import NotOnScreen, VirtualScreen
from braze_harness.emulator.faults import parse_fault
from braze_harness.protocol.ids import trigger_id
from braze_harness.screens.base import ScreenTimeout

QUIET = {"ss", "se"}  # session events: not what these tests count


def seed(lab, *campaigns: dict[str, Any], segments: list[dict[str, Any]] = ()) -> None:
    lab.emulator.messaging.seed(lab.scope, segments=list(segments), campaigns=list(campaigns))


def iam(cid: str, trigger: Any = "open", *, message: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    trig = {"type": trigger} if isinstance(trigger, str) else trigger
    msg = message or {"type": "MODAL", "header": cid, "message": f"about {cid}"}
    return {"kind": "in_app", "id": cid, "trigger": trig, "message": msg, **options}


def event(name: str, *filters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "custom_event", "event": name, "property_filters": list(filters)}


def logged(device: VirtualDevice) -> list[tuple[str, Any]]:
    """(code, data) of every event the device sent (after flushing what it queued), session events left out."""
    device.request_immediate_data_flush()
    return [(e["name"], e.get("data")) for b in device.bodies("data") for e in b.get("events", []) if e["name"] not in QUIET]


def si(cid: str) -> tuple[str, Any]:
    return ("si", {"trigger_ids": [trigger_id(cid)]})


@pytest.fixture
def clock():
    return DeviceClock(realtime=False)  # frozen: only advance() moves it


@pytest.fixture(params=["android", "ios"])
def platform(request):
    return request.param


# ---------------------------------------------------------------------- in-app messages


def test_open_trigger_shows_after_session_start_and_its_button_logs_sbc(lab, platform, clock):
    buttons = [{"id": 0, "text": "Accept"}, {"id": 1, "text": "Later"}]
    seed(lab, iam("welcome", message={"type": "MODAL", "header": "Welcome", "message": "Hi", "buttons": buttons}))
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()

    view = screen.wait_iam(1)
    assert (view.kind, view.header, view.message, view.buttons) == ("modal", "Welcome", "Hi", ["Accept", "Later"])
    screen.click_iam()  # a modal with buttons ignores taps on its body (Android immersive messages)
    assert screen.iam_count() == 1
    screen.click_iam_button(1)
    assert screen.iam_count() == 0
    assert logged(device) == [si("welcome"), ("sbc", {"trigger_ids": [trigger_id("welcome")], "bid": 1})]
    lab.expect.event("sbc", data={"trigger_ids": [trigger_id("welcome")], "bid": 1}, device=device.device_id).exactly(1).within()
    with pytest.raises(NotOnScreen):
        screen.close_iam()


def test_body_click_logs_sc_and_close_logs_nothing(lab, clock):
    seed(
        lab,
        iam(
            "tap",
            event("tap"),
            message={"type": "SLIDEUP", "message": "tap me"},
            min_seconds_since_last_trigger=0,
            re_eligibility=0,
        ),
    )
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("tap")
    assert screen.wait_iam(1).kind == "slideup"
    screen.click_iam()
    assert screen.iam_count() == 0
    device.log_custom_event("tap")
    screen.wait_iam(1)
    screen.close_iam()
    screen.wait_no_iam(1)
    codes = [c for c, _ in logged(device)]
    assert codes == ["ce", "si", "sc", "ce", "si"]


def test_custom_event_property_filters_all_must_hold(lab, platform, clock):
    seed(
        lab,
        iam(
            "jazz",
            event("song_played", {"key": "genre", "value": "jazz"}, {"key": "plays", "op": "gte", "value": 3}),
            message={"type": "SLIDEUP", "message": "More jazz?"},
        ),
    )
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("song_played", {"genre": "rock", "plays": 9})
    device.log_custom_event("song_played", {"genre": "jazz", "plays": 2})
    device.log_custom_event("song_played", {"genre": "jazz"})  # no `plays`: a comparison cannot hold
    device.log_custom_event("other", {"genre": "jazz", "plays": 9})
    assert screen.iam_count() == 0
    device.log_custom_event("song_played", {"genre": "jazz", "plays": 3})
    assert screen.wait_iam(1).message == "More jazz?"
    assert [c for c, _ in logged(device)] == ["ce"] * 5 + ["si"]


def test_purchase_trigger_by_product_and_property(lab, clock):
    purchase = {"type": "purchase", "product_id": "sku-42", "property_filters": [{"key": "gift", "value": True}]}
    seed(lab, iam("thanks", purchase, message={"type": "FULL", "header": "Thank you", "message": "Enjoy"}))
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_purchase("sku-1", 5, properties={"gift": True})
    device.log_purchase("sku-42", 5, properties={"gift": False})
    assert screen.iam_count() == 0
    device.log_purchase("sku-42", 9.99, properties={"gift": True})
    assert screen.wait_iam(1).kind == "fullscreen"


def test_any_purchase_trigger(lab, clock):
    seed(lab, iam("any", {"type": "purchase"}))
    device = lab.device("ios", clock=clock)
    device.open_session()
    device.log_purchase("whatever", 1)
    assert device.messaging.displayed is not None


def test_priority_picks_one_and_only_one(lab, platform, clock):
    seed(lab, *(iam(cid, event("checkout"), priority=p) for cid, p in (("low", 1), ("high", 5), ("mid", 3))))
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("checkout")
    assert screen.wait_iam(1).header == "high"
    screen.close_iam()
    assert screen.iam_count() == 0  # the others were not performed: nothing waits behind it
    assert [c for c, d in logged(device) if c == "si"] == ["si"]
    lab.expect.event("si", data={"trigger_ids": [trigger_id("high")]}).exactly(1).within(settle=0.2)


def test_global_minimum_interval_and_the_triggers_own(lab, clock):
    seed(
        lab,
        iam("first", event("a")),
        iam("second", event("b")),  # no own value: the SDK's 30 s
        iam("third", event("c"), min_seconds_since_last_trigger=5),
    )
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("a")
    screen.close_iam()

    device.advance(29)
    device.log_custom_event("b")
    assert screen.iam_count() == 0
    assert device.messaging.suppressed[-1] == ("second", "within 30 s of the last trigger")
    device.log_custom_event("c")  # its own 5 s: 29 s after the last trigger is enough
    assert screen.wait_iam(1).header == "third"
    screen.close_iam()

    device.advance(31)
    device.log_custom_event("b")
    assert screen.wait_iam(1).header == "second"
    assert [d["trigger_ids"][0] for c, d in logged(device) if c == "si"] == [trigger_id(c) for c in ("first", "third", "second")]


def test_the_sdk_setting_changes_the_global_interval(lab, clock):
    seed(lab, iam("first", event("a")), iam("second", event("b")))
    device = lab.device("ios", clock=clock)
    device.messaging.min_trigger_interval = 5
    device.open_session()
    device.log_custom_event("a")
    device.messaging.close()
    device.advance(5)
    device.log_custom_event("b")
    assert device.messaging.displayed is not None and device.messaging.displayed.trigger == "second"


@pytest.mark.parametrize(
    ("re_eligibility", "shows"), [(-1, [True, False, False]), (0, [True, True, True]), (60, [True, False, True])]
)
def test_re_eligibility(lab, clock, re_eligibility, shows):
    seed(lab, iam("again", event("tap"), re_eligibility=re_eligibility, min_seconds_since_last_trigger=0))
    device = lab.device("android", clock=clock)
    device.open_session()
    seen = []
    for wait in (0, 10, 60):  # taps at +0, +10, +70 s
        device.advance(wait)
        device.log_custom_event("tap")
        seen.append(device.messaging.displayed is not None)
        if device.messaging.displayed:
            device.messaging.close()
    assert seen == shows
    assert sum(1 for c, _ in logged(device) if c == "si") == shows.count(True)


def test_not_re_eligible_across_a_new_trigger_list(lab, clock):
    seed(lab, iam("once", "open"))
    device = lab.device("android", clock=clock)
    device.open_session()
    device.messaging.close()
    device.close_session()
    device.advance(40)  # the session ends; the next one brings the same trigger again
    device.open_session()
    assert device.messaging.displayed is None
    assert ("once", "not re-eligible") in device.messaging.suppressed


def test_control_message_logs_iec_and_shows_nothing(lab, platform, clock):
    seed(lab, iam("holdout", "open", control=True))
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    assert screen.iam_count() == 0
    assert logged(device) == [("iec", {"trigger_ids": [trigger_id("holdout")]})]
    lab.expect.event("iec").exactly(1).within()


def test_delay_counts_on_the_device_clock(lab, clock):
    seed(lab, iam("later", event("go"), delay=10))
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("go")
    assert screen.iam_count() == 0
    device.advance(9.5)
    assert screen.iam_count() == 0
    device.advance(0.5)
    assert screen.wait_iam(0.5).header == "later"


def test_start_and_end_time_on_the_device_clock(lab, clock):
    now = clock.now()
    seed(lab, iam("soon", event("go"), start_time=now + 100), iam("over", event("stop"), end_time=now - 1))
    device = lab.device("android", clock=clock)
    device.messaging.min_trigger_interval = 0
    device.open_session()
    device.log_custom_event("stop")
    device.log_custom_event("go")
    assert device.messaging.displayed is None
    assert [why for _, why in device.messaging.suppressed] == ["after its end_time", "before its start_time"]
    device.advance(101)
    device.log_custom_event("go")
    assert device.messaging.displayed.trigger == "soon"


def test_one_message_at_a_time_the_next_waits(lab, clock):
    seed(lab, iam("one", event("a"), min_seconds_since_last_trigger=0), iam("two", event("b"), min_seconds_since_last_trigger=0))
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("a")
    device.log_custom_event("b")
    assert screen.wait_iam(1).header == "one"
    assert screen.iam_count() == 1
    screen.close_iam()
    assert screen.wait_iam(1).header == "two"
    assert [c for c, _ in logged(device)] == ["ce", "si", "ce", "si"]


def test_nothing_shows_in_the_background_push_click_trigger_waits_for_the_app(lab, clock):
    seed(lab, iam("after-push", {"type": "push_click", "campaign_id": "cmp-7"}))
    device = lab.device("ios", clock=clock)
    device.open_session()
    device.close_session()
    device.log_push_open("cmp-1")  # another campaign: nothing
    assert device.messaging.stack == [] and device.messaging.displayed is None
    device.log_push_open("cmp-7")  # performed in the background: it waits, nothing is on screen
    assert not device.in_foreground and device.messaging.displayed is None
    assert [m.trigger for m in device.messaging.stack] == ["after-push"]
    device.open_session()  # the app comes to the foreground: the waiting message shows
    assert device.messaging.displayed is not None and device.messaging.displayed.trigger == "after-push"


def test_auto_dismiss_after_duration(lab, clock):
    seed(
        lab,
        iam("brief", "open", message={"type": "SLIDEUP", "message": "bye", "message_close": "AUTO_DISMISS", "duration": 3000}),
    )
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    assert screen.iam_count() == 1
    device.advance(3)
    assert screen.iam_count() == 0


def test_html_message_is_displayed_as_html(lab, clock):
    seed(lab, iam("html", "open", message={"type": "HTML", "html": "<html><body><h1>Hello HTML</h1></body></html>"}))
    device = lab.device("android", clock=clock)
    device.open_session()
    view = VirtualScreen(device).wait_iam(1)
    assert (view.kind, view.message) == ("html", "Hello HTML")


def test_templated_message_posts_template_and_shows_the_answer(lab, platform, clock):
    message = {"type": "MODAL", "header": "Hi {{${first_name} | default: 'there'}}", "message": "{{event_properties.${item}}}"}
    seed(lab, iam("tmpl", event("opened"), message=message, templated=True))
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.change_user("ada")
    device.set_attribute("first_name", "Ada")
    device.request_immediate_data_flush()
    trig = next(t for t in device.triggers if t["id"] == "tmpl")
    assert trig["type"] == "templated_iam" and "header" not in trig["data"]  # the message comes from /template

    device.log_custom_event("opened", {"item": "sunglasses"})
    view = screen.wait_iam(1)
    assert (view.header, view.message) == ("Hi Ada", "sunglasses")
    body = device.bodies("template")[-1]
    assert body["user_id"] == "ada" and body["respond_with"]["user_id"] == "ada"
    assert body["template"]["trigger_id"] == trigger_id("tmpl")
    assert body["template"]["trigger_event_type"] == "custom_event"
    assert body["template"]["data"]["data"] == {"n": "opened", "p": {"item": "sunglasses"}}
    assert logged(device)[-1] == si("tmpl")
    [entry] = lab.entries(endpoint="template")
    assert entry.request.problems == []


def test_a_failed_template_falls_back_to_the_next_priority(lab, clock):
    seed(
        lab,
        iam("tmpl", event("opened"), templated=True, priority=5),
        iam("plain", event("opened"), priority=1),
        iam("other", event("elsewhere"), priority=9),
    )
    lab.emulator.faults.add(lab.scope, parse_fault({"endpoint": "template", "status": 400, "times": 1}))
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    device.log_custom_event("opened")
    assert screen.wait_iam(1).header == "plain"
    assert [e.exchange.status for e in lab.entries(endpoint="template")] == [400]  # asked once (a 4xx is not retried)
    assert [c for c, _ in logged(device)] == ["ce", "si"] and logged(device)[-1] == si("plain")


def test_wait_iam_times_out_with_the_reason(lab, clock):
    seed(lab, iam("x", event("never")))
    device = lab.device("android", clock=clock)
    device.open_session()
    with pytest.raises(ScreenTimeout, match=r"device triggers \['x'\]"):
        VirtualScreen(device).wait_iam(0.1)


# ---------------------------------------------------------------------- content cards


def _cards(lab):
    seed(
        lab,
        {"kind": "content_card", "id": "older", "card": {"title": "Older"}},
        {"kind": "content_card", "id": "pinned", "card": {"title": "Pinned", "pinned": True}},
        {"kind": "content_card", "id": "promo", "card": {"title": "Promo", "url": "#promo"}},
        {"kind": "content_card", "id": "holdout", "card": {"type": "control"}},
        {"kind": "content_card", "id": "fixed", "card": {"title": "Fixed", "dismissible": False}},
    )


def test_card_feed_order_impressions_click_and_dismissal(lab, platform):
    _cards(lab)
    device = lab.device(platform)
    screen = VirtualScreen(device)
    device.open_session()  # synced at session start
    assert screen.card_ids() == []  # the feed is not open
    screen.open_cards()
    assert screen.wait_cards(["pinned", "fixed", "promo", "older"], 1)  # pinned first, then newest `ca` first
    ids = lambda code: sorted(d["ids"][0] for c, d in logged(device) if c == code)  # noqa: E731
    assert ids("cci") == ["fixed", "older", "pinned", "promo"]
    assert ids("ccic") == ["holdout"]

    screen.click_card("promo")
    screen.dismiss_card("older")
    with pytest.raises(NotOnScreen, match="not dismissible"):
        screen.dismiss_card("fixed")
    assert screen.card_ids() == ["pinned", "fixed", "promo"]
    assert [c for c, _ in logged(device) if c.startswith("cc")][-2:] == ["ccc", "ccd"]
    assert ids("ccd") == ["older"] and ids("ccc") == ["promo"]

    screen.open_cards()  # a new opening: impressions again, the dismissed card not among them
    assert ids("cci") == ["fixed", "fixed", "older", "pinned", "pinned", "promo", "promo"]


def test_a_dismissed_card_stays_gone_even_if_a_sync_sends_it_again(lab, clock):
    _cards(lab)
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    screen.open_cards()
    screen.dismiss_card("promo")  # `ccd` still queued: the server does not know yet
    device.last_full_sync_at = 0  # the next sync is a full one that still holds the card
    device.request_content_cards_refresh()
    assert "promo" in device.content_cards
    assert "promo" not in screen.card_ids()


def test_wait_cards_pulls_to_refresh_for_a_card_seeded_later(lab):
    seed(lab, {"kind": "content_card", "id": "first", "card": {"title": "First"}})
    device = lab.device("ios")
    screen = VirtualScreen(device, refresh_every=0.1)
    device.open_session()
    screen.open_cards()
    screen.wait_cards(["first"], 1)
    syncs = len(device.bodies("content_cards/sync"))
    seed(lab, {"kind": "content_card", "id": "second", "card": {"title": "Second", "pinned": True}})
    assert screen.wait_cards(["second", "first"], 3) == ["second", "first"]
    assert len(device.bodies("content_cards/sync")) > syncs
    assert logged(device)[-1] == ("cci", {"ids": ["second"]})  # the new card's impression, once


def test_expired_card_is_hidden_on_the_device_clock(lab, clock):
    seed(lab, {"kind": "content_card", "id": "short", "card": {"title": "Short", "expires_at": clock.now() + 60}})
    device = lab.device("android", clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    screen.open_cards()
    assert screen.card_ids() == ["short"]
    device.advance(61)
    assert screen.card_ids() == []


# ---------------------------------------------------------------------- feature flags and banners


def test_flag_gate_logs_ffi_once_a_session_and_stays_hidden_outside_the_segment(lab, platform, clock):
    seed(
        lab,
        {"kind": "feature_flag", "id": "new_checkout", "segment": "beta", "properties": {"label": "Try it"}},
        segments=[{"id": "beta", "filters": [{"type": "external_id", "op": "in", "value": ["beta"]}]}],
    )
    device = lab.device(platform, clock=clock)
    screen = VirtualScreen(device)
    device.open_session()
    screen.wait_flag_gate(False, 0.2)
    device.change_user("beta")
    screen.wait_flag_gate(True, 1)
    assert screen.flag_gate_text() == "Try it"
    device.refresh_feature_flags()  # the same session: no second impression
    device.close_session()
    device.advance(15)
    device.open_session()  # a new session: one more
    ffi = [d for c, d in logged(device) if c == "ffi"]
    assert [d["fid"] for d in ffi] == ["new_checkout", "new_checkout"] and all(d["fts"] for d in ffi)

    other = lab.device(platform, clock=clock)
    other_screen = VirtualScreen(other)
    other.open_session()
    other.change_user("other")
    other_screen.wait_flag_gate(False, 0.2)
    assert [c for c, _ in logged(other) if c == "ffi"] == []
    with pytest.raises(ScreenTimeout):
        other_screen.wait_flag_gate(True, 0.1)


def test_banners_per_placement_with_bi_once_and_bc(lab, platform):
    seed(
        lab,
        {
            "kind": "banner",
            "id": "home-sale",
            "placement": "home",
            "html": '<p>Sale</p><button data-button-id="shop">Shop</button>',
        },
        {"kind": "banner", "id": "side-hold", "placement": "sidebar", "html": "<p>x</p>", "control": True},
        {"kind": "banner", "id": "elsewhere", "placement": "footer", "html": "<p>not asked for</p>"},
    )
    device = lab.device(platform)
    screen = VirtualScreen(device)
    device.open_session()
    screen.refresh_banners()
    body = device.bodies("banners/sync")[-1]
    assert body["placements"] == [{"id": "home"}, {"id": "sidebar"}] and body["time_ms"] > 0
    assert screen.wait_banner("home", "home-sale", 1) == "Sale Shop"
    screen.wait_banner("sidebar", None, 0.2)  # a control banner shows nothing...
    screen.click_banner_button("home", "shop")
    with pytest.raises(NotOnScreen):
        screen.click_banner_button("home", "nope")
    screen.refresh_banners()  # the same banners again: no second impression this session
    events = [(c, d) for c, d in logged(device) if c in ("bi", "bc")]
    # ...but logs its impression
    assert sorted(d["ids"][0] for c, d in events if c == "bi") == ["home-sale", "side-hold"]
    assert ("bc", {"id": "home-sale", "bid": "shop"}) in events and len(events) == 3
    lab.expect.event("bc", data={"id": "home-sale", "bid": "shop"}).exactly(1).within()


def test_banners_need_the_server_config(lab):
    device = lab.device("android")
    assert device.messaging.request_banners_refresh(["home"]) is None  # no config yet: nothing is sent
    assert device.bodies("banners/sync") == []


def test_the_adapter_exposes_the_screen(lab):
    from braze_harness.devices.virtual.adapter import VirtualDeviceAdapter

    seed(lab, iam("welcome"))
    app = VirtualDeviceAdapter(lab.device("android"))
    app.launch()
    assert app.screen.wait_iam(1).header == "welcome"
    app.reload()  # the process restarts: the message on screen is gone, and it is not shown again
    assert app.screen.iam_count() == 0
    app.show_content_cards()
    assert app.screen.feed_open
    started = time.monotonic()
    with pytest.raises(ScreenTimeout):
        app.screen.wait_cards(["nothing"], 0.2)
    assert time.monotonic() - started < 2


def test_the_factory_gives_a_screen_and_maps_the_web_interval_option(lab):
    from braze_harness.screens import MessagingScreen

    from tests.devices.virtual.test_virtual_adapter import adapter

    app = adapter(lab, "ios", init_options={"minimumIntervalBetweenTriggerActionsInSeconds": 5})
    assert isinstance(app.screen, MessagingScreen)
    assert app.device.messaging.min_trigger_interval == 5
    assert adapter(lab, "android").device.messaging.min_trigger_interval == 30
