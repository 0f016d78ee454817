"""The Appium server the mobile targets talk to: a local one from the project's own npm install, or a remote URL.

    with AppiumServer() as server:          # node_modules/.bin/appium server --address 127.0.0.1 --port <free>
        server.url                          # http://127.0.0.1:<port>, answered /status ready
        server.require_driver("Fake")       # clear error + install command if the driver is missing
    AppiumEndpoint.remote("http://grid:4723/wd/hub")   # a grid/farm hub used as is (only /status is checked)

The local server is always `node_modules/.bin/appium`, never `npx`: killing an `npm exec` leaves its `node` child
running (docs/tooling.md, appium-fake-driver). It runs in a process group of its own so stopping it (SIGTERM, then
SIGKILL) takes every child with it. With no APPIUM_HOME in the environment, Appium 3 uses the project (the directory holding a
package.json that depends on `appium`) as its home: drivers live in the project's node_modules. The project is
`node_tools.node_root()`: the repository checkout, or the harness home `braze-harness setup --appium` installed into.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import httpx
from braze_harness import node_tools
from braze_harness.devices.targets.redaction import shown_url
from braze_harness.errors import HarnessConfigError, HarnessError

# automationName (lowercase) -> the name `appium driver install` takes
DRIVER_INSTALL_NAMES: dict[str, str] = {
    "uiautomator2": "uiautomator2",
    "xcuitest": "xcuitest",
    "espresso": "espresso",
    "fake": "@appium/fake-driver --source=npm",
}


class AppiumServerError(HarnessError):
    """The Appium server did not start, answer or stop."""


class AppiumSetupError(HarnessConfigError):
    """Something Appium needs is not installed (node, appium, a driver)."""


@dataclass(frozen=True)
class InstalledDriver:
    name: str  # the extension name: "fake", "uiautomator2", ...
    automation_name: str  # "Fake", "UiAutomator2", ...
    version: str
    platform_names: tuple[str, ...]


def appium_binary(project_root: Path | None = None) -> Path:
    """`node_modules/.bin/appium` of the project (default: `node_tools.node_root()`); a clear error if node or appium
    is not installed."""
    hint = node_tools.setup_hint("--appium")
    if shutil.which("node") is None:
        raise AppiumSetupError(f"node is not installed (Appium needs Node.js 20+: apt install nodejs npm): {hint}")
    project_root = project_root or node_tools.node_root()
    binary = project_root / "node_modules" / ".bin" / "appium"
    if not binary.exists():
        raise AppiumSetupError(f"appium is not installed in {project_root / 'node_modules'}: {hint}")
    return binary


def installed_drivers(project_root: Path | None = None, *, env: Mapping[str, str] | None = None) -> list[InstalledDriver]:
    """What `appium driver list --installed --json` reports (about 1 s: it starts node)."""
    project_root = project_root or node_tools.node_root()
    binary = appium_binary(project_root)
    result = subprocess.run(
        [str(binary), "driver", "list", "--installed", "--json"],
        cwd=project_root,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AppiumSetupError(f"`appium driver list --installed --json` failed ({result.returncode}): {_tail(result.stderr)}")
    try:
        listing = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        raise AppiumSetupError(f"`appium driver list --installed --json` printed no JSON: {_tail(result.stdout)}") from None
    return [
        InstalledDriver(
            name=name,
            automation_name=str(info.get("automationName", "")),
            version=str(info.get("version", "")),
            platform_names=tuple(info.get("platformNames") or ()),
        )
        for name, info in listing.items()
        if isinstance(info, dict) and info.get("installed", True)
    ]


def install_command(automation_name: str) -> str:
    """The one command that installs the driver for `automation_name` into the project's node_modules."""
    name = DRIVER_INSTALL_NAMES.get(automation_name.lower(), automation_name.lower())
    return f"node_modules/.bin/appium driver install {name}"


def check_driver(automation_name: str, drivers: list[InstalledDriver]) -> InstalledDriver:
    """The installed driver for `automation_name` (case-insensitive, as Appium matches it), or a clear error."""
    for driver in drivers:
        if driver.automation_name.lower() == automation_name.lower():
            return driver
    have = ", ".join(f"{d.name}@{d.version} ({d.automation_name})" for d in drivers) or "none"
    raise AppiumSetupError(
        f"no Appium driver for automationName {automation_name!r} is installed (installed: {have}); "
        f"install it in {node_tools.node_root()} with: {install_command(automation_name)}"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str, *, timeout: float = 5.0) -> dict:
    """`GET <url>/status`'s `value` (raises httpx errors / AppiumServerError for a non-Appium answer)."""
    response = httpx.get(f"{url.rstrip('/')}/status", timeout=timeout)
    response.raise_for_status()
    try:
        value = response.json()["value"]
    except (ValueError, KeyError, TypeError):
        raise AppiumServerError(f"{url}/status is not an Appium/WebDriver status answer: {response.text[:200]!r}") from None
    return value if isinstance(value, dict) else {"ready": bool(value)}


class AppiumEndpoint:
    """An Appium server somewhere: `url` for `webdriver.Remote`. The local server is one (`AppiumServer`)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    @classmethod
    def remote(cls, url: str, *, timeout: float = 10.0) -> AppiumEndpoint:
        """A running server, grid or device-farm hub, used as is; its `/status` must answer."""
        if not url.startswith(("http://", "https://")):
            raise HarnessConfigError(f"Appium URL must start with http:// or https://, not {url!r}")
        endpoint = cls(url)
        try:
            status(endpoint.url, timeout=timeout)
        except (httpx.HTTPError, AppiumServerError) as exc:
            # the answer (an httpx error names the URL) must not show the URL's credentials either
            message = f"the Appium server at {endpoint.url} does not answer GET /status: {exc}"
            raise AppiumServerError(shown_url(message)) from None
        return endpoint

    def require_driver(self, automation_name: str) -> None:
        """Nothing to check on a remote server: it reports a missing driver when the session is created."""

    def stop(self) -> None:
        """A remote server is not ours to stop."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({shown_url(self.url)!r})"


class AppiumServer(AppiumEndpoint):
    """A local Appium 3 server bound to 127.0.0.1, started from the project's node_modules.

    `log_path` keeps everything the server printed (an artifact when a test fails); `port=None` picks a free one.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        project_root: Path | None = None,
        log_path: Path | None = None,
        startup_timeout: float = 60.0,
        extra_args: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.port = port
        self.project_root = project_root or node_tools.node_root()
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="braze-appium-")) / "appium.log"
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.env = dict(env) if env is not None else None
        self.process: subprocess.Popen[bytes] | None = None
        self._drivers: list[InstalledDriver] | None = None
        super().__init__("")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        return [
            str(appium_binary(self.project_root)),
            "server",
            "--address",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-no-colors",
            "--log-timestamp",
            *self.extra_args,
        ]

    def start(self) -> Self:
        if self.process is not None:
            return self
        if self.port is None:
            self.port = free_port()
        if not 1 <= self.port <= 65535:
            raise HarnessConfigError(f"Appium server port must be 1-65535, not {self.port}")
        command = self.command()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            # own process group: SIGTERM/SIGKILL reach node and anything it spawned
            self.process = subprocess.Popen(
                command,
                cwd=self.project_root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                if "EADDRINUSE" in self.log_tail(200):
                    raise AppiumServerError(
                        f"port {self.port} on 127.0.0.1 is already in use: the Appium server could not listen on it; "
                        f"pick another port or leave it None (a free one); log {self.log_path}:\n{self.log_tail()}"
                    )
                raise AppiumServerError(
                    f"the Appium server exited with code {code} before it was ready (port {self.port}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                if status(self.url, timeout=2.0).get("ready", True):
                    return
                last_error = "status answered ready=false"
            except (httpx.HTTPError, AppiumServerError) as exc:
                last_error = str(exc) or type(exc).__name__
            time.sleep(0.1)
        raise AppiumServerError(
            f"the Appium server on port {self.port} was not ready within {self.startup_timeout:g} s ({last_error}); "
            f"log {self.log_path}:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return _tail(text, lines)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it is still there after `timeout`. Safe twice."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout)
        # children that outlived node (none expected) go with the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def drivers(self) -> list[InstalledDriver]:
        """The drivers this server can load (read once with `appium driver list --installed --json`)."""
        if self._drivers is None:
            self._drivers = installed_drivers(self.project_root, env=self.env)
        return self._drivers

    def require_driver(self, automation_name: str) -> None:
        check_driver(automation_name, self.drivers())

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"AppiumServer(url={self.url!r}, pid={self.pid}, log={str(self.log_path)!r})"


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty)"
