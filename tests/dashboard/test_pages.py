"""The dashboard's Messaging and Health pages (docs/dashboard.md) in real Chromium: a segment and campaigns seeded
through the control API, SDK requests posted over HTTP as an SDK sends them, and the pages following live: the
campaign's metrics and who was served and saw it, the rendered template, a bad request counted by location, and an
active fault."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.http.ui_path import ui_url
from braze_harness.protocol.ids import step_message_id, trigger_id
from playwright.sync_api import Page, expect

from tests.dashboard.test_dashboard import DOCS_IMG, LIVE_S, png_size
from tests.support.paths import REPO


class Device:
    """An SDK's requests over HTTP, as the Web SDK sends them (one device, one api key)."""

    def __init__(self, server: EmulatorServer, api_key: str, device_id: str) -> None:
        self.server, self.api_key, self.device_id = server, api_key, device_id
        self.user: str | None = None

    def post(self, endpoint: str, **fields: Any) -> httpx.Response:
        body = {"api_key": self.api_key, "device_id": self.device_id, "time": int(time.time()), "sdk_version": "6.13.0"}
        if self.user:
            body["user_id"] = self.user
        body.update(fields)
        return httpx.post(
            f"{self.server.url}/api/v3/{endpoint}",
            content=json.dumps(body),
            headers={"content-type": "application/json", "x-braze-api-key": self.api_key},
            timeout=10,
            trust_env=False,
        )

    def event(self, name: str, data: Any = None) -> dict[str, Any]:
        event: dict[str, Any] = {"name": name, "time": time.time(), "data": data or {}, "session_id": "s1"}
        if self.user:
            event["user_id"] = self.user
        return event

    def login(self, user: str, attributes: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """A session start as `user`: the triggers served."""
        self.user = user
        rw = {"triggers": True, "user_id": user, "config": {"config_time": 0}}
        answer = self.post("data/", respond_with=rw, events=[self.event("ss")], attributes=attributes or [])
        assert answer.status_code == 200, answer.text
        return answer.json()["triggers"]

    def send(self, *events: dict[str, Any]) -> None:
        answer = self.post("data/", events=list(events))
        assert answer.status_code == 200, answer.text


WELCOME = {
    "kind": "in_app",
    "id": "welcome",
    "segment": "pros",
    "trigger": {"type": "open"},
    "message": {"type": "MODAL", "header": "Welcome", "message": "Glad you're here"},
}
CART = {
    "kind": "in_app",
    "id": "cart-nudge",
    "templated": True,
    "trigger": {"type": "custom_event", "event": "added_to_cart"},
    "message": {
        "type": "SLIDEUP",
        "header": "Hi {{${first_name} | default: 'friend'}}",
        "message": "Your {{event_properties.${sku}}} waits",
    },
}
ONBOARDING = {
    "id": "onboarding",
    "entry": {"type": "custom_event", "event": "signed_up"},
    "steps": [
        {"id": "tips", "type": "message", "channel": "content_card", "card": {"title": "Tips"}},
        {"id": "wait", "type": "delay", "seconds": 86400},
        {"id": "bye", "type": "exit"},
    ],
}
PROS = {"id": "pros", "filters": [{"type": "attribute", "name": "plan", "op": "eq", "value": "pro"}]}


def seed(control: EmulatorClient, scope: str) -> None:
    control.seed_messaging(scope, segments=[PROS], campaigns=[WELCOME, CART], canvases=[ONBOARDING])


def open_page(page: Page, server: EmulatorServer, name: str, scope: str) -> None:
    page.goto(ui_url(server.url) + f"#/{name}")
    page.fill(f"#{name}-filters [name=scope]", scope)
    expect(page.locator("#status")).to_have_attribute("data-state", "live")


def metric(page: Page, campaign: str, code: str) -> Any:
    return page.locator(f"section[data-campaign='{campaign}'] table.metrics tr[data-code='{code}'] td")


def test_the_messaging_page_follows_a_campaigns_metrics_live(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-msg")
    api_key = control.create_app(scope)["api_key"]
    seed(control, scope)
    dashboard.goto(ui_url(server.url) + "#/messaging")  # no scope yet: the scopes something was seeded in
    seeded = dashboard.locator(f"#seeded-scopes tr[data-scope='{scope}'] td")
    expect(seeded).to_have_text([scope, "1", "2", "1"])
    seeded.first.click()
    expect(dashboard.locator("#messaging-filters [name=scope]")).to_have_value(scope)
    welcome = dashboard.locator("section[data-campaign=welcome]")
    expect(welcome).to_contain_text("segment pros")
    expect(welcome).to_contain_text("nothing served or engaged yet")
    expect(dashboard.locator("#segments tr[data-segment=pros]")).to_contain_text("none")

    ada = Device(server, api_key, "dash-msg-d1")
    served = ada.login("ada", attributes=[{"user_id": "ada", "first_name": "Ada", "custom": {"plan": "pro"}}])
    assert {t["id"] for t in served} == {"welcome", "cart-nudge"}
    expect(dashboard.locator("#segments tr[data-segment=pros]")).to_contain_text("ada", timeout=LIVE_S * 1000)
    expect(metric(dashboard, "welcome", "served")).to_have_text(["served", "", "1", "1"], timeout=LIVE_S * 1000)

    sent = time.monotonic()
    tid = trigger_id("welcome")
    ada.send(ada.event("si", {"trigger_ids": [tid]}), ada.event("sbc", {"trigger_ids": [tid], "bid": 0}))
    expect(metric(dashboard, "welcome", "si")).to_have_text(["in-app impression", "si", "1", "1"], timeout=LIVE_S * 1000)
    live_s = time.monotonic() - sent
    expect(metric(dashboard, "welcome", "sbc")).to_have_text(["in-app button click", "sbc", "1", "1"])
    row = welcome.locator("table.by-user tr[data-user='user:ada'] td")
    expect(row).to_have_text(["ada", "1", "1", "1", "0"])  # user, served, saw, clicked, dismissed

    ada.send(ada.event("si", {"trigger_ids": [tid]}))  # a second impression: the total moves, the users do not
    expect(metric(dashboard, "welcome", "si")).to_have_text(["in-app impression", "si", "2", "1"], timeout=LIVE_S * 1000)

    event = {"name": "ce", "data": {"n": "added_to_cart", "p": {"sku": "umbrella"}}, "time": time.time()}
    template = {"trigger_id": trigger_id("cart-nudge"), "trigger_event_type": "custom_event", "data": event}
    answer = ada.post("template/", respond_with={"user_id": "ada"}, template=template)
    assert answer.status_code == 200, answer.text
    rendered = dashboard.locator("#templates tbody tr[data-campaign=cart-nudge] td")
    expect(rendered).to_have_text(["cart-nudge", "ada", "Hi Ada", "Your umbrella waits", "sent"], timeout=LIVE_S * 1000)

    ada.send(ada.event("ce", {"n": "signed_up", "p": {}}))  # into the canvas: its card, then a day's wait
    canvas = dashboard.locator("section[data-canvas=onboarding]")
    expect(canvas.locator("table.progress tr[data-user='user:ada'] td")).to_have_text(
        ["ada", "active", "wait", "entry → tips → wait"], timeout=LIVE_S * 1000
    )
    ada.send(ada.event("cci", {"ids": [step_message_id("onboarding", "tips")]}))
    expect(canvas.locator("table.steps tr[data-step=tips] td")).to_have_text(
        ["tips", "message (content_card)", "0", "card impression 1"], timeout=LIVE_S * 1000
    )
    expect(canvas.locator("table.steps tr[data-step=wait] td")).to_have_text(["wait", "delay", "1", "—"])
    print(f"an impression showed on the Messaging page {live_s:.2f} s after it was sent")
    assert live_s < LIVE_S


def test_the_health_page_shows_bad_requests_by_location_and_active_faults(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-health")
    api_key = control.create_app(scope)["api_key"]
    open_page(dashboard, server, "health", scope)
    expect(dashboard.locator("#journal-facts [data-fact=entries]")).to_have_text("0")
    expect(dashboard.locator("#faults tbody")).to_contain_text("none")

    device = Device(server, api_key, "dash-h1")
    device.post("data/", events="not a list")
    expect(dashboard.locator("#drift-count")).to_have_text("1 request, 1 bad", timeout=LIVE_S * 1000)
    expect(dashboard.locator("#drift tr[data-where=events] td")).to_contain_text(["error", "events"])
    expect(dashboard.locator("#journal-facts [data-fact=bad]")).to_have_text("1")

    fault = control.add_fault(scope, endpoint="data", status=503, times=2)
    active = dashboard.locator(f"#faults tr[data-fault='{fault['id']}'] td")
    expect(active).to_have_text([scope, str(fault["id"]), "data", "HTTP 503", "2", "0", "active"], timeout=LIVE_S * 1000)
    assert device.post("data/", events=[device.event("ce", {"n": "x", "p": {}})]).status_code == 503
    expect(active).to_have_text([scope, str(fault["id"]), "data", "HTTP 503", "1", "1", "active"], timeout=LIVE_S * 1000)
    expect(dashboard.locator("#drift-count")).to_have_text("2 requests, 2 bad")
    expect(dashboard.locator("#drift tr[data-where=fault] td")).to_have_text(
        ["error", "fault", "injected HTTP 503 (not applied)", "1"]
    )


def test_screenshots_of_the_messaging_and_health_pages_for_the_docs(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient, tmp_path: Path
) -> None:
    """docs/img/dashboard-messaging.png and dashboard-health.png, as test_dashboard.py takes the others."""
    update = os.environ.get("BRAZE_UPDATE_DOCS_IMG") == "1"
    scope = control.create_scope("shop-promo")
    api_key = control.create_app(scope)["api_key"]
    seed(control, scope)
    ada = Device(server, api_key, "web-7f3a")
    ada.login("ada@example.com", attributes=[{"user_id": "ada@example.com", "first_name": "Ada", "custom": {"plan": "pro"}}])
    tid = trigger_id("welcome")
    ada.send(ada.event("si", {"trigger_ids": [tid]}), ada.event("sc", {"trigger_ids": [tid]}))
    ada.send(ada.event("ce", {"n": "signed_up", "p": {}}), ada.event("cci", {"ids": [step_message_id("onboarding", "tips")]}))
    bob = Device(server, api_key, "web-91c2")
    bob.login("bob@example.com", attributes=[{"user_id": "bob@example.com", "custom": {"plan": "free"}}])
    event = {"name": "ce", "data": {"n": "added_to_cart", "p": {"sku": "A-1"}}, "time": time.time()}
    template = {"trigger_id": trigger_id("cart-nudge"), "trigger_event_type": "custom_event", "data": event}
    ada.post("template/", respond_with={"user_id": "ada@example.com"}, template=template)
    control.add_fault(scope, endpoint="content_cards", status=500, times=3)
    bob.post("data/", events="oops")

    def shoot(name: str) -> None:
        docs = DOCS_IMG / name
        png = dashboard.screenshot(path=docs if update or not docs.exists() else tmp_path / name, full_page=True)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
        assert png_size(png)[0] == png_size(docs.read_bytes())[0], f"{name}: not the width of docs/img/{name}"
        assert f"img/{name}" in (REPO / "docs" / "dashboard.md").read_text(), f"docs/dashboard.md does not show {name}"

    open_page(dashboard, server, "messaging", scope)
    expect(metric(dashboard, "welcome", "sc")).to_contain_text(["in-app click"], timeout=LIVE_S * 1000)
    expect(dashboard.locator("#templates tbody tr")).to_have_count(1)
    shoot("dashboard-messaging.png")
    dashboard.click("nav a[data-nav=health]")
    dashboard.fill("#health-filters [name=scope]", scope)
    expect(dashboard.locator("#drift tr[data-where=events]")).to_have_count(1, timeout=LIVE_S * 1000)
    expect(dashboard.locator("#faults tbody tr")).to_have_count(1)
    shoot("dashboard-health.png")


def test_a_users_page_shows_identity_history_devices_push_tokens_and_subscriptions_live(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-identity")
    api_key = control.create_app(scope)["api_key"]
    laptop = Device(server, api_key, "dash-id-laptop")
    laptop.send(laptop.event("ss"), laptop.event("ce", {"n": "browsed", "p": {}}))  # anonymous first
    token = "https://push.example.test/sub/dash-1"
    laptop.login("cy", attributes=[{"user_id": "cy", "push_token": token, "email_subscribe": "opted_in"}])
    [profile] = control.profiles(external_id="cy", scope=scope)

    dashboard.goto(ui_url(server.url) + f"#/user/{profile['braze_id']}")
    expect(dashboard.locator("#user-title")).to_contain_text("cy")
    history = dashboard.locator("#user-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0).locator("td")).to_contain_text(["dash-id-laptop", "anonymous", "1"])
    expect(history.nth(1).locator("td")).to_contain_text(["dash-id-laptop", "cy", "1"])
    tokens = dashboard.locator("#user-tokens tbody tr td")
    expect(tokens).to_have_text(["dash-id-laptop", re.compile(r"^test-web"), "web", "enabled", token])
    expect(dashboard.locator("#user-subscriptions [data-fact=email]")).to_have_text("opted_in")
    # beside each attribute, when it was set: the UTC time of day of the login request, after the anonymous session
    set_at = profile["attribute_set_at"]["email_subscribe"]
    assert profile["first_session"] is not None and set_at > profile["first_session"]
    cells = dashboard.locator("#user-attributes tbody tr[data-attribute=email_subscribe] td")
    of_day = time.strftime("%H:%M:%S", time.gmtime(set_at)) + "Z"
    expect(cells).to_have_text(["email_subscribe", "opted_in", re.compile(rf"^{of_day} · \d+\.\d s after first session$")])

    phone = Device(server, api_key, "dash-id-phone")  # the same user on a second device: the page follows
    phone.login("cy")
    expect(dashboard.locator("#user-devices tbody tr")).to_have_count(2, timeout=LIVE_S * 1000)
    expect(history).to_have_count(3)
    phones = dashboard.locator("#user-history tbody tr[data-device=dash-id-phone] td")
    expect(phones).to_contain_text(["dash-id-phone", "cy", "1"])
