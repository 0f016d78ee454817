"""Faults on the SDK endpoints (HTTP errors, 429 + Retry-After, dropped connections): the SDK re-queues and
retries, and every event logged during the outage lands on the profile exactly once (nothing lost, nothing
doubled). The emulator's first /data/ answer sets a short request_backoff (<= 0.5 s), so the SDK's own retries land
in seconds while the expectations wait; no test sleeps. A Web SDK before 6.5.0 ignores that config and waits
10-30 s, then up to 90 s (docs/web-sdk-versions.md): `braze_sdk_retries.wait` moves its clock past each wait."""

import pytest


def _ready(braze, braze_app, user):
    """App launched, user identified, and the server config (short backoff) delivered before any fault."""
    braze_app.launch()
    braze_app.login(user)
    braze_app.flush()
    braze.expect.session_start().within()
    braze.expect.profile(user).within()


def _attempts(delivered):
    return [d.attempt for e in delivered for d in e.deliveries]


@pytest.mark.braze_web_sdk_feature("req_attempt_header")
def test_5xx_then_recovery_loses_nothing(braze, braze_app, braze_sdk_retries):
    user = braze.uid("outage")
    _ready(braze, braze_app, user)
    braze.fault("data", status=503, times=2)

    braze_app.log_event("during_outage", {"n": 1})
    braze_app.log_event("during_outage", {"n": 2})
    braze_app.flush()  # 503, then the SDK retries on its own backoff: 503, then 200

    verdict = braze.expect.nothing_lost(user, [("during_outage", {"n": 1}), ("during_outage", {"n": 2})])
    delivered = braze_sdk_retries.wait(verdict.within, 20)
    assert [f["hits"] for f in braze.faults()] == [2]
    for event in delivered:
        statuses = [d.status for d in event.deliveries]
        assert statuses[:2] == [503, 503] and statuses[-1] == 200, event
    assert max(a or 1 for a in _attempts(delivered)) >= 3  # X-Braze-Req-Attempt counts the retries
    braze.expect.profile(user).has(custom_events={"during_outage": 2}).within()


@pytest.mark.braze_web_sdk_feature("retry_after")
def test_429_with_retry_after_is_honoured(braze, braze_app, braze_sdk_retries):
    user = braze.uid("throttled")
    _ready(braze, braze_app, user)
    braze.fault("data", status=429, retry_after=1, times=1)

    braze_app.log_event("throttled_event")
    braze_app.flush()

    (event,) = braze_sdk_retries.wait(braze.expect.nothing_lost(user, ["throttled_event"]).within, 20)
    first, *_, last = event.deliveries
    assert (first.status, last.status) == (429, 200)
    assert (last.attempt or 1) >= 2
    by_seq = {e.seq: e for e in braze.entries()}
    # the SDK waits its backoff + Retry-After before resending (docs/web-sdk-wire.md, retries)
    assert by_seq[last.seq].received_at - by_seq[first.seq].received_at >= 1.0


def test_dropped_connection_loses_nothing(braze, braze_app, braze_sdk_retries):
    user = braze.uid("dropped")
    _ready(braze, braze_app, user)
    # Chromium silently resends a POST once on a dropped socket (same X-Braze-Req-Attempt); the second
    # drop reaches the SDK, which retries. A mobile SDK retries each drop itself (attempt + 1).
    braze.fault("data", kind="drop", times=2)

    braze_app.log_event("through_the_drop", {"k": "v"})
    braze_app.flush()

    (event,) = braze_sdk_retries.wait(braze.expect.nothing_lost(user, [("through_the_drop", {"k": "v"})]).within, 20)
    first, second, *_, last = event.deliveries
    assert (first.status, second.status, last.status) == (None, None, 200)  # no answer to the dropped attempts
    assert event.applied == 1 and event.on_profile == 1


def test_auth_error_answer_is_retried(braze, braze_app, braze_sdk_retries):
    user = braze.uid("autherr")
    _ready(braze, braze_app, user)
    braze.fault("data", kind="auth_error", error_code=22, times=1)

    braze_app.log_event("after_auth_error")
    braze_app.flush()

    (event,) = braze_sdk_retries.wait(braze.expect.nothing_lost(user, ["after_auth_error"]).within, 20)
    assert not event.deliveries[0].applied and event.deliveries[-1].applied
