"""Virtual devices send what the real SDKs send (docs/mobile-wire.md, event-codes, date-of-birth and
mobile-only-endpoints): whole-second session lengths, Android 43's changeUser attributes object, Swift 18's date of
birth, all accepted by the emulator without a problem (the `lab` fixture checks every request)."""

from __future__ import annotations

import pytest
from braze_harness.devices.virtual import DeviceClock

T0 = 1_800_000_000.0


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_a_session_length_goes_out_in_whole_seconds(lab, platform):
    clock = DeviceClock(start=T0, realtime=False)
    device = lab.device(platform, clock=clock)
    device.open_session()
    first = device.session_id
    clock.advance(2.4)
    device.close_session()
    device.advance(15)
    device.open_session()

    [se] = [e for b in device.bodies() for e in b.get("events", []) if e["name"] == "se"]
    assert se["session_id"] == first
    assert se["data"] == {"d": 3} and isinstance(se["data"]["d"], int)  # 2.4 s rounded up, never 0


def test_android_change_user_sends_the_user_id_as_an_attributes_object(lab):
    device = lab.device("android")
    device.open_session()
    device.change_user("ada")

    body = device.bodies()[-1]
    assert body["attributes"] == [{"user_id": "ada"}]
    lab.expect.profile("ada").within()


def test_ios_change_user_sends_no_attributes_object(lab):
    device = lab.device("ios")
    device.open_session()
    device.change_user("ada")

    assert "attributes" not in device.bodies()[-1]


@pytest.mark.parametrize(("platform", "sent"), [("ios", "1990-07-04T00:00:00Z"), ("android", "1990-07-04")])
def test_the_date_of_birth_goes_out_as_each_sdk_sends_it_and_is_stored_as_a_date(lab, platform, sent):
    device = lab.device(platform)
    device.open_session()
    device.change_user("ada")
    device.set_attribute("dob", "1990-07-04")
    device.request_immediate_data_flush()

    [attrs] = [a for b in device.bodies() for a in b.get("attributes", []) if "dob" in a]
    assert attrs["dob"] == sent
    lab.expect.profile("ada").has(dob="1990-07-04").within()
