"""Push on a real app through Appium: the OS notification permission, the app's push controls, and a push
delivered the way FCM/APNs would hand it over, then tapped (what the QA build must provide:
docs/targets.md#push-on-a-real-app).

* `enable()`: the OS permission (Android 13+ `mobile: changePermissions` grant POST_NOTIFICATIONS; an iOS
  simulator `mobile: setPermission {notifications: yes}`), then the app's `locators.push_enable` control, and a
  permission prompt it brings up accepted (a real iPhone's only way: waited for up to `prompt_timeout` s);
* `disable_in_os()`: the permission revoked (`changePermissions` revoke / `setPermission` no); the SDK reports it
  at its next session;
* `unregister()`: the app's `locators.push_unregister` control (`Braze.unregisterPush()`);
* `open(delivery)`: Android: the delivery's FCM data, as string extras of `mobile: broadcast`, to the QA build's
  debug push-injection receiver (`locators.push_receiver`), then `mobile: openNotifications` and a tap on the
  notification titled like the push; iOS simulator: `mobile: pushNotification {bundleId, payload}` with the APNs
  payload, then a tap on the banner (looked up in the springboard). A real iPhone cannot get a simulated push.

`AppiumPush` works on a `PushSide`, what it needs of the app (`AppiumAdapter` implements it and delegates its
push actions here): its platform and id, its locators, its `mobile:` commands, its session and taps.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from braze_harness.devices.appium.driver import AppiumAppError
from braze_harness.devices.appium.fake_os import FakeOs
from braze_harness.devices.appium.server import AppiumSetupError
from braze_harness.devices.targets.locators import Locator, Locators
from braze_harness.devices.tools.push_delivery import POST_NOTIFICATIONS
from braze_harness.errors import HarnessConfigError
from braze_harness.expect.waiting import wait_until
from braze_harness.protocol.push import SIMULATOR_TARGET_KEY, campaign_of

PushSource = Callable[[str], list[dict[str, Any]]]  # device id -> the deliveries waiting for it (the emulator outbox)

# where a notification is when `locators.push_notification` is not set: the Android shade's title text, the iOS
# banner's label (it reads "<app>, now, <title>, <body>")
DEFAULT_NOTIFICATION = {
    "android": Locator(by="xpath", value="//*[@text='{title}']"),
    "ios": Locator(by="-ios predicate string", value="label CONTAINS '{title}'"),
}
SPRINGBOARD = "com.apple.springboard"
REAL_IPHONE_PUSH = (
    "a real iOS device cannot receive a simulated push (mobile: pushNotification is simulator only): use an "
    "ios-simulator target, or send a real APNs push to the app"
)


class PushSide(Protocol):
    """What the push actions need of the app under test."""

    platform: str  # "android", "ios" or "fake"
    app_id: str | None
    ios_simulator: bool | None  # iOS: True a simulator, False a real device, None unknown (a farm, a grid)
    locators: Locators
    fake_os: FakeOs | None
    push_source: PushSource | None
    notification_timeout: float
    prompt_timeout: float

    @property
    def device_id(self) -> str | None: ...

    def execute(self, script: str, args: Mapping[str, Any] | None = None) -> Any: ...

    def session(self) -> Any: ...

    def tap(self, field: str) -> None: ...


class AppiumPush:
    """The push actions of one app (`AppiumAdapter.enable_push()`, `open_push()`, ...)."""

    def __init__(self, app: PushSide) -> None:
        self.app = app

    def enable(self) -> str | None:
        """The user allows notifications and the app registers for push. The OS permission first (Android 13+:
        POST_NOTIFICATIONS granted; an iOS simulator: `setPermission` notifications yes, which needs applesimutils on
        the Appium host), then the app's `locators.push_enable` control, then a permission prompt it brings up is
        accepted (on a real iPhone, where nothing grants it beforehand, waited for up to `prompt_timeout` s). The
        app does not show the token: returns None (the emulator's profile has it)."""
        granted = self._push_permission(allow=True)
        if self.app.locators.push_enable is not None:
            self.app.tap("push_enable")
            self._accept_prompt(wait=0 if granted else self.app.prompt_timeout)
        elif not granted:
            raise HarnessConfigError(
                f"locators.push_enable is not set: on this {self._device_kind()} the app's enable-push control is the "
                "only way to ask for notifications"
            )
        return None

    def disable_in_os(self) -> None:
        """Notifications turned off in the OS settings: Android `changePermissions` revoke POST_NOTIFICATIONS (Android
        kills the app's process when a runtime permission is revoked), iOS simulator `setPermission` notifications no.
        The app is not told: the SDK reports it at its next session (Android `remote_notification_enabled: false`
        with the token, iOS `ios_push_auth: denied`): follow with `advance_time()` past the session timeout and
        `reload()`."""
        if not self._push_permission(allow=False):
            raise AppiumAppError(
                f"notifications cannot be turned off by a command on this {self._device_kind()}: only by hand in its "
                "Settings app (use an Android target or an iOS simulator)"
            )

    def unregister(self) -> None:
        """The app's `locators.push_unregister` control, which calls `Braze.unregisterPush()` (`push/unregister`)."""
        if self.app.locators.push_unregister is None:
            raise HarnessConfigError("locators.push_unregister is not set: the app has no control calling Braze unregisterPush()")
        self.app.tap("push_unregister")

    def open(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The push `delivery` (from `braze.push.send()` / `braze.push.outbox(app)`; None: the latest waiting for this
        device) reaches the phone as FCM/APNs would hand it over, then the user taps its notification: the SDK logs
        the open (`pc`). Returns `{id, platform, title, body, campaign_id}` of the notification tapped."""
        delivery = self._delivery(delivery)
        payload = dict(delivery.get("payload") or {})
        platform = str(delivery.get("platform"))
        if platform not in ("android", "ios") or self.app.platform not in (platform, "fake"):
            raise AppiumAppError(f"delivery {delivery.get('id')} is a {platform} push: this app runs on {self.app.platform}")
        title, body = _notification_text(platform, payload)
        if not title:
            raise AppiumAppError(f"delivery {delivery.get('id')} has no title or body: no notification to tap")
        # checked before anything reaches the phone (a title with a quote cannot go into most locators)
        locator = (self.app.locators.push_notification or DEFAULT_NOTIFICATION[platform]).format(title=title)
        if platform == "android":
            self._deliver_fcm(payload)
        else:
            self._deliver_apns(payload)
        self._tap_notification(title, locator)
        return {"id": delivery.get("id"), "platform": platform, "title": title, "body": body, "campaign_id": campaign_of(payload)}

    def _device_kind(self) -> str:
        if self.app.platform == "ios":
            return "iOS device" if self.app.ios_simulator is False else "iOS target"
        return "fake device" if self.app.platform == "fake" else f"{self.app.platform} device"

    def _app_id_for(self, what: str) -> str:
        if not self.app.app_id:
            field = "bundle_id" if self.app.platform == "ios" else "app_package"
            raise HarnessConfigError(f"{what} needs the app's id: the target's {field} is not set")
        return self.app.app_id

    def _push_permission(self, *, allow: bool) -> bool:
        """Sets the OS notification permission by command; False when this device has no such command."""
        from selenium.common.exceptions import WebDriverException

        if self.app.platform == "android":
            action = "grant" if allow else "revoke"
            args = {"permissions": [POST_NOTIFICATIONS], "appPackage": self._app_id_for("push"), "action": action}
            try:
                self.app.execute("mobile: changePermissions", args)
            except WebDriverException as exc:
                if "POST_NOTIFICATIONS" not in (exc.msg or ""):
                    raise
                # Android < 13, or an app targeting SDK < 33: no runtime permission, notifications are on by default
                if not allow:
                    raise AppiumAppError(
                        f"POST_NOTIFICATIONS cannot be revoked here (Android < 13 or targetSdk < 33): {exc.msg}"
                    ) from None
            return True
        if self.app.platform != "ios" or self.app.ios_simulator is False:
            return False
        access = {"notifications": "yes" if allow else "no"}
        try:
            self.app.execute("mobile: setPermission", {"bundleId": self._app_id_for("push"), "access": access})
        except WebDriverException as exc:
            if self.app.ios_simulator is None and _simulator_only(exc):
                return False  # a real device behind a farm or grid
            if "applesimutils" in (exc.msg or ""):  # the notifications service is set through WIX applesimutils
                raise AppiumSetupError(
                    "mobile: setPermission (notifications) needs applesimutils on the Appium host: "
                    "brew tap wix/brew && brew install applesimutils"
                ) from None
            raise
        return True

    def _accept_prompt(self, *, wait: float) -> bool:
        """Accepts a system alert (the notification prompt) if one shows within `wait` s; False if none did."""
        from selenium.common.exceptions import NoAlertPresentException

        def accepted(_entries: list[Any]) -> bool | None:
            try:
                if self.app.platform == "ios":  # springboard alerts: XCUITest's own command
                    self.app.execute("mobile: alert", {"action": "accept"})
                else:
                    self.app.session().switch_to.alert.accept()
                return True
            except NoAlertPresentException:
                return None

        found, *_ = wait_until(None, wait, accepted, every=0.25)
        return bool(found)

    def _delivery(self, delivery: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if delivery is not None:
            return delivery
        if self.app.push_source is None:
            raise AppiumAppError("open_push() needs the delivery here (braze.push.outbox(app) or a send result's deliveries)")
        device_id = self.app.device_id
        if device_id is None:
            raise AppiumAppError("open_push(): the emulator has not seen this app yet (no device id): pass the delivery")
        waiting = self.app.push_source(device_id)
        if not waiting:
            raise AppiumAppError(f"open_push(): no push is waiting for device {device_id}")
        return waiting[-1]

    def _deliver_fcm(self, payload: Mapping[str, Any]) -> None:
        receiver = self.app.locators.push_receiver
        if receiver is None:
            raise HarnessConfigError(
                "locators.push_receiver is not set: an Android push reaches the app through the QA build's debug "
                "push-injection receiver ({action, component})"
            )
        args: dict[str, Any] = {"action": receiver.action}
        if receiver.component:
            args["component"] = receiver.component
        else:
            args["package"] = self._app_id_for("locators.push_receiver without a component")
        # FCM data values are strings; `adb shell` re-parses the command line on the device: one quoted word each
        args["extras"] = [["s", str(key), shlex.quote(_fcm_string(value))] for key, value in payload.items()]
        self.app.execute("mobile: broadcast", args)
        self.app.execute("mobile: openNotifications")

    def _deliver_apns(self, payload: Mapping[str, Any]) -> None:
        from selenium.common.exceptions import WebDriverException

        if self.app.ios_simulator is False:
            raise AppiumAppError(REAL_IPHONE_PUSH)
        apns = {k: v for k, v in payload.items() if k != SIMULATOR_TARGET_KEY}  # the driver adds the app's own
        bundle = self._app_id_for("open_push")
        # iOS shows no banner for the app in the foreground unless the app's willPresent delegate asks for one: the
        # user is on the home screen when the push arrives (a negative time: the app is not brought back)
        self.app.execute("mobile: backgroundApp", {"seconds": -1})
        try:
            self.app.execute("mobile: pushNotification", {"bundleId": bundle, "payload": apns})
        except WebDriverException as exc:
            if _simulator_only(exc):
                raise AppiumAppError(REAL_IPHONE_PUSH) from None
            raise

    def _tap_notification(self, title: str, locator: Locator) -> None:
        driver = self.app.session()
        # an iOS banner belongs to the springboard, not to the app under test (XCUITest troubleshooting)
        springboard = self.app.platform == "ios"
        if springboard:
            driver.update_settings({"defaultActiveApplication": SPRINGBOARD})
        try:

            def shown(_entries: list[Any]) -> list[Any] | None:
                found = driver.find_elements(locator.by, locator.value)
                if self.app.fake_os is not None and not self.app.fake_os.showing(title):
                    return None  # the fake app's notification element is static: the FakeOs knows if it was delivered
                return found or None

            found, *_ = wait_until(None, self.app.notification_timeout, shown, every=0.25)
            if found is None:
                raise AppiumAppError(
                    f"no notification titled {title!r} within {self.app.notification_timeout:g} s "
                    f"(locators.push_notification: {locator})"
                )
            found[0].click()
        finally:
            if springboard:
                driver.update_settings({"defaultActiveApplication": "auto"})
        if self.app.fake_os is not None:
            self.app.fake_os.opened(title)


def _notification_text(platform: str, payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(what the notification shows as its title, its body): FCM `t`/`a`, APNs `aps.alert`; without a title the
    body is the text looked for."""
    if platform == "android":
        title, body = payload.get("t"), payload.get("a")
    else:
        aps = payload.get("aps")
        alert = aps.get("alert") if isinstance(aps, dict) else None
        title, body = (alert.get("title"), alert.get("body")) if isinstance(alert, dict) else (None, alert)
    return (title or body), body


def _simulator_only(exc: Exception) -> bool:
    # XCUITest's requireSimulator(): "<what> can only be performed on Simulator" (and older "only works on Simulator")
    return re.search(r"only (be performed|works) on simulator", getattr(exc, "msg", None) or str(exc), re.I) is not None


def _fcm_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
