"""Debian's Chromium under the harness's flags (loopback only), in a sync Playwright of its own, for a test module.

Module-scoped, not session-scoped, where tests use it: Playwright's sync API keeps its event loop running in the
process while it is open, and later tests that call asyncio.run (the proxy's) would fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from playwright.sync_api import Browser, sync_playwright


@contextmanager
def loopback_chromium() -> Iterator[Browser]:
    executable = find_chromium()
    assert executable is not None, "no Chromium: install Debian's chromium or set $BRAZE_CHROMIUM"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
