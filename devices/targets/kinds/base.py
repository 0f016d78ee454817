"""What every target kind shares: `TargetBase` (name, kind, platform, adapter, and what a kind without Appium
answers), `AppiumTarget` (the fields and capabilities of every Appium kind: app, reset policy, push permission,
debug hooks, extra capabilities, server URL, locators), the app's debug hooks, and `TargetError`.

Capability names follow the drivers' own docs: appium-uiautomator2-driver (README, execute methods),
appium-xcuitest-driver (docs/reference/capabilities.md, execute-methods.md). Routing: (docs/mobile-wire.md, proxy-routing);
capabilities and resets: (docs/mobile-wire.md, appium-capabilities-and-debug-hooks and a-fresh-anonymous-user).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from braze_harness.devices.targets.locators import Locators
from braze_harness.errors import HarnessConfigError
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


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
_REMOTE_APP = re.compile(r"^([a-z][a-z0-9+.-]*://|storage:|sauce-storage:)", re.IGNORECASE)
PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)+$")
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


class DebugHooks(BaseModel):
    """Launch arguments the QA build reads to point Braze at the harness
    (docs/mobile-wire.md, appium-capabilities-and-debug-hooks).

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


class TargetBase(BaseModel):
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


def resolve_app(value: str | None, info: ValidationInfo, suffixes: tuple[str, ...], what: str) -> str | None:
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


class AppiumTarget(TargetBase):
    """Fields and capabilities every Appium kind shares."""

    uses_appium: ClassVar[bool] = True
    adapter: ClassVar[str | None] = "braze_harness.plugin.appium:appium_app"  # the pytest plugin's Appium factory
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
        """Where the app's controls are (devices/targets/locators.py): a mapping, or a YAML file relative to the
        targets file; loaded now so a bad locator stops the run before any session."""
        if value is None:
            return None
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
