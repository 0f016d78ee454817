"""Sessions: start recorded, end recorded after the timeout, a reload keeps the session."""

import pytest


def test_session_start_is_recorded(braze, braze_app):
    braze_app.launch()

    start = braze.expect.session_start(user=None, device=braze_app.device_id).within()[0]

    braze.expect.profile(device_id=braze_app.device_id).has(sessions=1, external_id=None).within()
    assert start.entry.api_key == braze.api_key


@pytest.mark.braze_app(session_timeout=10)
@pytest.mark.braze_web_sdk_feature("session_end_length")
def test_session_end_is_recorded_after_the_timeout(braze, braze_app):
    braze_app.launch()
    first = braze.expect.session_start().within()[0].event.session_id

    braze_app.advance_time(15)  # the SDK's clock, not ours: no waiting for the real timeout
    braze_app.log_event("back_after_idle")
    braze_app.flush()

    expect = braze.expect
    # 6.13 reports at least the 10 s minimum session length, older 6.x the active time: both > 0
    ended = expect.session_end(session=first, data={"d": lambda d: d > 0}).within()[0]
    expect.in_order(
        expect.session_start(session=first),
        expect.session_end(session=first),
        expect.session_start(where=lambda e: e.session_id != first),
        expect.custom_event("back_after_idle"),
    ).within()
    assert ended.entry.device_id == braze_app.device_id
    braze.expect.profile(device_id=braze_app.device_id).has(sessions=2).within()


def test_reload_keeps_the_session(braze, braze_app):
    braze_app.launch()
    session = braze.expect.session_start().within()[0].event.session_id
    mark = braze.expect.mark()

    braze_app.reload()
    braze_app.log_event("after_reload")
    braze_app.flush()

    braze.expect.custom_event("after_reload", session=session).within()
    braze.expect.session_start().after(mark).never(within=1.0)
    braze.expect.profile(device_id=braze_app.device_id).has(sessions=1).within()
