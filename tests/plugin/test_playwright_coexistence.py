"""The plugin next to pytest-playwright: only Braze's contexts get Braze's browser settings.

Pytest subprocesses with both plugins on. A plain Playwright test in the same run as a Braze test keeps the
browser, routes and proxy its user configured; `--browser firefox` gets no Chromium path; the launch options are
also checked as a pure function, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS
from braze_harness.errors import HarnessConfigError
from braze_harness.plugin.braze_context import braze_context_args, braze_launch_args, chromium_for_playwright

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, timeout=180)


# Playwright's own Chromium is not installed on this machine: the user's conftest points pytest-playwright at
# Debian's, as a user here would. Everything else about the plain tests' browser is pytest-playwright's.
USER_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}
"""

PROBES = """
def command_line(context):
    page = context.new_page()
    page.goto("chrome://version")
    line = page.locator("#command_line").inner_text()
    page.close()
    return line

def error_of(context, url):
    page = context.new_page()
    try:
        page.goto(url, timeout=10000)
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        page.close()
    return "loaded"
"""


@pytest.mark.integration
def test_a_plain_playwright_test_next_to_a_braze_test_is_not_altered(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(probes=PROBES)
    pytester.makepyfile(
        test_mixed="""
from probes import command_line, error_of

def check_plain(page, browser_type_launch_args, browser_context_args):
    assert browser_type_launch_args == {"executable_path": "/usr/bin/chromium"}
    assert "proxy" not in browser_context_args
    line = command_line(page.context)
    assert line.startswith("/usr/lib/chromium/chromium ")
    for braze_flag in ("--host-resolver-rules", "--ignore-certificate-errors-spki-list", "--proxy-server"):
        assert braze_flag not in line
    # no Braze route (it would answer ERR_BLOCKED_BY_CLIENT) and no proxy (the Braze host is not answered)
    assert "ERR_BLOCKED_BY_CLIENT" not in error_of(page.context, "http://example.invalid/")
    assert "ERR_NAME_NOT_RESOLVED" in error_of(page.context, "https://sdk.iad-01.braze.com/api/v3/data/")

def test_a_plain_before(page, browser_type_launch_args, browser_context_args):
    check_plain(page, browser_type_launch_args, browser_context_args)

def test_b_braze(braze, braze_app, page):
    context = braze_app.page.context
    assert context is not page.context and context.browser is not page.context.browser
    line = command_line(context)
    assert "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost" in line
    assert "--ignore-certificate-errors-spki-list=" in line
    assert "ERR_BLOCKED_BY_CLIENT" in error_of(context, "http://example.invalid/")
    # through the context's proxy, the Braze host is answered by the emulator
    assert error_of(context, "https://sdk.iad-01.braze.com/api/v3/data/") == "loaded"

def test_c_plain_after(page, browser_type_launch_args, browser_context_args):
    check_plain(page, browser_type_launch_args, browser_context_args)
"""
    )
    result = run(pytester, "--braze-proxy", "-v")
    result.assert_outcomes(passed=3)


# pytest-playwright launches through `launch_browser`: this override hands back the options it would launch with
RECORDING_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def launch_browser(browser_type_launch_args, browser_type):
    return lambda **kwargs: {"engine": browser_type.name, **browser_type_launch_args, **kwargs}
"""


def test_browser_firefox_on_a_plain_test_gets_no_chromium_path(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RECORDING_CONFTEST)
    pytester.makepyfile(
        test_firefox="""
def test_plain(launch_browser, browser_name):
    options = launch_browser()
    assert browser_name == "firefox"
    assert options == {"engine": "firefox"}, options

def test_braze_in_the_same_run(braze):
    assert braze.api_key
"""
    )
    result = run(pytester, "--browser", "firefox")
    result.assert_outcomes(passed=2)


def test_braze_launch_args_add_chromium_settings_to_chromium_only(tmp_path: Path) -> None:
    base = {"headless": False, "slow_mo": 50}
    chromium = braze_launch_args(base, "chromium", executable="/usr/bin/chromium", proxy_args=["--spki"])
    assert chromium == {**base, "executable_path": "/usr/bin/chromium", "args": [*CHROMIUM_ARGS, "--spki"]}
    assert base == {"headless": False, "slow_mo": 50}, "pytest-playwright's dict is not changed"
    assert braze_launch_args(base, "firefox", executable="/usr/bin/chromium") == base
    # a channel or the user's own executable wins
    assert "executable_path" not in braze_launch_args({"channel": "chrome"}, "chromium", executable="/usr/bin/chromium")
    assert braze_launch_args({"executable_path": "/opt/c"}, "chromium", executable="/x")["executable_path"] == "/opt/c"
    with pytest.raises(HarnessConfigError, match=r"^--braze-proxy needs Chromium .*, not firefox$"):
        braze_launch_args(base, "firefox", executable=None, proxy_args=["--spki"])
    assert braze_context_args(None) == {}
    assert braze_context_args("http://127.0.0.1:8080") == {
        "proxy": {"server": "http://127.0.0.1:8080", "bypass": "127.0.0.1,localhost,[::1]"}
    }


def test_debian_chromium_only_when_playwrights_own_is_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAZE_CHROMIUM", raising=False)
    installed = tmp_path / "chrome"
    installed.write_text("")
    assert chromium_for_playwright(str(installed)) is None
    assert chromium_for_playwright(str(tmp_path / "absent")) == "/usr/bin/chromium"
    assert chromium_for_playwright(str(installed), "/opt/chromium") == "/opt/chromium"
    monkeypatch.setenv("BRAZE_CHROMIUM", "/opt/env-chromium")
    assert chromium_for_playwright(str(installed)) == "/opt/env-chromium"


def test_the_web_app_without_pytest_playwright_is_a_one_line_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_web="def test_web(braze_app):\n    pass\n")
    result = run(pytester, "-p", "no:playwright")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*braze configuration error: the web demo app needs pytest-playwright*-p no:playwright*"])
    assert "Traceback" not in result.stdout.str()
