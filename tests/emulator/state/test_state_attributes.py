"""The attribute engine: standard fields, custom attributes and the set/add/rem/inc/ncam/lcaa/lcar/lr/uae/sgu operations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from braze_harness.emulator.state import EmulatorState
from braze_harness.emulator.state.attributes import AttributeWriter
from braze_harness.emulator.state.profiles import Profile
from braze_harness.protocol import decode
from braze_harness.protocol.decode import Problem

from tests.support.fake_sdk import FakeSdk
from tests.support.paths import CAPTURES

CAPTURES = CAPTURES


def user(state: EmulatorState | None = None, **options: Any) -> FakeSdk:
    sdk = FakeSdk(state or EmulatorState(**options))
    sdk.change_user("u1")
    return sdk


def attrs(sdk: FakeSdk) -> dict[str, Any]:
    [profile] = sdk.state.profiles(external_id="u1")
    return sdk.state.profile_json(profile)["attributes"]


def custom(sdk: FakeSdk) -> dict[str, Any]:
    return attrs(sdk)["custom"]


def op(sdk: FakeSdk, name: str, **data: Any) -> list[Problem]:
    return sdk.send([sdk.event(name, data)])


# --- a whole capture --------------------------------------------------------------------------------


def test_replaying_c_attributes_sets_every_attribute() -> None:
    state = EmulatorState()
    posts = [x for x in json.loads((CAPTURES / "c_attributes.json").read_text())["exchanges"] if x["method"] == "POST"]
    for i, x in enumerate(posts):
        assert state.apply(decode(x["method"], x["path"], x["headers"], x["body"]), received_at=float(i)) == []
    [profile] = state.profiles(external_id="user-c")
    p = state.profile_json(profile)
    assert p["attributes"] == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "gender": "f",
        "dob": "1815-12-10",
        "country": "GB",
        "home_city": "London",
        "language": "en",
        "phone": "+44 20 1234 5678",
        "email_subscribe": "opted_in",
        "push_subscribe": "subscribed",
        "custom": {
            "str_attr": "overwritten",
            "num_attr": 42.5,
            "int_attr": 7,
            "bool_attr": True,
            "date_attr": "2024-01-02T03:04:05",
            "obj_attr": {"nested": {"x": 1}, "when": "2024-01-01T00:00:00.000Z"},
            "obj_arr_attr": [{"a": 1}, {"a": 2}],
            "arr_attr": ["b", "c"],  # set [a, b], add c, rem a
            "counter": 4,  # 1 + 5 - 2
            "loc_attr": {"latitude": 51.5, "longitude": -0.12},
        },
    }
    assert "null_attr" not in p["attributes"]["custom"]
    assert p["subscription_groups"] == {"sg-111": "subscribed", "sg-222": "unsubscribed"}
    assert p["location"] == {
        "latitude": 51.5,
        "longitude": -0.12,
        "altitude": 10,
        "ll_accuracy": 5,
        "alt_accuracy": 2,
        "time": pytest.approx(1795379947.491),
    }
    assert p["aliases"] == [{"alias_name": "alias-name", "alias_label": "alias-label"}]


def test_replaying_l_misc_merges_nested_objects_and_removes_location_attributes() -> None:
    state = EmulatorState()
    posts = [x for x in json.loads((CAPTURES / "l_misc.json").read_text())["exchanges"] if x["method"] == "POST"]
    for i, x in enumerate(posts):
        assert state.apply(decode(x["method"], x["path"], x["headers"], x["body"]), received_at=float(i)) == []
    [profile] = state.profiles(device_id="add5f67f-fa30-4919-9210-3e3aedc4da56")
    assert profile.custom == {"profile": {"a": 1, "b": {"c": 2}}, "empty_arr": []}
    assert profile.custom_events["no_open_session_event"].count == 1


# --- standard fields --------------------------------------------------------------------------------


def test_standard_fields_set_and_null_unsets() -> None:
    sdk = user()
    sdk.set_attributes(first_name="Ada", email="ada@example.com", gender="F")
    assert attrs(sdk) == {"first_name": "Ada", "email": "ada@example.com", "gender": "f", "custom": {}}
    sdk.set_attributes(email=None)
    assert attrs(sdk) == {"first_name": "Ada", "gender": "f", "custom": {}}


def test_bad_standard_values_are_problems_and_the_rest_still_applies() -> None:
    sdk = user()
    problems = sdk.set_attributes(first_name="x" * 300, gender="alien", dob="10/12/1815", last_name="Kept")
    assert {p.where: p.message.split(" ")[0] for p in problems} == {
        "attributes[0].first_name": "string",
        "attributes[0].gender": "invalid",
        "attributes[0].dob": "invalid",
    }
    assert attrs(sdk) == {"first_name": "x" * 255, "last_name": "Kept", "custom": {}}


def test_invalid_subscription_state_is_rejected_by_the_engine() -> None:
    # the decoder already refuses these (Literal); the engine checks again for other callers
    profile = Profile(braze_id="0" * 24, workspace="w")
    problems: list[Problem] = []
    AttributeWriter(profile, problems, 500, 0.0).standard("a", {"email_subscribe": "maybe", "push_subscribe": "opted_in"})
    assert profile.standard == {"push_subscribe": "opted_in"}
    assert [p.where for p in problems] == ["a.email_subscribe"]


# --- custom attributes ------------------------------------------------------------------------------


def test_custom_scalars_objects_and_arrays_of_objects() -> None:
    sdk = user()
    sdk.set_attributes(custom={"s": "v", "n": 1.5, "b": False, "when": "2024-01-02T03:04:05", "obj": {"a": {"b": 1}, "c": 2}})
    sdk.set_attributes(custom={"obj": {"a": {"z": 9}}, "list": [{"id": 1}, {"id": 2}], "s": None})
    assert custom(sdk) == {
        "n": 1.5,
        "b": False,
        "when": "2024-01-02T03:04:05",  # date strings are kept as given
        "obj": {"a": {"z": 9}},  # an object overwrites, it does not merge
        "list": [{"id": 1}, {"id": 2}],
    }


def test_bad_custom_values_are_problems_without_losing_the_rest() -> None:
    sdk = user()
    sdk.set_attributes(custom={"obj": {"keep": 1}})
    problems = sdk.set_attributes(
        custom={
            "obj": {"bad.key": 1},  # '.' in a nested key: the whole update is dropped
            "nul": {"a": None},
            "long": "y" * 256,
            "mixed": [{"a": 1}, "b"],
            "deep": ["a", ["b"]],
            "ok": 1,
        }
    )
    assert sorted(p.where for p in problems) == [
        "attributes[0].custom.deep[1]",
        "attributes[0].custom.long",
        "attributes[0].custom.mixed",
        "attributes[0].custom.nul.a",
        "attributes[0].custom.obj.bad.key",
    ]
    assert custom(sdk) == {"obj": {"keep": 1}, "long": "y" * 255, "ok": 1}


def test_string_array_in_custom_is_a_set_with_unique_values() -> None:
    sdk = user()
    sdk.set_attributes(custom={"food": ["hotdog", "hotdog", "hotdog", "pizza"]})
    assert custom(sdk)["food"] == ["hotdog", "pizza"]


def test_increment_starts_from_zero_and_keeps_integers() -> None:
    sdk = user()
    op(sdk, "inc", key="counter", value=5)
    op(sdk, "inc", key="counter", value=-2)
    op(sdk, "inc", key="ratio", value=0.5)
    assert custom(sdk) == {"counter": 3, "ratio": 0.5}
    assert isinstance(custom(sdk)["counter"], int)
    sdk.set_attributes(custom={"name": "text"})
    problems = op(sdk, "inc", key="name", value=1)
    assert [p.where for p in problems] == ["events[0].data.value"]
    assert custom(sdk)["name"] == "text"


def test_array_set_add_remove_keep_values_unique_and_move_readded_to_end() -> None:
    sdk = user()
    op(sdk, "set", key="arr", value=["a", "b", "a", "c"])
    assert custom(sdk)["arr"] == ["a", "b", "c"]
    op(sdk, "add", key="arr", value="a")  # re-adding moves it to the end
    assert custom(sdk)["arr"] == ["b", "c", "a"]
    op(sdk, "add", key="arr", value="d")
    op(sdk, "rem", key="arr", value="b")
    op(sdk, "rem", key="arr", value="missing")
    assert custom(sdk)["arr"] == ["c", "a", "d"]
    op(sdk, "add", key="fresh", value="x")  # adding to a missing array creates it
    op(sdk, "rem", key="nothing", value="x")
    assert custom(sdk)["fresh"] == ["x"]
    assert "nothing" not in custom(sdk)
    op(sdk, "set", key="arr", value=[])
    assert custom(sdk)["arr"] == []


def test_arrays_past_the_cap_drop_the_oldest_with_a_problem() -> None:
    sdk = user(array_cap=3)
    for value in "abc":
        assert op(sdk, "add", key="arr", value=value) == []
    problems = op(sdk, "add", key="arr", value="d")
    assert custom(sdk)["arr"] == ["b", "c", "d"]
    assert [p.where for p in problems] == ["events[0].data.value"] and "cap of 3" in problems[0].message
    problems = op(sdk, "set", key="big", value=["1", "2", "3", "4", "5"])
    assert custom(sdk)["big"] == ["3", "4", "5"]
    assert len(problems) == 1


def test_adding_to_a_non_array_is_a_problem() -> None:
    sdk = user()
    sdk.set_attributes(custom={"scalar": "text"})
    problems = op(sdk, "add", key="scalar", value="x")
    assert len(problems) == 1
    assert custom(sdk)["scalar"] == "text"


def test_nested_merge_deep_merges_into_the_object() -> None:
    sdk = user()
    sdk.set_attributes(custom={"obj": {"a": 1, "b": {"c": 2, "d": 3}}})
    op(sdk, "ncam", key="obj", value={"b": {"c": 9}, "e": {"f": 1}})
    op(sdk, "ncam", key="new_obj", value={"x": 1})
    assert custom(sdk) == {"obj": {"a": 1, "b": {"c": 9, "d": 3}, "e": {"f": 1}}, "new_obj": {"x": 1}}
    problems = op(sdk, "ncam", key="obj", value={"$bad": 1})
    assert len(problems) == 1
    assert custom(sdk)["obj"]["a"] == 1


def test_location_attributes_and_last_known_location() -> None:
    sdk = user()
    op(sdk, "lcaa", key="home", latitude=51.5, longitude=-0.12)
    op(sdk, "lcaa", key="work", latitude=48.85, longitude=2.35)
    op(sdk, "lcar", key="work")
    assert custom(sdk) == {"home": {"latitude": 51.5, "longitude": -0.12}}
    problems = op(sdk, "lcaa", key="nowhere", latitude=123.0, longitude=0.0)
    assert len(problems) == 1 and "nowhere" not in custom(sdk)
    op(sdk, "lr", latitude=1.0, longitude=2.0, ll_accuracy=5.0)
    [profile] = sdk.state.profiles(external_id="u1")
    assert profile.location is not None
    assert {k: v for k, v in profile.location.items() if k != "time"} == {"latitude": 1.0, "longitude": 2.0, "ll_accuracy": 5.0}


def test_subscription_groups_follow_the_latest_state() -> None:
    sdk = user()
    op(sdk, "sgu", group_id="sg-1", status="subscribed")
    op(sdk, "sgu", group_id="sg-1", status="unsubscribed")
    op(sdk, "sgu", group_id="sg-2", status="subscribed")
    [profile] = sdk.state.profiles(external_id="u1")
    assert profile.subscription_groups == {"sg-1": "unsubscribed", "sg-2": "subscribed"}


def test_aliases_one_name_per_label_and_unique_in_the_workspace() -> None:
    state = EmulatorState()
    sdk = user(state)
    assert op(sdk, "uae", a="n1", l="crm") == []
    assert op(sdk, "uae", a="n1", l="crm") == []  # the same pair again: nothing to do
    same_label = op(sdk, "uae", a="n2", l="crm")
    assert len(same_label) == 1 and "one name per label" in same_label[0].message
    other = FakeSdk(state)
    other.change_user("u2")
    taken = other.send([other.event("uae", {"a": "n1", "l": "crm"})])
    assert len(taken) == 1 and "already belongs" in taken[0].message
    assert other.send([other.event("uae", {"a": "n1", "l": "other-label"})]) == []
    assert state.profiles(external_id="u1")[0].aliases == {"crm": "n1"}
    assert state.profiles(external_id="u2")[0].aliases == {"other-label": "n1"}


def test_aliases_are_unique_per_workspace_not_globally() -> None:
    state = EmulatorState()
    state.create_app("test-key", workspace="test")
    state.create_app("prod-key", workspace="prod")
    for key in ("test-key", "prod-key"):
        sdk = FakeSdk(state, api_key=key)
        sdk.change_user("u1")
        assert sdk.send([sdk.event("uae", {"a": "n1", "l": "crm"})]) == []
