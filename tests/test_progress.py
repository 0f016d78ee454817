"""The CLI's progress: plain lines off a terminal (CI logs, pipes), a live rich bar on one."""

from __future__ import annotations

import io
import re

import pytest
from braze_harness.progress import Progress, on_terminal


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_a_line_each_time_a_step_is_crossed() -> None:
    out = io.StringIO()
    with Progress("import-har", 12_000, every=5_000, stream=out) as progress:
        for _ in range(12_000):
            progress.advance()
    assert out.getvalue().splitlines() == ["import-har: 5000 of 12000 (41%)", "import-har: 10000 of 12000 (83%)"]


def test_off_a_terminal_lines_are_spaced_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("braze_harness.progress.time.monotonic", lambda: now[0])
    out = io.StringIO()
    with Progress("import-users", 1_000, every_s=1.0, stream=out) as progress:
        for _ in range(10):
            progress.advance(100)
            now[0] += 0.25  # four advances a second: one line a second
    assert out.getvalue().splitlines() == ["import-users: 500 of 1000 (50%)", "import-users: 900 of 1000 (90%)"]


def test_notes_are_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    with Progress("drift", stream=out) as progress:
        progress.note("6.13.0: log-in")
    assert out.getvalue() == "drift: 6.13.0: log-in\n"


def test_on_a_terminal_one_bar_is_drawn_and_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    assert on_terminal(out)
    with Progress("import-har", 10, every=5, stream=out) as progress:
        for _ in range(10):
            progress.advance()
    drawn = out.getvalue()
    assert "import-har" in drawn and "10/10" in drawn  # rich's bar with its count
    assert "\x1b[" in drawn, "redrawn in place with cursor codes, not a line per update"
    assert not re.search(r"import-har: \d+ of", drawn), "no plain lines on a terminal"


def test_a_ci_job_gets_plain_lines_even_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert not on_terminal(Terminal())
