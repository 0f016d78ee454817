"""The one decoder, against every recording of the real Web SDK and against bad input."""

import gzip
import json

import pytest
from braze_harness.protocol import Endpoint, decode, decode_response
from braze_harness.protocol.events import (
    EVENT_CLASSES,
    CustomEvent,
    Purchase,
    SessionEnd,
    SessionStart,
    UnknownEvent,
)
from braze_harness.protocol.requests import BannersSyncRequest, ContentCardsSyncRequest, DataRequest, TemplateRequest

from tests.support.paths import CAPTURES
from tests.support.recordings import request_of

CAPTURES = sorted((CAPTURES).glob("*.json"))


def _exchanges(path):
    return json.loads(path.read_text())["exchanges"]


def _decode_exchange(ex):
    return decode(*request_of(ex))  # the replay helper the per-version recordings use too


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.stem)
def test_every_recorded_request_decodes_cleanly(capture):
    for ex in _exchanges(capture):
        decoded = _decode_exchange(ex)
        if ex["method"] == "OPTIONS":
            assert decoded.is_preflight
            continue
        assert decoded.ok, (ex["path"], decoded.problems)
        assert decoded.drift == [], decoded.drift  # the 6.13.0 protocol is fully modelled
        assert decoded.endpoint is not None and decoded.endpoint is not Endpoint.OTHER
        assert decoded.api_key == "lab-api-key"
        assert decoded.device_id
        assert not any(isinstance(e, UnknownEvent) for e in decoded.events)


def test_every_event_code_seen_in_the_recordings_has_a_model():
    seen = {e["name"] for c in CAPTURES for ex in _exchanges(c) for e in (ex.get("body") or {}).get("events", [])}
    assert seen <= set(EVENT_CLASSES), seen - set(EVENT_CLASSES)
    assert {
        "ss",
        "se",
        "ce",
        "p",
        "set",
        "add",
        "rem",
        "inc",
        "ncam",
        "lcaa",
        "lcar",
        "si",
        "sc",
        "sbc",
        "cci",
        "ccc",
        "ccd",
        "ccic",
        "ffi",
        "bi",
        "bc",
        "ie",
    } <= seen


def test_mobile_codes_are_modelled():
    assert {"pc", "ca", "cic", "g", "pde", "lr", "uae", "sgu", "iec", "bd", "tt", "i"} <= set(EVENT_CLASSES)


def test_typed_fields_of_a_recorded_batch():
    ex = next(
        x for x in _exchanges(CAPTURES[3]) if x["method"] == "POST" and any(e["name"] == "p" for e in x["body"].get("events", []))
    )
    decoded = _decode_exchange(ex)
    assert isinstance(decoded.body, DataRequest)
    purchase = next(e for e in decoded.events if isinstance(e, Purchase))
    assert purchase.data.pid == "sku-1" and purchase.data.price == 9.99 and purchase.data.q == 2
    custom = next(e for e in decoded.events if isinstance(e, CustomEvent))
    assert custom.data.n == "played_song" and custom.data.p["nested"]["genre"] == "jazz"
    assert decoded.braze.req_attempt == 1 and decoded.braze.tokens_remaining == 29


def test_each_endpoint_gets_its_model():
    by_endpoint = {}
    for capture in CAPTURES:
        for ex in _exchanges(capture):
            if ex["method"] == "POST":
                d = _decode_exchange(ex)
                by_endpoint.setdefault(d.endpoint, d)
    assert isinstance(by_endpoint[Endpoint.CONTENT_CARDS].body, ContentCardsSyncRequest)
    assert isinstance(by_endpoint[Endpoint.TEMPLATE].body, TemplateRequest)
    assert isinstance(by_endpoint[Endpoint.BANNERS].body, BannersSyncRequest)
    assert by_endpoint[Endpoint.BANNERS].body.placements[0].id == "home"
    assert by_endpoint[Endpoint.PUSH_UNREGISTER].body.push_token


def _body(**over):
    body = {"api_key": "k", "device_id": "d", "time": 1795379909, "sdk_version": "6.13.0"}
    body.update(over)
    return json.dumps(body).encode()


def test_header_names_are_case_insensitive_and_typed():
    decoded = decode(
        "post", "/api/v3/data/", {"X-BRAZE-API-KEY": "k", "x-braze-req-attempt": "3", "X-Braze-Auth-Signature": "jwt"}, _body()
    )
    assert decoded.api_key == "k" and decoded.braze.req_attempt == 3 and decoded.braze.auth_signature == "jwt"
    assert decoded.method == "POST"


def test_int_or_float_times_and_zero_one_booleans():
    events = [
        {"name": "ss", "time": 1795379909, "session_id": "s"},  # iOS: no data
        {"name": "se", "time": 1795379910.5, "data": {"d": 1}, "session_id": "s"},
    ]
    decoded = decode(
        "POST",
        "/api/v3/data/",
        {},
        _body(time=1795379909.25, events=events, respond_with={"triggers": 1, "config": {"config_time": 0}}),
    )
    assert decoded.ok, decoded.problems
    assert isinstance(decoded.events[0], SessionStart) and isinstance(decoded.events[1], SessionEnd)
    assert decoded.body.respond_with.triggers is True
    assert decoded.body.time == 1795379909.25


def test_unknown_codes_and_fields_are_kept_and_flagged_as_drift():
    events = [{"name": "zz9", "time": 1, "data": {"x": 1}}, {"name": "ce", "time": 1, "data": {"n": "a", "p": {}, "new": 1}}]
    decoded = decode("POST", "/api/v3/data/", {}, _body(events=events, brand_new_key=True))
    assert decoded.ok
    assert isinstance(decoded.events[0], UnknownEvent) and decoded.events[0].data == {"x": 1}
    where = {p.where: p.message for p in decoded.drift}
    assert where["events[0]"] == "unknown event code 'zz9'"
    assert "events[1].data.new" in where and "body.brand_new_key" in where
    assert decoded.events[1].data.model_extra == {"new": 1}


def test_an_invalid_event_is_reported_alone_and_the_rest_are_kept():
    events = [
        {"name": "ce", "time": 1, "data": {"n": "ok1"}},
        {"name": "ce", "time": 1, "data": {"n": ""}},
        {"name": "p", "time": "not-a-time", "data": {"pid": "x", "p": "1.00"}},
        {"name": "ce", "time": 2, "data": {"n": "ok2"}},
    ]
    decoded = decode("POST", "/api/v3/data/", {}, _body(events=events, attributes=[{"first_name": 5}, {"first_name": "Ada"}]))
    assert [e.data.n for e in decoded.events] == ["ok1", "ok2"]
    assert [a.first_name for a in decoded.attributes] == ["Ada"]
    wheres = sorted(p.where for p in decoded.errors)
    assert wheres == ["attributes[0].first_name", "events[1].data.n", "events[2].time"]
    assert len(decoded.rejected) == 3
    assert not decoded.ok


@pytest.mark.parametrize(
    ("body", "where", "fragment"),
    [
        (b"{not json", "body", "malformed JSON"),
        (b"[1, 2]", "body", "expected a JSON object"),
        (b"", "body", "empty body"),
        (json.dumps({"api_key": 5, "device_id": "d"}).encode(), "body.api_key", "string"),
        (json.dumps({"device_id": "d"}).encode(), "api_key", "missing api key"),
        (json.dumps({"api_key": "k", "events": {"name": "ce"}}).encode(), "events", "expected a list"),
        (json.dumps({"api_key": "k"}).encode(), "body.device_id", "missing device_id"),
    ],
)
def test_bad_bodies_become_problems_not_exceptions(body, where, fragment):
    decoded = decode("POST", "/api/v3/data/", {}, body)
    assert not decoded.ok
    assert any(p.where == where and fragment in p.message for p in decoded.errors), decoded.errors


def test_gzip_bodies_and_parsed_bodies():
    raw = _body(events=[{"name": "ce", "time": 1, "data": {"n": "zipped"}}])
    zipped = decode("POST", "https://sdk.iad-01.braze.com/api/v3/data", {"Content-Encoding": "gzip"}, gzip.compress(raw))
    parsed = decode("POST", "/api/v3/data/", {}, json.loads(raw))
    assert zipped.events[0].data.n == parsed.events[0].data.n == "zipped"


def test_paths():
    assert decode("POST", "http://h/custom/prefix/data/", {}, _body()).endpoint is Endpoint.DATA
    assert decode("POST", "https://sdk.fra-01.braze.eu/api/v3/content_cards/sync", {}, _body()).endpoint is Endpoint.CONTENT_CARDS
    assert decode("POST", "https://h/api/v3/geofence/request", {}, _body()).endpoint is Endpoint.GEOFENCE_REQUEST
    assert decode("POST", "https://h/api/v3/not/known", {}, _body()).endpoint is Endpoint.OTHER
    assert decode("POST", "https://h/index.html", {}, _body()).errors[0].where == "path"


def test_user_ids_collects_every_place_a_user_appears():
    body = _body(
        respond_with={"user_id": "a"},
        events=[{"name": "se", "time": 1, "data": {"d": 1}, "user_id": "b"}],
        attributes=[{"user_id": "c"}],
    )
    assert decode("POST", "/api/v3/data/", {}, body).user_ids == {"a", "b", "c"}


def test_responses_decode_as_the_sdk_reads_them():
    config = {"time": 5, "events_blacklist": [], "attributes_blacklist": [], "purchases_blacklist": [], "content_cards": {}}
    ok = decode_response(Endpoint.DATA, 200, json.dumps({"config": config, "triggers": []}))
    assert ok.body.config.time == 5 and ok.body.triggers == [] and ok.problems == []
    # what BrazeKit (Swift 18) cannot decode: a config without the three lists (docs/mobile-wire.md, server-config)
    partial = decode_response(Endpoint.DATA, 200, b'{"config": {"time": 5, "events_blacklist": []}}')
    assert {p.where for p in partial.problems} == {"response.config.attributes_blacklist", "response.config.purchases_blacklist"}
    assert decode_response(Endpoint.DATA, 200, b"").problems[0].message.startswith("empty body")
    assert "malformed JSON" in decode_response(Endpoint.DATA, 200, b"<html>").problems[0].message
    assert decode_response(Endpoint.DATA, 500, b"oops").body is None  # the SDK does not read non-2xx bodies
    cards = decode_response(
        Endpoint.CONTENT_CARDS, 200, json.dumps({"cards": [{"id": "c1", "tp": "short_news", "p": True}], "full_sync": True})
    )
    assert cards.body.cards[0].p is True
