"""The Android kinds: an app on a local emulator (`android-emulator`) or a real phone (`android-device`), driven by
UiAutomator2; `AndroidAppTarget` holds what both share (package, activities, capabilities, launch and reset commands).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from braze_harness.devices.targets.kinds.base import PACKAGE_RE, AppiumTarget, resolve_app
from braze_harness.devices.tools.push_delivery import POST_NOTIFICATIONS
from pydantic import Field, ValidationInfo, field_validator, model_validator

ANDROID_APP_SUFFIXES = (".apk", ".apks", ".aab", ".zip")
_HOST_PORT = re.compile(r"^(https?://)?[A-Za-z0-9.-]+:\d{1,5}$")


class AndroidAppTarget(AppiumTarget):
    """An Android app driven by UiAutomator2: what the emulator and the phone kinds share."""

    platform: ClassVar[str] = "android"
    app_package: str
    app_activity: str | None = None
    app_wait_activity: str | None = None

    @field_validator("app")
    @classmethod
    def _android_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return resolve_app(value, info, ANDROID_APP_SUFFIXES, "an Android app")

    @field_validator("app_package")
    @classmethod
    def _package(cls, value: str) -> str:
        if not PACKAGE_RE.match(value):
            raise ValueError(f"{value!r} is not an Android package name like com.example.app")
        return value

    @property
    def app_id(self) -> str | None:
        return self.app_package

    def platform_capabilities(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
        """UiAutomator2's capabilities for the app: package, activities, reset, push permission, debug-hook extras."""
        caps: dict[str, Any] = {
            "platformName": "Android",
            "appium:automationName": "UiAutomator2",
            "appium:app": self.app,
            "appium:appPackage": self.app_package,
            "appium:appActivity": self.app_activity,
            "appium:appWaitActivity": self.app_wait_activity,
            "appium:deviceName": self.device_name,
            "appium:platformVersion": self.platform_version,
            **self._reset_caps(),
        }
        if self.push_permission != "leave":
            # POST_NOTIFICATIONS (Android 13+) granted at install: the SDK then sends push_subscribe "opted_in"
            caps["appium:autoGrantPermissions"] = self.push_permission == "grant"
        if self.hooks is not None:
            values = self.hooks.values(api_key, endpoint)
            if values:
                caps["appium:optionalIntentArguments"] = " ".join(f"--es {k} {v}" for k, v in values.items())
        return caps

    def launch_command(self, *, api_key: str | None = None, endpoint: str | None = None) -> tuple[str, dict[str, Any]] | None:
        values = self.hooks.values(api_key, self._hook_endpoint(endpoint)) if self.hooks is not None else {}
        if not self.app_activity or not values:
            return ("mobile: activateApp", {"appId": self.app_package})
        activity = self.app_activity
        component = f"{self.app_package}/{activity}"
        extras = [["s", key, value] for key, value in values.items()]
        return ("mobile: startActivity", {"component": component, "extras": extras, "wait": True})

    def _hook_endpoint(self, endpoint: str | None) -> str | None:
        return endpoint

    def reset_commands(self) -> list[tuple[str, dict[str, Any]]]:
        if self.reset_policy != "clear":
            return []
        pkg = self.app_package
        # clearApp wants the app stopped; pm clear also revokes runtime permissions, so push is granted again
        commands: list[tuple[str, dict[str, Any]]] = [
            ("mobile: terminateApp", {"appId": pkg}),
            ("mobile: clearApp", {"appId": pkg}),
        ]
        if self.push_permission == "grant":
            commands.append(
                ("mobile: changePermissions", {"permissions": [POST_NOTIFICATIONS], "appPackage": pkg, "action": "grant"})
            )
        return commands


class AndroidEmulatorTarget(AndroidAppTarget):
    """A local Android emulator (AVD), booted by UiAutomator2 from `avd` or already running (`udid` emulator-5554).

    `proxy` (host:port of mitmproxy in regular mode) boots the AVD with `-http-proxy`; the emulator reads it on the
    host side, so 127.0.0.1 is the host's loopback. The CA: a debug network-security-config in the QA build, or
    `braze_harness.devices.tools.adb` (install_user_ca) on a Google APIs image (docs/mobile-wire.md, android-emulator)."""

    kind: Literal["android-emulator"] = "android-emulator"
    avd: str | None = None
    udid: str | None = None
    proxy: str | None = None
    avd_args: list[str] = Field(default_factory=list)

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is not None and not _HOST_PORT.match(value):
            raise ValueError(f"{value!r} is not host:port of an HTTP proxy (e.g. 127.0.0.1:8080)")
        return value

    @model_validator(mode="after")
    def _which_device(self) -> AndroidEmulatorTarget:
        if not self.avd and not self.udid:
            raise ValueError("avd or udid: one is required (the AVD name to boot, or a running emulator's serial)")
        if self.proxy and not self.avd:
            raise ValueError("proxy: needs avd (the proxy is an emulator boot argument); for a running emulator use adb")
        return self

    def _hook_endpoint(self, endpoint: str | None) -> str | None:
        return emulator_endpoint(endpoint)

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self.platform_capabilities(api_key, emulator_endpoint(endpoint))
        caps["appium:avd"] = self.avd
        caps["appium:udid"] = self.udid
        avd_args = list(self.avd_args)
        if self.proxy:
            proxy = self.proxy if "://" in self.proxy else f"http://{self.proxy}"
            avd_args += ["-http-proxy", proxy]
        if avd_args and self.avd:
            caps["appium:avdArgs"] = avd_args
        return self._finish(caps)


def emulator_endpoint(endpoint: str | None) -> str | None:
    """The host's loopback as the Android emulator sees it: 127.0.0.1/localhost → 10.0.2.2 (emulator networking)."""
    if endpoint is None:
        return None
    return re.sub(r"^(https?://)(127\.0\.0\.1|localhost)(?=[:/]|$)", r"\g<1>10.0.2.2", endpoint)


class AndroidDeviceTarget(AndroidAppTarget):
    """A real Android phone over USB/Wi-Fi adb. Proxy and CA are set up by hand or with braze_harness.devices.tools.adb
    (`adb reverse tcp:8080 tcp:8080` + global http_proxy 127.0.0.1:8080; the CA through the QA build's debug
    network-security-config): see docs/targets.md#run-one-flow-on-a-real-android-emulator-with-appium."""

    kind: Literal["android-device"] = "android-device"
    udid: str

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self.platform_capabilities(api_key, endpoint)
        caps["appium:udid"] = self.udid
        return self._finish(caps)
