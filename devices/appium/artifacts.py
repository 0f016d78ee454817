"""What an Appium app shows when a test fails, saved next to the test's other artifacts: the page source, a
screenshot, the FakeOs command log (fake driver) and the local Appium server's log."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from braze_harness.devices.appium.adapter import AppiumAdapter


def save_artifacts(adapter: AppiumAdapter, folder: Path) -> list[str]:
    """What the app shows now (page source, screenshot), the FakeOs log and the server log: the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []
    if adapter.driver is not None:
        with contextlib.suppress(Exception):  # a dead session must not hide the test's own failure
            (folder / "appium-page-source.xml").write_text(adapter.driver.page_source)
            saved.append("appium-page-source.xml")
        with contextlib.suppress(Exception):
            (folder / "appium-screenshot.png").write_bytes(adapter.driver.get_screenshot_as_png())
            saved.append("appium-screenshot.png")
    if adapter.fake_os is not None:
        (folder / "appium-fake-os.txt").write_text("".join(f"{name} {json.dumps(args)}\n" for name, args in adapter.fake_os.log))
        saved.append("appium-fake-os.txt")
    log_path = getattr(adapter.endpoint, "log_path", None)
    if log_path is not None and Path(log_path).exists():
        (folder / "appium-server.log").write_bytes(Path(log_path).read_bytes())
        saved.append("appium-server.log")
    return saved
