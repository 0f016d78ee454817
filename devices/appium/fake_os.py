"""The device side of `mobile:` commands, for Appium's fake driver only.

A real driver (UiAutomator2, XCUITest) runs `mobile: backgroundApp`, `terminateApp`, `activateApp`, `clearApp`,
`deepLink` on the phone; the fake driver has no phone and refuses them ("Unsupported execute method"). So with the
fake driver the adapter hands these commands to a `FakeOs`: it records them in order (`log`, what a test asserts on)
and applies the effect the fake app can show:

* `mobile: clearApp`: the app's data is wiped: every MockInputField is emptied;
* `mobile: deepLink {url}`: the element declared with `deepLink="<url>"` in the app XML is clicked;
* `mobile: terminateApp` / `activateApp` / `backgroundApp` / `queryAppState`: the app state (4 running in the
  foreground, 3 in the background, 1 not running), no waiting.
* `mobile: changePermissions` (UiAutomator2) / `mobile: setPermission` (XCUITest): the app's permissions
  (`permissions`), with the drivers' argument checks;
* `mobile: broadcast {action, extras}` carrying a Braze FCM data message (`_ab: "true"`), as the QA build's debug
  push receiver gets it, and `mobile: pushNotification {bundleId, payload}`: a notification (`notifications`). The
  extras are re-read the way `adb shell` makes the device's shell re-read them: a value that would reach the app
  split into several words is an error, as it would be a broken push on a phone;
* `mobile: openNotifications`: the shade opens, so a broadcast push's notification shows (an APNs banner shows at
  once); `showing(title)` / `opened(title)` are what the adapter asks and tells about the tap, since the fake app's
  notification element is static;
* `mobile: alert {action: accept|dismiss}`: the fake driver's own alert (`showAlert=` in the app XML) is handled.

Every other command (`fake: …`) goes to the fake driver itself.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from braze_harness.errors import HarnessError
from braze_harness.extras import require

RUNNING_IN_FOREGROUND, RUNNING_IN_BACKGROUND, NOT_RUNNING = 4, 3, 1
# UiAutomator2's intent extra types (appium-android-driver `SUPPORTED_EXTRA_TYPES`); `sn` takes no value
EXTRA_TYPES = ("s", "sn", "z", "i", "l", "f", "u", "cn", "ia", "ial", "la", "lal", "fa", "fal", "sa", "sal")


def _by() -> Any:
    """`AppiumBy` (the [appium] extra, imported on first use)."""
    return require("appium.webdriver.common.appiumby", "an Appium target").AppiumBy


class FakeOsError(HarnessError):
    """A `mobile:` command the fake device cannot honour (the real driver would fail too)."""


@dataclass
class FakeNotification:
    source: str  # "broadcast" (Android: in the shade once it is opened) or "apns" (iOS: a banner at once)
    title: str | None
    body: str | None
    data: dict[str, Any]  # the FCM data as the app's receiver gets it, or the APNs payload
    opened: bool = False


@dataclass
class FakeOs:
    driver: Any  # appium.webdriver.Remote on a fake-driver session
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: int = NOT_RUNNING
    permissions: dict[str, dict[str, str]] = field(default_factory=dict)  # app id -> permission/service -> state
    notifications: list[FakeNotification] = field(default_factory=list)
    shade_open: bool = False

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
                for element in self.driver.find_elements(_by().CLASS_NAME, "MockInputField"):
                    element.clear()
                self.state = NOT_RUNNING  # pm clear kills the app
            case "deepLink":
                url = args.get("url")
                if not url:
                    raise FakeOsError("mobile: deepLink needs a `url`")
                if "'" in url:
                    raise FakeOsError(f"fake app deep links cannot contain quotes: {url!r}")
                targets = self.driver.find_elements(_by().XPATH, f"//*[@deepLink='{url}']")
                if not targets:
                    raise FakeOsError(f"the fake app handles no deep link {url!r} (no element with deepLink={url!r})")
                self.state = RUNNING_IN_FOREGROUND
                targets[0].click()
            case "changePermissions":
                self._change_permissions(args)
            case "setPermission":
                self._set_permission(args)
            case "broadcast":
                self._broadcast(args)
            case "pushNotification":
                self._push_notification(args)
            case "openNotifications":
                self.shade_open = True
            case "alert":
                action = args.get("action")
                if action not in ("accept", "dismiss"):
                    raise FakeOsError(f"mobile: alert: the fake device only does action accept or dismiss, not {action!r}")
                alert = self.driver.switch_to.alert  # NoAlertPresentException when none is open, as on a phone
                if action == "accept":
                    alert.accept()
                else:
                    alert.dismiss()
            case "clearKeychains" | "resetPermission" | "shell":
                pass  # nothing on a fake device to clear or tell; recorded in the log
            case _:
                raise FakeOsError(f"the fake device does not emulate {script!r}")
        return None

    def commands(self) -> list[str]:
        """The `mobile:` commands run so far, in order (without arguments)."""
        return [name for name, _ in self.log]

    # ---- push ----

    def showing(self, title: str) -> bool:
        """A notification titled `title` is on screen, not yet tapped (a broadcast one only in the opened shade)."""
        return any(n.title == title and (n.source == "apns" or self.shade_open) for n in self._unopened())

    def opened(self, title: str) -> FakeNotification:
        """The user tapped it: the shade closes, the app comes to the foreground."""
        found = [n for n in self._unopened() if n.title == title]
        if not found:
            raise FakeOsError(f"no notification titled {title!r} was delivered")
        found[-1].opened = True
        self.shade_open = False
        self.state = RUNNING_IN_FOREGROUND
        return found[-1]

    def _unopened(self) -> list[FakeNotification]:
        return [n for n in self.notifications if not n.opened]

    def _change_permissions(self, args: dict[str, Any]) -> None:
        permissions = args.get("permissions")
        if not permissions:
            raise FakeOsError("mobile: changePermissions needs `permissions`")
        action = args.get("action", "grant")
        if action not in ("grant", "revoke"):
            raise FakeOsError(f"mobile: changePermissions: action must be grant or revoke (target pm), not {action!r}")
        app = self.permissions.setdefault(args.get("appPackage") or "(app under test)", {})
        for permission in [permissions] if isinstance(permissions, str) else permissions:
            app[permission] = "granted" if action == "grant" else "revoked"
        if action == "revoke":
            self.state = NOT_RUNNING  # Android kills an app whose runtime permission is revoked

    def _set_permission(self, args: dict[str, Any]) -> None:
        bundle, access = args.get("bundleId"), args.get("access")
        if not bundle or not isinstance(access, dict):
            raise FakeOsError("mobile: setPermission needs `bundleId` and an `access` map")
        bad = {k: v for k, v in access.items() if v not in ("yes", "no", "unset", "limited")}
        if bad:
            raise FakeOsError(f"mobile: setPermission: access values are yes/no/unset/limited, not {bad}")
        self.permissions.setdefault(bundle, {}).update(access)

    def _broadcast(self, args: dict[str, Any]) -> None:
        if not args.get("action") and not args.get("intent"):
            raise FakeOsError("mobile: broadcast without an action or intent reaches no receiver")
        data: dict[str, Any] = {}
        for item in args.get("extras") or []:
            if not isinstance(item, list | tuple) or not item or item[0] not in EXTRA_TYPES:
                raise FakeOsError(f"mobile: broadcast: extra {item!r} is not [type, key, value] with a type of {EXTRA_TYPES}")
            kind, key = item[0], item[1] if len(item) > 1 else ""
            if not isinstance(key, str) or not key.strip():
                raise FakeOsError(f"mobile: broadcast: extra {item!r} has no key")
            if kind == "sn":
                data[key] = None
                continue
            if len(item) < 3:
                raise FakeOsError(f"mobile: broadcast: extra {item!r} has no value")
            data[key] = _as_device_shell_reads(key, str(item[2]))
        if data.get("_ab") == "true":  # a Braze FCM data message: the QA build's receiver hands it to the SDK
            self.notifications.append(FakeNotification("broadcast", data.get("t"), data.get("a"), data))

    def _push_notification(self, args: dict[str, Any]) -> None:
        bundle, payload = args.get("bundleId"), args.get("payload")
        if not bundle:
            raise FakeOsError("mobile: pushNotification: 'bundleId' argument must be a valid bundle identifier string")
        if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
            raise FakeOsError("mobile: pushNotification: the 'payload' and its 'aps' must be dictionaries")
        alert = payload["aps"].get("alert")
        title, body = (alert.get("title"), alert.get("body")) if isinstance(alert, dict) else (None, alert)
        self.notifications.append(FakeNotification("apns", title, body, {**payload, "Simulator Target Bundle": bundle}))


def _as_device_shell_reads(key: str, value: str) -> str:
    """`adb shell` joins its arguments with spaces and the device's shell parses the line again (appium-adb passes
    the extras as they are): a value must be exactly one shell word, i.e. quoted when it holds spaces or quotes."""
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise FakeOsError(f"mobile: broadcast: extra {key!r} = {value!r} is not valid for the device shell ({exc})") from None
    if len(words) != 1:
        raise FakeOsError(
            f"mobile: broadcast: extra {key!r} = {value!r} would reach the app as {len(words)} shell words {words}: "
            "quote it (shlex.quote) since adb shell re-parses the command line"
        )
    return words[0]
