"""The control API (`/_emulator/...`) over real HTTP: scope isolation, reset, journal filters, the
long-poll, error answers, and expectations read remotely through `RemoteSource`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from braze_harness.client import EmulatorClient, RemoteSource
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.expect import Expect, ExpectationFailed
from braze_harness.journal import Journal

DATA = "/api/v3/data/"
SESSION = "5b6f0c1e-0000-4000-8000-00000000000a"


@pytest.fixture(scope="module")
def http(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, trust_env=False, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def control(server: EmulatorServer) -> Iterator[EmulatorClient]:
    client = EmulatorClient(server.url)
    yield client
    client.close()


def new_scope(http: httpx.Client, name: str) -> tuple[str, str]:
    """A new scope with one app: (scope, api key)."""
    created = http.post("/_emulator/scopes", json={"name": name})
    assert created.status_code == 201
    scope = created.json()["scope"]
    assert scope.startswith(f"{name}-")
    app = http.post(f"/_emulator/scopes/{scope}/apps", json={"workspace": "test"})
    assert app.status_code == 201
    assert app.json()["scope"] == scope
    return scope, app.json()["api_key"]


def event(code: str, data: dict[str, Any], *, user: str | None = None, t: float = 1795379958.5) -> dict[str, Any]:
    e: dict[str, Any] = {"name": code, "time": t, "data": data, "session_id": SESSION}
    if user is not None:
        e["user_id"] = user
    return e


def ce(name: str, *, user: str | None = None, props: dict[str, Any] | None = None) -> dict[str, Any]:
    return event("ce", {"n": name, "p": props or {}}, user=user)


def post(http: httpx.Client, api_key: str, device_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    resp = http.post(DATA, json={"api_key": api_key, "device_id": device_id, "time": 1795379958, "events": list(events)})
    assert resp.status_code == 200, resp.text
    return resp.json()


def entries(http: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    resp = http.get("/_emulator/requests", params=filters)
    assert resp.status_code == 200, resp.text
    return resp.json()["entries"]


def profiles(http: httpx.Client, **selector: str) -> list[dict[str, Any]]:
    resp = http.get("/_emulator/profiles", params=selector)
    assert resp.status_code == 200, resp.text
    return resp.json()["profiles"]


def device() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def on_long_poll(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a long-poll is parked on the journal (its listener registered), so a test can send
    traffic exactly while the wait is in flight — no sleeps."""
    journal: Journal = server.emulator.journal
    parked = threading.Event()
    original: Callable[..., None] = journal.add_listener

    def add_listener(listener: Callable[..., None]) -> None:
        original(listener)
        parked.set()

    monkeypatch.setattr(journal, "add_listener", add_listener)
    return parked


# --- scopes -------------------------------------------------------------------------------------------


def test_scopes_isolate_traffic_and_profiles(http: httpx.Client) -> None:
    a, key_a = new_scope(http, "iso-a")
    b, key_b = new_scope(http, "iso-b")
    dev_a, dev_b = device(), device()
    post(http, key_a, dev_a, ce("from_a", user="alice"))
    post(http, key_b, dev_b, ce("from_b", user="bob"), ce("again_b", user="bob"))

    seen_a, seen_b = entries(http, scope=a), entries(http, scope=b)
    assert [(e["device_id"], e["scope"]) for e in seen_a] == [(dev_a, a)]
    assert [(e["device_id"], e["scope"]) for e in seen_b] == [(dev_b, b)]
    assert [p["external_id"] for p in profiles(http, scope=a)] == ["alice"]
    assert [p["external_id"] for p in profiles(http, scope=b)] == ["bob"]
    assert profiles(http, scope=a, external_id="bob") == []
    assert http.get("/_emulator/stats", params={"scope": b}).json()["journal"]["entries"] == 1
    assert http.get(f"/_emulator/scopes/{a}").json() == {"api_keys": [key_a], "device_ids": []}


def test_a_profile_says_when_each_attribute_was_set_in_the_shape_of_its_attributes(http: httpx.Client) -> None:
    _, key = new_scope(http, "set-at")
    attributes = [{"user_id": "sam", "first_name": "Sam", "custom": {"tier": "gold"}}]
    before = time.time()
    resp = http.post(DATA, json={"api_key": key, "device_id": device(), "time": 1795379958, "attributes": attributes})
    assert resp.status_code == 200, resp.text
    after = time.time()

    [profile] = profiles(http, api_key=key, external_id="sam")
    assert profile["attributes"] == {"first_name": "Sam", "custom": {"tier": "gold"}}  # unchanged by the new key
    set_at = profile["attribute_set_at"]
    assert set(set_at) == {"first_name", "custom"} and set(set_at["custom"]) == {"tier"}
    # the server's receipt time, not the envelope's client time
    assert before <= set_at["first_name"] == set_at["custom"]["tier"] <= after


def test_same_external_id_in_two_scopes_is_two_profiles(http: httpx.Client) -> None:
    a, key_a = new_scope(http, "twin-a")
    b, key_b = new_scope(http, "twin-b")
    post(http, key_a, device(), ce("only_in_a", user="same-user"))
    post(http, key_b, device(), ce("only_in_b", user="same-user"))

    [in_a] = profiles(http, scope=a, external_id="same-user")
    [in_b] = profiles(http, scope=b, external_id="same-user")
    assert in_a["braze_id"] != in_b["braze_id"]
    assert in_a["custom_events"] == {"only_in_a": 1}
    assert in_b["custom_events"] == {"only_in_b": 1}


def test_reset_of_one_scope_leaves_the_other_intact(http: httpx.Client) -> None:
    a, key_a = new_scope(http, "reset-a")
    b, key_b = new_scope(http, "reset-b")
    post(http, key_a, device(), ce("a1", user="ra"))
    post(http, key_a, device(), ce("a2", user="ra2"))
    post(http, key_b, device(), ce("b1", user="rb"))
    b_entries_before, b_profiles_before = entries(http, scope=b), profiles(http, scope=b)

    resp = http.post("/_emulator/reset", params={"scope": a})

    assert resp.status_code == 200
    assert resp.json() == {"reset": a, "entries_removed": 2}
    assert entries(http, scope=a) == []
    assert profiles(http, scope=a) == []
    assert profiles(http, external_id="ra") == [], "A's profiles are gone, not just hidden"
    assert entries(http, scope=b) == b_entries_before
    assert profiles(http, scope=b) == b_profiles_before

    by_body = http.post("/_emulator/reset", json={"scope": b})
    assert by_body.json() == {"reset": b, "entries_removed": 1}
    assert entries(http, scope=b) == [] and profiles(http, scope=b) == []


def test_device_claimed_scopes_share_one_api_key(http: httpx.Client) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}"  # like --braze-api-key: a key no scope created
    a = http.post("/_emulator/scopes", json={"name": "claim-a"}).json()["scope"]
    b = http.post("/_emulator/scopes", json={"name": "claim-b"}).json()["scope"]
    dev_a, dev_b, stranger = device(), device(), device()
    assert http.post(f"/_emulator/scopes/{a}/devices", json={"device_ids": [dev_a]}).json() == {"scope": a, "device_ids": [dev_a]}
    http.post(f"/_emulator/scopes/{b}/devices", json={"device_ids": [dev_b]})

    post(http, shared, dev_a, ce("on_a", user="claim-user-a"))
    post(http, shared, dev_b, ce("on_b", user="claim-user-b"))
    post(http, shared, stranger, ce("on_nobody", user="claim-user-x"))

    assert [e["device_id"] for e in entries(http, scope=a)] == [dev_a]
    assert [e["device_id"] for e in entries(http, scope=b)] == [dev_b]
    assert [e["scope"] for e in entries(http, device_id=stranger)] == [None]
    assert [p["external_id"] for p in profiles(http, scope=a)] == ["claim-user-a"]
    assert [p["external_id"] for p in profiles(http, scope=b)] == ["claim-user-b"]
    assert http.get(f"/_emulator/scopes/{a}").json() == {"api_keys": [], "device_ids": [dev_a]}

    # resetting one test's scope forgets its users in the shared workspace, and only them
    assert http.post("/_emulator/reset", params={"scope": a}).status_code == 200
    assert profiles(http, scope=a) == []
    assert [p["external_id"] for p in profiles(http, scope=b)] == ["claim-user-b"]
    assert [p["external_id"] for p in profiles(http, device_id=stranger)] == ["claim-user-x"]
    post(http, shared, dev_a, ce("again", user="claim-user-a"))
    [again] = profiles(http, scope=a)
    assert again["external_id"] == "claim-user-a" and again["custom_events"] == {"again": 1}


# --- journal filters ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traffic(http: httpx.Client) -> dict[str, Any]:
    """One scope with a known mix of requests (module-wide, read-only)."""
    scope, key = new_scope(http, "filters")
    dev1, dev2 = device(), device()
    post(http, key, dev1, event("ss", {}, user="f-u1"), ce("alpha", user="f-u1"))
    post(http, key, dev2, event("p", {"pid": "sku-9", "c": "USD", "p": "9.99", "q": 1}, user="f-u2"))
    post(http, key, dev1, ce("beta", user="f-u1"), ce("", user="f-u1"))  # one invalid event: a bad entry
    post(http, key, dev2, ce("alpha", user="f-u2"))
    seqs = [e["seq"] for e in entries(http, scope=scope)]
    assert len(seqs) == 4
    return {"scope": scope, "dev1": dev1, "dev2": dev2, "seqs": seqs}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [0, 1, 2, 3]),
        ({"device_id": "dev2"}, [1, 3]),
        ({"user_id": "f-u1"}, [0, 2]),
        ({"event_code": "p"}, [1]),
        ({"event_code": "ss"}, [0]),
        ({"event_name": "alpha"}, [0, 3]),
        ({"event_name": "sku-9"}, [1]),
        ({"good": "false"}, [2]),
        ({"good": "true"}, [0, 1, 3]),
        ({"after_seq": 1}, [2, 3]),
        ({"limit": 2}, [2, 3]),
        ({"user_id": "f-u2", "event_name": "alpha"}, [3]),
    ],
    ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_requests_filters(http: httpx.Client, traffic: dict[str, Any], filters: dict[str, Any], expected: list[int]) -> None:
    params: dict[str, Any] = {"scope": traffic["scope"]}
    for key, value in filters.items():
        if key == "device_id":
            value = traffic[value]
        if key == "after_seq":
            value = traffic["seqs"][value]
        params[key] = value
    found = [e["seq"] for e in entries(http, **params)]
    assert found == [traffic["seqs"][i] for i in expected]


@pytest.mark.parametrize(
    ("route", "params", "named"),
    [
        ("/_emulator/requests", {"bogus": "1"}, "bogus"),
        ("/_emulator/requests", {"good": "maybe"}, "good"),
        ("/_emulator/requests", {"limit": "ten"}, "limit"),
        ("/_emulator/requests", {"after_seq": "x"}, "after_seq"),
        ("/_emulator/requests", {"since": "yesterday"}, "since"),
        ("/_emulator/profiles", {"first_name": "Ada"}, "first_name"),
        ("/_emulator/requests/wait", {"after_seq": "x"}, "after_seq"),
        ("/_emulator/requests/wait", {"timeout": "soon"}, "timeout"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(http: httpx.Client, route: str, params: dict[str, str], named: str) -> None:
    resp = http.get(route, params=params)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("application/json")
    assert named in resp.json()["message"]


def test_a_negative_limit_is_a_bad_filter(http: httpx.Client, traffic: dict[str, Any]) -> None:
    resp = http.get("/_emulator/requests", params={"scope": traffic["scope"], "limit": -1})
    assert resp.status_code == 400
    assert "limit" in resp.json()["message"]


# --- the long-poll ------------------------------------------------------------------------------------


def test_wait_returns_as_soon_as_a_request_arrives(
    http: httpx.Client, server: EmulatorServer, on_long_poll: threading.Event
) -> None:
    scope, key = new_scope(http, "wait")
    after = http.get("/_emulator/stats", params={"scope": scope}).json()["journal"]["latest_seq"]
    result: dict[str, Any] = {}

    def long_poll() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as own:
            result["body"] = own.get(
                "/_emulator/requests/wait", params={"after_seq": after, "timeout": 10, "scope": scope}
            ).json()
        result["elapsed"] = time.monotonic() - started

    waiter = threading.Thread(target=long_poll)
    waiter.start()
    assert on_long_poll.wait(10), "the long-poll never parked"
    post(http, key, device(), ce("wake_up"))
    waiter.join(15)

    assert not waiter.is_alive()
    [entry] = entries(http, scope=scope)
    assert result["body"] == {"changed": True, "latest_seq": entry["seq"]}
    assert result["elapsed"] < 5, f"woke after {result['elapsed']:.2f} s of a 10 s wait"


def test_wait_times_out_unchanged(http: httpx.Client) -> None:
    scope, _ = new_scope(http, "quiet")
    started = time.monotonic()
    resp = http.get("/_emulator/requests/wait", params={"after_seq": 0, "timeout": 0.3, "scope": scope})
    elapsed = time.monotonic() - started

    assert resp.json() == {"changed": False, "latest_seq": 0}
    assert 0.25 <= elapsed < 5


def test_wait_in_a_scope_ignores_other_scopes(http: httpx.Client, server: EmulatorServer, on_long_poll: threading.Event) -> None:
    watched, _ = new_scope(http, "watched")
    other, other_key = new_scope(http, "other")
    result: dict[str, Any] = {}

    def long_poll() -> None:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as own:
            result["body"] = own.get("/_emulator/requests/wait", params={"after_seq": 0, "timeout": 0.5, "scope": watched}).json()

    waiter = threading.Thread(target=long_poll)
    waiter.start()
    assert on_long_poll.wait(10)
    post(http, other_key, device(), ce("elsewhere"))
    waiter.join(15)

    assert result["body"] == {"changed": False, "latest_seq": 0}
    assert len(entries(http, scope=other)) == 1


def test_wait_answers_at_once_when_something_newer_exists(http: httpx.Client) -> None:
    scope, key = new_scope(http, "already")
    post(http, key, device(), ce("earlier"))
    started = time.monotonic()
    resp = http.get("/_emulator/requests/wait", params={"after_seq": 0, "timeout": 10, "scope": scope})
    assert resp.json()["changed"] is True
    assert time.monotonic() - started < 5


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/nope"),
        ("POST", "/_emulator/scopes/x/unknown"),
        ("DELETE", "/_emulator/requests/all"),
        ("GET", "/_emulator/"),
    ],
)
def test_an_unknown_control_route_is_a_json_404(http: httpx.Client, method: str, path: str) -> None:
    resp = http.request(method, path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"error": "not_found", "message": f"no such control route: {method} {path}", "field": "path"}


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        ("/_emulator/scopes", b"{", "not JSON"),
        ("/_emulator/reset", b"[1, 2]", "must be a JSON object"),
        ("/_emulator/scopes/s-1/apps", b'{"workspace": "w", "colour": "red"}', "colour"),
        ("/_emulator/scopes/s-1/devices", b'{"device_ids": "one"}', "device_ids"),
        ("/_emulator/scopes/s-1/devices", b'{"device_ids": [""]}', "device_ids"),
    ],
    ids=["malformed", "not-an-object", "unknown-field", "ids-not-a-list", "empty-id"],
)
def test_a_bad_control_body_is_a_400(http: httpx.Client, path: str, content: bytes, message: str) -> None:
    before = http.get("/_emulator/health").json()["journal"]
    resp = http.post(path, content=content, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert message in resp.json()["message"]
    assert http.get("/_emulator/health").json()["journal"] == before, "a control call is not SDK traffic"


def test_creating_an_app_with_another_scopes_key_is_a_json_4xx(server: EmulatorServer, http: httpx.Client) -> None:
    _, key_a = new_scope(http, "owner")
    b = http.post("/_emulator/scopes", json={}).json()["scope"]
    with httpx.Client(base_url=server.url, trust_env=False) as own:  # a 500 closes the connection
        resp = own.post(f"/_emulator/scopes/{b}/apps", json={"api_key": key_a})
    assert resp.status_code in (400, 409)
    assert key_a in resp.json()["message"]


def test_a_non_string_scope_name_is_a_400(server: EmulatorServer) -> None:
    with httpx.Client(base_url=server.url, trust_env=False) as own:
        resp = own.post("/_emulator/scopes", json={"name": 5})
    assert resp.status_code == 400
    assert "name" in resp.json()["message"]


# --- expectations through RemoteSource ----------------------------------------------------------------


def test_remote_expectation_is_met_by_traffic_that_arrives_during_the_wait(
    http: httpx.Client, control: EmulatorClient, on_long_poll: threading.Event
) -> None:
    scope, key = new_scope(http, "remote-ok")
    dev = device()
    expect = Expect(RemoteSource(control, scope), default_timeout=10)
    sender = threading.Thread(
        target=lambda: on_long_poll.wait(10) and post(http, key, dev, ce("song_played", user="r-u", props={"genre": "jazz"}))
    )
    sender.start()
    started = time.monotonic()

    [match] = expect.custom_event("song_played", props={"genre": "jazz"}, user="r-u").within()
    sender.join(10)

    assert time.monotonic() - started < 5
    assert match.entry.device_id == dev and match.entry.scope == scope
    assert match.user_id == "r-u"
    profile = expect.profile("r-u").has(custom_events={"song_played": 1}).within(5)
    assert profile["devices"][0]["device_id"] == dev
    expect.custom_event("song_played").exactly(1).within(2, settle=0.2)


def test_remote_expectation_failure_names_the_near_misses(http: httpx.Client, control: EmulatorClient) -> None:
    scope, key = new_scope(http, "remote-miss")
    post(http, key, device(), ce("song_played", user="m-u", props={"genre": "rock"}))
    [entry] = entries(http, scope=scope)
    expect = Expect(RemoteSource(control, scope), default_timeout=0.5)

    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("song_played", props={"genre": "jazz"}, user="m-u").within()

    message = str(failed.value)
    assert "Expected within 0.5 s: custom event 'song_played' with props" in message
    assert f"scope {scope!r} saw 1 request(s), 1 event(s), 0 bad" in message
    assert "Nearest misses:" in message
    assert f"#{entry['seq']} ce 'song_played'" in message
    assert "props.genre: 'rock' != 'jazz'" in message


def test_remote_expectation_sees_only_its_scope(http: httpx.Client, control: EmulatorClient) -> None:
    mine, _ = new_scope(http, "remote-mine")
    _, their_key = new_scope(http, "remote-theirs")
    post(http, their_key, device(), ce("not_mine", user="t-u"))
    expect = Expect(RemoteSource(control, mine), default_timeout=0.3)

    expect.custom_event("not_mine").never(within=0.3)
    with pytest.raises(ExpectationFailed, match="No traffic at all in this scope"):
        expect.custom_event("not_mine").within()


@pytest.mark.parametrize("timeout", ["nan", "-1", "soon"])
def test_wait_rejects_a_timeout_that_is_not_a_finite_number(http: httpx.Client, timeout: str) -> None:
    resp = http.get("/_emulator/requests/wait", params={"after_seq": 0, "timeout": timeout})
    assert resp.status_code == 400
    assert "timeout" in resp.json()["message"]


def test_drift_is_aggregated_by_location_per_scope(http: httpx.Client) -> None:
    scope, key = new_scope(http, "drift")
    dev = device()
    post(http, key, dev, event("zz9", {}), event("zz9", {}), ce("a", props={}) | {"brand_new": 1})
    post(http, key, dev, event("ce", {"n": ""}))
    report = http.get("/_emulator/drift", params={"scope": scope}).json()
    rows = {(r["severity"], r["where"], r["message"]): r["count"] for r in report["problems"]}
    assert rows[("drift", "events[]", "unknown event code 'zz9'")] == 2
    assert rows[("drift", "events[].brand_new", "unknown field")] == 1
    assert ("error", "events[].data.n", "String should have at least 1 character (got '')") in rows
    assert report["requests"] == 2 and report["bad"] == 1
    assert report["problems"][0]["severity"] == "drift"
    clean, _ = new_scope(http, "clean")
    assert http.get("/_emulator/drift", params={"scope": clean}).json() == {"requests": 0, "bad": 0, "problems": []}


def test_reset_keeps_the_scope_s_keys_and_devices_but_dropping_it_releases_them(http: httpx.Client) -> None:
    scope, key = new_scope(http, "keeps")
    dev = device()
    assert http.post(f"/_emulator/scopes/{scope}/devices", json={"device_ids": [dev]}).status_code == 200
    post(http, key, dev, ce("before_reset"))
    assert http.post("/_emulator/reset", params={"scope": scope}).json()["entries_removed"] == 1

    post(http, key, dev, ce("after_reset"))
    assert [e["events"][0]["data"]["n"] for e in entries(http, scope=scope)] == ["after_reset"]
    assert http.get(f"/_emulator/scopes/{scope}").json() == {"api_keys": [key], "device_ids": [dev]}

    http.delete(f"/_emulator/scopes/{scope}")
    assert http.get(f"/_emulator/scopes/{scope}").json() == {"api_keys": [], "device_ids": []}
