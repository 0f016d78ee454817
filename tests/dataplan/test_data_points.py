"""Braze data points, each documented rule: what counts one, what counts nothing, and what is wasted."""

from __future__ import annotations

import pytest
from braze_harness.dataplan.datapoints import DataPointLedger
from braze_harness.expect import ExpectationFailed, JournalSource
from braze_harness.expect.data_points import DataPointsExpectation
from braze_harness.journal import Journal
from braze_harness.protocol import decode

from tests.support.builders import append, ce, data_body, ss

URL = "http://127.0.0.1:9090/api/v3/data/"
T = 1795379909.0


def ledger(*bodies: str) -> DataPointLedger:
    book = DataPointLedger()
    for body in bodies:
        book.feed(decode("POST", URL, {"x-braze-api-key": "k"}, body.encode()))
    return book


def event(code: str, data: dict, user: str = "ada") -> dict:
    return {"name": code, "time": T, "data": data, "user_id": user, "session_id": "s1"}


def test_session_start_and_end_custom_event_and_purchase_count_one_each() -> None:
    purchase = event("p", {"pid": "gold", "c": "USD", "p": "1.00", "q": 1})
    points = ledger(data_body(events=[ss(user="ada"), event("se", {"d": 3}), ce("x", user="ada"), purchase])).user("ada")
    assert (points.used, dict(points.by_kind)) == (4, {"sessions": 2, "custom_events": 1, "purchases": 1})


def test_each_attribute_set_counts_one_standard_or_custom() -> None:
    body = data_body(attributes=[{"user_id": "ada", "first_name": "Ada", "custom": {"plan": "vip", "visits": 2}}])
    assert ledger(body).user("ada").by_kind == {"attributes": 3}


def test_custom_attribute_operations_count_one_each() -> None:
    ops = [
        event("inc", {"key": "n", "value": 1}),
        event("add", {"key": "tags", "value": "a"}),
        event("ncam", {"key": "o", "value": {}}),
    ]
    assert ledger(data_body(events=ops)).user("ada").used == 3


def test_push_tokens_subscription_states_and_engagement_events_cost_nothing() -> None:
    attrs = [{"user_id": "ada", "push_token": "tok", "email_subscribe": "opted_in", "push_subscribe": "subscribed"}]
    engagement = [event("si", {"ids": ["x"]}), event("cci", {"ids": ["c"]}), event("pc", {"cid": "p"})]
    assert ledger(data_body(attributes=attrs, events=engagement)).total().used == 0


def test_an_attribute_resent_unchanged_is_wasted_and_named() -> None:
    first = data_body(attributes=[{"user_id": "ada", "custom": {"plan": "vip"}, "first_name": "Ada"}])
    again = data_body(attributes=[{"user_id": "ada", "custom": {"plan": "vip"}, "first_name": "Ada L."}])
    points = ledger(first, again).user("ada")
    assert (points.used, points.wasted) == (4, 1)
    assert points.waste == ["ada: custom.plan re-sent unchanged ('vip')"]


def test_a_value_of_another_type_is_a_change() -> None:
    first = data_body(attributes=[{"user_id": "ada", "custom": {"price": 1}}])
    again = data_body(attributes=[{"user_id": "ada", "custom": {"price": 1.0}}])
    assert ledger(first, again).user("ada").wasted == 0


def test_anonymous_users_are_kept_apart_per_device() -> None:
    one = data_body(device_id="d1", attributes=[{"custom": {"plan": "vip"}}])
    other = data_body(device_id="d2", attributes=[{"custom": {"plan": "vip"}}])
    assert ledger(one, other).total().wasted == 0
    assert ledger(one, one).total().wasted == 1


def test_the_expectation_names_what_was_wasted() -> None:
    journal = Journal()
    for _ in range(3):
        append(journal, data_body(attributes=[{"user_id": "ada", "custom": {"plan": "vip"}}]), scope="t")
    expect = DataPointsExpectation(JournalSource(journal, scope="t"), "ada")
    assert expect.at_most(3).used == 3
    with pytest.raises(ExpectationFailed) as caught:
        expect.at_most(2)
    assert str(caught.value).splitlines()[0] == (
        "expected at most 2 data points for user 'ada', got 3 data points (3 attributes), 2 wasted on unchanged attributes"
    )
    with pytest.raises(ExpectationFailed) as caught:
        expect.no_waste()
    assert "  #2 ada: custom.plan re-sent unchanged ('vip')" in str(caught.value).splitlines()
