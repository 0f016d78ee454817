"""Push sends: users, a segment or everyone in a scope -> one delivery per push token held, kept in a per-device outbox.

The edge we cannot reach is FCM/APNs/the browser push service, so a delivery stops in the outbox: virtual
devices drain it (`devices/virtual/push.py`), `.apns` files take it to an iOS simulator (`xcrun simctl push`),
and the adb broadcast description takes it to an Android emulator. Who gets a push follows Braze's rules
(docs/server-behaviour.md, push-subscription): the token must be foreground-enabled (`notifications_enabled`) and the
user `subscribed` or `opted_in` (REST `recipient_subscription_state`, default "subscribed" = both).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from braze_harness.emulator.stores import StateStore
from braze_harness.protocol.push import (
    PayloadError,
    PushMessage,
    apns_payload,
    fcm_data,
    web_push_payload,
)

PLATFORMS = ("android", "ios", "web")
SUBSCRIPTION_STATES = ("opted_in", "subscribed", "all")
OUTBOX_CAP = 1000  # deliveries kept per device (oldest dropped first)
_APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64}$")


class PushSendError(ValueError):
    """Bad send input; `field` names what is wrong (REST answers 400 with it)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def token_platform(token: str, app_platform: str | None) -> str:
    """android / ios / web for a token: the app's platform when it says so, else the token's shape
    (a web token is the push endpoint URL; an APNs token 64 hex digits; anything else an FCM token)."""
    if app_platform in ("android", "ios"):
        return app_platform
    if token.startswith(("https://", "http://")):
        return "web"
    if _APNS_TOKEN.match(token):
        return "ios"
    return "android"


@dataclass(slots=True)
class PushDelivery:
    id: str
    dispatch_id: str
    campaign_id: str | None
    platform: str
    app: str  # api key
    device_id: str
    token: str
    braze_id: str
    external_id: str | None
    payload: dict[str, Any]
    sent_at: float
    # web: what a sender needs to encrypt to the subscription (RFC 8291): the keys the SDK sent with the token
    web_push_keys: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        extra = {"web_push_keys": self.web_push_keys} if self.web_push_keys is not None else {}
        return {
            **extra,
            "id": self.id,
            "dispatch_id": self.dispatch_id,
            "campaign_id": self.campaign_id,
            "platform": self.platform,
            "app": self.app,
            "device_id": self.device_id,
            "token": self.token,
            "braze_id": self.braze_id,
            "external_id": self.external_id,
            "payload": self.payload,
            "sent_at": self.sent_at,
        }


@dataclass(slots=True)
class SendResult:
    dispatch_id: str
    campaign_id: str | None
    deliveries: list[PushDelivery] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # recipients/tokens not sent to, with the reason
    # an API-triggered send (messaging/api_trigger.py): the cards it placed, the users who entered its canvas
    cards: list[dict[str, Any]] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dispatch_id": self.dispatch_id,
            "campaign_id": self.campaign_id,
            "deliveries": [d.to_json() for d in self.deliveries],
            "skipped": self.skipped,
            **({"cards": self.cards} if self.cards else {}),
            **({"entered": self.entered} if self.entered else {}),
        }


@dataclass(slots=True)
class _ScopePush:
    outboxes: dict[str, deque[PushDelivery]] = field(default_factory=dict)  # device id -> deliveries not yet drained
    sent: dict[str, int] = field(default_factory=dict)  # campaign id -> deliveries made
    dispatches: dict[str, SendResult] = field(default_factory=dict)


REST_APPLE_MAX_BYTES = 1912
REST_ANDROID_MAX_BYTES = 4000


def parse_messages(raw: Any, where: str = "messages") -> dict[str, PushMessage]:
    """`{"android_push": {...}, "apple_push": {...}, "web_push": {...}}` (Braze REST objects) -> PushMessage per platform."""
    if not isinstance(raw, dict) or not raw:
        raise PushSendError(f"{where} must be an object with android_push, apple_push and/or web_push", where)
    unknown = set(raw) - {"android_push", "apple_push", "web_push"}
    if unknown:
        raise PushSendError(
            f"{where}: unsupported message type(s) {sorted(unknown)}; this emulator sends android_push, apple_push, web_push",
            f"{where}.{sorted(unknown)[0]}",
        )
    out: dict[str, PushMessage] = {}
    for key, platform in (("android_push", "android"), ("apple_push", "ios"), ("web_push", "web")):
        if key in raw:
            out[platform] = _rest_message(raw[key], f"{where}.{key}", platform)
    return out


def _rest_message(obj: Any, where: str, platform: str) -> PushMessage:
    if not isinstance(obj, dict):
        raise PushSendError(f"{where} must be an object", where)
    alert = obj.get("alert")
    title = obj.get("title")
    if isinstance(alert, dict):  # apple_push alert object
        title = alert.get("title", title)
        alert = alert.get("body")
    if platform == "android" and (alert is None or title is None):
        missing = "alert" if alert is None else "title"
        raise PushSendError(f"{where}: android_push needs `alert` and `title`", f"{where}.{missing}")
    if alert is None and title is None:
        raise PushSendError(f"{where}: `alert` is required", f"{where}.alert")
    extra = obj.get("extra", {})
    if not isinstance(extra, dict):
        raise PushSendError(f"{where}.extra: Invalid Extra Push Payload (must be an object)", f"{where}.extra")
    extra = dict(extra)
    image = obj.get("image_url") or obj.get("asset_url") or obj.get("push_icon_image_url") or extra.get("appboy_image_url")
    message = PushMessage(
        title=title,
        body=alert,
        uri=obj.get("custom_uri"),
        use_webview=bool(obj.get("use_webview", False)),
        extra=extra,
        image_url=image,
        custom_id=obj.get("notification_id"),
        sound=obj.get("sound"),
        badge=obj.get("badge"),
    )
    try:
        message.check(where)
        if platform == "ios":
            apns_payload(message)  # `extra` keys APNs forbids, named here by the REST key (`apple_push`)
    except PayloadError as exc:
        raise PushSendError(str(exc), where) from None
    # Braze refuses a push whose JSON is over 1,912 (iOS) / 4,000 (Android) bytes (docs/server-behaviour.md, rest-errors);
    # measured here on the payload the emulator builds, an approximation of Braze's own count
    limit = {"ios": (REST_APPLE_MAX_BYTES, "Apple"), "android": (REST_ANDROID_MAX_BYTES, "Android")}.get(platform)
    if limit is not None:
        built = apns_payload(message) if platform == "ios" else fcm_data(message)
        size = len(orjson.dumps(built))
        if size > limit[0]:
            raise PushSendError(f"{limit[1]} Push Length Exceeded: {size} bytes, at most {limit[0]}", where)
    return message


class PushService:
    """Deliveries and outboxes. Who is a candidate (a scope's profiles, a segment's members) is decided by the
    caller (messaging) and handed in: push never looks up messaging."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self._scopes: dict[str, _ScopePush] = {}
        self._lock = threading.RLock()

    def _of(self, scope: str) -> _ScopePush:
        return self._scopes.setdefault(scope, _ScopePush())

    # -- sending ----------------------------------------------------------------------------------

    @staticmethod
    def check_recipients(
        *,
        external_ids: list[str] | None = None,
        segment_id: str | None = None,
        broadcast: bool = False,
        recipient_subscription_state: str = "subscribed",
    ) -> None:
        """Refuse recipients that are wrong whatever is sent (PushSendError naming the field)."""
        if recipient_subscription_state not in SUBSCRIPTION_STATES:
            raise PushSendError(
                f"recipient_subscription_state must be one of {', '.join(SUBSCRIPTION_STATES)}", "recipient_subscription_state"
            )
        if external_ids is not None and (
            not isinstance(external_ids, list) or not all(isinstance(i, str) and i for i in external_ids)
        ):
            raise PushSendError("external_user_ids must be a list of non-empty strings", "external_user_ids")
        if external_ids is not None and len(external_ids) > 50:
            raise PushSendError("The max number of external_ids and aliases per request was exceeded (50)", "external_user_ids")
        if not external_ids and segment_id is None and not broadcast:
            raise PushSendError("No Recipients: give external_user_ids, segment_id or broadcast: true", "external_user_ids")
        if broadcast and external_ids:
            raise PushSendError("broadcast: true may not come with a recipients list", "broadcast")

    @staticmethod
    def check(
        messages: dict[str, PushMessage],
        *,
        external_ids: list[str] | None = None,
        segment_id: str | None = None,
        broadcast: bool = False,
        recipient_subscription_state: str = "subscribed",
    ) -> None:
        """Refuse a send that is wrong whoever receives it (PushSendError naming the field)."""
        PushService.check_recipients(
            external_ids=external_ids,
            segment_id=segment_id,
            broadcast=broadcast,
            recipient_subscription_state=recipient_subscription_state,
        )
        if not messages:
            raise PushSendError("No message to send", "messages")
        for platform, message in messages.items():
            if platform not in PLATFORMS:
                raise PushSendError(f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}", "messages")
            try:
                message.check(f"messages.{platform}")
                if platform == "ios":
                    apns_payload(message)  # `extra` keys that APNs forbids
            except PayloadError as exc:
                raise PushSendError(str(exc), f"messages.{platform}") from None

    def send(
        self,
        scope: str | None,
        messages: dict[str, PushMessage],
        candidates: list[dict[str, Any]],
        *,
        external_ids: list[str] | None = None,
        members: set[str] | None = None,
        campaign_id: str | None = None,
        recipient_subscription_state: str = "subscribed",
        dispatch_id: str | None = None,
    ) -> SendResult:
        """Send `messages` (per platform) to the `candidates` (profile views) named by `external_ids`, or who are
        `members` (braze ids of a segment), or all of them. Users and a segment together: the listed users who
        are in the segment (REST semantics). Call `check` first. `dispatch_id`: part of a batch sent one user at a
        time (an API-triggered send, each user's message rendered for them), recorded whole by `record`."""
        with self._lock:
            result = SendResult(dispatch_id=dispatch_id or secrets.token_hex(12), campaign_id=campaign_id)
            chosen = self.recipients(candidates, external_ids, members, result)
            sp = self._of(scope or "")
            prior = sp.dispatches.get(result.dispatch_id)
            numbered = len(prior.deliveries) if prior is not None else 0
            now = time.time()
            for profile in chosen:
                state = profile["attributes"].get("push_subscribe") or "subscribed"
                # "all" sends to unsubscribed users too (Braze: for transactional messages); "opted_in" only to them
                unsubscribed = state == "unsubscribed" and recipient_subscription_state != "all"
                if unsubscribed or (recipient_subscription_state == "opted_in" and state != "opted_in"):
                    result.skipped.append(_skip(profile, f"push subscription state is {state}"))
                    continue
                if not profile["push_tokens"]:
                    result.skipped.append(_skip(profile, "no push token"))
                for token in profile["push_tokens"]:
                    platform = token_platform(token["token"], token.get("platform"))
                    if not token["notifications_enabled"]:
                        result.skipped.append(_skip(profile, "push disabled in the OS (foreground flag cleared)", token))
                        continue
                    message = messages.get(platform)
                    if message is None:
                        result.skipped.append(_skip(profile, f"no {platform} message in this send", token))
                        continue
                    message = _with_campaign(message, campaign_id)
                    delivery = PushDelivery(
                        id=f"{result.dispatch_id}-{numbered + len(result.deliveries) + 1}",
                        dispatch_id=result.dispatch_id,
                        campaign_id=campaign_id,
                        platform=platform,
                        app=token["app"],
                        device_id=token["device_id"],
                        token=token["token"],
                        braze_id=profile["braze_id"],
                        external_id=profile["external_id"],
                        payload=payload_for(platform, message),
                        sent_at=now,
                        web_push_keys=self._web_keys(profile["braze_id"], token) if platform == "web" else None,
                    )
                    result.deliveries.append(delivery)
                    sp.outboxes.setdefault(delivery.device_id, deque(maxlen=OUTBOX_CAP)).append(delivery)
            if campaign_id is not None:
                sp.sent[campaign_id] = sp.sent.get(campaign_id, 0) + len(result.deliveries)
            if prior is not None:
                prior.deliveries.extend(result.deliveries)
                prior.skipped.extend(result.skipped)
            else:
                sp.dispatches[result.dispatch_id] = result
            return result

    def record(self, scope: str, result: SendResult) -> None:
        """Keep a batch's whole result under its dispatch id (its pushes were sent by `send` with that id)."""
        with self._lock:
            self._of(scope).dispatches[result.dispatch_id] = result

    def _web_keys(self, braze_id: str, token: dict[str, Any]) -> dict[str, Any]:
        """`custom_push_public_key` (p256dh), `custom_push_user_auth` (auth), `custom_push_vapid_public_key`, as stored
        with the token (the profile view does not show them; Braze's export does not either)."""
        found = self.state.profiles(braze_id=braze_id)
        stored = found[0].push_tokens.get((token["app"], token["device_id"])) if found else None
        keys = stored.keys if stored is not None else {}
        return {
            "p256dh": keys.get("custom_push_public_key"),
            "auth": keys.get("custom_push_user_auth"),
            "vapid_public_key": keys.get("custom_push_vapid_public_key"),
        }

    @staticmethod
    def recipients(
        profiles: list[dict[str, Any]], external_ids: list[str] | None, members: set[str] | None, result: SendResult
    ) -> list[dict[str, Any]]:
        if external_ids:
            by_id = {p["external_id"]: p for p in profiles if p["external_id"]}
            chosen = []
            for ext in dict.fromkeys(external_ids):  # the same user twice gets one send
                profile = by_id.get(ext)
                if profile is None:
                    result.skipped.append({"external_id": ext, "reason": "no such user"})
                elif members is not None and profile["braze_id"] not in members:
                    result.skipped.append(_skip(profile, "not in the segment"))
                else:
                    chosen.append(profile)
            return chosen
        if members is not None:
            return [p for p in profiles if p["braze_id"] in members]
        return profiles

    # -- the outbox ---------------------------------------------------------------------------------

    def outbox(self, scope: str, device_id: str, *, drain: bool = False) -> list[PushDelivery]:
        """Deliveries waiting for `device_id` (peek), or taken out of the outbox (`drain`)."""
        with self._lock:
            box = self._of(scope).outboxes.get(device_id)
            if not box:
                return []
            found = list(box)
            if drain:
                box.clear()
            return found

    def campaign_ids(self, scope: str) -> set[str]:
        with self._lock:
            return set(self._of(scope).sent)

    def sent(self, scope: str, campaign_id: str) -> int:
        with self._lock:
            return self._of(scope).sent.get(campaign_id, 0)

    def dispatch(self, scope: str, dispatch_id: str) -> SendResult | None:
        with self._lock:
            return self._of(scope).dispatches.get(dispatch_id)

    def drop(self, scope: str | None = None) -> None:
        with self._lock:
            if scope is None:
                self._scopes.clear()
            else:
                self._scopes.pop(scope, None)


def payload_for(platform: str, message: PushMessage) -> dict[str, Any]:
    if platform == "android":
        return fcm_data(message)
    if platform == "ios":
        return apns_payload(message)
    return web_push_payload(message)


def _with_campaign(message: PushMessage, campaign_id: str | None) -> PushMessage:
    if campaign_id is None or message.campaign_id == campaign_id:
        return message
    from dataclasses import replace

    return replace(message, campaign_id=campaign_id)


def _skip(profile: dict[str, Any], reason: str, token: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {"external_id": profile["external_id"], "braze_id": profile["braze_id"], "reason": reason}
    if token is not None:
        out["device_id"] = token["device_id"]
    return out
