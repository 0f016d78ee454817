"""`braze_appium_server`: the Appium server of the run, for the targets driven through Appium.

The target's `appium_url` (a grid, a device farm hub, a server you run) is used as is; without one, a local
Appium 3 server from the project's node_modules is started once per session (per xdist worker) on a free
127.0.0.1 port and stopped at the end. Its log is `<--output>/appium-server[-<worker>].log`.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def braze_appium_server(request: pytest.FixtureRequest) -> Generator[object]:
    """An `AppiumEndpoint` (`.url` for `webdriver.Remote`, `.require_driver(automation_name)`)."""
    from devices.appium.server import AppiumEndpoint, AppiumServer

    target = request.getfixturevalue("braze_target")
    url = getattr(target, "appium_url", None)
    if url:
        yield AppiumEndpoint.remote(url)
        return
    output = Path(request.config.getoption("--output", default=None) or "test-results")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    server = AppiumServer(log_path=output / (f"appium-server-{worker}.log" if worker else "appium-server.log"))
    server.start()
    yield server
    server.stop()
