"""An Appium server elsewhere: `EitherPlatformTarget` (Android or iOS by its `platform` field, the base of the device
farms too) and the `remote` kind (any Appium server or Selenium Grid at a URL, used as is)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from braze_harness.devices.targets.kinds.android import ANDROID_APP_SUFFIXES, AndroidDeviceTarget
from braze_harness.devices.targets.kinds.base import AppiumTarget, resolve_app
from braze_harness.devices.targets.kinds.ios import IOS_APP_SUFFIXES, IosDeviceTarget
from braze_harness.devices.targets.redaction import shown_url
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator


class EitherPlatformTarget(AppiumTarget):
    """A profile for an Appium server elsewhere, Android or iOS by its `platform` field."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    platform_name: Literal["android", "ios"] = Field(alias="platform")
    app_package: str | None = None
    app_activity: str | None = None
    bundle_id: str | None = None

    @model_validator(mode="after")
    def _ids(self) -> EitherPlatformTarget:
        if self.platform_name == "android" and not self.app_package:
            raise ValueError("app_package: required for an Android app (reset and push need it)")
        if self.platform_name == "ios" and not self.bundle_id:
            raise ValueError("bundle_id: required for an iOS app (reset and push need it)")
        if self.reset == "clear" and self.platform_name == "ios":
            raise ValueError("reset: 'clear' needs a simulator (mobile: clearApp is simulator only); use reset: session")
        return self

    @property
    def platform(self) -> str:  # type: ignore[override]
        return self.platform_name

    @property
    def app_id(self) -> str | None:
        return self.app_package if self.platform_name == "android" else self.bundle_id

    def _as_platform(self) -> AndroidDeviceTarget | IosDeviceTarget:
        """The same app settings as an Android/iOS profile, to build the platform capabilities one way only."""
        common = {
            "name": self.name,
            "app": self.app,
            "device_name": self.device_name,
            "platform_version": self.platform_version,
            "reset": self.reset_policy,
            "push_permission": self.push_permission,
            "hooks": self.hooks,
            "extra_capabilities": {},
            "url": None,
            "udid": "",
        }
        if self.platform_name == "android":
            return AndroidDeviceTarget.model_construct(
                **common, app_package=self.app_package, app_activity=self.app_activity, app_wait_activity=None
            )
        return IosDeviceTarget.model_construct(**common, bundle_id=self.bundle_id)

    def platform_capabilities(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
        """The Android or iOS app capabilities, built by that platform's kind."""
        return self._as_platform().platform_capabilities(api_key, endpoint)

    def reset_commands(self) -> list[tuple[str, dict[str, Any]]]:
        return self._as_platform().reset_commands() if self.platform_name == "android" else []

    def launch_command(self, *, api_key: str | None = None, endpoint: str | None = None) -> tuple[str, dict[str, Any]] | None:
        return self._as_platform().launch_command(api_key=api_key, endpoint=endpoint)


class RemoteTarget(EitherPlatformTarget):
    """Any Appium server or Selenium Grid at `url`, used as is: platform capabilities plus `extra_capabilities`
    (grid-specific names with their vendor prefix). No credentials unless the URL carries them."""

    kind: Literal["remote"] = "remote"
    url: str  # type: ignore[assignment]
    udid: str | None = None

    @field_validator("app")
    @classmethod
    def _remote_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return resolve_app(value, info, ANDROID_APP_SUFFIXES + IOS_APP_SUFFIXES, "an app")

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self.platform_capabilities(api_key, endpoint)
        caps["appium:udid"] = self.udid
        return self._finish(caps)

    def describe(self) -> str:
        # a grid URL may carry user:key@: never shown
        return f"{self.name} ({self.kind} at {shown_url(self.url)})"
