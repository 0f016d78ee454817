"""`AppiumAdapter`: the suites' `AppAdapter` on a real Android/iOS app (or the fake driver's app), through Appium.

    ./qa suites --braze-target my-pixel        # a profile of braze-targets.yaml, with `locators:` for the app
    pytest --braze-target fake …               # the plumbing on devices/appium/fake_app.xml, no phone needed
                                               # (the fake app has no SDK: it sends nothing)

Each abstract action is a few taps and typed texts on the controls declared in `Locators` (where they are, per
app); the phone itself is driven with Appium's `mobile:` commands:

* `launch()`: a session with the target's capabilities, then (once per adapter) the target's reset commands
  (`mobile: clearApp`: a fresh anonymous Braze user), `mobile: activateApp`, and a wait for `locators.ready`;
* `reload()`: `mobile: terminateApp` + `mobile: activateApp` (a restart keeping the app's data);
* `advance_time(s)`: `mobile: backgroundApp {seconds: s}`: the app goes to the background and comes back. On a
  real device, emulator or simulator Appium really waits `s` seconds (the session timeout needs real time);
  only the virtual SDK devices (`android-virtual`, `ios-virtual`) move a clock instead;
* `flush()`: the QA build's debug hook: a button (`locators.flush_button`) or a deep link (`flush_deep_link`)
  calling `requestImmediateDataFlush()`;
* `close()`: quits the session (safe twice);
* `device_id`: the app's UI does not show it, so it is `None` until the emulator has seen the app: then it is the
  `device_id` of the first request, in this test's scope, that carries the app's api key.

Push (what the QA build must provide: README "Push on a real app"):

* `enable_push()`: the OS permission (Android 13+ `mobile: changePermissions` grant POST_NOTIFICATIONS; an iOS
  simulator `mobile: setPermission {notifications: yes}`), then the app's `locators.push_enable` control, and a
  permission prompt it brings up accepted (a real iPhone's only way: waited for up to `prompt_timeout` s);
* `disable_push_in_os()`: the permission revoked (`changePermissions` revoke / `setPermission` no); the SDK
  reports it at its next session;
* `unregister_push()`: the app's `locators.push_unregister` control (`Braze.unregisterPush()`);
* `open_push(delivery)`: Android: the delivery's FCM data, as string extras of `mobile: broadcast`, to the QA
  build's debug push-injection receiver (`locators.push_receiver`), then `mobile: openNotifications` and a tap on
  the notification titled like the push; iOS simulator: `mobile: pushNotification {bundleId, payload}` with the APNs
  payload, then a tap on the banner (looked up in the springboard). A real iPhone cannot get a simulated push.

With the fake driver (automationName `Fake`) the `mobile:` commands, which it does not have, go to a `FakeOs`
(`devices/appium/fake_os.py`) that records them and applies what the fake app can show.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shlex
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from devices.appium.fake_os import FakeOs
from devices.appium.locators import Locator, Locators
from devices.appium.screen import AppiumScreen
from devices.appium.server import AppiumEndpoint, AppiumSetupError, install_command, shown_url
from devices.targets.profiles import POST_NOTIFICATIONS
from harness.adapters.base import ATTRIBUTE_KINDS, AppAdapter, AttributeKind, check_profile_fields
from harness.errors import HarnessConfigError, HarnessError
from harness.protocol.push import SIMULATOR_TARGET_KEY, campaign_of

FAKE_APP_XML = Path(__file__).with_name("fake_app.xml")

ResetCommand = tuple[str, Mapping[str, Any]]
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


class AppiumAppError(HarnessError):
    """The app did not let an action through (a control missing on screen, bad input)."""


class AppiumAdapter(AppAdapter):
    def __init__(
        self,
        endpoint: AppiumEndpoint | str,
        capabilities: Mapping[str, Any],
        *,
        locators: Locators | None = None,
        app_id: str | None = None,
        reset_commands: Iterable[ResetCommand] = (),
        reset_on_launch: bool = True,
        ready_timeout: float = 30.0,
        device_id_source: Callable[[], str | None] | None = None,
        launch_command: ResetCommand | None = None,
        ios_simulator: bool | None = None,
        push_source: PushSource | None = None,
        notification_timeout: float = 15.0,
        prompt_timeout: float = 3.0,
    ) -> None:
        self.endpoint = endpoint if isinstance(endpoint, AppiumEndpoint) else AppiumEndpoint(endpoint)
        self.capabilities = dict(capabilities)
        self.automation_name = str(self.capabilities.get("appium:automationName", ""))
        self.platform = _platform(self.capabilities)
        self.locators = locators or Locators()
        self.app_id = app_id
        self.reset_commands: list[ResetCommand] = [(name, dict(args)) for name, args in reset_commands]
        self.reset_on_launch = reset_on_launch
        self.ready_timeout = ready_timeout
        self.device_id_source = device_id_source
        # how the app is (re)started: the target's command carries the debug-hook launch arguments (api key,
        # endpoint) that `mobile: activateApp` cannot pass, so a cleared app still gets them
        self.launch_command = launch_command
        # iOS: True a simulator, False a real device (no simulated push, no setPermission), None unknown (a farm or
        # a remote grid: the driver's answer decides)
        self.ios_simulator = ios_simulator
        self.push_source = push_source
        self.notification_timeout = notification_timeout
        self.prompt_timeout = prompt_timeout
        self.driver: Any = None
        self._screen: AppiumScreen | None = None
        self.fake_os: FakeOs | None = None
        self._reset_done = False
        self._device_id: str | None = None

    # ---- the phone: session and mobile: commands ----

    def _session(self) -> Any:
        if self.driver is not None:
            return self.driver
        from appium import webdriver
        from appium.options.common.base import AppiumOptions
        from selenium.common.exceptions import WebDriverException

        options = AppiumOptions()
        options.load_capabilities(self.capabilities)
        try:
            self.driver = webdriver.Remote(self.endpoint.url, options=options)
        except WebDriverException as exc:
            message = (exc.msg or str(exc)).splitlines()[0]
            if "Could not find a driver" in message:
                raise AppiumSetupError(
                    f"{message} Install it from the repository root with: {install_command(self.automation_name or '?')}"
                ) from None
            raise AppiumAppError(shown_url(f"Appium could not create a session at {self.endpoint.url}: {message}")) from None
        if self.automation_name.lower() == "fake":
            self.fake_os = FakeOs(self.driver)
        return self.driver

    def execute(self, script: str, args: Mapping[str, Any] | None = None) -> Any:
        """`driver.execute_script(script, args)`; `mobile:` commands go to the FakeOs on the fake driver."""
        driver = self._session()
        if self.fake_os is not None:
            return self.fake_os.execute(script, dict(args or {}))
        return driver.execute_script(script, dict(args or {}))

    def _app_args(self) -> dict[str, Any]:
        # UiAutomator2 reads appId, XCUITest bundleId: the Python client sends both, so do we
        return {"appId": self.app_id, "bundleId": self.app_id} if self.app_id else {}

    # ---- lifecycle ----

    def launch(self) -> None:
        self._session()
        if self.reset_on_launch and not self._reset_done:
            self.reset()
        self._start_app()
        self._wait_ready()

    def _start_app(self) -> None:
        if self.launch_command is not None and self.fake_os is None:
            self.execute(*self.launch_command)
        elif self.app_id or self.fake_os is not None:
            self.execute("mobile: activateApp", self._app_args())

    def reset(self) -> None:
        """A fresh anonymous Braze user: the target's reset commands (e.g. `mobile: clearApp`), in order."""
        for name, args in self.reset_commands:
            self.execute(name, args)
        self._reset_done = True
        self._device_id = None

    def reload(self) -> None:
        self.execute("mobile: terminateApp", self._app_args())
        self._start_app()
        self._wait_ready()

    def advance_time(self, seconds: float) -> None:
        # real devices: Appium waits `seconds` with the app in the background (a negative value returns at once)
        self.execute("mobile: backgroundApp", {"seconds": seconds})

    def close(self) -> None:
        driver, self.driver = self.driver, None
        if driver is None:
            return
        with contextlib.suppress(Exception):  # the session may be gone already (server stopped, timeout)
            driver.quit()

    @property
    def device_id(self) -> str | None:
        if self._device_id is None and self.device_id_source is not None:
            self._device_id = self.device_id_source()
        return self._device_id

    @property
    def screen(self) -> AppiumScreen:
        """What the app shows (IAM, cards, banners, flag gate), read with `locators.screen`: the suites'
        `MessagingScreen` (`app.screen`), like the web demo's and the virtual devices'."""
        if self._screen is None or self._screen.driver is not self._session():
            self._screen = AppiumScreen(self._session(), self.locators.screen, dialect=self.platform, flush=self.flush)
        return self._screen

    def _wait_ready(self) -> None:
        ready = self.locators.ready
        if ready is None:
            return
        deadline = time.monotonic() + self.ready_timeout
        while not self.driver.find_elements(ready.by, ready.value):
            if time.monotonic() >= deadline:
                raise AppiumAppError(f"the app did not show locators.ready ({ready}) within {self.ready_timeout:g} s")
            time.sleep(0.25)

    # ---- controls ----

    def _locator(self, field: str) -> Locator:
        locator = getattr(self.locators, field)
        if locator is None:
            raise HarnessConfigError(f"locators.{field} is not set: this app has no control for it")
        return locator

    def _element(self, field: str, locator: Locator | None = None) -> Any:
        locator = locator or self._locator(field)
        found = self._session().find_elements(locator.by, locator.value)
        if not found:
            raise AppiumAppError(f"locators.{field} ({locator}) matches nothing on screen")
        return found[0]

    def _type(self, field: str, text: str, locator: Locator | None = None) -> None:
        element = self._element(field, locator)
        element.clear()
        if text:
            element.send_keys(text)

    def _tap(self, field: str) -> None:
        self._element(field).click()

    # ---- actions ----

    def login(self, user_id: str) -> bool | None:
        if not user_id:
            raise AppiumAppError("user id is empty")
        self._type("login_field", user_id)
        self._tap("login_button")
        return None  # the app's UI does not tell what changeUser answered

    def logout(self) -> bool | None:
        self._tap("logout_button")
        return None

    def set_profile(self, **standard_fields: Any) -> Mapping[str, bool] | None:
        check_profile_fields(standard_fields)
        if not standard_fields:
            raise AppiumAppError("no profile field filled in")
        missing = sorted(set(standard_fields) - set(self.locators.profile_fields))
        if missing:
            raise HarnessConfigError(f"locators.profile_fields has no field for {', '.join(missing)}")
        for name, value in standard_fields.items():
            self._type(f"profile_fields.{name}", _plain(value), self.locators.profile_fields[name])
        if self.locators.profile_save is not None:
            self._tap("profile_save")
        return None

    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        if kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"unknown attribute kind {kind!r}; known: {', '.join(ATTRIBUTE_KINDS)}")
        if not key:
            raise AppiumAppError("attribute key is empty")
        self._type("attribute_key", key)
        self._type("attribute_value", _json(value))
        if kind != "auto" or self.locators.attribute_kind is not None:
            self._type("attribute_kind", kind)
        self._tap("attribute_set")
        return None

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        if not name:
            raise AppiumAppError("event name is empty")
        self._type("event_name", name)
        if properties or self.locators.event_properties is not None:
            self._type("event_properties", _json(dict(properties)) if properties else "")
        self._tap("event_log")
        return None

    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        if not product_id:
            raise AppiumAppError("product id is empty")
        self._type("purchase_product", product_id)
        self._type("purchase_price", _plain(price))
        for field, text, default in (
            ("purchase_currency", currency or "USD", "USD"),
            ("purchase_quantity", str(quantity), "1"),
            ("purchase_properties", _json(dict(properties)) if properties else "", ""),
        ):
            if getattr(self.locators, field) is not None or text != default:
                self._type(field, text)
        self._tap("purchase_button")
        return None

    def flush(self) -> None:
        if self.locators.flush_button is not None:
            self._tap("flush_button")
        elif self.locators.flush_deep_link:
            package = {"package": self.app_id, "bundleId": self.app_id} if self.app_id else {}
            self.execute("mobile: deepLink", {"url": self.locators.flush_deep_link, **package})
        else:
            raise HarnessConfigError("locators.flush_button and locators.flush_deep_link are both unset: the app cannot flush")

    # ---- push ----

    def enable_push(self) -> str | None:
        """The user allows notifications and the app registers for push. The OS permission first (Android 13+:
        POST_NOTIFICATIONS granted; an iOS simulator: `setPermission` notifications yes, which needs applesimutils on
        the Appium host), then the app's `locators.push_enable` control, then a permission prompt it brings up is
        accepted (on a real iPhone, where nothing grants it beforehand, waited for up to `prompt_timeout` s). The
        app does not show the token: returns None (the emulator's profile has it)."""
        granted = self._push_permission(allow=True)
        if self.locators.push_enable is not None:
            self._tap("push_enable")
            self._accept_prompt(wait=0 if granted else self.prompt_timeout)
        elif not granted:
            raise HarnessConfigError(
                f"locators.push_enable is not set: on this {self._device_kind()} the app's enable-push control is the "
                "only way to ask for notifications"
            )
        return None

    def disable_push_in_os(self) -> None:
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

    def unregister_push(self) -> None:
        """The app's `locators.push_unregister` control, which calls `Braze.unregisterPush()` (`push/unregister`)."""
        if self.locators.push_unregister is None:
            raise HarnessConfigError("locators.push_unregister is not set: the app has no control calling Braze unregisterPush()")
        self._tap("push_unregister")

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The push `delivery` (from `braze.push.send()` / `braze.push.outbox(app)`; None: the latest waiting for this
        device) reaches the phone as FCM/APNs would hand it over, then the user taps its notification: the SDK logs
        the open (`pc`). Returns `{id, platform, title, body, campaign_id}` of the notification tapped."""
        delivery = self._delivery(delivery)
        payload = dict(delivery.get("payload") or {})
        platform = str(delivery.get("platform"))
        if platform not in ("android", "ios") or self.platform not in (platform, "fake"):
            raise AppiumAppError(f"delivery {delivery.get('id')} is a {platform} push: this app runs on {self.platform}")
        title, body = _notification_text(platform, payload)
        if not title:
            raise AppiumAppError(f"delivery {delivery.get('id')} has no title or body: no notification to tap")
        # checked before anything reaches the phone (a title with a quote cannot go into most locators)
        locator = (self.locators.push_notification or DEFAULT_NOTIFICATION[platform]).format(title=title)
        if platform == "android":
            self._deliver_fcm(payload)
        else:
            self._deliver_apns(payload)
        self._tap_notification(title, locator)
        return {"id": delivery.get("id"), "platform": platform, "title": title, "body": body, "campaign_id": campaign_of(payload)}

    def _device_kind(self) -> str:
        if self.platform == "ios":
            return "iOS device" if self.ios_simulator is False else "iOS target"
        return "fake device" if self.platform == "fake" else f"{self.platform} device"

    def _app_id_for(self, what: str) -> str:
        if not self.app_id:
            field = "bundle_id" if self.platform == "ios" else "app_package"
            raise HarnessConfigError(f"{what} needs the app's id: the target's {field} is not set")
        return self.app_id

    def _push_permission(self, *, allow: bool) -> bool:
        """Sets the OS notification permission by command; False when this device has no such command."""
        from selenium.common.exceptions import WebDriverException

        if self.platform == "android":
            action = "grant" if allow else "revoke"
            args = {"permissions": [POST_NOTIFICATIONS], "appPackage": self._app_id_for("push"), "action": action}
            try:
                self.execute("mobile: changePermissions", args)
            except WebDriverException as exc:
                if "POST_NOTIFICATIONS" not in (exc.msg or ""):
                    raise
                # Android < 13, or an app targeting SDK < 33: no runtime permission, notifications are on by default
                if not allow:
                    raise AppiumAppError(
                        f"POST_NOTIFICATIONS cannot be revoked here (Android < 13 or targetSdk < 33): {exc.msg}"
                    ) from None
            return True
        if self.platform != "ios" or self.ios_simulator is False:
            return False
        access = {"notifications": "yes" if allow else "no"}
        try:
            self.execute("mobile: setPermission", {"bundleId": self._app_id_for("push"), "access": access})
        except WebDriverException as exc:
            if self.ios_simulator is None and _simulator_only(exc):
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

        deadline = time.monotonic() + wait
        while True:
            try:
                if self.platform == "ios":  # springboard alerts: XCUITest's own command
                    self.execute("mobile: alert", {"action": "accept"})
                else:
                    self._session().switch_to.alert.accept()
                return True
            except NoAlertPresentException:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.25)

    def _delivery(self, delivery: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if delivery is not None:
            return delivery
        if self.push_source is None:
            raise AppiumAppError("open_push() needs the delivery here (braze.push.outbox(app) or a send result's deliveries)")
        device_id = self.device_id
        if device_id is None:
            raise AppiumAppError("open_push(): the emulator has not seen this app yet (no device id): pass the delivery")
        waiting = self.push_source(device_id)
        if not waiting:
            raise AppiumAppError(f"open_push(): no push is waiting for device {device_id}")
        return waiting[-1]

    def _deliver_fcm(self, payload: Mapping[str, Any]) -> None:
        receiver = self.locators.push_receiver
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
        self.execute("mobile: broadcast", args)
        self.execute("mobile: openNotifications")

    def _deliver_apns(self, payload: Mapping[str, Any]) -> None:
        from selenium.common.exceptions import WebDriverException

        if self.ios_simulator is False:
            raise AppiumAppError(REAL_IPHONE_PUSH)
        apns = {k: v for k, v in payload.items() if k != SIMULATOR_TARGET_KEY}  # the driver adds the app's own
        bundle = self._app_id_for("open_push")
        # iOS shows no banner for the app in the foreground unless the app's willPresent delegate asks for one: the
        # user is on the home screen when the push arrives (a negative time: the app is not brought back)
        self.execute("mobile: backgroundApp", {"seconds": -1})
        try:
            self.execute("mobile: pushNotification", {"bundleId": bundle, "payload": apns})
        except WebDriverException as exc:
            if _simulator_only(exc):
                raise AppiumAppError(REAL_IPHONE_PUSH) from None
            raise

    def _tap_notification(self, title: str, locator: Locator) -> None:
        driver = self._session()
        # an iOS banner belongs to the springboard, not to the app under test (XCUITest troubleshooting)
        springboard = self.platform == "ios"
        if springboard:
            driver.update_settings({"defaultActiveApplication": SPRINGBOARD})
        try:
            deadline = time.monotonic() + self.notification_timeout
            while True:
                found = driver.find_elements(locator.by, locator.value)
                if self.fake_os is not None and not self.fake_os.showing(title):
                    found = []  # the fake app's notification element is static: the FakeOs knows if it was delivered
                if found:
                    break
                if time.monotonic() >= deadline:
                    raise AppiumAppError(
                        f"no notification titled {title!r} within {self.notification_timeout:g} s "
                        f"(locators.push_notification: {locator})"
                    )
                time.sleep(0.25)
            found[0].click()
        finally:
            if springboard:
                driver.update_settings({"defaultActiveApplication": "auto"})
        if self.fake_os is not None:
            self.fake_os.opened(title)


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


def _platform(capabilities: Mapping[str, Any]) -> str:
    automation = str(capabilities.get("appium:automationName", "")).lower()
    platform = str(capabilities.get("platformName", "")).lower()
    if automation == "fake" or platform == "fake":
        return "fake"
    return "ios" if platform == "ios" or automation == "xcuitest" else "android"


def _plain(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


# ---------------------------------------------------------------------- pytest plugin factory

_OPTIONS = ("locators", "reset_on_launch", "ready_timeout")
# the web demo's and the virtual devices' options: a real app's SDK settings live in its build, so they are ignored
_IGNORED_OPTIONS = ("logging", "init_options", "session_timeout", "idle", "auto_session")


def appium_app(*, request: Any, braze: Any, api_key: str, **options: Any) -> AppiumAdapter:
    """`--braze-target fake` / any Appium target: the app of `braze_target` through the session's Appium server.

    Options (`@pytest.mark.braze_app(...)`): `locators` (a `Locators`, a mapping or a YAML path; default: the
    target's `locators`, else those of fake_app.xml), `reset_on_launch`, `ready_timeout`."""
    unknown = set(options) - set(_OPTIONS) - set(_IGNORED_OPTIONS)
    if unknown:
        raise HarnessConfigError(f"appium app: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(_OPTIONS)}")
    target = request.getfixturevalue("braze_target")
    if not getattr(target, "uses_appium", False):
        raise HarnessConfigError(f"--braze-target {target.name} is not an Appium target (kind {target.kind})")
    endpoint: AppiumEndpoint = request.getfixturevalue("braze_appium_server")
    sdk_endpoint = request.getfixturevalue("braze_sdk_base_url")
    proxy = request.getfixturevalue("braze_proxy") if request.config.getoption("--braze-proxy", default=False) else None
    capabilities = dict(target.capabilities(api_key=api_key, endpoint=sdk_endpoint, ca_pem=proxy.ca_cert if proxy else None))
    if target.platform == "fake":
        capabilities.setdefault("appium:app", str(FAKE_APP_XML))
    automation_name = capabilities.get("appium:automationName")
    if automation_name:
        endpoint.require_driver(str(automation_name))
    locators = options.get("locators", getattr(target, "locators", None))
    if locators is not None and not isinstance(locators, Locators):
        locators = Locators.load(locators, name=f"target {target.name} locators")
    adapter = AppiumAdapter(
        endpoint,
        capabilities,
        locators=locators,
        app_id=target.app_id,
        reset_commands=target.reset_commands(),
        launch_command=target.launch_command(api_key=api_key, endpoint=sdk_endpoint),
        reset_on_launch=options.get("reset_on_launch", True),
        ready_timeout=options.get("ready_timeout", 30.0),
        device_id_source=lambda: first_device_id(braze, api_key),
        ios_simulator=getattr(target, "simulator", None) if target.platform == "ios" else None,
        push_source=lambda device_id: braze.push.outbox(device_id),
    )
    # runs before the factory's teardown closes the session: the screen is still there to be saved
    request.addfinalizer(lambda: _artifacts_on_failure(request, adapter))
    return adapter


def _artifacts_on_failure(request: Any, adapter: AppiumAdapter) -> None:
    node = request.node
    failed = [r for r in (getattr(node, "_braze_rep_setup", None), getattr(node, "_braze_rep_call", None)) if r and r.failed]
    if not failed:
        return
    from harness.plugin.artifacts import test_folder

    folder = test_folder(request.config, node.nodeid)
    saved = save_artifacts(adapter, folder)
    if hasattr(adapter.endpoint, "log_tail"):
        tail = "\n".join(line[:240] for line in adapter.endpoint.log_tail(12).splitlines())
    else:
        tail = "(a remote server: its log is where it runs)"
    failed[-1].sections.append((f"Appium (saved in {folder}: {', '.join(saved) or 'nothing'}) server log tail", tail))


def save_artifacts(adapter: AppiumAdapter, folder: Path) -> list[str]:
    """What the app shows now (page source, screenshot), the FakeOs log and the server log: the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []
    if adapter.driver is not None:
        with contextlib.suppress(Exception):  # a dead session must not hide the test's own failure
            (folder / "appium-page-source.xml").write_text(adapter.driver.page_source)
            saved.append("appium-page-source.xml")
        with contextlib.suppress(Exception):
            (folder / "appium-screenshot.png").write_bytes(adapter.driver.get_screenshot_as_png())
            saved.append("appium-screenshot.png")
    if adapter.fake_os is not None:
        (folder / "appium-fake-os.txt").write_text("".join(f"{name} {json.dumps(args)}\n" for name, args in adapter.fake_os.log))
        saved.append("appium-fake-os.txt")
    log_path = getattr(adapter.endpoint, "log_path", None)
    if log_path is not None and Path(log_path).exists():
        (folder / "appium-server.log").write_bytes(Path(log_path).read_bytes())
        saved.append("appium-server.log")
    return saved


def first_device_id(braze: Any, api_key: str) -> str | None:
    """The device id of the first request in the test's scope that carries `api_key` (None before any)."""
    for entry in braze.entries():
        if entry.api_key == api_key and entry.device_id:
            return entry.device_id
    return None
