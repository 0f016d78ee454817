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

With the fake driver (automationName `Fake`) the `mobile:` commands, which it does not have, go to a `FakeOs`
(`devices/appium/fake_os.py`) that records them and applies what the fake app can show.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from devices.appium.fake_os import FakeOs
from devices.appium.locators import Locator, Locators
from devices.appium.screen import AppiumScreen
from devices.appium.server import AppiumEndpoint, AppiumSetupError, install_command
from harness.adapters.base import ATTRIBUTE_KINDS, STANDARD_PROFILE_FIELDS, AppAdapter, AttributeKind
from harness.errors import HarnessConfigError, HarnessError

FAKE_APP_XML = Path(__file__).with_name("fake_app.xml")

ResetCommand = tuple[str, Mapping[str, Any]]


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
            raise AppiumAppError(f"Appium could not create a session at {self.endpoint.url}: {message}") from None
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
        unknown = set(standard_fields) - set(STANDARD_PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"unknown profile fields {sorted(unknown)}; known: {', '.join(STANDARD_PROFILE_FIELDS)}")
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
