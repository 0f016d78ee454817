"""`--braze-report report.html`: the run's report, written by the process that sees every test's reports (the
pytest-xdist controller, or the only process): outcomes from the test reports, each test's traffic and verdicts from
its teardown report's `braze_report` property (report_data.py), the protocol report from the run's tally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from braze_harness.plugin.embedded import TALLY
from braze_harness.plugin.report_data import PROPERTY
from braze_harness.plugin.report_html import RunReport, TestRow, render

MAX_LONGREPR = 8000


class ReportWriter:
    """A pytest plugin: collects the run's test reports, writes the HTML at the end of the session."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self.rows: dict[str, TestRow] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        row = self.rows.get(report.nodeid)
        if row is None:
            row = self.rows[report.nodeid] = TestRow(report.nodeid, "passed", start=report.start or None)
        row.duration += report.duration or 0.0
        row.stop = report.stop or row.stop
        outcome = _outcome(report)
        if outcome is not None and (report.when == "call" or (outcome in ("error", "skipped") and row.outcome == "passed")):
            row.outcome = outcome
        if report.skipped and isinstance(report.longrepr, tuple):  # (file, line, "Skipped: why")
            row.longrepr = "skipped: " + str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            row.longrepr = (row.longrepr + "\n" + report.longreprtext).strip()[-MAX_LONGREPR:]
        for key, value in report.user_properties:
            if key == PROPERTY:
                row.data = value
        # taken out before the other plugins read the report: --junitxml would write it whole as a property
        report.user_properties = [(k, v) for k, v in report.user_properties if k != PROPERTY]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        tally = self.config.stash.get(TALLY, None)
        run = RunReport(
            title=f"Braze test report — {session.name or self.config.rootpath.name}",
            tests=list(self.rows.values()),
            protocol=tally.summary() if tally is not None else None,
            protocol_note="" if tally is not None else _no_tally(self.config),
        )
        self.path.write_text(render(run), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(f"Braze report: {self.path}")


def _outcome(report: pytest.TestReport) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfailed" if report.skipped else "xpassed"
        return report.outcome
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return None


def _no_tally(config: pytest.Config) -> str:
    if config.getoption("--braze-emulator-url"):
        return "not in this report: the run used a running emulator (--braze-emulator-url); its own log shows its drift"
    return "not in this report: no test of this run started the embedded emulator"


def register(config: pytest.Config) -> None:
    """Register the writer when `--braze-report` is given, in the process that sees every report (not a worker)."""
    path = config.getoption("--braze-report")
    if not path or hasattr(config, "workerinput") or config.option.collectonly:  # a collection runs no test to report
        return
    config.pluginmanager.register(ReportWriter(config, Path(path)), "braze-report")
