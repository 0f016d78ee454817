"""Connected Content is fetched off the event loop and outside the emulator's lock: a slow endpoint delays only
the templated message that needs it, never the other requests."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.protocol.ids import trigger_id

SLOW_S = 1.5  # within Braze's 2 s limit (connected_content.DEADLINE_S): answered, slowly


@pytest.fixture
def slow_endpoint() -> Iterator[str]:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(SLOW_S)
            payload = json.dumps({"city": "Paris"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_slow_connected_content_endpoint_does_not_delay_other_requests(slow_endpoint: str) -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.url, trust_env=False, timeout=10) as client:
        emu = server.emulator
        scope = emu.create_scope("cc")
        key = emu.create_app(scope)["api_key"]
        campaign = {
            "kind": "in_app",
            "id": "wx",
            "templated": True,
            "connected_content_url": f"{slow_endpoint}/now",
            "trigger": {"type": "custom_event", "event": "opened"},
            "message": {"type": "MODAL", "message": "Hello from {{connected.city}}"},
        }
        emu.messaging.seed(scope, campaigns=[campaign])
        envelope = {"api_key": key, "device_id": "dev-1", "time": int(time.time()), "user_id": "ada"}
        headers = {"x-braze-api-key": key}

        def data() -> float:
            started = time.perf_counter()
            events = [{"name": "ce", "time": time.time(), "data": {"n": "tick", "p": {}}, "session_id": "s1"}]
            assert client.post("/api/v3/data/", json={**envelope, "events": events}, headers=headers).status_code == 200
            return time.perf_counter() - started

        baseline = statistics.median(data() for _ in range(7))
        template: dict = {}

        def templated() -> None:
            body = {**envelope, "template": {"trigger_id": trigger_id("wx"), "trigger_event_type": "custom_event", "data": {}}}
            with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as other:
                template["answer"] = other.post("/api/v3/template/", json=body, headers=headers).json()

        slow = threading.Thread(target=templated)
        slow.start()
        time.sleep(0.2)  # the template request is now waiting on the slow endpoint
        during = statistics.median(data() for _ in range(7))
        assert slow.is_alive(), "the Connected Content fetch should still be going on"
        slow.join(SLOW_S + 5)
        assert template["answer"]["templated_message"]["data"]["message"] == "Hello from Paris"
        assert during - baseline < 0.050, (
            f"/data/ answers took {during * 1000:.1f} ms during the fetch, {baseline * 1000:.1f} ms before"
        )
