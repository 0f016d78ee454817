"""The Appium session with the app: opening it with the target's capabilities, and which platform they are for.

A session that cannot be created is one clear line: a driver that is not installed names the command installing
it (`AppiumSetupError`), anything else is an `AppiumAppError` with the server's URL (credentials masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from braze_harness import node_tools
from braze_harness.devices.appium.server import AppiumEndpoint, AppiumSetupError, install_command
from braze_harness.devices.targets.redaction import shown_url
from braze_harness.errors import HarnessError
from braze_harness.extras import require


class AppiumAppError(HarnessError):
    """The app did not let an action through (a control missing on screen, bad input)."""


def open_session(endpoint: AppiumEndpoint, capabilities: Mapping[str, Any], automation_name: str) -> Any:
    """A new `webdriver.Remote` session on `endpoint` with `capabilities`."""
    webdriver = require("appium.webdriver", "an Appium target")
    AppiumOptions = require("appium.options.common.base", "an Appium target").AppiumOptions
    from selenium.common.exceptions import WebDriverException

    options = AppiumOptions()
    options.load_capabilities(dict(capabilities))
    try:
        return webdriver.Remote(endpoint.url, options=options)
    except WebDriverException as exc:
        message = (exc.msg or str(exc)).splitlines()[0]
        if "Could not find a driver" in message:
            raise AppiumSetupError(
                f"{message} Install it in {node_tools.node_root()} with: {install_command(automation_name or '?')}"
            ) from None
        raise AppiumAppError(shown_url(f"Appium could not create a session at {endpoint.url}: {message}")) from None


def platform_of(capabilities: Mapping[str, Any]) -> str:
    """`fake`, `ios` or `android`, from `platformName` and `appium:automationName`."""
    automation = str(capabilities.get("appium:automationName", "")).lower()
    platform = str(capabilities.get("platformName", "")).lower()
    if automation == "fake" or platform == "fake":
        return "fake"
    return "ios" if platform == "ios" or automation == "xcuitest" else "android"
