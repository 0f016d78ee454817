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

Push (`enable_push()`, `disable_push_in_os()`, `unregister_push()`, `open_push()`) is `devices/appium/push.py`;
opening the session is `driver.py`. With the fake driver (automationName `Fake`) the `mobile:` commands, which it
does not have, go to a `FakeOs` (`devices/appium/fake_os.py`) that records them and applies what the fake app can
show. The pytest factory building this adapter for `--braze-target` is `braze_harness.plugin.appium:appium_app`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from braze_harness.adapters.base import ATTRIBUTE_KINDS, AppAdapter, AttributeKind, check_profile_fields
from braze_harness.devices.appium.driver import AppiumAppError, open_session, platform_of
from braze_harness.devices.appium.fake_os import FakeOs
from braze_harness.devices.appium.push import AppiumPush, PushSource
from braze_harness.devices.appium.screen import AppiumScreen
from braze_harness.devices.appium.server import AppiumEndpoint
from braze_harness.devices.targets.locators import Locator, Locators
from braze_harness.errors import HarnessConfigError
from braze_harness.expect.waiting import wait_until

__all__ = ["FAKE_APP_XML", "AppiumAdapter", "AppiumAppError", "PushSource", "ResetCommand"]

FAKE_APP_XML = Path(__file__).with_name("fake_app.xml")

ResetCommand = tuple[str, Mapping[str, Any]]


class AppiumAdapter(AppAdapter):
    """One app through one Appium session; the session opens at `launch()` (or the first command)."""

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
        self.platform = platform_of(self.capabilities)
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
        self._push = AppiumPush(self)

    # ---- the phone: session and mobile: commands ----

    def session(self) -> Any:
        """The Appium session's driver, created on first use (with its `FakeOs` on the fake driver)."""
        if self.driver is not None:
            return self.driver
        self.driver = open_session(self.endpoint, self.capabilities, self.automation_name)
        if self.automation_name.lower() == "fake":
            self.fake_os = FakeOs(self.driver)
        return self.driver

    def execute(self, script: str, args: Mapping[str, Any] | None = None) -> Any:
        """`driver.execute_script(script, args)`; `mobile:` commands go to the FakeOs on the fake driver."""
        driver = self.session()
        if self.fake_os is not None:
            return self.fake_os.execute(script, dict(args or {}))
        return driver.execute_script(script, dict(args or {}))

    def _app_args(self) -> dict[str, Any]:
        # UiAutomator2 reads appId, XCUITest bundleId: the Python client sends both, so do we
        return {"appId": self.app_id, "bundleId": self.app_id} if self.app_id else {}

    # ---- lifecycle ----

    def launch(self) -> None:
        self.session()
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
        if self._screen is None or self._screen.driver is not self.session():
            self._screen = AppiumScreen(self.session(), self.locators.screen, dialect=self.platform, flush=self.flush)
        return self._screen

    def _wait_ready(self) -> None:
        ready = self.locators.ready
        if ready is None:
            return
        shown, *_ = wait_until(
            None, self.ready_timeout, lambda _: self.driver.find_elements(ready.by, ready.value) or None, every=0.25
        )
        if shown is None:  # a setup problem of the app, not a failed expectation
            raise AppiumAppError(f"the app did not show locators.ready ({ready}) within {self.ready_timeout:g} s")

    # ---- controls ----

    def _locator(self, field: str) -> Locator:
        locator = getattr(self.locators, field)
        if locator is None:
            raise HarnessConfigError(f"locators.{field} is not set: this app has no control for it")
        return locator

    def _element(self, field: str, locator: Locator | None = None) -> Any:
        locator = locator or self._locator(field)
        found = self.session().find_elements(locator.by, locator.value)
        if not found:
            raise AppiumAppError(f"locators.{field} ({locator}) matches nothing on screen")
        return found[0]

    def _type(self, field: str, text: str, locator: Locator | None = None) -> None:
        element = self._element(field, locator)
        element.clear()
        if text:
            element.send_keys(text)

    def tap(self, field: str) -> None:
        """A tap on the control `locators.<field>`."""
        self._element(field).click()

    # ---- actions ----

    def login(self, user_id: str) -> bool | None:
        if not user_id:
            raise AppiumAppError("user id is empty")
        self._type("login_field", user_id)
        self.tap("login_button")
        return None  # the app's UI does not tell what changeUser answered

    def logout(self) -> bool | None:
        self.tap("logout_button")
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
            self.tap("profile_save")
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
        self.tap("attribute_set")
        return None

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        if not name:
            raise AppiumAppError("event name is empty")
        self._type("event_name", name)
        if properties or self.locators.event_properties is not None:
            self._type("event_properties", _json(dict(properties)) if properties else "")
        self.tap("event_log")
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
        self.tap("purchase_button")
        return None

    def flush(self) -> None:
        if self.locators.flush_button is not None:
            self.tap("flush_button")
        elif self.locators.flush_deep_link:
            package = {"package": self.app_id, "bundleId": self.app_id} if self.app_id else {}
            self.execute("mobile: deepLink", {"url": self.locators.flush_deep_link, **package})
        else:
            raise HarnessConfigError("locators.flush_button and locators.flush_deep_link are both unset: the app cannot flush")

    # ---- push (push.py) ----

    def enable_push(self) -> str | None:
        """The user allows notifications and the app registers for push. The OS permission first (Android 13+:
        POST_NOTIFICATIONS granted; an iOS simulator: `setPermission` notifications yes, which needs applesimutils on
        the Appium host), then the app's `locators.push_enable` control, then a permission prompt it brings up is
        accepted (on a real iPhone, where nothing grants it beforehand, waited for up to `prompt_timeout` s). The
        app does not show the token: returns None (the emulator's profile has it)."""
        return self._push.enable()

    def disable_push_in_os(self) -> None:
        """Notifications turned off in the OS settings (Android `changePermissions` revoke, iOS simulator
        `setPermission` no); the SDK reports it at its next session."""
        self._push.disable_in_os()

    def unregister_push(self) -> None:
        """The app's `locators.push_unregister` control, which calls `Braze.unregisterPush()` (`push/unregister`)."""
        self._push.unregister()

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The push `delivery` (None: the latest waiting for this device) reaches the phone as FCM/APNs would hand it
        over, then the user taps its notification: the SDK logs the open (`pc`). Returns `{id, platform, title, body,
        campaign_id}` of the notification tapped."""
        return self._push.open(delivery)


def _plain(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))
