"""Push payloads per platform (docs/mobile-wire.md, push-payloads; @braze/service-worker), `.apns` files and adb broadcasts."""

from __future__ import annotations

import json
import shlex

import orjson
import pytest
from braze_harness.devices.tools.push_delivery import adb_broadcast, simctl_push, write_apns_file
from braze_harness.devices.tools.simctl import APNS_MAX_BYTES
from braze_harness.devices.virtual.push import parse_payload
from braze_harness.emulator.push.service import token_platform
from braze_harness.protocol.push import (
    PayloadError,
    PushMessage,
    apns_payload,
    campaign_from_tracking,
    campaign_of,
    fcm_data,
    fcm_message,
    is_braze_push,
    web_push_payload,
    web_tracking_id,
)

MESSAGE = PushMessage(
    title="Back in stock",
    body="Your sneakers",
    campaign_id="restock",
    uri="myapp://deal/7",
    extra={"sku": "7", "tier": "gold"},
    image_url="https://cdn.example.com/shoe.png",
    custom_id=42,
)


def test_fcm_data_message_has_the_braze_keys_as_strings():
    data = fcm_data(MESSAGE)
    assert data == {
        "_ab": "true",
        "t": "Back in stock",
        "a": "Your sneakers",
        "cid": "restock",
        "uri": "myapp://deal/7",
        "ab_use_webview": "false",
        "extra": '{"sku":"7","tier":"gold"}',
        "ab_iu": "https://cdn.example.com/shoe.png",
        "n": "42",
    }
    assert all(isinstance(v, str) for v in data.values())  # FCM data values are strings
    assert fcm_message("tok", MESSAGE)["message"] == {"token": "tok", "data": data, "android": {"priority": "high"}}


def test_apns_payload_has_aps_alert_and_the_ab_dictionary():
    payload = apns_payload(MESSAGE, bundle_id="com.example.app")
    assert payload["Simulator Target Bundle"] == "com.example.app"
    assert payload["aps"]["alert"] == {"title": "Back in stock", "body": "Your sneakers"}
    assert payload["ab"]["c"] == "restock"
    assert payload["ab"]["att"] == {"url": "https://cdn.example.com/shoe.png", "type": "png"}
    assert payload["ab_uri"] == "myapp://deal/7"
    assert payload["sku"] == "7" and payload["tier"] == "gold"  # extras are top-level keys
    assert "Simulator Target Bundle" not in apns_payload(MESSAGE)


def test_apns_extra_may_not_use_ab_or_aps():
    with pytest.raises(PayloadError, match=r"extra\.aps"):
        apns_payload(PushMessage(title="t", extra={"aps": {}}))


def test_web_push_payload_is_what_the_service_worker_reads():
    payload = web_push_payload(MESSAGE)
    assert payload == {
        "t": "Back in stock",
        "a": "Your sneakers",
        "cid": web_tracking_id("restock"),
        "u": "myapp://deal/7",
        "img": "https://cdn.example.com/shoe.png",
        "e": {"sku": "7", "tier": "gold"},
    }
    # the Web SDK matches push_click triggers with atob(cid).split("_")[0]
    assert campaign_from_tracking(payload["cid"]) == "restock"
    assert campaign_from_tracking("restock") is None
    assert campaign_from_tracking("!!") is None


def test_braze_marker_and_campaign_per_platform():
    assert is_braze_push(fcm_data(MESSAGE)) and is_braze_push(apns_payload(MESSAGE))
    assert not is_braze_push({"title": "from another provider"})
    assert not is_braze_push({"aps": {"alert": "x"}, "ab": {}})
    assert campaign_of(fcm_data(MESSAGE)) == "restock" == campaign_of(apns_payload(MESSAGE))


def test_a_message_needs_a_title_or_body_and_an_object_extra():
    with pytest.raises(PayloadError, match="title or a body"):
        PushMessage().check()
    with pytest.raises(PayloadError, match="extra must be an object"):
        PushMessage(title="t", extra=["x"]).check()  # type: ignore[arg-type]
    with pytest.raises(PayloadError, match="custom_id"):
        PushMessage(title="t", custom_id="7").check()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "app_platform", "expected"),
    [
        ("a" * 64, "web", "ios"),
        ("https://fcm.googleapis.com/fcm/send/x", "web", "web"),
        ("abc:APA91bxyz", "web", "android"),
        ("a" * 64, "android", "android"),  # the app's own platform wins
    ],
)
def test_token_platform(token, app_platform, expected):
    assert token_platform(token, app_platform) == expected


def _delivery(platform, payload):
    return {"id": "d-1", "platform": platform, "payload": payload}


def test_apns_file_for_simctl_push(tmp_path):
    path = write_apns_file(_delivery("ios", apns_payload(MESSAGE)), tmp_path, bundle_id="com.example.app")
    assert path.name == "d-1.apns"
    written = json.loads(path.read_text())
    assert written["Simulator Target Bundle"] == "com.example.app"
    assert written["aps"]["alert"]["title"] == "Back in stock"


def test_simctl_push_argv_names_the_written_file(tmp_path):
    out = simctl_push(_delivery("ios", apns_payload(MESSAGE)), tmp_path, bundle_id="com.example.app")
    assert out["argv"] == ["xcrun", "simctl", "push", "booted", "com.example.app", str(out["file"])]
    assert json.loads(out["file"].read_text())["ab"]["c"] == "restock"


def test_apns_file_over_4096_bytes_is_refused(tmp_path):
    big = apns_payload(PushMessage(title="t", body="x" * APNS_MAX_BYTES))
    with pytest.raises(PayloadError, match="the limit is 4096"):
        write_apns_file(_delivery("ios", big), tmp_path, bundle_id="com.example.app")
    assert list(tmp_path.iterdir()) == []
    exact = apns_payload(PushMessage(title="t", body=""))
    room = APNS_MAX_BYTES - len(orjson.dumps({"Simulator Target Bundle": "com.example.b", **exact}))
    fits = apns_payload(PushMessage(title="t", body="x" * room))
    assert write_apns_file(_delivery("ios", fits), tmp_path, bundle_id="com.example.b").stat().st_size == APNS_MAX_BYTES


def test_apns_file_refuses_other_platforms(tmp_path):
    with pytest.raises(PayloadError, match="not an APNs one"):
        write_apns_file(_delivery("android", fcm_data(MESSAGE)), tmp_path, bundle_id="b")


def test_adb_broadcast_sends_the_data_as_string_extras():
    data = fcm_data(MESSAGE)
    out = adb_broadcast(_delivery("android", data), component="com.example.app/.debug.PushReceiver", serial="emulator-5554")
    argv = out["argv"]
    assert argv[:6] == ["adb", "-s", "emulator-5554", "shell", "am", "broadcast"]
    assert argv[6:10] == ["-a", "firebase_messaging_service_routing_action", "-n", "com.example.app/.debug.PushReceiver"]
    # `adb shell` hands the device shell one command line: every FCM key and value survives its quoting
    words = shlex.split(" ".join(argv[4:]))
    assert {words[i + 1]: words[i + 2] for i, w in enumerate(words) if w == "--es"} == data
    by_package = adb_broadcast(_delivery("android", data), package="com.example.app")["argv"]
    assert by_package[:7] == ["adb", "shell", "am", "broadcast", "-a", "firebase_messaging_service_routing_action", "-p"]
    with pytest.raises(PayloadError, match="not an FCM one"):
        adb_broadcast(_delivery("ios", apns_payload(MESSAGE)), package="com.example.app")
    with pytest.raises(PayloadError, match="component"):
        adb_broadcast(_delivery("android", data))
    # `adb shell` re-parses the line on the device: a package name is checked, never passed through as shell text
    with pytest.raises(ValueError, match="not an Android package name"):
        adb_broadcast(_delivery("android", data), package="com.example.app;reboot")
    # an action word that also appears earlier in the argv still gets `-p` right after `-a ACTION`
    shell_action = adb_broadcast(_delivery("android", data), package="com.example.app", action="shell")["argv"]
    assert shell_action[:8] == ["adb", "shell", "am", "broadcast", "-a", "shell", "-p", "com.example.app"]


def test_the_virtual_devices_read_the_payloads_like_the_sdks():
    android = parse_payload("android", fcm_data(MESSAGE), "d-1")
    assert (android.braze, android.campaign_id, android.title, android.body, android.uri) == (
        True,
        "restock",
        "Back in stock",
        "Your sneakers",
        "myapp://deal/7",
    )
    assert android.extra == {"sku": "7", "tier": "gold"}  # the JSON string parsed
    ios = parse_payload("ios", apns_payload(MESSAGE, bundle_id="b"))
    assert (ios.braze, ios.campaign_id, ios.uri, ios.extra) == (True, "restock", "myapp://deal/7", {"sku": "7", "tier": "gold"})
    other = parse_payload("android", {"t": "x", "extra": "{not json"})
    assert other.braze is False and other.extra == {}
