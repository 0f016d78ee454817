"""The dashboard (`/_emulator/ui`, docs/dashboard.md) in real Chromium, used as a person uses it: the demo app runs in
one page while the dashboard is open in another, and its requests and its user's profile appear there live; the
filters narrow the traffic; a request opens to its raw and decoded text, its problems, faults and answer.

One emulator for the module; every test works in a scope of its own and filters the dashboard to it."""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import time
from pathlib import Path

import httpx
from braze_harness.client import EmulatorClient
from braze_harness.devices.web.demo.adapter import WebDemoAdapter, demo_site
from braze_harness.devices.web.sdk_bundle import ensure_bundle
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.http.ui_path import ui_url
from braze_harness.emulator.settings import EmulatorSettings
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.builders import ce, data_body, ss
from tests.support.paths import REPO
from tests.test_cli import COMMAND, Running, free_port

LIVE_S = 5.0  # how long a request may take to show on an open dashboard (it takes ~0.1 s)
DOCS_IMG = REPO / "docs" / "img"


def open_traffic(page: Page, server: EmulatorServer, scope: str) -> None:
    page.goto(ui_url(server.url))
    page.fill("#filters [name=scope]", scope)
    expect(page.locator("#status")).to_have_attribute("data-state", "live")
    expect(page.locator("#traffic-count")).to_have_text("waiting for requests…")


def post(server: EmulatorServer, api_key: str, body: str) -> httpx.Response:
    return httpx.post(
        server.url + "/api/v3/data/",
        content=body,
        headers={"content-type": "application/json", "x-braze-api-key": api_key},
        timeout=10,
        trust_env=False,
    )


def rows(page: Page) -> list[str]:
    return page.locator("#requests tbody tr").all_inner_texts()


# --- the demo app and the dashboard side by side ----------------------------------------------------------------


def test_the_demo_apps_requests_and_profile_appear_live(
    chromium: Browser, dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-demo")
    api_key = control.create_app(scope)["api_key"]
    open_traffic(dashboard, server, scope)
    users = dashboard.context.new_page()
    users.goto(ui_url(server.url) + "#/users")
    users.fill("#user-filters [name=scope]", scope)
    expect(users.locator("#users-count")).to_have_text("0 profiles")

    app_context = chromium.new_context()
    try:
        with demo_site(ensure_bundle("6.13.0")) as site:
            app = WebDemoAdapter(app_context.new_page(), site.url, api_key=api_key, base_url=server.url)
            app.launch()
            app.login("dash-ada")
            app.log_event("dash_opened", {"from": "test"})
            app.flush()
            sent = time.monotonic()
            row = dashboard.locator("#requests tbody tr", has_text="ce dash_opened")
            expect(row).to_have_count(1, timeout=LIVE_S * 1000)
            expect(row).to_contain_text("dash-ada")
            expect(row).to_contain_text("good")
            profile = users.locator("#profiles tbody tr", has_text="dash-ada")
            expect(profile).to_have_count(1, timeout=LIVE_S * 1000)
            live_s = time.monotonic() - sent
            app.close()
    finally:
        app_context.close()
    assert live_s < LIVE_S
    # newest first: the custom event's request came after the session start's
    texts = rows(dashboard)
    assert any(" ss" in t or "\tss" in t for t in texts[1:]), texts
    assert "ce dash_opened" in texts[0], texts
    profile.click()
    expect(users.locator("#user-title")).to_contain_text("dash-ada")
    expect(users.locator("#user-events tbody tr")).to_contain_text(["dash_opened"])
    expect(users.locator("#user-sessions tbody tr")).not_to_have_count(0)


# --- filters ------------------------------------------------------------------------------------------------------


def test_filters_narrow_the_traffic_to_a_user_an_event_and_bad_requests(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-filters")
    api_key = control.create_app(scope)["api_key"]
    open_traffic(dashboard, server, scope)
    post(server, api_key, data_body(api_key=api_key, device_id="dash-d1", events=[ss(user="ann"), ce("viewed", user="ann")]))
    post(server, api_key, data_body(api_key=api_key, device_id="dash-d2", events=[ce("bought", user="bob")]))
    post(server, api_key, '{"api_key": "' + api_key + '", "device_id": "dash-d3", "events": "not a list"}')
    expect(dashboard.locator("#requests tbody tr")).to_have_count(3, timeout=LIVE_S * 1000)

    dashboard.fill("#filters [name=user_id]", "bob")
    expect(dashboard.locator("#requests tbody tr")).to_have_count(1)
    expect(dashboard.locator("#requests tbody tr")).to_contain_text("ce bought")

    dashboard.fill("#filters [name=user_id]", "")
    dashboard.fill("#filters [name=event_name]", "viewed")
    expect(dashboard.locator("#requests tbody tr")).to_have_count(1)
    expect(dashboard.locator("#requests tbody tr")).to_contain_text("ann")

    dashboard.fill("#filters [name=event_name]", "")
    dashboard.fill("#filters [name=event_code]", "ss")
    expect(dashboard.locator("#requests tbody tr")).to_have_count(1)
    expect(dashboard.locator("#requests tbody tr")).to_contain_text("ce viewed")

    dashboard.fill("#filters [name=event_code]", "")
    dashboard.select_option("#filters [name=good]", "false")
    expect(dashboard.locator("#requests tbody tr")).to_have_count(1)
    expect(dashboard.locator("#requests tbody tr")).to_contain_text("bad")
    # still live under a filter: a new bad request shows, a new good one does not
    post(server, api_key, data_body(api_key=api_key, device_id="dash-d1", events=[ce("later", user="ann")]))
    post(server, api_key, '{"api_key": "' + api_key + '", "device_id": "dash-d4", "events": 7}')
    expect(dashboard.locator("#requests tbody tr")).to_have_count(2, timeout=LIVE_S * 1000)
    assert all(t.rstrip().endswith("bad") for t in rows(dashboard))

    dashboard.click("#filters button[type=reset]")  # every filter, the scope's too
    expect(dashboard.locator("#filters [name=scope]")).to_have_value("")
    dashboard.fill("#filters [name=scope]", scope)
    expect(dashboard.locator("#requests tbody tr")).to_have_count(5)


# --- one request ----------------------------------------------------------------------------------------------------


def test_a_request_opens_to_raw_and_decoded_with_its_problems_faults_and_answer(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("dash-detail")
    api_key = control.create_app(scope)["api_key"]
    control.add_fault(scope, endpoint="data", status=503, times=1)
    open_traffic(dashboard, server, scope)
    answer = post(server, api_key, data_body(api_key=api_key, device_id="dash-d9", events=[ce("in_detail", {"n": 3}, user="cy")]))
    assert answer.status_code == 503
    dashboard.locator("#requests tbody tr").first.click(timeout=LIVE_S * 1000)

    expect(dashboard).to_have_url(re.compile(r"#/request/\d+$"))
    expect(dashboard.locator("#request-title")).to_contain_text("POST /api/v3/data/ → 503")
    expect(dashboard.locator("#request-faults")).to_contain_text("injected")
    raw = dashboard.locator("#request-raw")
    expect(raw).to_contain_text("x-braze-api-key: " + api_key)
    expect(raw).to_contain_text('"n": "in_detail"')
    decoded = dashboard.locator("#request-decoded")
    expect(decoded).to_contain_text('"endpoint": "data"')
    expect(decoded).to_contain_text('"n": "in_detail"')
    expect(dashboard.locator("#request-answer")).to_contain_text("503")

    post(server, api_key, '{"api_key": "' + api_key + '", "device_id": "dash-d9", "events": "nope"}')
    dashboard.click("text=← traffic")
    expect(dashboard.locator("#requests tbody tr")).to_have_count(2, timeout=LIVE_S * 1000)
    dashboard.locator("#requests tbody tr").first.click()  # newest first: the malformed one
    expect(dashboard.locator("#request-facts")).to_contain_text("bad")
    expect(dashboard.locator("#request-problems li.error")).to_contain_text(["events"])
    expect(dashboard.locator("#request-faults")).to_be_empty()


def test_an_emulator_with_a_control_token_asks_for_it_and_then_streams(chromium: Browser) -> None:
    settings = EmulatorSettings(port=0, control_token="dash-secret-0123456789")  # type: ignore[arg-type]
    with EmulatorServer(settings) as srv:
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.goto(ui_url(srv.url))
            expect(page.locator("#token-form")).to_be_visible()
            page.fill("#token-form [name=token]", "dash-secret-0123456789")
            page.click("#token-form button")
            expect(page.locator("#status")).to_have_attribute("data-state", "live")
            page.goto(ui_url(srv.url) + "#/users?token=dash-secret-0123456789")
            expect(page.locator("#users-count")).to_have_text("0 profiles")
        finally:
            context.close()


# --- screenshots for the docs ---------------------------------------------------------------------------------------


def test_screenshots_of_the_dashboard_for_the_docs(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient, tmp_path: Path
) -> None:
    """docs/img/dashboard-*.png, taken here: what docs/dashboard.md shows is what this test saw. They are written
    into docs/img/ when missing or with BRAZE_UPDATE_DOCS_IMG=1 (times and ids differ from run to run: an ordinary
    run leaves the checkout clean), else into a temporary folder, and compared in size with those in the docs."""
    update = os.environ.get("BRAZE_UPDATE_DOCS_IMG") == "1"
    scope = control.create_scope("shop-checkout")
    api_key = control.create_app(scope)["api_key"]
    open_traffic(dashboard, server, scope)

    def called(label: str, error: str | None = None) -> None:  # a call of the test on its app, as the plugin sends it
        start = time.time()
        time.sleep(0.15)
        call = {"lane": "app", "name": label.split("(")[0], "label": label, "start": start, "end": time.time(), "error": error}
        control.post_calls(scope, [call])

    called("launch()")
    called('login("ada@example.com")')
    post(server, api_key, data_body(api_key=api_key, device_id="web-7f3a", events=[ss(user="ada@example.com")]))
    attrs = [{"user_id": "ada@example.com", "first_name": "Ada", "custom": {"plan": "pro"}}]
    events = [ce("added_to_cart", {"sku": "A-1", "qty": 2}, user="ada@example.com")]
    called('log_event("added_to_cart", {"sku": "A-1", "qty": 2})')
    called("flush()")
    post(server, api_key, data_body(api_key=api_key, device_id="web-7f3a", events=events, attributes=attrs))
    called('purchase("A-1", -5)', "DemoAppError: purchase: the price must be positive")
    post(server, api_key, '{"api_key": "' + api_key + '", "device_id": "web-7f3a", "events": "oops"}')
    expect(dashboard.locator("#requests tbody tr")).to_have_count(3, timeout=LIVE_S * 1000)
    dashboard.wait_for_timeout(1600)  # the new rows' highlight fades

    def shoot(name: str, part: Locator | None = None) -> None:
        docs = DOCS_IMG / name
        path = docs if update or not docs.exists() else tmp_path / name
        png = part.screenshot(path=path) if part is not None else dashboard.screenshot(path=path)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name
        assert png_size(png) == png_size(docs.read_bytes()), f"{name}: not the size of docs/img/{name}"
        assert f"img/{name}" in (REPO / "docs" / "dashboard.md").read_text(), f"docs/dashboard.md does not show {name}"

    shoot("dashboard-traffic.png")
    dashboard.locator("#timeline summary").click()
    dashboard.wait_for_function("() => document.querySelector('#timeline-picture img')?.naturalWidth === 960")
    shoot("dashboard-timeline.png", dashboard.locator("#timeline"))
    dashboard.locator("#timeline summary").click()
    dashboard.locator("#requests tbody tr", has_text="added_to_cart").click()
    expect(dashboard.locator("#request-decoded")).to_contain_text("added_to_cart")
    shoot("dashboard-request.png")
    dashboard.click("nav a[data-nav=users]")
    dashboard.fill("#user-filters [name=scope]", scope)
    dashboard.locator("#profiles tbody tr", has_text="ada@example.com").click()
    expect(dashboard.locator("#user-attributes")).to_contain_text("plan")
    shoot("dashboard-user.png")


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    return struct.unpack(">II", png[16:24])


# --- where it is announced, and what an open dashboard does to stopping -----------------------------------------------


def test_the_command_prints_the_dashboard_and_stops_promptly_with_one_open() -> None:
    server = Running()
    try:  # the stream on a connection of its own: stopping closes the server's client, not this one
        with (
            httpx.Client(base_url=server.url, trust_env=False) as other,
            other.stream("GET", "/_emulator/requests/stream") as stream,
        ):
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            assert next(lines) == "event: ready"
            page = server.http.get("/_emulator/ui/")
            assert page.status_code == 200 and "Braze emulator" in page.text
            started = time.monotonic()
            code, out, err = server.stop()
            stopped_s = time.monotonic() - started
            print(f"stopped in {stopped_s:.2f} s with a dashboard stream open")
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.communicate(timeout=15)
    assert code in (130, 0), err
    banner = f"dashboard (live traffic, users, messaging, health; docs/dashboard.md): {server.url}/_emulator/ui/"
    assert banner in out.splitlines()
    assert stopped_s < 8, f"an open dashboard stream held the emulator's stop {stopped_s:.1f} s"
    assert "Traceback" not in err


def test_a_saved_journal_is_served_and_browsed(chromium: Browser, tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    with EmulatorServer(EmulatorSettings(port=0, journal_db=db)) as saving:
        client = EmulatorClient(saving.url)
        scope = client.create_scope("saved")
        api_key = client.create_app(scope)["api_key"]
        client.close()
        post(saving, api_key, data_body(api_key=api_key, device_id="sv-1", events=[ce("saved_one", user="sam")]))
        post(saving, api_key, data_body(api_key=api_key, device_id="sv-2", events=[ce("saved_two", user="tia")]))
        saved = [e["seq"] for e in httpx.get(saving.url + "/_emulator/requests", params={"scope": scope}).json()["entries"]]

    port = free_port()
    proc = subprocess.Popen(
        [*COMMAND, "journal", "serve", str(db), "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    context = chromium.new_context()
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(trust_env=False, transport=httpx.HTTPTransport(retries=6)) as http:
            assert http.get(url + "/_emulator/health").status_code == 200
        page = context.new_page()
        page.goto(ui_url(url))
        page.fill("#filters [name=scope]", scope)
        table = page.locator("#requests tbody tr")
        expect(table).to_have_count(2)
        assert [int(s) for s in reversed([table.nth(i).get_attribute("data-seq") or "" for i in range(2)])] == saved
        page.fill("#filters [name=user_id]", "tia")
        expect(table).to_have_count(1)
        table.first.click()
        expect(page.locator("#request-decoded")).to_contain_text("saved_two")
        expect(page.locator("#request-facts")).to_contain_text(scope)
        page.click("nav a[data-nav=users]")
        expect(page.locator("#users-empty")).to_be_visible()
    finally:
        context.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert f"journal {db}: 2 entries" in out, out + err
    assert f"dashboard (live traffic, users, messaging, health; docs/dashboard.md): http://127.0.0.1:{port}/_emulator/ui/" in out
    assert "Traceback" not in err
