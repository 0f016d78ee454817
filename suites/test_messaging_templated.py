"""Templated in-app messages (`/template/`): Liquid-style personalisation and Connected Content from a
local stand-in for a weather API that the test controls (and makes fail)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from braze_harness.screens import OnScreen

from suites.messaging_support import require_screen


@pytest.fixture(autouse=True)
def _needs_screen(request):
    require_screen(request)


class _Weather(BaseHTTPRequestHandler):
    down = False

    def do_GET(self):
        if type(self).down:
            self.send_response(503)
            self.end_headers()
            return
        body = json.dumps({"city": "Lyon", "temp": {"c": 24}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def weather_api():
    handler = type("Weather", (_Weather,), {"down": False})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, handler
    server.shutdown()
    server.server_close()


TEMPLATE = {
    "type": "MODAL",
    "header": "Hi {{${first_name} | default: 'there'}}",
    "message": "{{connected.temp.c | default: 'pleasant'}}° in {{connected.city | default: 'your city'}}: "
    "{{event_properties.${item}}}",
}


def _seed(braze, server):
    braze.messaging.in_app(
        "weather",
        templated=True,
        connected_content_url=f"http://127.0.0.1:{server.server_port}/now",
        trigger={"type": "custom_event", "event": "opened_app"},
        message=TEMPLATE,
    )


def test_templated_iam_personalised_with_first_name_and_connected_content(braze, braze_app, weather_api):
    server, _ = weather_api
    user = braze.uid("ada")
    _seed(braze, server)
    braze_app.launch()
    braze_app.login(user)
    braze_app.set_profile(first_name="Ada")
    braze_app.flush()
    braze.expect.profile(user).has(first_name="Ada").within()

    braze_app.log_event("opened_app", {"item": "sunglasses"})
    on = OnScreen(braze.expect, braze_app.screen)
    on.iam_shown("weather", header="Hi Ada", message="24° in Lyon: sunglasses")
    template = [e for e in braze.entries() if e.endpoint == "template"]
    assert template and template[0].request.body.template.trigger_id == braze.messaging.trigger_id("weather")


def test_connected_content_failure_renders_the_defaults(braze, braze_app, weather_api):
    server, handler = weather_api
    handler.down = True
    _seed(braze, server)
    braze_app.launch()
    braze.expect.session_start().within()
    braze_app.log_event("opened_app", {"item": "umbrella"})
    OnScreen(braze.expect, braze_app.screen).iam_shown("weather", header="Hi there", message="pleasant° in your city: umbrella")
    assert braze.messaging.seeded()["templates"][-1]["connected_content_error"] == "HTTP 503"
