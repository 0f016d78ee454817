"""Workspaces, apps, scopes, the unknown-api-key policy, reads and thread-safety of the emulator state."""

from __future__ import annotations

import threading

import pytest
from braze_harness.emulator.state import EmulatorState, UnknownApiKey
from braze_harness.protocol import decode

from tests.support.fake_sdk import FakeSdk


def test_same_external_id_under_test_and_prod_keys_is_two_profiles() -> None:
    state = EmulatorState()
    state.create_app("test-key", workspace="test", name="Web (test)")
    state.create_app("prod-key", workspace="prod")
    for key, name in (("test-key", "Tess"), ("prod-key", "Prue")):
        sdk = FakeSdk(state, api_key=key, device_id="same-browser")
        sdk.change_user("u1")
        sdk.set_attributes(first_name=name)
    found = state.profiles(external_id="u1")
    assert sorted((p.workspace, p.standard["first_name"]) for p in found) == [("prod", "Prue"), ("test", "Tess")]
    assert found[0].braze_id != found[1].braze_id
    assert [p.standard["first_name"] for p in state.profiles(api_key="test-key")] == ["Tess"]
    assert [p.standard["first_name"] for p in state.profiles(workspace="prod")] == ["Prue"]


def test_apps_of_one_workspace_share_its_profiles() -> None:
    state = EmulatorState()
    state.create_app("web-key", workspace="shop")
    state.create_app("ios-key", workspace="shop", platform="ios")
    for key in ("web-key", "ios-key"):
        sdk = FakeSdk(state, api_key=key)
        sdk.change_user("u1")
    [profile] = state.profiles(external_id="u1")
    assert sorted((d.app, d.platform) for d in profile.devices.values()) == [("ios-key", "ios"), ("web-key", "web")]
    assert state.profiles(api_key="ios-key")[0].braze_id == profile.braze_id


def test_unknown_api_key_is_auto_created_in_the_default_workspace() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, api_key="never-seen")
    sdk.open_session()
    app = state.app("never-seen")
    assert (app.workspace, app.auto_created, app.scope) == ("default", True, None)
    assert len(state.profiles(workspace="default")) == 1


def test_unknown_api_key_is_rejected_under_the_reject_policy() -> None:
    state = EmulatorState(unknown_api_keys="reject")
    with pytest.raises(UnknownApiKey) as raised:
        state.app("nope")
    assert raised.value.api_key == "nope"
    sdk = FakeSdk(state, api_key="nope")
    with pytest.raises(UnknownApiKey):
        sdk.open_session()
    assert state.profiles() == []
    state.create_app("nope", workspace="w")
    assert sdk.open_session() == []
    assert len(state.profiles()) == 1


def test_a_workspace_belongs_to_one_scope_and_a_key_to_one_workspace() -> None:
    state = EmulatorState()
    state.create_app("k1", workspace="s1/test", scope="s1")
    assert state.create_app("k1", workspace="s1/test", scope="s1") == state.app("k1")  # idempotent
    with pytest.raises(ValueError, match="scope"):
        state.create_app("k2", workspace="s1/test", scope="s2")
    with pytest.raises(ValueError, match="workspace"):
        state.create_app("k1", workspace="other")
    assert state.scope_of_api_key("k1") == "s1"
    assert state.scope_of_api_key("unknown") is None


def test_reset_of_one_scope_touches_nothing_else() -> None:
    state = EmulatorState()
    state.create_app("a-key", workspace="a/test", scope="a")
    state.create_app("b-key", workspace="b/test", scope="b")
    for key in ("a-key", "b-key", "default-key"):
        sdk = FakeSdk(state, api_key=key)
        sdk.change_user("u1")
        sdk.log_event("e")
    b_before = [state.profile_json(p) for p in state.profiles(scope="b")]

    state.reset("a")

    assert state.profiles(scope="a") == []
    assert state.scope_of_api_key("a-key") is None
    assert [state.profile_json(p) for p in state.profiles(scope="b")] == b_before
    assert len(state.profiles(workspace="default")) == 1
    assert {a.api_key for a in state.apps()} == {"b-key", "default-key"}
    assert state.index_errors() == []

    state.reset()
    assert state.profiles() == [] and state.apps() == []


def test_profile_filters_combine() -> None:
    state = EmulatorState()
    state.create_app("k", workspace="w", scope="s")
    one = FakeSdk(state, api_key="k", device_id="d1")
    one.change_user("u1")
    two = FakeSdk(state, api_key="k", device_id="d2")
    two.open_session()
    u1 = state.profiles(external_id="u1")[0]
    assert [p.braze_id for p in state.profiles(device_id="d1")] == [u1.braze_id]
    assert [p.external_id for p in state.profiles(scope="s", device_id="d2")] == [None]
    assert state.profiles(braze_id=u1.braze_id, external_id="u1", scope="s", api_key="k")[0].braze_id == u1.braze_id
    assert state.profiles(braze_id=u1.braze_id, device_id="d2") == []
    assert state.profiles(api_key="unknown-key") == []
    assert state.profiles(api_key="k", workspace="elsewhere") == []


def test_profiles_are_snapshots() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("u1")
    [copy] = state.profiles(external_id="u1")
    copy.standard["first_name"] = "Mallory"
    copy.custom_events.clear()
    sdk.log_event("e")
    assert "first_name" not in state.profiles(external_id="u1")[0].standard
    assert state.profile_json(state.profiles(external_id="u1")[0])["custom_events"] == {"e": 1}


def test_version_increments_on_changes_and_not_on_reads() -> None:
    state = EmulatorState()
    v0 = state.version
    state.create_app("k", workspace="w")
    v1 = state.version
    state.create_app("k", workspace="w")
    assert state.version == v1 > v0
    sdk = FakeSdk(state, api_key="k")
    sdk.open_session()
    v2 = state.version
    assert v2 > v1
    state.profiles()
    state.apply(
        decode("POST", "/api/v3/content_cards/sync", {"X-Braze-Api-Key": "k"}, {"api_key": "k", "device_id": "d"}), received_at=0
    )
    assert state.version == v2, "reads and non-data endpoints change nothing"
    state.reset()
    assert state.version > v2


def test_requests_that_are_not_applied() -> None:
    state = EmulatorState()
    cards = decode("POST", "/api/v3/content_cards/sync", {"X-Braze-Api-Key": "k"}, {"api_key": "k", "device_id": "d"})
    assert state.apply(cards, received_at=0) == []
    broken = decode("POST", "/api/v3/data/", {"X-Braze-Api-Key": "k"}, b"{not json")
    assert state.apply(broken, received_at=0) == []
    no_key = decode("POST", "/api/v3/data/", {}, {"device_id": "d", "events": []})
    assert [p.where for p in state.apply(no_key, received_at=0)] == ["api_key"]
    anonymous_without_device = decode(
        "POST",
        "/api/v3/data/",
        {"X-Braze-Api-Key": "k"},
        {"api_key": "k", "events": [{"name": "ss", "time": 1.0, "session_id": "s"}]},
    )
    assert [p.where for p in state.apply(anonymous_without_device, received_at=0)] == ["events[0]"]
    assert state.profiles() == []


def test_concurrent_requests_are_applied_atomically() -> None:
    state = EmulatorState()
    devices = [FakeSdk(state, device_id=f"d{i}") for i in range(8)]
    for sdk in devices:
        sdk.change_user("shared")

    def hammer(sdk: FakeSdk) -> None:
        for _ in range(50):
            sdk.send([sdk.event("ce", {"n": "tap", "p": {}}), sdk.event("inc", {"key": "taps", "value": 1})])

    threads = [threading.Thread(target=hammer, args=(sdk,)) for sdk in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [profile] = state.profiles(external_id="shared")
    assert profile.custom_events["tap"].count == 400
    assert state.index_errors() == []
    assert profile.custom["taps"] == 400
