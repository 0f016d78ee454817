"""The plugin's options from an ini file and the environment, in pytest subprocesses: every `--braze-x` option is
the ini key `braze_x`; `$BRAZE_EMULATOR_URL` points the run at a running emulator; the command line wins over the
environment, which wins over the ini file; a bad ini value is one line naming the key and the file."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from braze_harness.emulator.http.server import EmulatorServer

from tests.support.inner_pytest import forget_outer_run, run_inner
from tests.support.paths import REPO

pytest_plugins = ["pytester"]

UNREACHABLE = "http://127.0.0.1:1"
PROBE = """
def test_probe(braze, pytestconfig):
    print("URL=" + braze.emulator_url)
    print("TIMEOUT=" + str(pytestconfig.getoption("--braze-timeout")))
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch, "BRAZE_")  # the settings under test come from BRAZE_ variables


@pytest.fixture(scope="module")
def running() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, "-s", *args, timeout=120)


def probed(result: pytest.RunResult) -> dict[str, str]:
    return dict(re.findall(r"\b(URL|TIMEOUT)=(\S+)", result.stdout.str()))


def test_ini_keys_set_the_options(pytester: pytest.Pytester, running: EmulatorServer) -> None:
    pytester.makeini(f"[pytest]\nbraze_emulator_url = {running.url}\nbraze_timeout = 7.5\n")
    pytester.makepyfile(test_probe=PROBE)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert probed(result) == {"URL": running.url, "TIMEOUT": "7.5"}


def test_pyproject_ini_options_too(pytester: pytest.Pytester, running: EmulatorServer) -> None:
    pytester.makepyprojecttoml(f'[tool.pytest.ini_options]\nbraze_emulator_url = "{running.url}"\nbraze_timeout = "2"\n')
    pytester.makepyfile(test_probe=PROBE)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert probed(result) == {"URL": running.url, "TIMEOUT": "2.0"}


def test_env_beats_ini_and_the_command_line_beats_env(
    pytester: pytest.Pytester, running: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(f"[pytest]\nbraze_emulator_url = {UNREACHABLE}\nbraze_timeout = 7.5\n")
    pytester.makepyfile(test_probe=PROBE)
    monkeypatch.setenv("BRAZE_EMULATOR_URL", running.url)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert probed(result) == {"URL": running.url, "TIMEOUT": "7.5"}  # the variable over the ini key

    monkeypatch.setenv("BRAZE_EMULATOR_URL", UNREACHABLE)
    result = run(pytester, f"--braze-emulator-url={running.url}", "--braze-timeout=3")
    result.assert_outcomes(passed=1)
    assert probed(result) == {"URL": running.url, "TIMEOUT": "3.0"}  # the command line over both


def test_without_any_the_embedded_emulator_and_the_defaults(pytester: pytest.Pytester, running: EmulatorServer) -> None:
    pytester.makepyfile(test_probe=PROBE)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    found = probed(result)
    assert found["TIMEOUT"] == "5.0" and found["URL"] != running.url and found["URL"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("ini", "line"),
    [
        ("braze_timeout = soon", "ERROR: braze_timeout (tox.ini): 'soon' is not a float"),
        ("braze_web_sdk_version = latest", "ERROR: braze_web_sdk_version (tox.ini): 'latest' is not a version like 6.13.0"),
        ("braze_emulator_url = localhost:9090", "ERROR: braze_emulator_url (tox.ini): 'localhost:9090' is not an http(s) URL"),
        ("braze_journal_db = /missing-braze-dir/j.db", "ERROR: braze_journal_db (tox.ini): no folder /missing-braze-dir for"),
    ],
)
def test_a_bad_ini_value_is_one_line_naming_key_and_file(pytester: pytest.Pytester, ini: str, line: str) -> None:
    pytester.makefile(".ini", tox=f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [e for e in result.errlines if e.strip()]
    assert len(errors) == 1 and errors[0].startswith(line), errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_bad_env_url_names_the_variable(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAZE_EMULATOR_URL", "nope")
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [e for e in result.errlines if e.strip()] == ["ERROR: $BRAZE_EMULATOR_URL: 'nope' is not an http(s) URL"]


def test_every_option_has_an_ini_key_and_the_doc_lists_them(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    text = result.stdout.str()
    options = set(re.findall(r"^\s+(--braze-[a-z-]+)", text, re.M))
    assert len(options) >= 15
    ini_keys = set(re.findall(r"^\s+(braze_[a-z_]+) \(", text, re.M))
    assert {o[2:].replace("-", "_") for o in options} == ini_keys
    page = (REPO / "docs" / "configuration.md").read_text()
    for key in ini_keys:
        assert f"| `{key}` " in page, f"docs/configuration.md: no row for the ini key {key}"
