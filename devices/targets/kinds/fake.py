"""The `fake` kind: Appium's fake driver on the project's local Appium server, the Appium plumbing in CI."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from braze_harness.devices.targets.kinds.base import AppiumTarget, DebugHooks, ResetPolicy, resolve_app
from pydantic import ValidationInfo, field_validator

FAKE_APP_XML = Path(__file__).resolve().parents[2] / "appium" / "fake_app.xml"


class FakeTarget(AppiumTarget):
    """Appium's fake driver (@appium/fake-driver) on the project's local Appium server: the Appium plumbing in CI.
    The app is an XML UI description (default `devices/appium/fake_app.xml`)."""

    kind: Literal["fake"] = "fake"
    platform: ClassVar[str] = "fake"
    default_reset: ClassVar[ResetPolicy] = "none"
    hooks: DebugHooks | None = None

    @field_validator("app")
    @classmethod
    def _xml(cls, value: str | None, info: ValidationInfo) -> str | None:
        return resolve_app(value, info, (".xml",), "a fake-driver app XML")

    @property
    def app_path(self) -> Path:
        return Path(self.app) if self.app else FAKE_APP_XML

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = {
            "platformName": "Fake",
            "appium:automationName": "Fake",
            "appium:app": str(self.app_path),
            "appium:deviceName": self.device_name,
            "appium:platformVersion": self.platform_version,
        }
        return self._finish(caps)
