"""With `--alluredir`, every expectation of a Braze test is an Allure step — what was expected, how long it waited, its
verdict, the matching journal entries decoded — passed or failed with the failure's near misses, in time order among
the test's own steps; every Braze test gets its timeline picture attached, and `--braze-timeline` writes it beside
pytest-playwright's artifacts. Read here from the allure-results JSON an inner pytest run writes (virtual device:
the real emulator, no browser)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]

INNER = """
import allure


def test_passes(braze, braze_app):
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    with allure.step("play a song"):
        braze_app.log_event("song_played", {"genre": "jazz"})
        braze_app.flush()
    braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within()
    braze.expect.profile(user).has(custom_events={"song_played": 1}).within()
    braze.expect.custom_event("song_skipped").never(within=0.2)


def test_fails(braze, braze_app):
    braze_app.launch()
    braze_app.log_event("song_played", {"genre": "rock"})
    braze_app.flush()
    braze.expect.custom_event("song_played", props={"genre": "jazz"}).within(0.5)


def test_without_braze():
    assert True
"""

SVG = "{http://www.w3.org/2000/svg}"


def results(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in (json.loads(p.read_text()) for p in folder.glob("*-result.json"))}


def attachment(folder: Path, item: dict[str, Any], name: str) -> tuple[str, str]:
    """(type, text) of the item's one attachment called `name`."""
    [found] = [a for a in item.get("attachments", []) if a["name"] == name]
    return found["type"], (folder / found["source"]).read_text(encoding="utf-8")


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode())  # well-formed, or this raises
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.integration
def test_every_expectation_is_a_step_with_its_evidence_and_every_test_its_timeline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = run_inner(pytester, "--alluredir", "allure", "--braze-target", "android-virtual", "--braze-timeline", "on")
    result.assert_outcomes(passed=2, failed=1)
    folder = pytester.path / "allure"
    found = results(folder)

    passed = found["test_passes"]
    assert passed["status"] == "passed"
    names = [s["name"] for s in passed["steps"]]
    user = names[1].split("from user ")[1].strip("'")
    assert names == [
        "play a song",  # the test's own step, in time order among the expectations'
        f"custom event 'song_played' with props ⊇ {{'genre': 'jazz'}} from user '{user}'",
        f"profile with external_id '{user}' has custom_events={{'song_played': 1}}",
        "never: custom event 'song_skipped'",
    ]
    event, profile, never = passed["steps"][1:]
    assert all(s["status"] == "passed" for s in passed["steps"])
    params = {p["name"]: p["value"] for p in event["parameters"]}
    assert params["verdict"] == "held" and params["waited"].endswith(" s") and params["matched"].startswith("#")
    kind, text = attachment(folder, event, "matching entries (decoded)")
    assert kind == "text/plain"
    assert text.startswith(params["matched"] + " ") and "POST /api/v3/data" in text
    assert f'ce \'song_played\' {{"genre":"jazz"}} (user={user})' in text
    assert {p["name"]: p["value"] for p in profile["parameters"]}["matched"] == "no journal entry"
    assert "attachments" not in profile or profile["attachments"] == []
    assert float({p["name"]: p["value"] for p in never["parameters"]}["waited"].removesuffix(" s")) >= 0.2
    for step in passed["steps"][1:]:  # the wait's own times, within the test's
        assert passed["start"] - 50 <= step["start"] <= step["stop"] <= passed["stop"] + 50, step

    failed = found["test_fails"]
    [step] = failed["steps"]
    assert (step["name"], step["status"]) == ("custom event 'song_played' with props ⊇ {'genre': 'jazz'}", "failed")
    message = step["statusDetails"]["message"]
    assert message.startswith("Expected within 0.5 s: custom event 'song_played' with props ⊇ {'genre': 'jazz'}.")
    assert "Nearest misses:" in message and "props.genre: 'rock' != 'jazz'" in message
    assert {p["name"]: p["value"] for p in step["parameters"]}["verdict"] == "failed"

    for name, marks in (("test_passes", ["✓", "✓", "✓"]), ("test_fails", ["✗"])):
        kind, svg = attachment(folder, found[name], "Braze timeline")
        assert kind == "image/svg+xml"
        lines = svg_texts(svg)
        requests = [t for t in lines if t.startswith("#") and " POST /api/v3/" in t]
        assert requests and any("ce 'song_played'" in t for t in requests), lines
        assert [t[0] for t in lines if t[:1] in "✓✗"] == marks
        written = pytester.path / "test-results" / f"test-inner-py-{name.replace('_', '-')}" / "braze-timeline.svg"
        assert written.read_text(encoding="utf-8") == svg, "the file beside pytest-playwright's artifacts is the same"
    assert "user anonymous → " + user in " ".join(svg_texts(attachment(folder, passed, "Braze timeline")[1]))
    assert not found["test_without_braze"].get("attachments"), "no Braze scope, no timeline"


def test_by_default_only_a_failed_tests_timeline_is_written_and_a_bad_mode_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_two="""
def test_ok(braze):
    braze.expect.custom_event("nothing").never(within=0.05)

def test_not_ok(braze):
    braze.expect.custom_event("nothing").within(0.05)
"""
    )
    run_inner(pytester).assert_outcomes(passed=1, failed=1)
    output = pytester.path / "test-results"
    assert (output / "test-two-py-test-not-ok" / "braze-timeline.svg").is_file()
    assert not (output / "test-two-py-test-ok").exists()

    result = run_inner(pytester, "--braze-timeline", "always")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --braze-timeline: 'always' is not one of on, only-on-failure, off" in result.stderr.str()
