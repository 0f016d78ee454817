"""Push sends in the emulator: recipients, per-device outboxes, the control API and the REST `/messages/send` subset,
opens (`pc`) counted per campaign. Virtual devices register the tokens (tests/conftest.py `lab`)."""

from __future__ import annotations

import httpx
import pytest
from braze_harness.devices.virtual.push import PushReceiver
from braze_harness.protocol.push import web_tracking_id

from tests.support.builders import data_body, ss


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=10, trust_env=False) as client:
        yield client


def registered(lab, platform, user):
    device = lab.device(platform)
    device.open_session()
    device.change_user(user)
    device.register_push_token()
    lab.expect.profile(user).has(push_tokens=lambda ts: any(t["device_id"] == device.device_id for t in ts)).within()
    return device


def send(http, lab, **body):
    return http.post(f"/_emulator/scopes/{lab.scope}/push/send", json=body)


def test_one_delivery_per_token_with_each_platforms_payload(lab, http):
    phone, tablet = registered(lab, "android", "ada"), registered(lab, "ios", "ada")
    answer = send(
        http,
        lab,
        external_ids=["ada", "ada"],
        campaign_id="restock",
        message={"title": "Hi", "body": "Deal", "extra": {"k": "v"}},
    )
    assert answer.status_code == 201
    result = answer.json()
    by_device = {d["device_id"]: d for d in result["deliveries"]}
    assert set(by_device) == {phone.device_id, tablet.device_id}  # the repeated id is one recipient
    android, ios = by_device[phone.device_id], by_device[tablet.device_id]
    assert android["platform"] == "android" and android["token"] == phone.push_token
    assert android["payload"]["_ab"] == "true" and android["payload"]["cid"] == "restock"
    assert android["payload"]["extra"] == '{"k":"v"}'
    assert ios["platform"] == "ios" and ios["payload"]["aps"]["alert"] == {"title": "Hi", "body": "Deal"}
    assert ios["payload"]["ab"] == {"c": "restock"} and ios["payload"]["k"] == "v"

    box = f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}"
    assert http.get(box).json()["deliveries"] == [android]  # peek
    assert http.get(box, params={"drain": "1"}).json()["deliveries"] == [android]
    assert http.get(box).json()["deliveries"] == []
    assert http.get(f"/_emulator/scopes/{lab.scope}/push/dispatches/{result['dispatch_id']}").json() == result


def test_segment_and_broadcast_recipients(lab, http, server):
    gold, other = registered(lab, "android", "gold-user"), registered(lab, "android", "other-user")
    gold.set_custom_attribute("tier", "gold")
    gold.request_immediate_data_flush()
    lab.expect.profile("gold-user").has(custom={"tier": "gold"}).within()
    server.emulator.messaging.seed(
        lab.scope, segments=[{"id": "gold", "filters": [{"type": "attribute", "name": "tier", "value": "gold"}]}]
    )

    seg = send(http, lab, segment_id="gold", message={"title": "Gold"}).json()
    assert [d["device_id"] for d in seg["deliveries"]] == [gold.device_id]
    both = send(http, lab, external_ids=["gold-user", "other-user"], segment_id="gold", message={"title": "x"}).json()
    assert [d["external_id"] for d in both["deliveries"]] == ["gold-user"]
    assert {"external_id": "other-user", "braze_id": both["skipped"][0]["braze_id"], "reason": "not in the segment"} in both[
        "skipped"
    ]
    everyone = send(http, lab, broadcast=True, message={"title": "All"}).json()
    assert {d["device_id"] for d in everyone["deliveries"]} == {gold.device_id, other.device_id}


def test_who_is_skipped(lab, http):
    registered(lab, "android", "unsub").set_attribute("push_subscribe", "unsubscribed")
    lab.devices[-1].request_immediate_data_flush()
    lab.expect.profile("unsub").has(push_subscribe="unsubscribed").within()
    blocked = registered(lab, "ios", "blocked")
    blocked.set_push_permission(False)
    blocked.request_immediate_data_flush()  # ios_push_auth: denied in the device object
    lab.expect.profile("blocked").has(push_tokens=lambda ts: ts and not ts[0]["notifications_enabled"]).within()
    quiet = lab.device("android")
    quiet.open_session()
    quiet.change_user("no-token")
    lab.expect.profile("no-token").within()
    subscribed = registered(lab, "android", "subscribed-only")
    subscribed.set_attribute("push_subscribe", "subscribed")
    subscribed.request_immediate_data_flush()
    lab.expect.profile("subscribed-only").has(push_subscribe="subscribed").within()

    result = send(
        http, lab, external_ids=["unsub", "blocked", "no-token", "nobody", "subscribed-only"], message={"title": "t"}
    ).json()
    assert [d["external_id"] for d in result["deliveries"]] == ["subscribed-only"]
    reasons = {s["external_id"]: s["reason"] for s in result["skipped"]}
    assert reasons == {
        "unsub": "push subscription state is unsubscribed",
        "blocked": "push disabled in the OS (foreground flag cleared)",
        "no-token": "no push token",
        "nobody": "no such user",
    }
    opted = send(http, lab, external_ids=["subscribed-only"], recipient_subscription_state="opted_in", message={"title": "t"})
    assert opted.json()["deliveries"] == []
    # "all" is Braze's "including unsubscribed users" (transactional sends); a disabled token still gets nothing
    everyone = send(http, lab, external_ids=["unsub", "blocked"], recipient_subscription_state="all", message={"title": "t"})
    assert [d["external_id"] for d in everyone.json()["deliveries"]] == ["unsub"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": {"title": "t"}}, "external_user_ids"),
        ({"external_ids": ["a"]}, "messages"),
        ({"external_ids": ["a"], "message": {"title": "t", "extra": [1]}}, "message.extra"),
        ({"external_ids": ["a"], "message": {"colour": "red"}}, "message.colour"),
        ({"external_ids": "a", "message": {"title": "t"}}, "external_ids"),
        ({"external_ids": ["a"], "message": {"title": "t"}, "oops": 1}, "oops"),
        ({"broadcast": True, "external_ids": ["a"], "message": {"title": "t"}}, "broadcast"),
        ({"segment_id": "missing", "message": {"title": "t"}}, "segment_id"),
        ({"external_ids": ["a"], "message": {"title": "t"}, "platforms": ["kindle"]}, "platforms"),
        ({"external_ids": ["a"], "message": {"title": "t"}, "platforms": [["android"]]}, "platforms"),
    ],
)
def test_control_send_rejects_bad_input_naming_the_field(lab, http, body, field):
    answer = send(http, lab, **body)
    assert answer.status_code == 400
    assert answer.json()["field"] == field, answer.json()


def test_rest_messages_send(lab, http):
    phone = registered(lab, "android", "ada")
    key = lab.rest_key()
    body = {
        "external_user_ids": ["ada"],
        "campaign_id": "rest_campaign",
        "messages": {"android_push": {"title": "Hi", "alert": "From REST", "custom_uri": "myapp://x", "extra": {"k": "v"}}},
    }
    answer = http.post("/messages/send", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201
    reply = answer.json()
    assert reply["message"] == "success" and set(reply) == {"dispatch_id", "message"}
    [delivery] = http.get(f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}").json()["deliveries"]
    assert delivery["dispatch_id"] == reply["dispatch_id"]
    assert delivery["payload"] == {
        "_ab": "true",
        "t": "Hi",
        "a": "From REST",
        "cid": "rest_campaign",
        "uri": "myapp://x",
        "ab_use_webview": "false",
        "extra": '{"k":"v"}',
    }


@pytest.mark.parametrize(
    ("body", "status", "message", "field"),
    [
        ({"messages": {"android_push": {"title": "t", "alert": "a"}}}, 400, "No Recipients", "external_user_ids"),
        ({"external_user_ids": ["ada"]}, 400, "No message to send", "messages"),
        (
            {"external_user_ids": ["ada"], "messages": {"android_push": {"title": "t", "alert": "a", "extra": "x"}}},
            400,
            "Invalid Extra Push Payload",
            "messages.android_push.extra",
        ),
        (
            {"external_user_ids": ["ada"], "messages": {"android_push": {"alert": "a"}}},
            400,
            "Bad Request",
            "messages.android_push.title",
        ),
        ({"external_user_ids": ["ada"], "messages": {"email": {}}}, 400, "Bad Request", "messages.email"),
        (
            {"external_user_ids": [f"u{i}" for i in range(51)], "messages": {"apple_push": {"alert": "a"}}},
            400,
            "The max number of external_ids and aliases per request was exceeded",  # (docs/server-behaviour.md, rest-errors)
            "external_user_ids",
        ),
        (  # a whole segment is a broadcast, which Braze wants said (`broadcast` defaults to false:
            # docs/server-behaviour.md, rest-message-sends)
            {"segment_id": "gold", "messages": {"apple_push": {"alert": "a"}}},
            400,
            "Bad Request",
            "broadcast",
        ),
        (  # named by the REST key the caller wrote, not the emulator's platform name
            {"external_user_ids": ["ada"], "messages": {"apple_push": {"alert": "a", "extra": {"aps": 1}}}},
            400,
            "Bad Request",
            "messages.apple_push",
        ),
        (  # payload size limits (docs/server-behaviour.md, rest-errors): 1,912 bytes for iOS, 4,000 for Android
            {"external_user_ids": ["ada"], "messages": {"apple_push": {"alert": "x" * 1900}}},
            400,
            "Apple Push Length Exceeded",
            "messages.apple_push",
        ),
        (
            {"external_user_ids": ["ada"], "messages": {"android_push": {"title": "t", "alert": "x" * 4000}}},
            400,
            "Android Push Length Exceeded",
            "messages.android_push",
        ),
    ],
)
def test_rest_messages_send_errors_are_braze_shaped(lab, http, body, status, message, field):
    answer = http.post("/messages/send", json=body, headers={"Authorization": f"Bearer {lab.rest_key()}"})
    assert answer.status_code == status
    reply = answer.json()
    assert reply["message"] == message and reply["field"] == field and reply["errors"], reply


def test_rest_messages_within_the_size_limits_are_sent(lab, http):
    registered(lab, "android", "ada")
    body = {"external_user_ids": ["ada"], "messages": {"android_push": {"title": "t", "alert": "x" * 3000}}}
    answer = http.post("/messages/send", json=body, headers={"Authorization": f"Bearer {lab.rest_key()}"})
    assert answer.status_code == 201, answer.text


def test_rest_messages_send_needs_a_known_bearer_key(lab, http):
    body = {"external_user_ids": ["ada"], "messages": {"apple_push": {"alert": "a"}}}
    assert http.post("/messages/send", json=body).status_code == 401
    unknown = http.post("/messages/send", json=body, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.json()["message"] == "Unauthorized"
    bad_json = http.post("/messages/send", content=b"{", headers={"Authorization": f"Bearer {lab.rest_key()}"})
    assert bad_json.status_code == 400 and bad_json.json()["field"] == "body"


def test_opens_are_counted_on_the_push_campaign(lab, http, server):
    phone = registered(lab, "android", "ada")
    other = registered(lab, "ios", "bob")
    send(http, lab, external_ids=["ada", "bob"], campaign_id="restock", message={"title": "t", "body": "b"})

    def fetch(device_id):
        return http.get(f"/_emulator/scopes/{lab.scope}/push/outbox/{device_id}", params={"drain": "1"}).json()["deliveries"]

    for device in (phone, other):
        tray = PushReceiver(device, fetch)
        [push] = tray.poll()
        assert push.braze and push.campaign_id == "restock"
        tray.open()
    lab.expect.event("pc", data={"cid": "restock"}).exactly(2).within()
    metrics = http.get(f"/_emulator/scopes/{lab.scope}/metrics", params={"campaign": "restock"}).json()
    assert metrics["kind"] == "push" and metrics["sent"] == 2
    assert metrics["totals"] == {"pc": 2} and metrics["uniques"] == {"pc": 2}
    assert set(metrics["by_user"]) == {"user:ada", "user:bob"}

    # a web push open carries the tracking string (base64 "<campaign>_..."); it counts on the same campaign
    phone.log_event("pc", {"cid": web_tracking_id("restock")})
    phone.request_immediate_data_flush()
    lab.expect.event("pc").exactly(3).within()
    assert http.get(f"/_emulator/scopes/{lab.scope}/metrics", params={"campaign": "restock"}).json()["totals"] == {"pc": 3}


def test_a_stale_token_is_not_taken_and_reset_empties_the_outbox(lab, http, server):
    phone = registered(lab, "android", "ada")
    send(http, lab, external_ids=["ada"], message={"title": "t"})
    [delivery] = http.get(f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}").json()["deliveries"]
    phone.register_push_token()  # the OS rotated the token: the old delivery is for a token the device lost
    tray = PushReceiver(phone)
    assert tray.receive(delivery) is None and tray.ignored[-1]["reason"] == "sent to a token this device no longer holds"
    server.emulator.reset(lab.scope)
    assert http.get(f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}").json()["deliveries"] == []


def test_a_web_token_gets_the_service_worker_payload_and_its_keys(lab, http):
    key = lab.api_key("web")
    device_id = "web-device-1"
    lab.emulator.claim_devices(lab.scope, [device_id])
    endpoint = "https://fcm.googleapis.com/fcm/send/qa-abc:APA91bxyz"
    attrs = {
        "user_id": "webby",
        "push_token": endpoint,
        "custom_push_public_key": "cGsK",
        "custom_push_user_auth": "YXU=",
        "custom_push_vapid_public_key": "dms=",
    }
    answer = http.post(
        "/api/v3/data/",
        content=data_body(api_key=key, device_id=device_id, events=[ss(user="webby")], attributes=[attrs]),
        headers={"X-Braze-Api-Key": key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    lab.expect.profile("webby").has(push_tokens=1).within()
    [delivery] = send(http, lab, external_ids=["webby"], campaign_id="sale", message={"title": "Sale", "body": "-20%"}).json()[
        "deliveries"
    ]
    assert delivery["platform"] == "web" and delivery["token"] == endpoint
    assert delivery["payload"] == {"t": "Sale", "a": "-20%", "cid": web_tracking_id("sale")}
    assert delivery["web_push_keys"] == {"p256dh": "cGsK", "auth": "YXU=", "vapid_public_key": "dms="}
    only_android = send(http, lab, external_ids=["webby"], platforms=["android"], message={"title": "x"}).json()
    assert only_android["deliveries"] == [] and only_android["skipped"][0]["reason"] == "no web message in this send"


def test_a_push_arriving_while_notifications_are_off_cannot_be_opened(lab, http):
    phone = registered(lab, "android", "ada")
    send(http, lab, external_ids=["ada"], campaign_id="quiet", message={"title": "t"})
    [delivery] = http.get(f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}").json()["deliveries"]
    phone.set_push_permission(False)  # revoked after the send, before FCM handed it over
    tray = PushReceiver(phone)
    push = tray.receive(delivery)
    assert push is not None and push.shown is False and tray.latest() is None
    with pytest.raises(ValueError, match="notifications were off"):
        tray.open(push)
    assert tray.receive(delivery) is push  # the same delivery twice is one notification


def test_a_push_already_in_the_tray_is_not_new_when_the_outbox_is_drained(lab, http):
    phone = registered(lab, "android", "ada")
    send(http, lab, external_ids=["ada"], campaign_id="once", message={"title": "t", "body": "b"})
    path = f"/_emulator/scopes/{lab.scope}/push/outbox/{phone.device_id}"
    [delivery] = http.get(path).json()["deliveries"]
    tray = PushReceiver(phone, lambda device_id: http.get(path, params={"drain": "1"}).json()["deliveries"])
    assert tray.receive(delivery) is not None  # handed over by the test first ...
    assert tray.poll() == []  # ... then the outbox drained: the same notification, nothing new
    assert len(tray.tray) == 1
