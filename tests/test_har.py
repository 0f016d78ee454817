"""HAR import: a HAR recorded from the real Web SDK (Playwright `record_har_path`, through the proxy to
https://sdk.iad-01.braze.com) decoded into a journal, where the same expectations run after the fact;
the committed recording in the shapes device farms write; `braze-harness import-har`; `braze_har`.

Regenerate the committed sample with `.venv/bin/python -m tests.test_har` (it records a fresh one).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from braze_harness.devices.web.demo.adapter import WebDemoAdapter, demo_site
from braze_harness.devices.web.sdk_bundle import ensure_bundle
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.errors import HarnessConfigError
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.har import import_har, load_har, summary_counts
from braze_harness.proxy.runner import InProcessProxy
from playwright.sync_api import sync_playwright

from tests.support.paths import DATA

SAMPLE = DATA / "web_sdk_6.13.0.har"
BRAZE = "https://sdk.iad-01.braze.com"
BIN = Path(sys.executable).parent / "braze-harness"


def drive(app: WebDemoAdapter, user: str) -> None:
    """What the recorded user does: a session, a login, a profile, an attribute, an event, a purchase."""
    app.launch()
    app.login(user)
    app.set_profile(first_name="Ada", email="ada@example.com")
    app.set_custom_attribute("plan", "pro", kind="string")
    app.log_event("song_played", {"genre": "jazz"})
    app.purchase("sku-42", 9.99, "EUR", 2)
    app.flush()


def same_expectations(expect: Expect, user: str, timeout: float) -> None:
    """The assertions run on the live traffic and again on the HAR."""
    expect.session_start(user=user).within(timeout)
    expect.custom_event("song_played", props={"genre": "jazz"}, user=user).exactly(1).within(timeout)
    expect.purchase("sku-42", price=9.99, currency="EUR", quantity=2, user=user).within(timeout)
    expect.attributes(user=user, first_name="Ada", email="ada@example.com", custom={"plan": "pro"}).within(timeout)
    expect.profile(user).has(first_name="Ada", custom={"plan": "pro"}, custom_events={"song_played": 1}).within(timeout)


def record(har_path: Path, user: str) -> Emulator:
    """Drive the demo app with the real SDK through the proxy (emulate) while Playwright records a HAR."""
    with (
        EmulatorServer() as server,
        InProcessProxy(emulator_url=server.url) as proxy,
        demo_site(ensure_bundle("6.13.0")) as site,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=find_chromium(),
            args=[*CHROMIUM_ARGS, *proxy.chromium_args()],
            proxy={"server": proxy.url, "bypass": "127.0.0.1,localhost"},
        )
        try:
            context = browser.new_context(record_har_path=str(har_path), record_har_content="embed")
            page = context.new_page()
            in_flight: set[Any] = set()
            page.on("request", lambda r: in_flight.add(r))
            page.on("requestfinished", lambda r: in_flight.discard(r))
            page.on("requestfailed", lambda r: in_flight.discard(r))
            app = WebDemoAdapter(page, site.url, api_key="demo-har-key", base_url=BRAZE, device_id="dev-har")
            drive(app, user)
            # everything the HAR should hold has reached the emulator before the HAR is closed
            same_expectations(Expect(JournalSource(server.emulator.journal, state=server.emulator.state)), user, 10)
            # ... and its answer has reached the page: the emulator journals an exchange as it answers, and a HAR
            # closed while that answer is still on its way back through the proxy keeps the request without it
            deadline = time.monotonic() + 10
            while in_flight and time.monotonic() < deadline:
                page.wait_for_timeout(50)  # lets Playwright deliver the requests' finished events
            assert not in_flight, f"requests still unanswered after 10 s: {[r.url for r in in_flight]}"
            context.close()
        finally:
            browser.close()
        return server.emulator


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Emulator]:
    path = tmp_path_factory.mktemp("har") / "live.har"
    return path, record(path, "ada-live")


@pytest.mark.integration
def test_a_har_recorded_from_the_real_sdk_runs_the_same_expectations(recorded: tuple[Path, Emulator]) -> None:
    path, live = recorded
    emulator = Emulator()
    entries = import_har(path, emulator)
    same_expectations(Expect(JournalSource(emulator.journal, state=emulator.state)), "ada-live", 0)
    assert all(e.source == "har" and e.good and e.exchange.url.startswith(BRAZE + "/api/v3/") for e in entries)
    # every SDK request the emulator answered is in the HAR with its answer. The HAR orders by start time, the
    # journal by arrival: two requests the SDK sends at once (data/ and content_cards/sync) may swap under load
    answered = live.journal.query()

    def key(e: Any) -> tuple[str, str]:
        return e.exchange.url, json.dumps(e.exchange.response, sort_keys=True)

    assert sorted(map(key, entries)) == sorted(map(key, answered))
    assert entries[0].exchange.url == answered[0].exchange.url  # the session start first
    assert len(load_har(path)) > len(entries)  # the page, its script and styles are not Braze traffic


def test_the_committed_sample_decodes_into_a_journal() -> None:
    emulator = Emulator()
    entries = import_har(SAMPLE, emulator, scope="farm")
    assert summary_counts(entries) == {"requests": len(entries), "events": 5, "bad": 0, "drift": 0}
    assert {e.scope for e in entries} == {"farm"} and {e.endpoint for e in entries} >= {"data", "content_cards/sync"}
    assert emulator.profiles(external_id="ada-sample")  # accepted requests went on through the pipeline to the state
    expect = Expect(JournalSource(emulator.journal, scope="farm"))
    expect.custom_event("song_played", props={"genre": "jazz"}, user="ada-sample").within(0)
    with pytest.raises(RuntimeError, match="no emulator state"):
        expect.profile("ada-sample").has(first_name="Ada").within(0)  # a source without the state has no profiles
    with pytest.raises(ExpectationFailed, match="song_skipped"):
        expect.custom_event("song_skipped").within(0)


def test_braze_har_fixture_runs_expectations_on_a_capture(braze_har: Any) -> None:
    expect = braze_har(SAMPLE)
    same_expectations(expect, "ada-sample", 0)


# -- the shapes other tools write ------------------------------------------------------------------


def farm_shaped(har: dict[str, Any]) -> dict[str, Any]:
    """The sample rewritten the ways BrowserStack / Sauce Labs / DevTools exports differ from Playwright's."""
    out = copy.deepcopy(har)
    out["log"]["creator"] = {"name": "BrowserStack", "version": "1.0", "_comment": "networkLogs"}
    braze = [e for e in out["log"]["entries"] if "/api/v3/" in e["request"]["url"]]
    for i, entry in enumerate(braze):
        req, resp = entry["request"], entry["response"]
        entry["_resourceType"], entry["_fromCache"] = "xhr", None
        req["headers"] = [{"name": ":authority", "value": "sdk.iad-01.braze.com"}, *req["headers"]]
        text = req["postData"]["text"]
        if i % 3 == 0:  # base64 request body
            req["postData"] = {
                "mimeType": "application/json",
                "text": base64.b64encode(text.encode()).decode(),
                "encoding": "base64",
            }
        elif i % 3 == 1:  # JSON filed as a form parameter, no text
            req["postData"] = {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": text, "value": ""}]}
        content = resp["content"]
        if content.get("text"):  # gzip + base64 answer, as captured on the wire
            content["text"] = base64.b64encode(gzip.compress(content["text"].encode())).decode()
            content["encoding"] = "base64"
            resp["headers"].append({"name": "Content-Encoding", "value": "gzip"})
    return out


def test_farm_shaped_hars_decode_like_the_original() -> None:
    original = json.loads(SAMPLE.read_bytes())
    reference = [(e.exchange.url, e.request.body, e.exchange.response) for e in import_har(original, Emulator())]
    shaped = import_har(farm_shaped(original), Emulator())
    assert [(e.exchange.url, e.request.body, e.exchange.response) for e in shaped] == reference
    assert all(e.good for e in shaped)


def test_missing_bodies_and_unanswered_requests_are_kept_as_bad_entries() -> None:
    har = json.loads(SAMPLE.read_bytes())
    braze = [e for e in har["log"]["entries"] if "/api/v3/" in e["request"]["url"]]
    del braze[0]["request"]["postData"]  # captured without content
    braze[1]["response"]["status"] = 0  # Chromium's "no answer"
    braze[1]["response"]["content"] = {"size": 0, "mimeType": "x-unknown"}
    emulator = Emulator()
    entries = import_har(har, emulator)
    assert len(entries) == len(braze)
    assert not entries[0].good and any(p.where == "har" and "no request body" in p.message for p in entries[0].problems)
    assert entries[1].exchange.status is None and entries[1].good  # decoded, journaled, but not applied


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not json", "is not JSON"), (b'{"log": {}}', "no log.entries"), (b"[]", "no log.entries")],
)
def test_a_file_that_is_not_a_har_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.har"
    path.write_bytes(content)
    with pytest.raises(HarnessConfigError, match=message):
        load_har(path)
    with pytest.raises(HarnessConfigError, match="no HAR file"):
        load_har(tmp_path / "missing.har")


# -- the CLI ----------------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60)


def test_cli_import_har_summarises_exports_and_posts(tmp_path: Path) -> None:
    out = tmp_path / "entries.jsonl"
    with EmulatorServer() as server:
        done = cli("import-har", str(SAMPLE), "--jsonl", str(out), "--into", server.url)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert any("POST /api/v3/data/ 200" in line and "ce 'song_played'" in line for line in lines)
        n = len(lines) - 1
        assert lines[-1].startswith(f"{n} Braze request(s) of ") and "5 event(s), 0 bad, 0 with protocol drift" in lines[-1]
        assert len(out.read_text().splitlines()) == n and json.loads(out.read_text().splitlines()[0])["source"] == "har"
        posted = server.emulator.journal.query()
        assert len(posted) == n and {e.source for e in posted} == {"har"}
        Expect(JournalSource(server.emulator.journal, state=server.emulator.state)).profile("ada-sample").has(
            first_name="Ada"
        ).within(0)
    bad = cli("import-har", str(tmp_path / "nope.har"))
    assert bad.returncode == 2 and bad.stderr.strip() == f"braze-harness: error: no HAR file at {tmp_path / 'nope.har'}"


# -- regenerating the committed sample ----------------------------------------------------------------


def write_sample(path: Path = SAMPLE) -> None:
    """Record a fresh HAR and keep its Braze entries plus the page (without its body), for tests/data."""
    raw = path.with_suffix(".raw.har")
    record(raw, "ada-sample")
    har = json.loads(raw.read_bytes())
    raw.unlink()
    kept = []
    for entry in har["log"]["entries"]:
        url = entry["request"]["url"]
        if "/api/v3/" in url:
            kept.append(entry)
        elif "/index.html" in url:
            entry["response"]["content"] = {"size": entry["response"]["content"].get("size", 0), "mimeType": "text/html"}
            kept.append(entry)
    har["log"]["entries"] = kept
    path.write_text(json.dumps(har, indent=1) + "\n")


if __name__ == "__main__":
    write_sample()
    print(f"wrote {SAMPLE}")
