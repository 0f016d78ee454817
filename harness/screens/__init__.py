"""Screens for messaging tests: what is displayed, behind `MessagingScreen` (the devices implement it: the web's
`braze_harness.devices.web.screen.WebScreen`, the virtual devices', Appium's), and `OnScreen`, the expectations that tie the
screen to the telemetry."""

from braze_harness.screens.base import IamView, MessagingScreen, ScreenTimeout
from braze_harness.screens.linkage import OnScreen

__all__ = ["IamView", "MessagingScreen", "OnScreen", "ScreenTimeout"]
