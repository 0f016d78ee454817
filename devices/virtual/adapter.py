"""`VirtualDeviceAdapter`: the suites' `AppAdapter` on a virtual Android or iOS SDK device.

    ./qa suites --braze-adapter braze_harness.devices.virtual.adapter:android_app
    ./qa suites --braze-adapter braze_harness.devices.virtual.adapter:ios_app

What each app action is on a phone:

* `launch()`: app start / to the foreground: `openSession()` (a new session unless one is still
  within its timeout);
* `reload()`: the app restarted within the session timeout: close + open, the same session continues;
* `close()`: the app to the background: `closeSession()` (the session ends `session_timeout` s later);
* `advance_time(s)`: `s` seconds pass on the device clock. Mobile sessions do not time out while the
  app is in the foreground, so by default (`idle="background"`) the app spends that time in the
  background and comes back, like Appium's `background_app(s)`; `idle="foreground"` only moves the clock;
* `flush()`: `requestImmediateDataFlush()`; `login(id)`: `changeUser(id)`;
* `logout()`: the app forgets its user; per Braze guidance no `changeUser` (nothing is sent);
* `set_custom_attribute(k, v, kind=)`: the same kinds as the web demo (`braze_harness.adapters.base.AttributeKind`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from collections.abc import Mapping
from typing import Any, Literal

from braze_harness.adapters.base import ATTRIBUTE_KINDS, AppAdapter, AttributeKind, check_profile_fields
from braze_harness.devices.virtual.device import VirtualDevice
from braze_harness.devices.virtual.push import Fetch, PushReceiver, ReceivedPush
from braze_harness.devices.virtual.screen import VirtualScreen
from braze_harness.errors import HarnessConfigError, HarnessError

Idle = Literal["background", "foreground"]


class VirtualAppError(HarnessError):
    """The app refused an action (bad input), as the web demo does."""


class VirtualDeviceAdapter(AppAdapter):
    def __init__(
        self, device: VirtualDevice, *, idle: Idle = "background", auto_session: bool = True, push_source: Fetch | None = None
    ) -> None:
        if idle not in ("background", "foreground"):
            raise ValueError(f"idle must be 'background' or 'foreground', not {idle!r}")
        self.device = device
        self.idle = idle
        self.auto_session = auto_session
        self.app_user: str | None = None  # who the *app* thinks is logged in (not the SDK's user)
        self.running = False
        self.screen = VirtualScreen(device)  # what the app shows: IAMs, the card feed, banners, the flag gate
        self.notifications = PushReceiver(device, push_source)  # the tray, fed from the emulator's outbox

    # ---- lifecycle ----

    def launch(self) -> None:
        self.running = True
        if self.auto_session:
            self.device.open_session()

    def reload(self) -> None:
        # a restart within the timeout: the session closes and reopens at once, so it continues
        self.device.close_session()
        self.device.close()  # the process dies with its connections
        self.screen.restart()  # ...and with its UI (the SDK's stores persist)
        self.device.open_session()
        self.running = True

    def close(self) -> None:
        if self.running:
            self.device.close_session()
            self.running = False
        self.device.close()

    def advance_time(self, seconds: float) -> None:
        if self.idle == "background" and self.device.in_foreground:
            self.device.close_session()
            self.device.advance(seconds)
            self.device.open_session()
        else:
            self.device.advance(seconds)

    @property
    def device_id(self) -> str | None:
        return self.device.device_id

    @property
    def user_id(self) -> str | None:
        return self.device.user_id

    # ---- actions ----

    def login(self, user_id: str, signature: str | None = None) -> bool | None:
        """`changeUser(user_id[, signature])`; the signature is the SDK-authentication JWT."""
        if not user_id:
            raise VirtualAppError("user id is empty")
        self.device.change_user(user_id, signature)  # the same id again is a no-op in the SDK
        self.app_user = user_id
        return True

    def set_sdk_auth_signature(self, signature: str) -> bool | None:
        """`setSdkAuthenticationSignature(jwt)`: later requests and retries carry it. The SDK resends the refused
        data on its retry timer; a virtual device has no timers, so that retry happens here, at once."""
        self.device.set_sdk_authentication_signature(signature)
        if not self.device.queue.empty:
            self.device.request_immediate_data_flush()
        return True

    def sdk_auth_failures(self) -> list[dict[str, Any]]:
        """The SDK-auth failures seen so far, shaped like the web demo's (`{errorCode, reason, userId}`)."""
        return [
            {"errorCode": f["error_code"], "reason": f["reason"], "userId": f["user_id"]} for f in self.device.sdk_auth_failures
        ]

    def refresh_content_cards(self) -> None:
        """`requestContentCardsRefresh()`: a `content_cards/sync` now (the device keeps the cards it got)."""
        self.device.request_content_cards_refresh()
        self.device.messaging.process()  # the feed re-renders (impressions of new cards)

    def show_content_cards(self) -> None:
        """Open the app's Content Cards feed (`screen.open_cards()`): the cached cards, impressions logged."""
        self.screen.open_cards()

    def refresh_banners(self) -> None:
        """`requestBannersRefresh(placements)` for the app's placements (`screen.placements`): `banners/sync`."""
        self.screen.refresh_banners()

    def logout(self) -> bool | None:
        # Braze: do not call changeUser on logout; the device keeps the last identified user
        self.app_user = None
        return True

    def set_profile(self, **standard_fields: Any) -> Mapping[str, bool] | None:
        check_profile_fields(standard_fields)
        if not standard_fields:
            raise VirtualAppError("no profile field filled in")
        return {name: self.device.set_attribute(name, value) for name, value in standard_fields.items()}

    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        if kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"unknown attribute kind {kind!r}; known: {', '.join(ATTRIBUTE_KINDS)}")
        if not key:
            raise VirtualAppError("attribute key is empty")
        d = self.device

        def need(ok: bool, what: str) -> None:
            if not ok:
                raise VirtualAppError(f"{kind} attribute needs {what}, got {value!r}")

        match kind:
            case "auto":
                return d.set_custom_attribute(key, value)
            case "string":
                need(isinstance(value, str), "a string")
                return d.set_custom_attribute(key, value)
            case "number":
                return d.set_custom_attribute(key, _number(value, "number attribute"))
            case "boolean":
                need(isinstance(value, bool), "true or false")
                return d.set_custom_attribute(key, value)
            case "date":
                return d.set_custom_attribute(key, _date(value))
            case "array":
                need(isinstance(value, list | tuple), "an array")
                return d.set_custom_attribute(key, list(value))
            case "object":
                need(isinstance(value, Mapping), "an object")
                return d.set_custom_attribute(key, dict(value))
            case "object-merge":
                need(isinstance(value, Mapping), "an object")
                return d.merge_custom_attribute(key, value)
            case "increment":
                return d.increment_custom_attribute(key, 1 if value is None else _number(value, "increment"))
            case "add-to-array":
                need(value is not None, "a value")
                return d.add_to_custom_attribute_array(key, value)
            case "remove-from-array":
                need(value is not None, "a value")
                return d.remove_from_custom_attribute_array(key, value)
            case "location":
                if value is None:
                    return d.unset_location_attribute(key)
                lat, lon = (value["latitude"], value["longitude"]) if isinstance(value, Mapping) else value
                return d.set_location_attribute(key, _number(lat, "latitude"), _number(lon, "longitude"))
            case "null":
                return d.unset_custom_attribute(key)
        raise AssertionError(kind)  # pragma: no cover - every kind is handled above

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        return self.device.log_custom_event(name, properties)

    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        return self.device.log_purchase(product_id, _number(price, "price"), currency or "USD", quantity, properties)

    def flush(self) -> None:
        self.device.request_immediate_data_flush()

    # ---- push (devices/virtual/push.py) ----

    def enable_push(self) -> str | None:
        """Permission granted (Android 13+ POST_NOTIFICATIONS / iOS authorization), then the OS token is registered."""
        self.device.set_push_permission(True)
        return self.device.register_push_token(self.device.push_token)

    def disable_push_in_os(self) -> None:
        """Notifications turned off in the OS settings; the SDK reports it with its next request (at the latest the
        next session: Android `remote_notification_enabled:false` with the token, iOS `ios_push_auth:denied`)."""
        self.device.set_push_permission(False)

    def unregister_push(self) -> None:
        self.device.unregister_push()

    def receive_pushes(self) -> list[ReceivedPush]:
        """What FCM/APNs would hand the device now (the emulator outbox, drained)."""
        return self.notifications.poll()

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> ReceivedPush:
        if delivery is not None:
            push = self.notifications.receive(dict(delivery))
            if push is None:
                raise VirtualAppError(f"the device did not take delivery {delivery.get('id')}: {self.notifications.ignored[-1]}")
        else:
            self.notifications.poll()
            push = None
        self.running = True
        return self.notifications.open(push)


def _number(value: Any, what: str) -> float | int:
    if isinstance(value, str) and value.strip():
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VirtualAppError(f"{what} must be a number, got {value!r}")
    return value


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise VirtualAppError(f"not a date: {value!r}")


# ---------------------------------------------------------------------- pytest plugin factories

_ADAPTER_OPTIONS = ("idle", "auto_session")
_DEVICE_OPTIONS = (
    "session_timeout",
    "device",
    "app_version",
    "app_version_code",
    "sdk_version",
    "max_attempts",
    "max_real_wait",
    "seed",
    "auto_sync",
    "flush",
    "clock",
    "check_wire",
    "optin_when_push_authorized",
)
# the web demo's: meaningless on a phone, accepted and ignored (but for init_options'
# minimumIntervalBetweenTriggerActionsInSeconds, the mobile SDKs' trigger interval setting too)
_WEB_ONLY_OPTIONS = ("logging", "init_options")


def android_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> VirtualDeviceAdapter:
    """`--braze-adapter braze_harness.devices.virtual.adapter:android_app`: a virtual Android 43 device per app instance."""
    return make_app("android", request=request, braze=braze, api_key=api_key, **options)


def ios_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> VirtualDeviceAdapter:
    """`--braze-adapter braze_harness.devices.virtual.adapter:ios_app`: a virtual Swift 18 device per app instance."""
    return make_app("ios", request=request, braze=braze, api_key=api_key, **options)


def make_app(platform: str, *, request: Any, braze: Any, api_key: str, **options: Any) -> VirtualDeviceAdapter:
    """A virtual device on the emulator (or through `--braze-proxy`'s mitmproxy, like a phone would be),
    with a device id claimed by the test's scope. `options`: `session_timeout`, `idle`, `auto_session`,
    and the `VirtualDevice` keywords listed in `_DEVICE_OPTIONS`."""
    unknown = set(options) - set(_ADAPTER_OPTIONS) - set(_DEVICE_OPTIONS) - set(_WEB_ONLY_OPTIONS)
    if unknown:
        known = ", ".join((*_ADAPTER_OPTIONS, *_DEVICE_OPTIONS))
        raise HarnessConfigError(f"virtual {platform} app: unknown option(s) {', '.join(sorted(unknown))}; known: {known}")
    init_options = options.get("init_options") or {}
    if not isinstance(init_options, Mapping):
        raise HarnessConfigError(f"virtual {platform} app: init_options: must be a mapping, got {init_options!r}")
    # the Web SDK's name for the trigger interval setting both mobile SDKs have (messaging.py); checked before
    # the device is made, so a wrong value is one error and leaves nothing behind
    interval = init_options.get("minimumIntervalBetweenTriggerActionsInSeconds")
    if interval is not None:
        try:
            interval = _number(interval, "init_options.minimumIntervalBetweenTriggerActionsInSeconds")
        except VirtualAppError as exc:
            raise HarnessConfigError(f"virtual {platform} app: {exc}") from None
    base_url, proxy, verify = _endpoint(request)
    device_options = {k: v for k, v in options.items() if k in _DEVICE_OPTIONS and v is not None}
    device = VirtualDevice(
        platform,
        api_key=api_key,
        base_url=base_url,
        device_id=braze.new_device_id(uppercase=platform == "ios"),
        proxy=proxy,
        verify=verify,
        **device_options,
    )
    if interval is not None:
        device.messaging.min_trigger_interval = float(interval)
    adapter_options = {k: v for k, v in options.items() if k in _ADAPTER_OPTIONS}

    def push_source(device_id: str) -> list[dict[str, Any]]:
        return braze.push.outbox(device_id, drain=True)  # the outbox stands in for FCM/APNs

    return VirtualDeviceAdapter(device, push_source=push_source, **adapter_options)


def _endpoint(request: Any) -> tuple[str, str | None, Any]:
    """The emulator's URL; with `--braze-proxy`, the real Braze host through the run's mitmproxy (HTTPS,
    trusting its CA), which answers from the emulator."""
    emulator_url = request.getfixturevalue("braze_emulator_url")
    if not request.config.getoption("--braze-proxy", default=False):
        return emulator_url, None, True
    proxy = request.getfixturevalue("braze_proxy")
    return request.getfixturevalue("braze_sdk_base_url"), proxy.url, ssl.create_default_context(cafile=str(proxy.ca_cert))
