"""`--braze-report report.html` under pytest-xdist (`-n 2`): every test of the inner run is in the one HTML file, with
its outcome, its expectations' verdicts and a timeline picture; the run's protocol report is in it; it is
self-contained (parsed here with html.parser, then opened offline in Debian's Chromium, where it renders and asks
for nothing over the network)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from playwright.sync_api import sync_playwright

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]

INNER = """
import httpx
import pytest


def test_virtual_device_events(braze, braze_app):
    user = braze.uid("listener")
    braze_app.launch()
    braze_app.login(user)
    braze_app.log_event("song_played", {"genre": "jazz"})
    braze_app.flush()
    braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within()
    braze.expect.profile(user).has(custom_events={"song_played": 1}).within()


def test_virtual_device_purchase(braze, braze_app):
    user = braze.uid("buyer")
    braze_app.launch()
    braze_app.login(user)
    braze_app.purchase("sku-42", 9.99, "EUR", 2)
    braze_app.flush()
    braze.expect.purchase("sku-42", quantity=2, user=user).within()


def test_a_bad_request_and_a_missed_expectation(braze):
    device = braze.new_device_id()
    body = {"api_key": braze.api_key, "device_id": device, "time": 1795379958, "events": [{"name": "ce", "time": "soon"}]}
    httpx.post(braze.emulator_url + "/api/v3/data/", json=body, trust_env=False)
    braze.expect.custom_event("never_sent").within(0.3)


@pytest.mark.skip(reason="not today")
def test_skipped(braze):
    pass


def test_without_braze():
    assert 1 + 1 == 2
"""

IDS = {
    "test_inner.py::test_virtual_device_events": "passed",
    "test_inner.py::test_virtual_device_purchase": "passed",
    "test_inner.py::test_a_bad_request_and_a_missed_expectation": "failed",
    "test_inner.py::test_skipped": "skipped",
    "test_inner.py::test_without_braze": "passed",
}


class Report(HTMLParser):
    """Each test's <details>: its outcome, its timeline's shapes, its verdict rows; the protocol report's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tests: dict[str, dict] = {}
        self.current: dict | None = None
        self.external: list[str] = []  # any src/href that would load something
        self.in_protocol = False
        self.protocol_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(f"{tag} {key}={a[key]}")
        if tag == "link" or (tag == "script" and "src" in a):
            self.external.append(tag)
        if tag == "details" and "test" in (a.get("class") or ""):
            self.current = self.tests[a["data-nodeid"]] = {"outcome": a["data-outcome"], "svg": 0, "shapes": [], "rows": []}
        elif self.current is not None and tag == "svg":
            self.current["svg"] += 1
        elif self.current is not None and tag in ("rect", "circle", "g"):
            self.current["shapes"].append((tag, a.get("class")))
        elif self.current is not None and tag == "tr" and (a.get("class") or "").startswith("v-"):
            self.current["rows"].append(a["class"])
        elif tag == "div" and a.get("id") == "protocol":
            self.in_protocol = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.current = None
        elif tag == "div" and self.in_protocol:
            self.in_protocol = False

    def handle_data(self, data: str) -> None:
        if self.in_protocol:
            self.protocol_text += data


def test_the_report_of_an_xdist_run_lists_every_test_and_renders_offline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    out = pytester.path / "report.html"
    junit = pytester.path / "junit.xml"
    result = run_inner(
        pytester, "-n", "2", "--braze-target", "android-virtual", "--braze-report", str(out), f"--junitxml={junit}", timeout=240
    )
    check_contents(out, result)
    xml = junit.read_text()
    assert "braze_data_points" in xml and "braze_report" not in xml, "the report's data stays out of the JUnit XML"
    check_in_chromium(out)


def check_contents(out: Path, result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    assert f"Braze report: {out}" in result.stdout.str()
    html = out.read_text()
    parsed = Report()
    parsed.feed(html)

    assert {nodeid: t["outcome"] for nodeid, t in parsed.tests.items()} == IDS
    assert parsed.external == [], "self-contained: nothing to load"
    for nodeid in IDS:
        if nodeid.endswith(("without_braze", "skipped")):
            assert parsed.tests[nodeid]["svg"] == 0
            continue
        assert parsed.tests[nodeid]["svg"] == 1, nodeid

    events = parsed.tests["test_inner.py::test_virtual_device_events"]
    assert events["rows"] == ["v-held", "v-held"], "the event and the profile expectation, both held"
    assert ("rect", "req") in events["shapes"] and ("circle", "event") in events["shapes"]
    assert ("g", "verdict v-held") in events["shapes"]

    bad = parsed.tests["test_inner.py::test_a_bad_request_and_a_missed_expectation"]
    assert ("rect", "req bad") in bad["shapes"], "the refused request is drawn red"
    assert bad["rows"] == ["v-failed"] and ("g", "verdict v-failed") in bad["shapes"]
    assert html.count("no Braze traffic: the test ran without the <code>braze</code> fixture") == 2
    assert "skipped: not today" in html
    assert "Expected within 0.3 s: custom event &#x27;never_sent&#x27;" in html

    # the run's protocol report, which the terminal prints too
    assert "SDK request(s) journaled, 1 bad" in parsed.protocol_text and "Braze protocol report" in result.stdout.str()


def check_in_chromium(out: Path) -> None:
    asked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: asked.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(out.as_uri())

            failed = page.locator('details[data-outcome="failed"]')
            assert failed.evaluate("d => d.open"), "a failed test opens by itself"
            passed = page.locator('details[data-nodeid="test_inner.py::test_virtual_device_events"]')
            assert not passed.evaluate("d => d.open")
            passed.locator("summary").click()
            svg = passed.locator("svg.timeline")
            svg.wait_for(state="visible")
            box = svg.bounding_box()
            assert box is not None and box["width"] > 500 and box["height"] > 40
            assert passed.locator("svg rect.req").count() >= 1

            page.get_by_role("button", name="failed and errors").click()
            assert page.locator("details.test:visible").count() == 1
            page.get_by_role("button", name="all", exact=True).click()
            page.get_by_role("button", name="expand all").click()
            assert page.locator("details.test[open]").count() == len(IDS)
        finally:
            browser.close()
    assert asked == [out.as_uri()], f"the report asked for more than itself: {asked}"
    assert errors == []


def test_a_report_into_a_missing_folder_stops_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = run_inner(pytester, "--braze-report", str(pytester.path / "typo" / "report.html"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"ERROR: --braze-report: no folder {pytester.path / 'typo'} for " in result.stderr.str()


def test_a_run_on_a_running_emulator_says_why_its_report_has_no_protocol_table() -> None:
    from braze_harness.plugin.report_html import RunReport, TestRow, render

    note = "not in this report: the run used a running emulator (--braze-emulator-url); its own log shows its drift"
    html = render(RunReport("r", [TestRow("t.py::test_a", "passed", data=None)], protocol=None, protocol_note=note))
    parsed = Report()
    parsed.feed(html)
    assert parsed.tests == {"t.py::test_a": {"outcome": "passed", "svg": 0, "shapes": [], "rows": []}}
    assert "its own log shows its drift" in html


def test_a_collection_writes_no_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    out = pytester.path / "report.html"
    run_inner(pytester, "--collect-only", "--braze-report", str(out)).assert_outcomes()
    assert not out.exists()


def test_a_verdict_with_a_table_shows_it_under_its_expectation() -> None:
    """cdp_mapping's verdict carries each CDP call, what Braze should receive and what it got: the report shows it."""
    from braze_harness.expect.verdicts import Verdict
    from braze_harness.plugin.report_html import RunReport, TestRow, render

    verdict = Verdict("each CDP call reached Braze as its Braze integration maps it", started=1796000000.0, waited=0.4)
    verdict.passed, verdict.finished, verdict.message = False, True, "1 of 2 did not"
    row = ["✗", "logEvent('song_played', {'genre': 'jazz'}) (#1)", "custom event 'song_played'", "nearest: ce 'songPlayed' <b>"]
    verdict.table = {"columns": ["", "CDP call", "Braze should receive", "Braze received"], "rows": [row]}
    data = {"verdicts": [verdict.as_json()], "requests": []}
    html = render(RunReport("r", [TestRow("t.py::test_cdp", "failed", data=data)], protocol=None, protocol_note="-"))
    parsed = Report()
    parsed.feed(html)
    assert parsed.tests["t.py::test_cdp"]["rows"] == ["v-failed"]
    assert '<table class="detail"><thead><tr><th></th><th>CDP call</th>' in html
    assert "<td>logEvent(&#x27;song_played&#x27;, {&#x27;genre&#x27;: &#x27;jazz&#x27;}) (#1)</td>" in html
    assert "nearest: ce &#x27;songPlayed&#x27; &lt;b&gt;" in html  # escaped: a value never becomes markup
