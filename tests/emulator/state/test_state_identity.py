"""Identity and sessions in the emulator state: anonymous profiles, changeUser cases (a)/(b)/(c), merges, late `se`.

Driven through the real decoder, with request bodies shaped like the Web SDK's (FakeSdk) or replayed
from the lab captures.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from braze_harness.emulator.state import EmulatorState
from braze_harness.protocol import decode

from tests.support.fake_sdk import FakeSdk
from tests.support.paths import CAPTURES

CAPTURES = CAPTURES


def only(state: EmulatorState, **selector: Any) -> dict[str, Any]:
    assert state.index_errors() == []
    found = state.profiles(**selector)
    assert len(found) == 1, f"expected one profile for {selector}, got {[p.external_id for p in found]}"
    return state.profile_json(found[0])


def capture_posts(name: str) -> list[dict[str, Any]]:
    capture = json.loads((CAPTURES / name).read_text())
    return [x for x in capture["exchanges"] if x["method"] == "POST"]


def replay(state: EmulatorState, exchanges: list[dict[str, Any]]) -> list[Any]:
    problems = []
    for i, x in enumerate(exchanges):
        decoded = decode(x["method"], x["path"], x["headers"], x["body"])
        problems += state.apply(decoded, received_at=1_000.0 + i)
    return problems


# --- anonymous users --------------------------------------------------------------------------------


def test_first_data_from_a_device_creates_an_anonymous_profile() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    assert sdk.open_session() == []
    sdk.log_event("browse")
    sdk.set_attributes(first_name="Anon")

    p = only(state, device_id=sdk.device_id)
    assert p["external_id"] is None
    assert re.fullmatch(r"[0-9a-f]{24}", p["braze_id"])
    assert p["workspace"] == "default"
    assert p["attributes"] == {"first_name": "Anon", "custom": {}}
    assert p["custom_events"] == {"browse": 1}
    assert p["sessions"]["count"] == 1
    assert p["first_session"] == p["last_session"] == sdk.session_start
    [device] = p["devices"]
    assert (device["device_id"], device["app"], device["platform"], device["sdk_version"]) == (
        sdk.device_id,
        "test-api-key",
        "web",
        "6.13.0",
    )
    assert device["device"]["browser"] == "Chrome"

    other = FakeSdk(state)
    other.open_session()
    assert len(state.profiles()) == 2, "another device is another anonymous user"


def test_device_object_is_merged_from_diffs() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device={"browser": "Chrome", "locale": "en-us"})
    sdk.open_session()
    sdk.send([sdk.event("ce", {"n": "x", "p": {}})], device={"locale": "fr-fr"})
    [device] = only(state, device_id=sdk.device_id)["devices"]
    assert device["device"] == {"browser": "Chrome", "locale": "fr-fr"}
    assert device["first_seen"] < device["last_seen"]


# --- (a) anonymous -> new external_id -------------------------------------------------------------


def test_anonymous_to_new_user_keeps_everything_and_the_braze_id() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.open_session()
    sdk.log_event("anon_event")
    sdk.set_attributes(first_name="Anon")
    sdk.send([sdk.event("uae", {"a": "anon-1", "l": "crm"})])
    anon_id = only(state)["braze_id"]

    assert sdk.change_user("u1") == []

    p = only(state, external_id="u1")
    assert p["braze_id"] == anon_id
    assert p["attributes"]["first_name"] == "Anon"
    assert p["custom_events"] == {"anon_event": 1}
    assert p["aliases"] == [{"alias_name": "anon-1", "alias_label": "crm"}]
    assert p["sessions"]["count"] == 2
    assert p["merged_from"] == []
    assert len(state.profiles()) == 1


def test_replaying_b_identity_ends_with_two_users_and_the_anonymous_session_on_user_123() -> None:
    state = EmulatorState()
    assert replay(state, capture_posts("b_identity.json")) == []

    assert sorted(p.external_id or "<anon>" for p in state.profiles()) == ["user-123", "user-456"]
    u123 = only(state, external_id="user-123")
    assert u123["attributes"] == {"first_name": "Anon", "last_name": "MigratedFromAnon", "custom": {}}
    assert u123["custom_events"] == {"anon_event": 1, "user123_event": 1}
    by_id = {s["session_id"]: s for s in u123["sessions"]["list"]}
    anon_session = by_id["19fd084d-4194-48b1-81b5-6e75489fc649"]
    assert anon_session["duration"] == pytest.approx(0.309)
    assert anon_session["start"] == pytest.approx(1795379942.679)
    assert by_id["64aaca57-c42f-44ae-8a0e-3eb34dce9708"]["duration"] == pytest.approx(1.128)
    assert u123["sessions"]["count"] == 2

    u456 = only(state, external_id="user-456")
    assert u456["custom_events"] == {}
    assert [s["end"] for s in u456["sessions"]["list"]] == [None]


def _summary(state: EmulatorState) -> dict[str | None, Any]:
    out = {}
    for p in state.profiles():
        j = state.profile_json(p)
        closed = sorted(s["session_id"] for s in j["sessions"]["list"] if s["end"] is not None)
        out[p.external_id] = (j["attributes"], j["custom_events"], j["sessions"]["count"], closed)
    return out


@pytest.mark.parametrize("swap", range(4))
def test_b_identity_delivered_with_two_neighbouring_requests_swapped_ends_the_same(swap: int) -> None:
    posts = capture_posts("b_identity.json")
    in_order = EmulatorState()
    replay(in_order, posts)
    swapped = list(posts)
    swapped[swap], swapped[swap + 1] = swapped[swap + 1], swapped[swap]
    out_of_order = EmulatorState()
    replay(out_of_order, swapped)
    assert _summary(out_of_order) == _summary(in_order)
    assert out_of_order.index_errors() == []


# --- (b) anonymous -> existing external_id: merge -------------------------------------------------


def _known_user(state: EmulatorState) -> FakeSdk:
    phone = FakeSdk(state, device_id="phone")
    phone.change_user("u1")
    phone.set_attributes(first_name="Known", custom={"plan": "pro"})
    phone.log_event("viewed")
    phone.log_purchase("sku", 5.0)
    phone.send([phone.event("uae", {"a": "known-crm", "l": "crm"})])
    return phone


def test_anonymous_to_existing_user_merges_with_known_values_winning() -> None:
    state = EmulatorState()
    _known_user(state)
    laptop = FakeSdk(state, device_id="laptop")
    laptop.open_session()
    laptop.set_attributes(first_name="Anon", last_name="OnlyAnon", custom={"plan": "free", "anon_only": 1})
    laptop.log_event("viewed")
    laptop.log_event("viewed")
    laptop.log_purchase("sku", 2.5, quantity=2)
    laptop.send(
        [laptop.event("uae", {"a": "anon-crm", "l": "crm"}), laptop.event("uae", {"a": "anon-web", "l": "web"})],
        attributes=[laptop.attributes(push_token="laptop-token")],
    )
    anon_id = only(state, device_id="laptop")["braze_id"]

    assert laptop.change_user("u1") == []

    assert state.profiles(braze_id=anon_id) == [], "the anonymous profile is deleted"
    assert len(state.profiles()) == 1
    p = only(state, external_id="u1")
    assert p["attributes"] == {
        "first_name": "Known",  # the known user's value wins
        "last_name": "OnlyAnon",  # missing fields are filled
        "custom": {"plan": "pro", "anon_only": 1},
    }
    assert p["custom_events"] == {"viewed": 3}
    assert p["purchases"] == {"sku": 3}
    assert p["revenue"] == 10.0
    assert len(p["custom_event_log"]) == 3
    assert [e["time"] for e in p["custom_event_log"]] == sorted(e["time"] for e in p["custom_event_log"])
    assert p["sessions"]["count"] == 3  # phone 1 + laptop anonymous 1 + laptop identified 1
    # label collision: the known user's alias is kept, the anonymous user's other alias moves
    assert p["aliases"] == [{"alias_name": "known-crm", "alias_label": "crm"}, {"alias_name": "anon-web", "alias_label": "web"}]
    assert [t["token"] for t in p["push_tokens"]] == ["laptop-token"]
    assert {d["device_id"] for d in p["devices"]} == {"phone", "laptop"}
    assert p["merged_from"] == [anon_id]

    # the dropped anonymous alias is free again: another profile may take it
    other = FakeSdk(state, device_id="tablet")
    assert other.send([other.event("uae", {"a": "anon-crm", "l": "crm"})]) == []


def test_merge_sums_event_aggregates_taking_earliest_first_and_latest_last() -> None:
    state = EmulatorState()
    laptop = FakeSdk(state, device_id="laptop", clock=1_000.0)
    laptop.open_session()
    laptop.log_event("viewed")
    phone = FakeSdk(state, device_id="phone", clock=2_000.0)
    phone.change_user("u1")
    phone.log_event("viewed")
    laptop.clock = 3_000.0
    laptop.change_user("u1")

    [profile] = state.profiles(external_id="u1")
    viewed = profile.custom_events["viewed"]
    assert (viewed.count, viewed.first < 2_000.0, viewed.last > 2_000.0) == (2, True, True)
    assert profile.first_session is not None and profile.first_session < 2_000.0


def test_merge_can_drop_anonymous_raw_history_but_keeps_the_counts() -> None:
    state = EmulatorState(keep_anonymous_events_on_merge=False)
    _known_user(state)
    laptop = FakeSdk(state, device_id="laptop")
    laptop.open_session()
    laptop.log_event("viewed")
    laptop.log_purchase("sku", 1.0)
    laptop.change_user("u1")

    p = only(state, external_id="u1")
    assert p["custom_events"] == {"viewed": 2}
    assert p["purchases"] == {"sku": 2}
    assert p["revenue"] == 6.0
    assert [e["device_id"] for e in p["custom_event_log"]] == ["phone"]
    assert len(p["purchase_log"]) == 1


def test_late_anonymous_attributes_do_not_overwrite_the_known_user() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.open_session()
    late = sdk.request(attributes=[sdk.attributes(first_name="Anon", home_city="Paris")])  # queued, delivered late
    sdk.change_user("u1")
    sdk.set_attributes(first_name="Ada")
    assert sdk.apply(late) == []
    p = only(state, external_id="u1")
    assert p["attributes"] == {"first_name": "Ada", "home_city": "Paris", "custom": {}}
    assert len(state.profiles()) == 1


# --- (c) known A -> known B -------------------------------------------------------------------------


def test_switching_between_known_users_moves_no_data() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    sdk.set_attributes(first_name="Alice", custom={"score": 1})
    sdk.log_event("a_event")
    sdk.change_user("b")
    sdk.log_event("b_event")

    a = only(state, external_id="a")
    b = only(state, external_id="b")
    assert a["attributes"] == {"first_name": "Alice", "custom": {"score": 1}}
    assert a["custom_events"] == {"a_event": 1}
    assert b["attributes"] == {"custom": {}}
    assert b["custom_events"] == {"b_event": 1}
    # a's session was closed by the switch (its `se` carries a's user_id); b's is open
    assert [s["end"] is not None for s in a["sessions"]["list"]] == [True]
    assert [s["end"] is None for s in b["sessions"]["list"]] == [True]
    assert a["merged_from"] == b["merged_from"] == []


def test_change_user_to_the_same_id_changes_nothing() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("u1")
    before = state.version
    assert sdk.change_user("u1") == []
    assert state.version == before
    assert only(state, external_id="u1")["sessions"]["count"] == 1


def test_two_devices_identifying_as_the_same_user_end_in_one_profile() -> None:
    state = EmulatorState()
    for device_id in ("d1", "d2"):
        sdk = FakeSdk(state, device_id=device_id)
        sdk.open_session()
        sdk.log_event(f"from_{device_id}")
        sdk.change_user("same")
    assert len(state.profiles()) == 1
    p = only(state, external_id="same")
    assert {d["device_id"] for d in p["devices"]} == {"d1", "d2"}
    assert p["custom_events"] == {"from_d1": 1, "from_d2": 1}
    assert p["sessions"]["count"] == 4
    assert len(p["merged_from"]) == 1  # d1's anonymous profile became "same"; d2's was merged in
    assert state.profiles(device_id="d1")[0].braze_id == state.profiles(device_id="d2")[0].braze_id


def test_identified_data_without_an_anonymous_phase_creates_the_known_profile() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("u1")  # changeUser before openSession: first request already identified
    sdk.log_event("e")
    p = only(state, external_id="u1")
    assert p["custom_events"] == {"e": 1}
    assert len(state.profiles()) == 1


def test_anonymous_session_delivered_after_the_identification_goes_to_the_identified_user() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.session_id, sdk.session_start = "anon-session", sdk.tick()
    late_start = sdk.request([sdk.event("ss", {}, time=sdk.session_start), sdk.event("ce", {"n": "anon", "p": {}})])
    sdk.change_user("u1")  # its `se` for the anonymous session arrives first, too
    assert sdk.apply(late_start) == []
    p = only(state, external_id="u1")
    assert len(state.profiles()) == 1
    assert p["custom_events"] == {"anon": 1}
    assert p["sessions"]["count"] == 2


def test_a_device_starting_over_after_identification_is_a_new_anonymous_user() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="fixed-device-id")
    sdk.change_user("u1")
    sdk.log_event("as_u1")
    sdk.user, sdk.session_id = None, None  # wipeData() with a forced deviceId: same device id, no user
    sdk.tick(60)
    sdk.open_session()
    sdk.log_event("fresh")
    [anonymous] = [p for p in state.profiles(device_id="fixed-device-id") if p.external_id is None]
    assert set(anonymous.custom_events) == {"fresh"}
    assert only(state, external_id="u1")["custom_events"] == {"as_u1": 1}
    sdk.change_user("u2")  # the new anonymous user becomes u2 (case a)
    assert only(state, external_id="u2")["braze_id"] == anonymous.braze_id


# --- sessions ---------------------------------------------------------------------------------------


def test_late_session_end_of_a_merged_anonymous_session_lands_on_that_session() -> None:
    state = EmulatorState()
    _known_user(state)
    laptop = FakeSdk(state, device_id="laptop")
    laptop.open_session()
    anon_session = laptop.session_id
    late_end = laptop.request([laptop.end_session_event()])  # anonymous `se`, delivered after the merge
    laptop.session_id = None
    laptop.change_user("u1")
    assert laptop.apply(late_end) == []

    assert len(state.profiles()) == 1, "the late anonymous `se` must not create a new anonymous profile"
    p = only(state, external_id="u1")
    record = next(s for s in p["sessions"]["list"] if s["session_id"] == anon_session)
    assert record["end"] is not None and record["duration"] == pytest.approx(record["end"] - record["start"], abs=0.01)
    assert record["device_id"] == "laptop"


def test_session_end_lands_on_its_session_even_when_tagged_with_another_user() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("a")
    a_session = sdk.session_id
    end = sdk.end_session_event()
    sdk.session_id = None
    sdk.change_user("b")
    sdk.send([{**end, "user_id": "b"}])  # an SDK tagging the close with the user current at send time
    a = only(state, external_id="a")
    b = only(state, external_id="b")
    assert [(s["session_id"], s["end"] is not None) for s in a["sessions"]["list"]] == [(a_session, True)]
    assert [s["end"] for s in b["sessions"]["list"]] == [None]


def test_session_end_before_its_start_is_a_closed_record_until_the_start_arrives() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.change_user("u1")
    sdk.session_id, sdk.session_start = "s-late", sdk.tick()
    start = sdk.request([sdk.event("ss", {}, time=sdk.session_start)])
    sdk.apply(sdk.request([sdk.end_session_event()]))

    p = only(state, external_id="u1")
    record = next(s for s in p["sessions"]["list"] if s["session_id"] == "s-late")
    assert record["start"] is None and record["end"] is not None
    assert p["sessions"]["count"] == 1, "an `se`-only session is kept but not counted as started"

    sdk.apply(start)
    p = only(state, external_id="u1")
    record = next(s for s in p["sessions"]["list"] if s["session_id"] == "s-late")
    assert record["start"] == sdk.session_start and record["end"] is not None
    assert p["sessions"]["count"] == 2
    assert p["last_session"] == sdk.session_start


def test_a_repeated_session_start_counts_once() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    sdk.open_session()
    repeat = sdk.request([sdk.event("ss", {}, time=sdk.session_start)])
    sdk.apply(repeat)  # a retried request
    assert only(state, device_id=sdk.device_id)["sessions"]["count"] == 1


def test_session_events_without_session_id_are_problems() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state)
    problems = sdk.send([sdk.event("ss", {}, session=None), sdk.event("ce", {"n": "kept", "p": {}}, session=None)])
    assert [p.where for p in problems] == ["events[0].session_id"]
    assert only(state, device_id=sdk.device_id)["custom_events"] == {"kept": 1}


def test_replaying_a_session_capture_closes_the_timed_out_session() -> None:
    state = EmulatorState()
    assert replay(state, capture_posts("a_session.json")) == []
    p = only(state, device_id="d267d6fa-de0b-4659-8156-f60da8ea6364")
    assert p["sessions"]["count"] == 2
    first = next(s for s in p["sessions"]["list"] if s["session_id"] == "8e558374-4d4b-42bb-9aa4-b9e8064af913")
    assert first["duration"] == 10
    assert p["custom_events"] == {"queued_before_close": 1}
