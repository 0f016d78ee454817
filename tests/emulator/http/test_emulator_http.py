"""The emulator over real HTTP: CORS, the config handshake, every endpoint's minimal answer, bad input,
body limits, gzip, and whole lab captures replayed through the socket
(docs/web-sdk-wire.md, transport-and-cors, endpoints, server-config and retries).

One emulator per module on an ephemeral loopback port; every test works in a scope of its own, or
reads only the journal entries that came after its own starting point.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings

from tests.support.paths import CAPTURES

CAPTURES = CAPTURES
DATA = "/api/v3/data/"
ORIGIN = "http://127.0.0.1:18011"


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as client:
        yield client


@dataclass
class Scope:
    name: str
    api_key: str
    client: EmulatorClient


@pytest.fixture(scope="module")
def control(server: EmulatorServer) -> Iterator[EmulatorClient]:
    client = EmulatorClient(server.url)
    yield client
    client.close()


@pytest.fixture
def scope(control: EmulatorClient) -> Iterator[Scope]:
    """A scope of this test's own with one web app in it."""
    name = control.create_scope("http")
    api_key = control.create_app(name)["api_key"]
    yield Scope(name, api_key, control)
    control.drop_scope(name)


def ce(name: str, *, user: str | None = None, props: dict[str, Any] | None = None, t: float = 1795379958.718) -> dict[str, Any]:
    event: dict[str, Any] = {
        "name": "ce",
        "time": t,
        "data": {"n": name, "p": props or {}},
        "session_id": "3a302507-0000-4000-8000-000000000001",
    }
    if user is not None:
        event["user_id"] = user
    return event


def data_body(api_key: str, device_id: str, *, events: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"api_key": api_key, "time": 1795379909, "sdk_version": "6.13.0", "device_id": device_id, **extra}
    if events is not None:
        body["events"] = events
    return body


def latest_seq(http: httpx.Client) -> int:
    return http.get("/_emulator/health").json()["journal"]["latest_seq"]


def entries_after(http: httpx.Client, seq: int, **filters: Any) -> list[dict[str, Any]]:
    resp = http.get("/_emulator/requests", params={"after_seq": seq, **filters})
    assert resp.status_code == 200, resp.text
    return resp.json()["entries"]


def only_profile(http: httpx.Client, **selector: str) -> dict[str, Any]:
    found = http.get("/_emulator/profiles", params=selector).json()["profiles"]
    assert len(found) == 1, f"expected one profile for {selector}, got {[p['external_id'] for p in found]}"
    return found[0]


def new_device() -> str:
    return str(uuid.uuid4())


# --- CORS -------------------------------------------------------------------------------------------


def test_preflight_is_answered_with_cors_headers_and_not_journaled(http: httpx.Client) -> None:
    before_seq = latest_seq(http)
    before_preflights = http.get("/_emulator/stats").json()["preflights"]
    requested = "content-type,x-braze-api-key,x-braze-datarequest,x-braze-last-req-ms-ago,x-braze-req-attempt,x-requested-with"

    resp = http.options(
        DATA,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": requested},
    )

    assert resp.status_code == 204
    assert resp.content == b""
    assert resp.headers["access-control-allow-origin"] == ORIGIN
    assert resp.headers["access-control-allow-headers"] == requested
    assert "POST" in resp.headers["access-control-allow-methods"]
    assert "retry-after" in resp.headers["access-control-expose-headers"].lower()
    assert latest_seq(http) == before_seq, "a preflight is not SDK traffic"
    assert http.get("/_emulator/stats").json()["preflights"] == before_preflights + 1


@pytest.mark.parametrize("origin", [ORIGIN, None], ids=["echoes-origin", "star-without-origin"])
def test_every_sdk_answer_carries_allow_origin(http: httpx.Client, scope: Scope, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    expected = origin or "*"
    good = http.post(DATA, json=data_body(scope.api_key, new_device()), headers=headers)
    bad = http.post(DATA, content=b"{not json", headers=headers)
    wrong_method = http.get(DATA, headers=headers)

    for resp, status in ((good, 200), (bad, 400), (wrong_method, 405)):
        assert resp.status_code == status
        assert resp.headers["access-control-allow-origin"] == expected, f"{status} answer without CORS header"
        assert "retry-after" in resp.headers["access-control-expose-headers"].lower()


def test_keep_alive_requests_are_answered_without_a_nagle_delay(http: httpx.Client) -> None:
    http.get("/_emulator/health")  # the connection is open from here on
    timings = []
    for _ in range(9):
        started = time.perf_counter()
        http.get("/_emulator/health")
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[len(timings) // 2] < 0.02, f"median {sorted(timings)[4] * 1000:.0f} ms per request"


# --- /data/: the config handshake and triggers -------------------------------------------------------------


def test_first_data_request_gets_the_config_that_turns_features_on(http: httpx.Client, scope: Scope) -> None:
    resp = http.post(DATA, json=data_body(scope.api_key, new_device(), respond_with={"config": {"config_time": 0}}))

    assert resp.status_code == 200
    config = resp.json()["config"]
    assert config["time"] == http.get("/_emulator/health").json()["config_time"]
    assert isinstance(config["time"], int) and config["time"] > 0
    assert config["content_cards"]["enabled"] is True
    assert config["feature_flags"]["enabled"] is True
    assert "refresh_rate_limit" in config["feature_flags"]
    assert config["banners"]["enabled"] is True and config["banners"]["max_placements"] > 0
    # the SDK's default client rate limiter silently drops data under bursts (docs/web-sdk-wire.md, rate-limiting)
    assert config["global_request_rate_limit"]["enabled"] is False
    backoff = config["request_backoff"]
    assert set(backoff) == {"min_sleep_duration_ms", "scale_factor", "max_sleep_duration_ms"}
    assert backoff["max_sleep_duration_ms"] <= 10_000, "short retries, so retried data lands within seconds"


def test_config_is_not_resent_to_an_sdk_that_has_it(http: httpx.Client, scope: Scope) -> None:
    device = new_device()
    first = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"config": {"config_time": 0}}))
    config_time = first.json()["config"]["time"]

    same = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"config": {"config_time": config_time}}))
    newer = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"config": {"config_time": config_time + 60}}))
    older = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"config": {"config_time": config_time - 1}}))

    assert same.status_code == newer.status_code == 200
    assert "config" not in same.json()
    assert "config" not in newer.json()
    assert older.json()["config"]["time"] == config_time


def test_triggers_are_answered_only_when_asked_for(http: httpx.Client, scope: Scope) -> None:
    device = new_device()
    asked = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"triggers": True, "config": {"config_time": 0}}))
    not_asked = http.post(DATA, json=data_body(scope.api_key, device, respond_with={"config": {"config_time": 0}}))

    assert asked.json()["triggers"] == []
    assert "triggers" not in not_asked.json()


# --- the other endpoints ---------------------------------------------------------------------------------


def test_content_cards_sync_answers_an_empty_full_sync(http: httpx.Client, scope: Scope) -> None:
    before = int(time.time())
    resp = http.post(
        "/api/v3/content_cards/sync", json=data_body(scope.api_key, new_device(), last_full_sync_at=0, last_card_updated_at=0)
    )

    assert resp.status_code == 200
    body = resp.json()
    assert body["cards"] == []
    assert body["full_sync"] is True
    assert before <= body["last_full_sync_at"] <= int(time.time()) + 1
    assert "last_card_updated_at" in body


def test_feature_flags_sync_answers_an_empty_list(http: httpx.Client, scope: Scope) -> None:
    resp = http.post("/api/v3/feature_flags/sync", json=data_body(scope.api_key, new_device()))
    assert resp.status_code == 200
    assert resp.json() == {"feature_flags": []}


def test_banners_sync_echoes_time_ms_as_request_time(http: httpx.Client, scope: Scope) -> None:
    time_ms = 1795379960123
    resp = http.post(
        "/api/v3/banners/sync", json=data_body(scope.api_key, new_device(), time_ms=time_ms, placements=[{"id": "top"}])
    )
    assert resp.status_code == 200
    assert resp.json()["banners"] == {}
    assert resp.json()["request_time"] == time_ms


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v3/template/", {"template": {"trigger_id": "trigger-1", "trigger_event_type": "custom_event"}}),
        ("/api/v3/push/unregister", {"push_token": "https://push.example/endpoint/1"}),
    ],
    ids=["template", "push-unregister"],
)
def test_template_and_push_unregister_answer_an_empty_object(
    http: httpx.Client, scope: Scope, path: str, extra: dict[str, Any]
) -> None:
    seq = latest_seq(http)
    resp = http.post(path, json=data_body(scope.api_key, new_device(), **extra))
    assert resp.status_code == 200
    assert resp.json() == {}
    [entry] = entries_after(http, seq)
    assert entry["endpoint"] == path.removeprefix("/api/v3/").strip("/")
    assert entry["scope"] == scope.name


def test_a_custom_base_url_path_reaches_the_same_endpoints(http: httpx.Client, scope: Scope) -> None:
    # baseUrl `http://host/custom/prefix` -> `/custom/prefix/data/` (no api/v3 added: docs/web-sdk-wire.md, base-url)
    device = new_device()
    resp = http.post(
        "/custom/prefix/data/",
        json=data_body(scope.api_key, device, respond_with={"config": {"config_time": 0}}, events=[ce("prefixed", user="pre-1")]),
    )
    assert resp.status_code == 200
    assert "config" in resp.json()
    flags = http.post("/custom/prefix/feature_flags/sync", json=data_body(scope.api_key, device))
    assert flags.json() == {"feature_flags": []}

    [entry, _] = entries_after(http, 0, scope=scope.name)
    assert entry["endpoint"] == "data"
    assert entry["good"] is True
    assert only_profile(http, scope=scope.name, external_id="pre-1")["custom_events"] == {"prefixed": 1}


def test_a_base_url_path_that_only_starts_like_the_control_prefix_is_sdk_traffic(http: httpx.Client, scope: Scope) -> None:
    resp = http.post("/_emulator-sdk/data/", json=data_body(scope.api_key, new_device()))
    assert resp.status_code == 200


# --- bad input is answered, journaled as bad, and never crashes the emulator --------------------------------

BAD_REQUESTS: list[tuple[str, bytes, dict[str, str], str, str]] = [
    # id, body, extra headers, problem location, problem text
    ("malformed-json", b'{"api_key": "k", "device_id": ', {}, "body", "malformed JSON"),
    ("not-an-object", b'[{"api_key": "k"}]', {}, "body", "expected a JSON object, got list"),
    ("empty-body", b"", {}, "body", "empty body"),
    ("bad-gzip", b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, "body", "cannot decompress"),
    (
        "wrong-envelope-types",
        json.dumps({"api_key": "k", "device_id": 5, "time": 1}).encode(),
        {},
        "body.device_id",
        "valid string",
    ),
    ("missing-api-key", json.dumps({"device_id": "d", "events": []}).encode(), {}, "api_key", "missing api key"),
]


@pytest.mark.parametrize(("body", "headers", "where", "text"), [b[1:] for b in BAD_REQUESTS], ids=[b[0] for b in BAD_REQUESTS])
def test_bad_request_is_a_400_with_reasons_and_journaled_as_bad(
    http: httpx.Client, body: bytes, headers: dict[str, str], where: str, text: str
) -> None:
    seq = latest_seq(http)
    resp = http.post(DATA, content=body, headers={"Content-Type": "application/json", "Origin": ORIGIN, **headers})

    assert resp.status_code == 400
    answer = resp.json()
    assert answer["error"] == "bad_request"
    assert text in answer["message"]
    assert any(p["where"] == where and text in p["message"] for p in answer["problems"]), answer["problems"]

    [entry] = entries_after(http, seq)
    assert entry["good"] is False
    assert entry["response"]["status"] == 400
    problems = entry["problems"]
    assert any(p["where"] == where and text in p["message"] and p["severity"] == "error" for p in problems), problems
    assert entry in entries_after(http, seq, good="false")


def test_data_without_device_id_is_answered_no_device_identifier(http: httpx.Client, scope: Scope) -> None:
    seq = latest_seq(http)
    resp = http.post(DATA, json={"api_key": scope.api_key, "time": 1, "events": [ce("lost")]})
    assert resp.status_code == 200
    assert resp.json() == {"error": "no_device_identifier"}
    [entry] = entries_after(http, seq)
    assert entry["good"] is False
    assert any(p["where"] == "body.device_id" for p in entry["problems"])
    assert http.get("/_emulator/profiles", params={"scope": scope.name}).json()["profiles"] == []


SMALL_LIMIT = 1024  # the smallest limit the settings allow: oversized bodies stay a few kB


@pytest.fixture(scope="module")
def small() -> Iterator[httpx.Client]:
    with (
        EmulatorServer(EmulatorSettings(port=0, max_body_bytes=SMALL_LIMIT)) as srv,
        httpx.Client(base_url=srv.url, trust_env=False, timeout=10) as c,
    ):
        yield c


def test_body_over_the_limit_by_content_length_is_413_and_journaled(small: httpx.Client) -> None:
    name = small.post("/_emulator/scopes", json={"name": "big"}).json()["scope"]
    api_key = small.post(f"/_emulator/scopes/{name}/apps", json={}).json()["api_key"]
    seq = latest_seq(small)
    resp = small.post(DATA, content=b" " * (SMALL_LIMIT + 1), headers={"X-Braze-Api-Key": api_key, "Origin": ORIGIN})

    assert resp.request.headers["content-length"] == str(SMALL_LIMIT + 1)
    assert resp.status_code == 413
    assert resp.json()["error"] == "payload_too_large"
    assert str(SMALL_LIMIT) in resp.json()["message"]
    assert resp.headers["access-control-allow-origin"] == ORIGIN
    [entry] = entries_after(small, seq)
    assert entry["good"] is False
    assert entry["response"]["status"] == 413
    assert entry["scope"] == name, "the api key header still attributes the rejected request"
    assert any("exceeds" in p["message"] for p in entry["problems"])


def test_chunked_body_over_the_limit_is_413_and_journaled(small: httpx.Client) -> None:
    seq = latest_seq(small)
    resp = small.post(DATA, content=iter([b"x" * 700, b"x" * 700]))

    assert "content-length" not in resp.request.headers
    assert resp.request.headers["transfer-encoding"] == "chunked"
    assert resp.status_code == 413
    assert resp.json()["error"] == "payload_too_large"
    [entry] = entries_after(small, seq)
    assert entry["good"] is False and entry["response"]["status"] == 413
    assert any("exceeds" in p["message"] for p in entry["problems"])


def test_a_body_at_the_limit_is_accepted(small: httpx.Client) -> None:
    body = json.dumps(data_body("limit-key", new_device(), events=[ce("fits", user="limit-u")])).encode()
    padded = body[:-1] + b" " * (SMALL_LIMIT - len(body)) + b"}"
    assert len(padded) == SMALL_LIMIT
    assert small.post(DATA, content=padded).status_code == 200
    assert small.post(DATA, content=iter([padded[:500], padded[500:]])).status_code == 200
    assert only_profile(small, external_id="limit-u")["custom_events"] == {"fits": 2}


def test_chunked_body_under_the_limit_is_accepted(http: httpx.Client, scope: Scope) -> None:
    raw = json.dumps(data_body(scope.api_key, new_device(), events=[ce("streamed", user="chunky")])).encode()
    resp = http.post(DATA, content=iter([raw[:10], raw[10:]]))
    assert resp.status_code == 200
    assert only_profile(http, scope=scope.name, external_id="chunky")["custom_events"] == {"streamed": 1}


def test_get_on_an_sdk_path_is_405(http: httpx.Client) -> None:
    resp = http.get(DATA)
    assert resp.status_code == 405
    assert resp.json()["error"] == "method_not_allowed"
    assert "POST" in resp.json()["message"]


def test_get_on_an_sdk_path_is_journaled_as_bad(http: httpx.Client) -> None:
    seq = latest_seq(http)
    http.get(DATA)
    [entry] = entries_after(http, seq)
    assert entry["good"] is False
    assert entry["response"]["status"] == 405


def test_an_invalid_event_does_not_sink_its_batch(http: httpx.Client, scope: Scope) -> None:
    device = new_device()
    seq = latest_seq(http)
    events = [ce("kept_first", user="batch-u"), ce("", user="batch-u"), ce("kept_last", user="batch-u", props={"k": 1})]
    resp = http.post(DATA, json=data_body(scope.api_key, device, events=events))

    assert resp.status_code == 200
    profile = only_profile(http, scope=scope.name, external_id="batch-u")
    assert profile["custom_events"] == {"kept_first": 1, "kept_last": 1}

    [entry] = entries_after(http, seq)
    assert entry["good"] is False
    assert [e["data"]["n"] for e in entry["events"]] == ["kept_first", "kept_last"]
    bad = [p for p in entry["problems"] if p["severity"] == "error"]
    assert bad and all(p["where"].startswith("events[1]") for p in bad), bad
    assert any(p["where"] == "events[1].data.n" for p in bad)


def test_events_that_are_not_a_list_are_reported_and_the_rest_applies(http: httpx.Client, scope: Scope) -> None:
    seq = latest_seq(http)
    body = data_body(scope.api_key, new_device(), attributes=[{"user_id": "shape-u", "first_name": "Kept"}])
    body["events"] = {"name": "ce", "data": {"n": "x"}}
    resp = http.post(DATA, json=body)

    assert resp.status_code == 200
    assert only_profile(http, scope=scope.name, external_id="shape-u")["attributes"]["first_name"] == "Kept"
    [entry] = entries_after(http, seq)
    assert entry["good"] is False
    assert any(p["where"] == "events" and "expected a list" in p["message"] for p in entry["problems"])


@pytest.mark.parametrize("declared", [True, False], ids=["content-encoding", "sniffed"])
def test_gzip_body_is_decoded(http: httpx.Client, scope: Scope, declared: bool) -> None:
    body = data_body(scope.api_key, new_device(), events=[ce("zipped", user="gz-u", props={"a": 1})])
    headers = {"Content-Type": "application/json", **({"Content-Encoding": "gzip"} if declared else {})}
    seq = latest_seq(http)
    resp = http.post(DATA, content=gzip.compress(json.dumps(body).encode()), headers=headers)

    assert resp.status_code == 200
    assert only_profile(http, scope=scope.name, external_id="gz-u")["custom_events"] == {"zipped": 1}
    [entry] = entries_after(http, seq)
    assert entry["good"] is True
    assert json.loads(entry["request"]["body"]) == body, "the journal keeps the decompressed text"


def test_the_emulator_survives_a_barrage_of_bad_input(http: httpx.Client, scope: Scope) -> None:
    for _, body, headers, _, _ in BAD_REQUESTS:
        http.post(DATA, content=body, headers=headers)
    for path in (
        "/api/v3/content_cards/sync",
        "/api/v3/banners/sync",
        "/api/v3/template/",
        "/api/v3/push/unregister",
        "/nowhere",
    ):
        assert http.post(path, content=b"\x00\xff{").status_code < 500
    http.post(
        DATA, json={"api_key": scope.api_key, "device_id": "d", "events": [None, 1, "x", {"name": 5}], "attributes": [[], None]}
    )
    http.get("/api/v3/content_cards/sync")

    resp = http.post(DATA, json=data_body(scope.api_key, new_device(), events=[ce("still_alive", user="survivor")]))
    assert resp.status_code == 200
    assert http.get("/_emulator/health").json()["status"] == "ok"
    assert only_profile(http, scope=scope.name, external_id="survivor")["custom_events"] == {"still_alive": 1}


# --- unknown api keys --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rejecting() -> Iterator[httpx.Client]:
    with (
        EmulatorServer(EmulatorSettings(port=0, unknown_api_keys="reject")) as srv,
        httpx.Client(base_url=srv.url, trust_env=False) as c,
    ):
        yield c


def test_unknown_api_key_is_rejected_with_a_2xx_error_and_nothing_stored(rejecting: httpx.Client) -> None:
    seq = latest_seq(rejecting)
    resp = rejecting.post(DATA, json=data_body("nobody-knows-me", new_device(), events=[ce("ghost", user="ghost-u")]))

    assert resp.status_code == 200, "a 2xx error makes the SDK stop resending (docs/web-sdk-wire.md, data-answer)"
    assert resp.json() == {"error": "invalid_api_key"}
    assert rejecting.get("/_emulator/profiles").json()["profiles"] == []
    [entry] = entries_after(rejecting, seq)
    assert entry["good"] is False
    assert any(p["where"] == "api_key" and "nobody-knows-me" in p["message"] for p in entry["problems"])

    scope = rejecting.post("/_emulator/scopes", json={"name": "known"}).json()["scope"]
    key = rejecting.post(f"/_emulator/scopes/{scope}/apps", json={}).json()["api_key"]
    ok = rejecting.post(DATA, json=data_body(key, new_device(), events=[ce("real", user="real-u")]))
    assert ok.status_code == 200 and "error" not in ok.json()
    [profile] = rejecting.get("/_emulator/profiles").json()["profiles"]
    assert profile["external_id"] == "real-u"


# --- whole captures replayed over HTTP ------------------------------------------------------------------------


def replay_capture(http: httpx.Client, name: str, api_key: str) -> list[httpx.Response]:
    capture = json.loads((CAPTURES / name).read_text())
    answers = []
    for x in capture["exchanges"]:
        if x["method"] != "POST":
            continue
        headers = {
            k: v for k, v in x["headers"].items() if k.lower() not in ("host", "content-length", "connection", "accept-encoding")
        }
        headers = {k: (api_key if k.lower() == "x-braze-api-key" else v) for k, v in headers.items()}
        body = {**x["body"], "api_key": api_key}
        answers.append(http.post(x["path"], content=json.dumps(body).encode(), headers=headers))
    return answers


def test_replaying_b_identity_over_http_builds_the_two_users(http: httpx.Client, scope: Scope) -> None:
    answers = replay_capture(http, "b_identity.json", scope.api_key)

    assert [a.status_code for a in answers] == [200] * 5
    assert "config" in answers[0].json() and answers[0].json()["triggers"] == []
    entries = entries_after(http, 0, scope=scope.name)
    assert len(entries) == 5 and all(e["good"] for e in entries), [e["problems"] for e in entries]

    profiles = http.get("/_emulator/profiles", params={"scope": scope.name}).json()["profiles"]
    assert sorted(p["external_id"] or "<anon>" for p in profiles) == ["user-123", "user-456"]
    u123 = only_profile(http, scope=scope.name, external_id="user-123")
    assert u123["attributes"] == {"first_name": "Anon", "last_name": "MigratedFromAnon", "custom": {}}
    assert u123["custom_events"] == {"anon_event": 1, "user123_event": 1}
    assert u123["sessions"]["count"] == 2
    assert u123["workspace"] == f"{scope.name}/test"
    [device] = u123["devices"]
    assert device["app"] == scope.api_key and device["sdk_version"] == "6.13.0"
    u456 = only_profile(http, scope=scope.name, external_id="user-456")
    assert u456["sessions"]["count"] == 1
    assert [s["end"] for s in u456["sessions"]["list"]] == [None]


def test_replaying_c_attributes_over_http_sets_every_attribute(http: httpx.Client, scope: Scope) -> None:
    answers = replay_capture(http, "c_attributes.json", scope.api_key)

    assert all(a.status_code == 200 for a in answers)
    assert entries_after(http, 0, scope=scope.name, good="false") == []
    user = only_profile(http, scope=scope.name, external_id="user-c")
    attrs = user["attributes"]
    assert {k: attrs[k] for k in ("first_name", "last_name", "email", "dob", "country", "email_subscribe")} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "dob": "1815-12-10",
        "country": "GB",
        "email_subscribe": "opted_in",
    }
    custom = attrs["custom"]
    assert custom["str_attr"] == "overwritten"
    assert custom["arr_attr"] == ["b", "c"]  # set [a, b], add c, remove a
    assert custom["counter"] == 4  # +1 +5 -2
    assert custom["obj_attr"] == {"nested": {"x": 1}, "when": "2024-01-01T00:00:00.000Z"}
    assert custom["loc_attr"] == {"latitude": 51.5, "longitude": -0.12}
    assert user["subscription_groups"] == {"sg-111": "subscribed", "sg-222": "unsubscribed"}
    assert user["aliases"] == [{"alias_name": "alias-name", "alias_label": "alias-label"}]
    assert user["location"]["latitude"] == 51.5
