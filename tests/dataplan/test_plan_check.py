"""Each kind of data plan violation is reported on the decoded exchange, with a message read in one go."""

from __future__ import annotations

import json

import pytest
from braze_harness.dataplan import DataPlan, PlanChecker
from braze_harness.protocol import decode

from tests.support.builders import ce, data_body

URL = "http://127.0.0.1:9090/api/v3/data/"
PLAN = DataPlan.model_validate(
    {
        "events": {
            "cart_add": {
                "properties": {
                    "price": {"type": "number", "required": True},
                    "sku": {"type": "string", "pattern": "^SKU-[0-9]+$"},
                    "size": {"type": "string", "enum": ["S", "M", "L"]},
                    "added_at": {"type": "time"},
                }
            },
            "song_played": {"additional_properties": True},
        },
        "attributes": {"plan": {"type": "string", "enum": ["free", "vip"]}, "visits": {"type": "integer"}},
        "purchases": {"product_id_pattern": "^[a-z_]+$", "properties": {"gift": {"type": "boolean"}}},
        "naming": {"event": "^[a-z][a-z0-9_]*$", "attribute": "^[a-z][a-z0-9_]*$"},
        "identity": {"external_id": {"pattern": "^user-[0-9]+$"}},
        "environments": {"production_api_keys": ["prod-key"]},
    }
)


def problems(body: str, api_key: str = "test-key") -> list[str]:
    decoded = decode("POST", URL, {"x-braze-api-key": api_key}, body.encode())
    found = PlanChecker(PLAN).check(decoded)
    assert all(p.severity == "plan" for p in found)
    return [str(p) for p in found]


def test_traffic_that_follows_the_plan_has_no_problem() -> None:
    body = data_body(
        api_key="test-key",
        events=[ce("cart_add", {"price": 19.99, "sku": "SKU-1", "size": "M", "added_at": "2024-01-02T03:04:05"}, user="user-1")],
        attributes=[{"user_id": "user-1", "custom": {"plan": "vip", "visits": 3}}],
    )
    assert problems(body) == []


def test_an_unplanned_event_names_the_planned_ones_nearby() -> None:
    assert problems(data_body(api_key="test-key", events=[ce("cart_ad", {})])) == [
        "events[0].data.n: unplanned custom event 'cart_ad'; planned names nearby: cart_add"
    ]


def test_a_wrong_type_says_what_was_planned_and_what_came() -> None:
    found = problems(data_body(api_key="test-key", events=[ce("cart_add", {"price": "19.99"})]))
    assert found == ["events[0].data.p.price: `cart_add.price`: planned number, got string '19.99'"]


def test_a_missing_required_property() -> None:
    found = problems(data_body(api_key="test-key", events=[ce("cart_add", {"sku": "SKU-2"})]))
    assert found == ["events[0].data.p.price: `cart_add.price`: required property missing"]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"price": 1, "sku": "sku-2"},
            "events[0].data.p.sku: `cart_add.sku`: 'sku-2' does not match the planned pattern '^SKU-[0-9]+$'",
        ),
        (
            {"price": 1, "size": "XL"},
            "events[0].data.p.size: `cart_add.size`: 'XL' is not one of the planned values ('S', 'M', 'L')",
        ),
        (
            {"price": 1, "added_at": "yesterday"},
            "events[0].data.p.added_at: `cart_add.added_at`: planned time, got string 'yesterday'",
        ),
        ({"price": 1, "colour": "red"}, "events[0].data.p.colour: `cart_add.colour`: unplanned property"),
        ({"price": 1, "prise": 2}, "events[0].data.p.prise: `cart_add.prise`: unplanned property; planned names nearby: price"),
    ],
)
def test_property_rules(props: dict, expected: str) -> None:
    assert problems(data_body(api_key="test-key", events=[ce("cart_add", props)])) == [expected]


def test_additional_properties_when_the_plan_allows_them() -> None:
    assert problems(data_body(api_key="test-key", events=[ce("song_played", {"anything": [1, 2]})])) == []


def test_a_bad_event_name_breaks_the_naming_convention() -> None:
    found = problems(data_body(api_key="test-key", events=[ce("CartAdd", {})]))
    assert found[0] == "events[0].data.n: event name 'CartAdd' breaks naming.event '^[a-z][a-z0-9_]*$'"


def test_an_email_as_external_id_is_reported() -> None:
    found = problems(data_body(api_key="test-key", events=[ce("song_played", {}, user="ada@example.com")]))
    assert found == ["user_id: external_id 'ada@example.com' is an email: it can change, Braze asks for an id that never does"]


def test_an_external_id_off_the_planned_pattern() -> None:
    found = problems(data_body(api_key="test-key", events=[ce("song_played", {}, user="ada")]))
    assert found == ["user_id: external_id 'ada' does not match identity.external_id.pattern '^user-[0-9]+$'"]


def test_a_production_key_in_a_test_run() -> None:
    found = problems(data_body(api_key="prod-key"), api_key="prod-key")
    assert found == [
        "api_key: production api key 'prod-key' in a test run (environments.production_api_keys): use the test workspace's key"
    ]


def test_attributes_unplanned_and_of_the_wrong_type() -> None:
    body = data_body(api_key="test-key", attributes=[{"custom": {"visits": "3", "plna": "vip", "plan": None}}])
    assert problems(body) == [
        "attributes[0].custom.visits: `visits`: planned integer, got string '3'",
        "attributes[0].custom.plna: unplanned custom attribute 'plna'; planned names nearby: plan",
    ]


def test_attribute_operations_must_fit_the_planned_type() -> None:
    inc = {"name": "inc", "time": 1795379909.0, "data": {"key": "plan", "value": 1}}
    add = {"name": "add", "time": 1795379909.0, "data": {"key": "visits", "value": "x"}}
    assert problems(data_body(api_key="test-key", events=[inc, add])) == [
        "events[0].data.key: `plan`: planned string, but changed as integer or number",
        "events[1].data.key: `visits`: planned integer, but changed as array",
    ]


def test_purchases_product_id_and_properties() -> None:
    purchase = {
        "name": "p",
        "time": 1795379909.0,
        "data": {"pid": "Gold-Pack", "c": "USD", "p": "9.99", "q": 1, "pr": {"gift": "yes"}},
    }
    assert problems(data_body(api_key="test-key", events=[purchase])) == [
        "events[0].data.pid: product id 'Gold-Pack' does not match '^[a-z_]+$'",
        "events[0].data.pr.gift: `purchase.gift`: planned boolean, got string 'yes'",
    ]


def test_rest_users_track_is_checked_with_its_own_field_names() -> None:
    body = {
        "attributes": [
            {"external_id": "user-1", "first_name": "Ada", "visits": 2.5},
            {"external_id": "user-1", "visits": {"inc": 3}, "plan": {"add": ["x"]}, "subscription_groups": []},
        ],
        "events": [{"external_id": "a@b.co", "name": "cart_add", "time": "2024-01-01T00:00:00Z", "properties": {}}],
    }
    decoded = decode("POST", "http://127.0.0.1:9090/users/track", {"authorization": "Bearer k"}, json.dumps(body).encode())
    assert [str(p) for p in PlanChecker(PLAN).check(decoded)] == [
        "attributes[0].visits: `visits`: planned integer, got number 2.5",
        "attributes[1].plan: `plan`: planned string, but changed as array",
        "events[0].external_id: external_id 'a@b.co' is an email: it can change, Braze asks for an id that never does",
        "events[0].properties.price: `cart_add.price`: required property missing",
    ]
