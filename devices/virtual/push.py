"""Pushes on a virtual device: the notification tray, fed from the emulator's outbox, and opening a push.

FCM/APNs are the edge we cannot reach, so the emulator keeps each delivery in a per-device outbox
(`harness/emulator/push`) and `PushReceiver.poll()` drains it, the way the OS would hand the app its
messages. Each payload is read the way the SDKs read it (docs/mobile-wire.md, android-fcm and ios-apns):

* Android: an FCM data message is a Braze push when `_ab == "true"`; `t`/`a` title and body, `cid` campaign,
  `uri` deep link, `extra` a JSON string of key-values;
* iOS: a Braze push has a non-empty `ab` dictionary; `aps.alert{title, body}`, `ab.c` campaign (inferred), `ab_uri`,
  extras are the other top-level keys.

A push reaches the tray only when the device holds the token it was sent to and notifications are allowed
(a push to a stale token is what Braze would see bounce). Opening it logs `pc {cid}` and brings the app to
the foreground (the SDKs flush on session start); the device's messaging engine (`devices/virtual/messaging.py`)
sees the `pc` and performs the in-app messages triggered by `push_click` on that campaign.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from braze_harness.devices.virtual.device import VirtualDevice

_APNS_BRAZE_KEYS = ("aps", "ab", "ab_uri", "ab_use_webview", "Simulator Target Bundle")
Fetch = Callable[[str], list[dict[str, Any]]]  # device id -> deliveries taken out of the outbox


@dataclass(slots=True)
class ReceivedPush:
    id: str | None
    platform: str
    braze: bool  # a Braze push (the SDK handles it) or another provider's (left to the app)
    campaign_id: str | None
    title: str | None
    body: str | None
    uri: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    shown: bool = True  # False: received while notifications are off (nothing in the tray)
    opened: bool = False


def parse_payload(platform: str, payload: dict[str, Any], delivery_id: str | None = None) -> ReceivedPush:
    """Read a payload as the platform's SDK does."""
    if platform == "ios":
        aps = payload.get("aps") if isinstance(payload.get("aps"), dict) else {}
        alert = aps.get("alert")
        title, body = (alert.get("title"), alert.get("body")) if isinstance(alert, dict) else (None, alert)
        ab = payload.get("ab")
        braze = isinstance(ab, dict) and bool(ab)
        extra = {k: v for k, v in payload.items() if k not in _APNS_BRAZE_KEYS}
        cid = ab.get("c") if braze else None
        return ReceivedPush(delivery_id, platform, braze, cid, title, body, payload.get("ab_uri"), extra, dict(payload))
    braze = payload.get("_ab") == "true"
    extra: dict[str, Any] = {}
    raw_extra = payload.get("extra")
    if isinstance(raw_extra, str) and raw_extra:
        try:
            parsed = json.loads(raw_extra)
            extra = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            extra = {}  # the SDK logs and ignores a malformed `extra`
    return ReceivedPush(
        delivery_id,
        platform,
        braze,
        payload.get("cid"),
        payload.get("t"),
        payload.get("a"),
        payload.get("uri"),
        extra,
        dict(payload),
    )


class PushReceiver:
    """The device's notification tray; `fetch` takes the device's deliveries out of the emulator outbox."""

    def __init__(self, device: VirtualDevice, fetch: Fetch | None = None) -> None:
        self.device = device
        self.fetch = fetch
        self.tray: list[ReceivedPush] = []
        self.ignored: list[dict[str, Any]] = []  # deliveries the device could not take (stale token, other platform)

    def poll(self) -> list[ReceivedPush]:
        """Take what the outbox holds for this device into the tray; returns the new pushes shown."""
        if self.fetch is None:
            raise RuntimeError("this device has no push source (make it with a test's `braze`, or pass fetch=)")
        before = {id(p) for p in self.tray}
        got = [self.receive(d) for d in self.fetch(self.device.device_id)]
        # a delivery already in the tray (handed over explicitly, then drained too) is not new
        return [p for p in got if p is not None and p.shown and id(p) not in before]

    def receive(self, delivery: dict[str, Any]) -> ReceivedPush | None:
        """One delivery (as the emulator's outbox lists it) arriving from FCM/APNs."""
        device = self.device
        known = next((p for p in self.tray if delivery.get("id") is not None and p.id == delivery.get("id")), None)
        if known is not None:
            return known  # handed over explicitly and then drained from the outbox too: one notification
        if delivery.get("platform") != device.platform:
            self.ignored.append({**delivery, "reason": f"a {delivery.get('platform')} push on a {device.platform} device"})
            return None
        if delivery.get("token") != device.push_token:
            self.ignored.append({**delivery, "reason": "sent to a token this device no longer holds"})
            return None
        push = parse_payload(device.platform, delivery.get("payload") or {}, delivery.get("id"))
        push.shown = bool(device.push_permission)
        self.tray.append(push)
        return push

    def latest(self) -> ReceivedPush | None:
        shown = [p for p in self.tray if p.shown and not p.opened]
        return shown[-1] if shown else None

    def open(self, push: ReceivedPush | str | None = None) -> ReceivedPush:
        """Tap a notification (default: the latest unopened one; or by delivery id): `pc {cid}` for a Braze push,
        the app to the foreground, then the `push_click` IAM triggers of its campaign."""
        chosen = self._find(push)
        if chosen.opened:
            raise ValueError(f"push {chosen.id} was already opened")
        if not chosen.shown:
            raise ValueError(f"push {chosen.id} arrived while notifications were off: nothing to tap")
        chosen.opened = True
        if chosen.braze and chosen.campaign_id:
            # the device's messaging engine sees the `pc` and performs the `push_click` IAM triggers of the campaign
            self.device.log_push_open(chosen.campaign_id, open_app=True)
        else:
            self.device.open_session()  # not Braze's: the app opens, nothing is logged by the SDK
        return chosen

    def _find(self, push: ReceivedPush | str | None) -> ReceivedPush:
        if isinstance(push, ReceivedPush):
            return push
        if push is None:
            found = self.latest()
            if found is None:
                raise LookupError("no unopened push in the tray (did the device poll its outbox?)")
            return found
        for p in self.tray:
            if p.id == push:
                return p
        raise LookupError(f"no push {push!r} in the tray")
