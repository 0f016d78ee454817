"""The demo web app, driven by WebDemoAdapter, sends the expected Braze wire requests.

A tiny in-test fake backend records every POST; the real SDK (6.13.0 bundle) runs in
headless Chromium with the page and the backend on different loopback origins.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from braze_harness.devices.web.demo.adapter import DemoAppError, WebDemoAdapter, demo_site
from braze_harness.devices.web.sdk_bundle import ensure_bundle
from playwright.sync_api import Browser, Page

from tests.support.chromium import loopback_chromium

API_KEY = "demo-api-key"
WAIT_S = 10.0


class FakeBraze:
    """Records SDK requests; answers CORS and `{}` (plus a config that disables the rate limiter)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header(
                    "Access-Control-Allow-Headers",
                    self.headers.get("Access-Control-Request-Headers", "*"),
                )

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                answer: dict[str, Any] = {}
                with fake.changed:
                    first_data = self.path.endswith("/data/") and not fake.data_requests()
                    fake.requests.append((self.path, body))
                    fake.changed.notify_all()
                if first_data:
                    answer = {
                        "config": {
                            "time": int(time.time()),
                            "global_request_rate_limit": {"enabled": False},
                        }
                    }
                raw = json.dumps(answer).encode()
                self.send_response(200)
                self._cors()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def data_requests(self) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path.endswith("/data/")]

    def events(self) -> list[dict[str, Any]]:
        return [ev for body in self.data_requests() for ev in body.get("events", [])]

    def wait_for(self, what: str, found: Callable[[], Any]) -> Any:
        """Wait until ``found()`` is truthy (re-checked on every request) and return it."""
        deadline = time.monotonic() + WAIT_S
        with self.changed:
            while not (result := found()):
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(p, b.get("events"), b.get("attributes")) for p, b in self.requests]
                    raise AssertionError(f"timed out after {WAIT_S} s waiting for {what}; requests seen: {seen}")
                self.changed.wait(left)
            return result

    def wait_event(self, name: str, **match: Any) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for ev in self.events():
                if ev["name"] == name and all(ev.get(k) == v or ev["data"].get(k) == v for k, v in match.items()):
                    return ev
            return None

        return self.wait_for(f"event {name} {match}", find)

    def wait_custom(self, key: str) -> Any:
        def find() -> tuple[Any] | None:
            for body in self.data_requests():
                for attrs in body.get("attributes", []):
                    if key in attrs.get("custom", {}):
                        return (attrs["custom"][key],)
            return None

        return self.wait_for(f"custom attribute {key!r}", find)[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    with demo_site(ensure_bundle("6.13.0")) as site:
        yield site.url


@pytest.fixture(scope="module")
def demo_browser() -> Iterator[Browser]:
    with loopback_chromium() as b:
        yield b


@pytest.fixture
def backend() -> Iterator[FakeBraze]:
    fake = FakeBraze()
    yield fake
    fake.close()


@pytest.fixture
def demo_page(demo_browser: Browser) -> Iterator[Page]:
    context = demo_browser.new_context()  # fresh localStorage = fresh SDK device per test
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def app(demo_page: Page, site_url: str, backend: FakeBraze) -> Iterator[WebDemoAdapter]:
    adapter = WebDemoAdapter(
        demo_page,
        site_url,
        api_key=API_KEY,
        base_url=backend.base_url,
        session_timeout=10,
    )
    adapter.launch()
    yield adapter
    adapter.close()


def test_launch_opens_session_with_device_id(app: WebDemoAdapter, backend: FakeBraze) -> None:
    ss = backend.wait_event("ss")
    assert "user_id" not in ss
    body = backend.data_requests()[0]
    assert body["api_key"] == API_KEY
    assert body["sdk_version"] == "6.13.0"
    assert app.device_id == body["device_id"]


def test_device_id_option_and_reload(demo_page: Page, site_url: str, backend: FakeBraze) -> None:
    app = WebDemoAdapter(
        demo_page,
        site_url,
        api_key=API_KEY,
        base_url=backend.base_url,
        device_id="dev-fixed-1",
    )
    app.launch()
    backend.wait_event("ss")
    assert app.device_id == "dev-fixed-1"
    app.reload()
    assert app.device_id == "dev-fixed-1"
    app.log_event("after_reload")
    app.flush()
    backend.wait_event("ce", n="after_reload")
    assert {body["device_id"] for body in backend.data_requests()} == {"dev-fixed-1"}


def test_login_starts_identified_session_and_logout_keeps_user(app: WebDemoAdapter, backend: FakeBraze) -> None:
    assert app.login("user-1") is True
    backend.wait_event("ss", user_id="user-1")
    assert app.user_id == "user-1"

    app.logout()  # app-level only: the SDK keeps the user, nothing is sent
    assert app.user_id == "user-1"
    app.log_event("after_logout")
    app.flush()
    assert backend.wait_event("ce", n="after_logout")["user_id"] == "user-1"


def test_log_event_and_purchase(app: WebDemoAdapter, backend: FakeBraze) -> None:
    app.login("user-ev")
    assert app.log_event(
        "played_song",
        {"song": "Hey", "plays": 3, "when": dt.datetime(2024, 1, 2, 3, 4, 5)},
    )
    assert app.purchase("sku-1", 9.99, "eur", 2, {"color": "red"})
    app.flush()

    ce = backend.wait_event("ce", n="played_song")
    assert ce["user_id"] == "user-ev"
    assert ce["data"]["p"] == {"song": "Hey", "plays": 3, "when": "2024-01-02T03:04:05"}
    p = backend.wait_event("p", pid="sku-1")
    assert p["data"] == {
        "pid": "sku-1",
        "c": "EUR",
        "p": "9.99",
        "q": 2,
        "pr": {"color": "red"},
    }


def test_profile_fields(app: WebDemoAdapter, backend: FakeBraze) -> None:
    app.login("user-prof")
    assert app.set_profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        dob=dt.date(1815, 12, 10),
        country="GB",
    ) == {
        "first_name": True,
        "last_name": True,
        "email": True,
        "dob": True,
        "country": True,
    }
    app.flush()

    def profile() -> dict[str, Any] | None:
        for body in backend.data_requests():
            for attrs in body.get("attributes", []):
                if "first_name" in attrs:
                    return attrs
        return None

    attrs = backend.wait_for("profile attributes", profile)
    assert attrs["user_id"] == "user-prof"
    assert {k: attrs[k] for k in ("first_name", "last_name", "email", "dob", "country")} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "dob": "1815-12-10",
        "country": "GB",
    }


def test_custom_attribute_kinds(app: WebDemoAdapter, backend: FakeBraze) -> None:
    app.login("user-attr")
    calls: list[tuple[str, Any, str]] = [
        ("a_str", "hello", "string"),
        ("a_str_num", "42", "string"),
        ("a_num", 42.5, "number"),
        ("a_bool", True, "boolean"),
        ("a_date", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "date"),
        ("a_arr", ["x", "y"], "array"),
        ("a_obj", {"nested": {"x": 1}}, "object"),
        ("a_merge", {"m": 1}, "object-merge"),
        ("a_inc", 5, "increment"),
        ("a_inc1", None, "increment"),
        ("a_add", "item", "add-to-array"),
        ("a_rem", "gone", "remove-from-array"),
        ("a_loc", (51.5, -0.12), "location"),
        ("a_null", "ignored", "null"),
        ("auto_int", 7, "auto"),
        ("auto_none", None, "auto"),
        ("auto_objs", [{"a": 1}, {"a": 2}], "auto"),
    ]
    for key, value, kind in calls:
        assert app.set_custom_attribute(key, value, kind=kind) is True, (key, kind)
    app.flush()

    assert backend.wait_custom("a_str") == "hello"
    expected_custom = {
        "a_str_num": "42",
        "a_num": 42.5,
        "a_bool": True,
        "a_date": "2024-01-02T03:04:05",
        "a_obj": {"nested": {"x": 1}},
        "a_null": None,
        "auto_int": 7,
        "auto_none": None,
        "auto_objs": [{"a": 1}, {"a": 2}],
    }
    assert {k: backend.wait_custom(k) for k in expected_custom} == expected_custom
    assert backend.wait_event("set", key="a_arr")["data"] == {
        "key": "a_arr",
        "value": ["x", "y"],
    }
    assert backend.wait_event("ncam", key="a_merge")["data"] == {
        "key": "a_merge",
        "value": {"m": 1},
    }
    assert backend.wait_event("inc", key="a_inc")["data"]["value"] == 5
    assert backend.wait_event("inc", key="a_inc1")["data"]["value"] == 1
    assert backend.wait_event("add", key="a_add")["data"]["value"] == "item"
    assert backend.wait_event("rem", key="a_rem")["data"]["value"] == "gone"
    assert backend.wait_event("lcaa", key="a_loc")["data"] == {
        "key": "a_loc",
        "latitude": 51.5,
        "longitude": -0.12,
    }


def test_bad_input_is_shown_and_raised(app: WebDemoAdapter, demo_page: Page) -> None:
    with pytest.raises(DemoAppError, match="number attribute must be a number"):
        app.set_custom_attribute("n", "abc", kind="number")

    # a human typing broken JSON: the page shows an error, nothing is thrown uncaught
    demo_page.get_by_test_id("event-name").fill("broken")
    demo_page.get_by_test_id("event-props").fill("{not json")
    demo_page.get_by_test_id("log-event").click()
    assert "event properties is not valid JSON" in demo_page.get_by_test_id("status-error").inner_text()

    assert app.log_event("") is False  # the SDK itself refuses: returned, not raised


def test_session_timeout_with_fast_clock(app: WebDemoAdapter, backend: FakeBraze) -> None:
    first = backend.wait_event("ss")
    app.advance_time(15)  # > sessionTimeout (10 s), no real waiting
    app.log_event("after_idle")
    app.flush()

    def renewal() -> dict[str, Any] | None:
        for body in backend.data_requests():
            names = [ev["name"] for ev in body.get("events", [])]
            if "se" in names and "ss" in names:
                return body
        return None

    events = {ev["name"]: ev for ev in backend.wait_for("se + ss in one request", renewal)["events"]}
    assert events["se"]["session_id"] == first["session_id"]
    assert events["ss"]["session_id"] != first["session_id"]
    assert backend.wait_event("ce", n="after_idle")["session_id"] == events["ss"]["session_id"]


def test_missing_config_is_reported(demo_page: Page, site_url: str) -> None:
    app = WebDemoAdapter(demo_page, site_url, api_key="", base_url="")
    with pytest.raises(DemoAppError, match=r"needs \?apiKey"):
        app.launch()
