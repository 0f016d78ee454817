"""Push end to end on any adapter: token registration, moves and removals on the profile, sends from the emulator,
delivery and open (`pc`) counted on the campaign, and the push-click IAM trigger.

Web: the real Web SDK and `@braze/service-worker`, with the browser's push service stubbed (`push_stub.js`).
Android/iOS: virtual SDK devices; FCM/APNs are simulated by the emulator's per-device outbox.
Adapters without the push actions (`enable_push`, ...) skip these tests.
"""

import pytest
from braze_harness.adapters.base import AppAdapter
from braze_harness.protocol.push import VAPID_PUBLIC_KEY, campaign_of
from braze_harness.screens import MessagingScreen, OnScreen


def need(app, *actions):
    missing = [a for a in actions if getattr(type(app), a, None) is getattr(AppAdapter, a)]
    if missing:
        pytest.skip(f"{type(app).__name__} does not implement {', '.join(missing)}")


def registered(braze, braze_app, user):
    braze_app.launch()
    braze_app.login(user)
    braze_app.enable_push()
    return braze.push.expect_token(user, device_id=braze_app.device_id).within()


def test_push_token_registered_and_user_opted_in(braze, braze_app):
    need(braze_app, "enable_push")
    user = braze.uid("ada")
    profile = registered(braze, braze_app, user)
    braze.push.expect_subscription(user, "opted_in").within()
    [token] = [t for t in profile["push_tokens"] if t["device_id"] == braze_app.device_id]
    assert token["notifications_enabled"] is True and token["token"]


def test_push_token_moves_to_the_new_user_on_change_user(braze, braze_app):
    need(braze_app, "enable_push")
    first, second = braze.uid("first"), braze.uid("second")
    registered(braze, braze_app, first)
    braze_app.login(second)
    braze.push.expect_token(second, device_id=braze_app.device_id).within()
    braze.push.expect_token(first, device_id=braze_app.device_id, enabled=None, present=False).within()
    result = braze.push.send(users=[first, second], title="Who", body="gets it", campaign_id="moved")
    assert [d["external_id"] for d in result["deliveries"]] == [second]  # "the last logged-in user gets the push"


@pytest.mark.braze_web_sdk_feature("null_push_token")
def test_unregister_push_removes_the_token(braze, braze_app):
    need(braze_app, "enable_push", "unregister_push")
    user = braze.uid("ada")
    registered(braze, braze_app, user)
    braze_app.unregister_push()
    braze_app.flush()  # Web SDK < 6.13 queues null push attributes instead of POSTing push/unregister at once
    braze.push.expect_token(user, device_id=braze_app.device_id, enabled=None, present=False).within()
    assert braze.push.send(users=user, title="t", body="b")["deliveries"] == []


@pytest.mark.braze_web_sdk_feature("null_push_token")
@pytest.mark.braze_app(session_timeout=10)
def test_os_opt_out_is_reported_at_the_next_session(braze, braze_app):
    need(braze_app, "enable_push", "disable_push_in_os")
    user = braze.uid("ada")
    registered(braze, braze_app, user)
    braze_app.disable_push_in_os()
    braze_app.advance_time(15)  # past the session timeout: the next activity starts a new session
    braze_app.reload()
    braze.expect.session_start(user=user).exactly(2).within()  # the new session: the SDK checks the permission
    braze_app.flush()  # web: the null token is queued, not flushed at once (the page runs on a fake clock)
    # no push-enabled token is left for the device (web: the SDK sends a null token; mobile: the foreground flag clears)
    braze.push.expect_token(user, device_id=braze_app.device_id, enabled=True, present=False).within()
    # Braze never unsubscribes automatically (docs/server-behaviour.md, push-subscription)
    braze.push.expect_subscription(user, "opted_in").within()
    result = braze.push.send(users=user, title="t", body="b", campaign_id="after_opt_out")
    assert result["deliveries"] == []


def test_push_delivered_opened_and_counted_on_the_campaign(braze, braze_app):
    need(braze_app, "enable_push", "open_push")
    user = braze.uid("ada")
    registered(braze, braze_app, user)
    result = braze.push.send(
        users=user,
        title="Back in stock",
        body="Your sneakers",
        campaign_id="restock",
        uri="myapp://deal/7",
        extra={"sku": "7"},
    )
    [delivery] = result["deliveries"]
    assert delivery["device_id"] == braze_app.device_id and delivery["campaign_id"] == "restock"
    if delivery["platform"] == "web":  # the subscription's keys the SDK sent with the token, for the sender
        keys = delivery["web_push_keys"]
        assert keys["p256dh"] and keys["auth"]
        assert keys["vapid_public_key"].rstrip("=") == VAPID_PUBLIC_KEY  # the key the emulator's config handed out
    assert braze.push.outbox(braze_app) == [delivery]
    braze_app.open_push(delivery)
    # the `cid` the SDK echoes is the payload's (the campaign id; on the web a tracking string that contains it)
    braze.expect.event("pc", data={"cid": campaign_of(delivery["payload"])}, user=user).within()
    metrics = braze.push.wait_opens("restock", 1)
    assert metrics["kind"] == "push" and metrics["sent"] == 1 and metrics["uniques"] == {"pc": 1}


def test_push_to_a_segment_reaches_only_its_members(braze, braze_app_factory):
    first = braze_app_factory()
    need(first, "enable_push")
    second = braze_app_factory()
    vip, other = braze.uid("vip"), braze.uid("other")
    registered(braze, first, vip)
    registered(braze, second, other)
    first.set_custom_attribute("tier", "gold")
    first.flush()
    braze.expect.profile(vip).has(custom={"tier": "gold"}).within()
    braze.messaging.segment("gold", {"type": "attribute", "name": "tier", "value": "gold"})
    result = braze.push.send(segment="gold", title="Gold", body="Early access", campaign_id="gold_drop")
    assert [(d["external_id"], d["device_id"]) for d in result["deliveries"]] == [(vip, first.device_id)]
    assert braze.push.outbox(second) == []


def test_push_click_triggers_an_in_app_message(braze, braze_app):
    need(braze_app, "enable_push", "open_push")
    braze.messaging.in_app(
        "after_push",
        trigger={"type": "push_click", "campaign_id": "restock"},
        message={"type": "MODAL", "header": "Welcome back", "message": "Your sneakers are here"},
    )
    user = braze.uid("ada")
    registered(braze, braze_app, user)
    sent = braze.push.send(users=user, title="Back in stock", body="Your sneakers", campaign_id="restock")
    assert len(sent["deliveries"]) == 1
    braze_app.open_push()  # the user taps the notification the device got (no delivery handed over)
    braze.push.wait_opens("restock", 1)
    screen = getattr(braze_app, "screen", None)
    if isinstance(screen, MessagingScreen):  # the message on screen, its impression flushed (web: a fake page clock)
        OnScreen(braze.expect, screen).iam_shown("after_push", header="Welcome back")
    braze.messaging.wait_metrics("after_push", totals={"si": 1})


def test_rest_messages_send_reaches_the_device(braze, braze_app):
    need(braze_app, "enable_push")
    user = braze.uid("ada")
    registered(braze, braze_app, user)
    answer = braze.push.rest_send(
        {
            "external_user_ids": [user],
            "campaign_id": "rest_drop",
            "messages": {
                "android_push": {"title": "Drop", "alert": "New colours"},
                "apple_push": {"alert": {"title": "Drop", "body": "New colours"}},
                "web_push": {"title": "Drop", "alert": "New colours"},
            },
        }
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["message"] == "success"
    [delivery] = braze.push.outbox(braze_app)
    assert delivery["dispatch_id"] == answer.json()["dispatch_id"] and delivery["external_id"] == user
    assert campaign_of(delivery["payload"]) is not None
    bad = braze.push.rest_send({"external_user_ids": [user], "messages": {"android_push": {"alert": "no title"}}})
    assert bad.status_code == 400 and bad.json()["field"] == "messages.android_push.title"
