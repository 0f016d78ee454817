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


def start_embedded(config: pytest.Config) -> str:
    """The URL of this run's embedded emulator (started on first use)."""
    from braze_harness.emulator.http.server import EmulatorServer
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
    return server.url


def stop_embedded(config: pytest.Config) -> None:
    server = config.stash.get(SERVER, None)
    if server is not None:
        server.stop()
