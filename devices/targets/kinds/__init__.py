"""Target kinds: one pydantic model per kind, each turning itself into W3C Appium capabilities (or, for the web demo
and the virtual devices, naming its adapter). `Target` is the union the targets file is validated with (the
`kind` field picks the model); `KINDS` maps each kind name to its model.

    base.py     TargetBase, AppiumTarget (what every Appium kind shares), DebugHooks, TargetError
    web.py      web                        virtual.py  android-virtual, ios-virtual
    android.py  android-emulator, android-device        ios.py  ios-simulator, ios-device
    remote.py   remote (and EitherPlatformTarget)        farms.py  browserstack, saucelabs
    fake.py     fake (Appium's fake driver)
"""

from __future__ import annotations

from typing import Annotated

from braze_harness.devices.targets.kinds.android import (
    AndroidAppTarget,
    AndroidDeviceTarget,
    AndroidEmulatorTarget,
    emulator_endpoint,
)
from braze_harness.devices.targets.kinds.base import (
    AppiumTarget,
    DebugHooks,
    PushPermission,
    ResetPolicy,
    TargetBase,
    TargetError,
)
from braze_harness.devices.targets.kinds.fake import FAKE_APP_XML, FakeTarget
from braze_harness.devices.targets.kinds.farms import BrowserStackTarget, FarmTarget, SauceLabsTarget
from braze_harness.devices.targets.kinds.ios import IosAppTarget, IosDeviceTarget, IosSimulatorTarget
from braze_harness.devices.targets.kinds.remote import EitherPlatformTarget, RemoteTarget
from braze_harness.devices.targets.kinds.virtual import AndroidVirtualTarget, IosVirtualTarget
from braze_harness.devices.targets.kinds.web import WebTarget
from pydantic import Field

Target = Annotated[
    WebTarget
    | AndroidVirtualTarget
    | IosVirtualTarget
    | FakeTarget
    | AndroidEmulatorTarget
    | AndroidDeviceTarget
    | IosSimulatorTarget
    | IosDeviceTarget
    | BrowserStackTarget
    | SauceLabsTarget
    | RemoteTarget,
    Field(discriminator="kind"),
]

KINDS: dict[str, type[TargetBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in (
        WebTarget,
        AndroidVirtualTarget,
        IosVirtualTarget,
        FakeTarget,
        AndroidEmulatorTarget,
        AndroidDeviceTarget,
        IosSimulatorTarget,
        IosDeviceTarget,
        BrowserStackTarget,
        SauceLabsTarget,
        RemoteTarget,
    )
}

__all__ = [
    "FAKE_APP_XML",
    "KINDS",
    "AndroidAppTarget",
    "AndroidDeviceTarget",
    "AndroidEmulatorTarget",
    "AndroidVirtualTarget",
    "AppiumTarget",
    "BrowserStackTarget",
    "DebugHooks",
    "EitherPlatformTarget",
    "FakeTarget",
    "FarmTarget",
    "IosAppTarget",
    "IosDeviceTarget",
    "IosSimulatorTarget",
    "IosVirtualTarget",
    "PushPermission",
    "RemoteTarget",
    "ResetPolicy",
    "SauceLabsTarget",
    "Target",
    "TargetBase",
    "TargetError",
    "WebTarget",
    "emulator_endpoint",
]
