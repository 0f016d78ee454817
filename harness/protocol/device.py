"""The envelope's `device` object, per SDK (docs/web-sdk-wire.md, request-envelope; docs/mobile-wire.md,
envelope-and-device-object). Unknown keys are kept and shown as drift by the decoder.

The object is a diff: any key may be absent, so every field is optional. Types are what the SDKs send, and loose
where two SDKs differ (`remote_notification_enabled` is a boolean on Android, 1/0 on iOS): a value is kept as sent."""

from __future__ import annotations

from typing import Any

from braze_harness.protocol.events import Wire

# bool before int: an exact-type match wins in pydantic's smart unions, so `1` stays 1 and `True` stays True
Flag = bool | int


class Device(Wire):
    # every SDK
    os_version: str | int | None = None  # the browser's OS (Web), the API level (Android), iOS's version
    locale: str | None = None
    time_zone: str | None = None
    resolution: str | None = None  # Web, Android before 43 (its DeviceKey RESOLUTION)
    model: str | None = None  # Android, iOS
    carrier: str | None = None  # Android, iOS
    remote_notification_enabled: Flag | None = None  # Android (bool), iOS (1/0)
    ad_tracking_enabled: Flag | None = None  # Android, iOS
    # Web SDK
    browser: str | None = None
    browser_version: str | None = None
    user_agent: str | None = None
    # Android (com.braze.enums.DeviceKey)
    brand: str | None = None
    android_is_background_restricted: Flag | None = None
    google_ad_id: str | None = None
    # iOS (Swift SDK)
    ios_push_auth: str | None = None  # authorized | denied | provisional | ephemeral | not_determined
    idfv: str | None = None
    idfa: str | None = None

    def sent(self) -> dict[str, Any]:
        """The keys the SDK sent, as sent (unknown ones too): what the state merges into the device record."""
        fields = self.__dict__  # the declared fields (`__pydantic_fields_set__` names the extra keys too)
        out = {name: fields[name] for name in self.__pydantic_fields_set__ if name in fields}
        extra = self.__pydantic_extra__
        if extra:
            out.update(extra)
        return out
