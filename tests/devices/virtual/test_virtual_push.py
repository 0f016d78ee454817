"""Push on virtual devices (docs/mobile-wire.md, android-fcm and ios-apns): token registration per platform, landing on the
profile's `push_tokens`; OS opt-out; the token following changeUser; `push/unregister`; push open `pc`."""

from __future__ import annotations

import re

import pytest
from braze_harness.devices.virtual import DeviceClock, PushUnregistrationError

FCM = re.compile(r"^[A-Za-z0-9_-]{22}:APA91b[A-Za-z0-9_-]{134}$")
APNS = re.compile(r"^[0-9a-f]{64}$")


def test_android_token_travels_with_remote_notification_enabled(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("droid")
    token = device.register_push_token()  # sent at once
    assert FCM.match(token)

    body = device.bodies()[-1]
    assert body["attributes"] == [{"user_id": "droid", "push_token": token, "push_subscribe": "opted_in"}]
    assert body["device"] == {"remote_notification_enabled": True}  # in the same request as the token
    device.log_custom_event("later")
    device.request_immediate_data_flush()
    assert "device" not in device.bodies()[-1]  # and only there

    lab.expect.attributes(user="droid", push_token=token).within()
    profile = lab.expect.profile("droid").has(push_tokens=1, push_subscribe="opted_in").within()
    assert profile["push_tokens"] == [
        {
            "app": device.api_key,
            "device_id": device.device_id,
            "token": token,
            "platform": "android",
            "notifications_enabled": True,
        }
    ]


def test_ios_token_is_64_hex_with_ios_push_auth(lab):
    device = lab.device("ios")
    device.open_session()
    device.change_user("fruit")
    token = device.register_push_token()
    assert APNS.match(token)

    body = device.bodies()[-1]
    assert body["device"] == {"ios_push_auth": "authorized", "remote_notification_enabled": 1}
    assert body["attributes"] == [{"user_id": "fruit", "push_token": token, "push_subscribe": "opted_in"}]
    profile = lab.expect.profile("fruit").has(push_tokens=1).within()
    [registered] = profile["push_tokens"]
    assert registered == {
        "app": device.api_key,
        "device_id": device.device_id,
        "token": token,
        "platform": "ios",
        "notifications_enabled": True,
    }
    assert registered["device_id"] == registered["device_id"].upper()


def test_a_given_token_is_sent_as_is_and_anonymous_registration_works(lab):
    device = lab.device("android", optin_when_push_authorized=False)
    device.open_session()
    assert device.register_push_token("fcm-token-1") == "fcm-token-1"
    assert device.bodies()[-1]["attributes"] == [{"push_token": "fcm-token-1"}]
    profile = lab.expect.profile(device_id=device.device_id).has(push_tokens=1, external_id=None).within()
    assert profile["push_tokens"][0]["token"] == "fcm-token-1"
    assert "push_subscribe" not in profile["attributes"]


def test_android_os_opt_out_resends_the_token_with_notifications_disabled(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("quiet")
    token = device.register_push_token()
    device.set_push_permission(False)  # the user turned notifications off in the OS settings
    device.request_immediate_data_flush()
    body = device.bodies()[-1]
    assert body["device"] == {"remote_notification_enabled": False}
    assert body["attributes"] == [{"user_id": "quiet", "push_token": token}]
    profile = lab.expect.profile("quiet").has(push_tokens=1).within()
    assert profile["push_tokens"][0]["notifications_enabled"] is False


def test_ios_os_opt_out_is_reported_in_the_device_object(lab):
    device = lab.device("ios")
    device.open_session()
    device.register_push_token()
    device.set_push_permission(False)
    device.request_immediate_data_flush()
    body = device.bodies()[-1]
    assert body["device"] == {"ios_push_auth": "denied", "remote_notification_enabled": 0}
    assert "attributes" not in body
    device.set_push_permission(True, ios_status="provisional")
    device.request_immediate_data_flush()
    assert device.bodies()[-1]["device"] == {"ios_push_auth": "provisional", "remote_notification_enabled": 1}


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_the_token_moves_to_the_new_user_on_change_user(lab, platform):
    device = lab.device(platform)
    device.open_session()
    device.change_user("first")
    token = device.register_push_token()
    lab.expect.profile("first").has(push_tokens=1).within()
    device.change_user("second")  # the SDK does not re-send it: the server moves the device's token
    assert all("push_token" not in a for b in device.bodies()[-1:] for a in b.get("attributes", []))
    profile = lab.expect.profile("second").has(push_tokens=1).within()
    assert profile["push_tokens"][0]["token"] == token
    lab.expect.profile("first").has(push_tokens=0).within()


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_unregister_push_removes_the_token(lab, platform):
    device = lab.device(platform)
    device.open_session()
    device.change_user("gone")
    token = device.register_push_token()
    lab.expect.profile("gone").has(push_tokens=1).within()

    delivery = device.unregister_push()
    assert delivery.ok and len(delivery.attempts) == 1
    [body] = device.bodies("push/unregister")
    assert body["push_token"] == token and body["user_id"] == "gone"
    assert body["device_id"] == device.device_id and body["api_key"] == device.api_key
    assert delivery.last.url.endswith("/api/v3/push/unregister")
    lab.expect.profile("gone").has(push_tokens=0).within()
    [entry] = lab.entries(endpoint="push/unregister")
    assert entry.request.problems == [] and entry.problems == []
    assert device.push_token is None
    with pytest.raises(PushUnregistrationError, match="no push token") as info:
        device.unregister_push()
    assert info.value.retriable is False


def test_unregistering_before_the_token_was_sent_does_not_register_it_later(lab):
    device = lab.device("android", clock=DeviceClock(realtime=False))
    device.flush_policy.on_push_token = False
    device.open_session()
    device.register_push_token("never-sent")
    device.unregister_push()
    device.request_immediate_data_flush()
    assert all("push_token" not in a for b in device.bodies() for a in b.get("attributes", []))


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_push_open_logs_pc_with_the_campaign_id(lab, platform):
    clock = DeviceClock(start=1_800_000_000.0, realtime=False)
    device = lab.device(platform, clock=clock)
    device.open_session()
    device.change_user("tapper")
    device.close_session()
    clock.advance(60)  # the app was away; the user taps the notification, which opens it
    device.log_push_open("campaign-42", open_app=True)
    body = device.bodies()[-1]
    assert [e["name"] for e in body["events"]] == ["pc", "se", "ss"]
    assert body["events"][0]["data"] == {"cid": "campaign-42"} and body["events"][0]["user_id"] == "tapper"
    lab.expect.event("pc", data={"cid": "campaign-42"}, user="tapper").within()
    lab.expect.profile("tapper").has(engagement={"pc": 1}).within()
