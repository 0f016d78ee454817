"""The pytest plugin end to end, in pytest subprocesses (the plugin starts servers): the `braze`
fixture, the decoded traffic of a failed test, option validation, an unreachable emulator, and
one shared emulator under pytest-xdist. No browser here.
"""

from __future__ import annotations

import json

import pytest

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]

# an SDK-shaped /data/ request sent straight to the emulator, as the web SDK would
HELPERS = """
import httpx

SESSION = "0b1c2d3e-0000-4000-8000-000000000001"

def send(braze, device_id, *events):
    body = {"api_key": braze.api_key, "device_id": device_id, "time": 1795379958, "events": list(events)}
    url = braze.emulator_url + "/api/v3/data/"
    resp = httpx.post(url, json=body, headers={"X-Braze-Api-Key": braze.api_key}, trust_env=False)
    assert resp.status_code == 200, resp.text
    return resp.json()

def ce(name, user=None, **props):
    event = {"name": "ce", "time": 1795379958.5, "data": {"n": name, "p": props}, "session_id": SESSION}
    if user:
        event["user_id"] = user
    return event
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, timeout=120)


def test_braze_fixture_passes_and_a_failure_carries_the_decoded_traffic(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sdk_send=HELPERS)
    pytester.makepyfile(
        test_traffic="""
from sdk_send import ce, send

def test_passes(braze):
    device = braze.new_device_id()
    user = braze.uid("ada")
    answer = send(braze, device, ce("song_played", user=user, genre="jazz"))
    assert answer["config"]["global_request_rate_limit"] == {"enabled": False}
    [match] = braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within(5)
    assert match.entry.device_id == device
    assert braze.profile(user)["custom_events"] == {"song_played": 1}

def test_fails(braze):
    device = braze.new_device_id()
    send(braze, device, ce("song_played", user=braze.uid("bob"), genre="rock"))
    braze.expect.custom_event("song_skipped").within(0.5)
"""
    )
    result = run(pytester)

    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "Braze traffic (decoded, scope test_fails-" in out
    assert 'ce \'song_played\' {"genre":"rock"} (user=bob-' in out
    assert "Nearest misses:" in out
    assert "test_passes-" not in out, "a passing test's traffic is not reported"

    folder = pytester.path / "test-results" / "test-traffic-py-test-fails"
    assert "ce 'song_played'" in (folder / "braze-traffic.txt").read_text()
    [entry] = [json.loads(line) for line in (folder / "braze-traffic.jsonl").read_text().splitlines()]
    assert entry["scope"].startswith("test_fails-")
    assert entry["events"][0]["data"] == {"n": "song_played", "p": {"genre": "rock"}}
    assert not (pytester.path / "test-results" / "test-traffic-py-test-passes").exists()


def test_a_bad_sdk_version_is_a_one_line_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, "--braze-web-sdk-version=latest")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == ["ERROR: --braze-web-sdk-version: 'latest' is not a version like 6.13.0"]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_an_unreachable_emulator_url_stops_the_run_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_needs_emulator="def test_one(braze):\n    pass\n\ndef test_two(braze):\n    pass\n")
    result = run(pytester, "--braze-emulator-url=http://127.0.0.1:1")

    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4  # pytest.exit(returncode=4) from the braze_client fixture
    assert "cannot reach the Braze emulator at http://127.0.0.1:1" in output
    assert "Traceback" not in output
    assert "def test_one" not in output, "no test source dumped for a configuration problem"
    result.assert_outcomes()  # the run stopped before any test ran


def test_xdist_workers_share_one_emulator_and_stay_isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = pytester.mkdir("urls")
    monkeypatch.setenv("BRAZE_TEST_URLS", str(urls))
    pytester.makepyfile(sdk_send=HELPERS)
    pytester.makepyfile(
        test_parallel="""
import os, pathlib, uuid
import pytest
from sdk_send import ce, send

@pytest.mark.parametrize("n", range(4))
def test_isolated(braze, n):
    pathlib.Path(os.environ["BRAZE_TEST_URLS"], f"{n}-{os.getpid()}-{uuid.uuid4().hex}").write_text(braze.emulator_url)
    device = braze.new_device_id()
    user = braze.uid(f"user{n}")
    send(braze, device, ce(f"event{n}", user=user))
    braze.expect.custom_event(f"event{n}", user=user).within(5)
    assert braze.profile(user)["custom_events"] == {f"event{n}": 1}
    assert [p["external_id"] for p in braze.profiles()] == [user]
    assert {e.device_id for e in braze.entries()} == {device}
"""
    )
    result = run(pytester, "-n", "2")

    result.assert_outcomes(passed=4)
    written = list(urls.iterdir())
    assert len(written) == 4
    assert len({path.name.split("-")[1] for path in written}) == 2, "both workers ran tests"
    assert len({path.read_text() for path in written}) == 1, "every worker used the controller's one emulator"


def test_a_failure_attaches_the_decoded_traffic_to_allure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sdk_send=HELPERS)
    pytester.makepyfile(
        test_allure="""
from sdk_send import ce, send

def test_fails(braze):
    send(braze, braze.new_device_id(), ce("checkout_started", user=braze.uid("eve")))
    braze.expect.custom_event("checkout_finished").within(0.3)
"""
    )
    results = pytester.path / "allure-results"
    run(pytester, f"--alluredir={results}").assert_outcomes(failed=1)

    [report] = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    attachments = {a["name"]: results / a["source"] for a in report["attachments"]}
    assert "checkout_started" in attachments["Braze traffic (decoded)"].read_text()
    [entry] = json.loads(attachments["Braze traffic (JSON)"].read_text())
    assert entry["events"][0]["data"]["n"] == "checkout_started"


def test_the_run_ends_with_a_protocol_report_of_drift(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sdk_send=HELPERS)
    pytester.makepyfile(
        test_drift="""
from sdk_send import send

def test_newer_sdk(braze):
    send(braze, braze.new_device_id(), {"name": "xyz", "time": 1795379958.5, "data": {}})
    braze.expect.event("xyz").within(5)
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Braze protocol report*", "*drift*1×*events[]: unknown event code 'xyz'*"])


def test_an_error_inside_the_emulator_fails_the_test_that_caused_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sdk_send=HELPERS)
    pytester.makepyfile(
        test_boom="""
import httpx

from sdk_send import ce

def test_state_raises(braze, monkeypatch):
    from braze_harness.emulator.state.store import EmulatorState

    def boom(self, decoded, *, received_at):
        raise RuntimeError("state exploded")

    monkeypatch.setattr(EmulatorState, "apply", boom)
    body = {"api_key": braze.api_key, "device_id": braze.new_device_id(), "time": 1795379958, "events": [ce("x")]}
    resp = httpx.post(braze.emulator_url + "/api/v3/data/", json=body, headers={"X-Braze-Api-Key": braze.api_key})
    assert resp.status_code == 500

def test_other_tests_are_not_blamed(braze):
    assert braze.profiles() == []
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*the emulator raised 1 error(s) while this test ran:*", "*RuntimeError: state exploded*"])
    assert "test_other_tests_are_not_blamed" not in "".join(line for line in result.outlines if "ERROR at teardown" in line)


def test_traffic_to_another_workspace_warns_at_teardown_and_expectations_do_not_see_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_ws="""
import httpx
import pytest
from braze_harness import ExpectationFailed

def send(braze, key, name):
    event = {"name": "ce", "time": 1795379958.5, "data": {"n": name, "p": {}}, "session_id": "s1", "user_id": "ada"}
    body = {"api_key": key, "device_id": braze.new_device_id(), "time": 1795379958, "events": [event]}
    url = braze.emulator_url + "/api/v3/data/"
    assert httpx.post(url, json=body, headers={"X-Braze-Api-Key": key}, trust_env=False).status_code == 200

def test_wrong_key(braze):
    braze.api_key  # the test workspace's app
    send(braze, braze.app_key("prod"), "bought")  # a build on the production key
    send(braze, braze.app_key("prod"), "bought")
    with pytest.raises(ExpectationFailed, match="2 matching event.s. in workspace 'prod', not looked in"):
        braze.expect.custom_event("bought").within(0.3)

def test_looked_there(braze):
    send(braze, braze.app_key("prod"), "bought")
    braze.expect.custom_event("bought").in_workspace("prod").within(2)
"""
    )
    result = run(pytester, "-W", "error::braze_harness.BrazeWorkspaceWarning", "-rA")
    output = result.stdout.str()
    result.assert_outcomes(passed=2, errors=1)
    assert "BrazeWorkspaceWarning: 2 request(s) of this test went to workspace 'prod', which no expectation looked in" in output
    assert "ERROR at teardown of test_wrong_key" in output


def test_messaging_failures_carry_the_emulators_reasons_through_the_control_api(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_why="""
import httpx
import pytest
from braze_harness import ExpectationFailed

def test_why(braze):
    m = braze.messaging
    m.segment("pros", {"type": "attribute", "name": "plan", "value": "pro"})
    m.in_app("welcome", trigger="open", message={"type": "MODAL", "message": "Hi"}, segment="pros")
    user = braze.uid("ada")
    body = {"api_key": braze.api_key, "device_id": braze.new_device_id(), "time": 1795379958, "user_id": user,
            "respond_with": {"triggers": True, "user_id": user},
            "events": [{"name": "ss", "time": 1795379958.5, "data": {}, "session_id": "s1", "user_id": user}]}
    answer = httpx.post(braze.emulator_url + "/api/v3/data/", json=body, headers={"X-Braze-Api-Key": braze.api_key},
                        trust_env=False).json()
    assert answer["triggers"] == []
    seq = braze.entries()[-1].seq
    expected = (f"in_app 'welcome' was not in the triggers served at request #{seq} to user {user!r}: "
                "not in segment 'pros': plan eq 'pro' (has none)")
    assert m.why("welcome") == {"welcome": expected}
    assert m.decisions("welcome", user=user)[0]["served"] is False
    with pytest.raises(ExpectationFailed) as failed:
        m.wait_metrics("welcome", totals={"si": 1}, within=0.2)
    assert "Why (the emulator's messaging log):\\n  " + expected in str(failed.value)
"""
    )
    run(pytester).assert_outcomes(passed=1)
