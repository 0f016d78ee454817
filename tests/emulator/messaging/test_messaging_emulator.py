"""Messaging in the emulator, driven in process: segments, triggers, cards (full/incremental sync,
dismissal, expiry), feature flags, banners, templates with Connected Content, metrics."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging import DefinitionError
from braze_harness.protocol.ids import trigger_id

from tests.support.inprocess_sdk import Sdk

BASE = "http://127.0.0.1/api/v3/"


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def scoped(emu: Emulator) -> tuple[str, Sdk]:
    scope = emu.create_scope("msg")
    key = emu.create_app(scope)["api_key"]
    return scope, Sdk(emu, key)


def test_triggers_go_to_segment_members_only(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "pros", "filters": [{"type": "attribute", "name": "plan", "value": "pro"}]}],
        campaigns=[
            {
                "kind": "in_app",
                "id": "welcome",
                "segment": "pros",
                "trigger": {"type": "open"},
                "message": {"type": "MODAL", "header": "Hi", "message": "Welcome", "buttons": [{"id": 0, "text": "OK"}]},
            },
            {
                "kind": "in_app",
                "id": "all",
                "trigger": {"type": "custom_event", "event": "played", "property_filters": [{"key": "genre", "value": "jazz"}]},
                "message": {"type": "SLIDEUP", "message": "Jazz"},
                "priority": 3,
            },
        ],
    )
    trigs = sdk.login("ada", attributes=[{"user_id": "ada", "custom": {"plan": "pro"}}])
    by_id = {t["id"]: t for t in trigs}
    assert set(by_id) == {"welcome", "all"}
    assert by_id["welcome"]["trigger_condition"] == [{"type": "open", "data": None}]
    assert by_id["welcome"]["data"]["trigger_id"] == trigger_id("welcome")
    assert by_id["welcome"]["data"]["btns"][0]["text"] == "OK"
    assert by_id["all"]["trigger_condition"] == [
        {
            "type": "custom_event_property",
            "data": {
                "event_name": "played",
                "property_filters": [
                    [{"property_key": "genre", "property_type": "string", "comparator": 1, "property_value": "jazz"}]
                ],
            },
        }
    ]
    assert by_id["all"]["priority"] == 3
    other = Sdk(emu, sdk.api_key, "dev-2")
    assert [t["id"] for t in other.login("bob")] == ["all"]
    assert [m["external_id"] for m in emu.messaging.members(scope, "pros")] == ["ada"]


def test_segment_filters(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[
            {
                "id": "fans",
                "filters": [
                    {"type": "custom_event", "name": "played", "op": "gte", "value": 2},
                    {"type": "sessions", "op": "gte", "value": 1},
                ],
            },
            {"id": "not-fans", "filters": [{"type": "segment", "id": "fans", "member": False}]},
            {"id": "buyers", "filters": [{"type": "purchase", "name": "sku-1"}]},
            {
                "id": "named",
                "any_of": [
                    [{"type": "attribute", "name": "first_name", "op": "regex", "value": "^A"}],
                    [{"type": "external_id", "op": "in", "value": ["zed"]}],
                ],
            },
        ],
    )
    sdk.login("ada", sdk.event("ce", {"n": "played", "p": {}}), attributes=[{"user_id": "ada", "first_name": "Ada"}])
    assert [m["external_id"] for m in emu.messaging.members(scope, "fans")] == []
    sdk.send(sdk.event("ce", {"n": "played", "p": {}}), sdk.event("p", {"pid": "sku-1", "c": "USD", "p": 1.0, "q": 1}))
    assert [m["external_id"] for m in emu.messaging.members(scope, "fans")] == ["ada"]
    assert [m["external_id"] for m in emu.messaging.members(scope, "not-fans")] == []
    assert [m["external_id"] for m in emu.messaging.members(scope, "buyers")] == ["ada"]
    assert [m["external_id"] for m in emu.messaging.members(scope, "named")] == ["ada"]


def test_bad_definitions_name_the_field_and_store_nothing(emu, scoped):
    scope, _ = scoped
    with pytest.raises(DefinitionError, match=r"campaigns\[1\]\.in_app\.message\.type"):
        emu.messaging.seed(
            scope,
            campaigns=[
                {"kind": "banner", "id": "b", "placement": "home", "html": "x"},
                {"kind": "in_app", "id": "x", "trigger": {"type": "open"}, "message": {"type": "POPUP", "message": "m"}},
            ],
        )
    with pytest.raises(DefinitionError, match=r"campaigns\[0\]\.segment: no segment 'nope'"):
        emu.messaging.seed(scope, campaigns=[{"kind": "banner", "id": "b", "placement": "home", "html": "x", "segment": "nope"}])
    with pytest.raises(DefinitionError, match=r"custom_event trigger needs `event`"):
        emu.messaging.seed(
            scope,
            campaigns=[
                {"kind": "in_app", "id": "x", "trigger": {"type": "custom_event"}, "message": {"type": "MODAL", "message": "m"}}
            ],
        )
    bad_regex = {"type": "custom_event", "event": "e", "property_filters": [{"key": "k", "op": "regex", "value": "("}]}
    with pytest.raises(DefinitionError, match=r"property_filters\.0: .*not a valid regex"):
        emu.messaging.seed(
            scope, campaigns=[{"kind": "in_app", "id": "x", "trigger": bad_regex, "message": {"type": "MODAL", "message": "m"}}]
        )
    with pytest.raises(DefinitionError, match=r"segments\[0\].*not a valid regex"):
        bad_filter = {"type": "attribute", "name": "a", "op": "regex", "value": "[a"}
        emu.messaging.seed(scope, segments=[{"id": "s", "filters": [bad_filter]}])
    assert emu.messaging.describe(scope)["campaigns"] == []


def test_content_cards_full_then_incremental_sync_dismissal_and_removal(emu, scoped):
    scope, sdk = scoped
    now = time.time()
    emu.messaging.seed(
        scope,
        campaigns=[
            {"kind": "content_card", "id": "a", "card": {"title": "A", "description": "a", "url": "https://x/a", "pinned": True}},
            {
                "kind": "content_card",
                "id": "b",
                "card": {"type": "captioned_image", "title": "B", "description": "b", "image": "https://x/b.png"},
            },
            {"kind": "content_card", "id": "ctl", "card": {"type": "control"}},
            {"kind": "content_card", "id": "old", "card": {"title": "Old", "expires_at": now - 10}},
        ],
    )
    sdk.login("ada")
    first = sdk.cards()
    assert first["full_sync"] is True
    cards = {c["id"]: c for c in first["cards"]}
    assert set(cards) == {"a", "b", "ctl"}
    assert cards["a"]["tp"] == "short_news" and cards["a"]["p"] is True and cards["a"]["u"] == "https://x/a"
    assert cards["b"]["tp"] == "captioned_image" and cards["ctl"]["tp"] == "control" and cards["a"]["ea"] == -1
    # nothing changed: an incremental sync sends nothing
    second = sdk.cards(first["last_full_sync_at"], first["last_card_updated_at"])
    assert second["full_sync"] is False and second["cards"] == []
    # the user dismisses b; a new card appears; a is withdrawn
    sdk.send(sdk.event("ccd", {"ids": ["b"]}))
    emu.messaging.seed(scope, campaigns=[{"kind": "content_card", "id": "c", "card": {"title": "C"}}])
    emu.messaging.remove(scope, "a")
    third = sdk.cards(first["last_full_sync_at"], second["last_card_updated_at"])
    assert third["full_sync"] is False
    assert sorted((c["id"], c.get("r", False)) for c in third["cards"]) == [("a", True), ("b", True), ("c", False)]
    # a full sync never brings the dismissed card back
    assert {c["id"] for c in sdk.cards()["cards"]} == {"ctl", "c"}


def test_feature_flags_by_segment_and_banners_per_placement(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "beta", "filters": [{"type": "external_id", "op": "in", "value": ["ada"]}]}],
        campaigns=[
            {"kind": "feature_flag", "id": "new_checkout", "segment": "beta", "properties": {"color": "blue", "limit": 5}},
            {"kind": "banner", "id": "hero", "placement": "home", "html": "<p>Sale</p>", "priority": 1},
            {"kind": "banner", "id": "hero-low", "placement": "home", "html": "<p>Low</p>"},
            {"kind": "banner", "id": "side", "placement": "sidebar", "html": "<p>Side</p>", "segment": "beta"},
        ],
    )
    sdk.login("ada")
    flags = sdk.post("feature_flags/sync")["feature_flags"]
    assert flags[0]["id"] == "new_checkout" and flags[0]["enabled"] is True and flags[0]["fts"]
    assert flags[0]["properties"] == {"color": {"type": "string", "value": "blue"}, "limit": {"type": "number", "value": 5}}
    answer = sdk.post("banners/sync", time_ms=1795380077197, placements=[{"id": "home"}, {"id": "sidebar"}])
    assert answer["request_time"] == 1795380077197
    assert answer["banners"]["home"]["banner"]["id"] == "hero" and answer["banners"]["sidebar"]["banner"]["id"] == "side"
    bob = Sdk(emu, sdk.api_key, "dev-2")
    bob.login("bob")
    assert bob.post("feature_flags/sync")["feature_flags"][0]["enabled"] is False
    assert set(bob.post("banners/sync", time_ms=1, placements=[{"id": "home"}, {"id": "sidebar"}])["banners"]) == {"home"}


class _Weather(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/fail":
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps({"city": "Paris", "temp": {"c": 21}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def weather() -> Any:
    server = HTTPServer(("127.0.0.1", 0), _Weather)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_templated_iam_personalised_with_connected_content(emu, scoped, weather):
    scope, sdk = scoped
    message = {
        "type": "MODAL",
        "header": "Hi {{${first_name} | default: 'friend'}}",
        "message": "{{connected.temp.c}}°C in {{connected.city | default: 'your city'}}, {{event_properties.${item}}}",
    }
    emu.messaging.seed(
        scope,
        campaigns=[
            {
                "kind": "in_app",
                "id": "wx",
                "templated": True,
                "connected_content_url": f"{weather}/now",
                "trigger": {"type": "custom_event", "event": "opened"},
                "message": message,
            },
            {
                "kind": "in_app",
                "id": "wx-down",
                "templated": True,
                "connected_content_url": f"{weather}/fail",
                "trigger": {"type": "custom_event", "event": "opened2"},
                "message": message,
            },
        ],
    )
    trigs = {t["id"]: t for t in sdk.login("ada", attributes=[{"user_id": "ada", "first_name": "Ada"}])}
    assert trigs["wx"]["type"] == "templated_iam" and trigs["wx"]["data"]["trigger_id"] == trigger_id("wx")
    event = {"name": "ce", "data": {"n": "opened", "p": {"item": "umbrella"}}, "time": time.time()}
    out = sdk.post(
        "template/",
        respond_with={"user_id": "ada"},
        template={"trigger_id": trigger_id("wx"), "trigger_event_type": "custom_event", "data": event},
    )
    data = out["templated_message"]["data"]
    assert out["templated_message"]["type"] == "inapp"
    assert (data["header"], data["message"]) == ("Hi Ada", "21°C in Paris, umbrella")
    down = sdk.post(
        "template/",
        respond_with={"user_id": "ada"},
        template={"trigger_id": trigger_id("wx-down"), "trigger_event_type": "custom_event", "data": event},
    )
    assert down["templated_message"]["data"]["message"] == "°C in your city, umbrella"
    log = emu.messaging.describe(scope)["templates"]
    assert log[-1]["connected_content_error"] == "HTTP 500"


def test_metrics_totals_and_uniques_per_campaign(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        campaigns=[
            {"kind": "in_app", "id": "welcome", "trigger": {"type": "open"}, "message": {"type": "MODAL", "message": "m"}},
            {
                "kind": "in_app",
                "id": "ctl",
                "control": True,
                "trigger": {"type": "open"},
                "message": {"type": "MODAL", "message": "m"},
            },
            {"kind": "content_card", "id": "card", "card": {"title": "t", "url": "https://x"}},
            {"kind": "feature_flag", "id": "flag"},
            {"kind": "banner", "id": "ban", "placement": "home", "html": "x"},
        ],
    )
    tid = trigger_id("welcome")
    sdk.login("ada")
    sdk.send(
        sdk.event("si", {"trigger_ids": [tid]}),
        sdk.event("sbc", {"trigger_ids": [tid], "bid": 0}),
        sdk.event("iec", {"trigger_ids": [trigger_id("ctl")]}),
        sdk.event("cci", {"ids": ["card"]}),
        sdk.event("ccc", {"ids": ["card"]}),
        sdk.event("ffi", {"fid": "flag", "fts": "x"}),
        sdk.event("bi", {"ids": ["ban"]}),
        sdk.event("bc", {"id": "ban", "bid": "cta"}),
        sdk.event("si", {"trigger_ids": ["zzz"]}),
    )
    bob = Sdk(emu, sdk.api_key, "dev-2")
    bob.login("bob")
    bob.send(bob.event("si", {"trigger_ids": [tid]}), bob.event("si", {"trigger_ids": [tid]}))
    m = emu.messaging.metrics(scope)
    w = m["campaigns"]["welcome"]
    assert w["totals"] == {"si": 3, "sbc": 1} and w["uniques"] == {"si": 2, "sbc": 1}
    assert w["by_user"] == {"user:ada": {"si": 1, "sbc": 1}, "user:bob": {"si": 2}}
    assert m["campaigns"]["ctl"]["totals"] == {"iec": 1}
    assert m["campaigns"]["card"]["totals"] == {"cci": 1, "ccc": 1}
    assert m["campaigns"]["flag"]["totals"] == {"ffi": 1}
    assert m["campaigns"]["ban"]["totals"] == {"bi": 1, "bc": 1}
    assert m["unattributed"] == {"si": 1}
    ctl = next(t for t in sdk.login("ada") if t["id"] == "ctl")
    assert ctl["data"]["is_control"] is True


def test_banner_dismissal_control_and_disabled_flag(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        campaigns=[
            {"kind": "banner", "id": "hero", "placement": "home", "html": "<p>x</p>"},
            {"kind": "banner", "id": "ctl", "placement": "side", "html": "<p>y</p>", "control": True},
            {"kind": "feature_flag", "id": "off", "enabled": False, "properties": {"n": {"type": "number", "value": 1}}},
        ],
    )
    sdk.login("ada")
    first = sdk.post("banners/sync", time_ms=5, placements=[{"id": "home"}, {"id": "side"}])
    assert first["banners"]["side"]["banner"]["is_control"] is True and first["banners"]["side"]["banner"]["html"] == ""
    # a pending dismissal is acknowledged and the banner is no longer served; a `bd` event does the same
    second = sdk.post(
        "banners/sync", time_ms=6, placements=[{"id": "home"}], pending_dismissals=[{"banner_id": "hero", "dismissal_time": 5}]
    )
    assert second["banners"] == {} and second["dismissals"]["acknowledged"][0]["banner_id"] == "hero"
    sdk.send(sdk.event("bd", {"id": "hero"}))
    assert sdk.post("banners/sync", time_ms=7, placements=[{"id": "home"}])["banners"] == {}
    flag = sdk.post("feature_flags/sync")["feature_flags"][0]
    assert flag["enabled"] is False and "fts" not in flag


def test_start_and_end_times(emu, scoped):
    scope, sdk = scoped
    now = time.time()
    emu.messaging.seed(
        scope,
        campaigns=[
            {"kind": "content_card", "id": "future", "card": {"title": "f"}, "start_time": now + 3600},
            {"kind": "content_card", "id": "past", "card": {"title": "p"}, "end_time": now - 1},
            {"kind": "content_card", "id": "now", "card": {"title": "n"}},
            {
                "kind": "in_app",
                "id": "later",
                "trigger": {"type": "open"},
                "message": {"type": "MODAL", "message": "m"},
                "start_time": now + 60,
                "delay": 2,
            },
        ],
    )
    trig = sdk.login("ada")[0]
    assert (trig["start_time"], trig["delay"]) == (now + 60, 2)  # the SDK enforces the window and the delay
    assert [c["id"] for c in sdk.cards()["cards"]] == ["now"]


def test_unscoped_traffic_gets_empty_answers(emu):
    sdk = Sdk(emu, "unknown-key")
    assert sdk.login("x") == []
    assert sdk.cards()["cards"] == []
    assert sdk.post("feature_flags/sync") == {"feature_flags": []}
    assert sdk.post("banners/sync", time_ms=9, placements=[{"id": "home"}]) == {"banners": {}, "request_time": 9}
