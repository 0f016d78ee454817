"""Screens for messaging tests: what is displayed, behind `MessagingScreen` (web: `WebScreen`), and
`OnScreen`, the expectations that tie the screen to the telemetry."""

from harness.screens.base import IamView, MessagingScreen, ScreenTimeout
from harness.screens.linkage import OnScreen

__all__ = ["IamView", "MessagingScreen", "OnScreen", "ScreenTimeout"]
