"""The hot path's shortcuts give what the general way gives: each is checked against the general way it skips.

The decoder validates a batch of events in one call and looks for drift in the whole batch at once; the state
keeps plain event properties without its checked loop and applies a user's next events without routing them
again; the wire normalizer reads the usual header shapes in one comprehension and plain JSON bodies directly.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from braze_harness.emulator.http.sdk import cors_headers, off_loop
from braze_harness.emulator.state import EmulatorState
from braze_harness.emulator.state import events as state_events
from braze_harness.emulator.state import profiles as state_profiles
from braze_harness.emulator.state import workspaces as state_workspaces
from braze_harness.emulator.state.apply import SdkRules
from braze_harness.protocol import Endpoint, decode
from braze_harness.protocol.decode import _drift, _validate_items, _validate_list, decode_text, endpoint_of
from braze_harness.protocol.events import EVENT_ADAPTER, KNOWN_EVENTS_ADAPTER
from braze_harness.protocol.wire import body_text, normalize, normalize_headers
from pydantic import BaseModel

CAPTURES = sorted((Path(__file__).parents[1] / "data" / "captures").glob("*.json"))
HEADERS = {"X-Braze-Api-Key": "k", "Content-Type": "application/json"}
URL = "http://127.0.0.1:9/api/v3/data/"


def _signature(value: Any) -> Any:
    """Everything a decoded object is made of: classes, fields in order, which were set, extras, scalar types."""
    if isinstance(value, BaseModel):
        return (
            type(value).__name__,
            [(k, _signature(v)) for k, v in value.__dict__.items()],
            sorted(value.model_fields_set),
            _signature(value.__pydantic_extra__),
        )
    if isinstance(value, dict):
        return ("dict", [(k, _signature(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_signature(v) for v in value])
    return (type(value).__name__, repr(value))


def _events(n: int = 0) -> list[dict[str, Any]]:
    return [
        {"name": "ss", "time": 1.5 + n, "session_id": "s", "user_id": "u"},
        {"name": "ce", "time": 2 + n, "session_id": "s", "user_id": "u", "data": {"n": "played", "p": {"a": [1, {"b": 2}]}}},
        {"name": "p", "time": 3.0 + n, "user_id": "u", "data": {"pid": "sku", "p": "9.99", "q": 2, "pr": {"c": "red"}}},
        {"name": "inc", "time": 4.0 + n, "user_id": "u", "data": {"key": "logins", "value": 1}},
        {"name": "si", "time": 5.0 + n, "data": {"trigger_ids": ["t"], "message_extras": {"x": 1}}},
        {"name": "add", "time": 6.0 + n, "data": {"key": "k", "value": {"nested": True}}},
        {"name": "ca", "time": 7.0 + n},
    ]


def _flat_events() -> list[dict[str, Any]]:
    """Events whose data has no field that may hold a model (no `Any` field): drift is looked for in one pass."""
    return [e for e in _events() if e["name"] not in ("si", "add")]


def _drifting_batches() -> list[list[Any]]:
    """Batches of valid events of known codes, each with its own kind of drift (or none)."""
    batches = []
    for make in (_events, _flat_events):
        batches.append(make())
        for index, change in itertools.product(range(len(make())), ("extra", "data_extra", "alias", "alias_extra")):
            batch = make()
            changed = batch[index]
            if change == "extra":
                changed["zz"] = 1
            elif change == "data_extra" and isinstance(changed.get("data"), dict):
                changed["data"]["zz"] = [1]
            elif change == "alias":
                changed["alias"] = {"label": "l", "name": "n"}
            elif change == "alias_extra":
                changed["alias"] = {"label": "l", "name": "n", "zz": 2}
            batches.append(batch)
    return batches


@pytest.mark.parametrize("batch", _drifting_batches())
def test_a_batch_of_known_events_decodes_as_event_by_event(batch: list[Any]) -> None:
    fast_problems: list[Any] = []
    fast = _validate_list("events", copy.deepcopy(batch), KNOWN_EVENTS_ADAPTER, EVENT_ADAPTER.validate_python, fast_problems, [])
    slow_problems: list[Any] = []
    slow = _validate_items("events", copy.deepcopy(batch), EVENT_ADAPTER.validate_python, slow_problems, [])
    assert _signature(fast) == _signature(slow)
    assert fast_problems == slow_problems
    # and the drift found at once is what `_drift` finds event by event
    one_by_one: list[Any] = []
    for index, event in enumerate(slow):
        _drift(event, f"events[{index}]", one_by_one)
    assert fast_problems == one_by_one


def _bodies() -> list[dict[str, Any]]:
    base = {"api_key": "k", "device_id": "d", "time": 1, "respond_with": {"user_id": "u", "config": {"config_time": 0}}}
    bodies = [{**base, "events": batch} for batch in _drifting_batches()]
    bodies += [
        {**base, "events": [*_events(), {"name": "zzz", "time": 1}]},  # an unknown code: event by event
        {**base, "events": [*_events(), {"name": "ce", "time": 1, "data": {"n": ""}}]},  # an invalid one
        {**base, "events": ["not an event", *_events()]},
        {**base, "events": {"not": "a list"}, "attributes": "nor this"},
        {**base, "events": None},
        {**base, "attributes": [{"user_id": "u", "email": "e", "zz": 1}, {"alias": {"label": "a", "name": "b", "q": 1}}]},
        {**base, "respond_with": {"config": {"config_time": 0, "zz": 1}, "zz2": 2}},
        {**base, "device_id": 5, "events": _events()},  # an invalid envelope
        {k: v for k, v in base.items() if k != "device_id"},
    ]
    return bodies


@pytest.mark.parametrize("body", _bodies())
def test_decoding_records_the_fields_found_as_assigning_them_would(body: dict[str, Any]) -> None:
    decoded = decode("POST", URL, HEADERS, json.dumps(body))
    assert decoded == decode("POST", URL, HEADERS, json.dumps(body))
    expected = {"method", "url", "path", "endpoint", "headers", "braze", "problems", "body"}
    if decoded.body is None:
        expected.add("raw_body")
    assert decoded.model_fields_set == expected
    if decoded.body is not None:
        # events and attributes are set on the envelope whether the body had them or not
        assert {"events", "attributes"} <= decoded.body.model_fields_set
        assert list(decoded.body.__dict__)[-2:] == ["events", "attributes"]
    assert "rejected" not in decoded.model_fields_set


def test_preflights_rest_and_other_paths_record_the_fields_they_always_did() -> None:
    options = decode("OPTIONS", URL, HEADERS, None)
    assert options.model_fields_set == {"method", "url", "path", "endpoint", "headers", "braze"}
    rest = decode("POST", "http://127.0.0.1:9/users/track", HEADERS, "{}")
    assert rest.model_fields_set == {"method", "url", "path", "endpoint", "headers", "braze", "raw_body", "problems"}
    elsewhere = decode("POST", "http://127.0.0.1:9/elsewhere", {}, "{}")
    assert elsewhere.model_fields_set == {"method", "url", "path", "endpoint", "headers", "braze", "problems"}
    bad = decode("POST", URL, HEADERS, "{not json")
    assert bad.model_fields_set == {"method", "url", "path", "endpoint", "headers", "braze", "raw_body", "problems"}


def test_braze_headers_decode_alike_with_and_without_optional_headers() -> None:
    plain = decode("POST", URL, {"x-braze-api-key": "k", "x-braze-auth-signature": "s"}, "{}").braze
    assert plain.model_fields_set == {"api_key", "auth_signature", "request_initiated_by", "flags"}
    assert plain.flags == [] and plain.req_attempt is None
    full = decode("POST", URL, {"x-braze-api-key": "k", "x-braze-req-attempt": "2", "x-braze-datarequest": "true"}, "{}")
    assert full.braze.req_attempt == 2 and full.braze.flags == ["data"]


# --- state: plain properties -------------------------------------------------------------------------------------

PROPERTIES: list[dict[str, Any]] = [
    {},
    {"a": 1, "b": "x", "c": None, "d": True, "e": 1.5},
    {"nested": {"genre": "jazz", "tags": ["x", "y"]}, "list": [1, [2, {"z": None}]]},
    {"s": "$5"},  # a string value starting with '$'
    {"s": "brackets [ and { in a string"},
    {"$bad": 1, "ok": 2},
    {"time": 1, "ok": 2},
    {"": 1},
    {"long": "z" * 300},
    {"k" * 300: 1},
    {"big": "x" * 200, "other": "y" * 200},  # a long JSON, every string short
    {f"k{i}": i for i in range(300)},
    {"blob": "q" * 110_000},
    {"u": "é ü 漢字"},
]


@pytest.mark.parametrize("props", PROPERTIES, ids=lambda p: json.dumps(p)[:40])
@pytest.mark.parametrize("reserved", [state_events.RESERVED_EVENT_KEYS, state_events.RESERVED_PURCHASE_KEYS])
def test_plain_properties_are_kept_as_the_checked_loop_keeps_them(props: dict[str, Any], reserved: frozenset[str]) -> None:
    checked_problems: list[Any] = []
    checked = state_events._properties_checked(copy.deepcopy(props), reserved, "events[0].data.p", checked_problems)
    for adopt in (False, True):
        given = copy.deepcopy(props)
        problems: list[Any] = []
        kept = state_events._properties(given, reserved, "events[0]", ".data.p", problems, adopt=adopt)
        assert kept == checked and [type(v) for v in kept.values()] == [type(v) for v in checked.values()]
        assert problems == checked_problems
        if adopt and kept is given:
            continue  # handed over: kept as decoded
        # else a copy, sharing no container with what was given
        assert kept is not given and all(kept[k] is not v for k, v in given.items() if isinstance(v, dict | list))
    plain = {"nested": {"genre": "jazz"}, "n": 1}
    assert state_events._properties(plain, reserved, "e", ".p", [], adopt=True) is plain


# --- state: the fast way for a user's next events ----------------------------------------------------------------


def _general_way(self: SdkRules, req: Any, batch: list[Any]) -> None:
    for index, event in enumerate(batch):
        self._apply_event(req, event, f"events[{index}]")


def _bodies_for_state() -> list[dict[str, Any]]:
    bodies = []
    for n, (device, user) in enumerate(itertools.product(["d1", "d2"], ["u1", "u2", None])):
        events = _events(10 * n)
        for event in events:
            if "user_id" in event:
                event["user_id"] = user
        events.insert(3, {"name": "se", "time": 0.5 + 10 * n, "session_id": "old", "data": {"d": 3}})
        events.append({"name": "ce", "time": 1.0, "user_id": "u3", "data": {"n": "late", "p": {}}})  # older, another user
        bodies.append({"api_key": "k", "device_id": device, "time": 10 * n, "events": events})
    bodies.append(
        {"api_key": "k", "device_id": "d1", "events": [{"name": "ce", "time": 99, "user_id": "u2", "data": {"n": "x"}}]}
    )
    # users taking turns on one device in one request: the device speaks for whoever sent the newest event, and
    # its push token follows
    turns = [("u1", 100), ("u1", 101), ("u2", 102), ("u1", 103), ("u1", 104), ("u2", 90), ("u2", 91)]
    bodies.append(
        {
            "api_key": "k",
            "device_id": "d3",
            "time": 99,
            "attributes": [{"user_id": "u1", "push_token": "token-d3"}],
            "events": [{"name": "ce", "time": t, "user_id": u, "data": {"n": f"turn-{t}"}} for u, t in turns],
        }
    )
    bodies.append({"api_key": "k", "events": [{"name": "ce", "time": 99, "data": {"n": "no device"}}]})
    return bodies


def _profiles_applied(monkeypatch: pytest.MonkeyPatch, general: bool) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    ids = itertools.count()
    with monkeypatch.context() as m:
        # the same ids both ways (they are random)
        m.setattr(state_profiles, "new_braze_id", lambda: f"{next(ids):024x}")
        m.setattr(state_workspaces, "new_braze_id", state_profiles.new_braze_id)
        if general:
            m.setattr(SdkRules, "_apply_events", _general_way)
        state = EmulatorState()
        problems = [
            state.apply(decode("POST", URL, HEADERS, json.dumps(body)), received_at=float(i))
            for i, body in enumerate(_bodies_for_state())
        ]
        views = [state.profile_json(p) for p in state.profiles()]
        assert state.index_errors() == []
    return views, problems


def test_a_users_next_events_apply_as_routing_each_of_them_would(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _profiles_applied(monkeypatch, general=False) == _profiles_applied(monkeypatch, general=True)


# --- wire and HTTP ------------------------------------------------------------------------------------------------

HEADER_SHAPES: list[Any] = [
    [(b"Host", b"h"), (b"content-type", b"application/json"), (b"X-Braze-Api-Key", b"k")],
    [(b"host", b"h"), (b"accept", b"a"), (b"Accept", b"b")],  # a repeated name
    [(b":authority", b"h"), (b"host", b"h")],  # a pseudo-header
    [(b"1-odd", b"v"), (b"host", b"h")],  # a name sorting before ':'
    [(b"host", "str value"), ("str-name", b"v")],  # mixed types
    [(bytearray(b"host"), b"h")],
    {"Host": "h", "X-Braze-Api-Key": "k"},
    {"Accept": "a", "accept": "b"},
    {"host": 5},
    [],
]


@pytest.mark.parametrize("headers", HEADER_SHAPES, ids=repr)
def test_headers_normalize_alike_in_any_shape(headers: Any) -> None:
    general = normalize_headers(tuple(headers.items()) if isinstance(headers, dict) else tuple(headers))
    fast = normalize_headers(headers)
    assert fast == general and list(fast) == list(general)


@pytest.mark.parametrize(
    "body",
    [b'{"a": 1}', b"[1]", b'{"bad": "\xff"}', gzip.compress(b'{"a": 1}', mtime=0), b"", b"plain", b'{"x": "\xc3\xa9"}'],
    ids=repr,
)
@pytest.mark.parametrize("encoding", ["", "gzip", "deflate"])
def test_plain_json_bodies_read_as_any_body_is_read(body: bytes, encoding: str) -> None:
    assert body_text(body, encoding) == body_text(bytearray(body), encoding)


def test_a_whole_request_normalizes_and_decodes_alike_from_its_parts() -> None:
    capture = json.loads(CAPTURES[0].read_text())["exchanges"]
    for ex in capture:
        body = json.dumps(ex["body"]).encode() if ex.get("body") is not None else None
        wire = normalize(ex["method"], URL, ex["headers"], body)
        again = normalize(ex["method"], URL, list(wire.headers.items()), bytearray(body) if body else body)
        assert wire == again
        assert decode_text(wire.method, wire.url, wire.headers, wire.text) == decode("POST", URL, ex["headers"], body) or (
            ex["method"] != "POST"
        )


@pytest.mark.parametrize("path", ["/api/v3/template/", "/api/v3/data/", "/x/template", "/users/track", "/", "/api/v3/geo/"])
def test_off_loop_is_told_by_the_endpoint(path: str) -> None:
    assert off_loop(path) is (endpoint_of(path) is Endpoint.TEMPLATE)
    assert off_loop(path) is off_loop(path)


def test_cors_headers_are_made_per_request_as_before() -> None:
    first = cors_headers({"origin": "http://a"})
    first.append((b"x", b"y"))  # a caller may extend its list
    assert cors_headers({"origin": "http://a"}) == [
        (b"access-control-allow-origin", b"http://a"),
        (b"access-control-expose-headers", b"Retry-After"),
        (b"vary", b"Origin"),
    ]
    assert cors_headers({})[0] == (b"access-control-allow-origin", b"*")


def test_a_journal_waiter_wakes_on_the_append_it_waits_for() -> None:
    # appends notify only while someone waits: a waiter blocked before the append must still wake
    import threading

    from braze_harness.journal import Exchange, Journal

    journal = Journal()
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(journal.wait(0, timeout=10)))
    waiter.start()
    while not journal._waiting:  # the waiter is inside `wait`
        threading.Event().wait(0.001)
    journal.append(Exchange("POST", URL, {}, None), source="test")
    waiter.join(10)
    assert woke == [True] and journal._waiting == 0
    assert journal.wait(0, timeout=0)  # already there: no wait
