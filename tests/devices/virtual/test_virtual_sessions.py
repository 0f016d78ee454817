"""Mobile sessions and changeUser on virtual devices (docs/server-behaviour.md, mobile-sessions and changeuser): the session
ends only after the timeout in the background, its `se` goes out late with the next `ss`."""

from __future__ import annotations

import pytest
from braze_harness.devices.virtual import DeviceClock, FlushPolicy

T0 = 1_800_000_000.0
PLATFORMS = ["android", "ios"]


def events(device, *, since: int = 0) -> list[tuple[str, str | None, str | None]]:
    """(code, session_id, user_id) of every event sent, in send order."""
    return [(e["name"], e.get("session_id"), e.get("user_id")) for b in device.bodies()[since:] for e in b.get("events", [])]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_session_end_is_sent_late_with_the_next_session_start(lab, platform):
    clock = DeviceClock(start=T0, realtime=False)
    device = lab.device(platform, clock=clock)
    device.open_session()
    first = device.session_id
    clock.advance(3)  # three seconds of use in the foreground
    device.close_session()
    device.advance(15)  # 15 s in the background: the 10 s timeout passed...
    assert device.session_id is None

    device.log_custom_event("in_background")  # ...but no `se` goes out before the next `ss`
    device.request_immediate_data_flush()
    assert [e[0] for e in events(device)] == ["ss", "ce"]
    assert events(device)[-1][1] is None  # logged with no session

    assert device.open_session() is True
    last = device.bodies()[-1]
    se, ss = last["events"]
    assert (se["name"], se["session_id"], se["data"]) == ("se", first, {"d": 3.0})  # open -> close, in seconds
    assert ss["name"] == "ss" and ss["session_id"] not in (first, None)
    assert se["time"] < ss["time"] == pytest.approx(T0 + 18, abs=0.01)  # times strictly increase
    assert last["respond_with"]["triggers"] is True

    e = lab.expect
    e.in_order(e.session_start(session=first), e.session_end(session=first), e.session_start(session=ss["session_id"])).within()
    profile = e.profile(device_id=device.device_id).has(sessions=2).within()
    ended = next(s for s in profile["sessions"]["list"] if s["session_id"] == first)
    assert ended["duration"] == 3.0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_back_within_the_timeout_continues_the_session(lab, platform):
    device = lab.device(platform, clock=DeviceClock(start=T0, realtime=False))
    device.open_session()
    session = device.session_id
    device.close_session()
    device.advance(9.5)
    assert device.open_session() is False
    device.log_custom_event("still_here")
    device.request_immediate_data_flush()
    assert events(device) == [("ss", session, None), ("ce", session, None)]
    lab.expect.custom_event("still_here", session=session).within()
    mark = lab.expect.mark()
    lab.expect.session_start().after(mark).never(within=0.1)


def test_the_session_timeout_is_configurable(lab):
    device = lab.device("android", clock=DeviceClock(start=T0, realtime=False), session_timeout=30)
    device.open_session()
    session = device.session_id
    device.close_session()
    device.advance(20)
    assert device.open_session() is False and device.session_id == session
    device.close_session()
    device.advance(30)
    assert device.open_session() is True and device.session_id != session
    with pytest.raises(ValueError, match="at least 1"):
        lab.device("android", session_timeout=0.5)


def test_the_server_minimum_session_timeout_wins(lab, server):
    server.emulator.settings.minimum_session_timeout = 60
    server.emulator.config.bump()
    try:
        device = lab.device("ios", clock=DeviceClock(start=T0, realtime=False))
        device.open_session()
        assert device.session_timeout == 60
    finally:
        server.emulator.settings.minimum_session_timeout = None
        server.emulator.config.bump()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_change_user_from_anonymous(lab, platform):
    device = lab.device(platform)
    device.open_session()
    anonymous = device.session_id
    device.set_custom_attribute("colour", "green")  # pending when changeUser comes: follows the user
    device.log_custom_event("browsing")
    assert device.change_user("ada") is True
    ada = device.session_id

    body = device.bodies()[-1]
    assert body["respond_with"]["user_id"] == "ada" and body["respond_with"]["triggers"] is True
    assert [(e["name"], e.get("session_id"), e.get("user_id")) for e in body["events"]] == [
        ("ce", anonymous, None),
        ("se", anonymous, None),  # the anonymous session's end carries no user
        ("ss", ada, "ada"),
    ]
    assert body["attributes"] == [{"user_id": "ada", "custom": {"colour": "green"}}]

    e = lab.expect
    e.session_end(session=anonymous, user=None).within()
    e.session_start(user="ada", session=ada).within()
    e.profile("ada").count(1).has(sessions=2, custom={"colour": "green"}, custom_events={"browsing": 1}).within()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_change_user_between_known_users(lab, platform):
    device = lab.device(platform)
    device.open_session()
    device.change_user("alice")
    alice_session = device.session_id
    device.set_attributes(first_name="Alice")  # pending: stays alice's
    device.change_user("bob")
    body = device.bodies()[-1]
    # Android 43's changeUser also sends the new user's id as an attributes object of its own
    announced = [{"user_id": "bob"}] if platform == "android" else []
    assert body["attributes"] == [{"user_id": "alice", "first_name": "Alice"}, *announced]
    assert [(e["name"], e.get("user_id")) for e in body["events"]] == [("se", "alice"), ("ss", "bob")]
    assert body["events"][0]["session_id"] == alice_session

    e = lab.expect
    e.profile("alice").has(first_name="Alice", sessions=2).within()  # + the anonymous one it became
    e.profile("bob").has(first_name=lambda v: v != "Alice", sessions=1).within()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_change_user_to_the_same_id_is_a_no_op(lab, platform):
    device = lab.device(platform)
    device.open_session()
    device.change_user("same")
    session, sent = device.session_id, len(device.sent)
    assert device.change_user("same") is False
    assert not device.change_user("")
    device.request_immediate_data_flush()
    assert device.session_id == session and len(device.sent) == sent


def test_change_user_in_the_background_starts_no_session(lab):
    device = lab.device("android", clock=DeviceClock(start=T0, realtime=False))
    device.open_session()
    first = device.session_id
    device.close_session()
    device.change_user("night")  # e.g. a login completing in the background
    body = device.bodies()[-1]
    assert [(e["name"], e.get("session_id")) for e in body["events"]] == [("se", first)]
    assert "triggers" not in body["respond_with"]
    assert device.session_id is None
    device.advance(1)
    assert device.open_session() is True  # back in the foreground: the user's first session
    assert [(e["name"], e.get("user_id")) for e in device.bodies()[-1]["events"]] == [("ss", "night")]


def test_flush_interval_sends_queued_data_when_due(lab):
    clock = DeviceClock(start=T0, realtime=False)
    device = lab.device("android", clock=clock, flush=FlushPolicy(interval=10, on_close=False))
    device.open_session()
    device.log_custom_event("queued")
    sent = len(device.sent)
    device.advance(5)
    assert len(device.sent) == sent  # not due yet
    device.advance(5)
    assert device.bodies()[-1]["events"][0]["data"]["n"] == "queued"
    lab.expect.custom_event("queued").within()


def test_closing_the_app_flushes_what_is_queued(lab):
    device = lab.device("ios", clock=DeviceClock(start=T0, realtime=False))
    device.open_session()
    device.log_custom_event("before_background")
    device.close_session()
    assert [e["name"] for e in device.bodies()[-1]["events"]] == ["ce"]
    assert device.close_session() is False  # already closed


def test_logout_unregisters_wipes_and_disables(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("leaver")
    token = device.register_push_token()
    old_id = device.device_id
    device.logout()
    assert device.disabled and device.device_id != old_id and device.user_id is None
    unregister = device.bodies("push/unregister")
    assert unregister == [unregister[0]] and unregister[0]["push_token"] == token
    assert not device.log_custom_event("ignored") and device.open_session() is False
    lab.expect.profile("leaver").has(push_tokens=0).within()
