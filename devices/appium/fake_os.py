"""The device side of `mobile:` commands, for Appium's fake driver only.

A real driver (UiAutomator2, XCUITest) runs `mobile: backgroundApp`, `terminateApp`, `activateApp`, `clearApp`,
`deepLink` on the phone; the fake driver has no phone and refuses them ("Unsupported execute method"). So with the
fake driver the adapter hands these commands to a `FakeOs`: it records them in order (`log`, what a test asserts on)
and applies the effect the fake app can show:

* `mobile: clearApp`: the app's data is wiped: every MockInputField is emptied;
* `mobile: deepLink {url}`: the element declared with `deepLink="<url>"` in the app XML is clicked;
* `mobile: terminateApp` / `activateApp` / `backgroundApp` / `queryAppState`: the app state (4 running in the
  foreground, 3 in the background, 1 not running), no waiting.

Every other command (`fake: …`) goes to the fake driver itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from appium.webdriver.common.appiumby import AppiumBy

from harness.errors import HarnessError

RUNNING_IN_FOREGROUND, RUNNING_IN_BACKGROUND, NOT_RUNNING = 4, 3, 1


class FakeOsError(HarnessError):
    """A `mobile:` command the fake device cannot honour (the real driver would fail too)."""


@dataclass
class FakeOs:
    driver: Any  # appium.webdriver.Remote on a fake-driver session
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: int = NOT_RUNNING

    def execute(self, script: str, args: dict[str, Any] | None = None) -> Any:
        args = dict(args or {})
        if not script.startswith("mobile:"):
            return self.driver.execute_script(script, args) if args else self.driver.execute_script(script)
        self.log.append((script, args))
        match script.removeprefix("mobile:").strip():
            case "activateApp" | "launchApp" | "startActivity":
                self.state = RUNNING_IN_FOREGROUND
            case "terminateApp":
                was_running = self.state != NOT_RUNNING
                self.state = NOT_RUNNING
                return was_running
            case "backgroundApp":
                # a real device waits `seconds` with the app in the background, then brings it back
                seconds = args.get("seconds", -1)
                self.state = RUNNING_IN_BACKGROUND if seconds is not None and seconds < 0 else RUNNING_IN_FOREGROUND
            case "queryAppState":
                return self.state
            case "clearApp":
                for element in self.driver.find_elements(AppiumBy.CLASS_NAME, "MockInputField"):
                    element.clear()
                self.state = NOT_RUNNING  # pm clear kills the app
            case "deepLink":
                url = args.get("url")
                if not url:
                    raise FakeOsError("mobile: deepLink needs a `url`")
                if "'" in url:
                    raise FakeOsError(f"fake app deep links cannot contain quotes: {url!r}")
                targets = self.driver.find_elements(AppiumBy.XPATH, f"//*[@deepLink='{url}']")
                if not targets:
                    raise FakeOsError(f"the fake app handles no deep link {url!r} (no element with deepLink={url!r})")
                self.state = RUNNING_IN_FOREGROUND
                targets[0].click()
            case "clearKeychains" | "resetPermission" | "shell" | "broadcast":
                pass  # nothing on a fake device to clear or tell; recorded in the log
            case _:
                raise FakeOsError(f"the fake device does not emulate {script!r}")
        return None

    def commands(self) -> list[str]:
        """The `mobile:` commands run so far, in order (without arguments)."""
        return [name for name, _ in self.log]
