"""Custom events, purchases and engagement events in the emulator state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from braze_harness.emulator.state import EmulatorState
from braze_harness.emulator.state.store_pg import RESEND, PostgresState
from braze_harness.protocol import decode

from tests.support.fake_sdk import FakeSdk
from tests.support.paths import CAPTURES

CAPTURES = CAPTURES


def user() -> FakeSdk:
    sdk = FakeSdk(EmulatorState())
    sdk.change_user("u1")
    return sdk


def view(sdk: FakeSdk) -> dict[str, Any]:
    [profile] = sdk.state.profiles(external_id="u1")
    return sdk.state.profile_json(profile)


def test_replaying_d_events_counts_events_purchases_and_revenue() -> None:
    state = EmulatorState()
    posts = [x for x in json.loads((CAPTURES / "d_events.json").read_text())["exchanges"] if x["method"] == "POST"]
    for i, x in enumerate(posts):
        assert state.apply(decode(x["method"], x["path"], x["headers"], x["body"]), received_at=float(i)) == []
    [profile] = state.profiles(external_id="user-d")
    p = state.profile_json(profile)
    assert p["custom_events"] == {"played_song": 1, "no_props": 1, "flushed_now": 1, "tick2": 1}
    played = p["custom_event_log"][0]
    assert played["name"] == "played_song"
    assert played["properties"]["nested"] == {"genre": "jazz", "tags": ["x", "y"]}
    assert played["session_id"] == "3a302507-9bef-4c0d-9285-c043bd311af5"
    assert played["device_id"] == "d5b0ecdc-e1a4-42e0-9014-0fd4b9ad0ca3"
    # quantity 2 counts as two purchases (docs/server-behaviour.md, purchases)
    assert p["purchases"] == {"sku-1": 2, "sku-free": 1}
    assert p["revenue"] == 19.98
    assert p["purchase_log"][0] == {
        "product_id": "sku-1",
        "price": 9.99,
        "currency": "USD",
        "quantity": 2,
        "properties": {"color": "red", "size": 10},
        "time": pytest.approx(1795379958.735),
    }
    assert profile.custom_events["played_song"].first == profile.custom_events["played_song"].last


def test_every_event_counts_no_dedup_and_first_last_times_are_kept() -> None:
    sdk = user()
    sdk.log_event("tap")
    first = sdk.clock
    sdk.tick(10)
    sdk.log_event("tap")
    [profile] = sdk.state.profiles(external_id="u1")
    tap = profile.custom_events["tap"]
    assert tap.count == 2
    assert tap.first == pytest.approx(first)
    assert tap.last == pytest.approx(sdk.clock)


def test_revenue_is_exact_decimal_arithmetic() -> None:
    sdk = user()
    sdk.log_purchase("a", "0.10", quantity=3)
    sdk.log_purchase("b", "0.20")
    assert view(sdk)["revenue"] == 0.5


def test_bad_purchases_are_problems_and_the_rest_of_the_batch_is_recorded() -> None:
    sdk = user()
    problems = sdk.send(
        [
            sdk.event("p", {"pid": "bad-price", "c": "USD", "p": "abc", "q": 1, "pr": {}}),
            sdk.event("p", {"pid": "too-many", "c": "USD", "p": "1.00", "q": 101, "pr": {}}),
            sdk.event("p", {"pid": "odd-currency", "c": "XYZ", "p": "1.00", "q": 1, "pr": {}}),
            sdk.event("p", {"pid": "fine", "c": "eur", "p": "2.00", "q": 1, "pr": {}}),
        ]
    )
    assert [p.where for p in problems] == ["events[0].data.p", "events[1].data.q", "events[2].data.c"]
    p = view(sdk)
    assert p["purchases"] == {"odd-currency": 1, "fine": 1}
    assert p["revenue"] == 3.0
    assert [e["currency"] for e in p["purchase_log"]] == ["XYZ", "EUR"]


def test_event_property_limits() -> None:
    sdk = user()
    props: dict[str, Any] = {f"k{i}": i for i in range(300)}
    props["$secret"] = 1
    props["long"] = "z" * 300
    problems = sdk.log_event("big", props)
    messages = [p.message for p in problems]
    assert any("more than 256" in m for m in messages)
    logged = view(sdk)["custom_event_log"][0]["properties"]
    assert len(logged) == 256 and "$secret" not in logged
    # limits apply in order: a short property set keeps its long string, truncated
    problems = sdk.log_event("small", {"long": "z" * 300, "$bad": 1, "time": 1})
    assert sorted(p.where for p in problems) == [
        "events[0].data.p.$bad",
        "events[0].data.p.long",
        "events[0].data.p.time",
    ]
    assert view(sdk)["custom_event_log"][1]["properties"] == {"long": "z" * 255, "time": 1}


def test_long_or_dollar_event_names_are_problems() -> None:
    sdk = user()
    problems = sdk.log_event("e" * 300)
    assert [p.where for p in problems] == ["events[0].data.n"]
    problems = sdk.log_event("$reserved")
    assert [p.where for p in problems] == ["events[0].data.n"]
    assert set(view(sdk)["custom_events"]) == {"e" * 255, "$reserved"}


def test_engagement_events_are_logged_by_code() -> None:
    sdk = user()
    sdk.send(
        [
            sdk.event("si", {"trigger_ids": ["t1"]}),
            sdk.event("sbc", {"trigger_ids": ["t1"], "bid": 0}),
            sdk.event("cci", {"ids": ["c1", "c2"]}),
            sdk.event("cci", {"ids": ["c3"]}),
            sdk.event("ccd", {"ids": ["c1"]}),
            sdk.event("ffi", {"fid": "flag", "fts": "track"}),
            sdk.event("ie", {"e": "internal error"}),  # SDK-internal: not engagement
        ]
    )
    [profile] = sdk.state.profiles(external_id="u1")
    assert profile.engagement_counts() == {"si": 1, "sbc": 1, "cci": 2, "ccd": 1, "ffi": 1}
    assert profile.engagement_log[1]["data"] == {"trigger_ids": ["t1"], "bid": 0}
    assert view(sdk)["custom_events"] == {}, "engagement is not a custom event"


def test_replaying_every_capture_applies_without_problems() -> None:
    state = EmulatorState()
    for path in sorted(CAPTURES.glob("*.json")):
        for i, x in enumerate(json.loads(path.read_text())["exchanges"]):
            decoded = decode(x["method"], x["path"], x["headers"], x["body"])
            problems = state.apply(decoded, received_at=float(i))
            # the PostgreSQL store applies a request once: j3's resend after its dropped connection is named, not applied
            assert [p for p in problems if p.severity != "info"] == [], f"{path.name} exchange {i}"
            if problems:
                assert (path.name, i, [p.message for p in problems]) == ("j3_network_error.json", 4, [RESEND])
                assert isinstance(state, PostgresState)
    assert state.index_errors() == []
    identified = {p.external_id for p in state.profiles() if p.external_id}
    assert {"user-123", "user-456", "user-c", "user-d"} <= identified
    cards = next(p for p in state.profiles() if p.engagement_counts().get("cci"))
    assert cards.engagement_counts()["cci"] >= 1
