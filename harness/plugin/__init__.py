"""pytest plugin (`pytest11` entry point `braze`): an emulator for the session, a scoped handle
per test, the demo web app in a Playwright page, and the decoded traffic of failed tests.

Under pytest-xdist the controller starts one embedded emulator and hands its URL to the
workers; every test works in a scope of its own, so workers never see each other's data.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from harness.errors import HarnessConfigError
from harness.plugin import options
from harness.plugin.appium import braze_appium_server
from harness.plugin.fixtures import (
    braze,
    braze_app,
    braze_app_factory,
    braze_client,
    braze_demo_site,
    braze_emulator_url,
    braze_har,
    braze_proxy,
    braze_sdk_base_url,
    braze_target,
    braze_web_sdk_bundle,
)

__all__ = [
    "braze",
    "braze_app",
    "braze_app_factory",
    "braze_appium_server",
    "braze_client",
    "braze_demo_site",
    "braze_emulator_url",
    "braze_har",
    "braze_proxy",
    "braze_sdk_base_url",
    "braze_target",
    "braze_web_sdk_bundle",
]

_EMBEDDED = "_braze_embedded_server"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "braze_app(**options): options of the app under test (e.g. session_timeout=10)")
    options.validate(config)
    # pytest-base-url (pulled in by pytest-playwright) trips a pytest 9 deprecation: noise for our users
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")
    if config.getoption("--braze-proxy"):
        # mitmproxy's imports (in process with --braze-proxy) warn about their own dependencies
        for module in ("mitmproxy", "pyparsing", "ldap3", "pyasn1"):
            config.addinivalue_line("filterwarnings", f"ignore::DeprecationWarning:{module}.*")
    if config.pluginmanager.hasplugin("playwright"):
        from harness.plugin import playwright_overrides

        config.pluginmanager.register(playwright_overrides, "braze-playwright-overrides")
    is_controller = not hasattr(config, "workerinput")
    uses_xdist = bool(getattr(config.option, "numprocesses", None)) and is_controller
    if uses_xdist and not config.getoption("--braze-emulator-url"):
        # one emulator for all workers, owned by the controller process
        config._braze_url = start_embedded(config)  # type: ignore[attr-defined]


def start_embedded(config: pytest.Config) -> str:
    from harness.emulator.http.server import EmulatorServer
    from harness.emulator.settings import EmulatorSettings

    server = getattr(config, _EMBEDDED, None)
    if server is None:
        settings = EmulatorSettings(port=0, journal_db=config.getoption("--braze-journal-db"))
        server = EmulatorServer(settings).start()
        setattr(config, _EMBEDDED, server)
        from harness.emulator.drift import ProblemTally

        tally = ProblemTally()
        server.emulator.journal.add_listener(tally.add)
        config._braze_tally = tally  # type: ignore[attr-defined]
    return server.url


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """What the SDK sent that the harness does not model (drift) and what it refused, over the whole run."""
    tally = getattr(config, "_braze_tally", None)
    if tally is None:
        return
    summary = tally.summary()
    if not summary["problems"]:
        return
    terminalreporter.section("Braze protocol report")
    terminalreporter.write_line(f"{summary['requests']} SDK request(s) journaled, {summary['bad']} bad")
    for row in summary["problems"][:20]:
        terminalreporter.write_line(f"  {row['severity']:5} {row['count']:>5}×  {row['where']}: {row['message']}")


def pytest_unconfigure(config: pytest.Config) -> None:
    server = getattr(config, _EMBEDDED, None)
    if server is not None:
        server.stop()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    url = getattr(node.config, "_braze_url", None)
    if url:
        node.workerinput["braze_emulator_url"] = url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(HarnessConfigError):
        # a user mistake in configuration: one line, no traceback
        report.longrepr = f"braze configuration error: {call.excinfo.value}"
    setattr(item, f"_braze_rep_{report.when}", report)
    if report.failed and report.when in ("call", "setup"):
        handle = getattr(item, "funcargs", {}).get("braze")
        if handle is not None:
            from harness.plugin.artifacts import attach_traffic

            attach_traffic(item, report, handle)
    return report
