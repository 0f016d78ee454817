"""A virtual device's push registration, as the SDKs keep it: the push token the OS handed the app, the OS
notification permission (and on iOS its authorization status), and whether `push_subscribe: opted_in` went out.

How it shows on the wire differs by platform (docs/mobile-wire.md, android-fcm and ios-apns): Android sends
`remote_notification_enabled` with the token, in the same request; iOS puts `ios_push_auth` and
`remote_notification_enabled` in the device object. The device (device.py) queues the attributes; this holds the
state and says what it looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from braze_harness.devices.virtual.profiles import PlatformProfile


@dataclass(slots=True)
class PushRegistration:
    token: str | None = None
    permission: bool | None = None  # the OS notification permission; None: not asked yet
    ios_auth: str | None = None  # `authorized` / `denied` / `provisional`
    opted_in_sent: bool = False

    def set_permission(self, granted: bool, ios_status: str | None) -> None:
        """The OS permission changed: a new grant sends `opted_in` again."""
        if self.permission is not granted:
            self.opted_in_sent = False
        self.permission = bool(granted)
        self.ios_auth = ios_status or ("authorized" if granted else "denied")

    def take_optin(self, when_authorized: bool) -> bool:
        """Whether `push_subscribe: opted_in` is due now ("when push is authorized the SDK sets push_subscribe
        opted_in": docs/mobile-wire.md, android-fcm; Swift `optInWhenPushAuthorized`); it is then counted as sent."""
        if when_authorized and self.permission and not self.opted_in_sent:
            self.opted_in_sent = True
            return True
        return False

    def enabled_value(self, profile: PlatformProfile) -> Any:
        """`remote_notification_enabled` as the platform writes it (Android a bool, iOS 1/0)."""
        return profile.push_enabled_true if self.permission else profile.push_enabled_false

    def device_fields(self, profile: PlatformProfile) -> dict[str, Any]:
        """What the permission adds to the device object (nothing before it was asked)."""
        fields: dict[str, Any] = {}
        if self.permission is not None:
            if profile.platform == "ios":
                fields["ios_push_auth"] = self.ios_auth
            if not profile.push_enabled_only_with_token:
                fields["remote_notification_enabled"] = self.enabled_value(profile)
        return fields

    def forget(self) -> None:
        """`wipeData()`: no token, never asked."""
        self.token = None
        self.permission = None
        self.ios_auth = None
        self.opted_in_sent = False
