"""Virtual SDK devices on the wire, per platform (docs/mobile-wire.md, envelope-and-device-object, headers and
event-codes): ids, envelope, device diff, 32-event dispatches, headers, respond_with; every request decodes cleanly
through `braze_harness.protocol`."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from braze_harness.devices.virtual import DeviceClock, VirtualDevice
from braze_harness.protocol import decode

UUID_LOWER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")


def data_bodies(device: VirtualDevice) -> list[dict]:
    return device.bodies("data")


@pytest.mark.parametrize(
    ("platform", "id_format", "time_type", "sdk_version"),
    [("android", UUID_LOWER, int, "43.0.0"), ("ios", UUID_UPPER, float, "18.0.0")],
)
def test_envelope_device_id_and_session_start_per_platform(lab, platform, id_format, time_type, sdk_version):
    device = lab.device(platform)
    assert id_format.match(device.device_id)

    assert device.open_session() is True  # sent at once: no flush needed
    [body] = data_bodies(device)
    assert body["device_id"] == device.device_id and body["api_key"] == lab.api_key(platform)
    assert type(body["time"]) is time_type
    assert body["sdk_version"] == sdk_version
    assert body["app_version"] and body["app_version_code"]
    [ss] = body["events"]
    assert ss["name"] == "ss" and isinstance(ss["time"], float)
    assert id_format.match(ss["session_id"])
    assert "user_id" not in ss and "user_id" not in body["respond_with"]  # anonymous: omitted
    if platform == "android":
        assert ss["data"] == {} and "sdk_metadata" not in body
    else:
        assert "data" not in ss and body["sdk_metadata"] == ["manu"]
    assert body["respond_with"] == {"config": {"config_time": 0}, "triggers": True}

    lab.expect.session_start(user=None, device=device.device_id, session=ss["session_id"]).within()
    entry = lab.entries(endpoint="data")[0]
    assert entry.request.ok and entry.request.problems == []


def test_android_device_object_keys(lab):
    device = lab.device("android")
    device.open_session()
    sent = data_bodies(device)[0]["device"]
    assert set(sent) == {"os_version", "carrier", "brand", "model", "locale", "time_zone", "android_is_background_restricted"}
    assert sent["os_version"].isdigit()  # the API level, as a string
    assert "remote_notification_enabled" not in sent  # only next to a push token (test_virtual_push)


def test_ios_device_object_keys(lab):
    device = lab.device("ios")
    device.open_session()
    device.set_push_permission(True)
    device.request_immediate_data_flush()
    first, second = data_bodies(device)
    assert {"model", "os_version", "locale", "time_zone"} <= set(first["device"])
    assert second["device"] == {"ios_push_auth": "authorized", "remote_notification_enabled": 1}


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_device_object_is_sent_as_a_diff_only_when_it_changed(lab, platform):
    device = lab.device(platform)
    device.open_session()
    device.log_custom_event("one")
    device.request_immediate_data_flush()
    device.set_device_info(locale="de_DE", time_zone="Europe/Berlin")
    device.log_custom_event("two")
    device.request_immediate_data_flush()
    device.set_device_info(locale="de_DE")  # no change
    device.log_custom_event("three")
    device.request_immediate_data_flush()

    first, second, third, fourth = data_bodies(device)
    assert first["device"]["locale"] == "en_US"
    assert "device" not in second  # acknowledged: not repeated
    assert third["device"] == {"locale": "de_DE", "time_zone": "Europe/Berlin"}
    assert "device" not in fourth
    # the emulator merges the diffs into what it knows about the device
    profile = lab.expect.profile(device_id=device.device_id).has(custom_events={"three": 1}).within()
    [use] = profile["devices"]
    assert use["device"]["locale"] == "de_DE" and use["device"]["model"] == first["device"]["model"]


def test_device_diff_is_resent_until_acknowledged(lab, server):
    device = lab.device("android", base_url="http://127.0.0.1:9", max_attempts=1)  # nothing listens on port 9
    device.open_session()
    assert device.deliveries[-1].retriable and device.queue.events
    device.transport.root = f"{server.url}/api/v3"  # the network is back
    device.request_immediate_data_flush()
    failed, delivered = data_bodies(device)
    assert failed["device"] == delivered["device"]  # not acknowledged the first time: sent again in full
    assert [e["name"] for e in delivered["events"]] == ["ss"]


def test_android_sends_at_most_32_events_per_request(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("many")
    device.set_attributes(first_name="Many")
    for i in range(70):
        device.log_custom_event("tick", {"i": i})
    device.request_immediate_data_flush()

    bodies = data_bodies(device)[2:]  # after the session start and the changeUser requests
    assert [len(b["events"]) for b in bodies] == [32, 32, 6]
    assert "attributes" in bodies[0] and all("attributes" not in b for b in bodies[1:])
    assert [e["data"]["p"]["i"] for b in bodies for e in b["events"]] == list(range(70))  # in order
    lab.expect.custom_event("tick", user="many").exactly(70).within(settle=0.2)
    lab.expect.profile("many").has(first_name="Many", custom_events={"tick": 70}).within()


def test_ios_sends_a_large_batch_in_one_request(lab):
    device = lab.device("ios")
    device.open_session()
    for i in range(70):
        device.log_custom_event("tick", {"i": i})
    device.request_immediate_data_flush()
    assert len(data_bodies(device)[-1]["events"]) == 70
    lab.expect.custom_event("tick").exactly(70).within(settle=0.2)


@pytest.mark.parametrize(
    ("platform", "flags"),
    [
        ("android", ("X-Braze-DataRequest", "X-Braze-TriggersRequest")),
        ("ios", ("X-Braze-Datarequest", "X-Braze-Triggersrequest")),
    ],
)
def test_headers_per_endpoint(lab, platform, flags):
    data_flag, triggers_flag = flags
    device = lab.device(platform)
    device.open_session()  # /data with triggers, then content_cards/sync and feature_flags/sync
    device.log_custom_event("later")
    device.request_immediate_data_flush()

    by_endpoint: dict[str, list] = {}
    for attempt in device.sent:
        by_endpoint.setdefault(attempt.endpoint, []).append(attempt)
    start, later = by_endpoint["data"]
    for attempt in device.sent:
        assert attempt.headers["X-Braze-Api-Key"] == device.api_key
        assert attempt.headers["Content-Type"] == "application/json"
        assert attempt.headers["X-Braze-Req-Attempt"] == "1"
    assert start.headers[data_flag] == "true" and start.headers[triggers_flag] == "true"
    assert later.headers[data_flag] == "true" and triggers_flag not in later.headers
    assert "triggers" not in later.json["respond_with"]
    # ms since the last request to the same endpoint, 7 200 000 (the cap) when there was none
    assert start.headers["X-Braze-Last-Req-Ms-Ago"] == "7200000"
    assert 0 <= int(later.headers["X-Braze-Last-Req-Ms-Ago"]) < 7_200_000
    [cards] = by_endpoint["content_cards/sync"]
    [flags_sync] = by_endpoint["feature_flags/sync"]
    names = {k.lower() for k in cards.headers}
    assert {"x-braze-contentcardsrequest", "braze-sync-retry-count"} <= names
    assert "x-braze-featureflagsrequest" in {k.lower() for k in flags_sync.headers}
    if platform == "android":
        assert start.headers["User-Agent"].startswith("Dalvik/2.1.0 (Linux; U; Android")
        assert start.headers["Accept-Encoding"] == "gzip, deflate"
    else:
        assert re.match(r"^\S+/\S+ CFNetwork/\S+ Darwin/\S+$", start.headers["User-Agent"])
        assert start.headers["Accept-Encoding"] == "gzip, deflate, br"
    # the decoder reads them as Braze headers
    decoded = decode("POST", start.url, start.headers, start.body).braze
    assert decoded.req_attempt == 1 and decoded.last_req_ms_ago == 7_200_000
    assert set(decoded.flags) == {"data", "triggers"}
    entries = lab.entries()
    assert {e.request.endpoint.value for e in entries} == {"data", "content_cards/sync", "feature_flags/sync"}


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_respond_with_carries_the_server_config_time_and_the_user(lab, server, platform):
    device = lab.device(platform)
    device.open_session()
    assert device.config_time == server.emulator.config.time  # parsed from the first /data/ answer
    assert device.server_config is not None and device.server_config.request_backoff is not None
    device.change_user("ada")
    device.log_custom_event("x")
    device.request_immediate_data_flush()
    first, change, later = data_bodies(device)
    assert first["respond_with"]["config"] == {"config_time": 0}
    assert change["respond_with"] == {"config": {"config_time": device.config_time}, "triggers": True, "user_id": "ada"}
    assert later["respond_with"] == {"config": {"config_time": device.config_time}, "user_id": "ada"}
    assert "config" not in device.deliveries[-1].body  # up to date: the emulator sends no config


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_event_times_come_from_the_device_clock(lab, platform):
    clock = DeviceClock(start=1_800_000_000.0, realtime=False)
    device = lab.device(platform, clock=clock)
    device.open_session()
    clock.advance(2.5)
    device.log_custom_event("later")
    device.request_immediate_data_flush()
    start, later = data_bodies(device)
    assert start["events"][0]["time"] == 1_800_000_000.0
    assert later["events"][0]["time"] == 1_800_000_002.5
    assert later["time"] == (1_800_000_002 if platform == "android" else 1_800_000_002.5)


def test_custom_attributes_events_and_purchases_on_the_wire(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("typed")
    assert device.set_custom_attribute("plan", "pro")
    assert device.set_custom_attribute("when", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert device.set_custom_attribute("tags", ["a", "b"])  # a string array: setCustomAttributeArray
    assert device.set_custom_attribute("orders", [{"id": 1, "at": dt.date(2024, 5, 6)}])
    assert device.add_to_custom_attribute_array("tags", "c")
    assert device.remove_from_custom_attribute_array("tags", "a")
    assert device.increment_custom_attribute("visits", 3)
    assert device.merge_custom_attribute("address", {"geo": {"y": 2}})
    assert device.set_location_attribute("home", 51.5, -0.12)
    assert device.unset_location_attribute("work")
    assert device.unset_custom_attribute("gone")
    assert device.set_attributes(first_name="Ada", gender="female", dob=dt.date(1815, 12, 10)) == {
        "first_name": True,
        "gender": True,
        "dob": True,
    }
    assert device.log_purchase("sku-42", 9.99, "eur", 2, {"colour": "blue"})
    assert device.log_custom_event("played", {"at": dt.datetime(2024, 1, 2, tzinfo=dt.UTC), "n": 1})
    # what the SDKs refuse is not queued
    assert not device.log_custom_event("")
    assert not device.log_purchase("sku", float("nan"))
    assert not device.log_purchase("sku", 1.0, "EURO")
    assert not device.log_purchase("sku", 1.0, quantity=0)
    assert not device.set_custom_attribute("", 1)
    assert not device.set_custom_attribute("$bad", 1)
    device.request_immediate_data_flush()

    body = data_bodies(device)[-1]
    [attrs] = body["attributes"]
    assert attrs == {
        "user_id": "typed",
        "first_name": "Ada",
        "gender": "f",
        "dob": "1815-12-10",
        "custom": {
            "plan": "pro",
            "when": "2024-01-02T03:04:05",
            "orders": [{"id": 1, "at": {"$time": "2024-05-06T00:00:00"}}],
            "gone": None,
        },
    }
    codes = [(e["name"], e.get("data")) for e in body["events"]]
    assert codes == [
        ("set", {"key": "tags", "value": ["a", "b"]}),
        ("add", {"key": "tags", "value": "c"}),
        ("rem", {"key": "tags", "value": "a"}),
        ("inc", {"key": "visits", "value": 3}),
        ("ncam", {"key": "address", "value": {"geo": {"y": 2}}}),
        ("lcaa", {"key": "home", "latitude": 51.5, "longitude": -0.12}),
        ("lcar", {"key": "work"}),
        ("p", {"pid": "sku-42", "c": "EUR", "p": 9.99, "q": 2, "pr": {"colour": "blue"}}),
        ("ce", {"n": "played", "p": {"at": "2024-01-02T00:00:00", "n": 1}}),
    ]
    assert all(e["user_id"] == "typed" and e["session_id"] == device.session_id for e in body["events"])
    lab.expect.purchase("sku-42", price=9.99, currency="EUR", quantity=2, user="typed").within()
    profile = lab.expect.profile("typed").has(custom={"tags": ["b", "c"], "visits": 3}, purchases={"sku-42": 2}).within()
    assert profile["attributes"]["custom"]["home"]["latitude"] == 51.5


def test_server_blacklists_are_honoured(lab, server):
    device = lab.device("android")
    device.open_session()
    assert device.server_config is not None
    device.server_config.events_blacklist = ["spam"]
    device.server_config.attributes_blacklist = ["secret"]
    device.server_config.purchases_blacklist = ["free"]
    assert not device.log_custom_event("spam")
    assert not device.set_custom_attribute("secret", 1)
    assert not device.log_purchase("free", 0.0)
    assert device.log_custom_event("ham")
    device.request_immediate_data_flush()
    assert [e["data"]["n"] for e in data_bodies(device)[-1]["events"]] == ["ham"]


def test_nothing_queued_sends_nothing(lab):
    device = lab.device("ios")
    device.open_session()
    sent = len(device.sent)
    assert device.request_immediate_data_flush() == []
    assert len(device.sent) == sent
