"""`VirtualDevice`: a Python client that behaves like the Braze Android (43.x) or Swift (18.x) SDK on the wire.

    device = VirtualDevice("android", api_key=key, base_url="http://127.0.0.1:9090")
    device.open_session()                      # `ss` (+ the late `se` of an expired session), sent at once
    device.change_user("ada")                  # `se` of the current session + `ss` for ada
    device.log_custom_event("song_played", {"genre": "jazz"})
    device.request_immediate_data_flush()
    device.close_session(); device.advance(15) # background for 15 s: the session is over...
    device.open_session()                      # ...and its `se` goes out now, with the next `ss`

Everything runs in the caller's thread (no timers): a flush happens on session start, on
`close_session()`, on `request_immediate_data_flush()`, on push registration, and when the flush
interval has passed on the device clock at the next call (`FlushPolicy`). Facts: mobile.md A, C.1,
C.2; braze-behaviour.md §1.3–1.5, §2.3. Where the wire format is inferred, the module says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devices.virtual.clock import DeviceClock
from devices.virtual.messaging import MessagingEngine
from devices.virtual.outbound import Batch, OutboundQueue
from devices.virtual.profiles import PlatformProfile, profile_for
from devices.virtual.session import Session, SessionManager
from devices.virtual.transport import Attempt, Backoff, Delivery, Transport
from harness.protocol import Endpoint, Problem, decode, decode_response
from harness.protocol.attributes import STANDARD_ATTRIBUTES
from harness.protocol.responses import DataResponse, ServerConfig

_MISSING: Any = object()
GENDERS = {"male": "m", "female": "f", "other": "o", "unknown": "u", "not_applicable": "n", "prefer_not_to_say": "p"}
MAX_PURCHASE_QUANTITY = 100  # braze-behaviour.md §0


class PushUnregistrationError(Exception):
    """`push/unregister` failed; the SDKs do not retry it (Android `BrazePushUnregistrationException`)."""

    def __init__(self, message: str, *, retriable: bool, status: int | None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.status = status


@dataclass(slots=True)
class FlushPolicy:
    """When queued data goes out without `request_immediate_data_flush()`."""

    interval: float | None = None  # device seconds since the last flush; None = the platform's default
    on_session_start: bool = True  # session start requests go out at once (triggers, config)
    on_close: bool = True  # the app going to the background flushes what is queued
    on_push_token: bool = True  # "sent immediately and asynchronously" (mobile.md C.2)


class VirtualDevice:
    def __init__(
        self,
        platform: str | PlatformProfile = "android",
        *,
        api_key: str,
        base_url: str,
        device_id: str | None = None,
        session_timeout: float = 10.0,
        clock: DeviceClock | None = None,
        flush: FlushPolicy | None = None,
        device: Mapping[str, Any] | None = None,
        app_version: str | None = None,
        app_version_code: str | None = None,
        sdk_version: str | None = None,
        proxy: str | None = None,
        verify: Any = True,
        http2: bool | None = None,
        max_attempts: int = 5,
        max_real_wait: float = 30.0,
        seed: int | None = None,
        auto_sync: bool = True,
        check_wire: bool = True,
        optin_when_push_authorized: bool = True,
        timeout: float = 15.0,
    ) -> None:
        self.profile = profile_for(platform)
        self.api_key = api_key
        self.clock = clock or DeviceClock()
        self._device_id = device_id or self.profile.new_uuid()
        self.sdk_version = sdk_version or self.profile.sdk_version
        self.app_version = app_version or self.profile.app_version
        self.app_version_code = app_version_code or self.profile.app_version_code
        self.flush_policy = dataclasses.replace(flush) if flush is not None else FlushPolicy()  # own copy
        if self.flush_policy.interval is None:
            self.flush_policy.interval = self.profile.flush_interval
        self.auto_sync = auto_sync
        self.optin_when_push_authorized = optin_when_push_authorized
        self.transport = Transport(
            base_url,
            clock=self.clock,
            user_agent=self.profile.user_agent,
            accept_encoding=self.profile.accept_encoding,
            proxy=proxy,
            verify=verify,
            http2=self.profile.http2 if http2 is None else http2,
            timeout=timeout,
            max_attempts=max_attempts,
            max_real_wait=max_real_wait,
            rng=random.Random(seed),
        )
        self._session_timeout = float(session_timeout)
        self.sessions = SessionManager(self.clock, self.profile.new_uuid, session_timeout)
        self.queue = OutboundQueue()
        self._lock = threading.RLock()
        self._user_id: str | None = None
        self.sdk_auth_signature: str | None = None  # SDK authentication JWT (`X-Braze-Auth-Signature`)
        self.sdk_auth_failures: list[dict[str, Any]] = []  # the `auth_error`s the server answered
        self._device_info: dict[str, Any] = {**self.profile.device, **(device or {})}
        self._device_acked: dict[str, Any] = {}
        self._push_token: str | None = None
        self._push_enabled: bool | None = None  # OS permission; None: not asked yet
        self._ios_push_auth: str | None = None
        self._opted_in_sent = False
        self._last_event_time = 0.0
        self._last_flush = self.clock.now()
        self.disabled = False
        # what the server told us
        self.config_time = 0
        self.server_config: ServerConfig | None = None
        self.triggers: list[dict[str, Any]] = []
        self.content_cards: dict[str, dict[str, Any]] = {}
        self.last_full_sync_at = 0
        self.last_card_updated_at = 0
        self.feature_flags: list[dict[str, Any]] = []
        self.messaging = MessagingEngine(self)  # triggers, IAM display, cards, flags, banners (messaging.py)
        # what happened, for tests and debugging
        self.deliveries: deque[Delivery] = deque(maxlen=1000)
        self.dropped: list[Delivery] = []  # not retriable (4xx): the data in them is gone, as on a phone
        self.server_errors: list[dict[str, Any]] = []  # 2xx answers with `error` (not retried)
        self.wire_problems: list[tuple[str, Problem]] = []  # what `harness.protocol.decode` found in our own requests
        if check_wire:
            self.transport.on_attempt.append(self._check_wire)

    # ------------------------------------------------------------------ identity and state

    @property
    def platform(self) -> str:
        return self.profile.platform

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def user_id(self) -> str | None:
        return self._user_id

    @property
    def session_id(self) -> str | None:
        return self.sessions.session_id

    @property
    def session_timeout(self) -> float:
        return self.sessions.timeout

    @property
    def push_token(self) -> str | None:
        return self._push_token

    @property
    def push_permission(self) -> bool | None:
        """The OS notification permission: True granted, False revoked, None never asked."""
        return self._push_enabled

    @property
    def in_foreground(self) -> bool:
        return self.sessions.in_foreground

    @property
    def sent(self) -> list[Attempt]:
        """Every try on the wire (most recent last; bounded)."""
        return list(self.transport.history)

    def bodies(self, endpoint: str = "data") -> list[dict[str, Any]]:
        """The JSON bodies sent to one endpoint, retries included."""
        return [a.json for a in self.transport.history if a.endpoint == endpoint]

    def set_device_info(self, **changes: Any) -> None:
        """Change the live device info (locale, time_zone, os_version, ...): the next request carries the diff."""
        with self._lock:
            self._device_info.update(changes)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on the device clock at once (timeouts expire; a due flush happens)."""
        with self._lock:
            self.clock.advance(seconds)
            self._maybe_flush()
            self.messaging.process()  # delayed / auto-dismissed in-app messages that became due

    def close(self) -> None:
        """Release the HTTP connection (the device can still be used: it reconnects)."""
        self.transport.close()

    # ------------------------------------------------------------------ sessions

    def open_session(self) -> bool:
        """App to the foreground. True when a new session started (its `ss`, and the `se` of an expired
        one, are sent at once); False when the current one continues."""
        with self._lock:
            if self.disabled:
                return False
            step = self.sessions.open(self._user_id)
            if step.ended is not None:
                self._queue_session_end(step.ended)
            if step.started is None:
                self._maybe_flush()
                self.messaging.process()  # back in the foreground: an in-app message waiting on the stack shows
                return False
            self._queue_session_start(step.started)
            if self.flush_policy.on_session_start:
                self._flush(session_start=True)
            return True

    def close_session(self) -> bool:
        """App to the background: the session ends `session_timeout` s later unless reopened before."""
        with self._lock:
            if self.disabled or not self.sessions.close():
                return False
            if self.flush_policy.on_close and not self.queue.empty:
                self._flush()
            return True

    def set_sdk_authentication_signature(self, signature: str | None) -> None:
        """`setSdkAuthenticationSignature`: the JWT every later request (and retry) carries."""
        with self._lock:
            self.sdk_auth_signature = signature

    def _headers(self, **flags: str) -> dict[str, str]:
        headers = {"X-Braze-Api-Key": self.api_key}
        if self.sdk_auth_signature:
            headers["X-Braze-Auth-Signature"] = self.sdk_auth_signature
        for name, value in flags.items():
            headers[self.profile.headers[name]] = value
        return headers

    def change_user(self, user_id: str, signature: str | None = None) -> bool:
        """`changeUser`: ends the current session (its `se` carries the old user) and starts one for
        `user_id` (its `ss` and `respond_with.user_id`). The same id again is a no-op (False).

        From an anonymous user the pending attributes follow to the new user (the SDK's user cache
        takes the id); a known user's pending data goes out under that user."""
        with self._lock:
            if self.disabled or not isinstance(user_id, str) or not user_id:
                return False
            if signature is not None:
                self.sdk_auth_signature = signature
            if user_id == self._user_id:
                return False
            was_foreground = self.sessions.in_foreground
            ended = self.sessions.end_now()
            if ended is not None:
                self._queue_session_end(ended)
            if self._user_id is None:
                self.queue.reassign(None, user_id)
            self._user_id = user_id
            if was_foreground:
                started = self.sessions.open(user_id).started
                if started is not None:
                    self._queue_session_start(started)
            self._flush(session_start=was_foreground)
            return True

    def _queue_session_start(self, session: Session) -> None:
        event: dict[str, Any] = {"name": "ss"}
        if self.profile.ss_has_data:
            event["data"] = {}
        event["time"] = self._stamp(session.start)
        event["session_id"] = session.id
        if session.user_id is not None:
            event["user_id"] = session.user_id
        self.queue.add_event(event)
        self.messaging.session_started(session.start)  # the `open` trigger, evaluated after the `ss` answer

    def _queue_session_end(self, session: Session) -> None:
        # generated late (at the next open / user change), so its time is now; `d` is open -> close
        now = self.clock.now()
        event: dict[str, Any] = {"name": "se", "data": {"d": round(session.duration(now), 3)}}
        event["time"] = self._stamp(now)
        event["session_id"] = session.id
        if session.user_id is not None:
            event["user_id"] = session.user_id
        self.queue.add_event(event)

    # ------------------------------------------------------------------ events

    def _stamp(self, when: float | None = None) -> float:
        """Event times: device clock, ms precision, strictly increasing (so `in_order` reads them right)."""
        t = round(self.clock.now() if when is None else when, 3)
        if t <= self._last_event_time:
            t = round(self._last_event_time + 0.001, 3)
        self._last_event_time = t
        return t

    def _event(self, name: str, data: Any = _MISSING) -> dict[str, Any]:
        event: dict[str, Any] = {"name": name}
        if data is not _MISSING:
            event["data"] = data
        event["time"] = self._stamp()
        session_id = self.sessions.session_id
        if session_id is not None:
            event["session_id"] = session_id
        if self._user_id is not None:
            event["user_id"] = self._user_id
        return event

    def log_event(self, name: str, data: Any = _MISSING, *, auto_flush: bool = True) -> bool:
        """Queue any event code (`pc`, `si`, `cci`, ...) with the current user and session."""
        with self._lock:
            if self.disabled:
                return False
            event = self._event(name, data)
            self.queue.add_event(event)
            self.messaging.event_logged(event)  # custom events, purchases, push clicks may trigger an IAM
            if auto_flush:
                self._maybe_flush()
            self.messaging.process()
            return True

    def log_custom_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool:
        if not isinstance(name, str) or not name.strip() or self._blocked("events_blacklist", name):
            return False
        if properties is not None and not _valid_properties(properties):
            return False
        data: dict[str, Any] = {"n": name}
        if properties:
            data["p"] = _jsonable(dict(properties))
        return self.log_event("ce", data)

    def log_purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool:
        if not isinstance(product_id, str) or not product_id.strip() or self._blocked("purchases_blacklist", product_id):
            return False
        if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price):
            return False
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            return False
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_PURCHASE_QUANTITY:
            return False
        if properties is not None and not _valid_properties(properties):
            return False
        # mobile SDKs send the price as a number (BigDecimal, 2 decimals); the Web SDK a string
        data: dict[str, Any] = {"pid": product_id, "c": currency.upper(), "p": round(float(price), 2), "q": quantity}
        if properties:
            data["pr"] = _jsonable(dict(properties))
        return self.log_event("p", data)

    def log_push_open(self, campaign_id: str, *, open_app: bool = False) -> bool:
        """The user tapped a push: `pc` with its campaign id (sent with the next request). `open_app=True`
        also brings the app to the foreground (a session start flushes it at once)."""
        with self._lock:
            ok = self.log_event("pc", {"cid": campaign_id}, auto_flush=not open_app)
            if ok and open_app and not self.open_session():
                self.request_immediate_data_flush()
            return ok

    def log_push_action(self, campaign_id: str, action_id: str) -> bool:
        return self.log_event("ca", {"cid": campaign_id, "a": action_id})

    def log_in_app_message_impression(self, trigger_id: str) -> bool:
        return self.log_event("si", {"trigger_ids": [trigger_id]})

    def log_in_app_message_click(self, trigger_id: str) -> bool:
        return self.log_event("sc", {"trigger_ids": [trigger_id]})

    def log_in_app_message_button_click(self, trigger_id: str, button_id: int | str) -> bool:
        return self.log_event("sbc", {"trigger_ids": [trigger_id], "bid": button_id})

    def log_content_card_impression(self, card_id: str) -> bool:
        return self.log_event("cci", {"ids": [card_id]})

    def log_content_card_click(self, card_id: str) -> bool:
        return self.log_event("ccc", {"ids": [card_id]})

    def log_content_card_dismissed(self, card_id: str) -> bool:
        return self.log_event("ccd", {"ids": [card_id]})

    def log_feature_flag_impression(self, flag_id: str, tracking_string: str | None = None) -> bool:
        data = {"fid": flag_id, **({"fts": tracking_string} if tracking_string is not None else {})}
        return self.log_event("ffi", data)

    def set_last_known_location(self, latitude: float, longitude: float, **accuracy: float) -> bool:
        return self.log_event("lr", {"latitude": latitude, "longitude": longitude, **accuracy})

    def add_alias(self, name: str, label: str) -> bool:
        return self.log_event("uae", {"a": name, "l": label})

    def set_subscription_group(self, group_id: str, subscribed: bool) -> bool:
        return self.log_event("sgu", {"group_id": group_id, "status": "subscribed" if subscribed else "unsubscribed"})

    # ------------------------------------------------------------------ attributes

    def set_attribute(self, key: str, value: Any) -> bool:
        """A standard attribute (`first_name`, `email`, `dob`, `push_subscribe`, ...); None unsets it."""
        if key not in STANDARD_ATTRIBUTES:
            raise ValueError(f"not a standard attribute: {key!r}; known: {', '.join(STANDARD_ATTRIBUTES)}")
        if isinstance(value, dt.date):
            value = value.strftime("%Y-%m-%d") if not isinstance(value, dt.datetime) else value.date().isoformat()
        if key == "gender" and isinstance(value, str):
            value = GENDERS.get(value.lower(), value.lower())
        if value is not None and not isinstance(value, str):
            return False
        return self._set_field(key, value)

    def set_attributes(self, **fields: Any) -> dict[str, bool]:
        return {key: self.set_attribute(key, value) for key, value in fields.items()}

    def _set_field(self, key: str, value: Any) -> bool:
        with self._lock:
            if self.disabled:
                return False
            self.queue.set_field(self._user_id, key, value)
            self._maybe_flush()
            return True

    def set_custom_attribute(self, key: str, value: Any) -> bool:
        """`setCustomUserAttribute`: str, number, bool, date/datetime (sent as an ISO string [I]), a dict
        (nested attribute), a list of dicts (array of objects) or of scalars, None (unset). A list of
        strings is `setCustomAttributeArray` (the `set` event)."""
        if not self._valid_key(key):
            return False
        if isinstance(value, tuple | set | frozenset):
            value = list(value)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return self.set_custom_attribute_array(key, value)
        if value is not None and not isinstance(value, str | bool | int | float | dt.date | dict | list):
            return False
        return self._set_custom(key, _attribute_value(value))

    def unset_custom_attribute(self, key: str) -> bool:
        return self._valid_key(key) and self._set_custom(key, None)

    def _set_custom(self, key: str, value: Any) -> bool:
        with self._lock:
            if self.disabled:
                return False
            self.queue.set_custom(self._user_id, key, value)
            self._maybe_flush()
            return True

    def set_custom_attribute_array(self, key: str, values: list[str]) -> bool:
        return self._valid_key(key) and self.log_event("set", {"key": key, "value": [str(v) for v in values]})

    def add_to_custom_attribute_array(self, key: str, value: Any) -> bool:
        return self._valid_key(key) and value is not None and self.log_event("add", {"key": key, "value": _jsonable(value)})

    def remove_from_custom_attribute_array(self, key: str, value: Any) -> bool:
        return self._valid_key(key) and value is not None and self.log_event("rem", {"key": key, "value": _jsonable(value)})

    def increment_custom_attribute(self, key: str, by: int | float = 1) -> bool:
        if isinstance(by, bool) or not isinstance(by, int | float) or not math.isfinite(by):
            return False
        return self._valid_key(key) and self.log_event("inc", {"key": key, "value": by})

    def merge_custom_attribute(self, key: str, value: Mapping[str, Any]) -> bool:
        """`setCustomUserAttribute(key, obj, merge=true)`: the nested merge event `ncam`."""
        if not isinstance(value, Mapping):
            return False
        return self._valid_key(key) and self.log_event("ncam", {"key": key, "value": _attribute_value(dict(value))})

    def set_location_attribute(self, key: str, latitude: float, longitude: float) -> bool:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return False
        return self._valid_key(key) and self.log_event("lcaa", {"key": key, "latitude": latitude, "longitude": longitude})

    def unset_location_attribute(self, key: str) -> bool:
        return self._valid_key(key) and self.log_event("lcar", {"key": key})

    def _valid_key(self, key: Any) -> bool:
        return isinstance(key, str) and bool(key) and not key.startswith("$") and not self._blocked("attributes_blacklist", key)

    def _blocked(self, kind: str, name: str) -> bool:
        config = self.server_config
        return config is not None and name in (getattr(config, kind) or ())

    # ------------------------------------------------------------------ push

    def register_push_token(self, token: str | None = None) -> str:
        """The OS handed the app a push token (FCM on Android, APNs on iOS): it goes out as the
        `push_token` attribute with the device's push state (Android: `remote_notification_enabled`
        in the same request; iOS: `ios_push_auth` + `remote_notification_enabled` in the device object).
        Returns the token (a realistic one is made when none is given)."""
        with self._lock:
            token = token or self.profile.new_push_token()
            if self._push_enabled is None:
                self._set_permission(True, None)
            self._push_token = token
            self.queue.set_field(self._user_id, "push_token", token)
            self._queue_optin()
            if self.flush_policy.on_push_token and not self.disabled:
                self._flush()
            return token

    def set_push_permission(self, granted: bool, *, ios_status: str | None = None) -> None:
        """The user granted or revoked notifications in the OS. Android re-sends the token with the new
        `remote_notification_enabled`; iOS reports `ios_push_auth` (`authorized`/`denied`/`provisional`)."""
        with self._lock:
            self._set_permission(granted, ios_status)
            if self._push_token is not None and self.profile.push_enabled_only_with_token:
                self.queue.set_field(self._user_id, "push_token", self._push_token)
            self._queue_optin()
            self._maybe_flush()

    def _set_permission(self, granted: bool, ios_status: str | None) -> None:
        if self._push_enabled is not granted:
            self._opted_in_sent = False
        self._push_enabled = bool(granted)
        self._ios_push_auth = ios_status or ("authorized" if granted else "denied")

    def _queue_optin(self) -> None:
        # "when push is authorized the SDK sets push_subscribe opted_in" (mobile.md C.1; Swift optInWhenPushAuthorized)
        if self.optin_when_push_authorized and self._push_enabled and not self._opted_in_sent:
            self.queue.set_field(self._user_id, "push_subscribe", "opted_in")
            self._opted_in_sent = True

    def unregister_push(self) -> Delivery:
        """`unregisterPush()` (Android 43, Swift 18): one `push/unregister` with `user_id` and
        `push_token`, never retried; raises `PushUnregistrationError` when it fails."""
        with self._lock:
            if self._push_token is None:
                raise PushUnregistrationError("no push token registered on this device", retriable=False, status=None)
            body = self._envelope()
            if self._user_id is not None:
                body["user_id"] = self._user_id
            body["push_token"] = self._push_token
            delivery = self.transport.post("push/unregister", body, self._headers(), retry=False)
            self.deliveries.append(delivery)
            if not delivery.ok:
                raise PushUnregistrationError(
                    f"push/unregister failed: {delivery.status or delivery.last.error}",
                    retriable=delivery.retriable,
                    status=delivery.status,
                )
            self._push_token = None
            for bucket in self.queue.attributes:  # a not yet sent registration must not undo it
                bucket.fields.pop("push_token", None)
            return delivery

    # ------------------------------------------------------------------ sync endpoints

    def request_content_cards_refresh(self) -> Delivery:
        with self._lock:
            body = self._envelope()
            if self._user_id is not None:
                body["user_id"] = self._user_id
            body["last_full_sync_at"] = self.last_full_sync_at
            body["last_card_updated_at"] = self.last_card_updated_at

            def headers(attempt: int) -> dict[str, str]:
                return self._headers(content_cards="true", sync_retry_count=str(attempt - 1))

            delivery = self.transport.post("content_cards/sync", body, headers)
            self.deliveries.append(delivery)
            if delivery.ok and isinstance(delivery.body, dict):
                self._read_cards(delivery.body)
            return delivery

    def refresh_feature_flags(self) -> Delivery:
        with self._lock:
            body = self._envelope()
            if self._user_id is not None:
                body["user_id"] = self._user_id
            headers = self._headers(feature_flags="true")
            delivery = self.transport.post("feature_flags/sync", body, headers)
            self.deliveries.append(delivery)
            if delivery.ok and isinstance(delivery.body, dict) and isinstance(delivery.body.get("feature_flags"), list):
                self.feature_flags = delivery.body["feature_flags"]
            return delivery

    def _read_cards(self, answer: dict[str, Any]) -> None:
        cards = answer.get("cards")
        if isinstance(cards, list):
            if answer.get("full_sync"):
                self.content_cards = {}
            for card in cards:
                if isinstance(card, dict) and "id" in card:
                    if card.get("r"):
                        self.content_cards.pop(card["id"], None)
                    else:
                        self.content_cards[card["id"]] = card
        for key in ("last_full_sync_at", "last_card_updated_at"):
            if isinstance(answer.get(key), int | float):
                setattr(self, key, int(answer[key]))

    # ------------------------------------------------------------------ flushing

    def request_immediate_data_flush(self) -> list[Delivery]:
        with self._lock:
            return self._flush()

    def _maybe_flush(self) -> None:
        interval = self.flush_policy.interval
        if interval and not self.queue.empty and self.clock.now() - self._last_flush >= interval:
            self._flush()

    def _device_diff(self) -> dict[str, Any]:
        live = self._live_device()
        return {k: v for k, v in live.items() if self._device_acked.get(k, _MISSING) != v}

    def _live_device(self) -> dict[str, Any]:
        device = dict(self._device_info)
        if self._push_enabled is not None:
            if self.profile.platform == "ios":
                device["ios_push_auth"] = self._ios_push_auth
            if not self.profile.push_enabled_only_with_token:
                device["remote_notification_enabled"] = self._push_enabled_value()
        return device

    def _push_enabled_value(self) -> Any:
        return self.profile.push_enabled_true if self._push_enabled else self.profile.push_enabled_false

    def _envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "api_key": self.api_key,
            "app_version": self.app_version,
            "app_version_code": self.app_version_code,
            "device_id": self._device_id,
            "sdk_version": self.sdk_version,
            "time": self.profile.envelope_time(self.clock.now()),
        }
        if self.profile.sdk_metadata:
            body["sdk_metadata"] = list(self.profile.sdk_metadata)
        return body

    def _data_body(self, batch: Batch, device: dict[str, Any]) -> dict[str, Any]:
        body = self._envelope()
        if device:
            body["device"] = device
        if batch.attributes:
            body["attributes"] = [a.to_wire() for a in batch.attributes]
        if batch.events:
            body["events"] = batch.events
        respond_with: dict[str, Any] = {"config": {"config_time": self.config_time}}
        if batch.has_session_start():
            respond_with["triggers"] = True
        if self._user_id is not None:
            respond_with["user_id"] = self._user_id
        body["respond_with"] = respond_with
        return body

    def _flush(self, *, session_start: bool = False) -> list[Delivery]:
        """Send everything queued (and the device diff), at most `max_events_per_request` events a request."""
        results: list[Delivery] = []
        started = False
        while True:
            diff = self._device_diff()
            if self.queue.empty and not diff:
                break
            batch = self.queue.take(self.profile.max_events_per_request)
            device = dict(diff)
            if self.profile.push_enabled_only_with_token and batch.has_push_token() and self._push_enabled is not None:
                device["remote_notification_enabled"] = self._push_enabled_value()
            body = self._data_body(batch, device)
            session_start_batch = batch.has_session_start()
            started = started or session_start_batch

            def headers(_attempt: int, with_triggers: bool = session_start_batch) -> dict[str, str]:
                # rebuilt per try: a signature set meanwhile (after an auth_error) goes with the retry
                flags = {"data": "true", **({"triggers": "true"} if with_triggers else {})}
                return self._headers(**flags)

            delivery = self.transport.post("data", body, headers)
            self.deliveries.append(delivery)
            results.append(delivery)
            self._note_auth_errors(delivery)
            if delivery.ok:
                self._device_acked.update(diff)
                self._read_data_answer(delivery)
                continue
            if delivery.retriable:
                self.queue.put_back(batch)  # nothing lost: it goes again with the next flush
            else:
                self.dropped.append(delivery)
            break
        self._last_flush = self.clock.now()
        if started and session_start and self.auto_sync and results and results[-1].ok:
            self._sync_at_session_start()
        self.messaging.process()  # after the answers (triggers, cards, flags): what they make due happens now
        return results

    def _note_auth_errors(self, delivery: Delivery) -> None:
        for attempt in delivery.attempts:
            if isinstance(attempt.response, dict) and isinstance(attempt.response.get("auth_error"), dict):
                failure = attempt.response["auth_error"]
                self.sdk_auth_failures.append(
                    {"error_code": failure.get("error_code"), "reason": failure.get("reason"), "user_id": self._user_id}
                )

    def _read_data_answer(self, delivery: Delivery) -> None:
        answer = delivery.body
        if not isinstance(answer, dict):
            return
        if answer.get("error"):
            self.server_errors.append(answer)
        decoded = decode_response(Endpoint.DATA, delivery.status or 200, answer)
        body = decoded.body
        if not isinstance(body, DataResponse):
            return
        if body.config is not None:
            self.server_config = body.config
            self.config_time = int(body.config.time)
            raw = answer["config"]
            backoff = Backoff.from_config(raw.get("request_backoff"))
            if backoff is not None:
                self.transport.backoff = backoff
            minimum = body.config.minimum_session_timeout
            self.sessions.timeout = max(self._session_timeout, float(minimum or 0))
        if body.triggers is not None:
            self.triggers = list(answer.get("triggers") or [])

    def _sync_at_session_start(self) -> None:
        # on session start the SDKs refresh Content Cards and Feature Flags when the server config enables them
        config = self.server_config
        if config is None:
            return
        if (config.content_cards or {}).get("enabled"):
            self.request_content_cards_refresh()
        if (config.feature_flags or {}).get("enabled"):
            self.refresh_feature_flags()

    def _check_wire(self, attempt: Attempt) -> None:
        decoded = decode("POST", attempt.url, attempt.headers, attempt.body)
        self.wire_problems.extend((attempt.url, p) for p in decoded.problems)

    # ------------------------------------------------------------------ logout / wipe

    def logout(self) -> None:
        """SDK-level `Braze.logout()` (Android 43, Swift 18): flush, `push/unregister`, wipe data, disable.
        Not what an app's own logout button should do (no changeUser, no wipe: see the adapter)."""
        with self._lock:
            if self.disabled:
                return
            self._flush()
            if self._push_token is not None:
                with contextlib.suppress(PushUnregistrationError):  # not retried by the SDKs either
                    self.unregister_push()
            self.wipe_data()
            self.disabled = True

    def wipe_data(self) -> None:
        """`wipeData()`: everything local is forgotten; the device looks like a fresh install (new device id)."""
        with self._lock:
            self.queue = OutboundQueue()
            self.sessions.forget()
            self._user_id = None
            self._device_id = self.profile.new_uuid()
            self._device_acked = {}
            self._push_token = None
            self._push_enabled = None
            self._ios_push_auth = None
            self._opted_in_sent = False
            self.config_time = 0
            self.server_config = None
            self.content_cards = {}
            self.feature_flags = []
            self.last_full_sync_at = self.last_card_updated_at = 0
            self.messaging.reset()

    def enable_sdk(self) -> None:
        self.disabled = False


# ---------------------------------------------------------------------- values


def iso_datetime(value: dt.date) -> str:
    """Dates as `YYYY-MM-DDTHH:MM:SS` in UTC, the form the Web SDK sends [I for the mobile SDKs]."""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value  # naive = UTC
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{value.isoformat()}T00:00:00"


def _jsonable(value: Any, *, time_objects: bool = False) -> Any:
    """Python values as the SDKs serialise them: dates as ISO strings, or inside nested custom
    attributes as Braze's `{"$time": ...}` (`time_objects=True` for the values of an object)."""
    if isinstance(value, dt.date):
        return {"$time": iso_datetime(value)} if time_objects else iso_datetime(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, time_objects=time_objects) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v, time_objects=time_objects) for v in value]
    return value


def _attribute_value(value: Any) -> Any:
    """A custom attribute value: a top-level date is a string, dates inside objects are `$time` objects."""
    if isinstance(value, Mapping | list):
        return _jsonable(value, time_objects=True)
    return _jsonable(value)


def _valid_properties(properties: Any) -> bool:
    """Event/purchase properties: an object with non-empty string keys, none starting with `$`."""
    return isinstance(properties, Mapping) and all(isinstance(k, str) and k and not k.startswith("$") for k in properties)
