"""Push tokens in the emulator state: one per (app, device), moved with the logged-in user, removed by null or unregister."""

from __future__ import annotations

import json
from typing import Any

from braze_harness.emulator.state import EmulatorState
from braze_harness.protocol import decode

from tests.support.fake_sdk import FakeSdk
from tests.support.paths import CAPTURES

CAPTURES = CAPTURES


def tokens(state: EmulatorState, external_id: str) -> list[dict[str, Any]]:
    assert state.index_errors() == []
    [profile] = state.profiles(external_id=external_id)
    return state.profile_json(profile)["push_tokens"]


def test_push_token_attribute_registers_the_token_for_app_and_device() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="dev-1")
    sdk.change_user("u1")
    assert sdk.set_attributes(push_token="tok-1", custom_push_public_key="pk", custom_push_user_auth="auth") == []
    assert tokens(state, "u1") == [
        {"app": "test-api-key", "device_id": "dev-1", "token": "tok-1", "platform": "web", "notifications_enabled": True}
    ]
    assert state.profiles(external_id="u1")[0].push_tokens[("test-api-key", "dev-1")].keys == {
        "custom_push_public_key": "pk",
        "custom_push_user_auth": "auth",
    }
    sdk.set_attributes(push_token="tok-2")  # re-registration at session start replaces it
    assert [t["token"] for t in tokens(state, "u1")] == ["tok-2"]


def test_null_push_token_removes_it() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("u1")
    sdk.set_attributes(push_token="tok")
    # what the Web SDK sends at session start when notifications are blocked (docs/web-sdk-wire.md, push)
    sdk.set_attributes(
        push_token=None, custom_push_public_key=None, custom_push_user_auth=None, custom_push_vapid_public_key=None
    )
    assert tokens(state, "u1") == []


def test_switching_user_moves_the_device_token_and_back() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(push_token="tok")
    sdk.change_user("b")
    assert tokens(state, "a") == []
    assert [t["token"] for t in tokens(state, "b")] == ["tok"]
    sdk.change_user("a")
    assert [t["token"] for t in tokens(state, "a")] == ["tok"]
    assert tokens(state, "b") == []


def test_a_newer_request_for_another_user_moves_the_token_even_without_a_session_start() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(push_token="tok")
    late_a = sdk.request(attributes=[sdk.attributes(first_name="A")])  # a's older request, delivered last
    sdk.tick(5)
    sdk.send(attributes=[sdk.attributes(user="b", first_name="B")])
    assert [t["token"] for t in tokens(state, "b")] == ["tok"]
    sdk.apply(late_a)
    assert [t["token"] for t in tokens(state, "b")] == ["tok"]


def test_late_events_of_the_previous_user_do_not_take_the_token_back() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(push_token="tok")
    late = sdk.request([sdk.event("ce", {"n": "late", "p": {}})])  # a's event, delivered after the switch
    sdk.change_user("b")
    sdk.apply(late)
    assert [t["token"] for t in tokens(state, "b")] == ["tok"]
    assert tokens(state, "a") == []


def test_a_session_end_of_the_previous_user_does_not_take_the_token_back() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(push_token="tok")
    a_end = sdk.end_session_event()
    sdk.session_id = None
    sdk.change_user("b")
    # a's `se` is dated after b's `ss` (mobile SDKs date it at the next launch): it describes the past
    sdk.send([{**a_end, "time": sdk.tick(60)}])
    assert [t["token"] for t in tokens(state, "b")] == ["tok"]


def test_token_is_per_app_and_device_so_other_devices_keep_theirs() -> None:
    state = EmulatorState()
    phone = FakeSdk(state, device_id="phone")
    phone.change_user("a")
    phone.set_attributes(push_token="phone-tok")
    laptop = FakeSdk(state, device_id="laptop")
    laptop.change_user("a")
    laptop.set_attributes(push_token="laptop-tok")
    laptop.change_user("b")
    assert [t["token"] for t in tokens(state, "a")] == ["phone-tok"]
    assert [t["token"] for t in tokens(state, "b")] == ["laptop-tok"]


def test_registering_a_device_token_for_another_user_moves_it() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(push_token="tok")
    sdk.send(attributes=[sdk.attributes(user="c", push_token="tok-c")])
    assert tokens(state, "a") == []
    assert [t["token"] for t in tokens(state, "c")] == ["tok-c"]


def test_anonymous_token_moves_to_the_existing_user_on_merge() -> None:
    state = EmulatorState()
    FakeSdk(state, device_id="phone").change_user("u1")
    sdk = FakeSdk(state, device_id="laptop")
    sdk.open_session()
    sdk.set_attributes(push_token="anon-tok")
    sdk.change_user("u1")
    assert [(t["device_id"], t["token"]) for t in tokens(state, "u1")] == [("laptop", "anon-tok")]


def test_late_anonymous_null_token_does_not_remove_the_known_users_token() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.open_session()
    late = sdk.request(attributes=[sdk.attributes(push_token=None)])
    sdk.change_user("u1")
    sdk.set_attributes(push_token="tok")
    assert sdk.apply(late) == []
    assert [t["token"] for t in tokens(state, "u1")] == ["tok"]


def test_push_unregister_removes_the_token_by_device_or_by_value() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="dev-1")
    sdk.change_user("u1")
    sdk.set_attributes(push_token="tok-1")
    assert sdk.unregister_push("tok-1") == []
    assert tokens(state, "u1") == []

    # by value: the token was registered from another device id of the same app
    sdk.set_attributes(push_token="tok-2")
    other = FakeSdk(state, device_id="dev-2")
    assert other.unregister_push("tok-2") == []
    assert tokens(state, "u1") == []

    problems = sdk.unregister_push("never-registered")
    assert [p.where for p in problems] == ["push_token"]


def test_android_token_carries_notifications_enabled_from_the_device_object() -> None:
    state = EmulatorState()
    state.create_app("android-key", workspace="prod", platform="android")
    sdk = FakeSdk(state, api_key="android-key", device={"os_version": "34", "remote_notification_enabled": False})
    sdk.change_user("u1")
    sdk.set_attributes(push_token="fcm-token")
    [token] = tokens(state, "u1")
    assert (token["platform"], token["notifications_enabled"]) == ("android", False)


def test_replaying_e_push_registers_then_unregisters_the_anonymous_token() -> None:
    state = EmulatorState()
    posts = [x for x in json.loads((CAPTURES / "e_push.json").read_text())["exchanges"] if x["method"] == "POST"]
    device_id = posts[0]["body"]["device_id"]
    seen: list[list[str]] = []
    for i, x in enumerate(posts):
        assert state.apply(decode(x["method"], x["path"], x["headers"], x["body"]), received_at=float(i)) == []
        [profile] = state.profiles(device_id=device_id)
        seen.append([t["token"] for t in state.profile_json(profile)["push_tokens"]])
    fcm = "https://fcm.googleapis.com/fcm/send/fake-endpoint-token:APA91b-lab"
    assert [fcm] in seen, "the stubbed subscription registered a token"
    assert seen[-1] == []
