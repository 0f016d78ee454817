"""Real mobile SDK requests from public captures and verbose logs (tests/data/mobile, docs/mobile-wire.md,
real-captures-in-the-tests), replayed through the emulator's one ingest path: each is accepted with no drift, and
the profile gets what the body says (sessions, the user, attributes, the push token, events, the device)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from braze_harness.emulator.app import Answer, Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.expect import ANY, Expect, JournalSource
from braze_harness.journal import JournalEntry, Query
from braze_harness.protocol import is_braze_request
from braze_harness.protocol.events import UnknownEvent

from tests.support.mobile_captures import body_of, capture_files, load_capture, raw_body

FILES = capture_files()
# the SDK versions the public sources show (docs/mobile-wire.md, real-captures-in-the-tests)
VERSIONS = {
    ("ios", "7.5.0"),
    ("ios", "18.2.1"),
    ("android", "13.1.2"),
    ("android", "14.0.1"),
    ("android", "15.0.0"),
    ("android", "21.0.0"),
    ("android", "43.2.0"),
}
FAKE_ID = re.compile(r"^00000000-0000-4000-[aA]000-[0-9a-fA-F]{12}$")  # every id and key the data set replaced


def _cases() -> list[Any]:
    return [
        pytest.param(path, i, id=f"{path.stem}/{request['id']}")
        for path in FILES
        for i, request in enumerate(load_capture(path)["requests"])
    ]


def _replay(capture: dict[str, Any], upto: int) -> tuple[Emulator, Answer, JournalEntry]:
    """A fresh emulator fed the capture's requests in order up to `upto`: the answer and journal entry of the last."""
    emu = Emulator()
    if "declare_app" in capture:  # a log that shows no platform signal: the app is declared, as a test would
        api_key = body_of(capture["requests"][0])["api_key"]
        emu.create_app(emu.create_scope("mobile-capture"), platform=capture["declare_app"], api_key=api_key)
    for request in capture["requests"][: upto + 1]:
        answer = emu.handle(request["method"], request["url"], request["headers"], raw_body(request).encode())
    entry = emu.entries()[-1]
    return emu, answer, entry


def _unmodelled(entry: JournalEntry) -> list[str]:
    """What the journal says is wrong or not modelled in an entry: any problem, any event code it does not know."""
    found = [f"{p.severity} {p.where}: {p.message}" for p in entry.problems]
    return found + [f"unknown event {e.name}" for e in entry.events if isinstance(e, UnknownEvent)]


def _profile(emu: Emulator, expect: dict[str, Any], device_id: str) -> dict[str, Any]:
    if expect["external_id"] is not None:
        [profile] = emu.profiles(external_id=expect["external_id"])
    else:
        [profile] = [p for p in emu.profiles(device_id=device_id) if p["external_id"] is None]
    return profile


def _has(actual: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(actual.get(k) == v for k, v in wanted.items())


# -- the data set -----------------------------------------------------------------------------------


def test_the_data_set_covers_every_public_source() -> None:
    found = set()
    for path in FILES:
        capture = load_capture(path)
        found |= {(capture["provenance"]["sdk"], body_of(r)["sdk_version"]) for r in capture["requests"]}
    assert found == VERSIONS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_says_where_it_comes_from_and_what_was_changed(path: Path) -> None:
    capture = load_capture(path)
    provenance = capture["provenance"]
    assert provenance["source"].startswith("https://github.com/")
    assert provenance["kind"] in ("capture", "verbose-log", "wire-assertions")
    assert provenance["what"] and provenance["changed"]
    assert path.stem.startswith(f"{provenance['sdk']}-{provenance['sdk_version']}-")
    for request in capture["requests"]:
        body = body_of(request)
        assert body["sdk_version"] == provenance["sdk_version"]
        assert request["url"].split("/api/v3/", 1)[1] in ("data", "content_cards/sync")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_no_real_key_device_id_or_advertising_id_is_kept(path: Path) -> None:
    for request in load_capture(path)["requests"]:
        body = body_of(request)
        assert FAKE_ID.match(body["device_id"]), body["device_id"]
        assert FAKE_ID.match(body["api_key"]) or body["api_key"] == "integration-test-key"
        assert request["headers"].get("X-Braze-Api-Key", body["api_key"]) == body["api_key"]
        if "google_ad_id" in body.get("device", {}):
            assert FAKE_ID.match(body["device"]["google_ad_id"])


def test_the_android_logs_keep_java_doubles_as_logged() -> None:
    """The Android SDK's JSONObject writes a double event time as 1.674022309821E9: the files keep that text."""
    raw = [raw_body(r) for p in FILES if p.stem.startswith("android-") for r in load_capture(p)["requests"]]
    assert any(re.search(r'"time": 1\.\d+E9', text) for text in raw)


# -- the replay -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "index"), _cases())
def test_a_real_request_is_accepted_with_no_drift(path: Path, index: int) -> None:
    capture = load_capture(path)
    request = capture["requests"][index]
    body = body_of(request)
    _, answer, entry = _replay(capture, index)

    assert is_braze_request(request["url"], request["headers"])  # what the proxy addon and HAR import take in
    assert answer.status == 200
    assert entry.good and entry.source == "emulator"
    assert _unmodelled(entry) == []
    assert entry.endpoint == request["url"].split("/api/v3/", 1)[1]
    assert (entry.api_key, entry.device_id) == (body["api_key"], body["device_id"])
    assert len(entry.events) == len(body.get("events", []))  # every event decoded, none dropped
    for key in request["expect"].get("answer_keys", []):
        assert key in answer.body


@pytest.mark.parametrize(("path", "index"), _cases())
def test_the_profile_gets_what_the_request_says(path: Path, index: int) -> None:
    capture = load_capture(path)
    request = capture["requests"][index]
    expect = request["expect"]
    body = body_of(request)
    emu, _, _ = _replay(capture, index)  # `expect`: what the profile holds after this request and those before
    profile = _profile(emu, expect, body["device_id"])

    assert profile["external_id"] == expect["external_id"]
    [device] = [d for d in profile["devices"] if d["device_id"] == body["device_id"]]
    assert (device["platform"], device["sdk_version"]) == (expect["platform"], body["sdk_version"])
    assert _has(device["device"], expect.get("device", {}))
    sessions = {s["session_id"]: s for s in profile["sessions"]["list"]}
    for session in expect.get("sessions", []):
        assert _has(sessions[session["session_id"]], session), sessions
    tokens = [t for t in profile["push_tokens"] if t["device_id"] == body["device_id"]]
    assert len(tokens) == len(expect.get("push_tokens", []))
    for token, wanted in zip(tokens, expect.get("push_tokens", []), strict=True):
        assert _has(token, {**wanted, "platform": expect["platform"], "app": body["api_key"]})
    assert _has(profile["attributes"], expect.get("attributes", {}))
    for key in ("custom_events", "purchases", "subscription_groups", "aliases", "engagement"):
        if key in expect:
            assert profile[key] == expect[key], key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_expectations_find_every_event_and_attribute_of_a_capture(path: Path) -> None:
    """What a QA test asks of real mobile traffic: each event (its data, session, device, user) and attributes object."""
    capture = load_capture(path)
    emu, _, _ = _replay(capture, len(capture["requests"]) - 1)
    expect = Expect(JournalSource(emu.journal, state=emu.state), default_timeout=0)

    for request in capture["requests"]:
        body = body_of(request)
        for event in body.get("events", []):
            where = {"session": event["session_id"], "device": body["device_id"], "user": event.get("user_id")}
            expect.event(event["name"], data=event.get("data") or None, **where).exactly(1).within()
        for attributes in body.get("attributes", []):
            fields = {k: v for k, v in attributes.items() if k != "user_id"}
            expect.attributes(user=attributes.get("user_id", ANY), **fields).within()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_over_http_every_request_is_answered_and_journaled_clean(server: EmulatorServer, path: Path) -> None:
    """The same requests through the emulator's HTTP app, with the headers the sources show (`br`, URLSession's casing)."""
    capture = load_capture(path)
    after = server.emulator.journal.last_seq(None)
    with httpx.Client(base_url=server.url) as http:
        for request in capture["requests"]:
            answer = http.post(urlsplit(request["url"]).path, content=raw_body(request).encode(), headers=request["headers"])
            assert answer.status_code == 200 and isinstance(answer.json(), dict)
    entries = server.emulator.journal.query(Query(after_seq=after))
    assert len(entries) == len(capture["requests"])
    assert [_unmodelled(e) for e in entries] == [[] for _ in entries]


# -- the checks can fail ----------------------------------------------------------------------------


def test_drift_in_a_capture_would_be_found() -> None:
    capture = load_capture("android-13.1.2-happn")
    request = capture["requests"][0]
    body = body_of(request)
    body["zz_envelope"] = 1
    body["device"]["zz_device"] = "x"
    body["events"].append({**body["events"][1], "name": "zz_code"})
    request["body"] = [json.dumps(body)]
    _, answer, entry = _replay(capture, 0)

    assert answer.status == 200 and entry.good  # drift is accepted, and named
    found = _unmodelled(entry)
    assert len(found) == 4, found
    assert any("zz_envelope" in f for f in found) and any("zz_device" in f for f in found)
    assert "unknown event zz_code" in found


def test_a_profile_that_missed_the_token_would_be_found() -> None:
    capture = load_capture("android-15.0.0-her")
    request = capture["requests"][0]
    body = body_of(request)
    body["attributes"] = [{"push_token": None}]
    request["body"] = [json.dumps(body)]
    emu, _, _ = _replay(capture, 0)

    profile = _profile(emu, request["expect"], body["device_id"])
    assert profile["push_tokens"] == []  # the check above compares the count: it would fail
