"""Appium: the local Appium 3 server (or a remote one), the app adapter and screen for real Android/iOS apps,
and the fake driver's app (`fake_app.xml`) that exercises the plumbing where no phone is available."""

from devices.appium.adapter import FAKE_APP_XML, AppiumAdapter, AppiumAppError, appium_app
from devices.appium.locators import Locator, Locators, PushReceiver, ScreenLocators
from devices.appium.screen import AppiumScreen
from devices.appium.server import AppiumEndpoint, AppiumServer, AppiumServerError, AppiumSetupError

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
    "appium_app",
]
