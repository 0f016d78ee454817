"""Which SDK sent a request: `android`, `ios` or `web` (docs/mobile-wire.md, which-sdk-sent-it).

Used when a request arrives with an api key the emulator does not know and the app is created for it. Decided, in
this order, from what the real SDKs send:

1. the `device` object's platform-only keys (Android `brand`, `android_is_background_restricted`, `google_ad_id`;
   iOS `ios_push_auth`, `idfv`, `idfa`; Web `browser`, `browser_version`, `user_agent`);
2. the `User-Agent` header: Android's `HttpURLConnection` sends `Dalvik/…` (OkHttp-based wrappers `okhttp/…`), the
   Swift SDK's URLSession `<App>/<build> CFNetwork/… Darwin/…`, a browser `Mozilla/…`;
3. an upper-case UUID `device_id`: the Swift SDK's (Android's and the Web SDK's are lower-case);
4. otherwise `web`, the emulator's default; an app created on that default alone takes the platform of the first
   later request that decides it (a log-only capture, say, whose first request has neither `device` nor agent).

`sdk_flavor` names a wrapper (React Native, Flutter, Unity, …), which runs on either OS: it decides nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from braze_harness.protocol.device import Device

Platform = Literal["android", "ios", "web"]

_ANDROID_KEYS = frozenset({"brand", "android_is_background_restricted", "google_ad_id"})
_IOS_KEYS = frozenset({"ios_push_auth", "idfv", "idfa"})
_WEB_KEYS = frozenset({"browser", "browser_version", "user_agent"})
_UPPER_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def sdk_platform(headers: Mapping[str, str], device: Device | None, device_id: str | None) -> Platform:
    """The platform of the SDK that sent a request; `headers` with lower-cased names (as normalized)."""
    return platform_signal(headers, device, device_id) or "web"


def platform_signal(headers: Mapping[str, str], device: Device | None, device_id: str | None) -> Platform | None:
    """The platform the request itself shows (rules 1-3 above), None if nothing in it decides."""
    if device is not None:
        sent = device.__pydantic_fields_set__
        if not sent.isdisjoint(_ANDROID_KEYS):
            return "android"
        if not sent.isdisjoint(_IOS_KEYS):
            return "ios"
        if not sent.isdisjoint(_WEB_KEYS):
            return "web"
    agent = headers.get("user-agent", "")
    if agent.startswith(("Dalvik/", "okhttp/")):
        return "android"
    if "CFNetwork/" in agent:
        return "ios"
    if agent.startswith("Mozilla/"):
        return "web"
    if device_id and _UPPER_UUID.match(device_id):
        return "ios"
    return None
