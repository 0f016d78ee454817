"""A failed Braze test's artifacts (decoded journal, pytest-playwright's screenshot and trace of the Braze context)
land together in pytest-playwright's `--output` folder of the test, alongside pytest-rerunfailures (one folder per
attempt), pytest-xdist and allure-pytest, whatever the test id looks like. Pytest subprocesses, real Chromium."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from braze_harness.plugin.artifacts import SCOPE_NAME_MAX, artifact_folder, scope_name

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, timeout=240)


WEB_FAILS = """
def test_web_fails(braze, braze_app):
    braze_app.launch()
    braze.expect.custom_event("never_logged").within(0.5)
"""


@pytest.mark.integration
def test_reruns_keep_both_attempts_and_allure_gets_the_traffic(pytester: pytest.Pytester) -> None:
    # the test ids keep their unicode (pytest escapes it by default)
    pytester.makeini("[pytest]\ndisable_test_id_escaping_and_forfeit_all_rights_to_community_support = true\n")
    pytester.makepyfile(
        test_art=WEB_FAILS
        + """
import pytest

@pytest.mark.parametrize("label", ["a/b", "日本語", "x" * 300], ids=lambda label: label)
def test_odd_ids(braze, label):
    assert braze.scope
    assert False, "fails on purpose"
"""
    )
    result = run(
        pytester, "--reruns", "1", "--screenshot", "only-on-failure", "--tracing", "retain-on-failure", "--alluredir", "allure"
    )
    outcomes = result.parseoutcomes()
    assert (outcomes.get("failed"), outcomes.get("rerun")) == (4, 4), outcomes
    output = pytester.path / "test-results"
    scopes = set()
    for attempt in ("test-art-py-test-web-fails", "test-art-py-test-web-fails-retry1"):
        files = {p.name for p in (output / attempt).iterdir()}
        assert {"braze-traffic.txt", "braze-traffic.jsonl", "test-failed-1.png", "trace.zip"} <= files, (attempt, files)
        traffic = (output / attempt / "braze-traffic.txt").read_text()
        assert "POST /api/v3/data/ 200" in traffic
        scopes.add(traffic.split(":")[0])
    assert len(scopes) == 2, "each attempt's own journal (a scope per attempt)"
    folders = {p.name for p in output.iterdir()}
    for slug in ("test-art-py-test-odd-ids-a-b", "test-art-py-test-odd-ids-ri-ben-yu"):
        assert {slug, f"{slug}-retry1"} <= folders, folders
    long = sorted(name for name in folders if "xxxx" in name)
    assert len(long) == 2 and all(len(name) < 256 and (output / name / "braze-traffic.txt").is_file() for name in long)

    results = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    web = [r for r in results if r["name"] == "test_web_fails"]
    assert web, [r["name"] for r in results]
    for r in web:
        names = {a["name"] for a in r.get("attachments", [])}
        assert {"Braze traffic (decoded)", "Braze traffic (JSON)"} <= names, names


@pytest.mark.integration
def test_xdist_workers_each_write_their_failed_tests_artifacts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_par=WEB_FAILS
        + """
def test_web_passes(braze, braze_app):
    braze_app.launch()
    braze.expect.session_start().within(10)
"""
    )
    result = run(pytester, "-n", "2", "--screenshot", "only-on-failure")
    result.assert_outcomes(passed=1, failed=1)
    folder = pytester.path / "test-results" / "test-par-py-test-web-fails"
    assert {"braze-traffic.txt", "test-failed-1.png"} <= {p.name for p in folder.iterdir()}
    assert not (pytester.path / "test-results" / "test-par-py-test-web-passes").exists()


def test_the_folder_is_pytest_playwrights_output_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_same="""
import pytest
from braze_harness.plugin.artifacts import artifact_folder

@pytest.mark.parametrize("label", ["a/b", "ü" * 200])
def test_same(request, output_path, label):
    assert str(artifact_folder(request.config, request.node.nodeid)) == output_path
"""
    )
    result = run(pytester, "--output", "elsewhere")
    result.assert_outcomes(passed=2)


def test_scope_names_are_short_ascii_and_distinct() -> None:
    assert scope_name("test_fails") == "test_fails"
    odd = [scope_name(n) for n in ("test_x[a/b]", "test_x[日本語]", "test_x[" + "y" * 300 + "]", "test_x[" + "y" * 301 + "]")]
    assert all(len(n) <= SCOPE_NAME_MAX and n.isascii() and "/" not in n for n in odd)
    assert len(set(odd)) == 4
    config = SimpleNamespace(getoption=lambda name, default=None: "out")  # only --output is read
    assert artifact_folder(config, "t.py::a", attempt=3) == Path("out").absolute() / "t-py-a-retry2"  # type: ignore[arg-type]
