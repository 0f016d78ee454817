"""The REST subset over real HTTP: `/users/track` writes the same profiles the SDKs do, `/users/export/ids`
reads them back in Braze's export shape (docs/server-behaviour.md, rest-user-tracking and rest-user-export)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest


@pytest.fixture
def rest(server, lab):
    key = lab.api_key("android")  # the app the devices use; REST calls name the workspace's REST key
    rest_key = lab.rest_key()

    def call(path: str, body: Any, *, token: str | None = rest_key) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(server.url + path, json=body, headers=headers, timeout=10)

    call.key = key  # type: ignore[attr-defined]
    call.rest_key = rest_key  # type: ignore[attr-defined]
    return call


def test_a_key_is_required(rest):
    assert rest("/users/track", {}, token=None).status_code == 401
    refused = rest("/users/export/ids", {"external_ids": ["x"]}, token="not-a-key")
    assert refused.status_code == 401 and refused.json()["message"] == "Unauthorized"


def test_track_creates_and_updates_a_profile_then_export_reads_it(rest, lab):
    body = {
        "attributes": [
            {"external_id": "ada", "first_name": "Ada", "gender": "F", "tier": "gold", "visits": {"inc": 2}, "tags": ["a"]},
            {"external_id": "ada", "visits": {"inc": 3}, "tags": {"add": ["b", "c"], "remove": ["a"]}},
            {"external_id": "ada", "prefs": {"color": "blue"}},
            {"external_id": "ada", "_merge_objects": True, "prefs": {"size": "M"}},
        ],
        "events": [
            {"external_id": "ada", "name": "rest_signup", "time": "2026-11-01T10:00:00Z", "properties": {"plan": "pro"}},
            {"external_id": "ada", "name": "rest_signup", "time": "2026-11-02T10:00:00"},
        ],
        "purchases": [
            {
                "external_id": "ada",
                "product_id": "sku-1",
                "currency": "EUR",
                "price": 9.99,
                "quantity": 2,
                "time": "2026-11-03T00:00:00Z",
            }
        ],
    }
    answer = rest("/users/track", body)
    assert answer.status_code == 201
    assert answer.json() == {"message": "success", "attributes_processed": 1, "events_processed": 2, "purchases_processed": 1}
    [profile] = lab.profiles(external_id="ada")
    assert profile["attributes"]["first_name"] == "Ada" and profile["attributes"]["gender"] == "f"
    assert profile["attributes"]["custom"] == {
        "tier": "gold",
        "visits": 5,
        "tags": ["b", "c"],
        "prefs": {"color": "blue", "size": "M"},
    }
    assert profile["custom_events"] == {"rest_signup": 2} and profile["purchases"] == {"sku-1": 2}
    assert profile["revenue"] == pytest.approx(19.98)

    exported = rest("/users/export/ids", {"external_ids": ["ada", "nobody"]}).json()
    assert exported["invalid_user_ids"] == ["nobody"]
    [user] = exported["users"]
    assert user["external_id"] == "ada" and user["gender"] == "F" and user["total_revenue"] == pytest.approx(19.98)
    assert user["custom_events"] == [
        {"name": "rest_signup", "first": "2026-11-01T10:00:00.000Z", "last": "2026-11-02T10:00:00.000Z", "count": 2}
    ]
    assert user["purchases"][0]["count"] == 2 and user["created_at"].endswith(" UTC")
    only = rest("/users/export/ids", {"external_ids": ["ada"], "fields_to_export": ["external_id", "custom_attributes"]}).json()
    assert only["users"] == [{"external_id": "ada", "custom_attributes": profile["attributes"]["custom"]}]


def test_rest_and_sdk_data_meet_on_one_profile(rest, lab):
    phone = lab.device("android", api_key=rest.key)
    phone.open_session()
    phone.change_user("grace")
    phone.log_custom_event("sdk_event")
    phone.request_immediate_data_flush()
    assert rest("/users/track", {"attributes": [{"external_id": "grace", "plan": "pro"}]}).status_code == 201
    [profile] = lab.profiles(external_id="grace")
    assert profile["custom_events"] == {"sdk_event": 1} and profile["attributes"]["custom"] == {"plan": "pro"}
    [user] = rest("/users/export/ids", {"device_id": phone.device_id}).json()["users"]
    assert user["external_id"] == "grace" and [d["device_id"] for d in user["devices"]] == [phone.device_id]


def test_bad_objects_are_named_and_the_rest_applies(rest, lab):
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400 * 30))
    body = {
        "events": [
            {"external_id": "lin", "name": "ok_event", "time": future},
            {"external_id": "lin", "name": "no_time"},
            {"name": "no_identifier", "time": "2026-11-01T00:00:00Z"},
            {"external_id": "lin", "braze_id": "x", "name": "two_ids", "time": "2026-11-01T00:00:00Z"},
        ],
        "purchases": [{"external_id": "lin", "product_id": "p", "currency": "USD", "time": "2026-11-01T00:00:00Z"}],
    }
    answer = rest("/users/track", body).json()
    assert answer["message"] == "success" and answer["events_processed"] == 1 and answer["purchases_processed"] == 0
    errors = {(e["input_array"], e["index"]): e for e in answer["errors"]}
    assert set(errors) == {("events", 1), ("events", 2), ("events", 3), ("purchases", 0)}
    assert errors[("events", 1)]["field"] == "events[1].time" and "ISO 8601" in errors[("events", 1)]["type"]
    assert "exactly one of" in errors[("events", 2)]["type"] and "several identifiers" in errors[("events", 3)]["type"]
    assert errors[("purchases", 0)]["type"] == "missing price"
    [profile] = lab.profiles(external_id="lin")
    assert profile["custom_events"] == {"ok_event": 1}
    assert profile["custom_event_log"][0]["time"] <= time.time()  # a future time is taken as now


def test_update_only_and_aliases(rest, lab):
    body = {
        "attributes": [
            {"external_id": "ghost", "_update_existing_only": True, "x": 1},
            {"user_alias": {"alias_name": "a1", "alias_label": "crm"}, "y": 1},
            {"user_alias": {"alias_name": "a2", "alias_label": "crm"}, "_update_existing_only": False, "y": 2},
        ]
    }
    assert rest("/users/track", body).json()["attributes_processed"] == 1
    assert lab.profiles(external_id="ghost") == []
    [user] = rest("/users/export/ids", {"user_aliases": [{"alias_name": "a2", "alias_label": "crm"}]}).json()["users"]
    assert user["user_aliases"] == [{"alias_name": "a2", "alias_label": "crm"}] and user["custom_attributes"] == {"y": 2}
    assert rest("/users/export/ids", {"user_aliases": [{"alias_name": "a1", "alias_label": "crm"}]}).json()["users"] == []


@pytest.mark.parametrize(
    ("path", "body", "message", "detail"),
    [
        ("/users/track", {"events": [{}] * 76}, "Max Input Length Exceeded", "events: more than 75"),
        ("/users/track", {"users": []}, "Bad Request", "unknown field(s) ['users']"),
        ("/users/track", {"events": {}}, "Bad Request", "events must be an array"),
        ("/users/export/ids", {"external_ids": [str(i) for i in range(51)]}, "The max number of external_ids", "more than 50"),
        ("/users/export/ids", {}, "Bad Request", "give external_ids"),
        ("/users/export/ids", {"fields_to_export": "email", "external_ids": ["a"]}, "Bad Request", "fields_to_export"),
    ],
)
def test_fatal_mistakes_are_400_with_braze_messages(rest, path, body, message, detail):
    answer = rest(path, body)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(message) and detail in answer.json()["errors"][0]


def test_a_body_that_is_not_json_is_a_bad_request(server, rest):
    answer = httpx.post(server.url + "/users/track", content=b"{nope", headers={"Authorization": f"Bearer {rest.rest_key}"})
    assert answer.status_code == 400 and answer.json()["message"] == "Bad Request"


def test_api_events_enter_event_triggered_canvases(server, rest, lab):
    canvas = {
        "id": "welcome_flow",
        "entry": {"type": "custom_event", "event": "rest_signup"},
        "steps": [{"id": "card", "type": "message", "channel": "content_card", "card": {"title": "Hi", "description": "d"}}],
    }
    server.emulator.messaging.seed(lab.scope, canvases=[canvas])
    body = {
        "events": [
            {"external_id": "ann", "name": "rest_signup", "time": "2026-11-01T00:00:00Z"},
            {"external_id": "bob", "name": "rest_signup"},  # refused (no time): enters nothing
            {"external_id": "cy", "name": "other_event", "time": "2026-11-01T00:00:00Z"},
        ]
    }
    assert rest("/users/track", body).json()["events_processed"] == 2
    users = server.emulator.messaging.canvas_progress(lab.scope, "welcome_flow")["users"]
    assert list(users) == ["user:ann"] and users["user:ann"]["path"][-2:] == ["card", "exit"]  # walked to the end


def test_email_and_phone_beside_an_external_id_are_profile_fields(rest, lab):
    """Braze's own example sets `email` beside `external_id`: email and phone identify a user only when no
    external_id, braze_id or user_alias is given (docs/server-behaviour.md, rest-user-tracking)."""
    body = {"attributes": [{"external_id": "eve", "email": "eve@example.com", "phone": "+442071838750", "first_name": "Eve"}]}
    answer = rest("/users/track", body)
    assert answer.status_code == 201 and answer.json() == {"message": "success", "attributes_processed": 1}
    [profile] = lab.profiles(external_id="eve")
    attributes = profile["attributes"]
    assert (attributes["email"], attributes["phone"], attributes["first_name"]) == ("eve@example.com", "+442071838750", "Eve")
    # alone, the email still names the user: the same profile (the one with an external id) is updated
    assert rest("/users/track", {"attributes": [{"email": "eve@example.com", "tier": "gold"}]}).status_code == 201
    [profile] = lab.profiles(external_id="eve")
    assert profile["attributes"]["custom"] == {"tier": "gold"}
