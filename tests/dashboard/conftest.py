"""The dashboard tests' emulator (one per module), control client, Chromium (one per session) and page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer
from playwright.sync_api import Browser, Page

from tests.support.chromium import loopback_chromium


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def control(server: EmulatorServer) -> Iterator[EmulatorClient]:
    client = EmulatorClient(server.url)
    yield client
    client.close()


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps its event loop running in the process
def chromium() -> Iterator[Browser]:  # while it is open, and later tests that call asyncio.run (the proxy's) would fail
    with loopback_chromium() as launched:
        yield launched


@pytest.fixture
def dashboard(chromium: Browser) -> Iterator[Page]:
    """A page of its own for the dashboard; it must raise nothing."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the dashboard: {errors}"
