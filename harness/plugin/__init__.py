"""pytest plugin (`pytest11` entry point `braze`): an emulator for the session, a scoped handle
per test, the demo web app in a Playwright page, and the decoded traffic of failed tests.

Under pytest-xdist the controller starts one embedded emulator and hands its URL to the
workers; every test works in a scope of its own, so workers never see each other's data.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from braze_harness.adapters.base import AdapterLimitation
from braze_harness.errors import HarnessConfigError, PerReplicaLimitation
from braze_harness.plugin import options
from braze_harness.plugin.appium import braze_appium_server
from braze_harness.plugin.braze_context import braze_browser, braze_new_context, braze_warm_page
from braze_harness.plugin.embedded import TALLY, URL, start_embedded, stop_embedded
from braze_harness.plugin.fixtures import (
    braze,
    braze_app,
    braze_app_factory,
    braze_client,
    braze_demo_site,
    braze_emulator_url,
    braze_har,
    braze_page,
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
    "braze_browser",
    "braze_client",
    "braze_demo_site",
    "braze_emulator_url",
    "braze_har",
    "braze_new_context",
    "braze_page",
    "braze_proxy",
    "braze_sdk_base_url",
    "braze_target",
    "braze_warm_page",
    "braze_web_sdk_bundle",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "braze_app(**options): options of the app under test (e.g. session_timeout=10)")
    options.validate(config)
    from braze_harness.plugin import report, web_sdk

    report.register(config)  # --braze-report: the HTML report, written by the controller
    if not config.pluginmanager.has_plugin("braze-web-sdk"):
        config.pluginmanager.register(web_sdk, "braze-web-sdk")  # feature markers, braze_sdk_retries
    # pytest-base-url (pulled in by pytest-playwright) trips a pytest 9 deprecation: noise for our users
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")
    if config.getoption("--braze-proxy"):
        # mitmproxy's imports (in process with --braze-proxy) warn about their own dependencies
        for module in ("mitmproxy", "pyparsing", "ldap3", "pyasn1"):
            config.addinivalue_line("filterwarnings", f"ignore::DeprecationWarning:{module}.*")
    is_controller = not hasattr(config, "workerinput")
    uses_xdist = bool(getattr(config.option, "numprocesses", None)) and is_controller
    if uses_xdist and not config.getoption("--braze-emulator-url"):
        # one emulator for all workers, owned by the controller process
        config.stash[URL] = start_embedded(config, announce=False)  # the run header shows it


def pytest_report_header(config: pytest.Config) -> list[str]:
    from braze_harness.plugin.run_header import header_lines

    return header_lines(config)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """What the SDK sent that the harness does not model (drift) and what it refused, over the whole run; the
    Braze data points the tests' traffic cost."""
    _data_plan_summary(terminalreporter)
    _data_points_summary(terminalreporter)
    tally = config.stash.get(TALLY, None)
    if tally is None:
        return
    summary = tally.summary()
    if not summary["problems"]:
        return
    terminalreporter.section("Braze protocol report")
    terminalreporter.write_line(f"{summary['requests']} SDK request(s) journaled, {summary['bad']} bad")
    for row in summary["problems"][:20]:
        terminalreporter.write_line(f"  {row['severity']:5} {row['count']:>5}×  {row['where']}: {row['message']}")


def _teardown_properties(terminalreporter: Any, name: str) -> dict[str, Any]:
    """One report property of every test's teardown (xdist workers' included), by test id."""
    found: dict[str, Any] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            for key, value in getattr(report, "user_properties", ()):
                if key == name:
                    found[report.nodeid] = value
    return found


def _data_plan_summary(terminalreporter: Any) -> None:
    """Each test whose traffic broke the data plan, with what it broke (strict mode also fails those tests)."""
    per_test = _teardown_properties(terminalreporter, "braze_data_plan")
    if not per_test:
        return
    terminalreporter.section("Braze data plan")
    terminalreporter.write_line(f"{len(per_test)} test(s) sent traffic that breaks the data plan")
    for nodeid, problems in sorted(per_test.items()):
        terminalreporter.write_line(nodeid)
        for problem in problems[:5]:
            terminalreporter.write_line(f"    {problem}")
        if len(problems) > 5:
            terminalreporter.write_line(f"    ... and {len(problems) - 5} more")


def _data_points_summary(terminalreporter: Any) -> None:
    """Each test's data points come as a report property (so xdist workers' do too): the run's total and the
    tests that wasted the most on attributes re-sent unchanged."""
    per_test: dict[str, tuple[int, int]] = {}
    for nodeid, value in _teardown_properties(terminalreporter, "braze_data_points").items():
        used, _, rest = value.partition(" used, ")
        per_test[nodeid] = (int(used), int(rest.split()[0]))
    if not per_test:
        return
    terminalreporter.section("Braze data points")
    used = sum(u for u, _ in per_test.values())
    wasted = sum(w for _, w in per_test.values())
    terminalreporter.write_line(f"{used} data points in {len(per_test)} test(s), {wasted} wasted on attributes re-sent unchanged")
    for nodeid, (u, w) in sorted(per_test.items(), key=lambda kv: -kv[1][1])[:5]:
        if w:
            terminalreporter.write_line(f"  {w:>4} wasted of {u:>5}  {nodeid}")


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_embedded(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    url = node.config.stash.get(URL, None)
    if url:
        node.workerinput["braze_emulator_url"] = url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """With Allure, each expectation of the test becomes a step, once the call is over and every verdict is final."""
    try:
        return (yield)
    finally:
        from braze_harness.plugin import allure_steps

        allure_steps.step_new_verdicts(item)


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """With Allure, an expectation a fixture's teardown waited on becomes a step once that teardown is over (a plain
    hook: it runs before allure-pytest's own wrapper writes the fixture's container)."""
    item = request.node
    if isinstance(item, pytest.Item) and "braze" in (getattr(item, "funcargs", None) or {}):
        from braze_harness.plugin import allure_steps

        allure_steps.step_new_verdicts(item, during=f"teardown of {fixturedef.argname}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance((AdapterLimitation, PerReplicaLimitation)):
        # the app cannot do this by a limitation its adapter declares, or the emulator is a fleet whose replicas
        # each keep what the test asked for (docs/fleet.md): skipped, the limitation named
        path, line, _ = item.reportinfo()
        report.outcome = "skipped"
        report.longrepr = (str(path), (line or 0) + 1, f"Skipped: {call.excinfo.value}")
        return report
    if call.excinfo is not None and call.excinfo.errisinstance(HarnessConfigError):
        # a user mistake in configuration: one line, no traceback
        report.longrepr = f"braze configuration error: {call.excinfo.value}"
    setattr(item, f"_braze_rep_{report.when}", report)
    if report.when == "teardown":
        from braze_harness.plugin.artifacts import keep_timeline

        keep_timeline(item)
    if report.failed and report.when in ("call", "setup"):
        handle = getattr(item, "funcargs", {}).get("braze")
        if handle is not None:
            from braze_harness.plugin.artifacts import attach_traffic

            attach_traffic(item, report, handle)
    return report
