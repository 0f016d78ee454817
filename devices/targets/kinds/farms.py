"""Device farms: BrowserStack App Automate (`bstack:options`) and Sauce Labs (`sauce:options`). The app is already
uploaded there (`bs://…`, `storage:filename=…`); credentials come from the environment when capabilities are built,
never stored on the target. Their network logs are decoded afterwards with `braze_har` (docs/mobile-wire.md, device-farms)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from braze_harness.devices.targets.kinds.base import TargetError
from braze_harness.devices.targets.kinds.remote import EitherPlatformTarget
from pydantic import field_validator

_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FarmTarget(EitherPlatformTarget):
    """A device farm: the app is already uploaded (`bs://…`, `storage:filename=…`), credentials come from env."""

    default_hub: ClassVar[str]
    user_env_default: ClassVar[str]
    key_env_default: ClassVar[str]

    app: str  # type: ignore[assignment]
    device_name: str  # type: ignore[assignment]
    username_env: str | None = None
    access_key_env: str | None = None
    appium_version: str | None = None
    build: str | None = None
    project: str | None = None
    session_name: str | None = None
    network_logs: bool = True

    @field_validator("username_env", "access_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_RE.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @property
    def appium_url(self) -> str | None:
        return self.url or self.default_hub

    def _credentials(self) -> tuple[str, str]:
        names = (self.username_env or self.user_env_default, self.access_key_env or self.key_env_default)
        values = []
        for env in names:
            value = os.environ.get(env)
            if not value:
                raise TargetError(f"{self.name}: env {env} is not set ({self.kind} credentials)")
            values.append(value)
        return values[0], values[1]

    def check_environment(self) -> None:
        self._credentials()


class BrowserStackTarget(FarmTarget):
    """BrowserStack App Automate: `bstack:options` with credentials, Appium version and network logs (a HAR of
    every request, decoded afterwards with `braze_har`; docs/mobile-wire.md, device-farms)."""

    kind: Literal["browserstack"] = "browserstack"
    default_hub: ClassVar[str] = "https://hub-cloud.browserstack.com/wd/hub"
    user_env_default: ClassVar[str] = "BROWSERSTACK_USERNAME"
    key_env_default: ClassVar[str] = "BROWSERSTACK_ACCESS_KEY"
    capture_content: bool = True
    local: bool = False
    local_identifier: str | None = None

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        user, key = self._credentials()
        caps = self.platform_capabilities(api_key, endpoint)
        options: dict[str, Any] = {
            "userName": user,
            "accessKey": key,
            "deviceName": caps.pop("appium:deviceName"),
            "osVersion": caps.pop("appium:platformVersion", None),
            "appiumVersion": self.appium_version,
            "projectName": self.project,
            "buildName": self.build,
            "sessionName": self.session_name,
            "networkLogs": self.network_logs,
        }
        if self.network_logs and self.capture_content:
            options["networkLogsOptions"] = {"captureContent": True}  # response bodies too (Braze's answers)
        if self.local:
            options["local"] = True
            options["localIdentifier"] = self.local_identifier
        caps["bstack:options"] = {k: v for k, v in options.items() if v is not None}
        return self._finish(caps)


class SauceLabsTarget(FarmTarget):
    """Sauce Labs (real devices or emulators/simulators): `sauce:options` with credentials, Appium version and
    `networkCapture` (real devices only: a HAR of the app's traffic)."""

    kind: Literal["saucelabs"] = "saucelabs"
    default_hub: ClassVar[str] = "https://ondemand.us-west-1.saucelabs.com/wd/hub"
    user_env_default: ClassVar[str] = "SAUCE_USERNAME"
    key_env_default: ClassVar[str] = "SAUCE_ACCESS_KEY"
    region: Literal["us-west-1", "eu-central-1", "us-east-4"] = "us-west-1"
    tunnel_name: str | None = None

    @property
    def appium_url(self) -> str | None:
        return self.url or f"https://ondemand.{self.region}.saucelabs.com/wd/hub"

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        user, key = self._credentials()
        caps = self.platform_capabilities(api_key, endpoint)
        options: dict[str, Any] = {
            "username": user,
            "accessKey": key,
            "appiumVersion": self.appium_version,
            "build": self.build,
            "name": self.session_name,
            "tunnelName": self.tunnel_name,
        }
        if self.network_logs:
            options["networkCapture"] = True
        caps["sauce:options"] = {k: v for k, v in options.items() if v is not None}
        return self._finish(caps)
