"""The `android-virtual` and `ios-virtual` kinds: the virtual SDK devices of devices/virtual, no Appium."""

from __future__ import annotations

from typing import ClassVar, Literal

from braze_harness.devices.targets.kinds.base import TargetBase


class AndroidVirtualTarget(TargetBase):
    """A virtual Android 43.x SDK device (devices/virtual): the Android wire protocol without an emulator."""

    kind: Literal["android-virtual"] = "android-virtual"
    platform: ClassVar[str] = "android"
    adapter: ClassVar[str | None] = "braze_harness.devices.virtual.adapter:android_app"


class IosVirtualTarget(TargetBase):
    """A virtual Swift 18.x SDK device (devices/virtual)."""

    kind: Literal["ios-virtual"] = "ios-virtual"
    platform: ClassVar[str] = "ios"
    adapter: ClassVar[str | None] = "braze_harness.devices.virtual.adapter:ios_app"
