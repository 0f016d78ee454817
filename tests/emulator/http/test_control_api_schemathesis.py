"""The control API against its own OpenAPI document (`GET /_emulator/openapi.json`): schemathesis generates requests
for every operation, valid and not, from the pydantic models the routes validate with; none may be answered 5xx.
Plus the inputs that were answered 500 (or silently ignored) before every route validated its input."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.control import control_routes
from braze_harness.emulator.http.server import EmulatorServer
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

OPENAPI = "/_emulator/openapi.json"


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorServer]:
    with EmulatorServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def api_schema(running: EmulatorServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(running.url + OPENAPI)


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """Every control operation, with valid input and (where it takes a body or query parameters) invalid input."""
    emulator = Emulator()
    try:
        found = []
        for made in control_routes(emulator):
            op = made.operation  # type: ignore[attr-defined]
            found.append((op.method, made.path, GenerationMode.POSITIVE))
            if op.body is not None or op.query.model_fields:
                found.append((op.method, made.path, GenerationMode.NEGATIVE))
        return found
    finally:
        emulator.close()


@pytest.mark.parametrize(("method", "path", "mode"), _operations(), ids=lambda v: getattr(v, "value", v))
def test_no_control_request_is_answered_5xx(
    api_schema: schemathesis.BaseSchema, running: EmulatorServer, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        if case.path == "/_emulator/requests/wait" and isinstance(case.query, dict):
            case.query["timeout"] = "0"  # a generated timeout would hold the long-poll up to 30 s; the rest is fuzzed
        if case.path == "/_emulator/requests/stream":
            # a followed stream never ends; the rest is fuzzed
            case.query = {**(case.query if isinstance(case.query, dict) else {}), "follow": "false"}
        case.call_and_validate(base_url=running.url, checks=[not_a_server_error], timeout=10)

    check()


def test_the_document_covers_every_control_route(running: EmulatorServer) -> None:
    document = httpx.get(running.url + OPENAPI, timeout=10).json()
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routes = {(r.path, m) for r in control_routes(running.emulator) for m in r.methods or () if m != "HEAD"}
    assert routes == described
    reset = document["paths"]["/_emulator/reset"]["post"]
    body = reset["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert document["components"]["schemas"][body]["properties"]["scope"]["anyOf"][0] == {"type": "string"}
    assert "security" not in reset  # on loopback without a token: open


@pytest.fixture(scope="module")
def http(running: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=running.url, trust_env=False, timeout=10) as client:
        yield client


def test_reset_with_a_scope_that_is_not_a_string_is_a_400_naming_scope(http: httpx.Client) -> None:
    scope = http.post("/_emulator/scopes", json={"name": "kept"}).json()["scope"]
    key = http.post(f"/_emulator/scopes/{scope}/apps", json={}).json()["api_key"]
    body = {"api_key": key, "device_id": "d-kept", "time": 1795379958, "events": []}
    assert http.post("/api/v3/data/", json=body).status_code == 200
    resp = http.post("/_emulator/reset", json={"scope": 123})
    assert resp.status_code == 400
    assert resp.json() == {"error": "bad_request", "message": "scope: Input should be a valid string", "field": "scope"}
    assert http.get("/_emulator/requests", params={"scope": scope}).json()["entries"], "nothing was reset"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_emulator/scopes/s/faults", {"endpoint": ["data"], "status": 503}, "endpoint"),
        ("/_emulator/ingest", {"method": ["POST"], "url": "https://sdk.iad-01.braze.com/api/v3/data/"}, "method"),
        ("/_emulator/ingest", {"method": "POST", "url": ["https://x/api/v3/data/"]}, "url"),
        ("/_emulator/ingest/batch", {"exchanges": [{"method": "POST", "url": "https://x/", "scope": ["a"]}]}, None),
        ("/_emulator/ingest/batch", {"exchanges": "all of them"}, "exchanges"),
        ("/_emulator/reset", {"scope": ["a", "b"]}, "scope"),
        ("/_emulator/scopes", {"name": ["a"]}, "name"),
        ("/_emulator/scopes/s/apps", {"workspace": ["test"]}, "workspace"),
        ("/_emulator/scopes/s/clock", {"advance": 1e308}, "advance"),
        ("/_emulator/scopes/s/push/send", {"external_ids": ["a"], "message": {"title": ["t"]}}, "message.title"),
    ],
)
def test_a_list_where_a_string_is_expected_is_a_4xx_naming_the_field(
    http: httpx.Client, path: str, body: dict, field: str | None
) -> None:
    resp = http.post(path, json=body)
    if field is None:  # a batch answers each item: the bad one is named by its index
        assert resp.status_code == 201
        [item] = resp.json()["entries"]
        assert item["error"].startswith("exchanges[0].scope: Input should be a valid string")
        return
    assert resp.status_code == 400, resp.text
    answer = resp.json()
    assert answer["error"] == "bad_request" and answer["field"] == field and field in answer["message"]


@pytest.mark.parametrize(
    ("method", "path", "params", "field"),
    [
        ("GET", "/_emulator/requests", {"after_seq": str(10**30)}, "after_seq"),
        ("GET", "/_emulator/requests/wait", {"timeout": "inf"}, "timeout"),
        ("GET", "/_emulator/errors", {"after": "-1"}, "after"),
        ("GET", "/_emulator/stats", {"scope": ["a", "b"]}, "scope"),
        ("GET", "/_emulator/profiles", {"first_name": "Ada"}, "first_name"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(http: httpx.Client, method: str, path: str, params: dict, field: str) -> None:
    resp = http.request(method, path, params=params)
    assert resp.status_code == 400, resp.text
    assert resp.json()["field"] == field


@pytest.mark.parametrize("content", [b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b"1" * 5000])
def test_a_body_that_is_not_a_json_object_is_a_400(http: httpx.Client, content: bytes) -> None:
    resp = http.post("/_emulator/scopes", content=content, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["field"] == "body"


def test_an_unknown_id_is_a_404_naming_it(http: httpx.Client) -> None:
    for path, field in [
        ("/_emulator/scopes/s/push/dispatches/nope", "dispatch_id"),
        ("/_emulator/scopes/s/canvases/nope/progress", "canvas"),
        ("/_emulator/scopes/s/segments/nope/members", "segment"),
    ]:
        resp = http.get(path)
        assert resp.status_code == 404 and resp.json()["field"] == field and "nope" in resp.json()["message"], resp.text
    gone = http.delete("/_emulator/scopes/s/campaigns/nope")
    assert gone.status_code == 404 and "nope" in gone.json()["message"]
