"""The platform payloads of one push message: FCM data message (Android), APNs (iOS), Web Push (Braze service worker).

Facts (docs/mobile-wire.md, android-fcm, ios-apns and web-push): the FCM data keys from the Android SDK's
`com/braze/Constants`, APNs (`ab` dictionary, `ab_uri`; `.apns` files for `xcrun simctl push`), and the service worker
shipped in `@braze/service-worker` (`node_modules/@braze/service-worker/service-worker.js`, function `V`: it reads `t`,
`a`, `i`, `img`, `u`, `cid`, `e`, `ri`, `pab`, `ab_push_fetch_test_triggers_key`, `ab_cd`). What no source confirmed is
listed in `INFERRED`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

# the emulator's VAPID public key (base64url, uncompressed P-256 point), sent in the SDK config as `vapid_public_key`:
# the Web SDK waits for it before subscribing (docs/web-sdk-wire.md, push). Its private half was thrown away: no real
# push service ever receives a message signed by the emulator.
VAPID_PUBLIC_KEY = "BPjU5BgMXqG98iJfsY1DdotO6nGQcuHjCS5_t3i3eQdzV814eOKE3TIE68O0H9wdQ0Und0hHX4l3387wo75rERU"
SIMULATOR_TARGET_KEY = "Simulator Target Bundle"

# keys whose name or place is from memory of older Braze docs, not from a source read here
# (inferred: docs/mobile-wire.md, ios-apns)
INFERRED: dict[str, tuple[str, ...]] = {
    "apns": ("ab.c", "ab.att", "aps.mutable-content"),
    "fcm": ("ab_use_webview value 'true'/'false'", "n as a decimal string"),
    "web": (
        "the payload travelling as the push message's JSON data (the SW also supports fetching it from /web_push/)",
        "cid after the `<campaign id>_` prefix",
    ),
}


class PayloadError(ValueError):
    """A message that cannot become a payload; the message names the field."""


@dataclass(slots=True)
class PushMessage:
    """One message, whatever the platform. `extra`: key-value pairs handed to the app."""

    title: str | None = None
    body: str | None = None
    campaign_id: str | None = None
    uri: str | None = None
    use_webview: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    image_url: str | None = None
    custom_id: int | None = None  # Android notification id (`n`)
    sound: str | None = None
    badge: int | None = None

    def check(self, where: str = "message") -> None:
        if not isinstance(self.extra, dict):
            raise PayloadError(f"{where}.extra must be an object (Braze: 'Invalid Extra Push Payload')")
        if self.title is None and self.body is None:
            raise PayloadError(f"{where}: a push needs a title or a body (alert)")
        for key in ("title", "body", "campaign_id", "uri", "image_url", "sound"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise PayloadError(f"{where}.{key} must be a string")
        if self.custom_id is not None and (isinstance(self.custom_id, bool) or not isinstance(self.custom_id, int)):
            raise PayloadError(f"{where}.custom_id must be an integer")


def fcm_data(m: PushMessage) -> dict[str, str]:
    """The FCM data message Braze sends to Android: every value a string (FCM data values are strings)."""
    data: dict[str, str] = {"_ab": "true"}
    if m.title is not None:
        data["t"] = m.title
    if m.body is not None:
        data["a"] = m.body
    if m.campaign_id:
        data["cid"] = m.campaign_id
    if m.uri:
        data["uri"] = m.uri
        data["ab_use_webview"] = "true" if m.use_webview else "false"
    if m.extra:
        data["extra"] = json.dumps(m.extra, separators=(",", ":"))  # a JSON string over FCM (docs/mobile-wire.md, android-fcm)
    if m.image_url:
        data["ab_iu"] = m.image_url
    if m.custom_id is not None:
        data["n"] = str(m.custom_id)
    if m.sound:
        data["sd"] = m.sound
    if m.badge is not None:
        data["ab_bc"] = str(m.badge)
    return data


def fcm_message(token: str, m: PushMessage) -> dict[str, Any]:
    """What goes to FCM's HTTP v1 `messages:send` for one token (data-only: the Braze SDK builds the notification)."""
    return {"message": {"token": token, "data": fcm_data(m), "android": {"priority": "high"}}}


def apns_payload(m: PushMessage, *, bundle_id: str | None = None) -> dict[str, Any]:
    """The APNs JSON; with `bundle_id`, ready for `xcrun simctl push` (`"Simulator Target Bundle"`)."""
    alert: dict[str, str] = {}
    if m.title is not None:
        alert["title"] = m.title
    if m.body is not None:
        alert["body"] = m.body
    aps: dict[str, Any] = {"alert": alert}
    if m.sound:
        aps["sound"] = m.sound
    if m.badge is not None:
        aps["badge"] = m.badge
    ab: dict[str, Any] = {}
    if m.campaign_id:
        ab["c"] = m.campaign_id  # inferred: the campaign tracking id
    if m.image_url:
        aps["mutable-content"] = 1  # inferred: rich push goes through a Notification Service Extension
        ab["att"] = {"url": m.image_url, "type": _file_type(m.image_url)}  # inferred
    payload: dict[str, Any] = {}
    if bundle_id:
        payload[SIMULATOR_TARGET_KEY] = bundle_id
    payload["aps"] = aps
    payload["ab"] = ab  # an `ab` dictionary marks a Braze push (ABKPushUtils.m)
    if m.uri:
        payload["ab_uri"] = m.uri
        if m.use_webview:
            payload["ab_use_webview"] = True  # inferred
    for key, value in m.extra.items():
        if key in ("ab", "aps"):
            raise PayloadError(f"extra.{key}: apple_push extra may not contain the keys `ab` or `aps`")
        payload[key] = value  # extras are top-level keys of the APNs payload
    return payload


def web_tracking_id(campaign_id: str) -> str:
    """The web push `cid`: a base64 tracking string whose decoded text starts with `<campaign id>_`. The Web SDK
    matches a `push_click` trigger with `atob(cid).split("_")[0] === campaign_id` (triggers/models/
    trigger-condition.js `ef`), so a campaign id containing `_` can never match on the web. The part after
    `_` is ours (Braze's real layout of the rest is unknown)."""
    return base64.b64encode(f"{campaign_id}_web".encode()).decode()


def campaign_from_tracking(ident: str) -> str | None:
    """The campaign id inside a web push tracking string (None: not one)."""
    try:
        text = base64.b64decode(ident, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    head, sep, _ = text.partition("_")
    return head if sep and head else None


def web_push_payload(m: PushMessage) -> dict[str, Any]:
    """The JSON the Braze service worker turns into a notification (`service-worker.js` function `V`)."""
    data: dict[str, Any] = {"t": m.title or "", "a": m.body or ""}
    if m.campaign_id:
        data["cid"] = web_tracking_id(m.campaign_id)  # echoed as `pc {cid}` by the worker's notificationclick
    if m.uri:
        data["u"] = m.uri
    if m.image_url:
        data["img"] = m.image_url
    if m.extra:
        data["e"] = dict(m.extra)
    return data


def is_braze_push(payload: dict[str, Any]) -> bool:
    """What the SDKs check: Android `_ab == "true"` in the data; iOS a non-empty `ab` dictionary; web a `cid`/`t`."""
    if payload.get("_ab") == "true":
        return True
    ab = payload.get("ab")
    return isinstance(ab, dict) and bool(ab)


def campaign_of(payload: dict[str, Any]) -> str | None:
    """The campaign id an opened push logs as `pc {cid}` (FCM `cid`, APNs `ab.c` (inferred), web `cid`)."""
    if isinstance(payload.get("cid"), str):
        return payload["cid"]
    ab = payload.get("ab")
    if isinstance(ab, dict) and isinstance(ab.get("c"), str):
        return ab["c"]
    return None


def _file_type(url: str) -> str:
    tail = url.rsplit("?", 1)[0].rsplit(".", 1)
    return tail[1].lower() if len(tail) == 2 and len(tail[1]) <= 4 else "jpg"
