"""The iOS kinds: an app on a simulator (`ios-simulator`) or a real iPhone/iPad (`ios-device`), driven by XCUITest;
`IosAppTarget` holds what both share (bundle id, capabilities, launch and reset commands).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from braze_harness.devices.targets.kinds.base import PACKAGE_RE, AppiumTarget, ResetPolicy, TargetError, resolve_app
from pydantic import ValidationInfo, field_validator, model_validator

IOS_APP_SUFFIXES = (".app", ".ipa", ".zip")


class IosAppTarget(AppiumTarget):
    """An iOS app driven by XCUITest: what the simulator and the device kinds share."""

    platform: ClassVar[str] = "ios"
    bundle_id: str
    simulator: ClassVar[bool] = False

    @field_validator("app")
    @classmethod
    def _ios_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return resolve_app(value, info, IOS_APP_SUFFIXES, "an iOS app")

    @field_validator("bundle_id")
    @classmethod
    def _bundle(cls, value: str) -> str:
        if not PACKAGE_RE.match(value):
            raise ValueError(f"{value!r} is not a bundle id like com.example.app")
        return value

    @property
    def app_id(self) -> str | None:
        return self.bundle_id

    def platform_capabilities(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
        """XCUITest's capabilities for the app: bundle id, reset, push permission (alerts, simulator permissions),
        debug-hook process arguments."""
        caps: dict[str, Any] = {
            "platformName": "iOS",
            "appium:automationName": "XCUITest",
            "appium:app": self.app,
            "appium:bundleId": self.bundle_id,
            "appium:deviceName": self.device_name,
            "appium:platformVersion": self.platform_version,
            **self._reset_caps(),
        }
        if self.push_permission == "grant":
            caps["appium:autoAcceptAlerts"] = True  # the push prompt → ios_push_auth "authorized"
        elif self.push_permission == "deny":
            caps["appium:autoDismissAlerts"] = True
        if self.simulator and self.push_permission != "leave":
            # simulator only: set before the app starts (a JSON string keyed by bundle id)
            access = "YES" if self.push_permission == "grant" else "NO"
            caps["appium:permissions"] = json.dumps({self.bundle_id: {"notifications": access}})
        if self.hooks is not None:
            values = self.hooks.values(api_key, endpoint)
            if values:
                args = [part for k, v in values.items() for part in (f"-{k}", v)]
                env = {k.upper().replace(".", "_"): v for k, v in values.items()}
                caps["appium:processArguments"] = {"args": args, "env": env}
        return caps

    def launch_command(self, *, api_key: str | None = None, endpoint: str | None = None) -> tuple[str, dict[str, Any]] | None:
        args: dict[str, Any] = {"bundleId": self.bundle_id}
        values = self.hooks.values(api_key, endpoint) if self.hooks is not None else {}
        if values:
            args["arguments"] = [part for k, v in values.items() for part in (f"-{k}", v)]
            args["environment"] = {k.upper().replace(".", "_"): v for k, v in values.items()}
        return ("mobile: launchApp", args)

    def reset_commands(self) -> list[tuple[str, dict[str, Any]]]:
        if self.reset_policy != "clear":
            return []
        bundle = self.bundle_id
        # simulator only (XCUITest): clearApp terminates the app itself; the keychain may hold the SDK's ids
        return [
            ("mobile: terminateApp", {"bundleId": bundle}),
            ("mobile: clearApp", {"bundleId": bundle}),
            ("mobile: clearKeychains", {}),
        ]


class IosSimulatorTarget(IosAppTarget):
    """An iOS simulator (macOS + Xcode), chosen by `udid` or by `device_name` + `platform_version`.

    The run's mitmproxy CA (`ca_pem`) goes to `appium:customSSLCert` (PEM text; the driver adds it as a root);
    the proxy is the Mac's system proxy (docs/mobile-wire.md, ios-simulator)."""

    kind: Literal["ios-simulator"] = "ios-simulator"
    simulator: ClassVar[bool] = True
    udid: str | None = None

    @model_validator(mode="after")
    def _which_device(self) -> IosSimulatorTarget:
        if not self.udid and not (self.device_name and self.platform_version):
            raise ValueError("udid, or device_name and platform_version, are required to pick a simulator")
        return self

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self.platform_capabilities(api_key, endpoint)
        caps["appium:udid"] = self.udid
        if ca_pem is not None:
            caps["appium:customSSLCert"] = read_pem(ca_pem, self.name)
        return self._finish(caps)


class IosDeviceTarget(IosAppTarget):
    """A real iPhone/iPad: `udid` required; WebDriverAgent signed with `xcode_org_id`/`xcode_signing_id`.
    `mobile: clearApp` does not exist on real devices, so the reset is `reinstall` (fullReset). Proxy and CA are
    manual (Wi-Fi proxy, profile from mitm.it + full trust), or `appium:customSSLCert` on iOS 18+."""

    kind: Literal["ios-device"] = "ios-device"
    default_reset: ClassVar[ResetPolicy] = "reinstall"
    udid: str
    xcode_org_id: str | None = None
    xcode_signing_id: str | None = None
    install_ca: bool = False

    @model_validator(mode="after")
    def _no_clear(self) -> IosDeviceTarget:
        if self.reset == "clear":
            raise ValueError("reset: 'clear' needs a simulator (mobile: clearApp is simulator only); use reset: reinstall")
        if self.reset_policy == "reinstall" and not self.app:
            raise ValueError("app: required with reset 'reinstall' (the .ipa to install on every session)")
        return self

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self.platform_capabilities(api_key, endpoint)
        caps["appium:udid"] = self.udid
        caps["appium:xcodeOrgId"] = self.xcode_org_id
        caps["appium:xcodeSigningId"] = self.xcode_signing_id
        if self.install_ca and ca_pem is not None:
            caps["appium:customSSLCert"] = read_pem(ca_pem, self.name)  # iOS 18+ real devices only
        return self._finish(caps)


def read_pem(path: Path, name: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise TargetError(f"{name}: cannot read the CA certificate {path}: {exc.strerror}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise TargetError(f"{name}: {path} is not a PEM certificate")
    return text
