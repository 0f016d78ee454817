"""Every recorded real Web SDK version (tests/data/recordings, `braze-harness record-sdk`) decodes with no drift
and builds the flow's user in the emulator. Replays files only: no browser, no npm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.protocol import Endpoint, decode
from braze_harness.protocol.events import UnknownEvent
from braze_harness.protocol.web_sdk_versions import has_feature, parse_version

from tests.support.recordings import load, recording_files, request_of

RECORDINGS = sorted(recording_files(), key=lambda p: parse_version(p.stem.removeprefix("web-")))
# one file per line the suites care about (docs/web-sdk-versions.md, "Recordings"): 6.0.x was never published
MAJOR_LINES = ("4.0.", "4.10.", "5.0.", "5.9.", "6.2.", "6.5.", "6.13.0")


def test_a_recording_for_every_major_line() -> None:
    versions = [load(p)["version"] for p in RECORDINGS]
    assert all(any(v.startswith(line) for v in versions) for line in MAJOR_LINES), versions


def _decode_problems(rec: dict[str, Any]) -> list[str]:
    """What the one decoder finds wrong or unmodelled in a recording: errors, drift, unknown codes, a wrong file."""
    found = []
    for ex in rec["exchanges"]:
        decoded = decode(*request_of(ex))
        at = f"{rec['version']} {ex['path']}"
        found += [f"{at} {p.severity} {p}" for p in decoded.problems if p.severity in ("error", "drift")]
        found += [f"{at} unknown event {e.name}" for e in decoded.events if isinstance(e, UnknownEvent)]
        if decoded.endpoint in (None, Endpoint.OTHER) or decoded.api_key != rec["api_key"] or not decoded.device_id:
            found.append(f"{at} not a Braze SDK request of the recording's app")
        body = ex["body"]
        if isinstance(body, dict) and body.get("sdk_version", rec["version"]) != rec["version"]:
            found.append(f"{at} sent by {body['sdk_version']}")  # the file holds the version it is named after
    return found


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_every_exchange_decodes_without_drift(path: Path) -> None:
    rec = load(path)
    assert rec["sdk"] == "web" and rec["recorded_with"] and rec["exchanges"]
    assert _decode_problems(rec) == []


def test_drift_in_a_recording_would_be_found() -> None:
    rec = load(RECORDINGS[-1])
    data = next(ex for ex in rec["exchanges"] if ex["path"].endswith("/data/") and ex["body"].get("events"))
    data["body"]["zz_envelope"] = 1
    data["body"]["device"] = {**data["body"].get("device", {}), "zz_device": "x"}
    data["body"]["events"].append({**data["body"]["events"][0], "name": "zz_code"})
    found = _decode_problems(rec)
    assert len(found) == 4, found
    assert any("zz_envelope: unknown field" in f for f in found) and any("zz_device" in f for f in found)
    assert any("unknown event code 'zz_code'" in f for f in found) and any("unknown event zz_code" in f for f in found)


def _replayed(rec: dict[str, Any]) -> Emulator:
    emulator = Emulator()
    for ex in rec["exchanges"]:
        answer = emulator.handle(*request_of(ex))
        assert answer.status == ex["response"]["status"] == 200, (rec["version"], ex["path"], answer.body)
    return emulator


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_the_recording_builds_the_flows_user(path: Path) -> None:
    rec = load(path)
    emulator = _replayed(rec)
    try:
        entries = emulator.entries()
        assert len(entries) == len(rec["exchanges"])
        assert [str(p) for e in entries for p in e.problems if p.severity in ("error", "drift")] == []
        [user] = emulator.profiles(external_id=rec["user"])
        attrs = user["attributes"]
        assert (attrs["first_name"], attrs["email"]) == ("Ada", "ada@example.com")
        custom = {"tier": "gold", "visits": 5, "tags": ["b", "c"], "home": {"latitude": 51.5, "longitude": -0.12}}
        nested = has_feature(rec["version"], "nested_custom_attributes")
        assert attrs["custom"] == custom | ({"pet": {"name": "Rex", "age": 4}} if nested else {})  # set, then merged
        assert ("nested custom attributes" in rec["failed_steps"]) == (not nested)
        # the anonymous user's event moves to the new user at changeUser: one profile in all
        assert user["custom_events"] == {"drift_anonymous": 1, "drift_event": 1, "drift_next_session": 1}
        assert len(emulator.profiles()) == 1
        assert user["purchases"] == {"drift_pack": 1}
        assert user["sessions"]["count"] == 3  # the anonymous one, the one changeUser starts, the one after the timeout
        assert {d["sdk_version"] for d in user["devices"]} == {rec["version"]}
        banners = any(e.request.endpoint is Endpoint.BANNERS for e in entries)
        assert banners == has_feature(rec["version"], "banners")
        assert ("banners refresh" in rec["failed_steps"]) == (not has_feature(rec["version"], "banners"))
    finally:
        emulator.close()


def _wire(version: str) -> set[str]:
    """What a recording's requests are made of: endpoint + header names, envelope and device keys (values left out)."""
    rec = load(next(p for p in RECORDINGS if p.stem == f"web-{version}"))
    found = set()
    for ex in rec["exchanges"]:
        endpoint = ex["path"].removeprefix("/api/v3").strip("/")
        body = ex["body"] if isinstance(ex["body"], dict) else {}
        found |= {endpoint} | {f"{endpoint} header {h}" for h in ex["headers"]} | {f"{endpoint} {k}" for k in body}
        found |= {f"{endpoint} device.{k}" for k in body.get("device", {})}
        for event in body.get("events", []):
            found |= {f"event {event['name']}"} | {f"event {event['name']} {k}" for k in event}
    return found


def test_the_differences_between_lines_are_those_the_docs_name() -> None:
    # docs/web-sdk-versions.md, "Recordings": keep the table and these in step. Each pair is the last version
    # without a change and the first with it, among the published ones.
    w = {p.stem.removeprefix("web-"): _wire(p.stem.removeprefix("web-")) for p in RECORDINGS}
    paths = {p.stem.removeprefix("web-"): {x["path"].split("/")[1] for x in load(p)["exchanges"]} for p in RECORDINGS}
    assert paths["4.2.1"] == {"data", "content_cards"} and paths["4.3.0"] == paths["6.13.0"] == {"api"}  # baseUrl has no path
    every = ("data", "content_cards/sync", "feature_flags/sync")
    assert w["4.2.1"] - w["4.0.3"] == {"data user_id", "content_cards/sync header braze-sync-retry-count"}
    assert w["4.0.3"] - w["4.2.1"] == set() and w["4.2.1"] == w["4.3.0"]
    assert {"feature_flags/sync", "feature_flags/sync device.resolution"} <= w["4.6.3"] - w["4.3.0"]
    assert {x for x in w["4.6.3"] - w["4.3.0"] if not x.startswith("feature_flags/sync")} == set()
    assert w["4.3.0"] - w["4.6.3"] == set()
    ncam = {f"event ncam{k}" for k in ("", " name", " time", " data", " session_id", " user_id")}
    assert w["4.7.1"] - w["4.6.3"] == ncam and w["4.6.3"] - w["4.7.1"] == set()  # nested custom attributes
    assert w["4.8.3"] - w["4.7.1"] == {f"{e} header x-braze-last-req-ms-ago" for e in every}
    assert w["4.7.1"] - w["4.8.3"] == {f"{e} device.resolution" for e in every}
    assert w["4.9.0"] - w["4.8.3"] == {f"{e} header x-braze-req-attempt" for e in every}
    assert w["4.8.3"] - w["4.9.0"] == set()
    assert w["4.9.0"] == w["4.10.2"] == w["5.0.1"] == w["5.4.0"]
    assert {"banners/sync", "banners/sync placements"} <= w["5.7.0"] - w["5.4.0"] and w["5.4.0"] - w["5.7.0"] == {"data user_id"}
    assert w["5.7.0"] == w["5.9.1"] == w["6.2.0"] == w["6.5.0"]
    assert w["6.7.1"] - w["6.5.0"] == {"banners/sync time_ms", "banners/sync pending_dismissals"}
    assert w["6.5.0"] - w["6.7.1"] == set() and w["6.7.1"] == w["6.13.0"]
