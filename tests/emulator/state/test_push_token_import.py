"""Historical data through `/users/track`: push tokens imported for identified and anonymous users (Braze's
push_token_import), past purchases, and a push to the user reaching the imported token; an SDK device that later
registers the same (app, device) takes the token over, as the SDK's registrations do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
def call(server, lab):
    rest_key = lab.rest_key()

    def post(path: str, body: Any) -> dict[str, Any]:
        answer = httpx.post(server.url + path, json=body, headers={"Authorization": f"Bearer {rest_key}"}, timeout=10)
        return {"status": answer.status_code, **answer.json()}

    return post


def test_imported_tokens_and_purchases_reach_the_profile_and_a_push_reaches_the_token(call, lab, server):
    android = lab.api_key("android")
    body = {
        "attributes": [
            {"external_id": "old-1", "push_token_import": True, "first_name": "Ola",
             "push_tokens": [{"app_id": android, "token": "fcm-legacy-1", "device_id": "legacy-device-1"}]},
        ],
        "purchases": [
            {"external_id": "old-1", "product_id": "plan", "currency": "USD", "price": 9.99, "time": "2024-01-05T10:00:00Z"},
        ],
    }  # fmt: skip
    answer = call("/users/track", body)
    assert answer["status"] == 201 and "errors" not in answer and answer["purchases_processed"] == 1
    [user] = call("/users/export/ids", {"external_ids": ["old-1"]})["users"]
    assert [(t["token"], t["device_id"], t["platform"]) for t in user["push_tokens"]] == [
        ("fcm-legacy-1", "legacy-device-1", "android")
    ]
    assert user["purchases"][0]["name"] == "plan" and user["first_name"] == "Ola"
    sent = call(
        "/messages/send", {"external_user_ids": ["old-1"], "messages": {"android_push": {"title": "Hi", "alert": "Welcome back"}}}
    )
    [delivery] = server.emulator.push.dispatch(lab.scope, sent["dispatch_id"]).deliveries
    assert (delivery.token, delivery.device_id) == ("fcm-legacy-1", "legacy-device-1")


def test_anonymous_imports_make_one_profile_per_object_and_known_tokens_are_ignored(call, lab, server):
    ios = lab.api_key("ios")
    anon = {"push_token_import": True, "push_tokens": [{"app_id": ios, "token": "apns-anon-1", "device_id": "d-anon"}]}
    assert call("/users/track", {"attributes": [anon]})["status"] == 201
    holders = [p for p in lab.profiles() if any(t["token"] == "apns-anon-1" for t in p["push_tokens"])]
    assert len(holders) == 1 and holders[0]["external_id"] is None
    call("/users/track", {"attributes": [anon]})  # the same token again: ignored, no second profile
    assert len([p for p in lab.profiles() if p["push_tokens"]]) == 1


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"external_id": "x", "push_tokens": [{"app_id": "A", "token": "t"}]}, "push_tokens needs push_token_import: true"),
        ({"external_id": "x", "push_token_import": True}, "needs a non-empty push_tokens array"),
        ({"external_id": "x", "push_token_import": True, "push_tokens": [{"app_id": "nope", "token": "t"}]},
         "no app 'nope' in this workspace"),
        ("web", "web push tokens cannot be imported through the API"),
    ],
)  # fmt: skip
def test_wrong_imports_are_named_non_fatal_errors(call, lab, obj, error):
    if obj == "web":
        obj = {"external_id": "x", "push_token_import": True, "push_tokens": [{"app_id": lab.api_key("web"), "token": "t"}]}
    answer = call("/users/track", {"attributes": [obj]})
    assert answer["status"] == 201 and error in answer["errors"][0]["type"]
