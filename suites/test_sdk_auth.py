"""SDK authentication (docs/server-behaviour.md, sdk-authentication; docs/web-sdk-wire.md, sdk-authentication-answers):
in required mode the emulator answers a request with a missing, expired, wrong-user or wrongly signed JWT
`200 + auth_error`, stores none of its data, and the SDK keeps it queued; with a fresh signature the data lands
exactly once."""

import time

import pytest
from braze_harness.sdk_auth import KeyPair, malformed

pytestmark = [
    pytest.mark.braze_app(init_options={"enableSdkAuthentication": True}),
    pytest.mark.braze_web_sdk_feature("sdk_authentication"),
]


@pytest.fixture
def keys():
    return KeyPair.generate()


def _auth_failure_shown(braze_app, code, within=20.0):
    """The app's SDK-auth failure callback (web: subscribeToSdkAuthenticationFailures) got `code` last."""
    deadline = time.monotonic() + within
    while (failures := braze_app.sdk_auth_failures()) == [] or failures[-1]["errorCode"] != code:
        assert time.monotonic() < deadline, f"no SDK auth failure {code} within {within} s; the app saw {failures}"
        time.sleep(0.1)  # the SDK retries on its own backoff: nothing to wake on in the page


def test_rejected_then_new_signature_lands_exactly_once(braze, braze_app, keys, braze_sdk_retries):
    braze.sdk_auth("required", [keys.public_pem])
    user = braze.uid("signed")
    braze_app.launch()
    braze_app.login(user, signature=keys.expired(user))
    braze_app.log_event("signed_event", {"v": 1})
    braze_app.flush()

    _auth_failure_shown(braze_app, 22)  # EXPIRED, through subscribeToSdkAuthenticationFailures
    failure = braze_app.sdk_auth_failures()[-1]
    assert failure["userId"] == user
    assert "signed_event" not in (braze.profile(user) or {}).get("custom_events", {})

    braze_app.set_sdk_auth_signature(keys.mint(user))  # no request by itself: the SDK's next retry carries it
    (event,) = braze_sdk_retries.wait(braze.expect.nothing_lost(user, [("signed_event", {"v": 1})]).within, 20)
    assert not event.deliveries[0].applied and event.deliveries[-1].applied
    rejected = [e for e in braze.entries() if isinstance(e.exchange.response, dict) and "auth_error" in e.exchange.response]
    assert rejected and all(any(p.where == "sdk_auth" for p in e.problems) for e in rejected)


@pytest.mark.parametrize("case", ["missing", "expired", "wrong_user", "wrong_key", "malformed"])
def test_required_mode_rejects_bad_signatures(braze, braze_app, keys, case):
    braze.sdk_auth("required", [keys.public_pem])
    user = braze.uid(f"bad-{case}")
    signature, code = {
        "missing": (None, 26),
        "expired": (keys.expired(user), 22),
        "wrong_user": (keys.mint(braze.uid("someone-else")), 21),
        "wrong_key": (KeyPair.generate().mint(user), 27),
        "malformed": (malformed(), 20),
    }[case]
    braze_app.launch()
    braze_app.login(user, signature=signature)
    braze_app.log_event("should_not_land")
    braze_app.flush()

    _auth_failure_shown(braze_app, code)
    braze.expect.custom_event("should_not_land", user=user).within()  # on the wire ...
    profile = braze.profile(user)  # ... but not stored
    assert profile is None or "should_not_land" not in profile["custom_events"]


def test_anonymous_traffic_is_not_checked(braze, braze_app, keys):
    braze.sdk_auth("required", [keys.public_pem])
    braze_app.launch()
    braze_app.log_event("anonymous_event")
    braze_app.flush()
    braze.expect.profile(device_id=braze_app.device_id).has(custom_events={"anonymous_event": 1}).within()


def test_optional_mode_accepts_and_reports(braze, braze_app, keys):
    braze.sdk_auth("optional", [keys.public_pem])
    user = braze.uid("optional")
    braze_app.launch()
    braze_app.login(user, signature=keys.expired(user))
    braze_app.log_event("accepted_anyway")
    braze_app.flush()
    braze.expect.profile(user).has(custom_events={"accepted_anyway": 1}).within()
    noted = [p for e in braze.entries() for p in e.problems if p.where == "sdk_auth"]
    assert noted and all(p.severity == "info" for p in noted)
