"""The data plan in use: loaded with one-line errors, checked by the emulator on every exchange (reported,
never refused), drafted from a journal and published as a JSON Schema by the CLI, and failing a test in
strict mode through the plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
import yaml
from braze_harness.dataplan import DataPlan, load_plan
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError

from tests.support.builders import ce, data_body

pytest_plugins = ["pytester"]

PLAN = """
version: 1
events:
  cart_add:
    properties:
      price: {type: number, required: true}
attributes:
  plan: {type: string}
identity:
  external_id: {not_email: true}
"""


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("events: [", "not valid YAML/JSON at line 1"),
        ("- a\n- b\n", "expected a mapping at the top, got list"),
        ("events:\n  x:\n    properties:\n      p: {type: numbr}\n", "events.x.properties.p.type: Input should be"),
        ("evnets: {}\n", "evnets: Extra inputs are not permitted"),
        ("naming: {event: '[a-'}\n", "naming.event: Value error, not a regular expression"),
    ],
)
def test_a_mistake_in_the_plan_is_one_line_naming_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    with pytest.raises(HarnessConfigError) as caught:
        load_plan(path)
    assert message in str(caught.value) and "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_emulator_reports_plan_problems_on_the_entry_and_still_applies_the_request(plan_file: Path) -> None:
    with EmulatorServer(EmulatorSettings(port=0, data_plan=plan_file)) as server:
        body = data_body(api_key="plan-key", events=[ce("cart_add", {"price": "9.99"}, user="ada@example.com")])
        answer = httpx.post(f"{server.url}/api/v3/data/", content=body, headers={"x-braze-api-key": "plan-key"}, trust_env=False)
        assert answer.status_code == 200
        entry = httpx.get(f"{server.url}/_emulator/requests", trust_env=False).json()["entries"][-1]
        plan_problems = [p for p in entry["problems"] if p["severity"] == "plan"]
        assert entry["good"] is True  # Braze accepts it: the plan is the team's, not the protocol's
        assert [p["where"] for p in plan_problems] == ["user_id", "events[0].data.p.price"]
        profiles = httpx.get(f"{server.url}/_emulator/profiles", params={"external_id": "ada@example.com"}, trust_env=False)
        assert profiles.json()["profiles"][0]["custom_events"]["cart_add"] == 1


def test_an_unreadable_plan_stops_the_emulator_with_one_line(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "braze_harness.cli", "emulator", "--port", "0", "--data-plan", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0 and "missing.yaml: cannot read it" in run.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "braze_harness.cli", *args], capture_output=True, text=True, timeout=60)


def test_the_cli_checks_a_plan_and_prints_its_json_schema(plan_file: Path) -> None:
    assert _cli("plan", "check", str(plan_file)).stdout.strip() == f"{plan_file}: ok (1 events, 1 attributes planned)"
    schema = json.loads(_cli("plan", "schema").stdout)
    assert schema["title"] == "Braze data plan" and "events" in schema["properties"]


def test_plan_init_drafts_a_plan_from_a_journal_that_the_traffic_then_follows(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    events = [
        ce("cart_add", {"price": 9.99, "sku": "a"}, user="u-1"),
        ce("cart_add", {"price": 5, "gift": True}, user="u-1"),
        ce("song_played", {"at": "2024-01-02T03:04:05"}, user="u-1"),
    ]
    body = data_body(api_key="draft-key", events=events, attributes=[{"user_id": "u-1", "custom": {"tier": "vip"}}])
    with EmulatorServer(EmulatorSettings(port=0, journal_db=db)) as server:
        httpx.post(f"{server.url}/api/v3/data/", content=body, headers={"x-braze-api-key": "draft-key"}, trust_env=False)
    out = tmp_path / "plan.yaml"
    run = _cli("plan", "init", str(out), "--from-journal", str(db))
    assert run.returncode == 0, run.stderr
    drafted = yaml.safe_load(out.read_text())
    assert drafted["events"]["cart_add"]["properties"] == {
        "gift": {"type": "boolean"},
        "price": {"type": "number", "required": True},
        "sku": {"type": "string"},
    }
    assert drafted["events"]["song_played"]["properties"]["at"] == {"type": "time", "required": True}
    assert drafted["attributes"] == {"tier": {"type": "string"}}
    assert _cli("plan", "init", str(out), "--from-journal", str(db)).returncode == 2  # no silent overwrite
    from braze_harness.dataplan import PlanChecker
    from braze_harness.protocol import decode

    decoded = decode("POST", "http://x/api/v3/data/", {"x-braze-api-key": "draft-key"}, body.encode())
    assert PlanChecker(DataPlan.model_validate(drafted)).check(decoded) == []


def test_strict_mode_fails_the_test_that_breaks_the_plan(pytester: pytest.Pytester, plan_file: Path) -> None:
    pytester.makepyfile(
        test_shop=textwrap.dedent(
            """
            import httpx

            def send(braze, *events):
                body = {"api_key": braze.api_key, "device_id": "d-1", "time": 1795379958, "events": list(events)}
                headers = {"X-Braze-Api-Key": braze.api_key}
                url = braze.emulator_url + "/api/v3/data/"
                assert httpx.post(url, json=body, headers=headers, trust_env=False).status_code == 200

            def ce(name, **props):
                return {"name": "ce", "time": 1795379958.5, "data": {"n": name, "p": props}, "session_id": "s"}

            def test_follows(braze):
                send(braze, ce("cart_add", price=3))

            def test_breaks(braze):
                send(braze, ce("cart_add", price="3"))
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--braze-data-plan", str(plan_file), "--braze-data-plan-strict", timeout=120
    )
    result.assert_outcomes(passed=2, errors=1)  # reported at teardown, when the whole test's traffic is in
    result.stdout.fnmatch_lines(["*this test's traffic breaks the data plan (1 problem(s))*", "*planned number, got string '3'*"])
    result.stdout.fnmatch_lines(["*Braze data points*", "2 data points in 2 test(s), 0 wasted on attributes re-sent unchanged"])
    result.stdout.fnmatch_lines(
        ["*Braze data plan*", "1 test(s) sent traffic that breaks the data plan", "*test_shop.py::test_breaks"]
    )


def test_without_strict_mode_the_run_summary_lists_each_test_that_broke_the_plan(
    pytester: pytest.Pytester, plan_file: Path
) -> None:
    pytester.makepyfile(
        test_shop=textwrap.dedent(
            """
            import httpx

            def test_breaks(braze):
                body = {"api_key": braze.api_key, "device_id": "d-1", "time": 1795379958,
                        "events": [{"name": "ce", "time": 1795379958.5, "data": {"n": "cart_ad", "p": {}}, "session_id": "s"}]}
                url = braze.emulator_url + "/api/v3/data/"
                assert httpx.post(url, json=body, headers={"X-Braze-Api-Key": braze.api_key}, trust_env=False).status_code == 200
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--braze-data-plan", str(plan_file), timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*Braze data plan*", "*test_shop.py::test_breaks", "*unplanned custom event 'cart_ad'; planned names nearby: cart_add"]
    )


def test_the_documented_plan_file_is_a_valid_plan(tmp_path: Path) -> None:
    from tests.support.paths import REPO

    page = (REPO / "docs" / "data-plan.md").read_text()
    block = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "plan.yaml"
    path.write_text(block)
    plan = load_plan(path)
    assert set(plan.events) == {"cart_add", "song_played"} and plan.environments.production_api_keys == ["prod-key"]
