"""Command-line options of the `braze` group, validated once at configure time."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from braze_harness.devices.web.chromium import find_chromium

DEFAULT_SDK_VERSION = "6.13.0"
DEFAULT_PROXY_HOST = "sdk.iad-01.braze.com"
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("braze", "Braze SDK emulator and QA harness")
    group.addoption(
        "--braze-emulator-url",
        default=None,
        help="use a running emulator (e.g. http://127.0.0.1:9090) instead of the embedded one",
    )
    group.addoption(
        "--braze-emulator-token",
        default=None,
        help="the control token of --braze-emulator-url's emulator (default $BRAZE_EMULATOR_TOKEN; docs/security.md)",
    )
    group.addoption(
        "--braze-web-sdk-version",
        default=DEFAULT_SDK_VERSION,
        help="@braze/web-sdk version for the demo app (any npm version; bundled on first use)",
    )
    group.addoption(
        "--braze-api-key", default=None, help="api key the web app uses (default: a fresh key per test in a workspace of its own)"
    )
    group.addoption("--braze-timeout", type=float, default=5.0, help="default seconds an expectation waits (default 5)")
    group.addoption("--braze-journal-db", default=None, help="embedded emulator: also write the journal to this SQLite file")
    group.addoption(
        "--braze-data-plan",
        default=None,
        help="embedded emulator: check every exchange against this data plan (docs/data-plan.md)",
    )
    group.addoption(
        "--braze-data-plan-strict",
        action="store_true",
        default=False,
        help="fail a test whose traffic breaks the data plan (default: reported only)",
    )
    group.addoption(
        "--braze-adapter",
        default=None,
        help="module:factory building the app adapter for the suites (default: the bundled web demo)",
    )
    group.addoption(
        "--braze-target",
        default=None,
        help="where the suites run: web (default), android-virtual, ios-virtual, fake, or a profile of the targets file",
    )
    group.addoption(
        "--braze-targets-file",
        default=None,
        help="YAML file of device profiles (default: braze-targets.yaml in the rootdir if present)",
    )
    group.addoption("--braze-chromium", default=None, help="Chromium executable (default: $BRAZE_CHROMIUM or /usr/bin/chromium)")
    group.addoption(
        "--braze-proxy",
        action="store_true",
        default=False,
        help="run the web app through mitmproxy in emulate mode: the SDK talks HTTPS to a real Braze host "
        "(--braze-proxy-host), answered by the emulator; Chromium trusts the run's CA",
    )
    group.addoption(
        "--braze-proxy-host",
        default=DEFAULT_PROXY_HOST,
        help=f"the Braze SDK host the app uses with --braze-proxy (default {DEFAULT_PROXY_HOST})",
    )
    group.addoption(
        "--braze-proxy-allow-hosts",
        default="",
        help="with --braze-proxy: comma-separated hosts the proxy lets through (loopback always is)",
    )


def validate(config: pytest.Config) -> None:
    """Bad option values stop the run with one clear line, before any test starts."""
    version = config.getoption("--braze-web-sdk-version")
    if not _VERSION_RE.match(version):
        raise pytest.UsageError(f"--braze-web-sdk-version: {version!r} is not a version like 6.13.0")
    url = config.getoption("--braze-emulator-url")
    if url and not re.match(r"^https?://[^/]+", url):
        raise pytest.UsageError(f"--braze-emulator-url: {url!r} is not an http(s) URL")
    timeout = config.getoption("--braze-timeout")
    if timeout <= 0:
        raise pytest.UsageError("--braze-timeout must be a positive number of seconds")
    adapter = config.getoption("--braze-adapter")
    if adapter and ":" not in adapter:
        raise pytest.UsageError(f"--braze-adapter: {adapter!r} must look like package.module:factory")
    _resolve_target(config)
    _check_data_plan(config)
    exe = config.getoption("--braze-chromium")
    if exe and not Path(exe).is_file():
        raise pytest.UsageError(f"--braze-chromium: no executable at {exe}")
    host = config.getoption("--braze-proxy-host")
    if not _HOST_RE.match(host) or "." not in host:
        raise pytest.UsageError(f"--braze-proxy-host: {host!r} is not a host name like sdk.iad-01.braze.com")
    if config.getoption("--braze-proxy"):
        from braze_harness.extras import MissingExtraError, require

        try:
            require("mitmproxy", "--braze-proxy")
        except MissingExtraError as exc:
            raise pytest.UsageError(str(exc)) from None
        from braze_harness.proxy.runner import addon_module

        try:
            addon_module().parse_hosts(config.getoption("--braze-proxy-allow-hosts"))
        except ValueError as exc:
            raise pytest.UsageError(f"--braze-proxy-allow-hosts: {exc}") from None


def _check_data_plan(config: pytest.Config) -> None:
    """A plan given to the embedded emulator is read now: a mistake in it stops the run with one line."""
    plan = config.getoption("--braze-data-plan")
    if plan is None:
        return
    if config.getoption("--braze-emulator-url"):
        raise pytest.UsageError("--braze-data-plan: give the plan to the running emulator (braze-harness emulator --data-plan)")
    from braze_harness.dataplan import load_plan
    from braze_harness.errors import HarnessConfigError

    try:
        load_plan(plan)
    except HarnessConfigError as exc:
        raise pytest.UsageError(f"--braze-data-plan: {exc}") from None


def _resolve_target(config: pytest.Config) -> None:
    """`--braze-target` (a built-in or a profile of the targets file) → `config.braze_target`; a bad name or
    profile stops the run with one line naming the file, profile and field, and the known targets."""
    from braze_harness.devices.targets import TargetError, default_targets_file, known_targets, resolve_target

    targets_file = config.getoption("--braze-targets-file") or default_targets_file(config.rootpath)
    try:
        config.braze_target = resolve_target(config.getoption("--braze-target"), targets_file)  # type: ignore[attr-defined]
    except TargetError as exc:
        message = str(exc)
        if "unknown target" not in message and config.getoption("--braze-target"):
            with contextlib.suppress(TargetError):
                message += f" (known targets: {', '.join(known_targets(targets_file))})"
        raise pytest.UsageError(message) from None
    if (config.braze_target.adapter or "").startswith("braze_harness.plugin.appium:"):  # type: ignore[attr-defined]
        from braze_harness.extras import MissingExtraError, require

        try:  # at startup, not in the first test: the Appium targets need the [appium] extra
            require("appium", f"--braze-target {config.getoption('--braze-target')}")
        except MissingExtraError as exc:
            raise pytest.UsageError(str(exc)) from None


def chromium_path(config: pytest.Config) -> str | None:
    return find_chromium(config.getoption("--braze-chromium"))
