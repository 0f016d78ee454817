"""Appium: the local Appium 3 server (or a remote one), the app adapter and screen for real Android/iOS apps,
and the fake driver's app (`fake_app.xml`) that exercises the plumbing where no phone is available.

    server.py    AppiumServer / AppiumEndpoint: the server, its drivers, a remote URL used as is
    driver.py    opening the session with a target's capabilities; AppiumAppError
    adapter.py   AppiumAdapter: the suites' AppAdapter as taps and typed text on the app's declared controls
    push.py      AppiumPush: OS notification permission, the app's push controls, a delivered push tapped
    screen.py    AppiumScreen: what the app shows (IAM, cards, banners, flag gate) read from the page source
    fake_os.py   FakeOs: the `mobile:` commands the fake driver lacks, recorded and applied
    artifacts.py what a failed test leaves behind (page source, screenshot, logs)

Where the app's controls are (`Locators`) is part of a target: `devices/targets/locators.py`. The pytest factory
for the Appium targets is `braze_harness.plugin.appium:appium_app`.
"""

from braze_harness.devices.appium.adapter import FAKE_APP_XML, AppiumAdapter, AppiumAppError
from braze_harness.devices.appium.screen import AppiumScreen
from braze_harness.devices.appium.server import AppiumEndpoint, AppiumServer, AppiumServerError, AppiumSetupError
from braze_harness.devices.targets.locators import Locator, Locators, PushReceiver, ScreenLocators

__all__ = [
    "FAKE_APP_XML",
    "AppiumAdapter",
    "AppiumAppError",
    "AppiumEndpoint",
    "AppiumScreen",
    "AppiumServer",
    "AppiumServerError",
    "AppiumSetupError",
    "Locator",
    "Locators",
    "PushReceiver",
    "ScreenLocators",
]
