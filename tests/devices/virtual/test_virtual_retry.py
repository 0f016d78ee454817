"""Retries of virtual devices against a server that fails first: `X-Braze-Req-Attempt` goes up, the same
body is re-sent after a backoff on the device clock (no real waiting), and nothing is lost."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from braze_harness.devices.virtual import Backoff, DeviceClock, PushUnregistrationError
from braze_harness.emulator.settings import Backoff as EmulatorBackoff

HOP_BY_HOP = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


class FlakyFront:
    """A stdlib HTTP server in front of the emulator. Each request takes the next item of `plan`:
    a status code (answered with a JSON error), `"drop"` (connection closed, no answer), a dict
    `{"status", "headers", "body"}`, or `"pass"`; when the plan is used up, everything passes
    through to the emulator. `seen` records what arrived (path, headers, body)."""

    def __init__(self, upstream: str, plan: list[Any] | None = None) -> None:
        self.upstream = upstream
        self.plan: list[Any] = list(plan or [])
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self.lock = threading.Lock()
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                with front.lock:
                    front.seen.append((self.path, headers, body))
                    front.arrivals.append(time.monotonic())
                    step = front.plan.pop(0) if front.plan else "pass"
                if step == "drop":
                    self.close_connection = True
                    return
                if step == "pass":
                    forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
                    answer = httpx.post(front.upstream + self.path, content=body, headers=forwarded, trust_env=False)
                    self._answer(answer.status_code, answer.content, {})
                    return
                if isinstance(step, int):
                    step = {"status": step}
                payload = json.dumps(step.get("body", {"error": "flaky"})).encode()
                self._answer(step["status"], payload, step.get("headers", {}))

            def _answer(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def attempts(self, endpoint: str = "data") -> list[str]:
        return [h["X-Braze-Req-Attempt"] for path, h, _ in self.seen if path.endswith(f"/{endpoint}")]

    def bodies(self, endpoint: str = "data") -> list[bytes]:
        return [b for path, _, b in self.seen if path.endswith(f"/{endpoint}")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def front(server):
    fronts: list[FlakyFront] = []

    def make(plan: list[Any]) -> FlakyFront:
        fronts.append(FlakyFront(server.url, plan))
        return fronts[-1]

    yield make
    for f in fronts:
        f.close()


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_5xx_is_retried_with_increasing_attempts_and_the_same_body(lab, front, platform):
    flaky = front([503, 500])
    clock = DeviceClock(start=1_800_000_000.0, realtime=False)
    device = lab.device(platform, base_url=flaky.url, clock=clock, seed=7)
    device.open_session()

    delivery = device.deliveries[0]
    assert delivery.ok and [a.attempt for a in delivery.attempts] == [1, 2, 3]
    assert [a.status for a in delivery.attempts] == [503, 500, 200]
    assert flaky.attempts("data") == ["1", "2", "3"]
    first, second, third = flaky.bodies("data")
    assert first == second == third  # the same request, nothing rebuilt or lost
    # the backoff (defaults 10 s, x3, max 300 s before any server config) passed on the device clock only
    waits = [a.waited for a in delivery.attempts[:2]]
    assert 10 <= waits[0] <= 30 and 10 <= waits[1] <= 3 * waits[0]
    assert clock.skipped == pytest.approx(sum(waits))

    [entry] = lab.entries(endpoint="data")  # only the successful try reached the emulator
    assert entry.request.braze.req_attempt == 3
    lab.expect.session_start(device=device.device_id).exactly(1).within(settle=0.1)
    device.log_custom_event("after")
    device.request_immediate_data_flush()
    assert flaky.attempts("data")[-1] == "1"  # back to 1 after a success


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_after_max_attempts_the_data_is_requeued_and_sent_with_the_next_flush(lab, front, platform):
    flaky = front(["drop", "drop", "drop"])  # the connection dies three times
    device = lab.device(platform, base_url=flaky.url, clock=DeviceClock(realtime=False), max_attempts=2)
    device.open_session()  # tries 1 and 2 fail: the `ss` stays queued
    assert not device.deliveries[-1].ok and device.deliveries[-1].retriable
    assert [e["name"] for e in device.queue.events] == ["ss"]
    assert device.deliveries[-1].last.error and device.deliveries[-1].last.status is None

    device.log_custom_event("one")
    device.log_custom_event("two")
    device.request_immediate_data_flush()  # try 3 fails, try 4 gets through with everything

    assert flaky.attempts("data") == ["1", "2", "3", "4"]
    delivered = json.loads(flaky.bodies("data")[-1])
    assert [e["name"] for e in delivered["events"]] == ["ss", "ce", "ce"]  # re-queued data first, in order
    assert device.queue.empty
    lab.expect.profile(device_id=device.device_id).has(sessions=1, custom_events={"one": 1, "two": 1}).within()
    lab.expect.custom_event("one").exactly(1).within(settle=0.1)


def test_retry_after_is_added_to_the_backoff(lab, front):
    flaky = front([{"status": 429, "headers": {"Retry-After": "7"}}])
    device = lab.device("android", base_url=flaky.url, clock=DeviceClock(realtime=False), seed=3)
    device.open_session()
    first = device.deliveries[0].attempts[0]
    assert first.status == 429 and 17 <= first.waited <= 37
    assert device.deliveries[0].ok


def test_the_server_config_backoff_replaces_the_defaults(lab, front):
    flaky = front(["pass", "pass", "pass", 502, 502, 502])  # session start + card and flag syncs, then trouble
    device = lab.device("ios", base_url=flaky.url, clock=DeviceClock(realtime=False))
    device.open_session()
    served = EmulatorBackoff()  # the emulator's request_backoff
    assert device.transport.backoff.min_sleep_duration_ms == served.min_sleep_duration_ms
    device.log_custom_event("through_trouble")
    [delivery] = device.request_immediate_data_flush()
    assert delivery.ok and [a.attempt for a in delivery.attempts] == [1, 2, 3, 4]
    shortest, longest = served.min_sleep_duration_ms / 1000, served.max_sleep_duration_ms / 1000
    assert all(shortest <= a.waited <= longest for a in delivery.attempts[:3])
    lab.expect.custom_event("through_trouble").within()


def test_client_errors_are_not_retried_and_the_counter_resets(lab, front):
    flaky = front(["pass", "pass", "pass", 400])
    device = lab.device("android", base_url=flaky.url)
    device.open_session()
    device.log_custom_event("rejected")
    [delivery] = device.request_immediate_data_flush()
    assert not delivery.ok and not delivery.retriable and len(delivery.attempts) == 1
    assert device.dropped == [delivery] and device.queue.empty  # as on a phone: a 4xx batch is gone
    device.log_custom_event("next")
    device.request_immediate_data_flush()
    assert flaky.attempts("data")[-2:] == ["1", "1"]


def test_a_2xx_error_answer_is_not_retried(lab, front):
    flaky = front([{"status": 200, "body": {"error": "invalid_api_key"}}])
    device = lab.device("android", base_url=flaky.url)
    device.open_session()
    assert device.deliveries[0].ok and len(device.deliveries[0].attempts) == 1
    assert device.server_errors == [{"error": "invalid_api_key"}] and device.queue.empty


def test_push_unregister_is_sent_once_and_never_retried(lab, front):
    flaky = front(["pass", "pass", "pass", "pass", 503])  # session start, syncs, token; then unregister fails
    device = lab.device("android", base_url=flaky.url)
    device.open_session()
    token = device.register_push_token()
    with pytest.raises(PushUnregistrationError) as info:
        device.unregister_push()
    assert info.value.retriable is True and info.value.status == 503
    assert len(flaky.bodies("push/unregister")) == 1 and device.push_token == token
    device.unregister_push()  # the app may try again itself
    lab.expect.profile(device_id=device.device_id).has(push_tokens=0).within()


def test_an_auth_error_answer_is_retried_with_the_current_signature(lab, front):
    refused = {"status": 200, "body": {"auth_error": {"error_code": 22, "reason": "expired"}}}
    flaky = front(["pass", "pass", "pass", "pass", "pass", "pass", refused])  # start, changeUser (+ syncs), then refused
    device = lab.device("android", base_url=flaky.url, clock=DeviceClock(realtime=False))
    device.open_session()
    device.change_user("signed", signature="jwt-1")
    assert [h.get("X-Braze-Auth-Signature") for _, h, _ in flaky.seen][-3:] == ["jwt-1"] * 3  # every endpoint
    device.set_sdk_authentication_signature("jwt-2")
    device.log_custom_event("signed_event")
    [delivery] = device.request_immediate_data_flush()

    assert delivery.ok and [a.attempt for a in delivery.attempts] == [1, 2]
    assert delivery.attempts[0].response == refused["body"] and not device.queue.events
    assert device.sdk_auth_failures == [{"error_code": 22, "reason": "expired", "user_id": "signed"}]
    assert flaky.seen[-1][1]["X-Braze-Auth-Signature"] == "jwt-2"
    lab.expect.custom_event("signed_event", user="signed").exactly(1).within(settle=0.1)


def test_on_a_running_clock_the_backoff_is_really_waited(lab, front):
    """A server sees the retry arrive after the backoff + Retry-After, as from a phone (the clock is not jumped)."""
    flaky = front([{"status": 429, "headers": {"Retry-After": "0.2"}}])
    device = lab.device("android", base_url=flaky.url)
    device.transport.backoff = Backoff(min_sleep_duration_ms=100, scale_factor=1, max_sleep_duration_ms=100)
    device.open_session()
    first, retry = device.deliveries[0].attempts
    assert first.waited == pytest.approx(0.3) and retry.status == 200
    assert flaky.arrivals[1] - flaky.arrivals[0] >= 0.3
    assert device.clock.skipped == 0


def test_a_dead_server_does_not_block_a_flush_beyond_the_real_wait_budget(lab, front):
    flaky = front([503] * 10)
    device = lab.device("ios", base_url=flaky.url, max_attempts=10, max_real_wait=0.25)
    device.transport.backoff = Backoff(min_sleep_duration_ms=100, scale_factor=1, max_sleep_duration_ms=100)
    device.open_session()
    delivery = device.deliveries[0]
    assert len(delivery.attempts) == 3 and delivery.retriable  # 0.1 + 0.1 waited; a third wait would pass 0.25 s
    assert [e["name"] for e in device.queue.events] == ["ss"]  # kept for the next flush
