"""A scope's timeline on the dashboard (docs/dashboard.md): the emulator draws it from the journal
(`/_emulator/scopes/{scope}/timeline.svg`, a self-contained SVG: its requests, their events, user and session changes),
and the Traffic page shows it for the scope it is filtered to, read again as the scope's traffic comes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer
from playwright.sync_api import Page, expect

from tests.dashboard.test_dashboard import LIVE_S, open_traffic, post
from tests.support.builders import ce, data_body, ss

SVG = "{http://www.w3.org/2000/svg}"


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_the_route_draws_a_scopes_requests_events_and_state_changes(server: EmulatorServer, control: EmulatorClient) -> None:
    scope = control.create_scope("timeline-route")
    api_key = control.create_app(scope)["api_key"]
    post(server, api_key, data_body(api_key=api_key, device_id="tl-d1", events=[ss()]))
    post(server, api_key, data_body(api_key=api_key, device_id="tl-d1", events=[ss(user="ann"), ce("viewed", user="ann")]))
    post(server, api_key, '{"api_key": "' + api_key + '", "device_id": "tl-d1", "events": "not a list"}')

    answer = httpx.get(f"{server.url}/_emulator/scopes/{scope}/timeline.svg", trust_env=False)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    root = ET.fromstring(answer.content)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    bars = [r.get("class") for r in root.iter(f"{SVG}rect") if (r.get("class") or "").startswith("req")]
    assert sorted(bars) == ["req", "req", "req bad"], bars
    assert len([c for c in root.iter(f"{SVG}circle") if c.get("class") == "event"]) == 3
    lines = texts(root)
    listed = [t for t in lines if t.startswith("#") and "POST /api/v3/data/" in t]
    assert len(listed) == 3, lines
    assert any("ce 'viewed'" in t for t in listed)
    states = [t for t in lines if "session start" in t or "user " in t]
    assert any("user anonymous → ann" in t for t in states), states
    assert any("Expectations are not drawn here" in t for t in lines), "the dashboard's picture names what it lacks"

    missing = httpx.get(f"{server.url}/_emulator/scopes/no-such-scope/timeline.svg", trust_env=False)
    assert missing.status_code == 404
    assert missing.json()["message"] == "no journal entry in scope 'no-such-scope' (nothing sent yet, or no such scope)"


def test_the_traffic_page_shows_the_filtered_scopes_timeline_live(
    dashboard: Page, server: EmulatorServer, control: EmulatorClient
) -> None:
    scope = control.create_scope("timeline-page")
    api_key = control.create_app(scope)["api_key"]
    dashboard.goto(server.url + "/_emulator/ui/")
    expect(dashboard.locator("#timeline")).to_be_hidden()  # no scope filtered: no scope's timeline

    open_traffic(dashboard, server, scope)
    panel = dashboard.locator("#timeline")
    expect(panel).to_be_visible()
    panel.locator("summary").click()
    expect(dashboard.locator("#timeline-picture")).to_contain_text("no journal entry in scope")

    post(server, api_key, data_body(api_key=api_key, device_id="tl-d2", events=[ss(user="bea")]))
    picture = dashboard.locator("#timeline-picture img")
    expect(picture).to_have_count(1, timeout=LIVE_S * 1000)
    dashboard.wait_for_function("() => document.querySelector('#timeline-picture img').naturalWidth === 960")
    first = picture.get_attribute("src")
    assert first and first.startswith("blob:")
    assert dashboard.locator("#timeline-download").get_attribute("download") == f"{scope}-timeline.svg"

    post(server, api_key, data_body(api_key=api_key, device_id="tl-d2", events=[ce("again", user="bea")]))
    expect(picture).not_to_have_attribute("src", first, timeout=LIVE_S * 1000)  # drawn again with the new request
    svg = dashboard.evaluate("async () => await (await fetch(document.querySelector('#timeline-download').href)).text()")
    assert svg.count("POST /api/v3/data/") >= 2 and "ce &#x27;again&#x27;" in svg


def test_the_route_draws_the_calls_the_plugin_posted_and_the_attributes_set(
    server: EmulatorServer, control: EmulatorClient
) -> None:
    import time

    scope = control.create_scope("timeline-calls")
    api_key = control.create_app(scope)["api_key"]
    started = time.time()
    post(server, api_key, data_body(api_key=api_key, device_id="tl-d3", events=[ss(user="cy")]))
    between = time.time()
    calls = [
        {"lane": "app", "name": "launch", "label": "launch()", "start": started - 0.2, "end": started - 0.1, "error": None},
        {"lane": "app", "name": "log_event", "label": 'log_event("paid")', "start": between, "end": between + 0.01,
         "error": None},
        {"lane": "app", "name": "flush", "label": "flush()", "start": between + 0.02, "end": between + 0.03,
         "error": "DemoAppError: the demo app's button 'flush' is disabled"},
    ]  # fmt: skip
    assert control.post_calls(scope, calls) == {"scope": scope, "kept": 3, "dropped": 0}
    assert control.calls(scope) == calls
    attrs = [{"user_id": "cy", "custom": {"plan": "pro"}}]
    post(server, api_key, data_body(api_key=api_key, device_id="tl-d3", events=[ce("paid", user="cy")], attributes=attrs))

    root = ET.fromstring(httpx.get(f"{server.url}/_emulator/scopes/{scope}/timeline.svg", trust_env=False).content)
    bars = sorted(float(r.get("x")) for r in root.iter(f"{SVG}rect") if r.get("class") == "req")
    drawn = {r.find(f"{SVG}title").text.split(" (")[0]: float(r.get("x")) for r in root.iter(f"{SVG}rect")
             if (r.get("class") or "").startswith("call")}  # fmt: skip
    assert list(drawn) == [
        "app: launch()",
        'app: log_event("paid")',
        "app: flush() — DemoAppError: the demo app's button 'flush' is disabled",
    ]
    assert drawn["app: launch()"] < bars[0] < drawn['app: log_event("paid")'] < bars[1]  # one time axis
    lines = texts(root)
    assert "Test calls (3)" in lines and not any("No calls on the app were posted" in t for t in lines)
    assert [t for t in lines if t.endswith("cy: custom.plan=pro")], lines  # the attribute set, listed

    refused = httpx.post(f"{server.url}/_emulator/scopes/{scope}/calls", json={"calls": [{"name": "x"}]}, trust_env=False)
    assert refused.status_code == 400 and refused.json()["field"] == "calls"
    control.drop_scope(scope)
    assert control.calls(scope) == []  # they go with the scope


def test_a_scope_without_posted_calls_says_so() -> None:
    with EmulatorServer() as server:
        control = EmulatorClient(server.url)
        scope = control.create_scope("no-calls")
        api_key = control.create_app(scope)["api_key"]
        post(server, api_key, data_body(api_key=api_key, device_id="tl-d4", events=[ss()]))
        root = ET.fromstring(httpx.get(f"{server.url}/_emulator/scopes/{scope}/timeline.svg", trust_env=False).content)
        assert any("No calls on the app were posted to this scope" in t for t in texts(root))
        control.close()
