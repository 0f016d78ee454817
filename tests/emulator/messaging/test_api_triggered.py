"""API-triggered delivery (`/campaigns/trigger/send`, `/canvas/trigger/send`), in process: recipients and broadcast,
attributes written before the message, `trigger_properties` / `canvas_entry_properties` in the Liquid, cards in
the recipient's inbox, pushes to their tokens, Braze's fatal errors, and what is not supported named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging import DefinitionError

from tests.support.inprocess_sdk import Sdk

TOKEN = "https://push.example.test/sub/"
VIP = {
    "kind": "api_triggered",
    "id": "vip",
    "card": {"title": "Welcome to VIP, {{${first_name}}}", "description": "Your code: {{api_trigger_properties.${code}}}"},
    "push": {"web_push": {"title": "VIP", "alert": "{{api_trigger_properties.${code}}} for {{${first_name}}}"}},
}


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def scoped(emu: Emulator) -> tuple[str, Sdk, str]:
    scope = emu.create_scope("api-trigger")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    return scope, sdk, emu.rest.create_key(scope).key


def rest(emu: Emulator, key: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    answer = emu.handle("POST", f"http://127.0.0.1{path}", {"Authorization": f"Bearer {key}"}, json.dumps(body))
    return answer.status, answer.body


def user(sdk: Sdk, name: str, **attributes: Any) -> None:
    sdk.login(name, attributes=[{"user_id": name, "push_token": TOKEN + name, **attributes}])


def test_a_campaign_reaches_its_recipients_personalised_as_card_and_push(emu, scoped):
    scope, sdk, key = scoped
    emu.messaging.seed(scope, campaigns=[VIP])
    user(sdk, "ada", first_name="Ada")
    status, body = rest(
        emu,
        key,
        "/campaigns/trigger/send",
        {"campaign_id": "vip", "trigger_properties": {"code": "GOLD"}, "recipients": [{"external_user_id": "ada"}]},
    )
    assert status == 201 and body["message"] == "success" and body["dispatch_id"]
    [card] = sdk.cards()["cards"]
    assert card["id"] == f"vip~{body['dispatch_id']}"
    assert card["tt"] == "Welcome to VIP, Ada" and card["ds"] == "Your code: GOLD"
    [delivery] = emu.push.outbox(scope, sdk.device_id)
    assert delivery.campaign_id == "vip" and delivery.external_id == "ada" and delivery.dispatch_id == body["dispatch_id"]
    assert "GOLD for Ada" in json.dumps(delivery.payload)
    dispatch = emu.push.dispatch(scope, body["dispatch_id"]).to_json()
    assert [c["external_id"] for c in dispatch["cards"]] == ["ada"] and len(dispatch["deliveries"]) == 1
    # the card's engagement counts for the campaign
    sdk.send(sdk.event("cci", {"ids": [card["id"]]}), sdk.event("ccd", {"ids": [card["id"]]}))
    assert emu.messaging.metrics(scope, "vip")["totals"] == {"cci": 1, "ccd": 1}
    assert sdk.cards(last_full_sync_at=1)["cards"] == [{"id": card["id"], "r": True}]  # dismissed: gone


def test_recipient_properties_override_and_attributes_are_written_first(emu, scoped):
    scope, sdk, key = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "vips", "filters": [{"type": "attribute", "name": "tier", "value": "vip"}]}],
        campaigns=[{**VIP, "segment": "vips"}],
    )
    user(sdk, "bo", first_name="Bo")
    body = {
        "campaign_id": "vip",
        "trigger_properties": {"code": "ALL"},
        "recipients": [
            {"external_user_id": "bo", "trigger_properties": {"code": "BO"}, "attributes": {"tier": "vip"}},
            {"external_user_id": "new", "send_to_existing_only": False, "attributes": {"tier": "vip", "first_name": "Nu"}},
            {"external_user_id": "ghost"},
        ],
    }
    status, answer = rest(emu, key, "/campaigns/trigger/send", body)
    assert status == 201
    dispatch = emu.push.dispatch(scope, answer["dispatch_id"]).to_json()
    cards = {c["external_id"]: c["card"] for c in dispatch["cards"]}
    assert cards["bo"]["ds"] == "Your code: BO"  # the recipient's own properties win
    assert cards["new"]["tt"] == "Welcome to VIP, Nu"  # created with its attributes, then sent
    assert {"external_id": "ghost", "reason": "no such user (send_to_existing_only)"} in dispatch["skipped"]
    assert emu.profiles(scope=scope, external_id="bo")[0]["attributes"]["custom"]["tier"] == "vip"


def test_segment_re_eligibility_and_broadcast(emu, scoped):
    scope, sdk, key = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "vips", "filters": [{"type": "attribute", "name": "tier", "value": "vip"}]}],
        campaigns=[{**VIP, "segment": "vips", "re_eligibility": None}],
    )
    user(sdk, "cy", first_name="Cy")
    one = {"campaign_id": "vip", "recipients": [{"external_user_id": "cy"}]}
    _, first = rest(emu, key, "/campaigns/trigger/send", one)
    assert emu.push.dispatch(scope, first["dispatch_id"]).skipped[0]["reason"] == "not in the segment 'vips'"
    rest(emu, key, "/users/track", {"attributes": [{"external_id": "cy", "tier": "vip"}]})
    _, broadcast = rest(emu, key, "/campaigns/trigger/send", {"campaign_id": "vip", "broadcast": True, "send_id": "s1"})
    assert broadcast["send_id"] == "s1"
    assert [c["external_id"] for c in emu.push.dispatch(scope, broadcast["dispatch_id"]).cards] == ["cy"]
    _, again = rest(emu, key, "/campaigns/trigger/send", one)
    assert emu.push.dispatch(scope, again["dispatch_id"]).skipped[0]["reason"].startswith("not re-eligible")


@pytest.mark.parametrize(
    ("body", "status", "message", "error"),
    [
        ({"campaign_id": "nope", "recipients": [{"external_user_id": "a"}]}, 400, "Invalid Campaign ID", "campaign_id"),
        ({"campaign_id": "vip"}, 400, "No Recipients", "recipients"),
        ({"campaign_id": "vip", "broadcast": True, "recipients": [{"external_user_id": "a"}]}, 400, "Bad Request", "recipients"),
        (
            {"campaign_id": "vip", "recipients": [{"external_user_id": str(i)} for i in range(51)]},
            400,
            "The max number of external_ids and aliases per request was exceeded",
            "recipients",
        ),
        (
            {"campaign_id": "vip", "recipients": [{"user_alias": {"alias_name": "a", "alias_label": "l"}}]},
            400,
            "Bad Request",
            "recipients[0].user_alias: user_alias recipients are not supported by this emulator",
        ),
        ({"campaign_id": "vip", "broadcast": True, "audience": {"AND": []}}, 400, "Bad Request", "audience: connected"),
        (
            {"campaign_id": "vip", "recipients": [{"external_user_id": "a", "send_to_existing_only": False}]},
            400,
            "Bad Request",
            "needs an attributes object",
        ),
    ],
)
def test_fatal_errors_are_brazes(emu, scoped, body, status, message, error):
    scope, _, key = scoped
    emu.messaging.seed(scope, campaigns=[VIP])
    got_status, answer = rest(emu, key, "/campaigns/trigger/send", body)
    assert (got_status, answer["message"]) == (status, message)
    assert error in answer["errors"][0]


def test_a_key_needs_the_trigger_permission(emu, scoped):
    scope, _, _ = scoped
    emu.messaging.seed(scope, campaigns=[VIP])
    track_only = emu.rest.create_key(scope, permissions=["users.track"]).key
    status, answer = rest(emu, track_only, "/campaigns/trigger/send", {"campaign_id": "vip", "broadcast": True})
    assert status == 403 and "campaigns.trigger.send" in answer["errors"][0]


def test_definitions_name_what_braze_does_not_allow(emu):
    scope = emu.create_scope("defs")
    with pytest.raises(DefinitionError, match="in-app messages can't be API-triggered"):
        emu.messaging.seed(scope, campaigns=[{"kind": "api_triggered", "id": "x", "in_app_message": {"type": "MODAL"}}])
    with pytest.raises(DefinitionError, match=r"campaigns\[0\]\.card\.title: .*line 1"):
        emu.messaging.seed(scope, campaigns=[{"kind": "api_triggered", "id": "x", "card": {"title": "{% if %}"}}])
    with pytest.raises(DefinitionError, match="needs `push` and/or `card`"):
        emu.messaging.seed(scope, campaigns=[{"kind": "api_triggered", "id": "x"}])


def test_a_canvas_entered_through_the_api_renders_its_entry_properties(emu, scoped):
    scope, sdk, key = scoped
    emu.messaging.seed(
        scope,
        canvases=[
            {
                "id": "order",
                "entry": {"type": "api"},
                "steps": [
                    {
                        "id": "card",
                        "type": "message",
                        "channel": "content_card",
                        "card": {"title": "Order {{canvas_entry_properties.${order_id}}}"},
                        "next": "push",
                    },
                    {
                        "id": "push",
                        "type": "message",
                        "channel": "push",
                        "push": {"web_push": {"alert": "Shipped {{canvas_entry_properties.${order_id}}}"}},
                    },
                ],
            }
        ],
    )
    user(sdk, "di")
    body = {"canvas_id": "order", "canvas_entry_properties": {"order_id": "A-1"}, "recipients": [{"external_user_id": "di"}]}
    status, answer = rest(emu, key, "/canvas/trigger/send", body)
    assert status == 201 and emu.push.dispatch(scope, answer["dispatch_id"]).entered == ["di"]
    assert [c["tt"] for c in sdk.cards()["cards"]] == ["Order A-1"]
    [delivery] = emu.push.outbox(scope, sdk.device_id)
    assert "Shipped A-1" in json.dumps(delivery.payload) and delivery.campaign_id == "order.push"
    run = emu.messaging.canvas_progress(scope, "order")["users"]["user:di"]
    assert run["history"][0]["canvas_entry_properties"] == {"order_id": "A-1"}
    _, again = rest(emu, key, "/canvas/trigger/send", body)
    assert emu.push.dispatch(scope, again["dispatch_id"]).skipped[0]["reason"] == "already in the canvas (re_entry is false)"
    status, wrong = rest(emu, key, "/canvas/trigger/send", {"canvas_id": "nope", "broadcast": True})
    assert status == 400 and wrong["message"] == "Invalid Canvas ID"


# -- /messages/send with a content_card ------------------------------------------------------------------------

CARD = {
    "type": "CLASSIC",
    "title": "Flash sale",
    "description": "Today only",
    "time_to_live": 3600,
    "web_uri": "https://shop.test/s",
}


def test_messages_send_places_a_content_card_with_the_push_under_one_dispatch(emu, scoped):
    scope, sdk, key = scoped
    user(sdk, "eve")
    body = {
        "external_user_ids": ["eve", "nobody"],
        "campaign_id": "flash",
        "messages": {"content_card": CARD, "web_push": {"title": "Sale", "alert": "Today only"}},
    }
    status, answer = rest(emu, key, "/messages/send", body)
    assert status == 201
    dispatch = emu.push.dispatch(scope, answer["dispatch_id"]).to_json()
    assert [c["external_id"] for c in dispatch["cards"]] == ["eve"] and len(dispatch["deliveries"]) == 1
    assert {"external_id": "nobody", "reason": "no such user"} in dispatch["skipped"]
    [card] = sdk.cards()["cards"]
    assert (card["tt"], card["ds"], card["u"]) == ("Flash sale", "Today only", "https://shop.test/s")
    assert abs(card["ea"] - (emu.messaging.now(scope) + 3600)) <= 1  # time_to_live from now
    sdk.send(sdk.event("cci", {"ids": [card["id"]]}))
    assert emu.messaging.metrics(scope, "flash")["totals"] == {"cci": 1}  # tracked under its campaign_id


def test_a_card_only_send_and_its_mistakes(emu, scoped):
    _scope, sdk, key = scoped
    user(sdk, "fay")
    status, _answer = rest(emu, key, "/messages/send", {"broadcast": True, "messages": {"content_card": CARD}})
    assert status == 201 and [c["tt"] for c in sdk.cards()["cards"]] == ["Flash sale"]
    for wrong, message in [
        ({**CARD, "type": "FANCY"}, "type must be one of CLASSIC, CAPTIONED_IMAGE, BANNER"),
        ({k: v for k, v in CARD.items() if k != "time_to_live"}, "give time_to_live or expire_at"),
        ({**CARD, "time_to_live": 31 * 86400}, "more than 30 days ahead"),
        ({**CARD, "type": "CAPTIONED_IMAGE"}, "image_url is required for CAPTIONED_IMAGE"),
    ]:
        status, refused = rest(emu, key, "/messages/send", {"broadcast": True, "messages": {"content_card": wrong}})
        assert (status, refused["message"]) == (400, "Bad Request") and message in refused["errors"][0]
    status, refused = rest(emu, key, "/messages/send", {"messages": {"content_card": CARD}})
    assert status == 400 and refused["message"] == "No Recipients"
