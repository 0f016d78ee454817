"""The embedded emulator of a test run: started once per process that needs it (the xdist controller, or the
test process), kept in the pytest config's stash with the run's protocol tally."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from braze_harness.emulator.drift import ProblemTally
    from braze_harness.emulator.http.server import EmulatorServer

SERVER: pytest.StashKey[EmulatorServer] = pytest.StashKey()
TALLY: pytest.StashKey[ProblemTally] = pytest.StashKey()
URL: pytest.StashKey[str] = pytest.StashKey()  # the controller's emulator, handed to the xdist workers


def start_embedded(config: pytest.Config, *, announce: bool = True) -> str:
    """The URL of this run's embedded emulator (started on first use; `announce`: its address and its dashboard's are
    written to the terminal then, the run header having been written before it started)."""
    from braze_harness.emulator.http.server import EmulatorServer
    from braze_harness.emulator.http.ui_path import ui_url
    from braze_harness.emulator.settings import EmulatorSettings

    server = config.stash.get(SERVER, None)
    if server is None:
        settings = EmulatorSettings(
            port=0, journal_db=config.getoption("--braze-journal-db"), data_plan=config.getoption("--braze-data-plan")
        )
        server = config.stash[SERVER] = EmulatorServer(settings).start()
        from braze_harness.emulator.drift import ProblemTally

        tally = config.stash[TALLY] = ProblemTally()
        server.emulator.journal.add_listener(tally.add)
        if announce:
            _announce(config, f"braze: emulator started: {server.url} (dashboard {ui_url(server.url)})")
    return server.url


def _announce(config: pytest.Config, line: str) -> None:
    """One line on the terminal, from inside a test's setup (output capture set aside for it)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        reporter.ensure_newline()
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


def stop_embedded(config: pytest.Config) -> None:
    server = config.stash.get(SERVER, None)
    if server is not None:
        server.stop()
