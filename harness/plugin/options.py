"""Options of the `braze` group, validated once at configure time.

Every `--braze-x` option is also the ini key `braze_x` (pytest.ini, or `[tool.pytest.ini_options]` of
pyproject.toml); `$BRAZE_EMULATOR_URL` and `$BRAZE_EMULATOR_TOKEN` stand for their options. A value given on the
command line wins over the environment, which wins over the ini file, then the default (docs/configuration.md).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import pytest

DEFAULT_SDK_VERSION = "6.13.0"
DEFAULT_PROXY_HOST = "sdk.iad-01.braze.com"
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
TIMELINE_MODES = ("on", "only-on-failure", "off")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


# option dest -> (default, type): the options are registered with default None, so `resolve` knows which were given
DEFAULTS: dict[str, tuple[Any, Any]] = {}
ENV = {
    "braze_emulator_url": "BRAZE_EMULATOR_URL",
    "braze_emulator_token": "BRAZE_EMULATOR_TOKEN",
    "braze_chromium": "BRAZE_CHROMIUM",
}
ORIGIN: pytest.StashKey[dict[str, str]] = pytest.StashKey()  # dest -> where its value came from, for errors


def add_options(parser: pytest.Parser) -> None:
    group = _BrazeGroup(parser, parser.getgroup("braze", "Braze SDK emulator and QA harness"))
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
        "--braze-api-key",
        action="append",
        default=[],
        metavar="KEY[=workspace]",
        help="an api key written into your site (repeatable): registered in a shared workspace (default 'default'), "
        "tests kept apart by the devices they claim (default: a fresh key per test; docs/your-web-site.md)",
    )
    group.addoption("--braze-timeout", type=float, default=5.0, help="default seconds an expectation waits (default 5)")
    group.addoption("--braze-journal-db", default=None, help="embedded emulator: also write the journal to this SQLite file")
    group.addoption(
        "--braze-report",
        default=None,
        help="write the run's report to this HTML file: each test's outcome, verdicts and traffic timeline (docs/reports.md)",
    )
    group.addoption(
        "--braze-timeline",
        default="only-on-failure",
        help="write each Braze test's timeline picture (braze-timeline.svg) into its --output folder: on, off or "
        "only-on-failure (default); with --alluredir it is attached to every Braze test (docs/reports.md)",
    )
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
    group.addoption(
        "--braze-chromium",
        default=None,
        help="Chromium executable of the Braze contexts (default: $BRAZE_CHROMIUM, else Playwright's own Chromium, "
        "else /usr/bin/chromium); pytest-playwright's own browser is never changed",
    )
    group.addoption(
        "--braze-fresh-contexts",
        action="store_true",
        default=False,
        help="a new browser context for every web demo app (slower); by default each worker reuses one warm page, "
        "reset between tests (storage, service workers, permissions of every origin it showed)",
    )
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


class _BrazeGroup:
    """The option group, each option registered twice: as `--braze-x` (default None) and as the ini key `braze_x`."""

    def __init__(self, parser: pytest.Parser, group: Any) -> None:
        self._parser = parser
        self._group = group

    def addoption(self, flag: str, *, default: Any = None, **kwargs: Any) -> None:
        dest = flag.lstrip("-").replace("-", "_")
        DEFAULTS[dest] = (default, kwargs.get("type"))
        self._group.addoption(flag, default=None, **kwargs)
        is_flag = kwargs.get("action") == "store_true"
        self._parser.addini(dest, f"{kwargs.get('help', '')} ({flag})", type="bool" if is_flag else "string", default=None)


def resolve(config: pytest.Config) -> None:
    """Each `--braze-x` option's value: the command line's, else its environment variable's, else the ini key's,
    else its default; written back to `config.option` so `getoption` reads the result."""
    origin: dict[str, str] = {}
    ini_file = config.inipath.name if config.inipath else "the ini file"
    for dest, (default, kind) in DEFAULTS.items():
        flag = "--" + dest.replace("_", "-")
        if getattr(config.option, dest, None) is not None:
            origin[dest] = flag
            continue
        value: Any = default
        env = ENV.get(dest)
        ini = config.getini(dest)
        if env and os.environ.get(env):
            value, origin[dest] = os.environ[env], f"${env}"
        elif ini is not None and ini != "":
            value, origin[dest] = ini, f"{dest} ({ini_file})"
            if kind is not None:
                try:
                    value = kind(ini)
                except ValueError:
                    raise pytest.UsageError(f"{dest} ({ini_file}): {ini!r} is not a {kind.__name__}") from None
        else:
            origin[dest] = flag
        if isinstance(default, list) and isinstance(value, str):  # a repeatable option from ini or env: whitespace-separated
            value = value.split()
        setattr(config.option, dest, value)
    config.stash[ORIGIN] = origin


def where(config: pytest.Config, flag: str) -> str:
    """The name of an option's source for an error: `--braze-x`, `braze_x (pytest.ini)` or `$BRAZE_X`."""
    dest = flag.lstrip("-").replace("-", "_")
    return config.stash.get(ORIGIN, {}).get(dest, flag)


def validate(config: pytest.Config) -> None:
    """Bad option values stop the run with one clear line, before any test starts."""
    resolve(config)
    version = config.getoption("--braze-web-sdk-version")
    if not _VERSION_RE.match(version):
        raise pytest.UsageError(f"{where(config, '--braze-web-sdk-version')}: {version!r} is not a version like 6.13.0")
    url = config.getoption("--braze-emulator-url")
    if url and not re.match(r"^https?://[^/]+", url):
        raise pytest.UsageError(f"{where(config, '--braze-emulator-url')}: {url!r} is not an http(s) URL")
    timeout = config.getoption("--braze-timeout")
    if timeout <= 0:
        raise pytest.UsageError(f"{where(config, '--braze-timeout')} must be a positive number of seconds")
    adapter = config.getoption("--braze-adapter")
    if adapter and ":" not in adapter:
        raise pytest.UsageError(f"{where(config, '--braze-adapter')}: {adapter!r} must look like package.module:factory")
    _resolve_target(config)
    _check_data_plan(config)
    from braze_harness.plugin import fixed_keys

    fixed_keys.configure(config)  # --braze-api-key KEY[=workspace]
    journal_db = config.getoption("--braze-journal-db")
    if journal_db and not Path(journal_db).parent.is_dir():  # a typo in the path is reported, not made into folders
        raise pytest.UsageError(f"{where(config, '--braze-journal-db')}: no folder {Path(journal_db).parent} for {journal_db}")
    report = config.getoption("--braze-report")
    if report and not Path(report).parent.is_dir():
        raise pytest.UsageError(f"{where(config, '--braze-report')}: no folder {Path(report).parent} for {report}")
    timeline = config.getoption("--braze-timeline")
    if timeline not in TIMELINE_MODES:
        raise pytest.UsageError(f"{where(config, '--braze-timeline')}: {timeline!r} is not one of {', '.join(TIMELINE_MODES)}")
    exe = config.getoption("--braze-chromium")
    if exe and not Path(exe).is_file():
        raise pytest.UsageError(f"{where(config, '--braze-chromium')}: no executable at {exe}")
    host = config.getoption("--braze-proxy-host")
    if not _HOST_RE.match(host) or "." not in host:
        raise pytest.UsageError(f"{where(config, '--braze-proxy-host')}: {host!r} is not a host name like sdk.iad-01.braze.com")
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
