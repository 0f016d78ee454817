"""The Appium session with the app: opening it with the target's capabilities, and which platform they are for.

A session that cannot be created is one clear line: a driver that is not installed names the command installing
it (`AppiumSetupError`), anything else is an `AppiumAppError` with the server's URL (credentials masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from braze_harness.devices.appium.server import AppiumEndpoint, AppiumSetupError, install_command
from braze_harness.devices.targets.redaction import shown_url
from braze_harness.errors import HarnessError


class AppiumAppError(HarnessError):
    """The app did not let an action through (a control missing on screen, bad input)."""


def open_session(endpoint: AppiumEndpoint, capabilities: Mapping[str, Any], automation_name: str) -> Any:
    """A new `webdriver.Remote` session on `endpoint` with `capabilities`."""
    from appium import webdriver
    from appium.options.common.base import AppiumOptions
    from selenium.common.exceptions import WebDriverException

    options = AppiumOptions()
    options.load_capabilities(dict(capabilities))
    try:
        return webdriver.Remote(endpoint.url, options=options)
    except WebDriverException as exc:
        message = (exc.msg or str(exc)).splitlines()[0]
        if "Could not find a driver" in message:
            raise AppiumSetupError(
                f"{message} Install it from the repository root with: {install_command(automation_name or '?')}"
            ) from None
        raise AppiumAppError(shown_url(f"Appium could not create a session at {endpoint.url}: {message}")) from None


def platform_of(capabilities: Mapping[str, Any]) -> str:
    """`fake`, `ios` or `android`, from `platformName` and `appium:automationName`."""
    automation = str(capabilities.get("appium:automationName", "")).lower()
    platform = str(capabilities.get("platformName", "")).lower()
    if automation == "fake" or platform == "fake":
        return "fake"
    return "ios" if platform == "ios" or automation == "xcuitest" else "android"
