"""Per-platform wire profiles: what makes an Android 43.x request differ from a Swift 18.x one.

Facts: (docs/mobile-wire.md, envelope-and-device-object, headers, differences-from-the-web-sdk and push-payloads);
what no source confirmed is marked inferred.

Android 43:
* `device_id` a lowercase UUID; envelope `time` int seconds; `ss` with `"data": {}`;
* at most 32 events per request ("Max number of events per dispatch reached: 32");
* device keys `os_version` (API level), `carrier`, `brand`, `model`, `locale`, `time_zone`,
  `android_is_background_restricted`, and `remote_notification_enabled` only in a request that also
  carries a push token; the token is an FCM registration token (`<id>:APA91b…`);
* headers `X-Braze-DataRequest`, `X-Braze-TriggersRequest`, `X-Braze-ContentCardsRequest` +
  `BRAZE-SYNC-RETRY-COUNT`, `X-Braze-FeatureFlagsRequest`; HTTP/1.1 `HttpURLConnection`,
  `User-Agent: Dalvik/…`, `Accept-Encoding: gzip, deflate`.

iOS (Swift 18):
* `device_id` an uppercase UUID; envelope `time` float seconds; `ss` without `data`; no documented
  cap on events per request;
* device keys `ios_push_auth`, `remote_notification_enabled` (1/0), and (inferred) `model`, `os_version`,
  `locale`, `time_zone`; the token is an APNs token (64 hex digits);
* the same headers as URLSession capitalises them (`X-Braze-Datarequest`, …); HTTP/2 over TLS,
  `User-Agent: <App>/<build> CFNetwork/… Darwin/…`, `Accept-Encoding: gzip, deflate, br`.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Platform = Literal["android", "ios"]

# canonical header name -> spelling; the decoder lower-cases names, so this is cosmetic but faithful
ANDROID_HEADERS: Mapping[str, str] = {
    "data": "X-Braze-DataRequest",
    "triggers": "X-Braze-TriggersRequest",
    "content_cards": "X-Braze-ContentCardsRequest",
    "sync_retry_count": "BRAZE-SYNC-RETRY-COUNT",
    "feature_flags": "X-Braze-FeatureFlagsRequest",
    "banners": "X-Braze-BannersRequest",
}
IOS_HEADERS: Mapping[str, str] = {
    "data": "X-Braze-Datarequest",
    "triggers": "X-Braze-Triggersrequest",
    "content_cards": "X-Braze-Contentcardsrequest",
    "sync_retry_count": "Braze-Sync-Retry-Count",
    "feature_flags": "X-Braze-Featureflagsrequest",
    "banners": "X-Braze-Bannersrequest",
}

_FCM_ALPHABET = string.ascii_letters + string.digits + "-_"


def fcm_token() -> str:
    """A token shaped like an FCM registration token (`<22 chars>:APA91b<134 chars>`)."""
    head = "".join(secrets.choice(_FCM_ALPHABET) for _ in range(22))
    tail = "".join(secrets.choice(_FCM_ALPHABET) for _ in range(134))
    return f"{head}:APA91b{tail}"


def apns_token() -> str:
    """An APNs device token as the Swift SDK sends it: 64 lowercase hex digits."""
    return secrets.token_hex(32)


@dataclass(frozen=True, slots=True)
class PlatformProfile:
    platform: Platform
    sdk_version: str
    uppercase_ids: bool
    envelope_time_is_float: bool
    ss_has_data: bool
    max_events_per_request: int | None
    device: Mapping[str, Any]
    # Android: `remote_notification_enabled` only travels next to a push token (docs/mobile-wire.md, envelope-and-device-object)
    push_enabled_only_with_token: bool
    push_enabled_true: Any  # the wire value of "enabled": True on Android, 1 on iOS
    push_enabled_false: Any
    user_agent: str
    accept_encoding: str
    headers: Mapping[str, str]
    app_version: str
    app_version_code: str
    sdk_metadata: tuple[str, ...] | None = None
    flush_interval: float = 10.0  # Android "great network" default; Swift "every few seconds"
    change_user_attributes: bool = False  # Android 43: changeUser also sends `attributes: [{"user_id": ...}]`
    dob_as_datetime: bool = False  # Swift 18: `dob` as `1990-07-04T00:00:00Z` (docs/mobile-wire.md, date-of-birth)
    http2: bool = False  # only over TLS (httpx negotiates h2 by ALPN)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def new_uuid(self) -> str:
        value = str(uuid.uuid4())
        return value.upper() if self.uppercase_ids else value

    def envelope_time(self, now: float) -> int | float:
        return now if self.envelope_time_is_float else int(now)

    def new_push_token(self) -> str:
        return apns_token() if self.platform == "ios" else fcm_token()

    def with_(self, **changes: Any) -> PlatformProfile:
        """A copy with some fields changed (`ANDROID.with_(sdk_version="43.1.0")`)."""
        return replace(self, **changes)


ANDROID = PlatformProfile(
    platform="android",
    sdk_version="43.0.0",
    uppercase_ids=False,
    envelope_time_is_float=False,
    ss_has_data=True,
    max_events_per_request=32,
    device={
        "os_version": "34",
        "carrier": "Android",
        "brand": "google",
        "model": "sdk_gphone64_x86_64",
        "locale": "en_US",
        "time_zone": "UTC",
        "android_is_background_restricted": False,
    },
    push_enabled_only_with_token=True,
    push_enabled_true=True,
    push_enabled_false=False,
    user_agent="Dalvik/2.1.0 (Linux; U; Android 14; sdk_gphone64_x86_64 Build/UE1A.230829.036)",
    accept_encoding="gzip, deflate",
    headers=ANDROID_HEADERS,
    app_version="1.0.0",
    app_version_code="1.0.0.0",
    flush_interval=10.0,
    change_user_attributes=True,
)

IOS = PlatformProfile(
    platform="ios",
    sdk_version="18.0.0",
    uppercase_ids=True,
    envelope_time_is_float=True,
    ss_has_data=False,
    max_events_per_request=None,
    device={
        "model": "iPhone16,2",
        "os_version": "18.0",
        "locale": "en_US",
        "time_zone": "UTC",
    },
    push_enabled_only_with_token=False,
    push_enabled_true=1,
    push_enabled_false=0,
    user_agent="VirtualApp/1 CFNetwork/1568.100.1 Darwin/24.0.0",
    accept_encoding="gzip, deflate, br",
    headers=IOS_HEADERS,
    app_version="1.0.0",
    app_version_code="1.0.0.0",
    sdk_metadata=("manu",),
    flush_interval=5.0,
    http2=True,
    dob_as_datetime=True,
)

PROFILES: Mapping[str, PlatformProfile] = {"android": ANDROID, "ios": IOS}


def profile_for(platform: str | PlatformProfile) -> PlatformProfile:
    if isinstance(platform, PlatformProfile):
        return platform
    try:
        return PROFILES[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(PROFILES)}") from None
