"""Virtual Braze SDK devices: Python clients that speak the Android (43.x) and Swift (18.x) wire protocol.

`VirtualDevice` is the SDK (sessions, queue, flush, retries, push); `VirtualDeviceAdapter` puts it
behind the suites' `AppAdapter` (`--braze-adapter braze_harness.devices.virtual.adapter:android_app` / `ios_app`).
"""

from braze_harness.devices.virtual.clock import DeviceClock
from braze_harness.devices.virtual.device import FlushPolicy, PushUnregistrationError, VirtualDevice
from braze_harness.devices.virtual.profiles import ANDROID, IOS, PlatformProfile, apns_token, fcm_token, profile_for
from braze_harness.devices.virtual.transport import Attempt, Backoff, Delivery, Transport

__all__ = [
    "ANDROID",
    "IOS",
    "Attempt",
    "Backoff",
    "Delivery",
    "DeviceClock",
    "FlushPolicy",
    "PlatformProfile",
    "PushUnregistrationError",
    "Transport",
    "VirtualDevice",
    "apns_token",
    "fcm_token",
    "profile_for",
]
