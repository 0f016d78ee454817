"""HAR export: journal entries written as HAR 1.2 and read back by the project's own HAR import give the same decoded
events and the same profiles (the Web SDK recording, through the library, `braze-harness journal export --har` and
`braze.export_har`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError
from braze_harness.har import import_exchanges, import_har, load_har
from braze_harness.har_export import har_document, write_har
from braze_harness.journal import JournalEntry

from tests.support.inner_pytest import forget_outer_run, run_inner
from tests.support.paths import DATA

pytest_plugins = ["pytester"]

SAMPLE = DATA / "web_sdk_6.13.0.har"
BIN = Path(sys.executable).parent / "braze-harness"
COMMAND = [str(BIN)] if BIN.exists() else [shutil.which("braze-harness") or "braze-harness"]


def decoded(entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """What a reader sees of each entry: the decoded request, its events and attributes, the answer, the verdict."""
    return [
        {
            "method": e.request.method,
            "url": e.exchange.url,
            "endpoint": e.endpoint,
            "device_id": e.device_id,
            "events": [ev.model_dump(mode="json", exclude_none=True) for ev in e.events],
            "attributes": [a.model_dump(mode="json", exclude_unset=True) for a in e.request.attributes],
            "status": e.exchange.status,
            "response": e.exchange.response,
            "good": e.good,
            "received_at": round(e.received_at, 3),
        }
        for e in entries
    ]


def profiles(emulator: Emulator) -> list[dict[str, Any]]:
    """The emulator's profiles without the ids it makes up (braze_id)."""
    found = [{k: v for k, v in emulator.state.profile_json(p).items() if k != "braze_id"} for p in emulator.state.profiles()]
    return sorted(found, key=lambda p: str(p.get("external_id")))


def test_a_recording_exported_and_imported_again_is_the_same_traffic_and_profiles(tmp_path: Path) -> None:
    first = Emulator()
    entries = import_har(SAMPLE, first)
    assert len(entries) >= 3 and sum(len(e.events) for e in entries) >= 4, "the recording has traffic to compare"
    out = tmp_path / "again.har"
    assert write_har(entries, out) == len(entries)

    document = json.loads(out.read_text())
    assert document["log"]["version"] == "1.2" and document["log"]["creator"]["name"] == "braze-harness"
    one = document["log"]["entries"][0]
    assert one["startedDateTime"].endswith("Z") and one["request"]["postData"]["text"].startswith("{")
    assert {"name": "content-type", "value": "application/json"} in one["response"]["headers"]
    assert one["_braze"]["seq"] == entries[0].seq and "wait" in one["timings"]

    second = Emulator()
    again = import_har(out, second)
    assert decoded(again) == decoded(entries)
    assert profiles(second) == profiles(first) and profiles(first), "the same profiles, from the exported file"


def test_a_dropped_request_is_exported_with_status_0_and_read_back_as_unanswered() -> None:
    emulator = Emulator()
    [entry] = [e for e in import_har(SAMPLE, emulator) if e.endpoint == "data"][:1]
    entry.exchange.status, entry.exchange.response = None, None
    har = har_document([entry])
    assert har["log"]["entries"][0]["response"]["status"] == 0
    [exchange] = load_har(har)
    assert exchange.status is None and exchange.response is None and exchange.body is not None


def test_a_har_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(HarnessConfigError, match="no folder"):
        write_har([], tmp_path / "nope" / "x.har")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=120)


def test_journal_export_har_of_a_saved_journal_imports_back_to_the_same_events(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    with EmulatorServer(EmulatorSettings(port=0, journal_db=db)) as server:
        live = import_exchanges([ex for ex in load_har(SAMPLE) if ex.is_braze], server.emulator)
        live_events = decoded(live)
    out = tmp_path / "out.har"
    exported = cli("journal", "export", "--har", str(db), str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"exported {len(live)} entries to {out} (HAR 1.2)" in exported.stderr

    again = import_har(out, Emulator())
    assert [e["events"] for e in decoded(again)] == [e["events"] for e in live_events]
    imported = cli("import-har", str(out))
    assert imported.returncode == 0 and f"{len(live)} Braze request(s) of {len(live)} HAR entries" in imported.stdout

    to_stdout = cli("journal", "export", "--har", str(db))
    assert to_stdout.returncode == 2 and to_stdout.stderr.count("\n") == 1 and "--har is for export to a file" in to_stdout.stderr


def test_braze_export_har_of_a_test_round_trips_into_a_fresh_emulator(pytester: pytest.Pytester, monkeypatch) -> None:
    forget_outer_run(monkeypatch)
    pytester.makepyfile(
        test_export="""
import httpx
from braze_harness.emulator.app import Emulator
from braze_harness.expect import Expect, JournalSource
from braze_harness.har import import_har


def test_export(braze, tmp_path):
    device, user = braze.new_device_id(), braze.uid("ada")
    event = {"name": "ce", "time": 1795379958.5, "data": {"n": "song_played", "p": {"genre": "jazz"}}, "user_id": user}
    body = {"api_key": braze.api_key, "device_id": device, "time": 1795379958, "events": [event],
            "attributes": [{"user_id": user, "first_name": "Ada"}]}
    resp = httpx.post(braze.emulator_url + "/api/v3/data/", json=body, trust_env=False)
    assert resp.status_code == 200, resp.text
    braze.expect.custom_event("song_played", user=user).within(5)

    path = braze.export_har(tmp_path / "test.har")
    fresh = Emulator()
    entries = import_har(path, fresh)
    assert [(e.endpoint, e.exchange.status) for e in entries] == [(e.endpoint, e.exchange.status) for e in braze.entries()]
    Expect(JournalSource(fresh.journal, state=fresh.state)).custom_event(
        "song_played", props={"genre": "jazz"}, user=user).exactly(1).within(0)
    [profile] = [fresh.state.profile_json(p) for p in fresh.state.profiles(external_id=user)]
    live = braze.profile(user)
    assert profile["custom_events"] == live["custom_events"] == {"song_played": 1}
    assert profile["attributes"]["first_name"] == live["attributes"]["first_name"] == "Ada"
"""
    )
    run_inner(pytester, "-q").assert_outcomes(passed=1)
