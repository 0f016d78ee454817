"""When each attribute was last set: the profile keeps the time of the request that set it (SDK `received_at`, a
REST `/users/track` or CSV import's request time), a merge carries it with the value, and the profile JSON shows it
as `attribute_set_at` in the shape of `attributes`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from braze_harness.emulator.state import EmulatorState

from tests.support.fake_sdk import FakeSdk

T0 = 1_795_000_000.0


def only(state: EmulatorState, **filters: Any) -> dict[str, Any]:
    [profile] = state.profiles(**filters)
    return state.profile_json(profile)


def set_at(sdk: FakeSdk, received_at: float, events: Sequence[dict[str, Any]] = (), **fields: Any) -> None:
    """One data request of `sdk` (its attributes `fields`, its `events`), received at `received_at`."""
    attributes = [sdk.attributes(**fields)] if fields else []
    assert sdk.state.apply(sdk.request(events, attributes), received_at=received_at) == []


def test_a_set_notes_its_request_time_and_a_later_set_replaces_it() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="d1", clock=T0)
    sdk.change_user("u1")
    set_at(sdk, T0, first_name="Ada", custom={"tier": "gold", "plan": "pro"})
    set_at(sdk, T0 + 60, first_name="Ada", custom={"tier": "platinum"})  # the same first_name again counts as a set

    p = only(state, external_id="u1")
    assert p["attribute_set_at"] == {"first_name": T0 + 60, "custom": {"tier": T0 + 60, "plan": T0}}
    assert p["attributes"] == {"first_name": "Ada", "custom": {"tier": "platinum", "plan": "pro"}}


def test_array_increment_and_nested_operations_count_as_sets_and_an_unset_forgets_the_time() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="d1", clock=T0)
    sdk.change_user("u1")
    set_at(sdk, T0, custom={"gone": "soon"})
    operations = [
        sdk.event("inc", {"key": "visits", "value": 2}),
        sdk.event("add", {"key": "tags", "value": "a"}),
        sdk.event("ncam", {"key": "prefs", "value": {"color": "blue"}}),
    ]
    set_at(sdk, T0 + 5, operations, custom={"gone": None})

    p = only(state, external_id="u1")
    assert p["attributes"]["custom"] == {"visits": 2, "tags": ["a"], "prefs": {"color": "blue"}}
    assert p["attribute_set_at"]["custom"] == {"visits": T0 + 5, "tags": T0 + 5, "prefs": T0 + 5}


def test_a_merge_carries_the_set_times_of_the_values_it_moves() -> None:
    state = EmulatorState()
    phone = FakeSdk(state, device_id="phone", clock=T0)
    phone.change_user("u1")
    set_at(phone, T0, first_name="Known", custom={"plan": "pro"})
    laptop = FakeSdk(state, device_id="laptop", clock=T0 + 100)
    laptop.open_session()
    set_at(laptop, T0 + 100, first_name="Anon", last_name="OnlyAnon", custom={"plan": "free", "anon_only": 1})
    assert laptop.change_user("u1") == []

    p = only(state, external_id="u1")
    assert p["attributes"] == {"first_name": "Known", "last_name": "OnlyAnon", "custom": {"plan": "pro", "anon_only": 1}}
    # the known values keep their own times; the moved ones keep when the anonymous user set them, not the merge's
    assert p["attribute_set_at"] == {"first_name": T0, "last_name": T0 + 100, "custom": {"plan": T0, "anon_only": T0 + 100}}


def test_rest_track_sets_at_its_request_time() -> None:
    state = EmulatorState()
    sdk = FakeSdk(state, device_id="d1", clock=T0)
    sdk.change_user("u1")
    set_at(sdk, T0, custom={"tier": "gold"})
    app = state.app(sdk.api_key)
    before = time.time()
    body = {"attributes": [{"external_id": "u1", "first_name": "Rest", "visits": {"inc": 1}, "tags": {"add": ["x"]}}]}
    assert state.rest_track(app, body)["message"] == "success"
    after = time.time()

    times = only(state, external_id="u1")["attribute_set_at"]
    assert times["custom"]["tier"] == T0  # untouched by the REST call
    assert before <= times["first_name"] <= after
    assert before <= times["custom"]["visits"] <= after and before <= times["custom"]["tags"] <= after


def test_a_late_anonymous_fill_notes_its_own_request_time_only_where_it_filled() -> None:
    state = EmulatorState()
    laptop = FakeSdk(state, device_id="laptop", clock=T0)
    laptop.open_session()
    late = laptop.request(attributes=[laptop.attributes(custom={"plan": "free", "late_only": 1})])
    laptop.change_user("u1")
    set_at(laptop, T0 + 10, custom={"plan": "pro"})
    assert state.apply(late, received_at=T0 + 20) == []  # the anonymous attributes arrive after the login: they only fill

    p = only(state, external_id="u1")
    assert p["attributes"]["custom"] == {"plan": "pro", "late_only": 1}
    assert p["attribute_set_at"]["custom"] == {"plan": T0 + 10, "late_only": T0 + 20}
