"""Faults (harness/emulator/faults.py): the spec and its validation, the emulator's answers and what is (not)
applied, both transports (fast httptools path and raw ASGI), the control API, the mitmproxy addon in emulate
mode, and the nothing-lost verdict (harness/expect/delivery.py) on synthetic traffic and on the real SDK's
recorded retries (j_retry, j3_network_error)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.faults import FaultSpec, FaultTable, parse_fault
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessError
from braze_harness.expect import Expect, ExpectationFailed, JournalSource

from tests.support.builders import ce, data_body
from tests.support.paths import CAPTURES

DATA_URL = "http://127.0.0.1/api/v3/data/"
CAPTURES = CAPTURES


def _emulator_scope() -> tuple[Emulator, str, str]:
    emu = Emulator()
    scope = emu.create_scope("t")
    key = emu.create_app(scope)["api_key"]
    return emu, scope, key


def _post(emu: Emulator, key: str, *events: dict, attempt: int | None = None, device: str = "dev-1"):
    headers = {"x-braze-api-key": key}
    if attempt is not None:
        headers["x-braze-req-attempt"] = str(attempt)
    return emu.handle("POST", DATA_URL, headers, data_body(api_key=key, device_id=device, events=events).encode())


# -- the spec -----------------------------------------------------------------------------------


def test_spec_defaults_and_kinds() -> None:
    assert parse_fault({"status": 503}).kind == "status"
    assert parse_fault({"delay_ms": 10}).kind == "delay"
    assert parse_fault({"endpoint": "content_cards", "kind": "drop"}).endpoint == "content_cards/sync"
    spec = parse_fault({"status": 429, "retry_after": 1, "times": 2, "probability": 0.5})
    assert (spec.retry_after, spec.times, spec.probability) == (1, 2, 0.5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": 200}, "status"),
        ({"kind": "status"}, "status"),
        ({"kind": "drop", "retry_after": 1}, "retry_after"),
        ({"kind": "delay"}, "delay_ms"),
        ({"status": 503, "times": 0}, "times"),
        ({"status": 503, "probability": 0}, "probability"),
        ({"status": 503, "endpoint": "nope"}, "endpoint"),
        ({"kind": "auth_error", "error_code": 99}, "error_code"),
        ({"status": 503, "bogus": 1}, "bogus"),
        ({}, "kind"),
    ],
)
def test_spec_errors_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        parse_fault(body)


def test_table_counts_times_per_scope_and_endpoint() -> None:
    table = FaultTable()
    table.add("a", FaultSpec(endpoint="data", status=503, times=2))
    assert table.take("b", "data") is None
    assert table.take("a", "content_cards/sync") is None
    assert table.take("a", "data") is not None
    assert table.take("a", "data") is not None
    assert table.take("a", "data") is None
    assert [f.to_json()["remaining"] for f in table.list("a")] == [0]
    assert table.clear("a") == 1 and not table.active


def test_probability_is_seedable() -> None:
    table = FaultTable()
    table.add("a", FaultSpec(status=500, probability=0.5, seed=7))
    hits = [table.take("a", "data") is not None for _ in range(200)]
    assert 60 < sum(hits) < 140


# -- the emulator's answers -----------------------------------------------------------------------


def test_http_error_is_journaled_and_not_applied_then_the_resend_is() -> None:
    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(endpoint="data", status=503, times=1))
    first = _post(emu, key, ce("e", user="u1"))
    assert first.status == 503
    assert emu.profiles(scope=scope, external_id="u1") == []
    entry = emu.journal.query()[-1]
    assert not entry.good and [p.where for p in entry.problems] == ["fault"]
    assert _post(emu, key, ce("e", user="u1"), attempt=2).status == 200
    assert emu.profiles(scope=scope, external_id="u1")[0]["custom_events"] == {"e": 1}


def test_other_scopes_and_endpoints_are_not_faulted() -> None:
    emu, scope, key = _emulator_scope()
    other = emu.create_scope("o")
    other_key = emu.create_app(other)["api_key"]
    emu.faults.add(scope, FaultSpec(endpoint="content_cards/sync", status=500))
    assert _post(emu, key, ce("e", user="u1")).status == 200
    assert _post(emu, other_key, ce("e", user="u2")).status == 200
    emu.faults.add(scope, FaultSpec(status=500))
    assert _post(emu, other_key, ce("e", user="u2")).status == 200
    assert _post(emu, key, ce("e", user="u1")).status == 500


def test_retry_after_auth_error_drop_and_delay_answers() -> None:
    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(status=429, retry_after=1.5, times=1))
    emu.faults.add(scope, FaultSpec(kind="auth_error", error_code=21, reason="nope", times=1))
    emu.faults.add(scope, FaultSpec(kind="drop", times=1))
    emu.faults.add(scope, FaultSpec(kind="delay", delay_ms=250, times=1))
    throttled = _post(emu, key, ce("e", user="u1"))
    assert (throttled.status, throttled.headers) == (429, {"Retry-After": "1.5"})
    auth = _post(emu, key, ce("e", user="u1"))
    assert (auth.status, auth.body) == (200, {"auth_error": {"error_code": 21, "reason": "nope"}})
    dropped = _post(emu, key, ce("e", user="u1"))
    assert dropped.drop
    assert emu.journal.query()[-1].exchange.status is None  # no answer
    delayed = _post(emu, key, ce("e", user="u1"))
    assert (delayed.status, delayed.delay_s) == (200, 0.25)
    assert emu.profiles(scope=scope, external_id="u1")[0]["custom_events"] == {"e": 1}  # only the delayed one
    notes = [p for e in emu.journal.query() for p in e.problems if p.where == "fault"]
    assert [p.severity for p in notes] == ["error", "error", "error", "info"]


@pytest.mark.parametrize(("kind", "raw"), [("malformed", b'{"config": {"time": 1, '), ("empty", b"")])
def test_malformed_and_empty_answers_are_applied(kind: str, raw: bytes) -> None:
    # the SDK treats a 2xx with a bad or empty body as delivered and does not resend (docs/web-sdk-wire.md, retries):
    # the server got it
    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(kind=kind, times=1))  # type: ignore[arg-type]
    answer = _post(emu, key, ce("e", user="u1"))
    assert (answer.status, answer.encoded()) == (200, raw)
    assert emu.profiles(scope=scope, external_id="u1")[0]["custom_events"] == {"e": 1}
    assert emu.journal.query()[-1].good


def test_dropping_a_scope_clears_its_faults() -> None:
    emu, scope, _ = _emulator_scope()
    emu.faults.add(scope, FaultSpec(status=500))
    emu.reset(scope, release=True)
    assert emu.faults.list(scope) == []


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorSettings(port=0)) as srv:
        yield srv


@pytest.fixture
def control(server: EmulatorServer) -> Iterator[EmulatorClient]:
    client = EmulatorClient(server.url)
    yield client
    client.close()


@pytest.mark.parametrize("asgi", [False, True], ids=["fast-path", "asgi"])
def test_transports_honour_status_drop_and_delay(server: EmulatorServer, control: EmulatorClient, asgi: bool) -> None:
    scope = control.create_scope("http")
    key = control.create_app(scope)["api_key"]
    extra = {"x-forwarded-proto": "http"} if asgi else {}  # a header only the ASGI path takes
    body = data_body(api_key=key, device_id="d1", events=[ce("e", user="u1")])
    control.add_fault(scope, endpoint="data", status=429, retry_after=2, times=1)
    control.add_fault(scope, endpoint="data", kind="drop", times=1)
    control.add_fault(scope, endpoint="data", kind="delay", delay_ms=300, times=1)
    with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as http:
        throttled = http.post("/api/v3/data/", content=body, headers=extra)
        assert throttled.status_code == 429 and throttled.headers["retry-after"] == "2"
        assert "Retry-After" in throttled.headers["access-control-expose-headers"]
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/v3/data/", content=body, headers=extra)
        started = time.monotonic()
        assert http.post("/api/v3/data/", content=body, headers=extra).status_code == 200
        assert time.monotonic() - started >= 0.29
        assert http.post("/api/v3/data/", content=body, headers=extra).status_code == 200  # keep-alive still works
    listed = control.faults(scope)
    assert [(f["kind"], f["remaining"], f["hits"]) for f in listed] == [("status", 0, 1), ("drop", 0, 1), ("delay", 0, 1)]
    assert control.profiles(external_id="u1", scope=scope)[0]["custom_events"] == {"e": 2}
    assert control.clear_faults(scope) == 3 and control.faults(scope) == []


def test_control_api_validates_faults(server: EmulatorServer) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        scope = http.post("/_emulator/scopes", json={"name": "v"}).json()["scope"]
        bad = http.post(f"/_emulator/scopes/{scope}/faults", json={"status": 503, "times": "x"})
        assert bad.status_code == 400 and "times" in bad.json()["message"]
        ok = http.post(f"/_emulator/scopes/{scope}/faults", json={"kind": "auth_error", "error_code": 22})
        assert ok.status_code == 201 and ok.json()["fault"]["error_code"] == 22
        assert http.get(f"/_emulator/scopes/{scope}/faults").json()["faults"][0]["remaining"] is None
        assert http.delete(f"/_emulator/scopes/{scope}/faults").json() == {"cleared": 1}


def test_handle_helpers(server: EmulatorServer) -> None:
    from braze_harness.plugin.handle import BrazeHandle

    client = EmulatorClient(server.url)
    braze = BrazeHandle(client, name="h")
    try:
        fault = braze.fault("data", status=503, times=2)
        assert (fault["endpoint"], fault["status"], fault["times"]) == ("data", 503, 2)
        assert braze.faults()[0]["remaining"] == 2
        with pytest.raises(HarnessError, match="probability"):
            braze.fault(status=500, probability=2)
        assert braze.clear_faults() == 1
    finally:
        braze.close()
        client.close()


# -- the mitmproxy addon (emulate mode, in process) ----------------------------------------------


def test_addon_applies_the_emulators_faults() -> None:
    from braze_harness.proxy_addons.braze_capture import BrazeCapture
    from mitmproxy.test import taddons, tflow

    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(endpoint="data", status=503, retry_after=1, times=1))
    emu.faults.add(scope, FaultSpec(endpoint="data", kind="drop", times=1))
    addon = BrazeCapture(emu)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="emulate")
        flows = []
        for _ in range(3):
            flow = tflow.tflow()
            flow.request.method = "POST"
            flow.request.host = "sdk.iad-01.braze.com"
            flow.request.path = "/api/v3/data/"
            flow.request.headers["x-braze-api-key"] = key
            flow.request.content = data_body(api_key=key, device_id="d1", events=[ce("e", user="u1")]).encode()
            asyncio.run(addon.request(flow))
            flows.append(flow)
    assert flows[0].response.status_code == 503 and flows[0].response.headers["retry-after"] == "1"
    assert flows[1].response is None and flows[1].error is not None  # killed: the client's connection drops
    assert flows[2].response.status_code == 200
    assert emu.profiles(scope=scope, external_id="u1")[0]["custom_events"] == {"e": 1}


# -- the nothing-lost verdict ---------------------------------------------------------------------


def _expect(emu: Emulator, scope: str) -> Expect:
    return Expect(JournalSource(emu.journal, scope, emu.state), default_timeout=0.3)


def test_nothing_lost_holds_after_faulted_retries() -> None:
    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(endpoint="data", status=500, times=2))
    events = [ce("a", {"n": 1}, user="u1", t=1.0), ce("a", {"n": 2}, user="u1", t=2.0)]
    for attempt in (1, 2, 3):
        _post(emu, key, *events, attempt=attempt)
    delivered = _expect(emu, scope).nothing_lost("u1", [("a", {"n": 1}), ("a", {"n": 2})]).within()
    assert [[(d.attempt, d.status, d.applied) for d in e.deliveries] for e in delivered] == [
        [(1, 500, False), (2, 500, False), (3, 200, True)]
    ] * 2
    assert all(e.on_profile == 1 for e in delivered)


def test_nothing_lost_reports_a_double_apply_at_once() -> None:
    emu, scope, key = _emulator_scope()
    event = ce("a", user="u1", t=1.0)
    _post(emu, key, event, attempt=1)
    _post(emu, key, event, attempt=2)  # a resend of a request that was processed: double count
    started = time.monotonic()
    with pytest.raises(ExpectationFailed, match=r"applied twice: ce 'a' .*applied 2×, on profile 2×") as failed:
        _expect(emu, scope).nothing_lost("u1", ["a"]).within(5)
    assert time.monotonic() - started < 2
    assert "#1 attempt=1 200 applied, #2 attempt=2 200 applied" in str(failed.value)


def test_nothing_lost_reports_missing_events() -> None:
    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(status=503))
    _post(emu, key, ce("a", user="u1", t=1.0))
    with pytest.raises(ExpectationFailed) as failed:
        _expect(emu, scope).nothing_lost("u1", ["a", "b"]).within()
    text = str(failed.value)
    assert "never sent: ce 'b'" in text
    assert "not on the profile yet: ce 'a'" in text and "#1 attempt=- 503 not applied" in text


def test_nothing_lost_needs_events() -> None:
    emu, scope, _ = _emulator_scope()
    with pytest.raises(ValueError):
        _expect(emu, scope).nothing_lost("u1", [])


def _replay(capture: str, fail: dict[int, dict]) -> tuple[Emulator, str, list]:
    """Replay a capture's POSTs through the emulator; `fail` maps the n-th /data/ POST to a one-shot fault."""
    data = json.loads((CAPTURES / capture).read_text())
    emu = Emulator()
    scope = emu.create_scope("replay")
    answers = []
    n = 0
    for ex in data["exchanges"]:
        if ex["method"] != "POST" or ex["body"] is None:
            continue
        body = ex["body"] if isinstance(ex["body"], str) else json.dumps(ex["body"])
        key = json.loads(body).get("api_key") or ex["headers"].get("X-Braze-Api-Key")
        if key not in emu.tenancy.owned(scope)["api_keys"]:
            emu.create_app(scope, api_key=key)
        if ex["path"].endswith("/data/"):
            n += 1
            if n in fail:
                emu.faults.add(scope, FaultSpec(endpoint="data", times=1, **fail[n]))
        answers.append(emu.handle("POST", f"http://sdk{ex['path']}", ex["headers"], body.encode()))
    return emu, scope, answers


def test_replayed_sdk_retry_lands_once() -> None:
    # j_retry: the real SDK re-sent the same `ce` after two 500s and one 429 (attempt 2, 3, ...)
    data = json.loads((CAPTURES / "j_retry.json").read_text())
    statuses = [ex["response"]["status"] for ex in data["exchanges"] if ex["method"] == "POST" and ex["path"].endswith("/data/")]
    fail = {i + 1: ({"status": s, "retry_after": 5} if s == 429 else {"status": s}) for i, s in enumerate(statuses) if s >= 400}
    emu, scope, _ = _replay("j_retry.json", fail)
    devices = {entry.device_id for entry in emu.journal.query()}
    assert len(devices) == 1
    # the events whose answer the SDK took as delivered
    # (also the 2xx with invalid JSON / empty body: docs/web-sdk-wire.md, retries)
    names = ["survives_500", "survives_429", "invalid_json_resp", "empty_resp"]
    delivered = _expect(emu, scope).nothing_lost(None, names, device=devices.pop()).within()
    retries = {e.name: [(d.attempt, d.status, d.applied) for d in e.deliveries] for e in delivered}
    assert retries["survives_500"] == [(1, 500, False), (2, 500, False), (3, 200, True)]
    assert retries["survives_429"] == [(1, 429, False), (2, 200, True)]


def test_addon_holds_a_delayed_answer_without_blocking() -> None:
    import asyncio

    from braze_harness.proxy_addons.braze_capture import BrazeCapture
    from mitmproxy.test import taddons, tflow

    emu, scope, key = _emulator_scope()
    emu.faults.add(scope, FaultSpec(endpoint="data", kind="delay", delay_ms=200, times=1))
    addon = BrazeCapture(emu)

    async def scenario() -> tuple[float, int, bool]:
        with taddons.context(addon) as tctx:
            tctx.configure(addon, braze_mode="emulate")
            flow = tflow.tflow()
            flow.request.method = "POST"
            flow.request.host = "sdk.iad-01.braze.com"
            flow.request.path = "/api/v3/data/"
            flow.request.headers["x-braze-api-key"] = key
            flow.request.content = data_body(api_key=key, device_id="d1", events=[ce("e", user="u1")]).encode()
            started = time.monotonic()
            hook = asyncio.ensure_future(addon.request(flow))
            await asyncio.sleep(0.05)  # mitmproxy's loop is free meanwhile: this coroutine runs
            held = not hook.done() and flow.response is None
            await hook
            return time.monotonic() - started, flow.response.status_code, held

    waited, status, held = asyncio.run(scenario())
    assert held and waited >= 0.19 and status == 200


@pytest.mark.parametrize(
    ("url", "routed"),
    [
        ("http://127.0.0.1:8080/api/v3/data/", False),
        ("http://localhost/x", False),
        ("http://[::1]:9/x", False),
        ("data:text/plain,hi", False),
        ("https://sdk.iad-01.braze.com/api/v3/data/", False),
        ("https://example.com/", True),
        ("http://127.0.0.1.evil.example/", True),
        ("https://sdk.iad-01.braze.com.evil.example/", True),
    ],
)
def test_only_non_loopback_requests_wait_for_the_test_thread(url: str, routed: bool) -> None:
    # the page's SDK requests (and so the SDK's own retries) must never be paused by the blocking route
    from braze_harness.plugin.braze_context import routed_urls

    assert bool(routed_urls(("sdk.iad-01.braze.com",)).match(url)) is routed
