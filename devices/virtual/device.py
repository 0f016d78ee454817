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
interval has passed on the device clock at the next call (`FlushPolicy`). Facts: docs/mobile-wire.md (the wire
format, push) and (docs/server-behaviour.md, mobile-sessions, data-flushing and changeuser). Where the wire format is
inferred, the module says so.

This module is the SDK's public API and the state it keeps; the pieces it is made of live next to it:
`wire.py` (how requests are built), `events.py` and `attributes.py` (what the SDK accepts and how it writes it),
`push_registration.py` (token and permission), `sync.py` (cards, flags, push/unregister), `messaging.py`
(in-app messages, cards, flags and banners as the app shows them), `session.py`, `outbound.py`, `transport.py`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from braze_harness.devices.virtual import attributes, events, sync, wire
from braze_harness.devices.virtual.clock import DeviceClock
from braze_harness.devices.virtual.messaging import MessagingEngine
from braze_harness.devices.virtual.outbound import OutboundQueue
from braze_harness.devices.virtual.profiles import PlatformProfile, profile_for
from braze_harness.devices.virtual.push_registration import PushRegistration
from braze_harness.devices.virtual.session import Session, SessionManager
from braze_harness.devices.virtual.sync import Flags, PushUnregistrationError
from braze_harness.devices.virtual.transport import Attempt, Backoff, Delivery, Transport
from braze_harness.protocol import Endpoint, Problem, decode, decode_response
from braze_harness.protocol.responses import DataResponse, ServerConfig

__all__ = ["FlushPolicy", "PushUnregistrationError", "VirtualDevice"]

_MISSING = events.MISSING


@dataclass(slots=True)
class FlushPolicy:
    """When queued data goes out without `request_immediate_data_flush()`."""

    interval: float | None = None  # device seconds since the last flush; None = the platform's default
    on_session_start: bool = True  # session start requests go out at once (triggers, config)
    on_close: bool = True  # the app going to the background flushes what is queued
    on_push_token: bool = True  # "sent immediately and asynchronously" (docs/mobile-wire.md, ios-apns)


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
        self._device = wire.DeviceObject({**self.profile.device, **(device or {})})
        self._push = PushRegistration()
        self._stamper = events.EventStamper()
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
        self.wire_problems: list[tuple[str, Problem]] = []  # what `braze_harness.protocol.decode` found in our own requests
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
        return self._push.token

    @property
    def push_permission(self) -> bool | None:
        """The OS notification permission: True granted, False revoked, None never asked."""
        return self._push.permission

    @property
    def in_foreground(self) -> bool:
        return self.sessions.in_foreground

    @property
    def lock(self) -> threading.RLock:
        """The device's lock (re-entrant): everything the device does holds it; hold it to read or act on the
        device's state in one piece from another thread (the screen, the messaging engine)."""
        return self._lock

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
            self._device.update(changes)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on the device clock at once (timeouts expire; a due flush happens)."""
        with self._lock:
            self.clock.advance(seconds)
            self._maybe_flush()
            self.messaging.process()  # delayed / auto-dismissed in-app messages that became due

    def close(self) -> None:
        """Release the HTTP connection (the device can still be used: it reconnects)."""
        self.transport.close()

    # ------------------------------------------------------------------ requests

    def envelope(self) -> dict[str, Any]:
        """The fields every request body starts with, as of now (a new dict each call)."""
        return wire.envelope(
            self.profile,
            api_key=self.api_key,
            app_version=self.app_version,
            app_version_code=self.app_version_code,
            device_id=self._device_id,
            sdk_version=self.sdk_version,
            now=self.clock.now(),
        )

    def headers(self, **flags: str) -> dict[str, str]:
        """The request headers: api key, SDK authentication signature, and the request-kind `flags`
        (`data="true"`, `content_cards="true"`, ...) spelled the platform's way."""
        return wire.headers(self.profile, self.api_key, self.sdk_auth_signature, flags)

    def send(
        self, endpoint: str, fields: Mapping[str, Any] | None = None, *, flags: Flags | None = None, retry: bool = True
    ) -> Delivery:
        """POST an endpoint other than `data` as the SDKs do: the envelope, the current user, then `fields`; the
        headers with `flags` (or a function of the attempt number giving them, rebuilt per try). With retries
        unless `retry=False`; the delivery is kept in `deliveries`."""
        with self._lock:
            body = wire.request_body(self.envelope(), self._user_id, fields or {})
            if callable(flags):
                make = flags

                def headers(attempt: int) -> dict[str, str]:
                    return self.headers(**make(attempt))

                delivery = self.transport.post(endpoint, body, headers, retry=retry)
            else:
                delivery = self.transport.post(endpoint, body, self.headers(**(flags or {})), retry=retry)
            self.deliveries.append(delivery)
            return delivery

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
            if self.profile.change_user_attributes:
                self.queue.announce(user_id)
            if was_foreground:
                started = self.sessions.open(user_id).started
                if started is not None:
                    self._queue_session_start(started)
            self._flush(session_start=was_foreground)
            return True

    def _queue_session_start(self, session: Session) -> None:
        self.queue.add_event(events.session_start(self.profile, session, self._stamper.stamp(session.start)))
        self.messaging.session_started(session.start)  # the `open` trigger, evaluated after the `ss` answer

    def _queue_session_end(self, session: Session) -> None:
        now = self.clock.now()
        self.queue.add_event(events.session_end(session, now, self._stamper.stamp(now)))

    # ------------------------------------------------------------------ events

    def log_event(self, name: str, data: Any = _MISSING, *, auto_flush: bool = True) -> bool:
        """Queue any event code (`pc`, `si`, `cci`, ...) with the current user and session."""
        with self._lock:
            if self.disabled:
                return False
            event = events.event(
                name,
                data,
                time=self._stamper.stamp(self.clock.now()),
                session_id=self.sessions.session_id,
                user_id=self._user_id,
            )
            self.queue.add_event(event)
            self.messaging.event_logged(event)  # custom events, purchases, push clicks may trigger an IAM
            if auto_flush:
                self._maybe_flush()
            self.messaging.process()
            return True

    def log_custom_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool:
        data = events.custom_event_data(name, properties, self.server_config)
        return data is not None and self.log_event("ce", data)

    def log_purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool:
        data = events.purchase_data(product_id, price, currency, quantity, properties, self.server_config)
        return data is not None and self.log_event("p", data)

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
        value = attributes.standard_value(key, value)
        if key == "dob" and self.profile.dob_as_datetime and isinstance(value, str):
            value = attributes.dob_as_datetime(value)
        return value is not attributes.REFUSED and self._set_field(key, value)

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
        """`setCustomUserAttribute`: str, number, bool, date/datetime (sent as an ISO string, inferred), a dict
        (nested attribute), a list of dicts (array of objects) or of scalars, None (unset). A list of
        strings is `setCustomAttributeArray` (the `set` event)."""
        if not self._valid_key(key):
            return False
        found = attributes.custom_value(value)
        if found is None:
            return False
        kind, wire_value = found
        if kind == "array":
            return self.set_custom_attribute_array(key, wire_value)
        return self._set_custom(key, wire_value)

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
        return self._array_change("add", key, value)

    def remove_from_custom_attribute_array(self, key: str, value: Any) -> bool:
        return self._array_change("rem", key, value)

    def _array_change(self, code: str, key: str, value: Any) -> bool:
        if not self._valid_key(key) or value is None:
            return False
        return self.log_event(code, {"key": key, "value": attributes.jsonable(value)})

    def increment_custom_attribute(self, key: str, by: int | float = 1) -> bool:
        if not attributes.finite_number(by):
            return False
        return self._valid_key(key) and self.log_event("inc", {"key": key, "value": by})

    def merge_custom_attribute(self, key: str, value: Mapping[str, Any]) -> bool:
        """`setCustomUserAttribute(key, obj, merge=true)`: the nested merge event `ncam`."""
        if not isinstance(value, Mapping):
            return False
        return self._valid_key(key) and self.log_event("ncam", {"key": key, "value": attributes.attribute_value(dict(value))})

    def set_location_attribute(self, key: str, latitude: float, longitude: float) -> bool:
        if not attributes.valid_location(latitude, longitude):
            return False
        return self._valid_key(key) and self.log_event("lcaa", {"key": key, "latitude": latitude, "longitude": longitude})

    def unset_location_attribute(self, key: str) -> bool:
        return self._valid_key(key) and self.log_event("lcar", {"key": key})

    def _valid_key(self, key: Any) -> bool:
        return attributes.valid_key(key, self.server_config)

    # ------------------------------------------------------------------ push

    def register_push_token(self, token: str | None = None) -> str:
        """The OS handed the app a push token (FCM on Android, APNs on iOS): it goes out as the
        `push_token` attribute with the device's push state (Android: `remote_notification_enabled`
        in the same request; iOS: `ios_push_auth` + `remote_notification_enabled` in the device object).
        Returns the token (a realistic one is made when none is given)."""
        with self._lock:
            token = token or self.profile.new_push_token()
            if self._push.permission is None:
                self._push.set_permission(True, None)
            self._push.token = token
            self.queue.set_field(self._user_id, "push_token", token)
            self._queue_optin()
            if self.flush_policy.on_push_token and not self.disabled:
                self._flush()
            return token

    def set_push_permission(self, granted: bool, *, ios_status: str | None = None) -> None:
        """The user granted or revoked notifications in the OS. Android re-sends the token with the new
        `remote_notification_enabled`; iOS reports `ios_push_auth` (`authorized`/`denied`/`provisional`)."""
        with self._lock:
            self._push.set_permission(granted, ios_status)
            if self._push.token is not None and self.profile.push_enabled_only_with_token:
                self.queue.set_field(self._user_id, "push_token", self._push.token)
            self._queue_optin()
            self._maybe_flush()

    def _queue_optin(self) -> None:
        if self._push.take_optin(self.optin_when_push_authorized):
            self.queue.set_field(self._user_id, "push_subscribe", "opted_in")

    def unregister_push(self) -> Delivery:
        """`unregisterPush()` (Android 43, Swift 18): one `push/unregister` with `user_id` and
        `push_token`, never retried; raises `PushUnregistrationError` when it fails."""
        with self._lock:
            if self._push.token is None:
                raise PushUnregistrationError("no push token registered on this device", retriable=False, status=None)
            delivery = sync.unregister_push(self, self._push.token)
            self._push.token = None
            for bucket in self.queue.attributes:  # a not yet sent registration must not undo it
                bucket.fields.pop("push_token", None)
            return delivery

    # ------------------------------------------------------------------ sync endpoints

    def request_content_cards_refresh(self) -> Delivery:
        with self._lock:
            return sync.refresh_content_cards(self)

    def refresh_feature_flags(self) -> Delivery:
        with self._lock:
            return sync.refresh_feature_flags(self)

    # ------------------------------------------------------------------ flushing

    def request_immediate_data_flush(self) -> list[Delivery]:
        with self._lock:
            return self._flush()

    def _maybe_flush(self) -> None:
        interval = self.flush_policy.interval
        if interval and not self.queue.empty and self.clock.now() - self._last_flush >= interval:
            self._flush()

    def _flush(self, *, session_start: bool = False) -> list[Delivery]:
        """Send everything queued (and the device diff), at most `max_events_per_request` events a request."""
        results: list[Delivery] = []
        started = False
        while True:
            diff = self._device.diff(self._push.device_fields(self.profile))
            if self.queue.empty and not diff:
                break
            batch = self.queue.take(self.profile.max_events_per_request)
            device = dict(diff)
            if self.profile.push_enabled_only_with_token and batch.has_push_token() and self._push.permission is not None:
                device["remote_notification_enabled"] = self._push.enabled_value(self.profile)
            body = wire.data_body(self.envelope(), batch, device, config_time=self.config_time, user_id=self._user_id)
            session_start_batch = batch.has_session_start()
            started = started or session_start_batch

            def headers(_attempt: int, with_triggers: bool = session_start_batch) -> dict[str, str]:
                # rebuilt per try: a signature set meanwhile (after an auth_error) goes with the retry
                flags = {"data": "true", **({"triggers": "true"} if with_triggers else {})}
                return self.headers(**flags)

            delivery = self.transport.post("data", body, headers)
            self.deliveries.append(delivery)
            results.append(delivery)
            self._note_auth_errors(delivery)
            if delivery.ok:
                self._device.acknowledge(diff)
                self._read_data_answer(delivery)
                continue
            if delivery.retriable:
                self.queue.put_back(batch)  # nothing lost: it goes again with the next flush
            else:
                self.dropped.append(delivery)
            break
        self._last_flush = self.clock.now()
        if started and session_start and self.auto_sync and results and results[-1].ok:
            sync.sync_at_session_start(self)
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
            if self._push.token is not None:
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
            self._device.forget()
            self._push.forget()
            self.config_time = 0
            self.server_config = None
            self.content_cards = {}
            self.feature_flags = []
            self.last_full_sync_at = self.last_card_updated_at = 0
            self.messaging.reset()

    def enable_sdk(self) -> None:
        self.disabled = False
