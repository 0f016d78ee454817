"""Device profiles: one pydantic model per target kind, each turning itself into W3C Appium capabilities.

Capability names follow the drivers' own docs: appium-uiautomator2-driver (README, execute methods),
appium-xcuitest-driver (docs/reference/capabilities.md, execute-methods.md), BrowserStack App Automate
(`bstack:options`) and Sauce Labs (`sauce:options`). See mobile.md §D (routing) and §E (capabilities, reset).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from harness.errors import HarnessConfigError


class TargetError(HarnessConfigError):
    """A bad or incomplete target profile, or what it needs at run time is missing (one line, no traceback)."""


# Reset policies: how each test gets a fresh anonymous Braze user (a new device_id means a new anonymous profile).
#   session   — (default) the driver stops the app and clears its data when a session starts (noReset false), then
#               launches it with the debug-hook launch arguments: every test opens its own session, so every test
#               starts as a new anonymous user with its own api key
#   clear     — for a session reused across tests: noReset, and `reset_commands()` (terminate, `mobile: clearApp`,
#               re-grant push) then `launch_command(...)` (the launch arguments again) before each test
#   reinstall — uninstall and reinstall on every session (fullReset): real iOS devices, where clearApp does not exist
#   none      — keep everything (debugging a flow by hand; not a fresh user)
ResetPolicy = Literal["clear", "session", "reinstall", "none"]
PushPermission = Literal["grant", "deny", "leave"]

POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
_ANDROID_APP_SUFFIXES = (".apk", ".apks", ".aab", ".zip")
_IOS_APP_SUFFIXES = (".app", ".ipa", ".zip")
_REMOTE_APP = re.compile(r"^([a-z][a-z0-9+.-]*://|storage:|sauce-storage:)", re.IGNORECASE)
_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)+$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST_PORT = re.compile(r"^(https?://)?[A-Za-z0-9.-]+:\d{1,5}$")
_W3C_STANDARD = {
    "browserName",
    "browserVersion",
    "platformName",
    "acceptInsecureCerts",
    "pageLoadStrategy",
    "proxy",
    "setWindowRect",
    "timeouts",
    "strictFileInteractability",
    "unhandledPromptBehavior",
    "webSocketUrl",
}
_SECRET_KEYS = {"accesskey", "access_key", "password", "apikey", "api_key"}


def redact_capabilities(caps: dict[str, Any]) -> dict[str, Any]:
    """The same capabilities with credentials masked: what may go into logs, reports and reprs."""
    out: dict[str, Any] = {}
    for key, value in caps.items():
        if isinstance(value, dict):
            out[key] = redact_capabilities(value)
        elif key.lower().split(":")[-1] in _SECRET_KEYS and value:
            out[key] = "***"
        else:
            out[key] = value
    return out


class DebugHooks(BaseModel):
    """Launch arguments the QA build reads to point Braze at the harness (mobile.md E.1/E.2: debug hooks).

    Android: `--es <endpoint> <url> --es <api_key> <key>` in `appium:optionalIntentArguments` (extras of the launch intent);
    iOS: `-<endpoint> <url> -<api_key> <key>` in `appium:processArguments.args` plus the upper-cased names in `.env`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # null: not sent (e.g. `endpoint: null` keeps the build's own Braze host, reached through mitmproxy)
    endpoint: str | None = "braze_endpoint"
    api_key: str | None = "braze_api_key"
    extras: dict[str, str] = Field(default_factory=dict)

    @field_validator("endpoint", "api_key")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", value):
            raise ValueError(f"{value!r} is not a launch argument name (letters, digits, _ and .)")
        return value

    @field_validator("extras")
    @classmethod
    def _extras(cls, value: dict[str, str]) -> dict[str, str]:
        for key, extra in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key) or re.search(r"\s", str(extra)):
                raise ValueError(f"{key!r}: names are letters, digits, _ and .; values have no spaces")
        return value

    def values(self, api_key: str | None, endpoint: str | None) -> dict[str, str]:
        found: dict[str, str | None] = {}
        if self.endpoint:
            found[self.endpoint] = endpoint
        if self.api_key:
            found[self.api_key] = api_key
        found.update(self.extras)
        for name, value in found.items():
            if value is not None and re.search(r"\s", value):
                raise TargetError(f"debug hook {name}: {value!r} contains whitespace")
        return {k: v for k, v in found.items() if v is not None}


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str
    platform: ClassVar[str]
    uses_appium: ClassVar[bool] = False
    adapter: ClassVar[str | None] = None

    @property
    def appium_url(self) -> str | None:
        return None

    @property
    def app_id(self) -> str | None:
        return None

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        raise TargetError(f"target {self.name} ({self.kind}) is not driven by Appium: it has no capabilities")

    def reset_commands(self) -> list[tuple[str, dict[str, Any]]]:
        return []

    def launch_command(self, *, api_key: str | None = None, endpoint: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """The `mobile:` command (re)starting the app with the debug-hook launch arguments inside a running session
        (after `reset_commands()`); None when there is no app to launch."""
        return None

    def check_environment(self) -> None:
        """Raises TargetError when what the target needs at run time (credentials in env) is missing."""

    def describe(self) -> str:
        return f"{self.name} ({self.kind})"


class WebTarget(_Base):
    """The bundled demo web app with the real @braze/web-sdk in Chromium (the default)."""

    kind: Literal["web"] = "web"
    platform: ClassVar[str] = "web"


class AndroidVirtualTarget(_Base):
    """A virtual Android 43.x SDK device (devices/virtual): the Android wire protocol without an emulator."""

    kind: Literal["android-virtual"] = "android-virtual"
    platform: ClassVar[str] = "android"
    adapter: ClassVar[str | None] = "devices.virtual.adapter:android_app"


class IosVirtualTarget(_Base):
    """A virtual Swift 18.x SDK device (devices/virtual)."""

    kind: Literal["ios-virtual"] = "ios-virtual"
    platform: ClassVar[str] = "ios"
    adapter: ClassVar[str | None] = "devices.virtual.adapter:ios_app"


def _resolve_app(value: str | None, info: ValidationInfo, suffixes: tuple[str, ...], what: str) -> str | None:
    """A local app path (relative to the targets file) must exist and look like an app; URLs and farm storage ids
    (`bs://…`, `storage:filename=…`) are passed through as they are."""
    if value is None or _REMOTE_APP.match(value):
        return value
    base = Path((info.context or {}).get("base_dir") or ".")
    path = Path(os.path.expanduser(value))
    path = path if path.is_absolute() else (base / path)
    path = path.resolve()
    if not path.exists():
        raise ValueError(f"the file {path} does not exist")
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{path} is not {what} ({', '.join(suffixes)})")
    return str(path)


class _AppiumBase(_Base):
    """Fields and capabilities every Appium kind shares."""

    uses_appium: ClassVar[bool] = True
    adapter: ClassVar[str | None] = "devices.appium.adapter:appium_app"
    default_reset: ClassVar[ResetPolicy] = "session"

    app: str | None = None
    device_name: str | None = None
    platform_version: str | None = None
    reset: ResetPolicy | None = None
    push_permission: PushPermission = "grant"
    hooks: DebugHooks | None = Field(default_factory=DebugHooks)
    extra_capabilities: dict[str, Any] = Field(default_factory=dict)
    url: str | None = None
    locators: Any = None

    @field_validator("locators", mode="before")
    @classmethod
    def _locators(cls, value: Any, info: ValidationInfo) -> Any:
        """Where the app's controls are (devices/appium/locators.py): a mapping, or a YAML file relative to the
        targets file; loaded now so a bad locator stops the run before any session."""
        if value is None:
            return None
        from devices.appium.locators import Locators

        if isinstance(value, Locators):
            return value
        if isinstance(value, str):
            base = Path((info.context or {}).get("base_dir") or ".")
            path = Path(os.path.expanduser(value))
            value = path if path.is_absolute() else base / path
        elif not isinstance(value, dict):
            raise ValueError(f"expected a mapping of action -> {{by, value}} or a YAML file, got {type(value).__name__}")
        # an app of yours declares its controls (login field and button required); the fake app has its ids built in
        defaults = "fake" if cls.model_fields["kind"].default == "fake" else "none"
        try:
            return Locators.load(value, name="locators", defaults=defaults)
        except HarnessConfigError as exc:
            raise ValueError(str(exc).removeprefix("locators: ")) from None

    @field_validator("extra_capabilities")
    @classmethod
    def _w3c_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in value if ":" not in k and k not in _W3C_STANDARD]
        if bad:
            raise ValueError(
                f"{', '.join(bad)}: not W3C capability names; driver capabilities need a vendor prefix (appium:{bad[0]})"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL of an Appium server or grid")
        return value.rstrip("/") if value else value

    @property
    def reset_policy(self) -> ResetPolicy:
        return self.reset or self.default_reset

    @property
    def appium_url(self) -> str | None:
        return self.url

    def _reset_caps(self) -> dict[str, Any]:
        policy = self.reset_policy
        if policy == "reinstall":
            return {"appium:noReset": False, "appium:fullReset": True}
        if policy == "session":
            return {"appium:noReset": False, "appium:fullReset": False}
        return {"appium:noReset": True, "appium:fullReset": False}

    def _finish(self, caps: dict[str, Any]) -> dict[str, Any]:
        caps.update(self.extra_capabilities)
        return {k: v for k, v in caps.items() if v is not None}


class _AndroidMixin(_AppiumBase):
    platform: ClassVar[str] = "android"
    app_package: str
    app_activity: str | None = None
    app_wait_activity: str | None = None

    @field_validator("app")
    @classmethod
    def _android_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _resolve_app(value, info, _ANDROID_APP_SUFFIXES, "an Android app")

    @field_validator("app_package")
    @classmethod
    def _package(cls, value: str) -> str:
        if not _PACKAGE_RE.match(value):
            raise ValueError(f"{value!r} is not an Android package name like com.example.app")
        return value

    @property
    def app_id(self) -> str | None:
        return self.app_package

    def _android_caps(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
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


class _IosMixin(_AppiumBase):
    platform: ClassVar[str] = "ios"
    bundle_id: str
    simulator: ClassVar[bool] = False

    @field_validator("app")
    @classmethod
    def _ios_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _resolve_app(value, info, _IOS_APP_SUFFIXES, "an iOS app")

    @field_validator("bundle_id")
    @classmethod
    def _bundle(cls, value: str) -> str:
        if not _PACKAGE_RE.match(value):
            raise ValueError(f"{value!r} is not a bundle id like com.example.app")
        return value

    @property
    def app_id(self) -> str | None:
        return self.bundle_id

    def _ios_caps(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
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


class AndroidEmulatorTarget(_AndroidMixin):
    """A local Android emulator (AVD), booted by UiAutomator2 from `avd` or already running (`udid` emulator-5554).

    `proxy` (host:port of mitmproxy in regular mode) boots the AVD with `-http-proxy`; the emulator reads it on the
    host side, so 127.0.0.1 is the host's loopback. The CA: a debug network-security-config in the QA build, or
    `devices.tools.adb` (install_user_ca) on a Google APIs image (mobile.md D.2)."""

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
        caps = self._android_caps(api_key, emulator_endpoint(endpoint))
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


class AndroidDeviceTarget(_AndroidMixin):
    """A real Android phone over USB/Wi-Fi adb. Proxy and CA are set up by hand or with devices.tools.adb
    (`adb reverse tcp:8080 tcp:8080` + global http_proxy 127.0.0.1:8080; the CA through the QA build's debug
    network-security-config): see the README's real-device steps."""

    kind: Literal["android-device"] = "android-device"
    udid: str

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self._android_caps(api_key, endpoint)
        caps["appium:udid"] = self.udid
        return self._finish(caps)


class IosSimulatorTarget(_IosMixin):
    """An iOS simulator (macOS + Xcode), chosen by `udid` or by `device_name` + `platform_version`.

    The run's mitmproxy CA (`ca_pem`) goes to `appium:customSSLCert` (PEM text; the driver adds it as a root);
    the proxy is the Mac's system proxy (mobile.md D.3)."""

    kind: Literal["ios-simulator"] = "ios-simulator"
    simulator: ClassVar[bool] = True
    udid: str | None = None

    @model_validator(mode="after")
    def _which_device(self) -> IosSimulatorTarget:
        if not self.udid and not (self.device_name and self.platform_version):
            raise ValueError("udid, or device_name and platform_version, are required to pick a simulator")
        return self

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self._ios_caps(api_key, endpoint)
        caps["appium:udid"] = self.udid
        if ca_pem is not None:
            caps["appium:customSSLCert"] = _read_pem(ca_pem, self.name)
        return self._finish(caps)


class IosDeviceTarget(_IosMixin):
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
        caps = self._ios_caps(api_key, endpoint)
        caps["appium:udid"] = self.udid
        caps["appium:xcodeOrgId"] = self.xcode_org_id
        caps["appium:xcodeSigningId"] = self.xcode_signing_id
        if self.install_ca and ca_pem is not None:
            caps["appium:customSSLCert"] = _read_pem(ca_pem, self.name)  # iOS 18+ real devices only
        return self._finish(caps)


def _read_pem(path: Path, name: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise TargetError(f"{name}: cannot read the CA certificate {path}: {exc.strerror}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise TargetError(f"{name}: {path} is not a PEM certificate")
    return text


class _EitherPlatform(_AppiumBase):
    """A profile for an Appium server elsewhere, Android or iOS by its `platform` field."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    platform_name: Literal["android", "ios"] = Field(alias="platform")
    app_package: str | None = None
    app_activity: str | None = None
    bundle_id: str | None = None

    @model_validator(mode="after")
    def _ids(self) -> _EitherPlatform:
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

    def _platform_caps(self, api_key: str | None, endpoint: str | None) -> dict[str, Any]:
        helper = self._as_platform()
        if isinstance(helper, AndroidDeviceTarget):
            return helper._android_caps(api_key, endpoint)
        return helper._ios_caps(api_key, endpoint)

    def reset_commands(self) -> list[tuple[str, dict[str, Any]]]:
        return self._as_platform().reset_commands() if self.platform_name == "android" else []

    def launch_command(self, *, api_key: str | None = None, endpoint: str | None = None) -> tuple[str, dict[str, Any]] | None:
        return self._as_platform().launch_command(api_key=api_key, endpoint=endpoint)


class _FarmBase(_EitherPlatform):
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


class BrowserStackTarget(_FarmBase):
    """BrowserStack App Automate: `bstack:options` with credentials, Appium version and network logs (a HAR of
    every request, decoded afterwards with `braze_har`; mobile.md D.5)."""

    kind: Literal["browserstack"] = "browserstack"
    default_hub: ClassVar[str] = "https://hub-cloud.browserstack.com/wd/hub"
    user_env_default: ClassVar[str] = "BROWSERSTACK_USERNAME"
    key_env_default: ClassVar[str] = "BROWSERSTACK_ACCESS_KEY"
    capture_content: bool = True
    local: bool = False
    local_identifier: str | None = None

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        user, key = self._credentials()
        caps = self._platform_caps(api_key, endpoint)
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


class SauceLabsTarget(_FarmBase):
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
        caps = self._platform_caps(api_key, endpoint)
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


class RemoteTarget(_EitherPlatform):
    """Any Appium server or Selenium Grid at `url`, used as is: platform capabilities plus `extra_capabilities`
    (grid-specific names with their vendor prefix). No credentials unless the URL carries them."""

    kind: Literal["remote"] = "remote"
    url: str  # type: ignore[assignment]
    udid: str | None = None

    @field_validator("app")
    @classmethod
    def _remote_app(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _resolve_app(value, info, _ANDROID_APP_SUFFIXES + _IOS_APP_SUFFIXES, "an app")

    def capabilities(self, *, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict:
        caps = self._platform_caps(api_key, endpoint)
        caps["appium:udid"] = self.udid
        return self._finish(caps)

    def describe(self) -> str:
        # a grid URL may carry user:key@: never shown
        return f"{self.name} ({self.kind} at {shown_url(self.url)})"


def shown_url(url: str) -> str:
    """`url` as it may be printed: a grid/farm URL's `user:key@` credentials masked."""
    return re.sub(r"//[^/@\s]+@", "//***@", url)


FAKE_APP_XML = Path(__file__).resolve().parent.parent / "appium" / "fake_app.xml"


class FakeTarget(_AppiumBase):
    """Appium's fake driver (@appium/fake-driver) on the project's local Appium server: the Appium plumbing in CI.
    The app is an XML UI description (default `devices/appium/fake_app.xml`)."""

    kind: Literal["fake"] = "fake"
    platform: ClassVar[str] = "fake"
    default_reset: ClassVar[ResetPolicy] = "none"
    hooks: DebugHooks | None = None

    @field_validator("app")
    @classmethod
    def _xml(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _resolve_app(value, info, (".xml",), "a fake-driver app XML")

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


Target = Annotated[
    WebTarget
    | AndroidVirtualTarget
    | IosVirtualTarget
    | FakeTarget
    | AndroidEmulatorTarget
    | AndroidDeviceTarget
    | IosSimulatorTarget
    | IosDeviceTarget
    | BrowserStackTarget
    | SauceLabsTarget
    | RemoteTarget,
    Field(discriminator="kind"),
]

KINDS: dict[str, type[_Base]] = {
    cls.model_fields["kind"].default: cls
    for cls in (
        WebTarget,
        AndroidVirtualTarget,
        IosVirtualTarget,
        FakeTarget,
        AndroidEmulatorTarget,
        AndroidDeviceTarget,
        IosSimulatorTarget,
        IosDeviceTarget,
        BrowserStackTarget,
        SauceLabsTarget,
        RemoteTarget,
    )
}
